"""Every fact a rule may read, per scope, with its meaning (the catalogue docs/flags.md lists),
and the typed records the facts are computed into: mypy checks each computed name, and a test
checks the documented names are exactly the computed ones."""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from kpi_engine.functions import Value

__all__ = [
    "FACTS",
    "FACT_KINDS",
    "RESULT_FACTS",
    "GroupResults",
    "GroupStructure",
    "IndicatorDeclared",
    "IndicatorResults",
    "IndicatorStructure",
    "Row",
    "Scope",
    "SetCompared",
    "SetDeclared",
    "SetOutputs",
    "SetReported",
    "SetResults",
    "SetSize",
    "SetSplit",
    "SetStructure",
]

Row = dict[str, Value]

Scope = str  # "set" | "group" | "indicator"

FACTS: dict[Scope, dict[str, tuple[str, str]]] = {
    "set": {
        "kind": ("评价类型：project 或 department（未写为空）", "evaluation kind"),
        "scale": ("满分", "full marks"),
        "leaf_count": ("末级指标个数", "number of leaf indicators"),
        "first_level_count": ("一级指标个数", "number of top-level nodes"),
        "max_leaf_share": ("分值最大的末级指标占满分的比例", "largest leaf weight ÷ scale"),
        "max_leaf_name": ("分值最大的末级指标名称", "name of the heaviest leaf"),
        "max_leaf_name_en": ("其英文名称（未写时为中文名称）", "its English name"),
        "qualitative_share": ("定性指标分值占满分的比例", "qualitative weight ÷ scale"),
        "has_output": ("是否有产出类指标", "whether there are output indicators"),
        "output_weight": ("产出类指标分值合计", "weight of output indicators"),
        "output_soft_share": (
            "产出指标中定性或无数值目标的分值占比",
            "share of output weight on qualitative or non-numeric targets",
        ),
        "output_soft_names": ("这些产出指标的名称", "names of those output indicators"),
        "output_soft_names_en": ("其英文名称", "their English names"),
        "missing_dimensions": ("产出指标缺少的维度（数量/质量/时效）", "missing output dimensions"),
        "missing_dimension_count": ("缺少的维度个数", "number of missing dimensions"),
        "vague_count": ("目标值措辞模糊的指标个数", "leaves whose target wording is vague"),
        "vague_names": ("这些指标的名称", "their names"),
        "vague_names_en": ("其英文名称", "their English names"),
        "untargeted_count": (
            "未设定年度指标值的定量指标个数",
            "quantitative leaves without a target",
        ),
        "untargeted_names": ("这些指标的名称", "their names"),
        "untargeted_names_en": ("其英文名称", "their English names"),
        "benefit_leaf_count": ("效益类末级指标个数", "benefit leaves"),
        "benefit_weight": ("效益类指标分值合计", "benefit weight"),
        "satisfaction_leaf_count": ("满意度末级指标个数", "satisfaction leaves"),
        "execution_leaf_count": (
            "预算执行类末级指标个数（归在预算执行下或按执行率计分）",
            "leaves on budget execution (filed under it, or scored as an execution rate)",
        ),
        "split": ("产出/效益/满意度/预算执行率 分值", "output/benefit/satisfaction/execution"),
        "split_is_national": ("是否为 50/30/10/10", "whether the split is 50/30/10/10"),
        "has_weights_note": ("是否说明了权重调整", "whether weights_note is given"),
        "has_goals": ("是否写明绩效目标", "whether goals are stated"),
        "goals_narrative_only": (
            "绩效目标是否只有文字、没有任何数字",
            "whether the goals are narrative with no figures",
        ),
        "total": ("复核计算的总分", "computed total"),
        "grade": ("等级", "grade"),
        "coverage": ("计分覆盖率（0–1）", "share of applicable weight scored"),
        "reported_total": ("单位自评总分", "total reported by the unit"),
        "reported_sum": ("单位自评各项得分之和", "sum of reported row scores"),
        "reported_count": ("给出自评得分的指标个数", "rows with a reported score"),
        "reported_gap": ("自评总分 − 复核总分", "reported total − computed total"),
        "total_row_gap": ("自评总分 − 自评各项之和", "reported total − sum of reported rows"),
        "all_reported_full": ("自评是否全部满分", "whether every reported row has full marks"),
        "compared_count": (
            "已填报自评得分且可计分的指标个数",
            "rows that carry a reported score and were scored",
        ),
        "compared_scope": (
            "比较的范围，如“已填报且可计分的 11 项”",
            "what was compared, e.g. the 11 rows reported and scored",
        ),
        "compared_scope_en": ("其英文表述", "the same in English"),
        "compared_reported": (
            "这些指标的自评得分合计（无逐项自评得分、且全部计分时为自评总分）",
            "their reported scores (the reported total when no row score is given and all scored)",
        ),
        "compared_computed": ("这些指标按评分标准的得分合计", "their scores by the rules"),
        "compared_gap": (
            "自评合计 − 复核合计（只比较同一范围）",
            "reported − computed over the same rows",
        ),
        "compared_gap_size": ("上述差额的绝对值", "size of that difference"),
        "uncompared_count": (
            "未纳入比较的适用指标个数（未填报或无法计分）",
            "applicable rows left out (not reported or not scored)",
        ),
        "uncompared_note": (
            "未纳入比较的指标及原因（无则为空）",
            "rows left out and why (empty when none)",
        ),
        "uncompared_note_en": ("其英文表述", "the same in English"),
        "missed_count": ("未达到目标的指标个数", "rows whose target was missed"),
        "missed_names": ("这些指标的名称", "their names"),
        "missed_names_en": ("其英文名称", "their English names"),
        "execution_rate": ("预算执行率（%）", "budget execution rate (%)"),
        "budget_initial": ("年初预算数", "initial budget"),
        "budget_adjusted": ("全年预算数", "adjusted budget"),
        "spent": ("全年执行数", "spent"),
        "overspend": (
            "全年执行数 − 全年预算数（正数为超预算支出）",
            "spent − adjusted budget (positive: above budget)",
        ),
        "carryover_start": ("年初结转和结余", "carry-over at the start"),
        "carryover_end": ("年末结转和结余", "carry-over at the end"),
        "income": ("本年收入", "income"),
        "expenditure": ("本年支出", "expenditure"),
        "identity_gap": (
            "年初结转结余 + 本年收入 − 本年支出 − 年末结转结余",
            "start + income − expenditure − end",
        ),
        "carryover_rate": ("结转结余率（%）= 年末结转结余 ÷ 本年支出", "carry-over ÷ spending (%)"),
        "carryover_change": ("结转结余变动率（%）", "change of carry-over (%)"),
        "adjustment_rate": ("预算调整率（%）=（全年 − 年初）÷ 年初", "budget adjustment (%)"),
        "procurement_planned": ("政府采购预算数", "planned government procurement"),
        "procurement_actual": ("实际政府采购金额", "government procurement made"),
        "procurement_rate": (
            "政府采购执行率（%）= 实际政府采购金额 ÷ 政府采购预算数",
            "procurement made ÷ planned (%)",
        ),
        "satisfaction_numeric": (
            "满意度是否有数值实际值（原表缺失该格时为空）",
            "whether satisfaction has a number (empty when the cell is missing from the source)",
        ),
        "sample_size": ("满意度调查样本数", "satisfaction survey sample size"),
        "has_sample_size": ("是否给出样本数", "whether a sample size is given"),
        "core_count": ("标为“核心”的指标个数", "rows tagged core"),
        "funds_requested": ("申请预算资金（funds_requested）", "funds requested"),
        "cost_estimate": (
            "成本指标的单位成本 × 数量目标之和（未写 quantity 时为空）",
            "Σ unit cost × quantity over the 成本 rows naming their quantity row",
        ),
        "cost_gap_share": (
            "|成本测算 − 申请资金| ÷ 申请资金",
            "|cost estimate − funds requested| ÷ funds requested",
        ),
        "cost_rows": ("参与成本测算的指标名称", "names of those 成本 rows"),
        "cost_rows_en": ("其英文名称", "their English names"),
    },
    "group": {
        "id": ("指标组 id", "group id"),
        "name": ("指标组名称", "group name"),
        "name_en": ("指标组英文名称（未写时为中文名称）", "English group name"),
        "depth": ("层级（一级为 1）", "depth (top level is 1)"),
        "is_first_level": ("是否一级指标", "whether it is top-level"),
        "leaf_count": ("下属末级指标个数", "leaves below it"),
        "weight": ("分值", "weight"),
        "role": ("类别：output/benefit/satisfaction/execution/management/other", "role"),
        "score": ("得分", "score"),
    },
    "indicator": {
        "id": ("指标 id", "indicator id"),
        "name": ("指标名称", "name"),
        "name_en": ("指标英文名称（未写时为中文名称）", "English name"),
        "kind": ("quantitative 或 qualitative", "kind"),
        "method": ("计分方法", "scoring method"),
        "direction": ("目标方向：≥、≤、=、range，无目标为空", "target direction"),
        "unit": ("单位（无则为空）", "unit"),
        "weight": ("分值", "weight"),
        "weight_share": ("分值占满分的比例", "weight ÷ scale"),
        "has_target": ("是否有数值目标", "whether a numeric target is set"),
        "target": ("目标值（区间为下限）", "target (lower bound of a range)"),
        "target_text": ("目标值原文", "target as written"),
        "direction_inferred": (
            "目标值未写比较符时方向的依据：cost（成本类，按 ≤）、time（时限类，按 ≤）、"
            "default（按 ≥）；写明比较符时为空",
            "why a target written without a comparison reads as it does: cost or time (≤), "
            "default (≥); empty when written",
        ),
        "vague_count": ("目标值中模糊措辞的个数", "vague words in the target"),
        "vague_words": ("匹配到的模糊措辞", "the vague words found"),
        "role": ("类别：output/benefit/…", "role"),
        "role_name": ("类别名称：产出/效益/满意度/预算执行/管理/其他", "role as a reader names it"),
        "role_name_en": ("类别英文名称", "role in English"),
        "name_role": (
            "名称字面所像的类别（含“满意”为 satisfaction，含“预算执行/资金执行”为 execution），"
            "与实际类别无关，无则为空",
            "the role the name reads like, independent of the row's role; empty if none",
        ),
        "name_role_name": ("其类别名称", "that role as a reader names it"),
        "name_role_name_en": ("其英文名称", "that role in English"),
        "dimension": ("产出维度：数量/质量/时效/成本", "output dimension"),
        "group": ("所属一级指标名称", "top-level group name"),
        "group_en": ("所属一级指标英文名称", "English top-level group name"),
        "target_shown": (
            "年度指标值；未写时预算执行率为 100%，其余为“未设定”",
            "the target as written, else the yardstick the row is scored against, else none",
        ),
        "target_shown_en": ("其英文表述", "the same in English"),
        "part_of_name": (
            "“其中”行所属指标的名称（不是“其中”行时为空）",
            "for a part row, the name of the row it is part of (else empty)",
        ),
        "part_of_name_en": ("其英文名称", "its English name"),
        "status": ("状态：ok/missing_input/not_applicable/error", "status"),
        "value": ("实际完成值", "actual value"),
        "actual_is_text": ("实际值是否为文字（数值行）", "whether a text actual was given"),
        "achievement": ("完成比例 A ÷ T", "A ÷ T"),
        "over_ratio": ("超额比例：≥ 时 A÷T−1，≤ 时 T÷A−1", "over-achievement ratio"),
        "score": ("得分", "computed score"),
        "met": ("是否达到目标", "whether the target was met"),
        "tier": ("定性档次：achieved/partly/not_achieved", "qualitative tier"),
        "tier_name": ("定性档次名称：达成/部分达成/未达成", "tier as auditors write it"),
        "tier_name_en": ("定性档次英文名称", "tier in English"),
        "band_low": ("定性档次区间的最低得分（分值 × 下限比例）", "lowest score of the tier band"),
        "band_high": ("定性档次区间的最高得分（分值 × 上限比例）", "highest score of the band"),
        "reported_score": ("单位自评得分", "score reported by the unit"),
        "reported_gap": ("自评得分 − 复核得分", "reported − computed"),
        "reported_in_band": ("自评得分是否在定性档次区间内", "reported score inside the tier band"),
        "score_gap": (
            "自评得分 − 按评分标准的得分，均四舍五入到 0.01（一致时为 0）",
            "reported − rule score, both to the cent (0 when they agree)",
        ),
        "score_gap_size": ("上述差异的绝对值", "size of that difference"),
        "score_gap_share": (
            "差异占分值的比例（分值为 0 时，有差异即为 1）",
            "size of the difference ÷ weight (1 on a 0-weight row that differs)",
        ),
        "looks_rounded": (
            "自评得分是否为规则得分取整或保留一位小数（四舍五入或截断）的结果",
            "whether the reported score is the rule's rounded or cut to 0 or 1 decimals",
        ),
        "has_reason": ("是否说明偏差原因", "whether a reason is given"),
        "last_year": ("上年实际完成值", "last year's actual"),
        "whole_full": (
            "“其中”行所属指标是否得满分（不是“其中”行时为空）",
            "for a part row, whether the row it is part of earned full marks",
        ),
        "basis": (
            "取值依据：历史标准/计划标准/行业标准/其他（未写为空）",
            "how the target was set",
        ),
        "basis_en": ("取值依据（英文标识）", "historical/planned/industry/other"),
        "basis_note": ("取值依据的说明", "the note on it"),
        "tags": ("标签：共性/个性/核心", "tags"),
        "is_core": ("是否核心指标", "whether the row is tagged core"),
    },
}
"""Every fact per scope, with its meaning in Chinese and English."""


