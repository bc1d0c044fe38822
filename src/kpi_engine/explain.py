"""Explain one score step by step, and work out what actual would have changed it.

"Needed for full marks" inverts the scoring rule: the least (or most) actual that earns the weight.
"Needed for the next grade" finds the score this indicator would have to reach for the total to
cross the next grade's minimum, if that is possible by this indicator alone, and inverts the rule
for it. Both are checked by feeding the figure back into the engine (tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from kpi_engine.compiler import CompiledLeaf
from kpi_engine.display import fixed, show, show_figures, with_unit
from kpi_engine.errors import Lang
from kpi_engine.grading import Grade
from kpi_engine.models import Method
from kpi_engine.results import Evaluation, IndicatorResult, Status
from kpi_engine.scoring import TIER_BANDS
from kpi_engine.targets import Op, Target

__all__ = ["Needed", "explain_text", "needed_for_full", "needed_for_score", "next_grade"]


@dataclass(frozen=True, slots=True)
class Needed:
    """An actual that earns a score: ``at_least``, ``at_most``, ``exactly`` or ``between``."""

    kind: str
    value: Decimal
    high: Decimal | None = None

    def text(self, unit: str | None, lang: Lang) -> str:
        """As a reader writes it, e.g. ``≥ 500 人``."""
        if self.kind == "between":
            assert self.high is not None
            return with_unit(f"[{show(self.value)}, {show(self.high)}]", unit)
        symbol = {"at_least": "≥", "at_most": "≤", "exactly": "="}[self.kind]
        return with_unit(f"{symbol} {show(self.value)}", unit)


def needed_for_full(leaf: CompiledLeaf) -> Needed | None:
    """The actual that earns full marks under the leaf's rule (None for custom formulas)."""
    t, m = leaf.target, leaf.method
    if m is Method.EXECUTION_RATE:
        return Needed("at_least", Decimal(100))
    if m is Method.BANDS:
        best = max(
            (s for s in leaf.steps if s.points >= leaf.weight), default=None, key=lambda s: s.points
        )
        if best is None or best.low is None:
            return None
        return Needed("at_least", best.low)
    if t is None or m in (Method.FORMULA, Method.QUALITATIVE):
        return None
    if t.op is Op.RANGE:
        assert t.high is not None
        return Needed("between", t.low, t.high)
    if m is Method.EQUAL_SYMMETRIC:
        return Needed("exactly", t.value) if t.value else Needed("at_most", Decimal(0))
    if m is Method.DEDUCT and t.op is Op.EQ:
        return Needed("exactly", t.value)  # any distance from T costs points
    if m in (Method.REVERSE_LINEAR, Method.REVERSE_RATIO) or t.op is Op.LE:
        return Needed("at_most", t.value)
    if m is Method.EQUAL and t.value == 0:
        return Needed("at_most", Decimal(0))
    if m is Method.THRESHOLD and t.op is Op.EQ:
        return Needed("exactly", t.value)
    return Needed("at_least", t.value)


_STEP = Decimal("0.000001")


def _least(value: Decimal) -> Needed:
    # Rounded up to 6 places, so that the figure as shown, fed back, still earns the score.
    return Needed("at_least", value.quantize(_STEP, rounding=ROUND_CEILING).normalize())


def _most(value: Decimal) -> Needed:
    return Needed("at_most", value.quantize(_STEP, rounding=ROUND_FLOOR).normalize())


def _between(low: Decimal, high: Decimal) -> Needed:
    return Needed(
        "between",
        low.quantize(_STEP, rounding=ROUND_CEILING).normalize(),
        high.quantize(_STEP, rounding=ROUND_FLOOR).normalize(),
    )


def needed_for_score(leaf: CompiledLeaf, score: Decimal) -> Needed | None:
    """The actual that earns at least ``score`` (0 < score < w) under the leaf's rule, if the rule
    can be inverted; full-marks rules (threshold, bands) need the full-marks actual."""
    w, t, m = leaf.weight, leaf.target, leaf.method
    if score >= w or m in (Method.THRESHOLD, Method.BANDS):
        return needed_for_full(leaf)
    share = score / w
    if m is Method.EXECUTION_RATE:
        return _least(share * 100)
    if m is Method.DEDUCT and t is not None and leaf.deduction is not None:
        return _within_deductions(leaf, t, score)
    if t is None or m in (Method.FORMULA, Method.QUALITATIVE) or t.value <= 0:
        return needed_for_full(leaf)
    if m in (Method.PROPORTIONAL, Method.EQUAL):
        return _least(share * t.value)
    if m is Method.REVERSE_LINEAR:
        return _most(t.value * (2 - share))
    if m is Method.REVERSE_RATIO:
        return _most(t.value / share)
    if m is Method.EQUAL_SYMMETRIC:
        return _between(t.value * share, t.value * (2 - share))
    if m is Method.RANGE and t.high is not None:
        return _between(t.low * share, t.high * (2 - share))
    return needed_for_full(leaf)  # pragma: no cover - every method is handled above


