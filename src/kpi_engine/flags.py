"""Problem flags: run rule packs over the facts of a set (and of its evaluation).

A rule fires for a subject (the set, a group, a leaf) when its condition is true. A condition that
needs a fact nobody knows (no actual, no budget figure) does not apply; one that fails on the data
(e.g. a division by zero) gives an ``error`` flag ``rule.failed`` for that subject, and the other
rules still run. Flags are ordered by severity, then pack and rule order, then tree order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from kpi_engine.compiler import CompiledSet
from kpi_engine.display import exact, fixed, percent, show, trimmed, with_unit
from kpi_engine.errors import EvaluationError, Issue, Lang
from kpi_engine.facts import RESULT_FACTS, Facts, Row, collect
from kpi_engine.figures import read_figure
from kpi_engine.formula import ARITHMETIC, Interpreter
from kpi_engine.functions import MissingOperandError, Value, quantize_half_up
from kpi_engine.gcpause import without_gc
from kpi_engine.grading import Grade
from kpi_engine.results import (
    SEVERITY_ORDER,
    Evaluation,
    Flag,
    FlagTexts,
    IndicatorResult,
    Status,
)
from kpi_engine.rulepacks import CompiledRule, RulePack, Screen, Template, passes, plain

__all__ = ["Keyed", "Planned", "Structure", "check", "data_flags", "sort_flags", "structure_of"]


def _field(value: object, spec: str, lang: Lang) -> str:
    """One template field as text: numbers exact or as ``pct``/``num``, truth values as words."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        yes, no = ("是", "否") if lang == "zh" else ("yes", "no")
        return yes if value else no
    if isinstance(value, Decimal):
        try:
            if spec == "pct":
                return trimmed(value * 100, 2) + "%"
            if spec == "num":
                return fixed(value, 2)
        except ArithmeticError:  # figures at the Decimal limits: show them as they are
            pass
        return show(value)
    return plain(value)


def _render(template: Template, names: Mapping[str, Value], lang: Lang) -> str:
    """Fill a parsed template; in English, ``{name}`` takes ``name_en`` where a fact has one."""
    out = []
    for literal, field, spec in template:
        out.append(literal)
        if field is not None:
            value = names.get(field)
            if lang == "en":
                value = names.get(f"{field}_en") or value
            text = _field(value, "" if spec == "unit" else spec, lang)
            if spec == "unit" and value is not None:
                unit = names.get("unit")
                text = with_unit(text, unit if isinstance(unit, str) and unit else None)
            out.append(text)
    return "".join(out)


def _selected(rule: CompiledRule, row: Row) -> bool:
    return all(plain(row.get(key)) in options for key, options in rule.select)


def _flag(rule: CompiledRule, subject: str, names: Mapping[str, Value]) -> Flag:
    r = rule.definition

    def render() -> FlagTexts:
        evidence = {name: plain(names.get(name)) for name in rule.evidence_names}
        if "name" in names:
            evidence["subject_name"] = plain(names["name"])
        message, message_en, suggestion, suggestion_en = rule.templates
        return (
            _render(message, names, "zh"),
            _render(message_en, names, "en"),
            evidence,
            _render(suggestion, names, "zh"),
            _render(suggestion_en, names, "en"),
        )

    return Flag(
        r.id, r.severity, subject, problem=r.problem, problem_en=r.problem_en, render=render
    )


def _failed(
    rule: CompiledRule, subject: str, names: Mapping[str, Value], why: str, why_en: str
) -> Flag:
    who = plain(names.get("name")) or subject
    return Flag(
        rule="rule.failed",
        severity="error",
        subject=subject,
        message=f"规则 {rule.definition.id} 无法在“{who}”上计算：{why}",
        message_en=f"rule {rule.definition.id} could not be checked on {who!r}: {why_en}",
        evidence={"rule": rule.definition.id},
        suggestion="核对该对象的数据，或修正规则条件。",
        suggestion_en="Check this subject's data or the rule's condition.",
        problem="规则执行错误",
        problem_en="Rule failed",
    )


Keyed = tuple[int, int, int, Flag]
"""A flag with its sort key: (pack, rule order, subject in tree order)."""


