"""Scoring methods: one record per method, beside the pure maths of :mod:`kpi_engine.scoring`.

A :class:`MethodSpec` says everything the rest of the package needs to know about one method —
which target operators it accepts and for which it is the default, which leaf fields it requires
(each other method-specific field is refused), the unit its value must have, how it scores, how
``kpi explain`` inverts it, its help text for the JSON Schema and the facts it exposes to rule
packs. The compiler binds a record with one leaf's weight, target and parameters into a
:class:`Scorer` (``CompiledLeaf.scorer``); evaluation, explain, schema and facts ask the scorer and
never branch on :class:`~kpi_engine.models.Method`.

Adding a method is one :class:`MethodSpec` plus a case in :func:`spec` (mypy refuses a record
with a part missing, and ``assert_never`` refuses a method without a record) plus tests.

>>> METHODS[Method.PROPORTIONAL].ops
(<Op.GE: '≥'>, <Op.EQ: '='>)
>>> METHODS[Method.DEDUCT].requires.field
'deduct'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from types import MappingProxyType
from typing import Literal, NamedTuple, assert_never

from kpi_engine import scoring
from kpi_engine.errors import EvaluationError, Lang
from kpi_engine.formula import Formula
from kpi_engine.functions import Value
from kpi_engine.models import Deduction, Method
from kpi_engine.scoring import TIER_BANDS, Outcome, Step, show, with_unit
from kpi_engine.targets import Op, Target

__all__ = [
    "METHODS",
    "PARAMS",
    "MethodSpec",
    "Needed",
    "Param",
    "Reading",
    "Scorer",
    "default_method",
    "spec",
]

ZERO = Decimal(0)
_NO_SHARES: Mapping[str, Decimal] = MappingProxyType({})
HUNDRED = Decimal(100)


# --- what a method reads


@dataclass(frozen=True, slots=True)
class Param:
    """A leaf field that only one method reads; any other method refuses it.

    The messages are templates with ``{id}``, the leaf's id.
    """

    field: str
    missing_code: str
    missing_zh: str
    missing_en: str
    unused_code: str
    unused_zh: str
    unused_en: str


BANDS_PARAM = Param(
    "bands",
    "method.missing-bands",
    "指标 {id} 的计分方法为 bands，但未写分档表 bands",
    "indicator {id} uses method 'bands' but has no bands",
    "method.unused-bands",
    "指标 {id} 写了分档表，但计分方法不是 bands",
    "indicator {id} has bands but its method is not 'bands'",
)
SCORE_FORMULA_PARAM = Param(
    "score_formula",
    "method.missing-score-formula",
    "指标 {id} 的计分方法为 formula，但未写 score_formula",
    "indicator {id} uses method 'formula' but has no score_formula",
    "method.unused-score-formula",
    "指标 {id} 写了 score_formula，但计分方法不是 formula",
    "indicator {id} has a score_formula but its method is not 'formula'",
)
DEDUCT_PARAM = Param(
    "deduct",
    "method.missing-deduct",
    "指标 {id} 的计分方法为 deduct，但未写扣分规则 deduct（如 {{per: 1, minus: 0.5}}）",
    "indicator {id} uses method 'deduct' but has no deduct (e.g. {{per: 1, minus: 0.5}})",
    "method.unused-deduct",
    "指标 {id} 写了扣分规则 deduct，但计分方法不是 deduct",
    "indicator {id} has deduct but its method is not 'deduct'",
)
RUBRIC_PARAM = Param(
    "rubric",
    "method.missing-rubric",
    "指标 {id} 的计分方法为 rubric，但未写评分要点 rubric（如 [{{item: 制度健全, points: 2}}]）",
    "indicator {id} uses method 'rubric' but has no rubric (e.g. [{{item: 制度健全, points: 2}}])",
    "method.unused-rubric",
    "指标 {id} 写了评分要点 rubric，但计分方法不是 rubric",
    "indicator {id} has a rubric but its method is not 'rubric'",
)
PARAMS: tuple[Param, ...] = (BANDS_PARAM, SCORE_FORMULA_PARAM, DEDUCT_PARAM, RUBRIC_PARAM)
"""Every method-specific leaf field."""

FormulaRunner = Callable[[Formula, Mapping[str, Value]], Value]
"""Evaluates a formula over the names given."""


class Reading(NamedTuple):
    """What one unit supplies for one leaf: the actual, a qualitative tier and score, or the rubric
    points met; and, for score formulas, the unit's values and a way to run a formula over them."""

    actual: Decimal | None = None
    tier: str | None = None
    given: Decimal | None = None
    met: tuple[str, ...] | None = None
    values: Mapping[str, Value] | None = None
    run: FormulaRunner | None = None


