"""One leaf's row for one unit: the actual read, the scorer asked, the result built.

A bad figure becomes the row's status and problem, never an exception. Results are built from
typed records (:class:`Static`, :class:`Entry`), so mypy checks every field name.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

from kpi_engine.compiler import CompiledLeaf, CompiledSet
from kpi_engine.errors import EvaluationError, Issue
from kpi_engine.evaluation.data import Data
from kpi_engine.figures import actual_issue, read_figure
from kpi_engine.formula import Formula, Interpreter
from kpi_engine.functions import Value, quantize_half_up
from kpi_engine.methods import Reading
from kpi_engine.models import IndicatorActual
from kpi_engine.results import Details, Explanation, IndicatorResult, Status, UsedValue
from kpi_engine.scoring import Outcome
from kpi_engine.targets import Target, TargetSyntaxError, parse_target

__all__ = ["Entry", "RowScorer", "Static"]


class Static(NamedTuple):
    """The parts of a leaf's result that do not depend on the actuals (worked out once)."""

    id: str
    name: str
    name_en: str | None
    path: tuple[str, ...]
    group_ids: tuple[str, ...]
    kind: str
    method: str
    weight: Decimal
    target: Target | None
    target_text: str | None
    unit: str | None
    dimension: str | None
    assumed: tuple[str, ...]
    part_of: str | None

    @classmethod
    def of(cls, leaf: CompiledLeaf) -> Static:
        return cls(
            leaf.id,
            leaf.name,
            leaf.name_en,
            leaf.path,
            leaf.group_ids,
            leaf.kind.value,
            leaf.method.value,
            leaf.weight,
            leaf.target,
            leaf.target_text,
            leaf.unit,
            leaf.dimension,
            leaf.assumed,
            leaf.part_of,
        )


class Entry(NamedTuple):
    """What the unit wrote about the row beside its actual."""

    reported_score: Decimal | None
    reason: str | None
    source: str | None
    tier: str | None
    given_score: Decimal | None
    last_year: Decimal | None

    @classmethod
    def of(cls, entry: IndicatorActual) -> Entry:
        return cls(
            entry.reported_score,
            entry.reason,
            entry.source,
            entry.tier.value if entry.tier else None,
            entry.score,
            entry.last_year,
        )


class Read(NamedTuple):
    """The actual as read: a number, or the text supplied, and what the unit printed beside a
    computed one."""

    value: Decimal | None = None
    actual_text: str | None = None
    reported_actual: Decimal | str | None = None


_NO_ENTRY = IndicatorActual()
_NO_ENTRY_FIELDS = Entry.of(_NO_ENTRY)
_NOTHING_READ = Read()


def _result(
    s: Static,
    e: Entry,
    read: Read,
    status: Status,
    explanation: Explanation,
    outcome: Outcome | None = None,
    score: Decimal | None = None,
    problem: Issue | None = None,
) -> IndicatorResult:
    # Positional, in IndicatorResult's field order (a batch builds one per row): the keyword
    # form costs ~15 % of a row. tests/test_evaluation_rows.py checks every field lands right.
    if outcome is None:
        score_exact = achievement = met = None
    else:
        score_exact, achievement, met = outcome.score, outcome.achievement, outcome.met
    if problem is None:
        code = zh = en = None
    else:
        code, zh, en = problem.code, problem.message, problem.message_en
    return IndicatorResult(
        s.id,
        s.name,
        s.name_en,
        s.path,
        s.group_ids,
        s.kind,
        s.method,
        status,
        s.weight,
        s.target,
        s.target_text,
        s.unit,
        read.value,
        read.actual_text,
        score,
        score_exact,
        achievement,
        met,
        e.tier,
        explanation,
        code,
        zh,
        en,
        e.reported_score,
        read.reported_actual,
        e.reason,
        e.source,
        s.dimension,
        e.given_score,
        e.last_year,
        s.assumed,
        s.part_of,
    )


class Failure(NamedTuple):
    """Why a row cannot be scored: its status, problem and what it could explain."""

    status: Status
    problem: Issue
    explanation: Explanation
    read: Read = _NOTHING_READ


Got = tuple[Read, Details | None, Reading]
"""What was read for a row, what explains it, and what its scorer is given."""


def _restates_target(text: object) -> bool:
    """An actual written as a target ("≥266米", "不低于 95%"): a comparison, not a result."""
    if not isinstance(text, str):
        return False
    try:
        return not parse_target(text).implicit
    except TargetSyntaxError:
        return False


