"""JSON Schema for editors: generated from the models, draft-07, with Chinese and English help.

The VS Code YAML extension (and other editors) use it for completion, hover text and checks while
an auditor types a set. It is generated, never written by hand; ``docs/indicator-set.schema.json``
is a committed copy that a test keeps in sync with the models.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from kpi_engine.methods import METHODS
from kpi_engine.models import Actuals, IndicatorSet, Method, Tier

__all__ = ["FIELD_HELP", "json_schema", "schema_text"]

FIELD_HELP: dict[str, tuple[str, str]] = {
    "kpi_engine": ("格式版本，目前为 1", "format version, currently 1"),
    "kpi_actuals": ("实际值文件格式版本，目前为 1", "actuals format version, currently 1"),
    "id": ("标识：不含空格和冒号", "identifier: no spaces or colons"),
    "title": ("标题，如“2024年度××项目支出绩效自评”", "title"),
    "title_en": ("英文标题", "English title"),
    "name": ("名称（评分表中的指标名称）", "name as printed in the score table"),
    "name_en": ("英文名称", "English name"),
    "kind": (
        "评价类型（project 项目支出 / department 部门整体），或指标类型（quantitative 定量 / "
        "qualitative 定性）",
        "evaluation kind (project / department), or indicator kind (quantitative / qualitative)",
    ),
    "organization": (
        "单位名称：项目的实施单位，或部门整体的部门（单位）名称",
        "organization: the project's implementer, or the department evaluated",
    ),
    "supervisor": ("主管部门", "supervising department"),
    "project": ("项目名称（评分表所印；省略时用标题）", "project name as printed (default: title)"),
    "fund": (
        "资金来源明细（评分表“其中”行）：part 来源、column 栏目",
        "part of the funds by source (the score table's 其中 rows)",
    ),
    "part": (
        "appropriation 当年财政拨款 / carryover 上年结转资金 / other 其他资金",
        "appropriation / carryover / other funds",
    ),
    "column": (
        "budget_initial 年初预算数 / budget_adjusted 全年预算数 / spent 全年执行数",
        "budget_initial / budget_adjusted / spent",
    ),
    "goals_achieved": ("年度总体目标的实际完成情况", "what of the year's goals was achieved"),
    "year": ("年度", "year"),
    "scale": ("满分；省略时为一级指标分值之和", "full marks; default: sum of top-level weights"),
    "grading": (
        "等级：national（优≥90、良≥80、中≥60、差）或自定义列表（以百分制计）",
        "grades: national, or a list of {grade, min} on a 100-point basis",
    ),
    "grade": ("等级名称，如“优”", "grade name"),
    "grade_en": ("等级英文名称", "English grade name"),
    "min": ("下限（含）", "lower bound (inclusive)"),
    "max": ("上限（不含）", "upper bound (exclusive)"),
    "rounding": ("四舍五入设置", "rounding (half up)"),
    "places": ("保留小数位数", "decimal places"),
    "apply": (
        "display：仅显示时四舍五入；indicator：各指标先四舍五入再合计",
        "display: round when shown; indicator: round each score before adding",
    ),
    "qualitative": ("定性档次未给分时的默认得分比例（%）", "default tier points (%)"),
    "achieved": ("“达成”默认得分比例（80–100）", "achieved: default share (80–100)"),
    "partly": ("“部分达成”默认得分比例（60–<80）", "partly: default share (60–<80)"),
    "not_achieved": ("“未达成”默认得分比例（0–<60）", "not achieved: default share (0–<60)"),
    "inputs": ("原始数据的声明（实际值文件中提供数值）", "declared raw figures"),
    "derived": ("派生值：由公式计算", "derived values computed by formula"),
    "formula": ("公式，如 spent / budget * 100", "formula, e.g. spent / budget * 100"),
    "label": ("中文名称", "Chinese label"),
    "label_en": ("英文名称", "English label"),
    "unit": ("单位，如 万元、人、%", "unit, e.g. 万元, 人, %"),
    "role": (
        "标准含义，供问题检查使用（如 spent 全年执行数；output 产出、benefit 效益）",
        "standard meaning for rule packs (e.g. spent; output, benefit)",
    ),
    "description": ("说明（部门职能或项目概况）", "description"),
    "goals": ("绩效目标", "performance goals"),
    "goals_en": ("绩效目标的英文表述（英文报告使用）", "the goals in English, for English reports"),
    "weights_note": ("权重调整说明", "why the weights depart from the standard split"),
    "caps": (
        "总分上限：某值低于 below 时总分不超过 max_total（百分制），如按预算执行率封顶",
        "total caps: when a value is below `below`, the total is at most `max_total`",
    ),
    "below": ("低于此值时封顶", "the cap applies below this value"),
    "max_total": ("此时总分上限（百分制）", "highest total then (100-point basis)"),
    "rules": (
        "问题检查规则包：名称或文件路径，可覆盖参数，如 {cn-fiscal: {overachievement: 0.3}}",
        "rule packs: names or paths, with parameter overrides",
    ),
    "indicators": ("指标树：有 children 的为指标组，其余为末级指标", "indicator tree"),
    "children": ("下级指标；分值之和必须等于本级分值", "children; their weights sum to this one"),
    "weight": ("分值", "weight (points)"),
    "as_published": (
        "按原表载入复核：分值不相符等原表自身的不一致改为逐条提示而不报错，总分按原表直接相加",
        "load a unit's table as published, for review: its inconsistencies become flags",
    ),
    "unscored": (
        "有未计分指标时：range 给出总分可能的区间并暂不评定等级（默认）；"
        "zero 按 0 分计入并评定等级",
        "with unscored rows: range shows the range the total can lie in and withholds the grade "
        "(default); zero counts them as 0 and grades the total",
    ),
    "target": (
        "年度指标值，如 “≥ 500 人”、“≤ 90 万元”、“= 0 起”、“[95, 100] %”",
        "target, e.g. '≥ 500 人', '≤ 90 万元', '= 0 起', '[95, 100] %'",
    ),
    "value": (
        "取值：公式或输入项名称；省略时从实际值的 actual 读取",
        "value: a formula or input name; default: the actual given",
    ),
    "method": ("计分方法；省略时按目标值比较符选择", "scoring method; default from the target"),
    "bands": ("分档表：[min, max) 内得 points 分", "stepwise table: [min, max) earns points"),
    "points": ("该档（或该评分要点）得分", "points of the step (or of the rubric point)"),
    "assumed": (
        "原报告未载明、由本指标体系设定的数值：target（年度指标值）、weight（分值）；"
        "输出中以 ※ 标出",
        "figures the source does not state but the set assumes (target, weight); marked ※",
    ),
    "over_budget": (
        "预算执行率超过 100%（超预算支出）时：full 仍得满分并提示（默认）；excess 按超支部分扣分",
        "execution rate above 100 %: full marks with a flag (default) or scored as an excess",
    ),
    "part_of": (
        "“其中”行：所属指标（同组中排在前面的末级指标）的 id；不另计分值，不计入总分",
        "a 其中 row: the id of the earlier row of its group it is part of; no points of its own",
    ),
    "include_max": ("该档含上限（表中“（含）”）", "the step includes its upper bound"),
    "rubric": (
        "评分要点（method: rubric）：每个要点及其分值，合计等于指标分值",
        "rubric points for method: rubric, each with its points, adding up to the weight",
    ),
    "item": ("评分要点名称，如 制度健全", "the rubric point, e.g. 制度健全"),
    "item_en": ("评分要点英文名称", "English name of the point"),
    "met": (
        "评分要点中已达到的项（列表，或用顿号分隔的文字）",
        "the rubric points met (a list, or text separated by 、)",
    ),
    "deduct": (
        "扣分规则（method: deduct）：每偏离目标 per 扣 minus 分，扣完为止",
        "deductions for method: deduct: minus points per step of distance from the target",
    ),
    "per": ("每扣一次对应的偏离量（默认 1，如 1 个百分点）", "the distance per deduction (1)"),
    "minus": ("每次扣的分数", "points taken off per step"),
    "partial": (
        "不足一个 per 的偏离：prorate 按比例扣（默认）；count 按一个计；floor 不扣（只扣满档）",
        "a partial step: prorate (default), count as a whole step, or floor (whole steps only)",
    ),
    "score_formula": (
        "自定义计分公式，可用 A（实际值）、T（目标值）、w（分值）",
        "custom score formula using A, T, w",
    ),
    "dimension": ("产出维度：数量、质量、时效、成本", "output dimension"),
    "note": ("备注", "note"),
    "set": ("对应指标体系的 id", "id of the set these actuals are for"),
    "actual": ("实际完成值", "actual value achieved"),
    "tier": ("定性档次：达成 / 部分达成 / 未达成", "qualitative tier"),
    "score": ("定性指标的评分（须在档次区间内）", "qualitative score (within its tier band)"),
    "not_applicable": ("不适用：不计入满分", "not applicable: excluded from full marks"),
    "reported_score": ("单位自评得分（供复核）", "score the unit reported (for review)"),
    "not_in_source": (
        "原表中该项缺失或无法辨认（转录缺口）：不计分，也不算作单位漏填",
        "missing or illegible in the source: not scored, and not blamed on the unit",
    ),
    "reported_total": ("单位自评总分（供复核）", "total the unit reported (for review)"),
    "reason": ("偏差原因分析及改进措施", "reason for the deviation and measures"),
    "source": ("数据来源", "where the figure comes from"),
    "last_year": ("上年实际完成值", "last year's actual"),
    "funds_requested": (
        "申请预算资金（与成本指标的单位成本同一货币单位，如万元）：申报审核核对单位成本 × 数量",
        "funds requested, checked against unit cost × quantity at declaration",
    ),
    "basis": (
        "取值依据：历史标准 / 计划标准 / 行业标准 / 其他，可加说明",
        "how the target was set (historical, planned, industry, other) with a note",
    ),
    "standard": ("取值依据：历史标准 / 计划标准 / 行业标准 / 其他", "the basis of the target"),
    "tags": ("指标标签：共性 / 个性 / 核心", "tags: common, specific, core"),
    "quantity": (
        "单位成本类成本指标对应的数量指标 id（单位成本 × 数量与申请资金核对）",
        "for a unit-cost row: the id of its quantity row",
    ),
    "progress": (
        "年中监控的进度口径：elapsed（按序时进度累计）、level（水平值）或按月计划 {6: 40}",
        "in-year monitoring: elapsed (accrues with time), level, or a schedule such as {6: 40}",
    ),
}
"""Hover text for every field, in Chinese and English (a test checks none is missing)."""

_TIER_WORDS = [*[t.value for t in Tier], "达成", "部分达成", "未达成", "完成", "部分完成", "未完成"]


_TARGET_EXAMPLES = ["≥ 500 人", "≤ 90 万元", "= 0 起", "[95, 100] %", "≥ 98%", "不低于 95%"]
"""Directions an editor offers while typing a target (≥, ≤, =, range)."""


_DECIMAL_TEXT = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"
"""A number written as text (``"22044.92"``), which the models read exactly."""


class _Generator(GenerateJsonSchema):
    """Pydantic's generator with a fixed shape for exact numbers.

    Pydantic releases differ in how they describe ``Decimal`` (some add a text pattern, some do
    not), and the committed schema must not change with the installed release.
    """

    def decimal_schema(self, schema: core_schema.DecimalSchema) -> JsonSchemaValue:
        number: dict[str, Any] = {"type": "number"}
        for key, name in _BOUNDS.items():
            bound = schema.get(key)
            if bound is not None:
                # JSON has one number type; integral bounds print without a fraction.
                exact = Decimal(str(bound))
                number[name] = int(exact) if exact == exact.to_integral_value() else float(exact)
        return {"anyOf": [number, {"type": "string", "pattern": _DECIMAL_TEXT}]}


_BOUNDS = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}


def _describe(node: Any) -> None:
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            if name in FIELD_HELP and isinstance(prop, dict):
                zh, en = FIELD_HELP[name]
                prop["description"] = f"{zh} — {en}"
                prop["markdownDescription"] = f"**{zh}**\n\n{en}"
                if name == "target":
                    prop["examples"] = _TARGET_EXAMPLES
        for value in node.values():
            _describe(value)
    elif isinstance(node, list):
        for value in node:
            _describe(value)


def _draft07(node: Any) -> Any:
    """$defs → definitions, and their references, for draft-07 readers."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = value.replace("#/$defs/", "#/definitions/")
            else:
                out["definitions" if key == "$defs" else key] = _draft07(value)
        return out
    if isinstance(node, list):
        return [_draft07(v) for v in node]
    return node


def json_schema(actuals: bool = False) -> dict[str, Any]:
    """The draft-07 JSON Schema of indicator sets (or of actuals files)."""
    model = Actuals if actuals else IndicatorSet
    schema = model.model_json_schema(mode="validation", schema_generator=_Generator)
    _describe(schema)
    definitions = schema.get("$defs", {})
    if "Method" in definitions:
        methods = [m.value for m in Method]
        definitions["Method"]["enumDescriptions"] = [METHODS[Method(m)].help_zh for m in methods]
    if actuals:
        tier = definitions.get("IndicatorActual", {}).get("properties", {}).get("tier")
        if tier is not None:
            tier.pop("anyOf", None)
            tier["enum"] = [*_TIER_WORDS, None]
    result = _draft07(schema)
    result["$schema"] = "http://json-schema.org/draft-07/schema#"
    result["$id"] = "https://kpi-engine.invalid/schema/" + (
        "actuals" if actuals else "indicator-set"
    )
    return dict(result)


def schema_text(actuals: bool = False) -> str:
    """The schema as JSON text (what ``kpi schema`` prints and docs/ holds)."""
    return json.dumps(json_schema(actuals), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