class SetSize(TypedDict):
    """Set facts on its size and weights."""

    kind: str
    scale: Decimal
    leaf_count: Decimal
    first_level_count: Decimal
    max_leaf_share: Decimal | None
    max_leaf_name: str
    max_leaf_name_en: str
    qualitative_share: Decimal | None


class SetOutputs(TypedDict):
    """Set facts on its output indicators and its targets."""

    has_output: bool
    output_weight: Decimal
    output_soft_share: Decimal | None
    output_soft_names: str
    output_soft_names_en: str
    missing_dimensions: str
    missing_dimension_count: Decimal
    vague_count: Decimal
    vague_names: str
    vague_names_en: str
    untargeted_count: Decimal
    untargeted_names: str
    untargeted_names_en: str


class SetSplit(TypedDict):
    """Set facts on the weight split and the goals."""

    benefit_leaf_count: Decimal
    benefit_weight: Decimal
    satisfaction_leaf_count: Decimal
    execution_leaf_count: Decimal
    split: str
    split_is_national: bool
    has_weights_note: bool
    has_goals: bool
    goals_narrative_only: bool


class SetDeclared(TypedDict):
    """Set facts of the declaration review (取值依据 and cost against the funds requested)."""

    core_count: Decimal
    funds_requested: Decimal | None
    cost_estimate: Decimal | None
    cost_gap_share: Decimal | None
    cost_rows: str
    cost_rows_en: str


