"""Result facts: what an evaluation adds to the structural facts — the total and the unit's own
scores, the budget figures by their roles, and each leaf's outcome."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import cast

from kpi_engine.compiler import CompiledSet
from kpi_engine.facts.catalogue import (
    IndicatorResults,
    Row,
    SetCompared,
    SetReported,
    SetResults,
)
from kpi_engine.facts.structure import names, names_en, pairs
from kpi_engine.functions import exact_sum, quantize_half_up
from kpi_engine.models import InputRole, Kind, NodeRole, Tier
from kpi_engine.results import Evaluation, IndicatorResult, Status
from kpi_engine.scoring import TIER_BANDS, in_tier_band
from kpi_engine.targets import Op

__all__ = ["indicator_results", "results", "set_results"]


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
    return in_tier_band(r.weight, r.tier, r.reported_score)


def _band(r: IndicatorResult) -> tuple[Decimal | None, Decimal | None]:
    """The score band of a qualitative row's tier (lowest, highest score), else (None, None)."""
    if r.kind != Kind.QUALITATIVE.value or r.tier is None:
        return None, None
    low, high, _ = TIER_BANDS[r.tier]
    return r.weight * low, r.weight * high


def _score_gap(r: IndicatorResult) -> Decimal | None:
    """Reported − the rule's score, both to the cent (四舍五入): 0 exactly when they agree to the
    cent, and at least 0.01 in size whenever they differ by 0.01 or more."""
    score, reported = r.score, r.reported_score
    if r.status is not Status.OK or score is None or reported is None:
        return None
    return _safe(lambda: quantize_half_up(reported, 2) - quantize_half_up(score, 2))


def _gap_share(gap: Decimal | None, weight: Decimal) -> Decimal | None:
    """|gap| ÷ the row's weight; on a row of weight 0 any departure is the whole row (1)."""
    if gap is None:
        return None
    if not weight:
        return Decimal(1) if gap else Decimal(0)
    return _safe(lambda: abs(gap) / weight)


def _looks_rounded(r: IndicatorResult, gap: Decimal | None) -> bool | None:
    """Whether a departing reported score is the rule's score rounded or cut to a whole number
    or to one decimal (9 for 8.62, 9 for 9.8, 8.6 for 8.62)."""
    if not gap or r.score is None or r.reported_score is None:
        return None if gap is None else False
    score, reported = r.score, r.reported_score
    for places in (0, 1):
        step = Decimal(1).scaleb(-places)
        if reported in (quantize_half_up(score, places), score.quantize(step, ROUND_DOWN)):
            return True
    return False


