"""Scoring maths, one function per method (DOMAIN.md §2). Pure: no I/O, YAML or formulas.

Notation: ``w`` weight (分值), ``T`` target, ``A`` actual, ``s`` score. Every function returns an
:class:`Outcome` whose ``score`` lies in ``[0, w]`` and whose ``calculation`` lets a reader redo
the sum by hand; impossible data (a zero target where one divides by it) raises
:class:`~kpi_engine.errors.EvaluationError`, which the engine records as the indicator's status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal, NamedTuple

from kpi_engine.display import show
from kpi_engine.errors import EvaluationError
from kpi_engine.targets import Op

__all__ = [
    "TIER_BANDS",
    "Calc",
    "Outcome",
    "Partial",
    "Step",
    "bands",
    "custom",
    "deduct",
    "equal",
    "equal_symmetric",
    "execution_rate",
    "in_tier_band",
    "proportional",
    "qualitative",
    "range_score",
    "reverse_linear",
    "reverse_ratio",
    "rubric",
    "threshold",
]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

TIER_BANDS: dict[str, tuple[Decimal, Decimal, bool]] = {
    # tier: (low share, high share, high end inclusive) — official bands of the weight
    "achieved": (Decimal("0.8"), ONE, True),
    "partly": (Decimal("0.6"), Decimal("0.8"), False),
    "not_achieved": (ZERO, Decimal("0.6"), False),
}
"""Official qualitative bands: 达成 80–100 %, 部分达成 60–<80 %, 未达成 0–<60 % of the weight."""


class Calc:
    """A calculation to show, formatted on demand: most scores are never explained, so the
    batch path should not pay for formatting every number."""

    __slots__ = ("args", "template")

    def __init__(self, template: str, *args: object) -> None:
        self.template = template
        self.args = args

    def __str__(self) -> str:
        return self.template.format(*(show(a) if isinstance(a, Decimal) else a for a in self.args))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Calc):
            return (self.template, self.args) == (other.template, other.args)
        return isinstance(other, str) and str(self) == other

    def __hash__(self) -> int:
        return hash(str(self))

    def __repr__(self) -> str:
        return f"Calc({str(self)!r})"


class Outcome(NamedTuple):
    """The result of scoring one indicator (a named tuple: built for every row of a batch)."""

    score: Decimal
    met: bool
    """Whether the target was reached (full marks exactly when it was)."""
    achievement: Decimal | None
    """A ÷ T where that ratio means something, else None."""
    rule_zh: str
    rule_en: str
    calc: Calc | str
    """The numbers substituted into the rule, formatted only when read (see ``calculation``)."""

    @property
    def calculation(self) -> str:
        """The arithmetic, e.g. ``95 < 100 → 10 × 95 ÷ 100 = 9.5``."""
        return str(self.calc)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a stepwise table: values in ``[low, high)`` earn ``points``; ``[low, high]``
    when ``high_inclusive`` (a table's "0–10%（含）")."""

    low: Decimal | None
    high: Decimal | None
    points: Decimal
    high_inclusive: bool = False

    def contains(self, value: Decimal) -> bool:
        """Whether ``value`` falls in this step."""
        if self.low is not None and value < self.low:
            return False
        if self.high is None:
            return True
        return value <= self.high if self.high_inclusive else value < self.high

    def text(self) -> str:
        """``[60, 80)``, ``[80, 90]``, ``[90, +∞)`` — the step as a reader writes an interval."""
        low = "−∞" if self.low is None else show(self.low)
        high = "+∞" if self.high is None else show(self.high)
        return f"[{low}, {high}{']' if self.high_inclusive and self.high is not None else ')'}"


def _ratio(a: Decimal, t: Decimal) -> Decimal | None:
    return a / t if t != 0 else None


def _clip(score: Decimal, w: Decimal) -> Decimal:
    return min(max(score, ZERO), w)


def _need_positive_target(t: Decimal, method: str) -> None:
    if t <= 0:
        raise EvaluationError(
            "score.target-not-positive",
            f"{method}计分要求目标值大于 0（目标值为 {show(t)}）",
            f"{method} scoring needs a target above 0 (target is {show(t)})",
        )


