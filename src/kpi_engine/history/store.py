"""The store: saving evaluations and asking about them, on SQLite or PostgreSQL.

``History(url)`` opens (and, if needed, creates or upgrades) the database: the schema is brought
to the latest migration under ``migrations/`` when the store is opened. Saves are idempotent:
an evaluation is known by its set and actuals digests, its unit and its year, and saving the
same again keeps the one already stored. Many evaluations are saved in chunks, one transaction a
chunk, so an interrupted batch leaves whole evaluations only and a rerun stores the rest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Select, Table, create_engine, event, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import aliased

from kpi_engine.history.followup import follow_up
from kpi_engine.history.records import (
    ROLLUP_INPUTS,
    FollowUp,
    HistoryError,
    LeagueRow,
    Rollup,
    StoredEvaluation,
    StoredFlag,
    StoredForm,
    TrendPoint,
    document_of,
    stored_form,
)
from kpi_engine.history.tables import EvaluationRow, FlagRow, IndicatorRow
from kpi_engine.models import Actuals, IndicatorActual, IndicatorSet
from kpi_engine.results import Evaluation

__all__ = ["DEFAULT_DB", "SCHEMA_REVISION", "History", "SaveCounts", "database_url"]

DEFAULT_DB = "kpi-history.sqlite"
"""The SQLite file used in the current folder when neither ``--db`` nor ``KPI_DB`` names one."""
SCHEMA_REVISION = "0001"
"""The latest migration; a store already there is opened without loading Alembic."""
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_CHUNK = 500


def database_url(url: str | None = None) -> str:
    """The database to use: ``url``, else ``KPI_DB``, else ``kpi-history.sqlite`` here. A plain
    ``postgresql://`` URL is served by psycopg 3; a bare path is a SQLite file."""
    url = url or os.environ.get("KPI_DB") or DEFAULT_DB
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@dataclass(frozen=True, slots=True)
class SaveCounts:
    """What a save did: every evaluation given is either newly stored or was already there."""

    given: int
    stored: int
    already: int


def _insert(dialect: str) -> Any:
    return (postgresql if dialect == "postgresql" else sqlite).insert


