"""The history store: every test runs on SQLite and, when KPI_TEST_PG_URL names a server, on
PostgreSQL (``.ci/run`` starts a throwaway one)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kpi_engine import Engine, Evaluation, IndicatorSet
from tests.conftest import make_set

pytest.importorskip("sqlalchemy", reason="the history extra is not installed")

from sqlalchemy import create_engine, text

from kpi_engine.history import (
    History,
    HistoryError,
    database_url,
    stored_form,
)

PG_URL = os.environ.get("KPI_TEST_PG_URL")

SET = """
organization: 甲单位
year: 2023
inputs:
  budget: {unit: 万元, label: 全年预算数, role: budget_adjusted}
  spent: {unit: 万元, label: 全年执行数, role: spent}
indicators:
  - {id: execution, name: 预算执行率, weight: 10, target: '≥ 95%', value: spent / budget * 100}
  - {id: trained, name: 培训人数, weight: 90, target: '≥ 500 人'}
"""


@pytest.fixture(scope="module")
def small_set() -> IndicatorSet:
    """A two-row set: 预算执行率 (flagged execution.low below 90 %) and 培训人数."""
    return make_set(SET)


@pytest.fixture(scope="module")
def engine(small_set: IndicatorSet) -> Engine:
    """The small set, compiled once."""
    return Engine(small_set)


def unit_evaluation(engine: Engine, spent: object, trained: object = 520) -> Evaluation:
    """One unit's evaluation: budget 100 万元, ``spent`` of it, ``trained`` people."""
    return engine.evaluate(
        {"inputs": {"budget": 100, "spent": spent}, "indicators": {"trained": {"actual": trained}}}
    )


def _pg_database() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("no PostgreSQL server: KPI_TEST_PG_URL is not set (.ci/run starts one)")
    name = f"kpi_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield database_url(PG_URL).rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database: a SQLite file, or a database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.sqlite'}"
    else:
        yield from _pg_database()


@pytest.fixture
def store(store_url: str) -> Iterator[History]:
    """An open store on a new database."""
    with History(store_url) as history:
        yield history


# --- saving ------------------------------------------------------------------------------------


def test_saving_the_same_inputs_twice_keeps_one_evaluation(
    store: History, engine: Engine, small_set: IndicatorSet
) -> None:
    """Same set, actuals, unit and year: the second save returns the first's id, one row stays."""
    e = unit_evaluation(engine, 80)
    first = store.save(e, small_set)
    assert store.save(unit_evaluation(engine, 80), small_set) == first
    assert [s.id for s in store.evaluations()] == [first]
    other = store.save(e, small_set, unit="乙单位")
    assert other != first
    assert len(store.evaluations()) == 2


def test_unit_and_year_come_from_the_set_unless_given(
    store: History, engine: Engine, small_set: IndicatorSet
) -> None:
    """organization and year of the set are the defaults; unit= and year= override them."""
    store.save(unit_evaluation(engine, 80), small_set)
    store.save(unit_evaluation(engine, 80), small_set, unit="乙单位", year=2024)
    assert [(s.unit, s.year) for s in store.evaluations()] == [("乙单位", 2024), ("甲单位", 2023)]


def test_an_evaluation_without_unit_or_year_is_refused(store: History, engine: Engine) -> None:
    """Without a set, unit and year must be given: history.no-unit / history.no-year."""
    e = unit_evaluation(engine, 80)
    with pytest.raises(HistoryError, match=r"history\.no-unit"):
        store.save(e)
    with pytest.raises(HistoryError, match=r"history\.no-year"):
        store.save(e, unit="甲单位")


def test_figures_are_stored_digit_for_digit(store: History, engine: Engine) -> None:
    """Totals and actuals come back as the same Decimals, however many digits; never via float."""
    spent = Decimal("87.123456789012345678901")
    e = unit_evaluation(engine, spent, trained=Decimal("123456789012345678.5"))
    evaluation_id = store.save(e, unit="甲单位", year=2023)
    stored = store.evaluation(evaluation_id)
    assert stored.total == e.total_rounded
    assert stored.coverage == e.coverage
    points = {p.indicator_id: p for p in store.indicators(evaluation_id)}
    assert points["trained"].value == Decimal("123456789012345678.5")
    assert points["execution"].value == e.indicator("execution").value
    assert points["execution"].score == Decimal(e.indicator("execution").to_dict(2)["score"])
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            kinds = conn.execute(text("SELECT typeof(value) FROM indicator_results")).scalars()
            assert set(kinds) <= {"text", "null"}
        else:
            kind = conn.execute(
                text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'indicator_results' AND column_name = 'value'"
                )
            ).scalar()
            assert kind == "numeric"


