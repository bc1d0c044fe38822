"""One evaluation of a compiled set against one unit's actuals.

``Run`` reads the inputs, computes derived values, scores every leaf (a bad figure becomes that
leaf's status, never an exception), adds up the groups, applies caps, grades the total and raises
the engine's own data flags. ``Plan`` holds what every run of one engine shares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from kpi_engine import scoring
from kpi_engine.compiler import CompiledLeaf, CompiledSet
from kpi_engine.errors import EvaluationError
from kpi_engine.figures import FIGURE_PROBLEMS, read_figure
from kpi_engine.flags import data_flags
from kpi_engine.formula import Formula, Interpreter
from kpi_engine.functions import Value, exact_sum, quantize_half_up
from kpi_engine.grading import grade
from kpi_engine.models import (
    Actuals,
    Cap,
    DerivedDef,
    IndicatorActual,
    InputEntry,
    Kind,
    Method,
    Tier,
)
from kpi_engine.results import (
    Details,
    Evaluation,
    Explanation,
    GroupResult,
    IndicatorResult,
    Status,
    UsedValue,
)
from kpi_engine.scoring import Outcome, show
from kpi_engine.targets import Op, Target, normalize_unit

__all__ = ["Plan", "Run"]


class _Data:
    """Values known for one evaluation: inputs and derived values, with why any is absent."""

    def __init__(self) -> None:
        self.values: dict[str, Value] = {}
        self.problems: dict[str, tuple[str, str, str]] = {}  # name → (code, zh, en)
        self.missing: set[str] = set()


_NO_ENTRY = IndicatorActual()
_TARGET_RULES = {
    Method.PROPORTIONAL: scoring.proportional,
    Method.REVERSE_LINEAR: scoring.reverse_linear,
    Method.REVERSE_RATIO: scoring.reverse_ratio,
    Method.EQUAL: scoring.equal,
    Method.EQUAL_SYMMETRIC: scoring.equal_symmetric,
}


def _static(leaf: CompiledLeaf) -> Mapping[str, Any]:
    """The parts of a leaf's result that do not depend on the actuals."""
    return MappingProxyType(
        {
            "id": leaf.id,
            "name": leaf.name,
            "name_en": leaf.name_en,
            "path": leaf.path,
            "group_ids": leaf.group_ids,
            "kind": leaf.kind.value,
            "method": leaf.method.value,
            "weight": leaf.weight,
            "target": leaf.target,
            "target_text": leaf.target_text,
            "unit": leaf.unit,
            "dimension": leaf.dimension,
        }
    )


@dataclass(frozen=True, slots=True)
class Plan:
    """What every evaluation of one engine shares, worked out once in ``Engine.__init__``."""

    leaves: Mapping[str, Mapping[str, Any]]
    derived: Mapping[str, tuple[Formula, DerivedDef]]
    units: Mapping[str, str | None]

    @classmethod
    def of(cls, compiled: CompiledSet) -> Plan:
        return cls(
            MappingProxyType({leaf.id: _static(leaf) for leaf in compiled.leaves}),
            MappingProxyType({name: (f, d) for name, f, d in compiled.derived}),
            MappingProxyType({n: normalize_unit(d.unit) for n, d in compiled.inputs.items()}),
        )


