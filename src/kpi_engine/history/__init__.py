"""History: every evaluation kept in a database, years compared, units compared, problems
followed up.

A SQLite file by default (``kpi-history.sqlite`` in the current folder, or ``--db URL`` /
``KPI_DB``), PostgreSQL through psycopg 3 for organisations. This package is the only place that
imports SQLAlchemy and Alembic (the ``history`` extra); ``import kpi_engine`` never loads it.
Without the extra, importing it raises :class:`~kpi_engine.errors.MissingExtraError`.

>>> from kpi_engine import load_indicator_set, evaluate
>>> from kpi_engine.loading import load_actuals
>>> s = load_indicator_set("indicator_sets/project-demo-2024")
>>> e = evaluate(s, load_actuals("indicator_sets/project-demo-2024/actuals.yaml"))
>>> with History("sqlite://") as h:                   # in memory here
...     first = h.save(e, s)                           # unit and year from the set
...     again = h.save(e, s)                           # same inputs: kept once
...     [(x.unit, x.year) for x in h.evaluations()], first == again
([('某区市场监督管理局', 2024)], True)
"""

from __future__ import annotations

from kpi_engine.errors import MissingExtraError

try:
    import alembic  # noqa: F401 - checked here so a missing extra is named at import
    import sqlalchemy  # noqa: F401
except ImportError:
    raise MissingExtraError("SQLAlchemy", "history") from None

from kpi_engine.history.records import (
    FollowUp,
    HistoryError,
    LeagueRow,
    Rollup,
    StoredEvaluation,
    StoredFlag,
    StoredForm,
    TrendPoint,
    stored_form,
)
from kpi_engine.history.store import DEFAULT_DB, History, SaveCounts, database_url

__all__ = [
    "DEFAULT_DB",
    "FollowUp",
    "History",
    "HistoryError",
    "LeagueRow",
    "Rollup",
    "SaveCounts",
    "StoredEvaluation",
    "StoredFlag",
    "StoredForm",
    "TrendPoint",
    "database_url",
    "stored_form",
]