def test_the_full_json_is_kept(store: History, engine: Engine) -> None:
    """document() gives back exactly what Evaluation.to_dict() gave."""
    e = unit_evaluation(engine, 80)
    evaluation_id = store.save(e, unit="甲单位", year=2023)
    assert store.document(evaluation_id) == e.to_dict()


def test_one_row_per_indicator_result_and_per_flag(store: History, engine: Engine) -> None:
    """indicator_results and flags hold one row for each result and each flag."""
    e = unit_evaluation(engine, 80)
    evaluation_id = store.save(e, unit="甲单位", year=2023)
    assert [p.indicator_id for p in store.indicators(evaluation_id)] == [r.id for r in e.indicators]
    assert [(f.rule, f.subject, f.message) for f in store.flags(evaluation_id)] == [
        (f.rule, f.subject, f.message) for f in e.flags
    ]


def test_save_many_counts_every_evaluation_given(store: History, engine: Engine) -> None:
    """given = stored + already there; a second run of the same stores nothing new."""
    now = datetime.now(UTC)
    forms = [
        stored_form(unit_evaluation(engine, 70 + i).to_dict(), f"单位{i:02}", 2023, now)
        for i in range(12)
    ]
    first = store.save_many(forms[:7], chunk=5)
    assert (first.given, first.stored, first.already) == (7, 7, 0)
    again = store.save_many(forms, chunk=5)
    assert (again.given, again.stored, again.already) == (12, 5, 7)
    assert len(store.evaluations()) == 12


def test_a_later_save_for_the_same_unit_and_year_is_the_current_one(
    store: History, engine: Engine
) -> None:
    """A corrected evaluation replaces the first in queries; the first stays on record."""
    first = store.save(unit_evaluation(engine, 80), unit="甲单位", year=2023)
    second = store.save(unit_evaluation(engine, 95), unit="甲单位", year=2023)
    assert [s.id for s in store.evaluations()] == [first, second]
    current = store.current("甲单位", 2023)
    assert current is not None
    assert current.id == second
    assert [p.value for p in store.trend("预算执行率")] == [Decimal(95)]


# --- asking ------------------------------------------------------------------------------------

RATES = {"甲单位": (70, 85, 92, 99), "乙单位": (95, 60, 88, 100)}


def _four_years(store: History, engine: Engine) -> None:
    for unit, rates in RATES.items():
        for year, spent in zip(range(2021, 2025), rates, strict=True):
            store.save(unit_evaluation(engine, spent), unit=unit, year=year)
    store.save(unit_evaluation(engine, 50), unit="甲单位", year=2020)  # outside the range asked


def test_sql_alone_answers_every_units_execution_rate_for_2021_to_2024(
    store: History, engine: Engine
) -> None:
    """The documented query over current_evaluations and indicator_results gives each unit's
    预算执行率 per year (what docs/history.md shows)."""
    _four_years(store, engine)
    query = text(
        "SELECT e.unit, e.year, r.value FROM current_evaluations e "
        "JOIN indicator_results r ON r.evaluation_id = e.id "
        "WHERE r.name = '预算执行率' AND e.year BETWEEN 2021 AND 2024 "
        "ORDER BY e.unit, e.year"
    )
    with store.engine.connect() as conn:
        rows = [(u, y, Decimal(str(v))) for u, y, v in conn.execute(query)]
    expected = [
        (unit, year, Decimal(spent))
        for unit in sorted(RATES)
        for year, spent in zip(range(2021, 2025), RATES[unit], strict=True)
    ]
    assert rows == expected


def test_trend_follows_one_indicator_by_id_or_name(store: History, engine: Engine) -> None:
    """trend() by name or id, for every unit or one, within a range of years."""
    _four_years(store, engine)
    by_name = store.trend("预算执行率", first=2021, last=2024)
    assert [(p.unit, p.year, p.value) for p in by_name] == [
        (unit, year, Decimal(spent))
        for unit in sorted(RATES)
        for year, spent in zip(range(2021, 2025), RATES[unit], strict=True)
    ]
    assert store.trend("execution", unit="乙单位", first=2023) == by_name[2:4]
    assert by_name[0].measure == "%"
    assert store.trend("没有这个指标") == []


