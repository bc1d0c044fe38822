"""Facts: the names a rule's condition may use, computed for the set, each group and each leaf.

Structural facts come from the compiled set alone (so ``kpi lint`` can check a set before the
year starts); result facts need an evaluation. A fact that cannot be known (no actual, no
budget figure) is ``None``, and a rule whose condition needs it simply does not apply.
The full list, with meanings, is in docs/flags.md and :data:`FACTS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from kpi_engine.compiler import CompiledLeaf, CompiledSet
from kpi_engine.functions import Value, exact_sum
from kpi_engine.models import InputRole, Kind, NodeRole
from kpi_engine.results import Evaluation, IndicatorResult, Status
from kpi_engine.scoring import TIER_BANDS
from kpi_engine.targets import Op

__all__ = ["FACTS", "RESULT_FACTS", "Facts", "collect"]

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
        "split": ("产出/效益/满意度/预算执行率 分值", "output/benefit/satisfaction/execution"),
        "split_is_national": ("是否为 50/30/10/10", "whether the split is 50/30/10/10"),
        "has_weights_note": ("是否说明了权重调整", "whether weights_note is given"),
        "has_goals": ("是否写明绩效目标", "whether goals are stated"),
        "goals_narrative_only": (
            "绩效目标是否只有文字、没有任何数字",
            "whether the goals are narrative with no figures",
        ),
        # results
        "total": ("复核计算的总分", "computed total"),
        "grade": ("等级", "grade"),
        "coverage": ("计分覆盖率（0–1）", "share of applicable weight scored"),
        "reported_total": ("单位自评总分", "total reported by the unit"),
        "reported_sum": ("单位自评各项得分之和", "sum of reported row scores"),
        "reported_count": ("给出自评得分的指标个数", "rows with a reported score"),
        "reported_gap": ("自评总分 − 复核总分", "reported total − computed total"),
        "total_row_gap": ("自评总分 − 自评各项之和", "reported total − sum of reported rows"),
        "all_reported_full": ("自评是否全部满分", "whether every reported row has full marks"),
        "missed_count": ("未达到目标的指标个数", "rows whose target was missed"),
        "missed_names": ("这些指标的名称", "their names"),
        "missed_names_en": ("其英文名称", "their English names"),
        "execution_rate": ("预算执行率（%）", "budget execution rate (%)"),
        "budget_initial": ("年初预算数", "initial budget"),
        "budget_adjusted": ("全年预算数", "adjusted budget"),
        "spent": ("全年执行数", "spent"),
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
        "satisfaction_numeric": ("满意度是否有数值实际值", "whether satisfaction has a number"),
        "sample_size": ("满意度调查样本数", "satisfaction survey sample size"),
        "has_sample_size": ("是否给出样本数", "whether a sample size is given"),
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
        # results
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
        "vague_count": ("目标值中模糊措辞的个数", "vague words in the target"),
        "vague_words": ("匹配到的模糊措辞", "the vague words found"),
        "role": ("类别：output/benefit/…", "role"),
        "dimension": ("产出维度：数量/质量/时效/成本", "output dimension"),
        "group": ("所属一级指标名称", "top-level group name"),
        "group_en": ("所属一级指标英文名称", "English top-level group name"),
        # results
        "status": ("状态：ok/missing_input/not_applicable/error", "status"),
        "value": ("实际完成值", "actual value"),
        "actual_is_text": ("实际值是否为文字（数值行）", "whether a text actual was given"),
        "achievement": ("完成比例 A ÷ T", "A ÷ T"),
        "over_ratio": ("超额比例：≥ 时 A÷T−1，≤ 时 T÷A−1", "over-achievement ratio"),
        "score": ("得分", "computed score"),
        "met": ("是否达到目标", "whether the target was met"),
        "tier": ("定性档次", "qualitative tier"),
        "reported_score": ("单位自评得分", "score reported by the unit"),
        "reported_gap": ("自评得分 − 复核得分", "reported − computed"),
        "reported_in_band": ("自评得分是否在定性档次区间内", "reported score inside the tier band"),
        "has_reason": ("是否说明偏差原因", "whether a reason is given"),
        "last_year": ("上年实际完成值", "last year's actual"),
    },
}
"""Every fact per scope, with its meaning in Chinese and English."""

RESULT_FACTS: dict[Scope, frozenset[str]] = {
    "set": frozenset(
        list(FACTS["set"])[list(FACTS["set"]).index("total") :],
    ),
    "group": frozenset({"score"}),
    "indicator": frozenset(
        list(FACTS["indicator"])[list(FACTS["indicator"]).index("status") :],
    ),
}
"""Facts that need an evaluation; rules using any of them are skipped by ``kpi lint``."""

Row = dict[str, Value]


@dataclass(frozen=True, slots=True)
class Facts:
    """Facts for one rule pack's parameters: the set, each group and each leaf (tree order)."""

    set: Row
    groups: tuple[tuple[str, Row], ...]
    indicators: tuple[tuple[str, Row], ...]


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole if whole else None


