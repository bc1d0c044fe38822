"""Batch evaluation: many units (projects, departments) against one indicator set.

Rows stream in from CSV, JSON Lines or .xlsx and results stream out, so memory stays flat in the
number of units. Every input row gives exactly one output row: a unit whose data cannot even be
read as actuals becomes an error record, never a dropped row. ``jobs > 1`` spreads the work over a
process pool that rebuilds the engine from the set's YAML text in each worker; results keep the
input order.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from kpi_engine.compiler import CompiledSet
from kpi_engine.engine import Engine
from kpi_engine.errors import DefinitionError, Issue, SourceLocation, did_you_mean
from kpi_engine.functions import quantize_half_up
from kpi_engine.loading import parse_indicator_set
from kpi_engine.results import Evaluation

__all__ = [
    "INDICATOR_FIELDS",
    "LONG_COLUMNS",
    "UnitFailure",
    "UnitRow",
    "check_columns",
    "evaluate_rows",
    "flat_actuals",
    "group_columns",
    "long_records",
    "read_rows",
    "summary_columns",
    "summary_record",
    "write_records",
]


def group_columns(compiled: CompiledSet) -> list[str]:
    """Ids whose scores the summary shows: top-level nodes first, then the other groups."""
    return list(dict.fromkeys([*compiled.top, *(g.id for g in compiled.groups)]))


INDICATOR_FIELDS = ("actual", "tier", "score", "reported_score", "reason", "not_applicable")
"""Per-indicator columns are written ``<indicator id>.<field>``."""


@dataclass(frozen=True, slots=True)
class UnitRow:
    """One unit's raw row: its key, where it came from, and the actuals mapping built from it."""

    key: str
    origin: str
    actuals: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class UnitFailure:
    """A unit that could not be evaluated (bad structure in its row); it still gets a record."""

    key: str
    origin: str
    message: str
    message_en: str


# --- reading ----------------------------------------------------------------------------------


def check_columns(compiled: CompiledSet, key: str, header: Sequence[str], source: str) -> None:
    """Refuse unknown columns up front (with did-you-mean), for the whole file."""
    leaves = {leaf.id for leaf in compiled.leaves}
    known = {key, *compiled.inputs} | {f"{i}.{f}" for i in leaves for f in INDICATOR_FIELDS}
    issues = []
    for col, name in enumerate(header, start=1):
        if name not in known:
            zh, en = did_you_mean(name, known)
            issues.append(
                Issue(
                    "batch.unknown-column",
                    f"未知的列 '{name}'{zh}（可用：单位列、输入项、<指标id>.actual 等）",
                    f"unknown column {name!r}{en}",
                    SourceLocation(source, 1, col),
                )
            )
    if key not in header:
        issues.append(
            Issue(
                "batch.no-key",
                f"缺少单位列 '{key}'（用 --key 指定）",
                f"no unit key column {key!r} (choose one with --key)",
                SourceLocation(source, 1, 1),
            )
        )
    if issues:
        raise DefinitionError(issues)


def flat_actuals(row: Mapping[str, Any], key: str, inputs: Iterable[str]) -> dict[str, Any]:
    """Actuals from a flat row: input columns, and ``<indicator id>.<field>`` columns."""
    actuals: dict[str, Any] = {"inputs": {}, "indicators": {}}
    for name in inputs:
        if name in row:
            actuals["inputs"][name] = _cell(row[name])
    for column, value in row.items():
        if "." in column and column != key:
            indicator, field = column.rsplit(".", 1)
            cell = _cell(value)
            if cell is None:
                continue
            if field == "not_applicable":
                cell = str(cell).strip().lower() in {"true", "1", "yes", "是", "不适用"}
            actuals["indicators"].setdefault(indicator, {})[field] = cell
    return actuals


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, float):
        return Decimal(repr(value))  # spreadsheet floats by their shortest text, never binary
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


def read_rows(path: Path, compiled: CompiledSet, key: str = "unit") -> Iterator[UnitRow]:
    """Stream rows from a CSV, JSON Lines or .xlsx file (or every such file in a folder)."""
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.suffix.lower() in {".csv", ".jsonl", ".xlsx"}:
                yield from read_rows(child, compiled, key)
        return
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _read_csv(path, compiled, key)
    elif suffix == ".jsonl":
        yield from _read_jsonl(path, compiled, key)
    elif suffix == ".xlsx":
        yield from _read_xlsx(path, compiled, key)
    else:
        raise DefinitionError(
            [
                Issue(
                    "batch.format",
                    f"不支持的输入格式 '{suffix}'（可用 .csv、.jsonl、.xlsx）",
                    f"unsupported input format {suffix!r} (use .csv, .jsonl or .xlsx)",
                    SourceLocation(str(path), 1, 1),
                )
            ]
        )


