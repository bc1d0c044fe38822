"""Scoring maths: worked examples per method and the invariants every method keeps."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kpi_engine import EvaluationError, scoring
from kpi_engine.display import show
from kpi_engine.scoring import Step
from kpi_engine.targets import Op

from .strategies import amounts, positive_amounts, signed_amounts, weights


def test_proportional_scores_share_of_target_below_it() -> None:
    """≥: 95 of 100 on weight 10 earns 9.5 and says how."""
    out = scoring.proportional(D(10), D(100), D(95))
    assert out.score == D("9.5")
    assert not out.met
    assert out.calculation == "95 < 100 → s = 10 × 95 ÷ 100 = 9.5"


def test_proportional_caps_over_achievement_at_the_weight() -> None:
    """≥: exceeding the target never earns more than the weight."""
    out = scoring.proportional(D(10), D(100), D(250))
    assert out.score == D(10)
    assert out.met
    assert out.achievement == D("2.5")


def test_proportional_never_goes_below_zero_for_negative_actuals() -> None:
    """≥: a negative actual scores 0, not a negative number."""
    assert scoring.proportional(D(10), D(100), D(-5)).score == 0


@pytest.mark.parametrize("target", [D(0), D(-1)])
def test_proportional_rejects_targets_that_are_not_positive(target: D) -> None:
    """≥: dividing by a zero or negative target is an evaluation error, not a crash."""
    with pytest.raises(EvaluationError) as info:
        scoring.proportional(D(10), target, D(5))
    assert info.value.code == "score.target-not-positive"


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(D(20), D(5)), (D(23), D("4.25")), (D(40), D(0)), (D(55), D(0)), (D(0), D(5))],
)
def test_reverse_linear_follows_the_domain_formula(actual: D, expected: D) -> None:
    """≤ linear: w if A ≤ T; w·(1 − (A−T)/T) below 2T; 0 from 2T."""
    assert scoring.reverse_linear(D(5), D(20), actual).score == expected


def test_reverse_linear_with_zero_target_gives_full_marks_only_at_or_below_zero() -> None:
    """≤ with T = 0: A ≤ 0 is full marks, anything above is 0."""
    assert scoring.reverse_linear(D(5), D(0), D(0)).score == 5
    assert scoring.reverse_linear(D(5), D(0), D("0.01")).score == 0


def test_reverse_ratio_scores_target_over_actual() -> None:
    """≤ ratio: 36 days against 30 earns 5 × 30 ÷ 36."""
    assert scoring.reverse_ratio(D(5), D(30), D(36)).score == D(5) * D(30) / D(36)


def test_reverse_rules_reject_negative_targets() -> None:
    """≤ with a negative target is meaningless and reported as such."""
    for rule in (scoring.reverse_linear, scoring.reverse_ratio):
        with pytest.raises(EvaluationError):
            rule(D(5), D(-1), D(3))


def test_equal_with_zero_target_is_all_or_nothing() -> None:
    """= 0 (安全事故数): zero incidents earn full marks, one earns nothing."""
    assert scoring.equal(D(10), D(0), D(0)).score == 10
    assert scoring.equal(D(10), D(0), D(1)).score == 0


def test_equal_with_positive_target_scores_like_at_least() -> None:
    """= T with T > 0 scores as ≥."""
    assert (
        scoring.equal(D(7), D(100), D(90)).score == scoring.proportional(D(7), D(100), D(90)).score
    )


def test_equal_symmetric_penalises_deviation_either_side() -> None:
    """Symmetric =: 10 % over and 10 % under both lose 10 %."""
    assert scoring.equal_symmetric(D(10), D(100), D(110)).score == 9
    assert scoring.equal_symmetric(D(10), D(100), D(90)).score == 9
    assert scoring.equal_symmetric(D(10), D(100), D(100)).met


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(D(3), D(10)), (D(2), D(10)), (D(5), D(10)), (D(1), D(5)), (D(6), D(8)), (D(12), D(0))],
)
def test_range_inside_below_and_above(actual: D, expected: D) -> None:
    """[2, 5]: inside full; below w·A/a; above the ≤ linear rule with T = 5."""
    assert scoring.range_score(D(10), D(2), D(5), actual).score == expected


def test_threshold_is_all_or_nothing() -> None:
    """Threshold: met → w, else 0."""
    assert scoring.threshold(D(4), True, "1 ≥ 1?").score == 4
    assert scoring.threshold(D(4), False, "0 ≥ 1?").score == 0


def test_bands_take_the_first_matching_step() -> None:
    """Stepwise table: [95, ∞) → 10, [90, 95) → 8, [0, 90) → 0."""
    steps = (Step(D(95), None, D(10)), Step(D(90), D(95), D(8)), Step(D(0), D(90), D(0)))
    assert scoring.bands(D(10), steps, D(97)).score == 10
    assert scoring.bands(D(10), steps, D(90)).score == 8
    assert scoring.bands(D(10), steps, D("89.99")).score == 0


def test_bands_without_a_matching_step_is_an_error_not_zero() -> None:
    """A value outside every step is reported, never silently scored 0."""
    with pytest.raises(EvaluationError) as info:
        scoring.bands(D(10), (Step(D(0), D(90), D(0)),), D(95))
    assert info.value.code == "score.no-band"


def test_execution_rate_scores_weight_times_rate() -> None:
    """预算执行率 95.05 % on weight 10 earns 9.505."""
    assert scoring.execution_rate(D(10), D("95.05")).score == D("9.505")
    assert scoring.execution_rate(D(10), D(120)).score == 10


@pytest.mark.parametrize(
    ("tier", "expected"), [("achieved", D(10)), ("partly", D(7)), ("not_achieved", D(3))]
)
def test_qualitative_default_points(tier: str, expected: D) -> None:
    """Tiers without a given score take 100 % / 70 % / 30 % of the weight."""
    shares = {"achieved": D(1), "partly": D("0.7"), "not_achieved": D("0.3")}
    assert scoring.qualitative(D(10), tier, None, shares[tier], tier).score == expected


@pytest.mark.parametrize(
    ("tier", "given", "ok"),
    [
        ("achieved", D(8), True),
        ("achieved", D("7.99"), False),
        ("partly", D(6), True),
        ("partly", D(8), False),
        ("not_achieved", D("5.99"), True),
        ("not_achieved", D(6), False),
    ],
)
def test_qualitative_given_score_must_lie_in_its_band(tier: str, given: D, ok: bool) -> None:
    """达成 [80 %, 100 %], 部分达成 [60 %, 80 %), 未达成 [0, 60 %) of the weight."""
    if ok:
        assert scoring.qualitative(D(10), tier, given, D(1), tier).score == given
    else:
        with pytest.raises(EvaluationError) as info:
            scoring.qualitative(D(10), tier, given, D(1), tier)
        assert info.value.code == "score.outside-tier-band"


def test_custom_score_outside_zero_to_weight_is_an_error() -> None:
    """A score formula may not award more than the weight or less than 0."""
    assert scoring.custom(D(5), D(3), "x").score == 3
    with pytest.raises(EvaluationError):
        scoring.custom(D(5), D(6), "x")


@pytest.mark.parametrize(
    ("op", "target", "high", "actual", "per", "minus", "partial", "expected"),
    [
        # 在职人员控制率 ≤ 100 %, −0.5 per point over (DOMAIN.md §2): 103.4 % → 5 − 1.7
        (Op.LE, D(100), None, D("103.4"), D(1), D("0.5"), "prorate", D("3.3")),
        (Op.LE, D(100), None, D(100), D(1), D("0.5"), "prorate", D(5)),
        (Op.LE, D(100), None, D(120), D(1), D("0.5"), "prorate", D(0)),  # 扣完为止
        # 三公经费变动率 ≤ 0, −0.8 per started point: 2.3 → ⌈2.3⌉ = 3 steps
        (Op.LE, D(0), None, D("2.3"), D(1), D("0.8"), "count", D("5.6")),
        (Op.GE, D(500), None, D(475), D(10), D(1), "prorate", D("2.5")),
        (Op.GE, D(500), None, D(475), D(10), D(1), "count", D(2)),
        (Op.EQ, D(50), None, D(53), D(1), D("0.5"), "prorate", D("3.5")),
        (Op.EQ, D(50), None, D(47), D(1), D("0.5"), "prorate", D("3.5")),
        (Op.RANGE, D(2), D(5), D(7), D("0.5"), D(1), "prorate", D(1)),
        (Op.RANGE, D(2), D(5), D(1), D("0.5"), D(1), "prorate", D(3)),
        (Op.RANGE, D(2), D(5), D(3), D("0.5"), D(1), "prorate", D(5)),
        # 每低于 5% 扣 2 分, whole steps only: 7 short is one step; 4 short costs nothing
        (Op.GE, D(100), None, D(93), D(5), D(2), "floor", D(3)),
        (Op.GE, D(100), None, D(96), D(5), D(2), "floor", D(5)),
    ],
)
def test_deduct_takes_points_off_per_step_of_distance(
    op: Op,
    target: D,
    high: D | None,
    actual: D,
    per: D,
    minus: D,
    partial: scoring.Partial,
    expected: D,
) -> None:
    """扣分制 as DOMAIN.md writes it: minus × (distance ÷ per), down to 0, full marks only at 0."""
    w = D(8) if op is Op.LE and target == 0 else D(5)
    out = scoring.deduct(w, op, target, high, actual, per, minus, partial)
    assert out.score == expected
    if partial != "floor":
        assert out.met == (out.score == w)


def test_deduct_explanation_shows_the_distance_and_the_arithmetic() -> None:
    """A reviewer can redo the sum from the calculation line."""
    out = scoring.deduct(D(8), Op.LE, D(0), None, D("2.3"), D(1), D("0.8"), "count")
    assert (
        out.calculation
        == "d = max(0, 2.3 − 0) = 2.3; ⌈2.3 ÷ 1⌉ = 3 → s = max(0, 8 − 0.8 × 3) = 5.6"
    )
    assert "每 1 扣 0.8 分" in out.rule_zh
    assert "0.8 off per 1" in out.rule_en


def test_show_writes_numbers_without_exponents() -> None:
    """Explanations never show 1E+3 or 28-digit fractions."""
    assert show(D("1E+3")) == "1000"
    assert show(D(10) / D(3)) == "≈3.333333"
    assert show(D("-0")) == "0"
    assert show(D("9.50")) == "9.5"


# --- invariants -------------------------------------------------------------------------------

RULES_T = [
    scoring.proportional,
    scoring.reverse_linear,
    scoring.reverse_ratio,
    scoring.equal,
    scoring.equal_symmetric,
]


@given(st.sampled_from(RULES_T), weights, positive_amounts, signed_amounts)
def test_every_score_lies_between_zero_and_the_weight(rule, w, t, a) -> None:  # type: ignore[no-untyped-def]
    """For every target method, 0 ≤ s ≤ w."""
    assert 0 <= rule(w, t, a).score <= w


@given(weights, positive_amounts, positive_amounts, signed_amounts)
def test_range_scores_lie_between_zero_and_the_weight(w: D, lo: D, span: D, a: D) -> None:
    """Range: 0 ≤ s ≤ w."""
    assert 0 <= scoring.range_score(w, lo, lo + span, a).score <= w


@given(weights, positive_amounts, signed_amounts, amounts)
def test_at_least_scores_never_fall_as_the_actual_rises(w: D, t: D, a: D, step: D) -> None:
    """≥: a higher actual never earns less."""
    assert scoring.proportional(w, t, a + step).score >= scoring.proportional(w, t, a).score


@given(
    st.sampled_from([scoring.reverse_linear, scoring.reverse_ratio]),
    weights,
    positive_amounts,
    amounts,
    amounts,
)
def test_at_most_scores_never_rise_as_the_actual_rises(rule, w, t, a, step) -> None:  # type: ignore[no-untyped-def]
    """≤ (both variants): a higher actual never earns more."""
    assert rule(w, t, a + step).score <= rule(w, t, a).score


@given(st.sampled_from(RULES_T), positive_amounts, positive_amounts, signed_amounts)
def test_full_marks_exactly_when_the_target_is_met(rule, w, t, a) -> None:  # type: ignore[no-untyped-def]
    """s = w if and only if the rule says the target was met (w > 0)."""
    out = rule(w, t, a)
    assert (out.score == w) == out.met


@given(positive_amounts, positive_amounts, positive_amounts, signed_amounts)
def test_range_full_marks_exactly_inside(w: D, lo: D, span: D, a: D) -> None:
    """Range: full marks exactly for lo ≤ A ≤ hi."""
    hi = lo + span
    out = scoring.range_score(w, lo, hi, a)
    assert (out.score == w) == (lo <= a <= hi) == out.met


_OPS = st.sampled_from([Op.GE, Op.LE, Op.EQ, Op.RANGE])


@given(
    _OPS,
    weights,
    positive_amounts,
    amounts,
    signed_amounts,
    positive_amounts,
    amounts,
    st.booleans(),
)
def test_deduct_scores_lie_between_zero_and_the_weight_with_full_marks_only_on_target(  # type: ignore[no-untyped-def]
    op, w, t, span, a, per, minus, count
) -> None:
    """扣分制: 0 ≤ s ≤ w, and s = w exactly when A meets the target (any positive deduction)."""
    assume(minus > 0)
    high = t + span if op is Op.RANGE else None
    partial: scoring.Partial = "count" if count else "prorate"
    out = scoring.deduct(w, op, t, high, a, per, minus, partial)
    assert 0 <= out.score <= w
    if w > 0:
        assert (out.score == w) == out.met
    floored = scoring.deduct(w, op, t, high, a, per, minus, "floor")
    assert out.score <= floored.score <= w  # whole steps only: never more off than the others
    assert floored.met == out.met


@given(weights, positive_amounts, signed_amounts, amounts, positive_amounts, amounts, st.booleans())
def test_deduct_follows_the_direction_of_the_target(  # type: ignore[no-untyped-def]
    w, t, a, step, per, minus, count
) -> None:
    """≥: a higher actual never earns less; ≤: never more; counting started steps never helps;
    counting only whole steps never hurts."""
    for op, better in ((Op.GE, a + step), (Op.LE, a - step)):
        partial: scoring.Partial = "count" if count else "floor"
        worse_score = scoring.deduct(w, op, t, None, a, per, minus, partial).score
        assert scoring.deduct(w, op, t, None, better, per, minus, partial).score >= worse_score
        prorated = scoring.deduct(w, op, t, None, a, per, minus, "prorate").score
        assert scoring.deduct(w, op, t, None, a, per, minus, "count").score <= prorated
        assert scoring.deduct(w, op, t, None, a, per, minus, "floor").score >= prorated


@given(weights, positive_amounts, signed_amounts)
def test_scores_are_deterministic_and_decimal(w: D, t: D, a: D) -> None:
    """Same inputs, same exact Decimal result."""
    first, second = scoring.proportional(w, t, a), scoring.proportional(w, t, a)
    assert first == second
    assert isinstance(first.score, D)


@given(positive_amounts, positive_amounts, amounts)
def test_scaling_weight_scales_the_score(w: D, t: D, a: D) -> None:
    """Doubling the weight doubles the score (scores are shares of the weight)."""
    assume(a < t)
    single = scoring.proportional(w, t, a).score
    double = scoring.proportional(w * 2, t, a).score
    assert abs(double - 2 * single) <= D("1e-20")


def test_deduct_in_whole_steps_only_ignores_a_step_not_completed() -> None:
    """每低于 5% 扣 2 分 (floor): 7 % short is one whole step, so 10 − 2 = 8; 4 % short costs none."""
    out = scoring.deduct(D(10), Op.GE, D(100), None, D(93), D(5), D(2), "floor")
    assert out.score == 8
    assert out.calculation == "d = max(0, 100 − 93) = 7; ⌊7 ÷ 5⌋ = 1 → s = max(0, 10 − 2 × 1) = 8"
    assert "⌊d ÷ 5⌋" in out.rule_zh
    short = scoring.deduct(D(10), Op.GE, D(100), None, D(96), D(5), D(2), "floor")
    assert (short.score, short.met) == (D(10), False)


def test_rubric_adds_the_points_met_and_marks_each() -> None:
    """评分要点: 制度健全 2 ✓ + 执行到位 2 ✗ → 2; all met is full marks and met."""
    items = [("制度健全", D(2)), ("执行到位", D(2))]
    out = scoring.rubric(D(4), items, ["制度健全"])
    assert (out.score, out.met) == (D(2), False)
    assert out.calculation == "制度健全 2 ✓ + 执行到位 2 ✗ → s = 2"
    full = scoring.rubric(D(4), items, ["执行到位", "制度健全"])
    assert (full.score, full.met) == (D(4), True)


def test_rubric_refuses_a_point_it_does_not_have() -> None:
    """A misspelt point is bad data that names the row's points, never a point silently lost."""
    with pytest.raises(EvaluationError) as info:
        scoring.rubric(D(4), [("制度健全", D(2)), ("执行到位", D(2))], ["制度建全"])
    assert info.value.code == "score.unknown-rubric-item"
    assert "制度健全、执行到位" in info.value.message