def test_league_table_ranks_units_by_total_with_shared_ranks(
    store: History, engine: Engine
) -> None:
    """Best total first; equal totals share a rank (1, 1, 3); an incomplete unit ranks by the
    total it has, with its grade withheld and its coverage shown."""
    for unit, spent in (("甲", 80), ("乙", 99), ("丙", 99), ("丁", 70)):
        store.save(unit_evaluation(engine, spent), unit=unit, year=2024)
    store.save(unit_evaluation(engine, None, trained=None), unit="戊", year=2024)
    store.save(unit_evaluation(engine, 10), unit="甲", year=2023)  # another year
    table = store.league(2024)
    assert [(r.rank, r.unit) for r in table] == [
        (1, "丙"),
        (1, "乙"),
        (3, "甲"),
        (4, "丁"),
        (5, "戊"),
    ]
    totals = [r.total for r in table if r.total is not None]
    assert totals == sorted(totals, reverse=True)
    assert table[0].grade == "优"
    assert table[-1].grade is None
    assert table[-1].coverage == 0


def test_a_problem_raised_again_is_unresolved_with_both_years_evidence(
    store: History, engine: Engine
) -> None:
    """execution.low in 2023 and 2024 → followup.unresolved; reason.missing gone → resolved."""
    store.save(unit_evaluation(engine, 80), unit="甲单位", year=2023)
    later = engine.evaluate(
        {
            "inputs": {"budget": 100, "spent": 85},
            "indicators": {"trained": {"actual": 520}, "execution": {"reason": "项目延期"}},
        }
    )
    store.save(later, unit="甲单位", year=2024)
    follow = store.followup("甲单位", 2024)
    assert follow.previous_year == 2023
    assert [f.rule for f in follow.unresolved].count("followup.unresolved") == len(
        follow.unresolved
    )
    low = [f for f in follow.unresolved if f.evidence["rule"] == "execution.low"]
    assert len(low) == 1
    assert "80.00%" in low[0].evidence["2023.message"]
    assert "85.00%" in low[0].evidence["2024.message"]
    assert low[0].problem == "上年问题未整改"
    assert "reason.missing" in [f.rule for f in follow.resolved]
    assert "execution.low" not in [f.rule for f in follow.resolved]
    assert json.loads(json.dumps(follow.to_dict()))["year"] == 2024


def test_followup_without_last_year_has_nothing_to_follow(store: History, engine: Engine) -> None:
    """No evaluation the year before: nothing unresolved, nothing resolved; no such year: error."""
    store.save(unit_evaluation(engine, 80), unit="甲单位", year=2024)
    follow = store.followup("甲单位", 2024)
    assert (follow.previous_year, follow.unresolved, follow.resolved) == (None, (), ())
    with pytest.raises(HistoryError, match=r"history\.not-found"):
        store.followup("甲单位", 2030)
    with pytest.raises(HistoryError, match=r"history\.not-found"):
        store.evaluation(999)
    with pytest.raises(HistoryError, match=r"history\.not-found"):
        store.document(999)


def test_past_years_gives_each_year_with_its_indicators(store: History, engine: Engine) -> None:
    """past_years(): the unit's current evaluation per year up to the one asked, oldest first."""
    _four_years(store, engine)
    years = store.past_years("甲单位", 2023)
    assert [s.year for s, _ in years] == [2020, 2021, 2022, 2023]
    assert [p.indicator_id for p in years[0][1]] == ["execution", "trained"]


def test_export_then_import_rebuilds_the_store(
    store: History, engine: Engine, tmp_path: Path
) -> None:
    """Every evaluation exported and imported elsewhere: same headlines, documents and flags."""
    _four_years(store, engine)
    records = list(store.export())
    with History(f"sqlite:///{tmp_path / 'copy.sqlite'}") as copy:
        counts = copy.import_records(json.loads(json.dumps(r, ensure_ascii=False)) for r in records)
        assert (counts.given, counts.stored) == (9, 9)
        assert [s.to_dict() | {"id": 0} for s in copy.evaluations()] == [
            s.to_dict() | {"id": 0} for s in store.evaluations()
        ]
        assert copy.league(2024) != []
        assert copy.import_records(records).already == 9