class SetStructure(SetSize, SetOutputs, SetSplit, SetDeclared):
    """Set facts known before the year ends (``kpi lint`` reads these)."""


class SetCompared(TypedDict):
    """Set facts comparing the unit's scores with the computed ones, like with like."""

    compared_count: Decimal
    compared_scope: str
    compared_scope_en: str
    compared_reported: Decimal | None
    compared_computed: Decimal | None
    compared_gap: Decimal | None
    compared_gap_size: Decimal | None
    uncompared_count: Decimal
    uncompared_note: str
    uncompared_note_en: str


class SetReported(SetCompared):
    """Set facts on the scores the unit reported for itself."""

    reported_total: Decimal | None
    reported_sum: Decimal | None
    reported_count: Decimal
    reported_gap: Decimal | None
    total_row_gap: Decimal | None
    all_reported_full: bool | None


class SetResults(SetReported):
    """Set facts that need an evaluation."""

    total: Decimal | None
    grade: str | None
    coverage: Decimal
    missed_count: Decimal
    missed_names: str
    missed_names_en: str
    execution_rate: Decimal | None
    budget_initial: Decimal | None
    budget_adjusted: Decimal | None
    spent: Decimal | None
    overspend: Decimal | None
    carryover_start: Decimal | None
    carryover_end: Decimal | None
    income: Decimal | None
    expenditure: Decimal | None
    identity_gap: Decimal | None
    carryover_rate: Decimal | None
    carryover_change: Decimal | None
    adjustment_rate: Decimal | None
    procurement_planned: Decimal | None
    procurement_actual: Decimal | None
    procurement_rate: Decimal | None
    satisfaction_numeric: bool | None
    sample_size: Decimal | None
    has_sample_size: bool