@dataclass(frozen=True, slots=True)
class Planned:
    """A rule that reads results, with the subjects its structural selector (and its screen, where
    that reads a structural fact) admits, worked out once per engine."""

    rule: CompiledRule
    subjects: tuple[int, ...]
    """Indexes into its scope's facts rows (0 for the set)."""
    status: frozenset[str] | None
    """The selector's ``status`` values, checked per evaluation, or None."""
    screen: Screen | None
    """The rule's screen when it reads a result fact (checked per evaluation), else None."""


@dataclass(frozen=True, slots=True)
class Structure:
    """What rule packs find in a set before any data: worked out once per engine.

    ``facts`` are each pack's structural facts; ``flags`` the flags of the rules that read only
    those (they cannot change from one evaluation to the next, so they are not re-run);
    ``named`` the same facts rows with the pack's parameters (the names conditions read);
    ``plans`` each pack's rules that read results, with their subjects; ``order`` each
    subject's place in tree order.
    """

    facts: tuple[Facts, ...]
    flags: tuple[Keyed, ...]
    named: tuple[Facts, ...] = ()
    plans: tuple[tuple[Planned, ...], ...] = ()
    order: Mapping[str, int] = dataclasses.field(default_factory=dict)


def _tree_order(compiled: CompiledSet) -> dict[str, int]:
    order = {leaf.id: i for i, leaf in enumerate(compiled.leaves)}
    order |= {g.id: len(order) + i for i, g in enumerate(compiled.groups)}
    return order


def _named(pack: RulePack, facts: Facts) -> Facts:
    """The facts rows with the pack's parameters (lists as text), as conditions read them."""
    params: Row = {
        name: "、".join(value) if isinstance(value, list) else value
        for name, value in pack.params.items()
    }
    return Facts(
        params | facts.set,
        tuple((subject, params | row) for subject, row in facts.groups),
        tuple((subject, params | row) for subject, row in facts.indicators),
    )


def _plan(pack: RulePack, named: Facts, set_id: str) -> tuple[Planned, ...]:
    scopes = {"set": ((set_id, named.set),), "group": named.groups, "indicator": named.indicators}
    rules = [rule for rule in pack.rules if rule.needs_results]
    tests: list[tuple[list[tuple[str, frozenset[str]]], Screen | None]] = []
    for rule in rules:
        scope = rule.definition.scope
        fixed = [(key, options) for key, options in rule.select if key != "status"]
        tested = rule.screen
        structural = tested is not None and tested[0] not in RESULT_FACTS[scope]
        tests.append((fixed, tested if structural else None))  # applied here, once
    chosen: list[list[int]] = [[] for _ in rules]
    for where, rows in scopes.items():
        mine = [r for r, rule in enumerate(rules) if rule.definition.scope == where]
        # Row by row, every rule of the scope: each row is read while it is in the CPU's cache
        # (rule by rule, a set of 10,000 rows is read from memory once per rule).
        for i, (_, row) in enumerate(rows):
            for r in mine:
                fixed, tested = tests[r]
                if all(plain(row.get(key)) in options for key, options in fixed) and (
                    tested is None or passes(row.get(tested[0]), tested[1], tested[2])
                ):
                    chosen[r].append(i)
    plans = []
    for rule, subjects in zip(rules, chosen, strict=True):
        status = next((options for key, options in rule.select if key == "status"), None)
        tested = rule.screen
        result = tested is not None and tested[0] in RESULT_FACTS[rule.definition.scope]
        runtime = tested if result else None
        plans.append(Planned(rule, tuple(subjects), status, runtime))
    return tuple(plans)


@without_gc
def structure_of(compiled: CompiledSet, packs: Sequence[RulePack]) -> Structure:
    """Each pack's structural facts and the flags of its structural rules."""
    with localcontext(ARITHMETIC):
        facts = tuple(collect(compiled, pack.params) for pack in packs)
        named = tuple(_named(pack, f) for pack, f in zip(packs, facts, strict=True))
        flags = _run(compiled, packs, None, named, results_only=False)
    set_id = compiled.definition.id
    plans = tuple(_plan(pack, n, set_id) for pack, n in zip(packs, named, strict=True))
    return Structure(facts, tuple(flags), named, plans, _tree_order(compiled))


