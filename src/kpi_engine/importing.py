"""Read a filled 绩效自评表 (.xlsx) into an indicator set and actuals.

The common layout: an optional funds block (年初预算数 / 全年预算数 / 全年执行数 / 分值 / 执行率 /
得分), then a header row with 一级/二级/三级指标, 年度指标值, 实际完成值, 分值, 得分 and
偏差原因分析及改进措施, rows with merged cells for the tree, and a 总分 row. The unit's own scores
are kept as ``reported_score`` (and the total as ``reported_total``) so the review rules can check
them. Every row that cannot be understood is listed with its sheet and cell, and skipped.
Needs the ``reports`` extra (openpyxl, through :mod:`kpi_engine.workbooks`): without it, importing
this module raises :class:`~kpi_engine.errors.MissingExtraError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from kpi_engine.errors import Issue, SourceLocation
from kpi_engine.models import Tier
from kpi_engine.problems import Problems
from kpi_engine.scoring import in_tier_band
from kpi_engine.targets import TargetSyntaxError, parse_target
from kpi_engine.workbooks import Cell, MergedCell, Worksheet, get_column_letter, read_workbook

__all__ = ["Imported", "import_score_table"]

_TIERS = {"达成", "部分达成", "未达成", "完成", "部分完成", "未完成", *[t.value for t in Tier]}
_HEADERS = {
    "target": ("年度指标值", "目标值", "Target"),
    "actual": ("实际完成值", "实际值", "Actual"),
    "weight": ("分值", "权重", "Weight"),
    "score": ("得分", "自评得分", "Score"),
    "reason": ("偏差原因", "Reasons"),
}


@dataclass
class Imported:
    """What the importer produced: plain data for set.yaml and actuals.yaml, and its problems."""

    set_data: dict[str, Any]
    actuals_data: dict[str, Any]
    problems: list[Issue] = field(default_factory=list)


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    try:
        return Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return None


def _unit_of(number_format: str) -> str | None:
    """Our writer (and many tables) put the unit in the number format: General" 人"."""
    match = re.search(r'"\s*([^"]+?)\s*"$', number_format or "")
    return match.group(1) if match else None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


class _Sheet:
    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.title = ws.title
        self.merged: dict[tuple[int, int], tuple[int, int]] = {}
        for rng in ws.merged_cells.ranges:
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    self.merged[(r, c)] = (rng.min_row, rng.min_col)

    def value(self, row: int, col: int) -> Any:
        r, c = self.merged.get((row, col), (row, col))
        return self.ws.cell(row=r, column=c).value

    def cell(self, row: int, col: int) -> Cell | MergedCell:
        return self.ws.cell(row=row, column=col)

    def where(self, row: int, col: int = 1) -> SourceLocation:
        letter = get_column_letter(col)  # a merged cell has no column_letter of its own
        return SourceLocation(f"{self.title}!{letter}{row}", row, col)


def _find(sheet: _Sheet, words: tuple[str, ...], rows: range) -> tuple[int, dict[str, int]] | None:
    for r in rows:
        texts = {c: _text(sheet.value(r, c)) for c in range(1, sheet.ws.max_column + 1)}
        if any(any(w in t for w in words) for t in texts.values()):
            return r, {t: c for c, t in texts.items() if t}
    return None


def import_score_table(path: Path, set_id: str | None = None) -> Imported:
    """Read the first sheet holding a 一级指标 header; see the module docstring for the layout."""
    book = read_workbook(path)
    for ws in book.worksheets:
        sheet = _Sheet(ws)
        found = _find(sheet, ("一级指标", "Level 1"), range(1, min(ws.max_row, 60) + 1))
        if found is not None:
            return _read(sheet, found, set_id or path.stem)
    raise Problems.in_file(str(path)).error(
        "import.no-header",
        "找不到含“一级指标”的表头行",
        "no header row with '一级指标' (first-level indicator) found",
    )


def _columns(header: dict[str, int]) -> tuple[list[int], dict[str, int]]:
    levels = sorted(c for t, c in header.items() if "级指标" in t or t.startswith("Level"))
    named: dict[str, int] = {}
    for key, words in _HEADERS.items():
        for text, col in header.items():
            if any(word in text for word in words) and key not in named:
                named[key] = col
    return levels, named


def _read(sheet: _Sheet, found: tuple[int, dict[str, int]], set_id: str) -> Imported:
    header_row, header = found
    levels, cols = _columns(header)
    title = _text(sheet.value(1, 1)) or set_id
    problems: list[Issue] = []
    inputs: dict[str, Any] = {}
    input_values: dict[str, Any] = {}
    top: list[dict[str, Any]] = []
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    indicators: dict[str, Any] = {}
    reported_total: Decimal | None = None
    count = 0

    funds = _find(sheet, ("年初预算数", "全年预算数", "全年执行数"), range(1, header_row))
    if funds is not None:
        execution = _funds(sheet, funds, inputs, input_values, indicators, problems)
        if execution is not None:
            top.append(execution)

    for r in range(header_row + 1, sheet.ws.max_row + 1):
        first = _text(sheet.value(r, levels[0]))
        if first.startswith(("总分", "合计", "Total")):
            reported_total = _number(sheet.value(r, cols["score"])) if "score" in cols else None
            break
        row = _row(sheet, r, levels, cols, problems)
        if row is None:
            continue
        count += 1
        path, leaf, entry = row
        leaf["id"] = f"i{count:02d}"
        if entry:
            indicators[leaf["id"]] = entry
        _place(top, groups, path, leaf)

    set_data: dict[str, Any] = {
        "kpi_engine": 1,
        "id": set_id,
        "title": title,
        "rounding": {"places": 2, "apply": "indicator"},
    }
    if inputs:
        set_data["inputs"] = inputs
        set_data["derived"] = {
            "execution_rate": {"formula": "spent / budget_adjusted * 100", "unit": "%"}
        }
    set_data["indicators"] = top
    actuals: dict[str, Any] = {"kpi_actuals": 1, "set": set_id}
    if input_values:
        actuals["inputs"] = input_values
    if reported_total is not None:
        actuals["reported_total"] = reported_total
    actuals["indicators"] = indicators
    return Imported(set_data, actuals, problems)


def _row(
    sheet: _Sheet, r: int, levels: list[int], cols: dict[str, int], problems: list[Issue]
) -> tuple[tuple[str, ...], dict[str, Any], dict[str, Any]] | None:
    """One indicator row as (group path, leaf, actuals entry), or None (problem recorded)."""
    names = [_text(sheet.value(r, c)) for c in levels]
    path = [n for i, n in enumerate(names) if n and (i == 0 or n != names[i - 1])]
    if not any(names):
        return None
    weight = _number(sheet.value(r, cols["weight"])) if "weight" in cols else None
    if not path or weight is None:
        problems.append(
            Issue(
                "import.row",
                f"第 {r} 行无法识别：缺少指标名称或分值",
                f"row {r} not understood: no indicator name or weight",
                sheet.where(r, cols.get("weight", 1)),
            )
        )
        return None
    leaf: dict[str, Any] = {"id": "", "name": path[-1], "weight": weight}
    entry: dict[str, Any] = {}
    target = _text(sheet.value(r, cols["target"])) if "target" in cols else ""
    if target.endswith("※"):  # our score table marks an assumed target so: keep it assumed
        target = target[:-1].rstrip()
        leaf["assumed"] = ["target"]
    actual_cell = sheet.cell(r, cols["actual"]) if "actual" in cols else None
    actual = actual_cell.value if actual_cell is not None else None
    score = _number(sheet.value(r, cols["score"])) if "score" in cols else None
    qualitative = False
    if target:
        try:
            parse_target(target)
        except TargetSyntaxError:
            qualitative = True
        leaf["target"] = target
    if qualitative or _text(actual) in _TIERS:
        leaf["kind"] = "qualitative"
        tier = _text(actual)
        if tier in _TIERS:
            entry["tier"] = tier
            if score is not None and _in_band(tier, score, weight):
                entry["score"] = score  # the assessor's score within the tier's band
        elif actual is not None:
            problems.append(
                Issue(
                    "import.tier",
                    f"第 {r} 行是定性指标，但实际完成值“{tier}”不是档次",
                    f"row {r} is qualitative but {tier!r} is not a tier",
                    sheet.where(r, cols["actual"]),
                )
            )
    elif actual is not None:
        number = _number(actual)
        entry["actual"] = number if number is not None else _text(actual)
        unit = _unit_of(actual_cell.number_format) if isinstance(actual_cell, Cell) else None
        if unit and not target:
            leaf["unit"] = unit
    if score is not None:
        entry["reported_score"] = score
    reason = _text(sheet.value(r, cols["reason"])) if "reason" in cols else ""
    if reason:
        entry["reason"] = reason
    return tuple(path[:-1]), leaf, entry


_TIER_KEYS = {
    "达成": "achieved",
    "完成": "achieved",
    "部分达成": "partly",
    "部分完成": "partly",
    "未达成": "not_achieved",
    "未完成": "not_achieved",
}


def _in_band(tier: str, score: Decimal, weight: Decimal) -> bool:
    return in_tier_band(weight, _TIER_KEYS.get(tier, tier), score)


def _place(
    top: list[dict[str, Any]],
    groups: dict[tuple[str, ...], dict[str, Any]],
    path: tuple[str, ...],
    leaf: dict[str, Any],
) -> None:
    """Put a leaf under its groups (created on first sight), summing weights upwards."""
    children = top
    for depth in range(1, len(path) + 1):
        key = path[:depth]
        group = groups.get(key)
        if group is None:
            group = {"id": f"g{len(groups) + 1:02d}", "name": key[-1], "weight": Decimal(0)}
            group["children"] = []
            groups[key] = group
            children.append(group)
        group["weight"] += leaf["weight"]
        children = group["children"]
    children.append(leaf)


def _funds(
    sheet: _Sheet,
    found: tuple[int, dict[str, int]],
    inputs: dict[str, Any],
    values: dict[str, Any],
    indicators: dict[str, Any],
    problems: list[Issue],
) -> dict[str, Any] | None:
    row, header = found
    roles = {
        "年初预算数": ("budget_initial", "budget_initial"),
        "全年预算数": ("budget_adjusted", "budget_adjusted"),
        "全年执行数": ("spent", "spent"),
    }
    for text, col in header.items():
        for word, (name, role) in roles.items():
            if word in text:
                inputs[name] = {"role": role, "label": word, "unit": "万元"}
                values[name] = _number(sheet.value(row + 1, col))
    weight_col = next((c for t, c in header.items() if t == "分值"), None)
    score_col = next((c for t, c in header.items() if t == "得分"), None)
    if weight_col is None or not {"budget_adjusted", "spent"} <= set(inputs):
        return None
    weight = _number(sheet.value(row + 1, weight_col))
    if weight is None:
        problems.append(
            Issue(
                "import.row",
                "资金情况的分值无法识别",
                "the funds block's weight is not a number",
                sheet.where(row + 1, weight_col),
            )
        )
        return None
    score = _number(sheet.value(row + 1, score_col)) if score_col else None
    if score is not None:
        indicators["execution"] = {"reported_score": score}
    return {
        "id": "execution",
        "name": "预算执行率",
        "weight": weight,
        "method": "execution_rate",
        "target": "≥ 100%",
        "value": "execution_rate",
    }