class GroupStructure(TypedDict):
    """Group facts known from the set."""

    id: str
    name: str
    name_en: str
    depth: Decimal
    is_first_level: bool
    leaf_count: Decimal
    weight: Decimal
    role: str


class GroupResults(TypedDict):
    """Group facts that need an evaluation."""

    score: Decimal | None


class IndicatorDeclared(TypedDict):
    """Indicator facts of the declaration review."""

    basis: str
    basis_en: str
    basis_note: str
    tags: str
    is_core: bool


class IndicatorStructure(IndicatorDeclared):
    """Indicator facts known from the set."""

    id: str
    name: str
    name_en: str
    kind: str
    method: str
    direction: str
    unit: str
    weight: Decimal
    weight_share: Decimal | None
    has_target: bool
    target: Decimal | None
    target_text: str
    direction_inferred: str
    vague_count: Decimal
    vague_words: str
    role: str
    role_name: str
    role_name_en: str
    name_role: str
    name_role_name: str
    name_role_name_en: str
    dimension: str
    group: str
    group_en: str
    target_shown: str
    target_shown_en: str
    part_of_name: str
    part_of_name_en: str


class IndicatorResults(TypedDict):
    """Indicator facts that need an evaluation."""

    status: str
    value: Decimal | None
    actual_is_text: bool
    achievement: Decimal | None
    over_ratio: Decimal | None
    score: Decimal | None
    met: bool | None
    tier: str
    tier_name: str
    tier_name_en: str
    band_low: Decimal | None
    band_high: Decimal | None
    reported_score: Decimal | None
    reported_gap: Decimal | None
    reported_in_band: bool | None
    score_gap: Decimal | None
    score_gap_size: Decimal | None
    score_gap_share: Decimal | None
    looks_rounded: bool | None
    has_reason: bool
    last_year: Decimal | None
    whole_full: bool | None