def test_an_import_of_something_else_says_which_record(store: History) -> None:
    """A record that is not an export: history.bad-export naming the record."""
    with pytest.raises(HistoryError, match=r"history\.bad-export.*第 2 条"):
        store.import_records(
            [
                {
                    "kpi_history": 1,
                    "unit": "x",
                    "year": 1,
                    "saved_at": "2024-01-01T00:00:00+00:00",
                    "evaluation": {
                        "set": "s",
                        "provenance": {"set_sha256": "a", "actuals_sha256": "b"},
                        "max_total": "100",
                        "coverage": "1",
                    },
                },
                {"x": 1},
            ]
        )


def test_an_evaluation_without_digests_cannot_be_stored() -> None:
    """A document without provenance digests: history.no-provenance."""
    with pytest.raises(HistoryError, match=r"history\.no-provenance"):
        stored_form({"set": "s"}, "甲", 2024, datetime.now(UTC))


# --- the database --------------------------------------------------------------------------


def test_the_migrations_build_exactly_the_tables_the_models_describe(store: History) -> None:
    """Alembic's autogenerate finds nothing to change after the migrations ran, and the
    revision the store skips Alembic at is the migrations' head."""
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from kpi_engine.history.store import MIGRATIONS, SCHEMA_REVISION
    from kpi_engine.history.tables import Base

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


def test_opening_an_existing_store_keeps_what_it_holds(store_url: str, engine: Engine) -> None:
    """A second History on the same database sees the first's evaluations (no re-migration)."""
    with History(store_url) as first:
        first.save(unit_evaluation(engine, 80), unit="甲", year=2024)
    with History(store_url) as second:
        assert [s.unit for s in second.evaluations()] == ["甲"]


def test_database_url_defaults_to_a_file_here_or_kpi_db(monkeypatch: pytest.MonkeyPatch) -> None:
    """No URL: KPI_DB, else kpi-history.sqlite here; a path is SQLite; postgresql:// is psycopg."""
    monkeypatch.delenv("KPI_DB", raising=False)
    assert database_url() == "sqlite:///kpi-history.sqlite"
    monkeypatch.setenv("KPI_DB", "other.db")
    assert database_url() == "sqlite:///other.db"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("url", ["mysql://u@h/db", "nonsense://", "sqlite:///no/such/folder/x.db"])
def test_a_database_that_cannot_be_used_is_a_clean_error(url: str) -> None:
    """An unsupported or unreachable database: history.bad-url or history.unreachable."""
    with pytest.raises(HistoryError, match=r"history\.(bad-url|unreachable)"):
        History(url)


def _save_range(url: str, units: range, spent: int) -> None:
    from kpi_engine import Engine as _Engine

    e = _Engine(make_set(SET))
    now = datetime.now(UTC)
    with History(url) as h:
        h.save_many(
            (
                stored_form(unit_evaluation(e, spent).to_dict(), f"单位{i:03}", 2024, now)
                for i in units
            ),
            chunk=7,
        )


@pytest.mark.slow  # processes
def test_two_processes_saving_at_once_lose_and_duplicate_nothing(store_url: str) -> None:
    """Two writers with overlapping units at the same time: each unit stored exactly once."""
    History(store_url).close()  # the schema exists before the race
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_save_range, args=(store_url, range(60), 80)),
        context.Process(target=_save_range, args=(store_url, range(30, 90), 80)),
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    with History(store_url) as h:
        units = [s.unit for s in h.evaluations()]
        assert sorted(units) == [f"单位{i:03}" for i in range(90)]
        with h.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM indicator_results")).scalar() == 180


KILLED_SAVE = """
import sys
sys.path.insert(0, {root!r})
from datetime import UTC, datetime
from kpi_engine import Engine
from kpi_engine.history import History, stored_form
from tests.conftest import make_set
from tests.test_history import SET, unit_evaluation
e = Engine(make_set(SET))
def forms():
    for i in range(100000):
        yield stored_form(unit_evaluation(e, 60 + i % 40).to_dict(), f"单位{{i:06}}", 2024, datetime.now(UTC))
        if i == 45:
            print("saving", flush=True)
with History({url!r}) as h:
    h.save_many(forms(), chunk=20)
"""