def _need_non_negative_target(t: Decimal) -> None:
    if t < 0:
        raise EvaluationError(
            "score.target-negative",
            f"反向（≤）计分要求目标值不小于 0（目标值为 {show(t)}）",
            f"reverse (≤) scoring needs a target of at least 0 (target is {show(t)})",
        )


def proportional(w: Decimal, t: Decimal, a: Decimal) -> Outcome:
    """ "≥" (正向): s = w if A ≥ T, else w·A/T, never below 0 nor above w."""
    _need_positive_target(t, "正向（≥）")
    rule_zh = "A ≥ T 得满分；否则 s = w × A ÷ T（最低 0 分）"
    rule_en = "full marks when A ≥ T; otherwise s = w × A ÷ T (at least 0)"
    if a >= t:
        return Outcome(w, True, a / t, rule_zh, rule_en, Calc("{} ≥ {} → s = {}", a, t, w))
    score = _clip(w * a / t, w)
    calc = Calc("{} < {} → s = {} × {} ÷ {} = {}", a, t, w, a, t, score)
    return Outcome(score, False, a / t, rule_zh, rule_en, calc)


def reverse_linear(w: Decimal, t: Decimal, a: Decimal) -> Outcome:
    """ "≤" linear (default): w if A ≤ T; w·(1 − (A−T)/T) for T < A < 2T; 0 from 2T.

    With T = 0: full marks when A ≤ 0, else 0.
    """
    _need_non_negative_target(t)
    rule_zh = "A ≤ T 得满分；T < A < 2T 时 s = w × (1 − (A − T) ÷ T)；A ≥ 2T 得 0 分"
    rule_en = "full marks when A ≤ T; s = w × (1 − (A − T) ÷ T) when T < A < 2T; 0 when A ≥ 2T"
    if a <= t:
        return Outcome(w, True, _ratio(a, t), rule_zh, rule_en, Calc("{} ≤ {} → s = {}", a, t, w))
    if a >= 2 * t:
        calc = Calc("{} ≥ 2 × {} → s = 0", a, t)
        return Outcome(ZERO, False, _ratio(a, t), rule_zh, rule_en, calc)
    score = _clip(w * (1 - (a - t) / t), w)
    calc = Calc("{} < {} < {} → s = {} × (1 − ({} − {}) ÷ {}) = {}", t, a, 2 * t, w, a, t, t, score)
    return Outcome(score, False, a / t, rule_zh, rule_en, calc)


def reverse_ratio(w: Decimal, t: Decimal, a: Decimal) -> Outcome:
    """ "≤" ratio: w if A ≤ T, else w·T/A."""
    _need_non_negative_target(t)
    rule_zh = "A ≤ T 得满分；否则 s = w × T ÷ A"
    rule_en = "full marks when A ≤ T; otherwise s = w × T ÷ A"
    if a <= t:
        return Outcome(w, True, _ratio(a, t), rule_zh, rule_en, Calc("{} ≤ {} → s = {}", a, t, w))
    score = _clip(w * t / a, w)
    calc = Calc("{} > {} → s = {} × {} ÷ {} = {}", a, t, w, t, a, score)
    return Outcome(score, False, _ratio(a, t), rule_zh, rule_en, calc)


def _zero_target(w: Decimal, a: Decimal) -> Outcome:
    rule_zh = "目标值为 0：A ≤ 0 得满分，否则 0 分"
    rule_en = "target 0: full marks when A ≤ 0, otherwise 0"
    if a <= 0:
        return Outcome(w, True, None, rule_zh, rule_en, Calc("{} ≤ 0 → s = {}", a, w))
    return Outcome(ZERO, False, None, rule_zh, rule_en, Calc("{} > 0 → s = 0", a))


def equal(w: Decimal, t: Decimal, a: Decimal) -> Outcome:
    """ "=": T = 0 → full marks only if A ≤ 0 (e.g. 安全事故数 = 0); T > 0 → as "≥"."""
    if t == 0:
        return _zero_target(w, a)
    return proportional(w, t, a)