def check(
    compiled: CompiledSet,
    packs: Sequence[RulePack],
    evaluation: Evaluation | None = None,
    structure: Structure | None = None,
) -> list[Flag]:
    """Run every rule of every pack; without an evaluation only structural rules run.

    With ``structure`` (from :func:`structure_of`, for the same set and packs) the structural
    facts are not recomputed and the structural rules not re-run.
    """
    with localcontext(ARITHMETIC):
        if structure is None:
            found = _run(compiled, packs, evaluation, None, results_only=False)
        elif evaluation is None:
            found = list(structure.flags)
        else:
            found = list(structure.flags)
            found += _run_planned(compiled, packs, evaluation, structure)
    found.sort(key=lambda item: item[:3])
    return [flag for *_, flag in found]


def _fire(
    interpreter: Interpreter,
    rule: CompiledRule,
    subject: str,
    names: Mapping[str, Value],
    key: tuple[int, int, int],
    found: list[Keyed],
) -> None:
    """Evaluate one rule on one subject; a flag when it fires or fails."""
    try:
        fired = interpreter.evaluate_known(rule.when, names)
    except EvaluationError as exc:
        found.append((*key, _failed(rule, subject, names, exc.message, exc.message_en)))
        return
    if fired is None:
        return  # a fact the condition needs is unknown: the rule does not apply
    if not isinstance(fired, bool):
        why = "条件的结果不是真或假", "the condition is not true or false"
        found.append((*key, _failed(rule, subject, names, *why)))
    elif fired:
        found.append((*key, _flag(rule, subject, names)))


def _run_planned(
    compiled: CompiledSet, packs: Sequence[RulePack], evaluation: Evaluation, s: Structure
) -> list[Keyed]:
    """The rules that read results, over the subjects planned for them. A subject that fails the
    rule's screen, or whose gate facts are all None, is passed over without evaluating: the rule
    could not fire there (see :func:`kpi_engine.rulepacks.gate` and ``screen``)."""
    interpreter = Interpreter(own_context=False)  # one ARITHMETIC context for the whole check
    set_id, order = compiled.definition.id, s.order
    found: list[Keyed] = []
    for p, _pack in enumerate(packs):
        plans = s.plans[p]
        if not plans:
            continue
        facts = collect(compiled, {}, evaluation, s.named[p])  # rows already carry the params
        rows = {"set": ((set_id, facts.set),), "group": facts.groups, "indicator": facts.indicators}
        known: dict[tuple[str, str], bool] = {}  # (scope, fact): whether any subject has it
        for plan in plans:
            rule = plan.rule
            scope = rule.definition.scope
            scoped = rows[scope]
            clauses = []
            for clause in rule.gate:
                if not any(_any_known(known, scope, scoped, name) for name in clause):
                    break  # no subject has any fact of this clause: the rule applies to none
                clauses.append(clause)
            else:
                _apply(interpreter, p, plan, scoped, tuple(clauses), order, found)
    return found


def _any_known(
    known: dict[tuple[str, str], bool],
    scope: str,
    rows: Sequence[tuple[str, Row]],
    name: str,
) -> bool:
    answer = known.get((scope, name))
    if answer is None:
        answer = known[scope, name] = any(row[name] is not None for _, row in rows)
    return answer


def _apply(
    interpreter: Interpreter,
    p: int,
    plan: Planned,
    rows: Sequence[tuple[str, Row]],
    gate: tuple[tuple[str, ...], ...],
    order: Mapping[str, int],
    found: list[Keyed],
) -> None:
    rule, status, tested = plan.rule, plan.status, plan.screen
    run = rule.when.run  # as Interpreter(own_context=False) runs it: ARITHMETIC is entered
    for i in plan.subjects:
        subject, row = rows[i]
        if status is not None and plain(row["status"]) not in status:
            continue
        if tested is not None and not passes(row[tested[0]], tested[1], tested[2]):
            continue
        skip = False
        for clause in gate:
            for name in clause:
                if row[name] is not None:
                    break
            else:
                skip = True
                break
        if skip:
            continue
        # The outcomes of nearly every subject (true, false, a missing fact) read here; any
        # other (an error, a value not true or false) is _fire's to report, word for word.
        fired: object
        try:
            fired = run(row)
        except MissingOperandError:
            continue
        except Exception:  # evaluated again by _fire, which reports it
            fired = _failed
        if fired is None or fired is False:
            continue
        key = (p, rule.order, order.get(subject, -1))
        if fired is True:
            found.append((*key, _flag(rule, subject, row)))
        else:
            _fire(interpreter, rule, subject, row, key, found)


