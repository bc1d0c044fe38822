"""The parts of a method's record: the fields a method reads, what a unit supplies (Reading), what
explain shows (Needed), the record itself (MethodSpec) and a record bound to one leaf (Scorer)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Literal, NamedTuple

from kpi_engine.display import show, with_unit
from kpi_engine.errors import EvaluationError, Lang
from kpi_engine.formula import Formula
from kpi_engine.functions import Value
from kpi_engine.models import Deduction, Method
from kpi_engine.scoring import Outcome, Step
from kpi_engine.targets import Op, Target

__all__ = [
    "BANDS_PARAM",
    "DEDUCT_PARAM",
    "OVER_BUDGET_PARAM",
    "PARAMS",
    "RUBRIC_PARAM",
    "SCORE_FORMULA_PARAM",
    "FormulaRunner",
    "MethodSpec",
    "Needed",
    "Param",
    "Reading",
    "Scorer",
]

ZERO = Decimal(0)
_NO_SHARES: Mapping[str, Decimal] = MappingProxyType({})
HUNDRED = Decimal(100)


# --- what a method reads


@dataclass(frozen=True, slots=True)
class Param:
    """A leaf field that only one method reads; any other method refuses it. A required one is
    refused when missing too.

    The messages are templates with ``{id}``, the leaf's id.
    """

    field: str
    missing_code: str
    missing_zh: str
    missing_en: str
    unused_code: str
    unused_zh: str
    unused_en: str
    required: bool = True


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
    "indicator {id} uses method 'rubric' but has no rubric "
    "(e.g. '[{{item: 制度健全, points: 2}}]')",
    "method.unused-rubric",
    "指标 {id} 写了评分要点 rubric，但计分方法不是 rubric",
    "indicator {id} has a rubric but its method is not 'rubric'",
)
OVER_BUDGET_PARAM = Param(
    "over_budget",
    "",
    "",
    "",
    "method.unused-over-budget",
    "指标 {id} 写了 over_budget（超预算执行的计分），但计分方法不是 execution_rate",
    "indicator {id} has over_budget but its method is not 'execution_rate'",
    required=False,
)
PARAMS: tuple[Param, ...] = (
    BANDS_PARAM,
    SCORE_FORMULA_PARAM,
    DEDUCT_PARAM,
    RUBRIC_PARAM,
    OVER_BUDGET_PARAM,
)
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
    params: tuple[Param, ...]
    """The method-specific fields it reads (required or optional); every other one in
    :data:`PARAMS` is refused."""
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

    @property
    def requires(self) -> Param | None:
        """The field the method cannot do without, if any."""
        return next((p for p in self.params if p.required), None)


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
    over_budget: Literal["full", "excess"] = "full"
    """``execution_rate`` above 100 %: full marks (with the over-budget flag) or scored as an
    excess, s = w × (1 − (rate − 100) ÷ 100)."""
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