def equal_symmetric(w: Decimal, t: Decimal, a: Decimal) -> Outcome:
    """ "=" symmetric: w·max(0, 1 − |A−T|/T), penalising deviation either side."""
    if t == 0:
        return _zero_target(w, a)
    _need_positive_target(t, "对称等值（=）")
    rule_zh = "s = w × max(0, 1 − |A − T| ÷ T)"
    rule_en = "s = w × max(0, 1 − |A − T| ÷ T)"
    score = _clip(w * max(ZERO, 1 - abs(a - t) / t), w)
    calc = Calc("s = {} × max(0, 1 − |{} − {}| ÷ {}) = {}", w, a, t, t, score)
    return Outcome(score, a == t, a / t, rule_zh, rule_en, calc)


def range_score(w: Decimal, low: Decimal, high: Decimal, a: Decimal) -> Outcome:
    """Range [a, b]: inside → w; below → w·A/a; above → the "≤" linear rule with T = b."""
    rule_zh = "区间内得满分；低于下限 s = w × A ÷ 下限；高于上限按反向线性规则（T = 上限）"
    rule_en = "full marks inside; below: s = w × A ÷ low; above: reverse linear rule with T = high"
    if low <= a <= high:
        calc = Calc("{} ≤ {} ≤ {} → s = {}", low, a, high, w)
        return Outcome(w, True, None, rule_zh, rule_en, calc)
    if a < low:
        score = _clip(w * a / low, w) if low > 0 else ZERO
        calc = Calc("{} < {} → s = {} × {} ÷ {} = {}", a, low, w, a, low, score)
        if low <= 0:
            calc = Calc("{} < {} ≤ 0 → s = 0", a, low)
        return Outcome(score, False, _ratio(a, low), rule_zh, rule_en, calc)
    above = reverse_linear(w, high, a)
    return Outcome(
        above.score,
        False,
        above.achievement,
        rule_zh,
        rule_en,
        Calc("{} > {}: {}", a, high, above.calc),
    )


def threshold(w: Decimal, met: bool, comparison: str) -> Outcome:
    """All or nothing: w when the target is met, else 0."""
    score = w if met else ZERO
    return Outcome(
        score,
        met,
        None,
        "达到目标得满分，否则 0 分",
        "full marks when the target is met, otherwise 0",
        Calc("{} → s = {}", comparison, score),
    )


def bands(w: Decimal, steps: Sequence[Step], a: Decimal) -> Outcome:
    """Stepwise table: the first step containing A gives the points."""
    inclusive = any(step.high_inclusive for step in steps)
    rule_zh = "按分档表计分：A 落在 [下限, 上限) 的档得该档分数" + (
        "（标“含”的档含上限，先列的档优先）" if inclusive else ""
    )
    rule_en = "stepwise table: the step [low, high) holding A gives its points" + (
        " (inclusive steps hold their upper bound; the first listed wins)" if inclusive else ""
    )
    for step in steps:
        if step.contains(a):
            score = min(step.points, w)
            calc = Calc("{} ∈ {} → s = {}", a, step.text(), score)
            return Outcome(score, score == w, None, rule_zh, rule_en, calc)
    raise EvaluationError(
        "score.no-band",
        f"实际值 {show(a)} 不在任何分档内",
        f"the actual {show(a)} falls in no step of the table",
    )


_DEDUCT_DISTANCE = {
    # op: (distance in Chinese, in English, shown in the calculation)
    Op.GE: ("低于 T 的差额 T − A", "the shortfall T − A"),
    Op.LE: ("超过 T 的差额 A − T", "the excess A − T"),
    Op.EQ: ("偏差 |A − T|", "the deviation |A − T|"),
    Op.RANGE: ("超出区间的差额", "the distance outside the range"),
}


Partial = Literal["prorate", "count", "floor"]
"""What part of a step costs: its share (``prorate``), a whole step once started (``count``), or
nothing until the step is complete (``floor``, "每低于 5% 扣 2 分": 7 % short is one step)."""

_STEPS = {
    # partial: (steps in the rule, in Chinese and English; rounding of d ÷ per)
    "prorate": ("d ÷ {}", "d ÷ {}", None),
    "count": ("⌈d ÷ {}⌉", "⌈d ÷ {}⌉", ROUND_CEILING),
    "floor": ("⌊d ÷ {}⌋", "⌊d ÷ {}⌋", ROUND_FLOOR),
}


