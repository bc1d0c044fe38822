"""A healthy project set that raises no flag, and helpers to break it one rule at a time."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

from kpi_engine import Evaluation, evaluate, parse_actuals, parse_indicator_set

DELETE = object()

BASE_SET: dict[str, Any] = {
    "kpi_engine": 1,
    "id": "base",
    "title": "基准项目",
    "kind": "project",
    "scale": 100,
    "goals": "全年培训 500 人，考核合格率不低于 90%",
    "inputs": {
        "budget_initial": {"role": "budget_initial", "unit": "万元"},
        "budget_adjusted": {"role": "budget_adjusted", "unit": "万元"},
        "spent": {"role": "spent", "unit": "万元"},
        "carry_start": {"role": "carryover_start", "unit": "万元"},
        "income": {"role": "income", "unit": "万元"},
        "expenditure": {"role": "expenditure", "unit": "万元"},
        "carry_end": {"role": "carryover_end", "unit": "万元"},
        "surveyed": {"role": "sample_size", "unit": "份"},
        "procure_plan": {"role": "procurement_planned", "unit": "万元"},
        "procure_made": {"role": "procurement_actual", "unit": "万元"},
    },
    "derived": {"rate": {"formula": "spent / budget_adjusted * 100", "unit": "%"}},
    "indicators": [
        {
            "id": "output",
            "name": "产出指标",
            "weight": 50,
            "children": [
                {
                    "id": "count",
                    "name": "培训人数",
                    "weight": 15,
                    "target": "≥ 500 人",
                    "dimension": "数量",
                },
                {
                    "id": "quality",
                    "name": "考核合格率",
                    "weight": 15,
                    "target": "≥ 90%",
                    "dimension": "质量",
                },
                {
                    "id": "time",
                    "name": "办结时限",
                    "weight": 10,
                    "target": "≤ 20 天",
                    "dimension": "时效",
                },
                {
                    "id": "cost",
                    "name": "人均成本",
                    "weight": 10,
                    "target": "≤ 0.2 万元",
                    "dimension": "成本",
                },
            ],
        },
        {
            "id": "benefit",
            "name": "效益指标",
            "weight": 30,
            "children": [
                {"id": "jobs", "name": "培训后就业率", "weight": 15, "target": "≥ 60%"},
                {"id": "earn", "name": "学员收入增长率", "weight": 15, "target": "≥ 5%"},
            ],
        },
        {
            "id": "satisfaction",
            "name": "满意度指标",
            "weight": 10,
            "children": [{"id": "sat", "name": "服务对象满意度", "weight": 10, "target": "≥ 90%"}],
        },
        {
            "id": "execution",
            "name": "预算执行率",
            "weight": 10,
            "method": "execution_rate",
            "value": "rate",
        },
    ],
}

BASE_ACTUALS: dict[str, Any] = {
    "set": "base",
    "inputs": {
        "budget_initial": 100,
        "budget_adjusted": 100,
        "spent": 100,
        "carry_start": 5,
        "income": 99,
        "expenditure": 100,
        "carry_end": 4,
        "surveyed": 400,
        "procure_plan": 50,
        "procure_made": 50,
    },
    "reported_total": 100,
    "indicators": {
        "count": {"actual": 500, "reported_score": 15},
        "quality": {"actual": 90, "reported_score": 15},
        "time": {"actual": 20, "reported_score": 10},
        "cost": {"actual": "0.2", "reported_score": 10},
        "jobs": {"actual": 60, "reported_score": 15},
        "earn": {"actual": 5, "reported_score": 15},
        "sat": {"actual": 90, "reported_score": 10},
        "execution": {"reported_score": 10},
    },
}

Edit = tuple[tuple[Any, ...], Any]


def _apply(doc: dict[str, Any], edits: list[Edit]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for path, value in edits:
        node: Any = doc
        for key in path[:-1]:
            node = node[key]
        if value is DELETE:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return doc


def _text(doc: dict[str, Any]) -> str:
    # JSON is YAML; numbers go through as decimal strings so nothing becomes a float.
    return json.dumps(doc, ensure_ascii=False, default=str)


def run(set_edits: list[Edit] = (), actual_edits: list[Edit] = ()) -> Evaluation:  # type: ignore[assignment]
    """Evaluate the base case after the given edits ("set"/"act" paths)."""
    s = parse_indicator_set(_text(_apply(BASE_SET, list(set_edits))), "base.yaml")
    a = parse_actuals(_text(_apply(BASE_ACTUALS, list(actual_edits))), "base-actuals.yaml")
    return evaluate(s, a)


def rules_fired(e: Evaluation) -> set[str]:
    """Rule ids of the flags raised."""
    return {f.rule for f in e.flags}


def leaf(i: int, j: int, key: str) -> tuple[Any, ...]:
    """Path of a key of leaf j under top-level group i."""
    return ("indicators", i, "children", j, key)


def num(text: str) -> Decimal:
    return Decimal(text)