@given(
    st.lists(weights, min_size=1, max_size=6),
    st.data(),
)
def test_rubric_scores_lie_between_zero_and_the_weight_and_grow_with_points_met(  # type: ignore[no-untyped-def]
    points, data
) -> None:
    """0 ≤ s ≤ w, and meeting one more point never lowers the score."""
    items = [(f"要点{i}", p) for i, p in enumerate(points)]
    w = sum(points, D(0))
    met = data.draw(st.lists(st.sampled_from([n for n, _ in items]), unique=True))
    out = scoring.rubric(w, items, met)
    assert 0 <= out.score <= w
    for name, _ in items:
        assert scoring.rubric(w, items, [*met, name] if name not in met else met).score >= out.score


def test_a_step_closed_at_its_upper_end_holds_its_bound() -> None:
    """ "0–10%（含）": 10 falls in the first step; without include_max it falls in the next."""
    inclusive = [scoring.Step(None, D(10), D(5), True), scoring.Step(D(10), None, D(3))]
    assert scoring.bands(D(5), inclusive, D(10)).score == 5
    assert scoring.bands(D(5), inclusive, D(10)).calculation == "10 ∈ [−∞, 10] → s = 5"
    half_open = [scoring.Step(None, D(10), D(5)), scoring.Step(D(10), None, D(3))]
    assert scoring.bands(D(5), half_open, D(10)).score == 3