class RowScorer:
    """Scores the leaves of one unit against its data."""

    def __init__(self, compiled: CompiledSet, data: Data, interpreter: Interpreter) -> None:
        self.c = compiled
        self.data = data
        self.interpreter = interpreter

    def run_formula(self, formula: Formula, names: Mapping[str, Value]) -> Value:
        return self.interpreter.evaluate(formula, names)

    def row(
        self, leaf: CompiledLeaf, s: Static, actuals: Mapping[str, IndicatorActual]
    ) -> IndicatorResult:
        """The leaf's result for this unit."""
        raw = actuals.get(leaf.id)
        if raw is None:
            raw, e = _NO_ENTRY, _NO_ENTRY_FIELDS
        else:
            e = Entry.of(raw)
        if raw.not_applicable:
            explanation = Explanation(
                s.method,
                notes_zh=("本指标不适用，不计入满分；总分按适用分值折算。",),
                notes_en=("Not applicable: excluded from full marks; the total is rescaled.",),
            )
            return _result(s, e, _NOTHING_READ, Status.NOT_APPLICABLE, explanation)
        if raw.not_in_source:
            failure = Failure(
                Status.MISSING_INPUT,
                Issue(
                    "actual.not-in-source",
                    "原表中该项缺失或无法辨认（转录缺口），未计分",
                    "missing or illegible in the source (a transcription gap): not scored",
                ),
                Explanation(s.method),
            )
            return self.failed(s, e, failure)
        reads = leaf.scorer.spec.reads
        if reads == "tier":
            got = self.tier(raw, s)
        elif reads == "met":
            got = self.points_met(raw, s)
        else:
            got = self.actual(leaf, raw, s)
        if isinstance(got, Failure):
            return self.failed(s, e, got)
        read, details, reading = got
        outcome = self.score(leaf, s, reading, read, details)
        if isinstance(outcome, Failure):
            return self.failed(s, e, outcome)
        return self.scored(leaf, s, e, read, outcome, details)

    # --- reading what the unit supplied -------------------------------------------------------

    def tier(self, raw: IndicatorActual, s: Static) -> Got | Failure:
        if raw.tier is None:
            return Failure(
                Status.MISSING_INPUT,
                Issue(
                    "tier.missing", "未给出定性评价档次（达成/部分达成/未达成）", "no tier given"
                ),
                Explanation(s.method),
            )
        return _NOTHING_READ, None, Reading(tier=raw.tier.value, given=raw.score)

    def points_met(self, raw: IndicatorActual, s: Static) -> Got | Failure:
        if raw.met is None:
            return Failure(
                Status.MISSING_INPUT,
                Issue(
                    "rubric.missing",
                    "未给出评分要点的达成情况（met：已达到的要点）",
                    "no rubric points given (met: the points reached)",
                ),
                Explanation(s.method),
            )
        # What was met is shown where an actual would be (score table, reports, JSON "actual").
        shown = "、".join(raw.met) if raw.met else "（无）"
        return Read(actual_text=shown), None, Reading(met=raw.met)

    def actual(self, leaf: CompiledLeaf, raw: IndicatorActual, s: Static) -> Got | Failure:
        if leaf.value is None:
            actual, kind = read_figure(raw.actual, leaf.unit)
            if kind == "blank":
                return Failure(
                    Status.MISSING_INPUT,
                    Issue("actual.missing", "未提供实际完成值", "no actual value supplied"),
                    Explanation(s.method),
                )
            if kind == "not-numeric" and _restates_target(raw.actual):
                return Failure(
                    Status.ERROR,
                    Issue(
                        "actual.restates-target",
                        f"实际完成值“{raw.actual}”只是照抄了目标值，没有给出实际完成的数值，无法计分",
                        f"the actual {raw.actual!r} restates the target instead of giving what "
                        "was achieved: it cannot be scored",
                    ),
                    Explanation(s.method),
                    Read(actual_text=str(raw.actual)),
                )
            if kind is not None or actual is None:
                return Failure(
                    Status.ERROR,
                    actual_issue(raw.actual, kind or "not-numeric"),
                    Explanation(s.method),
                    Read(actual_text=str(raw.actual)),
                )
            return Read(actual), None, self.reading(actual)
        formula = leaf.value
        values = self.data.values
        try:
            result = self.interpreter.evaluate(formula, values)
        except EvaluationError as exc:
            return self.formula_failed(formula, exc, s)

        def details() -> tuple[tuple[UsedValue, ...], str | None]:
            return self.data.used(formula.names), formula.substitute(values)

        if not isinstance(result, Decimal):
            return Failure(
                Status.ERROR,
                Issue(
                    "formula.not-a-number", "取值公式的结果不是数字", "the value is not a number"
                ),
                Explanation(s.method, value_formula=formula.text, details=details),
            )
        return Read(result, reported_actual=raw.actual), details, self.reading(result)

    def reading(self, actual: Decimal) -> Reading:
        return Reading(actual, None, None, None, self.data.values, self.run_formula)

    def formula_failed(self, formula: Formula, exc: EvaluationError, s: Static) -> Failure:
        """Why the value formula failed: a bad figure it read, missing inputs, or its own error."""
        data = self.data
        used = data.used(formula.names)
        explanation = Explanation(s.method, used, formula.text, formula.substitute(data.values))
        cause = data.root_problem(used)
        if cause is not None:
            return Failure(Status.ERROR, cause, explanation)
        if exc.code == "value.missing":
            absent = [u for u in used if u.kind == "input" and u.value is None] or [
                u for u in used if u.name in exc.missing
            ]
            # Readers see the label they know; the internal names stay in the explanation's
            # ``used`` values (JSON, kpi explain), where whoever fixes the actuals looks.
            zh = "缺少输入数据：" + "、".join([u.label_in("zh") for u in absent] or exc.missing)
            en = "missing input: " + ", ".join([_english_label(u) for u in absent] or exc.missing)
            return Failure(Status.MISSING_INPUT, Issue("value.missing", zh, en), explanation)
        return Failure(Status.ERROR, exc.issue, explanation)

    # --- scoring ----------------------------------------------------------------------------------

    def score(
        self,
        leaf: CompiledLeaf,
        s: Static,
        reading: Reading,
        read: Read,
        details: Details | None,
    ) -> Outcome | Failure:
        try:
            return leaf.scorer.score(reading)
        except (EvaluationError, ArithmeticError) as exc:
            quantitative = leaf.scorer.spec.reads == "actual"
            explanation = Explanation(
                s.method,
                value_formula=leaf.value.text if leaf.value and quantitative else None,
                details=details,
            )
            if isinstance(exc, ArithmeticError):
                problem = Issue(
                    "score.overflow", "数值超出可计算范围，无法计分", "the value is out of range"
                )
                return Failure(Status.ERROR, problem, explanation, read)
            status = Status.MISSING_INPUT if exc.code == "target.missing" else Status.ERROR
            problem = exc.issue
            return Failure(status, problem, explanation, read)

    def scored(
        self,
        leaf: CompiledLeaf,
        s: Static,
        e: Entry,
        read: Read,
        outcome: Outcome,
        details: Details | None,
    ) -> IndicatorResult:
        score = outcome.score
        notes_zh: tuple[str, ...] = ()
        notes_en: tuple[str, ...] = ()
        if self.c.round_indicators:
            places = self.c.places
            score = quantize_half_up(score, places)
            if score != outcome.score:
                notes_zh = (f"按规定四舍五入到 {places} 位小数后计入总分：{score}",)
                notes_en = (f"rounded half up to {places} places before adding: {score}",)
        explanation = Explanation(
            s.method,
            value_formula=leaf.value.text if leaf.value else None,
            rule_zh=outcome.rule_zh,
            rule_en=outcome.rule_en,
            calculation=outcome.calc,
            notes_zh=notes_zh,
            notes_en=notes_en,
            details=details,
        )
        return _result(s, e, read, Status.OK, explanation, outcome, score)

    def failed(self, s: Static, e: Entry, failed: Failure) -> IndicatorResult:
        x = failed.explanation
        explanation = Explanation(
            x.method,
            x.used,
            x.value_formula,
            x.value_substituted,
            notes_zh=(f"未计分：{failed.problem.message}",),
            notes_en=(f"not scored: {failed.problem.message_en}",),
        )
        return _result(s, e, failed.read, failed.status, explanation, problem=failed.problem)


def _english_label(used: UsedValue) -> str:
    """The English label, else the Chinese label quoted (a name, not prose), else the name."""
    if used.label_en:
        return used.label_en
    return f"'{used.label}'" if used.label else used.name
