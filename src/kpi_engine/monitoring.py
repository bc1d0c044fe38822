"""In-year monitoring (运行监控, 双监控): the figures to date as of a date, against the progress
expected by then, and each target's projected year-end value.

Expected progress is the time elapsed (序时进度: months completed plus the share of the current
month, over 12) or a row's own schedule (``progress: {6: 40, 9: 75}``, linear between the months
given, 0 at the start of the year and 100 % at its end). A figure that accrues is projected to the
year end as ``to date ÷ expected share``; a level (a rate, a unit cost) is its own projection.

Deviation is the projected shortfall from the target as a share of it (a ceiling: the projected
excess). Thresholds, documented in docs/budget-year.md and overridable per record:
正常 ≤ ``mild`` (5 %), 轻度偏差 ≤ ``severe`` (20 %), 严重偏差 above. 完成目标可能性 is 确定能 when
正常, 完全不可能 when an accruing ceiling is already passed or the deviation exceeds ``impossible``
(50 %), else 有可能 — unless the record states it. Any deviation needs a 偏差原因 category and a
corrective measure. Everything is Decimal; nothing is rounded until shown.
"""

from __future__ import annotations

import calendar
import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from kpi_engine.display import exact, figure, percent
from kpi_engine.errors import Lang
from kpi_engine.models import (
    Actuals,
    Group,
    IndicatorActual,
    IndicatorSet,
    InputRole,
    Leaf,
    Method,
    Node,
    Number,
)
from kpi_engine.results import Evaluation, Flag
from kpi_engine.targets import Op, Target

__all__ = [
    "CAUSES",
    "Deviation",
    "Likelihood",
    "MonitoredRow",
    "Monitoring",
    "MonitoringRecord",
    "Thresholds",
    "expected_share",
    "load_monitoring",
    "monitor",
    "parse_monitoring",
    "projection",
    "time_progress",
    "year_end_flags",
]

CAUSES = {
    "经费保障": "funding",
    "制度保障": "rules",
    "人员保障": "staffing",
    "硬件条件保障": "facilities",
    "其他": "other",
}
"""偏差原因 categories of the central monitoring form, with their English names."""

HUNDRED = Decimal(100)
TWELVE = Decimal(12)


class Deviation(StrEnum):
    """How far a projection falls from its target."""

    NORMAL = "normal"
    MILD = "mild"
    SEVERE = "severe"

    def label(self, lang: Lang = "zh") -> str:
        """正常 / 轻度偏差 / 严重偏差, or in English."""
        zh = {"normal": "正常", "mild": "轻度偏差", "severe": "严重偏差"}
        en = {"normal": "on track", "mild": "slight deviation", "severe": "serious deviation"}
        return (zh if lang == "zh" else en)[self.value]


_LIKELY = {"确定能": "certain", "有可能": "possible", "完全不可能": "impossible"}


class Likelihood(StrEnum):
    """完成目标可能性."""

    CERTAIN = "certain"
    POSSIBLE = "possible"
    IMPOSSIBLE = "impossible"

    def label(self, lang: Lang = "zh") -> str:
        """确定能 / 有可能 / 完全不可能, or in English."""
        zh = {v: k for k, v in _LIKELY.items()}
        en = {"certain": "certain", "possible": "possible", "impossible": "impossible"}
        return (zh if lang == "zh" else en)[self.value]


def _alias(table: Mapping[str, str]) -> Any:
    def convert(value: Any) -> Any:
        return table.get(value.strip(), value.strip()) if isinstance(value, str) else value

    return BeforeValidator(convert)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class Thresholds(_Model):
    """Deviation thresholds, as shares of the target."""

    mild: Annotated[Decimal, Field(ge=0)] = Decimal("0.05")
    """Above this: 轻度偏差 (a deviation up to it is 正常)."""
    severe: Annotated[Decimal, Field(ge=0)] = Decimal("0.2")
    """Above this: 严重偏差."""
    impossible: Annotated[Decimal, Field(ge=0)] = Decimal("0.5")
    """Above this: 完成目标可能性 完全不可能 unless stated."""


