"""``kpi batch --save``: each unit evaluated once, written to the batch outputs and saved.

Units are turned into rows where they are evaluated (inside the worker processes with
``--jobs``), and saved in chunks, one transaction a chunk, as they come back in order. A batch
interrupted part way keeps the chunks it committed; run again, it stores only what is missing
(evaluations are known by their digests, unit and year), so counts in = stored in the end.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kpi_engine import batch
from kpi_engine.batch import Records, UnitFailure, UnitRow, WorkerSetup
from kpi_engine.engine import Engine
from kpi_engine.history.records import StoredForm, stored_form
from kpi_engine.history.store import History

__all__ = ["SavedBatch", "saved_records"]


@dataclass
class SavedBatch:
    """Counts of a batch saved: units read, newly stored, already there, and failed (a unit
    that could not be evaluated has a record in the outputs but nothing to store)."""

    read: int = 0
    stored: int = 0
    already: int = 0
    failed: int = 0
    chunks: list[int] = field(default_factory=list)

    def text(self) -> str:
        """The counts in Chinese and English (stderr of ``kpi batch --save``)."""
        return (
            f"入库：读入 {self.read} 个单位，新存 {self.stored}，库中已有 {self.already}，"
            f"未能评价 {self.failed} / saved: read {self.read}, stored {self.stored}, "
            f"already stored {self.already}, not evaluated {self.failed}"
        )


def _task(
    groups: tuple[str, ...], long: bool, year: int, engine: Engine, row: UnitRow
) -> tuple[Records, StoredForm | None]:
    # The batch's own steps (private there), so a saved batch reads, evaluates and records each
    # unit exactly as ``kpi batch`` without --save does.
    result = batch._one(engine, row)
    summary = batch.summary_record(row.key, row.origin, result, groups)
    details = list(batch.long_records(row.key, result)) if long else []
    if isinstance(result, UnitFailure):
        return (summary, details), None
    return (summary, details), stored_form(result.to_dict(), row.key, year, datetime.now(UTC))


def saved_records(
    history: History,
    engine: Engine,
    rows: Iterable[UnitRow],
    groups: Sequence[str],
    counts: SavedBatch,
    *,
    year: int,
    long: bool = False,
    jobs: int = 1,
    setup: WorkerSetup | None = None,
    chunk: int = 500,
) -> Iterator[Records]:
    """What :func:`kpi_engine.batch.unit_records` yields, saving each evaluation on the way
    (the unit is the row's key); ``counts`` is filled in as chunks are committed."""
    task = functools.partial(_task, tuple(groups), long, year)
    pending: list[StoredForm] = []

    def flush() -> None:
        saved = history.save_many(pending, chunk=len(pending) or 1)
        counts.stored += saved.stored
        counts.already += saved.already
        counts.chunks.append(saved.given)
        pending.clear()

    for records, form in batch._in_order(engine, rows, task, jobs, setup, 200):
        counts.read += 1
        if form is None:
            counts.failed += 1
        else:
            pending.append(form)
            if len(pending) >= chunk:
                flush()
        yield records
    if pending:
        flush()