def _run(
    compiled: CompiledSet,
    packs: Sequence[RulePack],
    evaluation: Evaluation | None,
    named_of: Sequence[Facts] | None,
    *,
    results_only: bool,
) -> list[Keyed]:
    """Every rule of every pack over its subjects; ``named_of`` each pack's structural facts with
    its parameters (:func:`_named`), when already worked out."""
    interpreter = Interpreter(own_context=False)  # one ARITHMETIC context for the whole check
    set_id = compiled.definition.id
    order = _tree_order(compiled)
    found: list[Keyed] = []
    for p, pack in enumerate(packs):
        rules = [
            rule
            for rule in pack.rules
            if (rule.needs_results or not results_only)
            and (evaluation is not None or not rule.needs_results)
        ]
        if not rules:
            continue
        if named_of is not None and evaluation is None:
            named = named_of[p]
        else:
            named = _named(pack, collect(compiled, pack.params, evaluation))
        scopes = {
            "set": ((set_id, named.set),),
            "group": named.groups,
            "indicator": named.indicators,
        }
        for scope, rows in scopes.items():
            mine = [rule for rule in rules if rule.definition.scope == scope]
            # Row by row (flags are sorted by their keys afterwards): each row is read while it
            # is in the CPU's cache, not once per rule.
            for subject, row in rows:
                at = order.get(subject, -1)
                for rule in mine:
                    if rule.select and not _selected(rule, row):
                        continue
                    tested = rule.screen
                    if tested is not None and not passes(row[tested[0]], tested[1], tested[2]):
                        continue  # cannot fire (see kpi_engine.rulepacks.screen)
                    if any(all(row[name] is None for name in clause) for clause in rule.gate):
                        continue  # does not apply (see kpi_engine.rulepacks.gate)
                    _fire(interpreter, rule, subject, row, (p, rule.order, at), found)
    return found


def sort_flags(flags: Iterable[Flag]) -> tuple[Flag, ...]:
    """Most severe first; the order within a severity is kept (stable sort)."""
    return tuple(sorted(flags, key=lambda f: -SEVERITY_ORDER[f.severity]))


Span = tuple[Decimal, Decimal, Grade, Grade, bool]  # low, high, their grades, counted as 0
"""An incomplete total: lowest and highest possible totals, their grades, and whether the set
counts unscored rows as 0 (``unscored: zero``)."""


def _incomplete(coverage: Decimal, places: int, span: Span | None) -> Flag:
    """data.incomplete: how much was scored, the range the total can lie in, and whether the
    grade is withheld (the default), certain, or given with unscored rows counted as 0."""
    share = percent(coverage, places)
    zh = f"总分仅覆盖 {share} 的适用分值"
    en = f"the total covers only {share} of the applicable weight"
    evidence = {"coverage": exact(coverage)}
    if span is None:
        zh += "，未计分的指标按 0 分计入，总分不完整"
        en += "; unscored rows count as 0, so the total is incomplete"
    else:
        low, high, low_grade, high_grade, as_zero = span
        between = f"{fixed(low, places)}–{fixed(high, places)}"
        evidence |= {"total_low": exact(low), "total_high": exact(high)}
        zh += f"：未计分的指标可得 0 至满分，总分在 {between} 之间"
        en += f": unscored rows could earn 0 to full marks, so the total lies in {between}"
        if as_zero:
            zh += "；按本指标体系的规定，未计分的指标按 0 分计入并评定等级"
            en += "; as the set prescribes, they count as 0 and the total is graded"
        else:
            zh += "，" + grade_span((low_grade, high_grade), "zh")
            en += "; " + grade_span((low_grade, high_grade), "en")
    return Flag(
        "data.incomplete",
        "warning",
        "total",
        zh,
        en,
        evidence,
        "补齐缺失数据后重新评价。",
        "Complete the missing data and evaluate again.",
        "评价数据不完整",
        "Incomplete data",
    )