def _read_csv(path: Path, compiled: CompiledSet, key: str) -> Iterator[UnitRow]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        check_columns(compiled, key, reader.fieldnames or [], str(path))
        for line, row in enumerate(reader, start=2):
            yield UnitRow(
                str(row.get(key) or f"row {line}"),
                f"{path}:{line}",
                flat_actuals(row, key, compiled.inputs),
            )


def _read_jsonl(path: Path, compiled: CompiledSet, key: str) -> Iterator[UnitRow]:
    with path.open(encoding="utf-8-sig") as handle:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            origin = f"{path}:{line}"
            try:
                record = json.loads(text, parse_float=Decimal, parse_int=Decimal)
            except json.JSONDecodeError as exc:
                yield UnitRow(f"line {line}", origin, {"__error__": f"JSON: {exc.msg}"})
                continue
            if not isinstance(record, dict):
                yield UnitRow(f"line {line}", origin, {"__error__": "not a JSON object"})
                continue
            unit = str(record.get(key, f"line {line}"))
            if "inputs" in record or "indicators" in record:
                actuals = {k: v for k, v in record.items() if k != key}
            else:
                check_columns(compiled, key, [k for k in record if k != key] + [key], origin)
                actuals = flat_actuals(record, key, compiled.inputs)
            yield UnitRow(unit, origin, actuals)


def _read_xlsx(path: Path, compiled: CompiledSet, key: str) -> Iterator[UnitRow]:
    from kpi_engine.reports.extras import require  # noqa: PLC0415 - optional dependency

    openpyxl = require("openpyxl")
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(h) if h is not None else "" for h in next(rows, ())]
        check_columns(compiled, key, header, str(path))
        for line, values in enumerate(rows, start=2):
            row = dict(zip(header, values, strict=False))
            if all(v is None for v in values):
                continue
            yield UnitRow(
                str(row.get(key) or f"row {line}"),
                f"{path}:{line}",
                flat_actuals(row, key, compiled.inputs),
            )
    finally:
        workbook.close()


# --- evaluating ---------------------------------------------------------------------------------


def _one(engine: Engine, row: UnitRow) -> Evaluation | UnitFailure:
    if "__error__" in row.actuals:
        message = str(row.actuals["__error__"])
        return UnitFailure(row.key, row.origin, f"无法读取：{message}", f"unreadable: {message}")
    try:
        return engine.evaluate(row.actuals)
    except DefinitionError as exc:
        return UnitFailure(row.key, row.origin, exc.report("zh"), exc.report("en"))


_WORKER: Engine | None = None


def _start_worker(set_text: str, source: str) -> None:
    global _WORKER  # noqa: PLW0603 - one engine per worker process, built once
    _WORKER = Engine(parse_indicator_set(set_text, source))


def _work(rows: list[UnitRow]) -> list[tuple[str, str, Evaluation | UnitFailure]]:
    assert _WORKER is not None
    return [(row.key, row.origin, _one(_WORKER, row)) for row in rows]


def evaluate_rows(
    engine: Engine,
    rows: Iterable[UnitRow],
    *,
    jobs: int = 1,
    set_text: str | None = None,
    source: str = "<set>",
    chunk: int = 200,
) -> Iterator[tuple[UnitRow | tuple[str, str], Evaluation | UnitFailure]]:
    """Evaluate rows in input order; with ``jobs > 1`` a process pool (``set_text`` required)."""
    if jobs <= 1:
        for row in rows:
            yield row, _one(engine, row)
        return
    if set_text is None:
        raise ValueError("set_text is needed to rebuild the engine in worker processes")
    with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(set_text, source)) as pool:
        pending: list[Future[list[tuple[str, str, Evaluation | UnitFailure]]]] = []
        batch: list[UnitRow] = []

        def drain(limit: int) -> Iterator[tuple[tuple[str, str], Evaluation | UnitFailure]]:
            while len(pending) > limit:
                for key, origin, result in pending.pop(0).result():
                    yield (key, origin), result

        for row in rows:
            batch.append(row)
            if len(batch) == chunk:
                pending.append(pool.submit(_work, batch))
                batch = []
                # A bounded window keeps memory flat however many rows stream in.
                yield from drain(jobs * 2)
        if batch:
            pending.append(pool.submit(_work, batch))
        yield from drain(0)