class History:
    """A store of evaluations (SQLite file or PostgreSQL database).

    >>> h = History("sqlite://")          # in memory; a file path or postgresql://… in real use
    >>> h.evaluations()
    []
    """

    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        """Open the store at ``url`` (see :func:`database_url`); with ``create=False`` a SQLite
        file that does not exist yet is an error (``history.no-store``) instead of a new store."""
        self.url = database_url(url)
        try:
            parsed = make_url(self.url)
            if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
                raise ArgumentError(parsed.get_backend_name())
            file = parsed.database if parsed.get_backend_name() == "sqlite" else None
            if not create and file and file != ":memory:" and not Path(file).exists():
                raise HistoryError(
                    "history.no-store",
                    f"没有历史库 {file}：先用 --save 存入评价，或用 --db 指定已有的库",
                    f"no history store at {file}: save evaluations with --save first, or give --db",
                )
            self.engine: Engine = _open(self.url, parsed.get_backend_name())
        except (ArgumentError, NoSuchModuleError, ValueError) as exc:
            raise HistoryError(
                "history.bad-url",
                f"无法识别的数据库地址：{exc}（支持 SQLite 文件或 postgresql://…）",
                f"unrecognised database URL: {exc} (a SQLite file or postgresql://…)",
            ) from None
        self.dialect = self.engine.dialect.name
        try:
            self._migrate()
        except DBAPIError as exc:
            self.engine.dispose()
            raise HistoryError(
                "history.unreachable",
                f"无法打开数据库：{exc.orig}",
                f"cannot open the database: {exc.orig}",
            ) from None

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema ---------------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # Two processes opening a new database at once: one migrates, the other waits.
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(1414)")
            if _revision(conn) == SCHEMA_REVISION:
                return
            from alembic import command  # noqa: PLC0415 - only when the schema must change
            from alembic.config import Config  # noqa: PLC0415

            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    # --- saving ---------------------------------------------------------------------------------

    def save(
        self,
        evaluation: Evaluation,
        indicator_set: IndicatorSet | None = None,
        *,
        unit: str | None = None,
        year: int | None = None,
    ) -> int:
        """Save one evaluation; returns its id (the stored one's when the same inputs were saved
        before). The unit defaults to the set's ``organization``, the year to its ``year``."""
        unit, year = unit_and_year(indicator_set, unit, year)
        form = stored_form(evaluation.to_dict(), unit, year, datetime.now(UTC))
        self.save_many([form])
        stored = self._id_of(form)
        assert stored is not None
        return stored

    def save_many(self, forms: Iterable[StoredForm], chunk: int = _CHUNK) -> SaveCounts:
        """Save evaluations in chunks of ``chunk``, one transaction a chunk; evaluations already
        stored (same digests, unit and year) are counted, not stored again."""
        given = stored = 0
        pending: list[StoredForm] = []
        for form in forms:
            given += 1
            pending.append(form)
            if len(pending) >= chunk:
                stored += self._save_chunk(pending)
                pending = []
        if pending:
            stored += self._save_chunk(pending)
        return SaveCounts(given, stored, given - stored)

    def _save_chunk(self, forms: Sequence[StoredForm]) -> int:
        unique = {form.key: form for form in forms}
        # One order for every writer: two transactions never wait on each other's keys crosswise.
        ordered = [unique[key] for key in sorted(unique)]
        table = _table(EvaluationRow)
        statement = (
            _insert(self.dialect)(table)
            .on_conflict_do_nothing(index_elements=["set_sha256", "actuals_sha256", "unit", "year"])
            .returning(
                table.c.id, table.c.set_sha256, table.c.actuals_sha256, table.c.unit, table.c.year
            )
        )
        with self.engine.begin() as conn:
            inserted = conn.execute(statement, [f.evaluation for f in ordered]).all()
            ids = {(r.set_sha256, r.actuals_sha256, r.unit, r.year): r.id for r in inserted}
            indicators = [
                {**row, "evaluation_id": ids[f.key]}
                for f in ordered
                if f.key in ids
                for row in f.indicators
            ]
            flags = [
                {**row, "evaluation_id": ids[f.key]}
                for f in ordered
                if f.key in ids
                for row in f.flags
            ]
            if indicators:
                conn.execute(_table(IndicatorRow).insert(), indicators)
            if flags:
                conn.execute(_table(FlagRow).insert(), flags)
        return len(ids)

    def _id_of(self, form: StoredForm) -> int | None:
        e = EvaluationRow
        s, a, u, y = form.key
        query = select(e.id).where(
            e.set_sha256 == s, e.actuals_sha256 == a, e.unit == u, e.year == y
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()

    # --- asking ---------------------------------------------------------------------------------

    def evaluations(
        self,
        *,
        unit: str | None = None,
        year: int | None = None,
        set_id: str | None = None,
        current: bool = False,
    ) -> list[StoredEvaluation]:
        """Saved evaluations, by unit and year then id; ``current`` keeps only the one that
        counts for each unit and year (the last saved)."""
        e = EvaluationRow
        query = _headline()
        if current:
            query = query.where(_is_current(e))
        if unit is not None:
            query = query.where(e.unit == unit)
        if year is not None:
            query = query.where(e.year == year)
        if set_id is not None:
            query = query.where(e.set_id == set_id)
        with self.engine.connect() as conn:
            return [_stored(row) for row in conn.execute(query.order_by(e.unit, e.year, e.id))]

    def evaluation(self, evaluation_id: int) -> StoredEvaluation:
        """One saved evaluation by id."""
        query = _headline().where(EvaluationRow.id == evaluation_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            raise HistoryError(
                "history.not-found",
                f"库中没有编号为 {evaluation_id} 的评价",
                f"no evaluation {evaluation_id} in the store",
            )
        return _stored(row)

    def current(self, unit: str, year: int) -> StoredEvaluation | None:
        """The evaluation that counts for ``unit`` in ``year`` (the last saved), if any."""
        found = self.evaluations(unit=unit, year=year, current=True)
        return found[0] if found else None

    def document(self, evaluation_id: int) -> dict[str, Any]:
        """A saved evaluation's full JSON (as ``Evaluation.to_dict()`` gave it)."""
        query = select(EvaluationRow.document).where(EvaluationRow.id == evaluation_id)
        with self.engine.connect() as conn:
            blob = conn.execute(query).scalar_one_or_none()
        if blob is None:
            self.evaluation(evaluation_id)  # raises history.not-found
        assert blob is not None
        return document_of(blob)

    def indicators(self, evaluation_id: int) -> list[TrendPoint]:
        """A saved evaluation's indicator results, in the set's order."""
        e, r = EvaluationRow, IndicatorRow
        query = _points().where(e.id == evaluation_id).order_by(r.position)
        with self.engine.connect() as conn:
            return [_point(row) for row in conn.execute(query)]

    def flags(self, evaluation_id: int) -> list[StoredFlag]:
        """A saved evaluation's flags, in the order they were raised."""
        f = FlagRow
        query = select(f).where(f.evaluation_id == evaluation_id).order_by(f.position)
        with self.engine.connect() as conn:
            return [
                StoredFlag(
                    row.rule,
                    row.severity,
                    row.subject,
                    row.problem,
                    row.message,
                    row.message_en,
                    json.loads(row.evidence),
                )
                for row in conn.execute(query)
            ]

    def trend(
        self,
        indicator: str,
        *,
        unit: str | None = None,
        first: int | None = None,
        last: int | None = None,
    ) -> list[TrendPoint]:
        """One indicator (by id or name, e.g. 预算执行率) across the years: each unit's current
        evaluation per year, by unit then year."""
        e, r = EvaluationRow, IndicatorRow
        query = _points().where(
            _is_current(e), or_(r.indicator_id == indicator, r.name == indicator)
        )
        if unit is not None:
            query = query.where(e.unit == unit)
        if first is not None:
            query = query.where(e.year >= first)
        if last is not None:
            query = query.where(e.year <= last)
        with self.engine.connect() as conn:
            return [_point(row) for row in conn.execute(query.order_by(e.unit, e.year))]

    def league(self, year: int) -> list[LeagueRow]:
        """The units evaluated in ``year``, best total first; equal totals share a rank (1, 2,
        2, 4) and units without a total come last, unranked."""
        found = self.evaluations(year=year, current=True)
        # Ranked here, on Decimals: SQLite holds the totals as text, which does not sort as numbers.
        found.sort(key=lambda s: (s.total is None, -(s.total or Decimal(0)), s.unit))
        rows: list[LeagueRow] = []
        previous: Decimal | None = None
        rank = 0
        for place, s in enumerate(found, start=1):
            if s.total is not None and s.total != previous:
                rank, previous = place, s.total
            rows.append(
                LeagueRow(
                    rank if s.total is not None else None,
                    s.unit,
                    s.total,
                    s.grade,
                    s.coverage,
                    s.id,
                )
            )
        return rows

    def followup(self, unit: str, year: int) -> FollowUp:
        """Last year's problems for ``unit`` against this year's (问题整改)."""
        this = self.current(unit, year)
        if this is None:
            raise HistoryError(
                "history.not-found",
                f"库中没有 {unit} {year} 年的评价",
                f"no evaluation of {unit} for {year} in the store",
            )
        before = self.current(unit, year - 1)
        if before is None:
            return FollowUp(unit, year, None, (), ())
        return follow_up(unit, year, self.flags(this.id), year - 1, self.flags(before.id))

    def past_years(self, unit: str, up_to: int) -> list[tuple[StoredEvaluation, list[TrendPoint]]]:
        """The unit's current evaluation for each stored year up to ``up_to``, with its
        indicator results: what the report's 历年对比 compares."""
        found = [s for s in self.evaluations(unit=unit, current=True) if s.year <= up_to]
        return [(s, self.indicators(s.id)) for s in found]

    def last_year_actuals(self, unit: str, year: int) -> dict[str, Decimal]:
        """The unit's numeric actuals of the year before ``year``, by indicator id (from its
        current evaluation then; empty when there is none)."""
        before = self.current(unit, year - 1)
        if before is None:
            return {}
        return {p.indicator_id: p.value for p in self.indicators(before.id) if p.value is not None}

    def with_last_year(self, actuals: Actuals | None, unit: str, year: int) -> Actuals:
        """``actuals`` with each indicator's ``last_year`` taken from the store where the actuals
        do not give one, so the target checks (target.below_last_year) can use it. A new value:
        the actuals given are not changed."""
        actuals = actuals or Actuals()
        known = self.last_year_actuals(unit, year)
        if not known:
            return actuals
        entries = dict(actuals.indicators)
        for indicator_id, value in known.items():
            entry = entries.get(indicator_id) or IndicatorActual()
            if entry.last_year is None:
                entries[indicator_id] = entry.model_copy(update={"last_year": value})
        return actuals.model_copy(update={"indicators": entries})

    def rollup(
        self,
        year: int,
        *,
        set_id: str | None = None,
        units: Sequence[str] | None = None,
        budget: str = "budget_adjusted",
        spent: str = "spent",
    ) -> Rollup:
        """A department's projects in ``year`` rolled up: the current evaluations of the set
        ``set_id`` and/or of the ``units`` named. The execution rate adds up the inputs named
        ``budget`` and ``spent`` (the names the project templates give the 全年预算数 and
        全年执行数 roles)."""
        found = [
            s
            for s in self.evaluations(year=year, set_id=set_id, current=True)
            if units is None or s.unit in units
        ]
        totals = [s.total for s in found if s.total is not None]
        budgets: list[Decimal] = []
        spends: list[Decimal] = []
        for s in found:
            values = self.document(s.id).get("values") or {}
            if values.get(budget) is not None and values.get(spent) is not None:
                budgets.append(Decimal(values[budget]))
                spends.append(Decimal(values[spent]))
        hundred = Decimal(100)
        total_budget = sum(budgets, Decimal(0)) if budgets else None
        total_spent = sum(spends, Decimal(0)) if spends else None
        return Rollup(
            year,
            tuple(s.unit for s in found),
            sum(totals, Decimal(0)) / len(totals) if totals else None,
            hundred * sum(1 for s in found if s.grade == "优") / len(found) if found else None,
            total_budget,
            total_spent,
            total_spent / total_budget * hundred
            if total_spent is not None and total_budget
            else None,
        )

    @staticmethod
    def with_rollup(
        actuals: Actuals | None, indicator_set: IndicatorSet, rollup: Rollup
    ) -> Actuals:
        """``actuals`` with the rolled-up figures under the input names the set declares
        (:data:`ROLLUP_INPUTS`) and the actuals leave out. A new value."""
        actuals = actuals or Actuals()
        inputs = dict(actuals.inputs)
        for name, value in rollup.inputs.items():
            if name in indicator_set.inputs and inputs.get(name) is None and name in ROLLUP_INPUTS:
                inputs[name] = value
        return actuals.model_copy(update={"inputs": inputs})

    # --- moving ---------------------------------------------------------------------------------

    def export(self) -> Iterator[dict[str, Any]]:
        """Every saved evaluation as one JSON-ready mapping (unit, year, saved_at, evaluation),
        oldest first: ``import_records`` of these rebuilds the store elsewhere."""
        e = EvaluationRow
        query = select(e.unit, e.year, e.saved_at, e.document).order_by(e.id)
        with self.engine.connect() as conn:
            for row in conn.execute(query).yield_per(500):
                yield {
                    "kpi_history": 1,
                    "unit": row.unit,
                    "year": row.year,
                    "saved_at": _utc(row.saved_at).isoformat(),
                    "evaluation": document_of(row.document),
                }

    def import_records(self, records: Iterable[Mapping[str, Any]]) -> SaveCounts:
        """Save exported records (see :meth:`export`)."""
        return self.save_many(_form_of(record, i) for i, record in enumerate(records, 1))


def _form_of(record: Mapping[str, Any], line: int) -> StoredForm:
    try:
        if record.get("kpi_history") != 1:
            raise KeyError("kpi_history")
        return stored_form(
            record["evaluation"],
            str(record["unit"]),
            int(record["year"]),
            datetime.fromisoformat(record["saved_at"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise HistoryError(
            "history.bad-export",
            f"第 {line} 条不是 kpi history export 的记录（{exc}）",
            f"record {line} is not a kpi history export record ({exc})",
        ) from None


def unit_and_year(
    indicator_set: IndicatorSet | None, unit: str | None, year: int | None
) -> tuple[str, int]:
    """The unit and year an evaluation is saved under: as given, else the set's
    ``organization`` and ``year``."""
    unit = unit or (indicator_set.organization if indicator_set else None)
    year = year or (indicator_set.year if indicator_set else None)
    if not unit:
        raise HistoryError(
            "history.no-unit",
            "不知道这次评价属于哪个单位：请在指标体系中写 organization，或用 --unit 指定",
            "which unit is this evaluation of? Set organization in the set, or give --unit",
        )
    if not year:
        raise HistoryError(
            "history.no-year",
            "不知道这次评价属于哪一年：请在指标体系中写 year，或用 --year 指定",
            "which year is this evaluation for? Set year in the set, or give --year",
        )
    return unit, year


def _open(url: str, backend: str) -> Engine:
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        # Transactions are begun below: BEGIN IMMEDIATE takes the write lock up front, so two
        # writers queue (busy timeout) instead of failing when a reader turns writer.
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        if url not in {"sqlite://", "sqlite:///:memory:"}:
            dbapi_connection.execute("PRAGMA journal_mode = WAL")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _revision(conn: Connection) -> str | None:
    if not conn.dialect.has_table(conn, "alembic_version"):
        return None
    value = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return None if value is None else str(value)


def _is_current(e: type[EvaluationRow]) -> Any:
    later = aliased(EvaluationRow)
    newest = (
        select(func.max(later.id))
        .where(later.unit == e.unit, later.year == e.year)
        .scalar_subquery()
    )
    return e.id == newest


def _headline() -> Select[*tuple[Any, ...]]:
    e = EvaluationRow
    return select(
        e.id,
        e.unit,
        e.year,
        e.set_id,
        e.title,
        e.total,
        e.max_total,
        e.grade,
        e.coverage,
        e.engine,
        e.set_sha256,
        e.actuals_sha256,
        e.saved_at,
        e.places,
    )


def _stored(row: Any) -> StoredEvaluation:
    return StoredEvaluation(
        row.id,
        row.unit,
        row.year,
        row.set_id,
        row.title,
        row.total,
        row.max_total,
        row.grade,
        row.coverage,
        row.engine,
        row.set_sha256,
        row.actuals_sha256,
        _utc(row.saved_at),
        row.places,
    )


def _points() -> Select[*tuple[Any, ...]]:
    e, r = EvaluationRow, IndicatorRow
    return select(
        e.unit,
        e.year,
        r.indicator_id,
        r.name,
        r.status,
        r.value,
        r.unit.label("measure"),
        r.score,
        r.weight,
        e.places,
    ).join(r, r.evaluation_id == e.id)


def _point(row: Any) -> TrendPoint:
    return TrendPoint(
        row.unit,
        row.year,
        row.indicator_id,
        row.name,
        row.status,
        row.value,
        row.measure,
        row.score,
        row.weight,
        row.places,
    )


def _utc(moment: datetime) -> datetime:
    # SQLite hands back the moment without its zone; it was saved in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