def _within_deductions(leaf: CompiledLeaf, t: Target, score: Decimal) -> Needed:
    """The actuals whose deductions leave at least ``score``: the distance d from the target may
    be at most (w − score) ÷ minus steps — whole steps when a started step counts as one."""
    d = leaf.deduction
    assert d is not None
    steps = (leaf.weight - score) / d.minus
    if d.partial == "count":
        steps = steps.to_integral_value(rounding=ROUND_FLOOR)
    distance = steps * d.per
    if t.op is Op.GE:
        return _least(t.value - distance)
    if t.op is Op.LE:
        return _most(t.value + distance)
    high = t.high if t.op is Op.RANGE and t.high is not None else t.value
    return _between(t.value - distance, high + distance)


def next_grade(evaluation: Evaluation, grades: tuple[Grade, ...]) -> Grade | None:
    """The grade above the evaluation's, if any."""
    if evaluation.grade is None:
        return None
    index = [g.label for g in grades].index(evaluation.grade.label)
    return grades[index - 1] if index > 0 else None


def _score_for_next_grade(
    evaluation: Evaluation, result: IndicatorResult, grades: tuple[Grade, ...]
) -> tuple[Grade, Decimal] | None:
    upper = next_grade(evaluation, grades)
    if upper is None or evaluation.total is None or result.score is None:
        return None
    applicable = sum((r.applicable_weight for r in evaluation.indicators), Decimal(0))
    # The total is Σs × scale ÷ applicable; the grade needs total ÷ scale × 100 ≥ upper.min.
    needed_sum = upper.min * applicable / 100
    current_sum = evaluation.total * applicable / evaluation.scale
    gain = needed_sum - current_sum
    score = result.score + gain
    if gain <= 0 or score > result.weight:
        return None
    return upper, score


def _path(evaluation: Evaluation, r: IndicatorResult, lang: Lang) -> list[str]:
    """The groups above ``r``, named in ``lang`` (English names where the set gives them)."""
    if lang == "zh":
        return list(r.path)
    groups = {g.id: g for g in evaluation.groups}
    return [
        (groups[gid].name_en or name) if gid in groups else name
        for gid, name in zip(r.group_ids, r.path, strict=False)
    ]


def explain_text(
    evaluation: Evaluation,
    leaf: CompiledLeaf,
    grades: tuple[Grade, ...],
    lang: Lang = "zh",
) -> str:
    """The step-by-step explanation of one indicator's score, as text."""
    r = evaluation.indicator(leaf.id)
    e = r.explanation

    def t(zh: str, en: str) -> str:
        return zh if lang == "zh" else en

    places = evaluation.places
    name = r.name if lang == "zh" or not r.name_en else r.name_en
    lines = [f"{name}（{r.id}）" if lang == "zh" else f"{name} ({r.id})"]
    if r.path:
        lines.append(t("所属：", "In: ") + " / ".join(_path(evaluation, r, lang)))
    lines.append(
        t("分值 ", "Weight ")
        + show(r.weight)
        + t("；年度指标值 ", "; target ")
        + (r.target_text or "—")
    )
    step = 1
    for used in e.used:
        label = used.label_in(lang)
        why = used.problem_in(lang)
        value = with_unit(show(used.value), used.unit) if used.value is not None else "—"
        if why:
            value += f"（{why}）" if lang == "zh" else f" ({why})"
        how = f" = {used.formula} = {show_figures(used.substituted or '')}" if used.formula else ""
        lines.append(f"{step}. {label} ({used.name}){how} → {value}")
        step += 1
    if e.value_formula:
        lines.append(f"{step}. A = {e.value_formula} = {show_figures(e.value_substituted or '')}")
        step += 1
    if r.status is not Status.OK:
        lines.append(
            f"{step}. "
            + t("未计分：", "Not scored: ")
            + ((r.problem if lang == "zh" else r.problem_en) or "")
        )
        return "\n".join(lines) + "\n"
    lines.append(f"{step}. " + t("计分规则：", "Rule: ") + show_figures(e.rule(lang)))
    lines.append(f"{step + 1}. " + show_figures(e.calculation))
    score = fixed(r.score or Decimal(0), places)
    lines.append(t("得分：", "Score: ") + f"{score} / {show(r.weight)}")
    if r.score is not None and r.score < r.weight:
        full = needed_for_full(leaf)
        if leaf.method is Method.QUALITATIVE:
            band = TIER_BANDS["achieved"]
            lines.append(
                t("满分需要：评为“达成”且给分 ", "Full marks need: tier achieved with score ")
                + show(r.weight * band[1])
            )
        elif full is not None:
            lines.append(
                t("满分需要实际值 ", "Full marks need an actual ") + full.text(r.unit, lang)
            )
        upgrade = _score_for_next_grade(evaluation, r, grades)
        if upgrade is not None:
            grade, needed = upgrade
            figure = needed_for_score(leaf, needed)
            label = grade.label if lang == "zh" else grade.label_en
            if figure is not None:
                need = figure.text(r.unit, lang)
                lines.append(
                    t(
                        f"总分升到“{label}”（其他指标不变）需本项得分 ≥ {show(needed)}，"
                        f"即实际值 {need}",
                        f"For the total to reach {label} (others unchanged) this needs a score "
                        f"≥ {show(needed)}, i.e. an actual {need}",
                    )
                )
    return "\n".join(lines) + "\n"