class Run:
    """One evaluation: not shared, so it may hold an interpreter and scratch state."""

    def __init__(self, compiled: CompiledSet, actuals: Actuals, plan: Plan) -> None:
        self.c = compiled
        self.actuals = actuals
        self.plan = plan
        self.interpreter = Interpreter(own_context=False)  # evaluate() enters ARITHMETIC
        self.data = _Data()
        self.derived_formulas = plan.derived

    # --- inputs and derived values -------------------------------------------------------------

    def load_inputs(self) -> None:
        for name, unit in self.plan.units.items():
            raw = self.actuals.inputs.get(name)
            if isinstance(raw, InputEntry):
                raw = raw.value
            number, kind = read_figure(raw, unit)
            self.data.values[name] = number
            if kind == "blank":
                self.data.missing.add(name)
            elif kind is not None:
                zh, en = FIGURE_PROBLEMS[kind]
                self.data.problems[name] = (
                    f"input.{kind}",
                    f"输入项 {name} 的值 '{raw}' {zh}",
                    f"input {name} is {raw!r}: {en}",
                )

    def compute_derived(self) -> None:
        for name, formula, _ in self.c.derived:
            try:
                value = self.interpreter.evaluate(formula, self.data.values)
            except EvaluationError as exc:
                self.data.values[name] = None
                if exc.code != "value.missing":
                    self.data.problems[name] = (
                        exc.code,
                        f"派生值 {name} 无法计算：{exc.message}",
                        f"derived value {name} cannot be computed: {exc.message_en}",
                    )
                continue
            if not isinstance(value, Decimal):
                self.data.values[name] = None
                self.data.problems[name] = (
                    "formula.not-a-number",
                    f"派生值 {name} 的公式结果不是数字",
                    f"derived value {name} is not a number",
                )
            else:
                self.data.values[name] = value

    def used(self, names: frozenset[str]) -> tuple[UsedValue, ...]:
        """The inputs and derived values behind ``names``, dependencies first."""
        ordered: dict[str, UsedValue] = {}

        def visit(name: str) -> None:
            if name in ordered:
                return
            problem = self.data.problems.get(name)
            problem_text = problem[1] if problem else None
            problem_en = problem[2] if problem else None
            if name in self.derived_formulas:
                formula, definition = self.derived_formulas[name]
                for dep in sorted(formula.names):
                    visit(dep)
                ordered[name] = UsedValue(
                    name,
                    "derived",
                    _decimal(self.data.values.get(name)),
                    definition.label,
                    definition.unit,
                    formula.text,
                    formula.substitute(self.data.values),
                    problem_text,
                    definition.label_en,
                    problem_en,
                )
            elif name in self.c.inputs:
                declared = self.c.inputs[name]
                if name in self.data.missing:
                    problem_text, problem_en = "未提供", "not supplied"
                ordered[name] = UsedValue(
                    name,
                    "input",
                    _decimal(self.data.values.get(name)),
                    declared.label,
                    declared.unit,
                    problem=problem_text,
                    label_en=declared.label_en,
                    problem_en=problem_en,
                )

        for name in sorted(names):
            visit(name)
        return tuple(ordered.values())

    def root_problem(self, used: tuple[UsedValue, ...]) -> tuple[str, str, str] | None:
        for u in used:
            if u.name in self.data.problems:
                return self.data.problems[u.name]
        return None

    # --- leaves ---------------------------------------------------------------------------------

    def leaf(self, leaf: CompiledLeaf) -> IndicatorResult:
        entry = self.actuals.indicators.get(leaf.id) or _NO_ENTRY
        base: dict[str, Any] = {
            **self.plan.leaves[leaf.id],
            "reported_score": entry.reported_score,
            "reason": entry.reason,
            "source": entry.source,
            "tier": entry.tier.value if entry.tier else None,
            "given_score": entry.score,
            "last_year": entry.last_year,
        }
        if entry.not_applicable:
            return IndicatorResult(
                **base,
                status=Status.NOT_APPLICABLE,
                value=None,
                actual_text=None,
                score=None,
                score_exact=None,
                achievement=None,
                met=None,
                explanation=Explanation(
                    leaf.method.value,
                    notes_zh=("本指标不适用，不计入满分；总分按适用分值折算。",),
                    notes_en=("Not applicable: excluded from full marks; the total is rescaled.",),
                ),
            )
        if leaf.kind is Kind.QUALITATIVE:
            return self.qualitative(leaf, entry, base)
        return self.quantitative(leaf, entry, base)

    def qualitative(
        self, leaf: CompiledLeaf, entry: IndicatorActual, base: dict[str, Any]
    ) -> IndicatorResult:
        if entry.tier is None:
            return self.failed(
                base,
                Status.MISSING_INPUT,
                ("tier.missing", "未给出定性评价档次（达成/部分达成/未达成）", "no tier given"),
                Explanation(leaf.method.value),
            )
        tier: Tier = entry.tier
        try:
            outcome = scoring.qualitative(
                leaf.weight,
                tier.value,
                entry.score,
                self.c.qualitative_shares[tier.value],
                tier.label,
            )
        except EvaluationError as exc:
            return self.failed(
                base,
                Status.ERROR,
                (exc.code, exc.message, exc.message_en),
                Explanation(leaf.method.value),
            )
        return self.scored(leaf, base, outcome, None, None)

    def quantitative(
        self, leaf: CompiledLeaf, entry: IndicatorActual, base: dict[str, Any]
    ) -> IndicatorResult:
        actual: Decimal | None = None
        read: Details | None = None  # works out the data read, only if someone asks
        base["reported_actual"] = None
        if leaf.value is not None:
            formula = leaf.value
            try:
                result = self.interpreter.evaluate(formula, self.data.values)
            except EvaluationError as exc:
                used = self.used(formula.names)
                explanation = Explanation(
                    base["method"], used, formula.text, formula.substitute(self.data.values)
                )
                cause = self.root_problem(used)
                if cause is not None:
                    return self.failed(base, Status.ERROR, cause, explanation)
                if exc.code == "value.missing":
                    absent = [u for u in used if u.kind == "input" and u.value is None]
                    zh = "缺少输入数据：" + "、".join(
                        [f"{u.label}（{u.name}）" if u.label else u.name for u in absent]
                        or list(exc.missing)
                    )
                    en = "missing input: " + ", ".join([u.name for u in absent] or exc.missing)
                    return self.failed(
                        base, Status.MISSING_INPUT, ("value.missing", zh, en), explanation
                    )
                return self.failed(
                    base, Status.ERROR, (exc.code, exc.message, exc.message_en), explanation
                )
            values = self.data.values

            def details() -> tuple[tuple[UsedValue, ...], str | None]:
                return self.used(formula.names), formula.substitute(values)

            read = details
            if not isinstance(result, Decimal):
                return self.failed(
                    base,
                    Status.ERROR,
                    ("formula.not-a-number", "取值公式的结果不是数字", "the value is not a number"),
                    Explanation(base["method"], value_formula=formula.text, details=details),
                )
            actual = result
            if entry.actual is not None:
                base["reported_actual"] = entry.actual
        else:
            actual, kind = read_figure(entry.actual, leaf.unit)
            if kind == "blank":
                return self.failed(
                    base,
                    Status.MISSING_INPUT,
                    ("actual.missing", "未提供实际完成值", "no actual value supplied"),
                    Explanation(base["method"]),
                )
            if kind is not None or actual is None:
                zh, en = FIGURE_PROBLEMS[kind or "not-numeric"]
                return self.failed(
                    dict(base, actual_text=str(entry.actual)),
                    Status.ERROR,
                    (
                        f"actual.{kind}",
                        f"实际完成值 '{entry.actual}' {zh}，定量指标无法计分",
                        f"the actual {entry.actual!r}: {en}",
                    ),
                    Explanation(base["method"]),
                )
        try:
            outcome = self.score(leaf, actual)
        except (EvaluationError, ArithmeticError) as exc:
            explanation = Explanation(
                base["method"],
                value_formula=leaf.value.text if leaf.value else None,
                details=read,
            )
            if isinstance(exc, ArithmeticError):
                return self.failed(
                    dict(base, value=actual),
                    Status.ERROR,
                    ("score.overflow", "数值超出可计算范围，无法计分", "the value is out of range"),
                    explanation,
                )
            return self.failed(
                dict(base, value=actual),
                Status.MISSING_INPUT if exc.code == "target.missing" else Status.ERROR,
                (exc.code, exc.message, exc.message_en),
                explanation,
            )

        return self.scored(leaf, base, outcome, actual, read)

    def score(self, leaf: CompiledLeaf, a: Decimal) -> Outcome:
        w, m, t = leaf.weight, leaf.method, leaf.target
        if m is Method.BANDS:
            return scoring.bands(w, leaf.steps, a)
        if m is Method.EXECUTION_RATE:
            return scoring.execution_rate(w, a)
        if m is Method.FORMULA:
            return self.custom(leaf, a)
        if t is None:
            raise EvaluationError(
                "target.missing", "未设定年度指标值，无法计分", "no target set: cannot score"
            )
        if m is Method.THRESHOLD:
            met, comparison = _met(t, a)
            return scoring.threshold(w, met, comparison)
        if m is Method.RANGE:
            assert t.high is not None
            return scoring.range_score(w, t.low, t.high, a)
        if m is Method.DEDUCT:
            d = leaf.deduction
            assert d is not None
            return scoring.deduct(
                w, t.op, t.value, t.high, a, d.per, d.minus, count_partial=d.partial == "count"
            )
        return _TARGET_RULES[m](w, t.value, a)

    def custom(self, leaf: CompiledLeaf, a: Decimal) -> Outcome:
        assert leaf.score_formula is not None
        names: dict[str, Value] = dict(self.data.values)
        names |= {"A": a, "T": leaf.target.value if leaf.target else None, "w": leaf.weight}
        result = self.interpreter.evaluate(leaf.score_formula, names)
        if not isinstance(result, Decimal):
            raise EvaluationError(
                "formula.not-a-number",
                "计分公式的结果不是数字",
                "the score formula is not a number",
            )
        calc = (
            f"{leaf.score_formula.text} = {leaf.score_formula.substitute(names)} = {show(result)}"
        )
        return scoring.custom(leaf.weight, result, calc)

    def scored(
        self,
        leaf: CompiledLeaf,
        base: dict[str, Any],
        outcome: Outcome,
        actual: Decimal | None,
        details: Details | None,
    ) -> IndicatorResult:
        score = outcome.score
        notes_zh: tuple[str, ...] = ()
        notes_en: tuple[str, ...] = ()
        if self.c.round_indicators:
            score = quantize_half_up(score, self.c.places)
            if score != outcome.score:
                notes_zh = (f"按规定四舍五入到 {self.c.places} 位小数后计入总分：{score}",)
                notes_en = (f"rounded half up to {self.c.places} places before adding: {score}",)
        explanation = Explanation(
            base["method"],
            value_formula=leaf.value.text if leaf.value else None,
            rule_zh=outcome.rule_zh,
            rule_en=outcome.rule_en,
            calculation=outcome.calc,
            notes_zh=notes_zh,
            notes_en=notes_en,
            details=details,
        )
        base.setdefault("actual_text", None)
        return IndicatorResult(
            **base,
            status=Status.OK,
            value=actual,
            score=score,
            score_exact=outcome.score,
            achievement=outcome.achievement,
            met=outcome.met,
            explanation=explanation,
        )

    def failed(
        self,
        base: dict[str, Any],
        status: Status,
        problem: tuple[str, str, str],
        explanation: Explanation,
    ) -> IndicatorResult:
        code, zh, en = problem
        fields = {"value": None, "actual_text": None, "reported_actual": None} | base
        return IndicatorResult(
            **fields,
            status=status,
            score=None,
            score_exact=None,
            achievement=None,
            met=None,
            explanation=Explanation(
                explanation.method,
                explanation.used,
                explanation.value_formula,
                explanation.value_substituted,
                notes_zh=(f"未计分：{zh}",),
                notes_en=(f"not scored: {en}",),
            ),
            problem_code=code,
            problem=zh,
            problem_en=en,
        )

    # --- totals and flags --------------------------------------------------------------------

    def cap(self, total: Decimal) -> tuple[Decimal, str | None]:
        return _capped(total, self.c.scale, self.c.definition.caps, self.data.values)

    def evaluate(self) -> Evaluation:
        self.load_inputs()
        self.compute_derived()
        results = tuple(self.leaf(leaf) for leaf in self.c.leaves)
        by_id: dict[str, tuple[Decimal, Decimal]] = {
            r.id: (r.score or Decimal(0), r.applicable_weight) for r in results
        }
        groups = []
        for g in self.c.groups:  # post-order: children first
            score = exact_sum(by_id[child][0] for child in g.children)
            applicable = exact_sum(by_id[child][1] for child in g.children)
            by_id[g.id] = (score, applicable)
            groups.append(
                GroupResult(
                    g.id,
                    g.name,
                    g.name_en,
                    g.path,
                    g.depth,
                    g.weight,
                    applicable,
                    score,
                    g.children,
                )
            )
        raw = exact_sum(by_id[i][0] for i in self.c.top)
        applicable = exact_sum(by_id[i][1] for i in self.c.top)
        scored_weight = exact_sum(r.weight for r in results if r.status is Status.OK)
        if applicable == 0:
            total = None
            coverage = Decimal(0)
        else:
            total = raw if applicable == self.c.scale else raw * self.c.scale / applicable
            coverage = scored_weight / applicable
        places = self.c.places
        result_grade = None
        total_uncapped = total
        cap_note = None
        if total is not None:
            total, cap_note = self.cap(total)
        if total is not None:
            # Graded on the percentage of full marks as reported (rounded to the set's places):
            # with a 100-point scale that is the printed total, and scaling every weight and
            # the scale together leaves it unchanged.
            percent = quantize_half_up(total * 100 / self.c.scale, places)
            result_grade = grade(percent, self.c.grades)
        return Evaluation(
            set_id=self.c.definition.id,
            title=self.c.definition.title,
            title_en=self.c.definition.title_en,
            scale=self.c.scale,
            places=places,
            total=total,
            grade=result_grade,
            coverage=coverage,
            indicators=results,
            groups=tuple(groups),
            top=self.c.top,
            flags=tuple(data_flags(results, coverage, places, self.data.problems)),
            reported_total=self.actuals.reported_total,
            cap=cap_note,
            total_uncapped=total_uncapped,
            values={name: _decimal(value) for name, value in self.data.values.items()},
            sources={
                name: entry.source
                for name, entry in self.actuals.inputs.items()
                if isinstance(entry, InputEntry) and entry.source
            },
        )