class MonitoredEntry(_Model):
    """One indicator in a monitoring record."""

    to_date: Number | None = None
    """The figure to date (cumulative, or the level as of the date); from the set's formula over
    the record's inputs when the row has one."""
    likelihood: Annotated[Literal["certain", "possible", "impossible"] | None, _alias(_LIKELY)] = (
        None
    )
    """完成目标可能性 as the unit states it (确定能 / 有可能 / 完全不可能); computed when absent."""
    cause: Annotated[
        Literal["funding", "rules", "staffing", "facilities", "other"] | None, _alias(CAUSES)
    ] = None
    """偏差原因: 经费保障 / 制度保障 / 人员保障 / 硬件条件保障 / 其他."""
    reason: str | None = None
    """偏差原因分析 in words."""
    measure: str | None = None
    """The corrective measure (纠偏措施)."""
    note: str | None = None
    """备注."""


class MonitoringRecord(_Model):
    """A monitoring record (``kpi_monitor: 1``): the figures as of a date."""

    kpi_monitor: Literal[1] = 1
    set: str | None = None
    as_of: date
    """The date the figures are as of, e.g. 2024-07-31."""
    inputs: dict[str, Number | str | None] = {}
    """Inputs to date, e.g. ``spent`` (执行数 so far) and ``budget_adjusted``."""
    indicators: dict[str, MonitoredEntry] = {}
    thresholds: Thresholds = Thresholds()


def parse_monitoring(text: str, source: str = "<string>") -> MonitoringRecord:
    """A monitoring record from YAML text; problems reported as ``file:line:col: code``."""
    from kpi_engine.loading import read_yaml, validate  # noqa: PLC0415 - loading is heavy

    return validate(MonitoringRecord, *read_yaml(text, source))


def load_monitoring(path: str | Path) -> MonitoringRecord:
    """A monitoring record from a YAML file."""
    from kpi_engine.loading import read_definition  # noqa: PLC0415

    return parse_monitoring(read_definition(path), str(path))


def time_progress(as_of: date) -> Decimal:
    """序时进度 as a share: months completed plus the part of this month elapsed, over 12."""
    days = calendar.monthrange(as_of.year, as_of.month)[1]
    return (Decimal(as_of.month - 1) + Decimal(as_of.day) / Decimal(days)) / TWELVE


def expected_share(schedule: Mapping[int, Decimal] | None, elapsed: Decimal) -> Decimal:
    """The share of the target due after ``elapsed`` of the year: the time itself, or the
    schedule read linearly between its months (0 at the start, 100 % at the end)."""
    if not schedule:
        return elapsed
    points = sorted({0: Decimal(0), 12: HUNDRED, **schedule}.items())
    month = elapsed * TWELVE
    for (m0, p0), (m1, p1) in itertools.pairwise(points):
        if month <= m1:
            return (p0 + (p1 - p0) * (month - m0) / Decimal(m1 - m0)) / HUNDRED
    return Decimal(1)


def projection(to_date: Decimal, share: Decimal | None) -> Decimal | None:
    """The year-end value: an accruing figure over the share due, a level as it is."""
    if share is None:
        return to_date
    return to_date / share if share else None


def _gap(target: Target, projected: Decimal) -> Decimal | None:
    """Shortfall (excess for a ceiling) as a share of the target; 0 when met; None: not known."""
    low = target.low
    high = target.high if target.op is Op.RANGE and target.high is not None else target.value
    if target.op in (Op.GE, Op.RANGE) and projected < low:
        miss, base = low - projected, low
    elif target.op in (Op.LE, Op.RANGE) and projected > high:
        miss, base = projected - high, high
    elif target.op is Op.EQ and projected != target.value:
        miss, base = abs(projected - target.value), target.value
    else:
        return Decimal(0)
    return miss / abs(base) if base else None  # a zero target: any miss is infinitely far