def _names(items: Sequence[str]) -> str:
    return "、".join(items)


def _names_en(items: Iterable[tuple[str, str | None]]) -> str:
    """English names, each falling back to the Chinese one, as an English list."""
    return ", ".join(en or zh for zh, en in items)


def _pairs(nodes: Iterable[CompiledLeaf | IndicatorResult]) -> list[tuple[str, str | None]]:
    return [(node.name, node.name_en) for node in nodes]


def _vague(text: str | None, words: Sequence[str]) -> list[str]:
    return [w for w in words if text and w in text]


def _numeric_target(leaf: CompiledLeaf) -> bool:
    """A quantitative leaf measured against a number: its target, or its method's own scale."""
    return leaf.kind is Kind.QUANTITATIVE and (
        leaf.target is not None or leaf.scorer.spec.yardstick
    )


def _needs_target(leaf: CompiledLeaf) -> bool:
    """A leaf whose method compares with a target, but which has none."""
    return leaf.target is None and leaf.scorer.spec.needs_target


def _structure(compiled: CompiledSet, params: Mapping[str, object]) -> Facts:
    d = compiled.definition
    words = [str(w) for w in params.get("vague_terms", [])]  # type: ignore[attr-defined]
    required = [str(w) for w in params.get("required_dimensions", [])]  # type: ignore[attr-defined]
    leaves = compiled.leaves
    scale = compiled.scale
    weight = {leaf.id: leaf.weight for leaf in leaves}

    def role_weight(role: NodeRole) -> Decimal:
        return exact_sum(leaf.weight for leaf in leaves if leaf.role is role)

    outputs = [leaf for leaf in leaves if leaf.role is NodeRole.OUTPUT]
    soft = [leaf for leaf in outputs if not _numeric_target(leaf)]
    output_weight = role_weight(NodeRole.OUTPUT)
    present = {leaf.dimension for leaf in outputs if leaf.dimension}
    missing = [dim for dim in required if dim not in present]
    vague = [leaf for leaf in leaves if _vague(leaf.target_text, words)]
    untargeted = [leaf for leaf in leaves if leaf.kind is Kind.QUANTITATIVE and _needs_target(leaf)]
    heaviest = max(leaves, key=lambda leaf: leaf.weight)
    split = [role_weight(r) for r in (NodeRole.OUTPUT, NodeRole.BENEFIT, NodeRole.SATISFACTION)]
    split.append(role_weight(NodeRole.EXECUTION))
    set_row: Row = {
        "kind": d.kind or "",
        "scale": scale,
        "leaf_count": Decimal(len(leaves)),
        "first_level_count": Decimal(len(compiled.top)),
        "max_leaf_share": _share(heaviest.weight, scale),
        "max_leaf_name": heaviest.name,
        "max_leaf_name_en": heaviest.name_en or heaviest.name,
        "qualitative_share": _share(
            exact_sum(leaf.weight for leaf in leaves if leaf.kind is Kind.QUALITATIVE), scale
        ),
        "has_output": bool(outputs),
        "output_weight": output_weight,
        "output_soft_share": _share(exact_sum(leaf.weight for leaf in soft), output_weight)
        if output_weight
        else Decimal(0),
        "output_soft_names": _names([leaf.name for leaf in soft]),
        "output_soft_names_en": _names_en(_pairs(soft)),
        "missing_dimensions": _names(missing),
        "missing_dimension_count": Decimal(len(missing)),
        "vague_count": Decimal(len(vague)),
        "vague_names": _names([leaf.name for leaf in vague]),
        "vague_names_en": _names_en(_pairs(vague)),
        "untargeted_count": Decimal(len(untargeted)),
        "untargeted_names": _names([leaf.name for leaf in untargeted]),
        "untargeted_names_en": _names_en(_pairs(untargeted)),
        "benefit_leaf_count": Decimal(sum(1 for leaf in leaves if leaf.role is NodeRole.BENEFIT)),
        "benefit_weight": role_weight(NodeRole.BENEFIT),
        "satisfaction_leaf_count": Decimal(
            sum(1 for leaf in leaves if leaf.role is NodeRole.SATISFACTION)
        ),
        "split": "/".join(format(w.normalize(), "f") for w in split),
        "split_is_national": [w * 100 / scale for w in split] == [50, 30, 10, 10],
        "has_weights_note": bool(d.weights_note),
        "has_goals": bool(d.goals),
        "goals_narrative_only": bool(d.goals) and not any(ch.isdigit() for ch in d.goals or ""),
    }
    groups: list[tuple[str, Row]] = []
    for g in compiled.groups:
        below = [leaf for leaf in leaves if g.id in leaf.group_ids]
        groups.append(
            (
                g.id,
                {
                    "id": g.id,
                    "name": g.name,
                    "name_en": g.name_en or g.name,
                    "depth": Decimal(g.depth),
                    "is_first_level": g.depth == 1,
                    "leaf_count": Decimal(len(below)),
                    "weight": g.weight,
                    "role": g.role.value,
                },
            )
        )
    top_en = {g.id: g.name_en or g.name for g in compiled.groups if g.depth == 1}
    indicators: list[tuple[str, Row]] = []
    for leaf in leaves:
        target = leaf.target
        found = _vague(leaf.target_text, words)
        indicators.append(
            (
                leaf.id,
                {
                    "id": leaf.id,
                    "name": leaf.name,
                    "name_en": leaf.name_en or leaf.name,
                    "kind": leaf.kind.value,
                    "method": leaf.method.value,
                    "direction": target.op.value if target else "",
                    "unit": leaf.unit or "",
                    "weight": weight[leaf.id],
                    "weight_share": _share(leaf.weight, scale),
                    "has_target": target is not None,
                    "target": target.value if target else None,
                    "target_text": leaf.target_text or "",
                    "vague_count": Decimal(len(found)),
                    "vague_words": _names(found),
                    "role": leaf.role.value,
                    "dimension": leaf.dimension or "",
                    "group": leaf.path[0] if leaf.path else leaf.name,
                    "group_en": top_en.get(leaf.group_ids[0], leaf.path[0])
                    if leaf.group_ids
                    else leaf.name_en or leaf.name,
                },
            )
        )
    return Facts(set_row, tuple(groups), tuple(indicators))