# --- what explain shows


@dataclass(frozen=True, slots=True)
class Needed:
    """What earns a score: an actual ``at_least``, ``at_most``, ``exactly`` or ``between``, a
    qualitative ``tier`` with a score of ``value``, or every rubric point (``items``)."""

    kind: Literal["at_least", "at_most", "exactly", "between", "tier", "items"]
    value: Decimal
    high: Decimal | None = None
    items: tuple[str, ...] = ()
    """For ``items``: the rubric points that must all be met."""

    def text(self, unit: str | None, lang: Lang) -> str:
        """As a reader writes it, e.g. ``≥ 500 人``."""
        if self.kind == "items":
            sep = "、" if lang == "zh" else ", "
            label = "达到全部评分要点：" if lang == "zh" else "every point met: "
            return label + sep.join(self.items)
        if self.kind == "tier":
            label = "评为“达成”且给分 " if lang == "zh" else "tier achieved with score "
            return label + show(self.value)
        if self.kind == "between":
            assert self.high is not None
            return with_unit(f"[{show(self.value)}, {show(self.high)}]", unit)
        symbol = {"at_least": "≥", "at_most": "≤", "exactly": "="}[self.kind]
        return with_unit(f"{symbol} {show(self.value)}", unit)

    def sentence(self, unit: str | None, lang: Lang) -> str:
        """``满分需要实际值 ≥ 500 人`` — what full marks need, as one line of ``kpi explain``."""
        if self.kind in ("tier", "items"):
            return ("满分需要：" if lang == "zh" else "Full marks need: ") + self.text(unit, lang)
        return ("满分需要实际值 " if lang == "zh" else "Full marks need an actual ") + self.text(
            unit, lang
        )


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


# --- the record


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """Everything about one scoring method. Every field is required, so mypy refuses a record
    with a part missing."""

    method: Method
    name_zh: str
    """What it scores by, as messages name it (``按预算执行率计分``)."""
    name_en: str
    help_zh: str
    """One line for editors (JSON Schema ``enumDescriptions``)."""
    help_en: str
    ops: tuple[Op, ...] | None
    """Target operators it accepts; None when it does not compare with the target's operator."""
    default_for: tuple[Op | None, ...]
    """Target operators for which it is the method when none is written (None: no target)."""
    qualitative: bool
    """Written with ``kind: qualitative`` (no numeric actual)."""
    reads: Literal["actual", "tier", "met"]
    """What the unit supplies for the row: an actual, a tier (and score), or the points met."""
    requires: Param | None
    """The method-specific field it reads; every other one in :data:`PARAMS` is refused."""
    unit: str | None
    """The unit its value must have (None: any)."""
    needs_target: bool
    """Fact: it compares the actual with a target, so a row without one cannot be scored."""
    yardstick: bool
    """Fact: it has a numeric scale of its own, so a row is measurable without a target."""
    execution: bool
    """Fact: it scores the budget execution rate (预算执行率), which rule packs read."""
    score: Callable[[Scorer, Reading], Outcome]
    """The pure maths bound to the leaf: raises EvaluationError for impossible data."""
    full: Callable[[Scorer], Needed | None]
    """What earns full marks (None: no actual does, e.g. a custom formula)."""
    invert: Callable[[Scorer, Decimal], Needed | None]
    """What earns at least a score below the weight (None when the rule cannot be inverted)."""


@dataclass(frozen=True, slots=True)
class Scorer:
    """A method bound to one leaf: its weight, target and parameters (``CompiledLeaf.scorer``)."""

    spec: MethodSpec
    weight: Decimal
    target: Target | None = None
    steps: tuple[Step, ...] = ()
    deduction: Deduction | None = None
    score_formula: Formula | None = None
    rubric: tuple[tuple[str, Decimal], ...] = ()
    """The rubric's points and what each earns (``method: rubric``)."""
    shares: Mapping[str, Decimal] = field(default_factory=lambda: _NO_SHARES)
    """Default share of the weight per qualitative tier given without a score."""

    @property
    def method(self) -> Method:
        """The method this scorer applies."""
        return self.spec.method

    def score(self, reading: Reading) -> Outcome:
        """The outcome for one unit's reading; EvaluationError for data it cannot score."""
        if self.spec.needs_target and self.target is None:
            raise EvaluationError(
                "target.missing", "未设定年度指标值，无法计分", "no target set: cannot score"
            )
        return self.spec.score(self, reading)

    def needed_for_full(self) -> Needed | None:
        """What earns full marks under this rule."""
        return self.spec.full(self)

    def needed_for_score(self, score: Decimal) -> Needed | None:
        """What earns at least ``score``; full-marks rules need the full-marks figure."""
        if score >= self.weight:
            return self.spec.full(self)
        return self.spec.invert(self, score)