def grade(gap: Decimal | None, thresholds: Thresholds) -> Deviation:
    """正常 / 轻度偏差 / 严重偏差 for a deviation (None: a miss against a zero target)."""
    if gap is None or gap > thresholds.severe:
        return Deviation.SEVERE
    return Deviation.MILD if gap > thresholds.mild else Deviation.NORMAL


@dataclass(frozen=True, slots=True)
class MonitoredRow:
    """One indicator as of the date."""

    id: str
    name: str
    name_en: str | None
    target: str
    unit: str | None
    to_date: Decimal | None
    accrues: bool
    expected: Decimal | None
    """Share of the target due by now (accruing rows), else None."""
    projected: Decimal | None
    deviation: Deviation | None
    """None when the row cannot be judged (no figure, no numeric target)."""
    likelihood: Likelihood | None
    likelihood_stated: bool
    cause: str | None
    reason: str | None
    measure: str | None
    note: str | None
    gap: Decimal | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data, numbers as exact strings."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = (
                exact(value)
                if isinstance(value, Decimal)
                else value.value
                if isinstance(value, StrEnum)
                else value
            )
        return out


@dataclass(frozen=True, slots=True)
class Monitoring:
    """A set monitored as of a date: time progress, funds (双监控), each row, and the flags."""

    set_id: str
    title: str
    title_en: str | None
    as_of: date
    time_progress: Decimal
    budget: Decimal | None
    spent: Decimal | None
    execution: Decimal | None
    """Funds spent to date ÷ the budget, as a share."""
    funds_deviation: Deviation | None
    rows: tuple[MonitoredRow, ...]
    flags: tuple[Flag, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""

        def num(value: Decimal | None) -> str | None:
            return exact(value)

        return {
            "set": self.set_id,
            "as_of": self.as_of.isoformat(),
            "time_progress": num(self.time_progress),
            "funds": {
                "budget": num(self.budget),
                "spent": num(self.spent),
                "execution": num(self.execution),
                "deviation": self.funds_deviation.value if self.funds_deviation else None,
            },
            "indicators": [row.to_dict() for row in self.rows],
            "flags": [f.to_dict() for f in self.flags],
        }


def _leaves(nodes: tuple[Node, ...]) -> list[Leaf]:
    found: list[Leaf] = []
    for node in nodes:
        found += _leaves(node.children) if isinstance(node, Group) else [node]
    return found


def _likelihood(
    deviation: Deviation, gap: Decimal | None, passed: bool, thresholds: Thresholds
) -> Likelihood:
    if deviation is Deviation.NORMAL:
        return Likelihood.CERTAIN
    if passed or gap is None or gap > thresholds.impossible:
        return Likelihood.IMPOSSIBLE
    return Likelihood.POSSIBLE


def _row(
    leaf: Leaf,
    target: Target | None,
    value: Decimal | None,
    entry: MonitoredEntry,
    elapsed: Decimal,
    thresholds: Thresholds,
) -> MonitoredRow:
    progress = leaf.progress
    if progress is None:
        accruing = target is not None and target.op is Op.GE and target.unit != "%"
        progress = "elapsed" if accruing or leaf.method is Method.EXECUTION_RATE else "level"
    accrues = progress != "level"
    schedule = progress if isinstance(progress, dict) else None
    share = expected_share(schedule, elapsed) if accrues else None
    projected = projection(value, share) if value is not None else None
    deviation = gap = likelihood = None
    if target is not None and projected is not None:
        gap = _gap(target, projected)
        deviation = grade(gap, thresholds)
        passed = accrues and target.op is Op.LE and value is not None and value > target.value
        likelihood = _likelihood(deviation, gap, passed, thresholds)
    stated = entry.likelihood is not None
    if entry.likelihood is not None:
        likelihood = Likelihood(entry.likelihood)
    return MonitoredRow(
        leaf.id,
        leaf.name,
        leaf.name_en,
        str(leaf.target) if leaf.target is not None else "",
        leaf.unit or (target.unit if target else None),
        value,
        accrues,
        share,
        projected,
        deviation,
        likelihood,
        stated,
        entry.cause,
        entry.reason,
        entry.measure,
        entry.note,
        gap,
    )


def _row_flags(row: MonitoredRow) -> list[Flag]:
    if row.deviation in (None, Deviation.NORMAL):
        return []
    assert row.deviation is not None
    label, label_en = row.deviation.label("zh"), row.deviation.label("en")
    shown = figure(row.projected, 2)
    flags = [
        Flag(
            "monitor.severe" if row.deviation is Deviation.SEVERE else "monitor.mild",
            "warning" if row.deviation is Deviation.SEVERE else "info",
            row.id,
            f"指标“{row.name}”{label}：全年预计 {shown}，年度指标值 {row.target}",
            f"{row.name_en or row.name}: {label_en}, projected {shown} against {row.target}",
            suggestion="分析偏差原因，采取纠偏措施。",
            suggestion_en="Find the cause and correct course.",
            problem="绩效目标执行偏差",
            problem_en="Targets off track",
        )
    ]
    if row.cause is None or not row.measure:
        flags.append(
            Flag(
                "monitor.cause_missing",
                "warning",
                row.id,
                f"指标“{row.name}”{label}，但未填写偏差原因类别或纠偏措施",
                f"{row.name_en or row.name}: {label_en} with no cause category or measure",
                suggestion="填写偏差原因（经费保障/制度保障/人员保障/硬件条件保障/其他）和纠偏措施。",
                suggestion_en="Give the cause (funding/rules/staffing/facilities/other) and the "
                "corrective measure.",
                problem="偏差原因未说明",
                problem_en="Deviations not explained",
            )
        )
    return flags


def _funds(
    indicator_set: IndicatorSet,
    values: Mapping[str, Decimal | None],
    elapsed: Decimal,
    thresholds: Thresholds,
) -> tuple[Decimal | None, Decimal | None, Decimal | None, Deviation | None]:
    """Budget and spending to date by their roles (inputs or derived values, as the set names
    them), the execution rate and how it compares with the time elapsed."""
    roles = {i.role: n for n, i in indicator_set.derived.items() if i.role}
    roles |= {i.role: n for n, i in indicator_set.inputs.items() if i.role}

    def figure(*wanted: InputRole) -> Decimal | None:
        for role in wanted:
            value = values.get(roles.get(role, ""))
            if value is not None:
                return value
        return None

    budget = figure(InputRole.BUDGET_ADJUSTED, InputRole.BUDGET_INITIAL)
    spent = figure(InputRole.SPENT)
    if budget is None or spent is None or not budget:
        return budget, spent, None, None
    execution = spent / budget
    lag = (elapsed - execution) / elapsed if elapsed else Decimal(0)
    return budget, spent, execution, grade(max(lag, Decimal(0)), thresholds)


def monitor(indicator_set: IndicatorSet, record: MonitoringRecord) -> Monitoring:
    """Monitor a set as of the record's date."""
    from kpi_engine.engine import Engine  # noqa: PLC0415 - the engine imports much

    engine = Engine(indicator_set.model_copy(update={"rules": ()}))
    formulas = {leaf.id for leaf in engine.compiled.leaves if leaf.value is not None}
    actuals = Actuals(
        set=record.set,  # a record for another set is actuals.set-mismatch, as for actuals
        inputs=dict(record.inputs),
        indicators={
            k: IndicatorActual(actual=e.to_date)
            for k, e in record.indicators.items()
            if k not in formulas and e.to_date is not None
        },
    )
    evaluation = engine.evaluate(actuals)
    values = {r.id: r.value for r in evaluation.indicators}
    elapsed = time_progress(record.as_of)
    rows = []
    for leaf in _leaves(indicator_set.indicators):
        compiled = engine.compiled.leaf(leaf.id)
        target = compiled.target if compiled is not None else None
        if target is None and leaf.method is Method.EXECUTION_RATE:  # scored against 100 %
            target = Target(Op.GE, HUNDRED, "%", "100%")
        entry = record.indicators.get(leaf.id, MonitoredEntry())
        value = values.get(leaf.id) if leaf.id in formulas else entry.to_date
        if leaf.kind.value == "qualitative" or leaf.part_of is not None:
            value = None  # tiers are judged at the year end; 其中 rows follow their whole
        rows.append(_row(leaf, target, value, entry, elapsed, record.thresholds))
    budget, spent, execution, funds = _funds(
        indicator_set, evaluation.values, elapsed, record.thresholds
    )
    flags: list[Flag] = []
    for row in rows:
        flags += _row_flags(row)
    if funds not in (None, Deviation.NORMAL):
        assert execution is not None
        assert funds is not None
        flags.append(
            Flag(
                "monitor.funds_severe" if funds is Deviation.SEVERE else "monitor.funds_mild",
                "warning" if funds is Deviation.SEVERE else "info",
                indicator_set.id,
                f"预算执行进度 {percent(execution, 2)} 慢于序时进度 "
                f"{percent(elapsed, 2)}（{funds.label('zh')}）",
                f"funds spent {percent(execution, 2)} lag the time elapsed "
                f"{percent(elapsed, 2)} ({funds.label('en')})",
                suggestion="加快预算执行，说明执行慢的原因。",
                suggestion_en="Speed up spending and explain the delay.",
                problem="预算执行进度慢",
                problem_en="Spending behind schedule",
            )
        )
    return Monitoring(
        indicator_set.id,
        indicator_set.title,
        indicator_set.title_en,
        record.as_of,
        elapsed,
        budget,
        spent,
        execution,
        funds,
        tuple(rows),
        tuple(flags),
    )


def year_end_flags(monitoring: Monitoring, evaluation: Evaluation) -> tuple[Flag, ...]:
    """What the year end reads from the year: a deviation reported in monitoring still without a
    reason at the year end, and 确定能 followed by a missed target."""
    results = {r.id: r for r in evaluation.indicators}
    flags: list[Flag] = []
    when = monitoring.as_of.isoformat()
    for row in monitoring.rows:
        r = results.get(row.id)
        if r is None:
            continue
        if row.deviation in (Deviation.MILD, Deviation.SEVERE) and not r.reason:
            assert row.deviation is not None
            flags.append(
                Flag(
                    "year.deviation_unexplained",
                    "warning",
                    row.id,
                    f"指标“{row.name}”在 {when} 的监控中为{row.deviation.label('zh')}，"
                    "年终自评仍未说明偏差原因",
                    f"{row.name_en or row.name} was off track ({row.deviation.label('en')}) "
                    f"in the monitoring of {when}, and the year end still gives no reason",
                    suggestion="在偏差原因分析中说明监控发现的偏差及纠偏结果。",
                    suggestion_en="Explain the deviation found in monitoring and what was done.",
                    problem="偏差原因未说明",
                    problem_en="Deviations not explained",
                )
            )
        if row.likelihood is Likelihood.CERTAIN and r.met is False:
            flags.append(
                Flag(
                    "year.certain_but_missed",
                    "warning",
                    row.id,
                    f"指标“{row.name}”在 {when} 的监控中填报“确定能”完成，年终却未达到目标",
                    f"{row.name_en or row.name} was reported certain to be met in the "
                    f"monitoring of {when}, but missed its target",
                    suggestion="说明监控判断与年终结果不一致的原因，提高监控的准确性。",
                    suggestion_en="Explain why the monitoring judgement was wrong.",
                    problem="运行监控不实",
                    problem_en="Monitoring did not foresee the result",
                )
            )
    return tuple(flags)
