"""``Engine``: a compiled set + actuals → :class:`~kpi_engine.results.Evaluation`.

Compile once, evaluate many: ``Engine(indicator_set)`` checks and compiles the set up front and is
immutable afterwards, so one engine can be shared between threads (each ``evaluate`` call makes its
own interpreter). Bad data in one indicator becomes that indicator's status plus a flag; the rest
still evaluates, and nothing missing is ever counted as zero without saying so.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation, localcontext
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from kpi_engine import scoring
from kpi_engine.compiler import CompiledLeaf, CompiledSet, compile_set
from kpi_engine.errors import (
    DefinitionError,
    EvaluationError,
    Issue,
    SourceLocation,
    did_you_mean,
)
from kpi_engine.flags import check, sort_flags, structure_of
from kpi_engine.formula import ARITHMETIC, Formula, Interpreter
from kpi_engine.functions import Value, exact_sum, quantize_half_up
from kpi_engine.grading import grade
from kpi_engine.loading import validate
from kpi_engine.models import (
    Actuals,
    Cap,
    DerivedDef,
    IndicatorActual,
    IndicatorSet,
    InputEntry,
    Kind,
    Method,
    SourceMap,
    Tier,
)
from kpi_engine.results import (
    Details,
    Evaluation,
    Explanation,
    Flag,
    GroupResult,
    IndicatorResult,
    Status,
    UsedValue,
)
from kpi_engine.rulepacks import RulePack, packs_for
from kpi_engine.scoring import Outcome, show
from kpi_engine.targets import Op, Target, normalize_unit
from kpi_engine.version import __version__

__all__ = [
    "BLANKS",
    "Engine",
    "digest",
    "evaluate",
    "lint",
    "parse_number_text",
    "read_figure",
]

_NUMBER_TEXT = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
BLANKS = frozenset({"", "—", "——", "–", "-", "－", "/", "无", "暂无", "N/A", "n/a", "NA", "null"})
"""Texts that mean "no figure" in spreadsheets: read as missing, never as zero."""
_NON_FINITE = frozenset({"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})
_FIGURE_PROBLEMS = {
    "not-numeric": ("不是数字", "not a number"),
    "not-finite": ("不是有限数（NaN 或无穷大）", "not a finite number (NaN or infinity)"),
}


def parse_number_text(text: str, unit: str | None = None) -> Decimal | None:
    """A number written as text ("1,234.5", "98%" where the unit is %), or None."""
    s = text.strip().replace("，", ",")
    if unit and s.endswith(unit):
        s = s[: -len(unit)].strip()
    if not _NUMBER_TEXT.match(s):
        return None
    try:
        return Decimal(s.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None


def read_figure(raw: Decimal | str | None, unit: str | None) -> tuple[Decimal | None, str | None]:
    """A supplied figure as (number, problem): problem is None, "blank", "not-finite" or
    "not-numeric". Blank-like text ("", "—", "无") is missing data, never zero."""
    if raw is None:
        return None, "blank"
    if isinstance(raw, Decimal):
        return (raw, None) if raw.is_finite() else (None, "not-finite")
    text = raw.strip()
    if text in BLANKS:
        return None, "blank"
    if text.lower() in _NON_FINITE:
        return None, "not-finite"
    number = parse_number_text(text, unit)
    return (number, None) if number is not None else (None, "not-numeric")


class _Data:
    """Values known for one evaluation: inputs and derived values, with why any is absent."""

    def __init__(self) -> None:
        self.values: dict[str, Value] = {}
        self.problems: dict[str, tuple[str, str, str]] = {}  # name → (code, zh, en)
        self.missing: set[str] = set()


class Engine:
    """Evaluates one indicator set against any number of actuals.

    >>> from kpi_engine import parse_indicator_set
    >>> engine = Engine(parse_indicator_set('''
    ... kpi_engine: 1
    ... id: tiny
    ... title: 示例
    ... inputs: {done: {unit: 人}}
    ... indicators:
    ...   - {id: trained, name: 培训人数, weight: 10, target: "≥ 500 人", value: done}
    ... '''))
    >>> result = engine.evaluate({"inputs": {"done": 450}})
    >>> str(result.total_rounded), result.grade.label
    ('9.00', '优')
    """

    __slots__ = ("_compiled", "_packs", "_plan", "_set_digest", "_structure")

    def __init__(self, indicator_set: IndicatorSet, extra_rules: Sequence[RulePack] = ()) -> None:
        self._compiled = compile_set(indicator_set)
        self._packs = packs_for(indicator_set, extra_rules)
        self._set_digest = digest(indicator_set)
        self._plan = _Plan.of(self._compiled)
        self._structure = structure_of(self._compiled, self._packs)

    @property
    def rule_packs(self) -> tuple[RulePack, ...]:
        """The rule packs applied: those the set names (default ``cn-fiscal``) plus extras."""
        return self._packs

    def lint(self) -> tuple[Flag, ...]:
        """Structural problem flags only: what can be said of the set before any actuals."""
        return sort_flags(check(self._compiled, self._packs, structure=self._structure))

    @property
    def compiled(self) -> CompiledSet:
        """The checked and compiled set."""
        return self._compiled

    @property
    def indicator_set(self) -> IndicatorSet:
        """The set this engine evaluates."""
        return self._compiled.definition

    def evaluate(self, actuals: Actuals | Mapping[str, Any] | None = None) -> Evaluation:
        """Score every indicator; raises :class:`DefinitionError` only for structural problems
        in the actuals (unknown input or indicator names, wrong shape)."""
        if actuals is None:
            actuals = Actuals()
        elif not isinstance(actuals, Actuals):
            actuals = validate(Actuals, dict(actuals), SourceMap("<actuals>", {}, {}))
        self._check(actuals)
        with localcontext(ARITHMETIC):
            evaluation = _Run(self._compiled, actuals, self._plan).evaluate()
            found = check(self._compiled, self._packs, evaluation, self._structure)
        provenance = _Provenance(
            self._set_digest, ", ".join(pack.id for pack in self._packs), actuals
        )
        return replace(
            evaluation, flags=sort_flags((*evaluation.flags, *found)), provenance=provenance
        )

    def evaluate_many(
        self, rows: Iterable[Actuals | Mapping[str, Any]]
    ) -> Iterator[Evaluation | DefinitionError]:
        """Evaluate a stream of actuals lazily, in order. A row whose actuals are structurally
        wrong yields its ``DefinitionError`` as a value instead of stopping the stream, so every
        row gives exactly one result."""
        for row in rows:
            try:
                yield self.evaluate(row)
            except DefinitionError as exc:
                yield exc

    def _check(self, actuals: Actuals) -> None:
        c = self._compiled
        smap = actuals.source
        issues: list[Issue] = []

        def where(path: tuple[str | int, ...]) -> SourceLocation | None:
            return smap.locate(path, key=True) if smap else None

        if actuals.set is not None and actuals.set != c.definition.id:
            issues.append(
                Issue(
                    "actuals.set-mismatch",
                    f"实际值文件对应指标体系 '{actuals.set}'，而不是 '{c.definition.id}'",
                    f"these actuals are for set {actuals.set!r}, not {c.definition.id!r}",
                    where(("set",)),
                )
            )
        derived_names = {name for name, _, _ in c.derived}
        for name in actuals.inputs:
            if name in c.inputs:
                continue
            zh, en = did_you_mean(name, c.inputs)
            if name in derived_names:
                zh, en = "（它是派生值，由公式计算，不应直接提供）", " (it is derived by formula)"
            issues.append(
                Issue(
                    "actuals.unknown-input",
                    f"未定义的输入项 '{name}'{zh}",
                    f"unknown input {name!r}{en}",
                    where(("inputs", name)),
                )
            )
        leaves = {leaf.id: leaf for leaf in c.leaves}
        groups = {g.id for g in c.groups}
        for indicator_id, entry in actuals.indicators.items():
            leaf = leaves.get(indicator_id)
            if leaf is None:
                if indicator_id in groups:
                    zh, en = "（这是指标组，其得分由下级指标汇总）", " (it is a group)"
                else:
                    zh, en = did_you_mean(indicator_id, leaves)
                issues.append(
                    Issue(
                        "actuals.unknown-indicator",
                        f"未定义的指标 '{indicator_id}'{zh}",
                        f"unknown indicator {indicator_id!r}{en}",
                        where(("indicators", indicator_id)),
                    )
                )
            elif leaf.kind is Kind.QUANTITATIVE and (
                entry.tier is not None or entry.score is not None
            ):
                issues.append(
                    Issue(
                        "actuals.tier-on-quantitative",
                        f"指标 '{indicator_id}' 是定量指标，不能给定性档次或得分",
                        f"indicator {indicator_id!r} is quantitative: tier and score do not apply",
                        where(("indicators", indicator_id)),
                    )
                )
        if issues:
            raise DefinitionError(issues)


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
class _Plan:
    """What every evaluation of one engine shares, worked out once in ``Engine.__init__``."""

    leaves: Mapping[str, Mapping[str, Any]]
    derived: Mapping[str, tuple[Formula, DerivedDef]]
    units: Mapping[str, str | None]

    @classmethod
    def of(cls, compiled: CompiledSet) -> _Plan:
        return cls(
            MappingProxyType({leaf.id: _static(leaf) for leaf in compiled.leaves}),
            MappingProxyType({name: (f, d) for name, f, d in compiled.derived}),
            MappingProxyType({n: normalize_unit(d.unit) for n, d in compiled.inputs.items()}),
        )


class _Run:
    """One evaluation: not shared, so it may hold an interpreter and scratch state."""

    def __init__(self, compiled: CompiledSet, actuals: Actuals, plan: _Plan) -> None:
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
                zh, en = _FIGURE_PROBLEMS[kind]
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
                zh, en = _FIGURE_PROBLEMS[kind or "not-numeric"]
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
            flags=tuple(_data_flags(results, coverage, places, self.data.problems)),
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


class _Provenance(Mapping[str, str]):
    """What an evaluation came from: engine version, set and actuals digests, rule packs.

    The actuals' digest is worked out when first read: a batch that writes only totals does not
    hash every unit's actuals.
    """

    __slots__ = ("_actuals", "_items", "_packs", "_set")

    def __init__(self, set_digest: str, packs: str, actuals: Actuals) -> None:
        self._set, self._packs, self._actuals = set_digest, packs, actuals
        self._items: dict[str, str] | None = None

    def _resolved(self) -> dict[str, str]:
        if self._items is None:
            self._items = {
                "engine": f"kpi_engine {__version__}",
                "set_sha256": self._set,
                "actuals_sha256": digest(self._actuals),
                "rule_packs": self._packs,
            }
        return self._items

    def __getitem__(self, key: str) -> str:
        return self._resolved()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._resolved())

    def __len__(self) -> int:
        return 4

    def __repr__(self) -> str:
        return repr(self._resolved())

    def __reduce__(self) -> tuple[type[dict[str, str]], tuple[dict[str, str]]]:
        return dict, (self._resolved(),)  # a plain mapping once it leaves this process


def digest(model: BaseModel) -> str:
    """SHA-256 of a model's canonical JSON: the same content gives the same digest, whatever
    the formatting or key order of the file it came from.

    Fields left at their defaults are left out, so writing a default explicitly, or a later
    release adding an optional field, does not change the digest of the same content.
    """
    canonical = json.dumps(
        model.model_dump(mode="json", exclude_defaults=True),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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


def _data_flags(
    results: tuple[IndicatorResult, ...],
    coverage: Decimal,
    places: int,
    problems: Mapping[str, tuple[str, str, str]],
) -> list[Flag]:
    """Flags the engine itself raises for data it could not use (rule packs add the rest)."""
    flags = []
    reported = {r.problem for r in results if r.status is Status.ERROR}
    for name, (code, zh, en) in problems.items():
        if zh in reported:
            continue  # an indicator's data.error already quotes it
        # Read by no scored row (a budget figure only rule packs use, say): still never silent.
        flags.append(
            Flag(
                "data.bad_input",
                "warning",
                name,
                f"{zh}，已按缺失处理",
                f"{en}; treated as missing",
                {"input": name, "code": code},
                "核对该数据项的填报值。",
                "Check the figure supplied for it.",
                "数据有误",
                "Bad data",
            )
        )
    for r in results:
        evidence = {"indicator": r.id, "name": r.name}
        name_en = r.name_en or r.name
        if r.problem_code:
            evidence["code"] = r.problem_code
        if r.status is Status.MISSING_INPUT and r.problem_code == "target.missing":
            continue  # a definition gap, not missing data: rule packs report it (one flag per set)
        if r.status is Status.MISSING_INPUT:
            flags.append(
                Flag(
                    "data.missing_input",
                    "warning",
                    r.id,
                    f"指标“{r.name}”缺少数据，未计分：{r.problem}",
                    f"indicator {name_en!r} lacks data and was not scored: {r.problem_en}",
                    evidence,
                    "补充实际完成值或年度指标值后重新评价。",
                    "Supply the missing actual or target and evaluate again.",
                    "评价数据不完整",
                    "Incomplete data",
                )
            )
        elif r.status is Status.ERROR:
            flags.append(
                Flag(
                    "data.error",
                    "error",
                    r.id,
                    f"指标“{r.name}”数据有误，未计分：{r.problem}",
                    f"indicator {name_en!r} has bad data and was not scored: {r.problem_en}",
                    evidence,
                    "核对该指标的数据与目标值。",
                    "Check this indicator's data and target.",
                    "数据有误",
                    "Bad data",
                )
            )
        elif r.reported_actual is not None and r.reported_actual != r.value:
            flags.append(
                Flag(
                    "data.actual-mismatch",
                    "warning",
                    r.id,
                    f"指标“{r.name}”填报的实际值 {r.reported_actual} 与公式计算值 "
                    f"{show(r.value or Decimal(0))} 不一致（按计算值评分）",
                    f"indicator {name_en!r}: the reported actual {r.reported_actual} differs from "
                    f"the computed {show(r.value or Decimal(0))} (the computed value is scored)",
                    evidence
                    | {"reported": str(r.reported_actual), "computed": show(r.value or Decimal(0))},
                    "核对填报数据与原始数据。",
                    "Reconcile the reported figure with the raw data.",
                    "数据不一致",
                    "Inconsistent data",
                )
            )
    if coverage < 1:
        share = quantize_half_up(coverage * 100, places)
        flags.append(
            Flag(
                "data.incomplete",
                "warning",
                "total",
                f"总分仅覆盖 {share}% 的适用分值，未计分的指标按 0 分计入，总分不完整",
                f"the total covers only {share}% of the applicable weight; unscored rows count as "
                "0, so the total is incomplete",
                {"coverage": format(coverage, "f")},
                "补齐缺失数据后重新评价。",
                "Complete the missing data and evaluate again.",
                "评价数据不完整",
                "Incomplete data",
            )
        )
    return flags


def evaluate(
    indicator_set: IndicatorSet, actuals: Actuals | Mapping[str, Any] | None = None
) -> Evaluation:
    """Compile ``indicator_set`` and evaluate it once (use :class:`Engine` to evaluate many)."""
    return Engine(indicator_set).evaluate(actuals)


def lint(indicator_set: IndicatorSet, extra_rules: Sequence[RulePack] = ()) -> tuple[Flag, ...]:
    """Structural problem flags of a set, without actuals (``kpi lint``)."""
    return Engine(indicator_set, extra_rules).lint()
