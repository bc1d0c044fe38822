"""Scoring methods: one record per method, beside the pure maths of :mod:`kpi_engine.scoring`.

A :class:`MethodSpec` says everything the rest of the package needs to know about one method —
which target operators it accepts and for which it is the default, which leaf fields it requires
(each other method-specific field is refused), the unit its value must have, how it scores, how
``kpi explain`` inverts it, its help text for the JSON Schema and the facts it exposes to rule
packs. The compiler binds a record with one leaf's weight, target and parameters into a
:class:`Scorer` (``CompiledLeaf.scorer``); evaluation, explain, schema and facts ask the scorer and
never branch on :class:`~kpi_engine.models.Method`.

The records are here; their parts in :mod:`.record` (MethodSpec, Scorer, Param, Reading, Needed)
and the scoring and inversion functions they name in :mod:`.rules`. Adding a method is a member of
:class:`~kpi_engine.models.Method`, one :class:`MethodSpec` here and a case in :func:`spec` (mypy
refuses a record with a part missing, and ``assert_never`` refuses a method without a record),
plus tests.

>>> METHODS[Method.PROPORTIONAL].ops
(<Op.GE: '≥'>, <Op.EQ: '='>)
>>> METHODS[Method.DEDUCT].requires.field
'deduct'
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import assert_never

from kpi_engine import scoring
from kpi_engine.methods.record import (
    BANDS_PARAM,
    DEDUCT_PARAM,
    OVER_BUDGET_PARAM,
    PARAMS,
    RUBRIC_PARAM,
    SCORE_FORMULA_PARAM,
    MethodSpec,
    Needed,
    Param,
    Reading,
    Scorer,
)
from kpi_engine.methods.rules import (
    between,
    full_bands,
    full_deduct,
    full_equal,
    full_equal_symmetric,
    full_execution,
    full_or_none,
    full_qualitative,
    full_reverse,
    full_rubric,
    full_target,
    full_threshold,
    invert_deduct,
    invert_execution,
    invert_range,
    least,
    most,
    no_inverse,
    none,
    positive_target,
    score_bands,
    score_deduct,
    score_execution,
    score_formula,
    score_qualitative,
    score_range,
    score_rubric,
    score_threshold,
    target_rule,
)
from kpi_engine.models import Method
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
    params=(),
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=target_rule(scoring.proportional),
    full=full_target,
    invert=positive_target(lambda s, t, share: least(share * t.value)),
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
    params=(),
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=target_rule(scoring.reverse_linear),
    full=full_reverse,
    invert=positive_target(lambda s, t, share: most(t.value * (2 - share))),
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
    params=(),
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=target_rule(scoring.reverse_ratio),
    full=full_reverse,
    invert=positive_target(lambda s, t, share: most(t.value / share)),
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
    params=(),
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=target_rule(scoring.equal),
    full=full_equal,
    invert=positive_target(lambda s, t, share: least(share * t.value)),
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
    params=(),
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=target_rule(scoring.equal_symmetric),
    full=full_equal_symmetric,
    invert=positive_target(lambda s, t, share: between(t.value * share, t.value * (2 - share))),
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
    params=(),
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=score_range,
    full=full_target,
    invert=positive_target(invert_range),
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
    params=(),
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=score_threshold,
    full=full_threshold,
    invert=full_or_none,
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
    params=(BANDS_PARAM,),
    unit=None,
    needs_target=False,
    yardstick=True,
    execution=False,
    score=score_bands,
    full=full_bands,
    invert=full_or_none,
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
    params=(SCORE_FORMULA_PARAM,),
    unit=None,
    needs_target=False,
    yardstick=False,
    execution=False,
    score=score_formula,
    full=none,
    invert=no_inverse,
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
    params=(OVER_BUDGET_PARAM,),
    unit="%",
    needs_target=False,
    yardstick=True,
    execution=True,
    score=score_execution,
    full=full_execution,
    invert=invert_execution,
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
    params=(),
    unit=None,
    needs_target=False,
    yardstick=False,
    execution=False,
    score=score_qualitative,
    full=full_qualitative,
    invert=no_inverse,
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
    params=(DEDUCT_PARAM,),
    unit=None,
    needs_target=True,
    yardstick=False,
    execution=False,
    score=score_deduct,
    full=full_deduct,
    invert=invert_deduct,
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
    params=(RUBRIC_PARAM,),
    unit=None,
    needs_target=False,
    yardstick=False,
    execution=False,
    score=score_rubric,
    full=full_rubric,
    invert=no_inverse,
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