def grade_span(grades: tuple[Grade, Grade], lang: Lang) -> str:
    """``等级待定（中至优）`` — the grades an incomplete total may reach, lowest first."""
    low, high = grades
    if lang == "zh":
        if low == high:
            return f"等级待定（区间内均为{low.label}）"
        return f"等级待定（{low.label}至{high.label}）"
    if low == high:
        return f"grade pending ({low.label_en} across the range)"
    return f"grade pending ({low.label_en} to {high.label_en})"


def published_flags(published: Sequence[Issue]) -> list[Flag]:
    """A table loaded as published: each inconsistency of its own figures, with where it is."""
    return [
        Flag(
            "published.inconsistent",
            "warning",
            str(issue.location) if issue.location else "set",
            f"原表数据不一致：{issue.message}",
            f"the table contradicts itself: {issue.message_en}",
            {"code": issue.code, "where": str(issue.location) if issue.location else ""},
            "与单位核实分值，按核实后的分值修改评分表。",
            "Check the weights with the unit and correct the table.",
            "原表数据不一致",
            "Inconsistent table",
        )
        for issue in published
    ]


def _same_figure(reported: Decimal | str, value: Decimal | None, unit: str | None) -> bool:
    """Whether a printed actual ("100%", 99.2) states the computed value to its own precision:
    a printed 100% beside a computed 100, or 99.2 beside 99.2003, is the same figure."""
    number = reported if isinstance(reported, Decimal) else read_figure(reported, unit)[0]
    if number is None or value is None:
        return False
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    try:
        return quantize_half_up(value, places) == number
    except ArithmeticError:  # figures at the Decimal limits
        return value == number


def data_flags(
    results: tuple[IndicatorResult, ...],
    coverage: Decimal,
    places: int,
    problems: Mapping[str, Issue],
    span: Span | None = None,
) -> list[Flag]:
    """Flags the engine itself raises for data it could not use (rule packs add the rest)."""
    flags = []
    reported = {r.problem for r in results if r.status is Status.ERROR}
    for name, problem in problems.items():
        code, zh, en = problem.code, problem.message, problem.message_en
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
        if r.problem_code == "actual.not-in-source":
            # A transcription gap is the reviewer's to close, not the unit's fault.
            flags.append(
                Flag(
                    "data.not_in_source",
                    "info",
                    r.id,
                    f"指标“{r.name}”的实际完成值在原表中缺失或无法辨认，未计分（转录缺口，"
                    "不是单位填报的问题）",
                    f"the actual of {name_en} is missing or illegible in the source and was not "
                    "scored (a transcription gap, not the unit's omission)",
                    evidence,
                    "向单位索取原件或清晰的扫描件后补录。",
                    "Obtain the original or a legible scan and enter the figure.",
                    "原表缺失",
                    "Not in the source",
                )
            )
            continue
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
        elif r.reported_actual is not None and not _same_figure(r.reported_actual, r.value, r.unit):
            ra = r.reported_actual
            as_reported = with_unit(exact(ra), r.unit) if isinstance(ra, Decimal) else ra
            computed = with_unit(show(r.value or Decimal(0)), r.unit)
            flags.append(
                Flag(
                    "data.actual-mismatch",
                    "warning",
                    r.id,
                    f"指标“{r.name}”填报的实际值 {as_reported} 与公式计算值 "
                    f"{computed} 不一致（按计算值评分）",
                    f"indicator {name_en!r}: the reported actual {as_reported} differs from "
                    f"the computed {computed} (the computed value is scored)",
                    evidence
                    | {"reported": str(r.reported_actual), "computed": show(r.value or Decimal(0))},
                    "核对填报数据与原始数据。",
                    "Reconcile the reported figure with the raw data.",
                    "数据不一致",
                    "Inconsistent data",
                )
            )
    if coverage < 1:
        flags.append(_incomplete(coverage, places, span))
    return flags