TYPED: dict[Scope, tuple[type, type]] = {
    "set": (SetStructure, SetResults),
    "group": (GroupStructure, GroupResults),
    "indicator": (IndicatorStructure, IndicatorResults),
}
"""Per scope, the typed records of its structural and its result facts."""

RESULT_FACTS: dict[Scope, frozenset[str]] = {
    scope: frozenset(results.__annotations__) for scope, (_, results) in TYPED.items()
}
"""Facts that need an evaluation; rules using any of them are skipped by ``kpi lint``."""


def _kind(hint: object) -> str:
    """A fact's type as the rule gates reason about it: num, bool, str (None aside) or any."""
    text = str(getattr(hint, "__forward_arg__", hint))
    parts = {part.strip() for part in text.split("|")} - {"None"}
    return (
        {"Decimal": "num", "bool": "bool", "str": "str"}.get(parts.pop(), "any")
        if len(parts) == 1
        else "any"
    )


FACT_KINDS: dict[Scope, dict[str, str]] = {
    scope: {
        name: _kind(hint) for record in records for name, hint in record.__annotations__.items()
    }
    for scope, records in TYPED.items()
}
"""Per scope, each fact's type (num, bool, str or any): a fact holds a value of that type or
None. Rule gates (:func:`kpi_engine.rulepacks.gate`) rely on it."""