def deduct(
    w: Decimal,
    op: Op,
    low: Decimal,
    high: Decimal | None,
    a: Decimal,
    per: Decimal,
    minus: Decimal,
    partial: Partial = "prorate",
) -> Outcome:
    """扣分制: s = max(0, w − minus × steps), d the distance of A from its target (0 when met) and
    steps = d ÷ per (``prorate``), ⌈d ÷ per⌉ (``count``) or ⌊d ÷ per⌋ (``floor``).
    """
    zh, en = _DEDUCT_DISTANCE[op]
    steps_zh, steps_en, rounding = _STEPS[partial]
    rule_zh = (
        f"扣分制：d 为{zh}，每 {show(per)} 扣 {show(minus)} 分，扣完为止："
        f"s = max(0, w − {show(minus)} × {steps_zh.format(show(per))})"
    )
    if partial == "floor":
        rule_zh += "（不足一档不扣）"
    rule_en = (
        f"deductions: d is {en}; {show(minus)} off per {show(per)}, down to 0: "
        f"s = max(0, w − {show(minus)} × {steps_en.format(show(per))})"
    )
    if partial == "floor":
        rule_en += " (a step not completed costs nothing)"
    if op is Op.GE:
        d, shown = max(ZERO, low - a), Calc("d = max(0, {} − {}) = {}", low, a, max(ZERO, low - a))
    elif op is Op.LE:
        d, shown = max(ZERO, a - low), Calc("d = max(0, {} − {}) = {}", a, low, max(ZERO, a - low))
    elif op is Op.EQ:
        d, shown = abs(a - low), Calc("d = |{} − {}| = {}", a, low, abs(a - low))
    else:
        assert high is not None
        d = low - a if a < low else a - high if a > high else ZERO
        shown = (
            Calc("{} ∉ [{}, {}] → d = {}", a, low, high, d)
            if d
            else Calc("{} ∈ [{}, {}] → d = 0", a, low, high)
        )
    achievement = _ratio(a, low) if op in (Op.GE, Op.LE) else None
    if d == 0:
        calc = Calc("{} → s = {}", shown, w)
        return Outcome(w, True, achievement, rule_zh, rule_en, calc)
    steps = d / per
    if rounding is None:
        score = _clip(w - minus * steps, w)
        calc = Calc("{} → s = max(0, {} − {} × {} ÷ {}) = {}", shown, w, minus, d, per, score)
        return Outcome(score, False, achievement, rule_zh, rule_en, calc)
    steps = steps.to_integral_value(rounding=rounding)
    score = _clip(w - minus * steps, w)
    whole = "⌈{} ÷ {}⌉" if rounding == ROUND_CEILING else "⌊{} ÷ {}⌋"
    calc = Calc(
        "{}; " + whole + " = {} → s = max(0, {} − {} × {}) = {}",
        shown,
        d,
        per,
        steps,
        w,
        minus,
        steps,
        score,
    )
    return Outcome(score, False, achievement, rule_zh, rule_en, calc)


def execution_rate(w: Decimal, rate: Decimal, over: str = "full") -> Outcome:
    """预算执行率 (percent): s = w × min(1, rate ÷ 100). A negative rate is bad data, not 0.

    Above 100 % (spending beyond the budget) the default keeps full marks; ``over="excess"``
    scores the excess like a shortfall: s = w × max(0, 1 − (rate − 100) ÷ 100).
    """
    if rate < 0:
        raise EvaluationError(
            "score.negative-rate",
            f"执行率为负数（{show(rate)}%），请核对预算数和执行数",
            f"the execution rate is negative ({show(rate)}%): check budget and spending",
        )
    if over == "excess" and rate > HUNDRED:
        score = _clip(w * max(ZERO, 1 - (rate - HUNDRED) / HUNDRED), w)
        return Outcome(
            score,
            False,
            rate / HUNDRED,
            "s = w × min(1, 执行率 ÷ 100%)；超过 100% 时按超支扣分："
            "s = w × (1 − (执行率 − 100%) ÷ 100%)",
            "s = w × min(1, rate ÷ 100%); above 100% the excess costs: "
            "s = w × (1 − (rate − 100%) ÷ 100%)",
            Calc("{}% > 100% → s = {} × (1 − ({}% − 100%) ÷ 100%) = {}", rate, w, rate, score),
        )
    score = _clip(w * min(ONE, rate / HUNDRED), w)
    return Outcome(
        score,
        rate >= HUNDRED,
        rate / HUNDRED,
        "s = w × min(1, 执行率 ÷ 100%)",
        "s = w × min(1, execution rate ÷ 100%)",
        Calc("s = {} × min(1, {}% ÷ 100%) = {}", w, rate, score),
    )


