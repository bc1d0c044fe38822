"""History store benchmark: saving 100,000 unit evaluations (SQLite and PostgreSQL) and a
year-over-year query over them. Not part of the test suite.

    python benchmarks/history_bench.py                      # 100,000 evaluations
    python benchmarks/history_bench.py --units 2000         # a quick look
    KPI_TEST_PG_URL=postgresql://user@127.0.0.1:5432/postgres python benchmarks/history_bench.py

The units are the demo set's, with varying actuals; half are saved for 2023 and half for 2024
(the same unit names), so the year-over-year query pairs each unit's two years. Work is streamed
in chunks of 500 units, each chunk timed by stage: plain evaluation (the baseline), turning the
evaluations into rows (``to_dict`` + ``stored_form``), and saving the chunk (one transaction) into
each store. Ratios are against the plain evaluation of the same units in the same run. Figures
depend on the machine; compare ratios, and runs on the same machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import create_engine, text  # noqa: E402

from kpi_engine import Engine, load_indicator_set  # noqa: E402
from kpi_engine.history import History, database_url, stored_form  # noqa: E402

DEMO = ROOT / "indicator_sets" / "project-demo-2024"
CHUNK = 500

# Every unit's 预算执行率 by year (the question of docs/history.md), and each unit's two years
# side by side.
BY_YEAR_SQL = """
SELECT e.unit, e.year, r.value FROM current_evaluations e
JOIN indicator_results r ON r.evaluation_id = e.id
WHERE r.name = '预算执行率' AND e.year BETWEEN 2023 AND 2024
ORDER BY e.unit, e.year
"""
YOY_SQL = """
SELECT e.unit,
       max(CASE WHEN e.year = 2023 THEN r.value END) AS before,
       max(CASE WHEN e.year = 2024 THEN r.value END) AS after
FROM current_evaluations e JOIN indicator_results r ON r.evaluation_id = e.id
WHERE r.name = '预算执行率' AND e.year IN (2023, 2024)
GROUP BY e.unit
"""


def actuals(i: int, year: int) -> dict[str, object]:
    """A unit's actuals: the demo's figures, varied by unit and year."""
    shift = (i * 7 + year) % 60
    return {
        "inputs": {
            "budget_initial": 800,
            "budget_adjusted": 760,
            "spent": 680 + shift,
            "samples_done": 2900 + i % 400,
            "markets_checked": 48,
            "reports_total": 3126,
            "reports_valid": 3100,
            "nonconforming_found": 94,
            "nonconforming_handled": 90,
            "publish_days": 18 + (i + year) % 6,
            "disposal_days": 30,
            "accidents": 0,
            "respondents": 412,
            "satisfied": 370 + shift % 40,
        },
        "indicators": {"mechanism": {"tier": "达成"}},
    }


def pg_database(server: str) -> tuple[str, object]:
    """A new database on the server (dropped at the end)."""
    name = f"kpi_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return database_url(server).rsplit("/", 1)[0] + f"/{name}", (admin, name)


def timed_queries(store: History) -> dict[str, float]:
    """Seconds for the year-over-year questions, best of three."""
    out: dict[str, float] = {}
    for label, run in (
        (
            "trend 预算执行率 2023–2024 (API)",
            lambda: store.trend("预算执行率", first=2023, last=2024),
        ),
        ("预算执行率 by unit and year (SQL)", lambda: _sql(store, BY_YEAR_SQL)),
        ("year-over-year pairs (SQL)", lambda: _sql(store, YOY_SQL)),
        ("league table 2024 (API)", lambda: store.league(2024)),
    ):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            found = run()
            best = min(best, time.perf_counter() - start)
        out[f"{label}: {len(found)} rows"] = best
    return out


def _sql(store: History, query: str) -> list[object]:
    with store.engine.connect() as conn:
        return list(conn.execute(text(query)))


def report(
    stores: dict[str, History], spent: dict[str, float], n: int, half: int, folder: str
) -> None:
    """Print the figures: each stage against the baseline, row counts, file size, queries."""
    base = spent["evaluate"]
    print(f"{n} unit evaluations ({half} units × 2 years), chunks of {CHUNK}")
    print(f"  plain evaluation (baseline)  {base:8.1f} s  {base / n * 1e3:6.3f} ms/unit  1.00×")
    rows = spent["rows"]
    print(
        f"  to rows (to_dict + form)     {rows:8.1f} s  {rows / n * 1e3:6.3f} ms/unit  {rows / base:.2f}×"
    )
    for name, store in stores.items():
        t = spent[name]
        print(f"  save into {name:<18} {t:8.1f} s  {t / n * 1e3:6.3f} ms/unit  {t / base:.2f}×")
        with store.engine.connect() as conn:
            counts = [
                conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                for table in ("evaluations", "indicator_results", "flags")
            ]
        print(
            f"    rows: evaluations {counts[0]}, indicator_results {counts[1]}, flags {counts[2]}"
        )
    if "SQLite" in stores:
        size = sum(p.stat().st_size for p in Path(folder).glob("bench.sqlite*"))  # with the WAL
        print(f"    SQLite file: {size / 2**20:.0f} MiB ({size / n / 1024:.1f} KiB per evaluation)")
    for name, store in stores.items():
        print(f"  queries on {name}:")
        for label, seconds in timed_queries(store).items():
            print(f"    {label:<52} {seconds * 1e3:9.1f} ms")
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000, help="evaluations to save")
    args = parser.parse_args()
    engine = Engine(load_indicator_set(DEMO))
    half = args.units // 2
    server = os.environ.get("KPI_TEST_PG_URL")
    folder = tempfile.mkdtemp(prefix="kpi-history-bench-")
    stores = {"SQLite": History(f"sqlite:///{folder}/bench.sqlite")}
    cleanup = None
    if server:
        url, cleanup = pg_database(server)
        stores["PostgreSQL"] = History(url)
    else:
        print("no KPI_TEST_PG_URL: PostgreSQL skipped")
    spent = {"evaluate": 0.0, "rows": 0.0} | dict.fromkeys(stores, 0.0)
    now = datetime.now(UTC)
    todo = [(i, year) for year in (2023, 2024) for i in range(half)]
    for start in range(0, len(todo), CHUNK):
        part = todo[start : start + CHUNK]
        t0 = time.perf_counter()
        done = [(i, year, engine.evaluate(actuals(i, year))) for i, year in part]
        t1 = time.perf_counter()
        forms = [stored_form(e.to_dict(), f"U{i:06d}", year, now) for i, year, e in done]
        t2 = time.perf_counter()
        spent["evaluate"] += t1 - t0
        spent["rows"] += t2 - t1
        for name, store in stores.items():
            t3 = time.perf_counter()
            counts = store.save_many(forms, chunk=CHUNK)
            spent[name] += time.perf_counter() - t3
            assert counts.stored == len(forms), counts
    report(stores, spent, len(todo), half, folder)
    shutil.rmtree(folder, ignore_errors=True)
    if cleanup is not None:
        admin, name = cleanup
        with admin.connect() as conn:  # type: ignore[attr-defined]
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