def _difference(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else _safe(lambda: a - b)


def _ratio_percent(
    part: Decimal | None, whole: Decimal | None, base: Decimal | None = None
) -> Decimal | None:
    """(part − base) ÷ whole × 100, or None when a figure is missing or the whole is 0."""
    if part is None or not whole:
        return None
    return _safe(lambda: (part - (base or 0)) / whole * 100)


def _execution_rate(
    compiled: CompiledSet, e: Evaluation, spent: Decimal | None, adjusted: Decimal | None
) -> Decimal | None:
    """The rate of the row whose method scores execution, else spent ÷ adjusted budget."""
    for leaf, r in zip(compiled.leaves, e.indicators, strict=True):
        if leaf.scorer.spec.execution and r.status is Status.OK:
            return r.value
    return _ratio_percent(spent, adjusted)


_LEFT_OUT = {
    "unreported": ("未填报自评得分", "no reported score"),
    Status.MISSING_INPUT: ("缺少数据、未计分", "not scored: missing data"),
    Status.ERROR: ("数据有误、未计分", "not scored: bad data"),
    Status.NOT_APPLICABLE: ("不适用", "not applicable"),
}


def _left_out_note(left_out: Sequence[tuple[IndicatorResult, str | Status]]) -> tuple[str, str]:
    """ "；未纳入比较的 2 项：甲（未填报自评得分）、乙（不适用）", or "" when none was left out."""
    if not left_out:
        return "", ""
    zh = names([f"{r.name}（{_LEFT_OUT[why][0]}）" for r, why in left_out])
    en = names_en([(f"{r.name_en or r.name} ({_LEFT_OUT[why][1]})", None) for r, why in left_out])
    n = len(left_out)
    return f"；未纳入比较的 {n} 项：{zh}", f"; {n} row(s) not compared: {en}"


def _compared(e: Evaluation) -> SetCompared:
    """The unit's scores against the computed ones, like with like: only rows that carry a
    reported score and that the engine could score; without any reported row score, the reported
    total against the computed total when every applicable row was scored."""
    rows = [r for r in e.indicators if r.status is not Status.NOT_APPLICABLE]
    both = [
        r
        for r in rows
        if r.reported_score is not None and r.status is Status.OK and r.score is not None
    ]
    left_out: list[tuple[IndicatorResult, str | Status]] = [
        (r, r.status if r.status is not Status.OK else "unreported") for r in rows if r not in both
    ]
    reported: Decimal | None
    computed: Decimal | None
    if both:
        reported = exact_sum(r.reported_score for r in both if r.reported_score is not None)
        computed = exact_sum(r.score for r in both if r.score is not None)
        scope = f"已填报且可计分的 {len(both)} 项", f"the {len(both)} row(s) reported and scored"
    elif e.reported_total is not None and e.coverage == 1 and e.total is not None:
        reported, computed, left_out = e.reported_total, e.total, []
        scope = f"全部 {len(rows)} 项（自评总分）", f"all {len(rows)} rows (the reported total)"
    else:
        reported = computed = None
        scope = "", ""
    gap = _difference(reported, computed)
    note, note_en = _left_out_note(left_out) if reported is not None else ("", "")
    return {
        "compared_count": Decimal(len(both)),
        "compared_scope": scope[0],
        "compared_scope_en": scope[1],
        "compared_reported": reported,
        "compared_computed": computed,
        "compared_gap": gap,
        "compared_gap_size": None if gap is None else abs(gap),
        "uncompared_count": Decimal(len(left_out)),
        "uncompared_note": note,
        "uncompared_note_en": note_en,
    }


def _reported(e: Evaluation) -> SetReported:
    """The unit's own scores against the computed ones."""
    reported = [r for r in e.indicators if r.reported_score is not None]
    reported_sum = exact_sum(r.reported_score for r in reported if r.reported_score is not None)
    overall = e.reported_total
    if overall is None and reported and len(reported) == len(e.indicators):
        overall = reported_sum
    return {
        "reported_total": e.reported_total,
        "reported_sum": reported_sum if reported else None,
        "reported_count": Decimal(len(reported)),
        "reported_gap": _difference(overall, e.total),
        "total_row_gap": _difference(e.reported_total, reported_sum if reported else None),
        "all_reported_full": all(r.reported_score == r.weight for r in reported)
        if reported
        else None,
        **_compared(e),
    }


def _satisfaction_numeric(rows: Sequence[IndicatorResult]) -> bool | None:
    """Whether a satisfaction row has a number; unknown (None: the check does not apply) when
    the only rows without one are cells missing from the source — a transcription gap is not the
    unit's missing survey."""
    if any(r.status is Status.OK and r.value is not None for r in rows):
        return True
    if any(r.problem_code == "actual.not-in-source" for r in rows):
        return None
    return False


def set_results(compiled: CompiledSet, e: Evaluation) -> SetResults:
    """The set's result facts."""
    roles = {role: e.values.get(name) for role, name in compiled.roles.items()}
    start, end = roles.get(InputRole.CARRYOVER_START), roles.get(InputRole.CARRYOVER_END)
    income, expenditure = roles.get(InputRole.INCOME), roles.get(InputRole.EXPENDITURE)
    spent, adjusted = roles.get(InputRole.SPENT), roles.get(InputRole.BUDGET_ADJUSTED)
    initial, sample = roles.get(InputRole.BUDGET_INITIAL), roles.get(InputRole.SAMPLE_SIZE)
    planned = roles.get(InputRole.PROCUREMENT_PLANNED)
    procured = roles.get(InputRole.PROCUREMENT_ACTUAL)
    missed = [r for r in e.indicators if r.status is Status.OK and r.met is False]
    satisfaction = [
        r
        for leaf, r in zip(compiled.leaves, e.indicators, strict=True)
        if leaf.role is NodeRole.SATISFACTION
    ]
    identity = None
    if start is not None and income is not None and expenditure is not None and end is not None:
        identity = _safe(lambda: start + income - expenditure - end)
    facts: SetResults = {
        **_reported(e),
        "total": e.total,
        "grade": e.grade.label if e.grade else None,
        "coverage": e.coverage,
        "missed_count": Decimal(len(missed)),
        "missed_names": names([r.name for r in missed]),
        "missed_names_en": names_en(pairs(missed)),
        "execution_rate": _execution_rate(compiled, e, spent, adjusted),
        "budget_initial": initial,
        "budget_adjusted": adjusted,
        "spent": spent,
        "overspend": _difference(spent, adjusted),
        "carryover_start": start,
        "carryover_end": end,
        "income": income,
        "expenditure": expenditure,
        "identity_gap": identity,
        "carryover_rate": _ratio_percent(end, expenditure),
        "carryover_change": _ratio_percent(end, start, start),
        "adjustment_rate": _ratio_percent(adjusted, initial, initial),
        "procurement_planned": planned,
        "procurement_actual": procured,
        "procurement_rate": _ratio_percent(procured, planned),
        "satisfaction_numeric": _satisfaction_numeric(satisfaction),
        "sample_size": sample,
        "has_sample_size": sample is not None and sample > 0,
    }
    return facts


_OK = Status.OK
_QUANTITATIVE = Kind.QUANTITATIVE.value


def indicator_results(r: IndicatorResult, whole: IndicatorResult | None = None) -> IndicatorResults:
    """One leaf's result facts (``whole``: for a "其中" row, the row it is part of)."""
    if r.reported_score is None and not r.tier and whole is None:
        # A unit that does not score itself (the common case of a batch): what each function
        # below answers without a reported score, a tier or a whole, in the same key order.
        facts: IndicatorResults = {
            "status": r.status.value,
            "value": r.value,
            "actual_is_text": r.actual_text is not None and r.kind == _QUANTITATIVE,
            "achievement": r.achievement,
            "over_ratio": _over_ratio(r),
            "score": r.score,
            "met": r.met,
            "tier": "",
            "tier_name": "",
            "tier_name_en": "",
            "band_low": None,
            "band_high": None,
            "reported_score": None,
            "reported_gap": None,
            "reported_in_band": None,
            "score_gap": None,
            "score_gap_size": None,
            "score_gap_share": None,
            "looks_rounded": None,
            "has_reason": bool(r.reason and r.reason.strip()),
            "last_year": r.last_year,
            "whole_full": None,
        }
        return facts
    return _indicator_results(r, whole)


def _indicator_results(r: IndicatorResult, whole: IndicatorResult | None) -> IndicatorResults:
    gap = _score_gap(r)
    band_low, band_high = _band(r)
    tier = Tier(r.tier) if r.tier else None
    return {
        "status": r.status.value,
        "value": r.value,
        "actual_is_text": r.actual_text is not None and r.kind == Kind.QUANTITATIVE.value,
        "achievement": r.achievement,
        "over_ratio": _over_ratio(r),
        "score": r.score,
        "met": r.met,
        "tier": r.tier or "",
        "tier_name": tier.label if tier else "",
        "tier_name_en": tier.value.replace("_", " ") if tier else "",
        "band_low": band_low,
        "band_high": band_high,
        "reported_score": r.reported_score,
        "reported_gap": _difference(r.reported_score, r.score),
        "reported_in_band": _in_band(r),
        "score_gap": gap,
        "score_gap_size": None if gap is None else abs(gap),
        "score_gap_share": _gap_share(gap, r.weight),
        "looks_rounded": _looks_rounded(r, gap),
        "has_reason": bool(r.reason and r.reason.strip()),
        "last_year": r.last_year,
        "whole_full": None
        if whole is None or whole.score is None
        else whole.score >= whole.weight and whole.status is Status.OK,
    }


def results(
    set_row: Row,
    groups: Sequence[tuple[str, Row]],
    indicators: Sequence[tuple[str, Row]],
    compiled: CompiledSet,
    e: Evaluation,
) -> tuple[Row, tuple[tuple[str, Row], ...], tuple[tuple[str, Row], ...]]:
    """The structural rows with the evaluation's facts added."""
    by_id = {r.id: r for r in e.indicators}
    scores = {g.id: g.score for g in e.groups}
    return (
        set_row | cast(Row, set_results(compiled, e)),
        tuple((gid, row | {"score": scores.get(gid)}) for gid, row in groups),
        tuple(
            (lid, row | cast(Row, indicator_results(r, by_id.get(r.part_of or ""))))
            for lid, row in indicators
            for r in (by_id[lid],)
        ),
    )
