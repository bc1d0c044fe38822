"""Run a batch on an existing cluster engine: Dask (bags of rows) or Spark (``mapInArrow``).

Each worker rebuilds the engine from the set's YAML text and any extra rule packs' texts (once per
process) and turns flat rows —
the same columns as ``kpi batch`` reads — into one summary record per unit, with every number as
a decimal string so that nothing is lost in transit. Results equal the serial run's, record for
record. Needs the ``dask`` or ``spark`` extra.

Which to use: the process pool of ``kpi batch --jobs`` for one machine and files up to millions of
rows; Dask when the rows already live in a Dask pipeline or span a few machines; Spark when they
live in a data lake or warehouse that Spark already reads (10^6–10^7 rows and more).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from kpi_engine.batch import (
    UnitFailure,
    check_columns,
    flat_actuals,
    group_columns,
    summary_columns,
    summary_record,
)
from kpi_engine.display import exact
from kpi_engine.engine import Engine
from kpi_engine.errors import DefinitionError
from kpi_engine.loading import parse_indicator_set, parse_rule_pack
from kpi_engine.rulepacks import compile_pack

__all__ = ["columns_for", "dask_batch", "evaluate_records", "spark_batch"]

_DOT = "__dot__"


@functools.lru_cache(maxsize=4)
def _engine(set_text: str, source: str, rule_texts: tuple[str, ...] = ()) -> Engine:
    packs = tuple(
        compile_pack(parse_rule_pack(text, f"<rule pack {i + 1}>"))
        for i, text in enumerate(rule_texts)
    )
    return Engine(parse_indicator_set(set_text, source), packs)


def columns_for(set_text: str, source: str = "<set>") -> list[str]:
    """The summary columns a set's batch produces."""
    return summary_columns(group_columns(_engine(set_text, source).compiled))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return exact(value) if isinstance(value, Decimal) else str(value)


def evaluate_records(
    set_text: str,
    source: str,
    key: str,
    rows: Iterable[dict[str, Any]],
    rule_texts: tuple[str, ...] = (),
) -> Iterator[dict[str, str | None]]:
    """Flat rows in, one summary record per row out (all values as text). ``rule_texts`` are
    extra rule packs as YAML text (texts, not paths: workers may not see the client's files)."""
    engine = _engine(set_text, source, tuple(rule_texts))
    groups = group_columns(engine.compiled)
    columns = summary_columns(groups)
    for index, row in enumerate(rows):
        unit = str(row.get(key) or f"row {index + 1}")
        origin = str(row.get("__origin__", ""))
        data = {k: v for k, v in row.items() if k != "__origin__"}
        try:
            result: Any = engine.evaluate(flat_actuals(data, key, engine.compiled.inputs))
        except DefinitionError as exc:
            result = UnitFailure(unit, origin, exc.report("zh"), exc.report("en"))
        record = summary_record(unit, origin, result, groups)
        yield {c: _text(record.get(c)) for c in columns}


def _partition(
    part: Iterable[dict[str, Any]],
    set_text: str,
    source: str,
    key: str,
    rule_texts: tuple[str, ...],
) -> list[Any]:
    return list(evaluate_records(set_text, source, key, part, rule_texts))


def dask_batch(
    set_text: str,
    rows: Any,
    key: str = "unit",
    source: str = "<set>",
    rule_texts: tuple[str, ...] = (),
) -> Any:
    """A Dask bag of flat row dicts → a bag of summary records (same partitions, same order)."""
    # An invalid set or pack fails here, on the client, with its locations.
    _engine(set_text, source, tuple(rule_texts))
    return rows.map_partitions(_partition, set_text, source, key, tuple(rule_texts))


def spark_batch(
    set_text: str,
    frame: Any,
    key: str = "unit",
    source: str = "<set>",
    rule_texts: tuple[str, ...] = (),
) -> Any:
    """A Spark DataFrame of flat rows → a DataFrame of summary records, via ``mapInArrow``."""
    from pyspark.sql.types import StringType, StructField, StructType  # noqa: PLC0415

    texts = tuple(rule_texts)
    compiled = _engine(set_text, source, texts).compiled
    check_columns(compiled, key, [c for c in frame.columns if c != "__origin__"], "<dataframe>")
    columns = columns_for(set_text, source)
    schema = StructType([StructField(c, StringType(), True) for c in columns])

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow  # noqa: PLC0415 - on the worker

        arrow_schema = pyarrow.schema([(c, pyarrow.string()) for c in columns])
        for batch in batches:
            rows = [
                {name.replace(_DOT, "."): value for name, value in row.items()}
                for row in batch.to_pylist()
            ]
            records = list(evaluate_records(set_text, source, key, rows, texts))
            yield pyarrow.RecordBatch.from_pylist(records, schema=arrow_schema)

    # Spark reads "a.b" as a nested field: carry per-indicator columns under a safe name.
    # The output keeps kpi batch's column names; quote them in Spark SQL (`output.score`).
    safe = frame.toDF(*[c.replace(".", _DOT) for c in frame.columns])
    return safe.mapInArrow(run, schema)