def _safe(compute: Callable[[], Decimal]) -> Decimal | None:
    """A derived fact, or None when the figures are beyond what Decimal can compute."""
    try:
        return compute()
    except ArithmeticError:
        return None


def _over_ratio(r: IndicatorResult) -> Decimal | None:
    t, a = r.target, r.value
    if r.status is not Status.OK or t is None or a is None:
        return None
    if t.op is Op.GE and t.value > 0:
        return _safe(lambda: a / t.value - 1)
    if t.op is Op.LE and a > 0:
        return _safe(lambda: t.value / a - 1)
    return None


def _in_band(r: IndicatorResult) -> bool | None:
    if r.kind != Kind.QUALITATIVE.value or r.tier is None or r.reported_score is None:
        return None
    low, high, inclusive = TIER_BANDS[r.tier]
    lo, hi = r.weight * low, r.weight * high
    return lo <= r.reported_score <= hi if inclusive else lo <= r.reported_score < hi


def _results(facts: Facts, compiled: CompiledSet, e: Evaluation) -> Facts:
    by_id = {r.id: r for r in e.indicators}
    value = e.values.get
    roles = {role: value(name) for role, name in compiled.roles.items()}

    def role(r: InputRole) -> Decimal | None:
        return roles.get(r)

    reported = [r for r in e.indicators if r.reported_score is not None]
    reported_sum = exact_sum(r.reported_score for r in reported if r.reported_score is not None)
    missed = [r for r in e.indicators if r.status is Status.OK and r.met is False]
    execution = next(
        (
            r
            for leaf, r in zip(compiled.leaves, e.indicators, strict=True)
            if leaf.scorer.spec.execution and r.status is Status.OK
        ),
        None,
    )
    execution_rate = execution.value if execution else None
    spent, adjusted = role(InputRole.SPENT), role(InputRole.BUDGET_ADJUSTED)
    if execution_rate is None and spent is not None and adjusted:
        execution_rate = _safe(lambda: spent / adjusted * 100)
    start, end = role(InputRole.CARRYOVER_START), role(InputRole.CARRYOVER_END)
    income, expenditure = role(InputRole.INCOME), role(InputRole.EXPENDITURE)
    initial = role(InputRole.BUDGET_INITIAL)
    sample = role(InputRole.SAMPLE_SIZE)
    parts = (start, income, expenditure, end)
    overall = e.reported_total if e.reported_total is not None else None
    if overall is None and reported and len(reported) == len(e.indicators):
        overall = reported_sum
    role_of = {leaf.id: leaf.role for leaf in compiled.leaves}
    satisfaction = [r for r in e.indicators if role_of[r.id] is NodeRole.SATISFACTION]
    set_row = dict(facts.set)
    set_row |= {
        "total": e.total,
        "grade": e.grade.label if e.grade else None,
        "coverage": e.coverage,
        "reported_total": e.reported_total,
        "reported_sum": reported_sum if reported else None,
        "reported_count": Decimal(len(reported)),
        "reported_gap": _safe(lambda: overall - e.total)  # type: ignore[operator]
        if overall is not None and e.total is not None
        else None,
        "total_row_gap": e.reported_total - reported_sum
        if e.reported_total is not None and reported
        else None,
        "all_reported_full": all(r.reported_score == r.weight for r in reported)
        if reported
        else None,
        "missed_count": Decimal(len(missed)),
        "missed_names": _names([r.name for r in missed]),
        "missed_names_en": _names_en(_pairs(missed)),
        "execution_rate": execution_rate,
        "budget_initial": initial,
        "budget_adjusted": adjusted,
        "spent": spent,
        "carryover_start": start,
        "carryover_end": end,
        "income": income,
        "expenditure": expenditure,
        "identity_gap": _safe(lambda: start + income - expenditure - end)  # type: ignore[operator]
        if all(p is not None for p in parts)
        else None,
        "carryover_rate": _safe(lambda: end / expenditure * 100)
        if end is not None and expenditure
        else None,
        "carryover_change": _safe(lambda: (end - start) / start * 100)
        if end is not None and start
        else None,
        "adjustment_rate": _safe(lambda: (adjusted - initial) / initial * 100)
        if adjusted is not None and initial
        else None,
        "satisfaction_numeric": any(
            r.status is Status.OK and r.value is not None for r in satisfaction
        ),
        "sample_size": sample,
        "has_sample_size": sample is not None and sample > 0,
    }
    group_scores = {g.id: g.score for g in e.groups}
    groups = tuple((gid, row | {"score": group_scores.get(gid)}) for gid, row in facts.groups)
    indicators: list[tuple[str, Row]] = []
    for leaf_id, row in facts.indicators:
        r = by_id[leaf_id]
        indicators.append(
            (
                leaf_id,
                row
                | {
                    "status": r.status.value,
                    "value": r.value,
                    "actual_is_text": r.actual_text is not None,
                    "achievement": r.achievement,
                    "over_ratio": _over_ratio(r),
                    "score": r.score,
                    "met": r.met,
                    "tier": r.tier or "",
                    "reported_score": r.reported_score,
                    "reported_gap": r.reported_score - r.score
                    if r.reported_score is not None and r.score is not None
                    else None,
                    "reported_in_band": _in_band(r),
                    "has_reason": bool(r.reason and r.reason.strip()),
                    "last_year": r.last_year,
                },
            )
        )
    return Facts(set_row, groups, tuple(indicators))


def collect(
    compiled: CompiledSet,
    params: Mapping[str, object],
    evaluation: Evaluation | None = None,
    structure: Facts | None = None,
) -> Facts:
    """Facts for the set, its groups and its leaves; result facts only with an evaluation.

    ``structure`` is this set's structural facts for these params, if already worked out: they do
    not change from one evaluation to the next, so an engine computes them once.
    """
    facts = structure if structure is not None else _structure(compiled, params)
    return facts if evaluation is None else _results(facts, compiled, evaluation)