def _capped(
    total: Decimal, scale: Decimal, caps: Sequence[Cap], values: Mapping[str, Value]
) -> tuple[Decimal, str | None]:
    """Apply the strictest cap whose value is below its threshold (caps are on 100 points)."""
    best: tuple[Decimal, str] | None = None
    for cap in caps:
        value = values.get(cap.value)
        if not isinstance(value, Decimal) or value >= cap.below:
            continue
        ceiling = cap.max_total * scale / 100
        if best is None or ceiling < best[0]:
            note = f"{cap.value} {show(value)} < {show(cap.below)} → ≤ {show(cap.max_total)}"
            best = (ceiling, note)
    if best is None or total <= best[0]:
        return total, None  # no ceiling binds: nothing to report
    return best[0], best[1]


def _decimal(value: Value) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def _met(t: Target, a: Decimal) -> tuple[bool, str]:
    if t.op is Op.RANGE:
        assert t.high is not None
        return t.low <= a <= t.high, f"{show(t.low)} ≤ {show(a)} ≤ {show(t.high)}?"
    if t.op is Op.LE:
        return a <= t.value, f"{show(a)} ≤ {show(t.value)}?"
    if t.op is Op.EQ:
        return a == t.value, f"{show(a)} = {show(t.value)}?"
    return a >= t.value, f"{show(a)} ≥ {show(t.value)}?"
