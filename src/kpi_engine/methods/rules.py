"""How each method scores, and how ``kpi explain`` inverts it: the functions the records in
:mod:`kpi_engine.methods` name, over the pure maths of :mod:`kpi_engine.scoring`."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from kpi_engine import scoring
from kpi_engine.display import show
from kpi_engine.errors import EvaluationError
from kpi_engine.functions import Value
from kpi_engine.methods.record import Needed, Reading, Scorer
from kpi_engine.models import Tier
from kpi_engine.scoring import TIER_BANDS, Outcome
from kpi_engine.targets import Op, Target

__all__ = [
    "between",
    "full_bands",
    "full_deduct",
    "full_equal",
    "full_equal_symmetric",
    "full_execution",
    "full_or_none",
    "full_qualitative",
    "full_reverse",
    "full_rubric",
    "full_target",
    "full_threshold",
    "invert_deduct",
    "invert_execution",
    "invert_range",
    "least",
    "most",
    "no_inverse",
    "none",
    "positive_target",
    "score_bands",
    "score_deduct",
    "score_execution",
    "score_formula",
    "score_qualitative",
    "score_range",
    "score_rubric",
    "score_threshold",
    "target_rule",
]

ZERO = Decimal(0)
HUNDRED = Decimal(100)

_STEP = Decimal("0.000001")


def least(value: Decimal) -> Needed:
    # Rounded up to 6 places, so that the figure as shown, fed back, still earns the score.
    return Needed("at_least", value.quantize(_STEP, rounding=ROUND_CEILING).normalize())


def most(value: Decimal) -> Needed:
    return Needed("at_most", value.quantize(_STEP, rounding=ROUND_FLOOR).normalize())


def between(low: Decimal, high: Decimal) -> Needed:
    return Needed(
        "between",
        low.quantize(_STEP, rounding=ROUND_CEILING).normalize(),
        high.quantize(_STEP, rounding=ROUND_FLOOR).normalize(),
    )


# --- scoring, per method


def _actual(reading: Reading) -> Decimal:
    assert reading.actual is not None, "quantitative methods are given an actual"
    return reading.actual


def _t(s: Scorer) -> Target:
    assert s.target is not None, "Scorer.score checks needs_target"
    return s.target


def target_rule(
    rule: Callable[[Decimal, Decimal, Decimal], Outcome],
) -> Callable[[Scorer, Reading], Outcome]:
    def score(s: Scorer, reading: Reading) -> Outcome:
        return rule(s.weight, _t(s).value, _actual(reading))

    return score


def _met(t: Target, a: Decimal) -> tuple[bool, str]:
    if t.op is Op.RANGE:
        assert t.high is not None
        return t.low <= a <= t.high, f"{show(t.low)} ≤ {show(a)} ≤ {show(t.high)}?"
    if t.op is Op.LE:
        return a <= t.value, f"{show(a)} ≤ {show(t.value)}?"
    if t.op is Op.EQ:
        return a == t.value, f"{show(a)} = {show(t.value)}?"
    return a >= t.value, f"{show(a)} ≥ {show(t.value)}?"


def score_threshold(s: Scorer, reading: Reading) -> Outcome:
    met, comparison = _met(_t(s), _actual(reading))
    return scoring.threshold(s.weight, met, comparison)


def score_range(s: Scorer, reading: Reading) -> Outcome:
    t = _t(s)
    assert t.high is not None
    return scoring.range_score(s.weight, t.low, t.high, _actual(reading))


def score_deduct(s: Scorer, reading: Reading) -> Outcome:
    t, d = _t(s), s.deduction
    assert d is not None
    return scoring.deduct(
        s.weight,
        t.op,
        t.value,
        t.high,
        _actual(reading),
        d.per,
        d.minus,
        d.partial,
    )


def score_bands(s: Scorer, reading: Reading) -> Outcome:
    return scoring.bands(s.weight, s.steps, _actual(reading))


def score_execution(s: Scorer, reading: Reading) -> Outcome:
    return scoring.execution_rate(s.weight, _actual(reading), s.over_budget)


def score_formula(s: Scorer, reading: Reading) -> Outcome:
    formula, run = s.score_formula, reading.run
    assert formula is not None
    assert run is not None
    names: dict[str, Value] = dict(reading.values or {})
    names |= {"A": _actual(reading), "T": s.target.value if s.target else None, "w": s.weight}
    result = run(formula, names)
    if not isinstance(result, Decimal):
        raise EvaluationError(
            "formula.not-a-number", "计分公式的结果不是数字", "the score formula is not a number"
        )
    calc = f"{formula.text} = {formula.substitute(names)} = {show(result)}"
    return scoring.custom(s.weight, result, calc)


def score_qualitative(s: Scorer, reading: Reading) -> Outcome:
    tier = reading.tier
    assert tier is not None, "evaluation reports a missing tier before scoring"
    return scoring.qualitative(s.weight, tier, reading.given, s.shares[tier], Tier(tier).label)


def score_rubric(s: Scorer, reading: Reading) -> Outcome:
    assert reading.met is not None, "evaluation reports missing points before scoring"
    return scoring.rubric(s.weight, s.rubric, reading.met)


# --- inversion, per method


def none(s: Scorer) -> Needed | None:
    return None


def no_inverse(s: Scorer, score: Decimal) -> Needed | None:
    return None


def full_or_none(s: Scorer, score: Decimal) -> Needed | None:
    return s.spec.full(s)


def _full_by_op(s: Scorer) -> Needed:
    t = _t(s)
    if t.op is Op.RANGE:
        assert t.high is not None
        return Needed("between", t.low, t.high)
    if t.op is Op.LE:
        return Needed("at_most", t.value)
    return Needed("at_least", t.value)


def full_target(s: Scorer) -> Needed | None:
    return None if s.target is None else _full_by_op(s)


def full_reverse(s: Scorer) -> Needed | None:
    return None if s.target is None else Needed("at_most", s.target.value)


def full_equal(s: Scorer) -> Needed | None:
    t = s.target
    if t is None:
        return None
    return Needed("at_most", ZERO) if t.value == 0 else Needed("at_least", t.value)


def full_equal_symmetric(s: Scorer) -> Needed | None:
    t = s.target
    if t is None:
        return None
    return Needed("exactly", t.value) if t.value else Needed("at_most", ZERO)


def full_threshold(s: Scorer) -> Needed | None:
    t = s.target
    if t is None:
        return None
    return Needed("exactly", t.value) if t.op is Op.EQ else _full_by_op(s)


def full_deduct(s: Scorer) -> Needed | None:
    t = s.target
    if t is None:
        return None
    if s.deduction is not None and s.deduction.partial == "floor":
        return invert_deduct(s, s.weight)  # a step not completed costs nothing
    return Needed("exactly", t.value) if t.op is Op.EQ else _full_by_op(s)  # any distance costs


def full_bands(s: Scorer) -> Needed | None:
    best = max(
        (step for step in s.steps if step.points >= s.weight),
        default=None,
        key=lambda step: step.points,
    )
    if best is None or best.low is None:
        return None
    return Needed("at_least", best.low)


def full_execution(s: Scorer) -> Needed:
    return Needed("exactly" if s.over_budget == "excess" else "at_least", HUNDRED)


def full_rubric(s: Scorer) -> Needed:
    return Needed("items", s.weight, items=tuple(name for name, _ in s.rubric))


def full_qualitative(s: Scorer) -> Needed:
    return Needed("tier", s.weight * TIER_BANDS["achieved"][1])


def positive_target(
    invert: Callable[[Scorer, Target, Decimal], Needed],
) -> Callable[[Scorer, Decimal], Needed | None]:
    """Rules that divide by T cannot be inverted for T ≤ 0: the full-marks figure stands."""

    def inverse(s: Scorer, score: Decimal) -> Needed | None:
        t = s.target
        if t is None or t.value <= 0:
            return s.spec.full(s)
        return invert(s, t, score / s.weight)

    return inverse


def invert_deduct(s: Scorer, score: Decimal) -> Needed | None:
    """The distance d from the target may be at most (w − score) ÷ minus steps: whole steps when
    a started step counts as one; under ``floor`` a step costs nothing until it is complete, so
    the distance may reach (but not touch) the next whole step."""
    t, d = s.target, s.deduction
    if t is None or d is None:
        return s.spec.full(s)
    steps = (s.weight - score) / d.minus
    if d.partial != "prorate":
        steps = steps.to_integral_value(rounding=ROUND_FLOOR)
    distance = steps * d.per
    if d.partial == "floor":
        distance += d.per - _STEP  # the next step is not complete until d reaches it
    if t.op is Op.GE:
        return least(t.value - distance)
    if t.op is Op.LE:
        return most(t.value + distance)
    high = t.high if t.op is Op.RANGE and t.high is not None else t.value
    return between(t.value - distance, high + distance)


def invert_execution(s: Scorer, score: Decimal) -> Needed:
    share = score / s.weight
    if s.over_budget == "excess":
        return between(share * HUNDRED, (2 - share) * HUNDRED)
    return least(share * HUNDRED)


def invert_range(s: Scorer, t: Target, share: Decimal) -> Needed:
    assert t.high is not None
    return between(t.low * share, t.high * (2 - share))