@pytest.mark.slow  # processes
def test_a_save_killed_by_sigkill_leaves_whole_evaluations_and_resumes(store_url: str) -> None:
    """SIGKILL mid-batch: every stored evaluation has all its rows; a rerun stores the rest once."""
    History(store_url).close()
    root = str(Path(__file__).resolve().parent.parent)
    code = KILLED_SAVE.format(root=root, url=store_url)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(root) / "src"), root])}
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "saving"
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    with History(store_url) as h:
        stored = h.evaluations()
        assert 0 < len(stored) < 100000
        assert len(stored) % 20 == 0  # whole chunks only
        with h.engine.connect() as conn:
            counts = conn.execute(
                text(
                    "SELECT e.id, count(r.indicator_id) FROM evaluations e "
                    "LEFT JOIN indicator_results r ON r.evaluation_id = e.id GROUP BY e.id"
                )
            ).all()
        assert {n for _, n in counts} == {2}
        e = Engine(make_set(SET))
        now = datetime.now(UTC)
        again = h.save_many(
            stored_form(unit_evaluation(e, 60 + i % 40).to_dict(), f"单位{i:06}", 2024, now)
            for i in range(len(stored) + 30)
        )
        assert (again.already, again.stored) == (len(stored), 30)


def test_last_years_actuals_fill_only_what_the_actuals_leave_out(
    store: History, engine: Engine
) -> None:
    """with_last_year(): last year's stored actual per indicator where none is given; a given
    last_year is kept, and the actuals passed in are not changed."""
    from kpi_engine.models import Actuals, IndicatorActual

    store.save(unit_evaluation(engine, 97, trained=600), unit="甲", year=2023)
    given = Actuals(
        indicators={"trained": IndicatorActual(actual=Decimal(520), last_year=Decimal(550))}
    )
    filled = store.with_last_year(given, "甲", 2024)
    assert filled.indicators["execution"].last_year == Decimal(97)
    assert filled.indicators["trained"].last_year == Decimal(550)
    assert given.indicators.keys() == {"trained"}
    assert store.with_last_year(None, "甲", 2023) == Actuals()
    e = engine.evaluate(filled)
    assert "target.below_last_year" in {f.rule for f in e.flags}


def test_rollup_adds_up_a_departments_projects(store: History, engine: Engine) -> None:
    """Projects of a year: count, mean total, share graded 优 and Σ spent ÷ Σ budget, exact."""
    for unit, spent in (("项目甲", 99), ("项目乙", 80), ("项目丙", 50)):
        store.save(unit_evaluation(engine, spent), unit=unit, year=2024)
    store.save(unit_evaluation(engine, 10), unit="项目甲", year=2023)
    rollup = store.rollup(2024, set_id="t", budget="budget")  # the small set's input names
    assert rollup.units == ("项目丙", "项目乙", "项目甲")
    totals = [s.total for s in store.evaluations(year=2024)]
    assert rollup.average_score == sum(t for t in totals if t is not None) / 3
    grades = [s.grade for s in store.evaluations(year=2024)]
    assert rollup.excellent_share == Decimal(100) * grades.count("优") / 3
    assert rollup.execution_rate == Decimal(229) / Decimal(300) * 100
    assert rollup.inputs["project_count"] == 3
    assert store.rollup(2024, units=["项目甲"]).units == ("项目甲",)
    empty = store.rollup(1999)
    assert (empty.units, empty.average_score, empty.execution_rate) == ((), None, None)


def test_a_department_set_takes_the_rolled_up_figures_it_declares(
    store: History, engine: Engine
) -> None:
    """with_rollup(): project_* inputs the set declares and the actuals leave out; others untouched."""
    from kpi_engine.models import Actuals

    for unit, spent in (("项目甲", 99), ("项目乙", 80)):
        store.save(unit_evaluation(engine, spent), unit=unit, year=2024)
    department = make_set(
        """
        kind: department
        inputs:
          project_count: {label: 项目数}
          project_execution_rate: {label: 项目合计预算执行率, unit: "%"}
        indicators:
          - {id: projects, name: 项目预算执行率, weight: 100, target: "≥ 90%", value: project_execution_rate}
        """
    )
    given = Actuals(inputs={"project_count": Decimal(7)})
    filled = store.with_rollup(given, department, store.rollup(2024, budget="budget"))
    assert filled.inputs["project_count"] == 7  # given: kept
    assert filled.inputs["project_execution_rate"] == Decimal("89.5")
    assert "project_average_score" not in filled.inputs  # not declared
    assert Engine(department).evaluate(filled).indicator("projects").value == Decimal("89.5")