def in_tier_band(w: Decimal, tier: str, score: Decimal) -> bool:
    """Whether ``score`` lies in the tier's band of the weight (达成 [80 %, 100 %], 部分达成
    [60 %, 80 %), 未达成 [0, 60 %))."""
    low, high, inclusive = TIER_BANDS[tier]
    lo, hi = w * low, w * high
    return lo <= score <= hi if inclusive else lo <= score < hi


def qualitative(
    w: Decimal, tier: str, given: Decimal | None, default_share: Decimal, label: str
) -> Outcome:
    """定性: the tier's band of w; a given score must lie in it, else the default share applies.

    The target counts as met when the tier is 达成 (achieved), whatever the score in its band.
    """
    low, high, inclusive = TIER_BANDS[tier]
    lo, hi = w * low, w * high
    band = f"[{show(lo)}, {show(hi)}{']' if inclusive else ')'}"
    rule_zh = "定性分档：达成 80%–100%、部分达成 60%–80%（不含）、未达成 0–60%（不含）× 分值"
    rule_en = (
        "qualitative tiers: achieved 80–100 %, partly 60–<80 %, not achieved 0–<60 % of the weight"
    )
    if given is not None:
        inside = given == 0 if w == 0 else in_tier_band(w, tier, given)
        if not inside:
            raise EvaluationError(
                "score.outside-tier-band",
                f"给定得分 {show(given)} 不在“{label}”档的区间 {band} 内",
                f"the given score {show(given)} is outside the {tier} band {band}",
            )
        calc = Calc("{} {}，给定 s = {}", label, band, given)
        return Outcome(given, tier == "achieved", None, rule_zh, rule_en, calc)
    score = w * default_share
    calc = Calc("{} {}，未给分，取默认 {}%：s = {}", label, band, default_share * HUNDRED, score)
    return Outcome(score, tier == "achieved", None, rule_zh, rule_en, calc)


def rubric(w: Decimal, items: Sequence[tuple[str, Decimal]], met: Sequence[str]) -> Outcome:
    """评分要点: each point met earns its points; the score is their sum (never above w).

    A name in ``met`` that is not one of the row's points is bad data, not a point silently lost.
    """
    known = [name for name, _ in items]
    unknown = [name for name in met if name not in known]
    if unknown:
        listed = "、".join(known)
        raise EvaluationError(
            "score.unknown-rubric-item",
            f"评分要点“{'、'.join(unknown)}”不在本指标的评分要点中（{listed}）",
            f"{', '.join(unknown)}: not among this row's points ({', '.join(known)})",
        )
    reached = set(met)
    score = _clip(sum((p for name, p in items if name in reached), ZERO), w)
    template = " + ".join("{} {}" + (" ✓" if name in reached else " ✗") for name, _ in items)
    args: list[object] = [part for name, points in items for part in (name, points)]
    return Outcome(
        score,
        all(name in reached for name in known),
        None,
        "按评分要点计分：达到的要点得该要点分值，合计为得分（✓ 达到，✗ 未达到）",
        "rubric: each point met earns its points; the score is their sum (✓ met, ✗ not met)",
        Calc(template + " → s = {}", *args, score),
    )


def custom(w: Decimal, score: Decimal, calculation: str) -> Outcome:
    """A score computed by the set's own formula; it must lie in [0, w]."""
    if not ZERO <= score <= w:
        raise EvaluationError(
            "score.out-of-range",
            f"计分公式得出 {show(score)}，不在 [0, {show(w)}] 内",
            f"the score formula gave {show(score)}, outside [0, {show(w)}]",
        )
    return Outcome(
        score,
        score == w,
        None,
        "按指标自定义计分公式",
        "the indicator's own score formula",
        calculation,
    )