# --- scoring, per method


def _actual(reading: Reading) -> Decimal:
    assert reading.actual is not None, "quantitative methods are given an actual"
    return reading.actual


def _t(s: Scorer) -> Target:
    assert s.target is not None, "Scorer.score checks needs_target"
    return s.target


def _target_rule(
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


def _score_threshold(s: Scorer, reading: Reading) -> Outcome:
    met, comparison = _met(_t(s), _actual(reading))
    return scoring.threshold(s.weight, met, comparison)


def _score_range(s: Scorer, reading: Reading) -> Outcome:
    t = _t(s)
    assert t.high is not None
    return scoring.range_score(s.weight, t.low, t.high, _actual(reading))


def _score_deduct(s: Scorer, reading: Reading) -> Outcome:
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


def _score_bands(s: Scorer, reading: Reading) -> Outcome:
    return scoring.bands(s.weight, s.steps, _actual(reading))


def _score_execution(s: Scorer, reading: Reading) -> Outcome:
    return scoring.execution_rate(s.weight, _actual(reading))


def _score_formula(s: Scorer, reading: Reading) -> Outcome:
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


def _score_qualitative(s: Scorer, reading: Reading) -> Outcome:
    tier = reading.tier
    assert tier is not None, "evaluation reports a missing tier before scoring"
    return scoring.qualitative(
        s.weight, tier, reading.given, s.shares[tier], _TIER_LABELS.get(tier, tier)
    )


def _score_rubric(s: Scorer, reading: Reading) -> Outcome:
    assert reading.met is not None, "evaluation reports missing points before scoring"
    return scoring.rubric(s.weight, s.rubric, reading.met)


_TIER_LABELS = {"achieved": "达成", "partly": "部分达成", "not_achieved": "未达成"}


# --- inversion, per method


def _none(s: Scorer) -> Needed | None:
    return None


def _no_inverse(s: Scorer, score: Decimal) -> Needed | None:
    return None


def _full_or_none(s: Scorer, score: Decimal) -> Needed | None:
    return s.spec.full(s)


def _full_by_op(s: Scorer) -> Needed:
    t = _t(s)
    if t.op is Op.RANGE:
        assert t.high is not None
        return Needed("between", t.low, t.high)
    if t.op is Op.LE:
        return Needed("at_most", t.value)
    return Needed("at_least", t.value)


def _full_target(s: Scorer) -> Needed | None:
    return None if s.target is None else _full_by_op(s)


def _full_reverse(s: Scorer) -> Needed | None:
    return None if s.target is None else Needed("at_most", s.target.value)


def _full_equal(s: Scorer) -> Needed | None:
    t = s.target
    if t is None:
        return None
    return Needed("at_most", ZERO) if t.value == 0 else Needed("at_least", t.value)


def _full_equal_symmetric(s: Scorer) -> Needed | None:
    t = s.target
    if t is None:
        return None
    return Needed("exactly", t.value) if t.value else Needed("at_most", ZERO)


def _full_threshold(s: Scorer) -> Needed | None:
    t = s.target
    if t is None:
        return None
    return Needed("exactly", t.value) if t.op is Op.EQ else _full_by_op(s)


def _full_deduct(s: Scorer) -> Needed | None:
    t = s.target
    if t is None:
        return None
    return Needed("exactly", t.value) if t.op is Op.EQ else _full_by_op(s)  # any distance costs


def _full_bands(s: Scorer) -> Needed | None:
    best = max(
        (step for step in s.steps if step.points >= s.weight),
        default=None,
        key=lambda step: step.points,
    )
    if best is None or best.low is None:
        return None
    return Needed("at_least", best.low)


def _full_execution(s: Scorer) -> Needed:
    return Needed("at_least", HUNDRED)


def _full_rubric(s: Scorer) -> Needed:
    return Needed("items", s.weight, items=tuple(name for name, _ in s.rubric))


def _full_qualitative(s: Scorer) -> Needed:
    return Needed("tier", s.weight * TIER_BANDS["achieved"][1])


def _positive_target(
    invert: Callable[[Scorer, Target, Decimal], Needed],
) -> Callable[[Scorer, Decimal], Needed | None]:
    """Rules that divide by T cannot be inverted for T ≤ 0: the full-marks figure stands."""

    def inverse(s: Scorer, score: Decimal) -> Needed | None:
        t = s.target
        if t is None or t.value <= 0:
            return s.spec.full(s)
        return invert(s, t, score / s.weight)

    return inverse


def _invert_deduct(s: Scorer, score: Decimal) -> Needed | None:
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
        return _least(t.value - distance)
    if t.op is Op.LE:
        return _most(t.value + distance)
    high = t.high if t.op is Op.RANGE and t.high is not None else t.value
    return _between(t.value - distance, high + distance)


def _invert_execution(s: Scorer, score: Decimal) -> Needed:
    return _least(score / s.weight * 100)


def _invert_range(s: Scorer, t: Target, share: Decimal) -> Needed:
    assert t.high is not None
    return _between(t.low * share, t.high * (2 - share))


# --- the registry

PROPORTIONAL = MethodSpec(
    Method.PROPORTIONAL,
    "正向（≥）比例",
    "proportional (≥)",
    "≥：A ≥ T 满分，否则 w×A÷T",
    "≥: full marks when A ≥ T, otherwise w×A÷T",
    ops=(Op.GE, Op.EQ),
    default_for=(Op.GE, None),
    qualitative=False,
    reads="actual",
    requires=None,
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=_target_rule(scoring.proportional),
    full=_full_target,
    invert=_positive_target(lambda s, t, share: _least(share * t.value)),
)
REVERSE_LINEAR = MethodSpec(
    Method.REVERSE_LINEAR,
    "反向（≤）线性",
    "reverse linear (≤)",
    "≤：A ≤ T 满分；T<A<2T 时 w×(1−(A−T)÷T)；≥2T 为 0",
    "≤: full marks when A ≤ T; w×(1−(A−T)÷T) when T<A<2T; 0 from 2T",
    ops=(Op.LE, Op.EQ),
    default_for=(Op.LE,),
    qualitative=False,
    reads="actual",
    requires=None,
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=_target_rule(scoring.reverse_linear),
    full=_full_reverse,
    invert=_positive_target(lambda s, t, share: _most(t.value * (2 - share))),
)
REVERSE_RATIO = MethodSpec(
    Method.REVERSE_RATIO,
    "反向（≤）比值",
    "reverse ratio (≤)",
    "≤：A ≤ T 满分，否则 w×T÷A",
    "≤: full marks when A ≤ T, otherwise w×T÷A",
    ops=(Op.LE, Op.EQ),
    default_for=(),
    qualitative=False,
    reads="actual",
    requires=None,
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=_target_rule(scoring.reverse_ratio),
    full=_full_reverse,
    invert=_positive_target(lambda s, t, share: _most(t.value / share)),
)
EQUAL = MethodSpec(
    Method.EQUAL,
    "等值（=）",
    "equal (=)",
    "=：T=0 时 A≤0 满分否则 0；T>0 同 ≥",
    "=: with T=0 full marks when A≤0, else 0; with T>0 as ≥",
    ops=(Op.EQ,),
    default_for=(Op.EQ,),
    qualitative=False,
    reads="actual",
    requires=None,
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=_target_rule(scoring.equal),
    full=_full_equal,
    invert=_positive_target(lambda s, t, share: _least(share * t.value)),
)
EQUAL_SYMMETRIC = MethodSpec(
    Method.EQUAL_SYMMETRIC,
    "对称等值（=）",
    "symmetric equal (=)",
    "=：w×max(0, 1−|A−T|÷T)",
    "=: w×max(0, 1−|A−T|÷T)",
    ops=(Op.EQ,),
    default_for=(),
    qualitative=False,
    reads="actual",
    requires=None,
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=_target_rule(scoring.equal_symmetric),
    full=_full_equal_symmetric,
    invert=_positive_target(lambda s, t, share: _between(t.value * share, t.value * (2 - share))),
)
RANGE = MethodSpec(
    Method.RANGE,
    "区间",
    "a range",
    "区间：区间内满分，低于下限按比例，高于上限按反向线性",
    "range: full marks inside; below, in proportion; above, reverse linear",
    ops=(Op.RANGE,),
    default_for=(Op.RANGE,),
    qualitative=False,
    reads="actual",
    requires=None,
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=_score_range,
    full=_full_target,
    invert=_positive_target(_invert_range),
)
THRESHOLD = MethodSpec(
    Method.THRESHOLD,
    "达标与否",
    "a threshold",
    "达标满分，否则 0",
    "full marks when the target is met, otherwise 0",
    ops=None,
    default_for=(),
    qualitative=False,
    reads="actual",
    requires=None,
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=_score_threshold,
    full=_full_threshold,
    invert=_full_or_none,
)
BANDS = MethodSpec(
    Method.BANDS,
    "分档表",
    "a stepwise table",
    "分档表",
    "stepwise table (bands)",
    ops=None,
    default_for=(),
    qualitative=False,
    reads="actual",
    requires=BANDS_PARAM,
    unit=None,
    needs_target=False,
    yardstick=True,
    execution=False,
    score=_score_bands,
    full=_full_bands,
    invert=_full_or_none,
)
FORMULA = MethodSpec(
    Method.FORMULA,
    "自定义计分公式",
    "its own score formula",
    "自定义计分公式 score_formula",
    "the indicator's own score_formula",
    ops=None,
    default_for=(),
    qualitative=False,
    reads="actual",
    requires=SCORE_FORMULA_PARAM,
    unit=None,
    needs_target=False,
    yardstick=False,
    execution=False,
    score=_score_formula,
    full=_none,
    invert=_no_inverse,
)
EXECUTION_RATE = MethodSpec(
    Method.EXECUTION_RATE,
    "预算执行率",
    "an execution rate",
    "预算执行率：w×min(1, 执行率÷100%)",
    "budget execution rate: w×min(1, rate÷100%)",
    ops=None,
    default_for=(),
    qualitative=False,
    reads="actual",
    requires=None,
    unit="%",
    needs_target=False,
    yardstick=True,
    execution=True,
    score=_score_execution,
    full=_full_execution,
    invert=_invert_execution,
)
QUALITATIVE = MethodSpec(
    Method.QUALITATIVE,
    "定性分档",
    "qualitative tiers",
    "定性档次",
    "qualitative tier",
    ops=None,
    default_for=(),
    qualitative=True,
    reads="tier",
    requires=None,
    unit=None,
    needs_target=False,
    yardstick=False,
    execution=False,
    score=_score_qualitative,
    full=_full_qualitative,
    invert=_no_inverse,
)
DEDUCT = MethodSpec(
    Method.DEDUCT,
    "扣分制",
    "deductions",
    "扣分制：每偏离目标 per 扣 minus 分，扣完为止（需写 deduct）",
    "deductions: minus points per step of per away from the target, down to 0 (needs deduct)",
    ops=None,
    default_for=(),
    qualitative=False,
    reads="actual",
    requires=DEDUCT_PARAM,
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=_score_deduct,
    full=_full_deduct,
    invert=_invert_deduct,
)


RUBRIC = MethodSpec(
    Method.RUBRIC,
    "评分要点",
    "a rubric",
    "评分要点：达到的要点得该要点分值，合计为得分（需写 rubric，实际值写 met）",
    "rubric: each point met earns its points (needs rubric; the actuals list what is met)",
    ops=None,
    default_for=(),
    qualitative=True,
    reads="met",
    requires=RUBRIC_PARAM,
    unit=None,
    needs_target=False,
    yardstick=False,
    execution=False,
    score=_score_rubric,
    full=_full_rubric,
    invert=_no_inverse,
)


def spec(method: Method) -> MethodSpec:
    """The record of ``method``; mypy checks every member of :class:`Method` has one."""
    match method:
        case Method.PROPORTIONAL:
            return PROPORTIONAL
        case Method.REVERSE_LINEAR:
            return REVERSE_LINEAR
        case Method.REVERSE_RATIO:
            return REVERSE_RATIO
        case Method.EQUAL:
            return EQUAL
        case Method.EQUAL_SYMMETRIC:
            return EQUAL_SYMMETRIC
        case Method.RANGE:
            return RANGE
        case Method.THRESHOLD:
            return THRESHOLD
        case Method.BANDS:
            return BANDS
        case Method.FORMULA:
            return FORMULA
        case Method.EXECUTION_RATE:
            return EXECUTION_RATE
        case Method.QUALITATIVE:
            return QUALITATIVE
        case Method.DEDUCT:
            return DEDUCT
        case Method.RUBRIC:
            return RUBRIC
        case _:  # pragma: no cover - mypy proves this unreachable
            assert_never(method)


METHODS: Mapping[Method, MethodSpec] = MappingProxyType({m: spec(m) for m in Method})
"""Every method's record, in the order of :class:`Method`."""

_DEFAULTS: Mapping[Op | None, Method] = MappingProxyType(
    {op: record.method for record in METHODS.values() for op in record.default_for}
)


def default_method(target: Target | None) -> Method:
    """The method used when a quantitative leaf names none: chosen by the target's operator."""
    return _DEFAULTS[target.op if target is not None else None]