# --- writing --------------------------------------------------------------------------------------


def summary_record(
    key: str, origin: str, result: Evaluation | UnitFailure, groups: Sequence[str]
) -> dict[str, Any]:
    """One output row per unit: total, grade, coverage, group scores, flag counts."""
    if isinstance(result, UnitFailure):
        return {"unit": key, "origin": origin, "status": "error", "error": result.message}
    places = result.places
    record: dict[str, Any] = {
        "unit": key,
        "origin": origin,
        "status": "ok",
        "total": None if result.total is None else quantize_half_up(result.total, places),
        "grade": result.grade.label if result.grade else None,
        "coverage": result.coverage,
    }
    scores = {g.id: g.score for g in result.groups}
    leaves = {r.id: r.score for r in result.indicators}
    for group in groups:
        value = scores.get(group, leaves.get(group))
        record[f"{group}.score"] = None if value is None else quantize_half_up(value, places)
    for severity in ("error", "warning", "info"):
        record[f"flags.{severity}"] = sum(1 for f in result.flags if f.severity == severity)
    record["error"] = None
    return record


def long_records(key: str, result: Evaluation | UnitFailure) -> Iterator[dict[str, Any]]:
    """One row per unit × indicator (none for a unit that failed)."""
    if isinstance(result, UnitFailure):
        return
    for r in result.indicators:
        yield {
            "unit": key,
            "indicator": r.id,
            "status": r.status.value,
            "value": r.value,
            "score": None if r.score is None else quantize_half_up(r.score, result.places),
            "problem": r.problem_code,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


class _Writer:
    """Streams records to .csv, .jsonl or .xlsx (chosen by the file name)."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path, self.columns = path, list(columns)
        self.suffix = path.suffix.lower()
        self.count = 0
        self._close: Callable[[], None]
        if self.suffix == ".csv":
            handle = path.open("w", encoding="utf-8-sig", newline="")
            self._csv = csv.DictWriter(handle, self.columns, extrasaction="ignore")
            self._csv.writeheader()
            self._close = handle.close
        elif self.suffix == ".jsonl":
            self._handle = path.open("w", encoding="utf-8")
            self._close = self._handle.close
        elif self.suffix == ".xlsx":
            from kpi_engine.reports.extras import require  # noqa: PLC0415

            openpyxl = require("openpyxl")
            self._book = openpyxl.Workbook(write_only=True)
            self._sheet = self._book.create_sheet()
            self._sheet.append(self.columns)
            self._close = lambda: self._book.save(path)
        else:
            raise DefinitionError(
                [
                    Issue(
                        "batch.format",
                        f"不支持的输出格式 '{self.suffix}'（可用 .csv、.jsonl、.xlsx）",
                        f"unsupported output format {self.suffix!r}",
                        SourceLocation(str(path), 1, 1),
                    )
                ]
            )

    def write(self, record: Mapping[str, Any]) -> None:
        self.count += 1
        if self.suffix == ".csv":
            self._csv.writerow({k: _plain(v) for k, v in record.items()})
        elif self.suffix == ".jsonl":
            data = {k: _plain(v) for k, v in record.items()}
            self._handle.write(json.dumps(data, ensure_ascii=False) + "\n")
        else:
            self._sheet.append([record.get(c) for c in self.columns])

    def close(self) -> None:
        self._close()


def summary_columns(groups: Sequence[str]) -> list[str]:
    """Columns of the one-row-per-unit output."""
    return [
        "unit",
        "origin",
        "status",
        "total",
        "grade",
        "coverage",
        *[f"{g}.score" for g in groups],
        "flags.error",
        "flags.warning",
        "flags.info",
        "error",
    ]


LONG_COLUMNS = ["unit", "indicator", "status", "value", "score", "problem"]


def write_records(path: Path, columns: Sequence[str]) -> _Writer:
    """A streaming writer for ``path`` (.csv, .jsonl or .xlsx)."""
    return _Writer(path, columns)
