"""Batch evaluation: many units (projects, departments) against one indicator set.

Rows stream in from CSV, JSON Lines or .xlsx and results stream out, so memory stays flat in the
number of units. Every input row gives exactly one output row: a unit whose data cannot even be
read as actuals becomes an error record, never a dropped row. ``jobs > 1`` spreads the work over a
process pool that rebuilds the engine from the set's YAML text in each worker; results keep the
input order.
"""

from __future__ import annotations

import codecs
import csv
import ctypes
import functools
import io
import json
import os
import signal
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from kpi_engine.compiler import CompiledSet
from kpi_engine.display import exact, figure, spreadsheet_text
from kpi_engine.engine import Engine
from kpi_engine.errors import DefinitionError, KpiEngineError, did_you_mean
from kpi_engine.functions import quantize_half_up
from kpi_engine.limits import Limits, current, measure, open_capped, using
from kpi_engine.loading import parse_indicator_set
from kpi_engine.problems import Problems
from kpi_engine.results import Evaluation
from kpi_engine.rulepacks import load_pack

__all__ = [
    "INDICATOR_FIELDS",
    "LONG_COLUMNS",
    "Notes",
    "Records",
    "UnitFailure",
    "UnitRow",
    "WorkerSetup",
    "check_columns",
    "csv_encoding",
    "evaluate_rows",
    "flat_actuals",
    "group_columns",
    "long_records",
    "read_rows",
    "summary_columns",
    "summary_record",
    "unit_records",
    "write_records",
]


def group_columns(compiled: CompiledSet) -> list[str]:
    """Ids whose scores the summary shows: top-level nodes first, then the other groups."""
    return list(dict.fromkeys([*compiled.top, *(g.id for g in compiled.groups)]))


INDICATOR_FIELDS = (
    "actual",
    "tier",
    "score",
    "met",
    "reported_score",
    "reason",
    "not_applicable",
    "not_in_source",
)
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
    problems = Problems.in_file(source)
    for col, name in enumerate(header, start=1):
        if name not in known:
            zh, en = did_you_mean(name, known)
            problems.add(
                "batch.unknown-column",
                f"未知的列 '{name}'{zh}（可用：单位列、输入项、<指标id>.actual 等）",
                f"unknown column {name!r}{en}",
                col=col,
            )
    if key not in header:
        problems.add(
            "batch.no-key",
            f"缺少单位列 '{key}'（用 --key 指定）",
            f"no unit key column {key!r} (choose one with --key)",
        )
    problems.raise_if_any()


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
            if field in ("not_applicable", "not_in_source"):
                cell = str(cell).strip().lower() in {"true", "1", "yes", "是", "不适用", "缺失"}
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


Notes = Callable[[str, str], None]
"""Where a reader says something the user should know (Chinese, English): hidden sheets."""


def read_rows(
    path: Path,
    compiled: CompiledSet,
    key: str = "unit",
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    limits: Limits | None = None,
    notes: Notes | None = None,
) -> Iterator[UnitRow]:
    """Stream rows from a CSV, JSON Lines or .xlsx file (or every such file in a folder).

    A CSV is read as ``encoding`` when given, else as UTF-8 (with or without a BOM) when it is
    valid UTF-8, else as GB18030 — what Excel and WPS save on Chinese Windows ("CSV (逗号分隔)").
    An .xlsx is read from ``sheet`` (by name), else its active visible sheet; ``notes`` hears
    when the workbook has hidden sheets.

    Every file is measured before it is read and read with a byte cap (``limits``, default those
    in force). A bad row — a line over ``Limits.max_line_bytes``, more fields than the header, a
    field over the csv module's limit, text not in the encoding, JSON nested too deep — becomes
    an error record for that row, so counts in equal counts out; a file that cannot be read at
    all (its header, a damaged workbook) raises one :class:`~kpi_engine.errors.DefinitionError`.
    """
    bounds = limits or current()
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.suffix.lower() in {".csv", ".jsonl", ".xlsx"}:
                yield from read_rows(
                    child, compiled, key, encoding=encoding, sheet=sheet, limits=bounds, notes=notes
                )
        return
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _read_csv(path, compiled, key, encoding, bounds)
    elif suffix == ".jsonl":
        yield from _read_jsonl(path, compiled, key, bounds)
    elif suffix == ".xlsx":
        yield from _read_xlsx(path, compiled, key, sheet, bounds, notes)
    else:
        raise Problems.in_file(str(path)).error(
            "batch.format",
            f"不支持的输入格式 '{suffix}'（可用 .csv、.jsonl、.xlsx）",
            f"unsupported input format {suffix!r} (use .csv, .jsonl or .xlsx)",
        )


def csv_encoding(path: Path, *, limits: Limits | None = None) -> str:
    """``utf-8-sig`` when the file is valid UTF-8 (a BOM is dropped), else ``gb18030``; the
    file is measured and read with a byte cap (``Limits.max_batch_bytes``)."""
    bound = (limits or current()).max_batch_bytes
    with open_capped(path, bound, field="max_batch_bytes") as handle:
        return _guess_encoding(handle, whole=True)


def _guess_encoding(handle: io.BufferedReader, *, whole: bool) -> str:
    """UTF-8 or GB18030, by the whole file (``whole``) or, for a stream that cannot be read
    twice, by what its buffer holds (a later byte that is not UTF-8 is that row's error)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        if whole:
            while chunk := handle.read(1 << 16):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        else:
            decoder.decode(handle.peek(1 << 16))
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


class _BadLineError(KpiEngineError):
    """One line that cannot be read; the reader carries on with the next."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en


class _Lines:
    """Decoded lines of a byte stream, each read with a cap (``Limits.max_line_bytes``): a
    longer line is skipped to its end and raised as :class:`_BadLineError`, as is a line not in
    ``encoding``; iteration goes on after either. ``number`` is the last line's number."""

    def __init__(self, handle: io.BufferedReader, encoding: str, limit: int) -> None:
        self.handle, self.encoding, self.limit = handle, encoding, limit
        self.number = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline(self.limit + 1)
        if not raw:
            raise StopIteration
        self.number += 1
        if len(raw) > self.limit and not raw.endswith(b"\n"):
            while (rest := self.handle.readline(_SKIP)) and not rest.endswith(b"\n"):
                pass
            raise _BadLineError(
                "batch.line-too-long",
                f"该行超过 {self.limit} 字节（kpi_engine.limits.Limits.max_line_bytes），未读取",
                f"the line is longer than {self.limit} bytes "
                "(kpi_engine.limits.Limits.max_line_bytes); not read",
            )
        try:
            return raw.decode(self.encoding if self.number == 1 else self._body)
        except UnicodeDecodeError as exc:
            raise _BadLineError(
                "batch.encoding",
                f"该行第 {exc.start + 1} 个字节起不是 {self.encoding} 编码（可用 --encoding 指定）",
                f"the line is not {self.encoding} from byte {exc.start + 1} on "
                "(name the encoding with --encoding)",
            ) from None

    @property
    def _body(self) -> str:
        return "utf-8" if self.encoding == "utf-8-sig" else self.encoding


_SKIP = 1 << 20


def _failed(key: str, origin: str, code: str, zh: str, en: str) -> UnitRow:
    """A row that could not be read: it still gets its record (counts in = counts out)."""
    return UnitRow(key, origin, {"__error__": f"{code}: {zh}", "__error_en__": f"{code}: {en}"})


def _ascii_compatible(encoding: str, path: Path) -> str:
    """``encoding``, checked to write commas, quotes and newlines as ASCII does (UTF-8, GB18030,
    GBK, Big5 …): lines are split and capped as bytes before they are decoded."""
    try:
        codecs.lookup(encoding)
        compatible = ',"\r\n'.encode(encoding).removeprefix(codecs.BOM_UTF8) == b',"\r\n'
    except (LookupError, UnicodeError):
        compatible = False
    if not compatible:
        raise Problems.in_file(str(path)).error(
            "batch.encoding",
            f"不支持的编码 '{encoding}'（可用 utf-8、gb18030、gbk 等与 ASCII 兼容的编码）",
            f"unsupported encoding {encoding!r} (use utf-8, gb18030, gbk or another encoding "
            "that writes ASCII as ASCII)",
        )
    return encoding


def _read_csv(
    path: Path, compiled: CompiledSet, key: str, encoding: str | None, bounds: Limits
) -> Iterator[UnitRow]:
    regular = stat.S_ISREG(measure(path, bounds.max_batch_bytes, "max_batch_bytes"))
    if encoding is None and regular:
        encoding = csv_encoding(path, limits=bounds)
    with open_capped(path, bounds.max_batch_bytes, field="max_batch_bytes") as handle:
        if encoding is None:
            encoding = _guess_encoding(handle, whole=False)
        lines = _Lines(handle, _ascii_compatible(encoding, path), bounds.max_line_bytes)
        reader = csv.reader(lines)
        header = _csv_header(reader, lines, path, bounds)
        check_columns(compiled, key, header, str(path))
        at = header.index(key)
        while True:
            start = lines.number + 1
            origin = f"{path}:{start}"
            try:
                values = next(reader)
            except StopIteration:
                return
            except _BadLineError as exc:
                yield _failed(f"row {start}", origin, exc.code, exc.zh, exc.en)
                continue
            except csv.Error as exc:
                yield _failed(
                    f"row {start}",
                    origin,
                    "batch.csv",
                    f"CSV 格式错误：{exc}（单个字段上限 {csv.field_size_limit()} 个字符）",
                    f"bad CSV: {exc} (a field may hold {csv.field_size_limit()} characters)",
                )
                continue
            if not values:
                continue  # a blank line, as csv.DictReader skips it
            unit = (values[at] if at < len(values) else "") or f"row {start}"
            extra = values[len(header) :]
            if any(v.strip() for v in extra):
                yield _failed(
                    unit,
                    origin,
                    "batch.too-many-fields",
                    f"该行有 {len(values)} 个字段，表头只有 {len(header)} 个",
                    f"the row has {len(values)} fields; the header has {len(header)}",
                )
                continue
            row = dict(zip(header, values, strict=False))
            yield UnitRow(unit, origin, flat_actuals(row, key, compiled.inputs))


def _csv_header(
    reader: Iterator[list[str]], lines: _Lines, path: Path, bounds: Limits
) -> list[str]:
    """The header row; a header that cannot be read stops the whole file (one clean message)."""
    problems = Problems.in_file(str(path))
    try:
        header = next(reader, [])
    except _BadLineError as exc:
        raise problems.error(exc.code, exc.zh, exc.en) from None
    except csv.Error as exc:
        raise problems.error(
            "batch.csv", f"表头 CSV 格式错误：{exc}", f"bad CSV header: {exc}"
        ) from None
    if len(header) > bounds.max_fields:
        raise problems.error(
            "batch.too-many-fields",
            f"表头有 {len(header)} 列，超过上限 {bounds.max_fields}"
            "（kpi_engine.limits.Limits.max_fields）",
            f"the header has {len(header)} columns, more than {bounds.max_fields} "
            "(kpi_engine.limits.Limits.max_fields)",
        )
    while header and not header[-1].strip():
        header.pop()  # Excel writes empty columns after the last one that holds anything
    return header


def _read_jsonl(path: Path, compiled: CompiledSet, key: str, bounds: Limits) -> Iterator[UnitRow]:
    with open_capped(path, bounds.max_batch_bytes, field="max_batch_bytes") as handle:
        lines = _Lines(handle, "utf-8-sig", bounds.max_line_bytes)
        while True:
            line = lines.number + 1
            origin = f"{path}:{line}"
            try:
                text = next(lines)
            except StopIteration:
                return
            except _BadLineError as exc:
                yield _failed(f"line {line}", origin, exc.code, exc.zh, exc.en)
                continue
            if text.strip():
                yield _json_row(text, line, origin, compiled, key)


def _json_row(text: str, line: int, origin: str, compiled: CompiledSet, key: str) -> UnitRow:
    try:
        record = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except json.JSONDecodeError as exc:
        return UnitRow(f"line {line}", origin, {"__error__": f"JSON: {exc.msg}"})
    except RecursionError:
        return _failed(
            f"line {line}",
            origin,
            "batch.too-deep",
            "JSON 嵌套过深，未读取",
            "the JSON is nested too deeply; not read",
        )
    if not isinstance(record, dict):
        return UnitRow(f"line {line}", origin, {"__error__": "not a JSON object"})
    unit = str(record.get(key, f"line {line}"))[:200]
    if "inputs" in record or "indicators" in record:
        return UnitRow(unit, origin, {k: v for k, v in record.items() if k != key})
    try:
        check_columns(compiled, key, [k for k in record if k != key] + [key], origin)
    except DefinitionError as exc:  # this line's own keys: its record, not the whole file
        return UnitRow(
            unit, origin, {"__error__": exc.report("zh"), "__error_en__": exc.report("en")}
        )
    return UnitRow(unit, origin, flat_actuals(record, key, compiled.inputs))


def _read_xlsx(
    path: Path,
    compiled: CompiledSet,
    key: str,
    sheet: str | None,
    bounds: Limits,
    notes: Notes | None,
) -> Iterator[UnitRow]:
    from kpi_engine.workbooks import sheet_rows  # noqa: PLC0415 - an optional library

    name, hidden, rows = sheet_rows(path, sheet, limits=bounds)
    try:
        if hidden and notes is not None:
            names = "、".join(hidden)
            notes(
                f"{path}：读取工作表“{name}”；另有隐藏的工作表 {names}"
                "（未读取，可用 --sheet 指定）",
                f"{path}: read the sheet {name!r}; hidden sheets not read: "
                f"{', '.join(hidden)} (choose one with --sheet)",
            )
        header = [str(h) if h is not None else "" for h in next(rows, ())]
        check_columns(compiled, key, header, str(path))
        for line, values in enumerate(rows, start=2):
            origin = f"{path}:{line}"
            if line > bounds.max_xlsx_rows:  # the sheet reaches past the bound: say so, once
                yield _failed(
                    f"row {line}",
                    origin,
                    "batch.too-many-rows",
                    f"工作表超过 {bounds.max_xlsx_rows} 行"
                    f"（kpi_engine.limits.Limits.max_xlsx_rows），第 {line} 行起未读取",
                    f"the sheet has more than {bounds.max_xlsx_rows} rows "
                    f"(kpi_engine.limits.Limits.max_xlsx_rows); rows from {line} on were not read",
                )
                break
            if all(v is None for v in values):
                continue
            row = dict(zip(header, values, strict=False))
            yield UnitRow(
                str(row.get(key) or f"row {line}"), origin, flat_actuals(row, key, compiled.inputs)
            )
    finally:
        rows.close()


# --- evaluating ---------------------------------------------------------------------------------


def _one(engine: Engine, row: UnitRow) -> Evaluation | UnitFailure:
    if "__error__" in row.actuals:
        message = str(row.actuals["__error__"])
        message_en = str(row.actuals.get("__error_en__", message))
        return UnitFailure(row.key, row.origin, f"无法读取：{message}", f"unreadable: {message_en}")
    try:
        return engine.evaluate(row.actuals)
    except DefinitionError as exc:
        return UnitFailure(row.key, row.origin, exc.report("zh"), exc.report("en"))


@dataclass(frozen=True, slots=True)
class WorkerSetup:
    """How a worker process rebuilds the engine: the set's YAML text, where it came from (rule
    packs named by relative path are found beside it) and any extra rule-pack files."""

    set_text: str
    source: str = "<set>"
    rule_files: tuple[str, ...] = ()
    base: str | None = None
    """The set's folder, where the rule-pack files it names are read (None: it names none)."""
    limits: Limits | None = None
    """The limits the workers read and evaluate under (None: the defaults)."""

    def engine(self) -> Engine:
        """The engine, built from text (engines hold compiled closures, which do not pickle)."""
        with using(self.limits):
            packs = tuple(load_pack(path) for path in self.rule_files)
            indicator_set = parse_indicator_set(self.set_text, self.source, base=self.base)
            return Engine(indicator_set, packs)


_T = TypeVar("_T")
_WORKER: tuple[Engine, Callable[[Engine, UnitRow], Any], Limits | None] | None = None


def _die_with_parent() -> None:
    """Ask Linux to end this worker when its parent dies (``kill -9`` of ``kpi batch`` would
    otherwise leave workers running); elsewhere the pool's own shutdown is all there is."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return
    if os.getppid() == 1:  # pragma: no cover - the parent died before the call took effect
        os._exit(1)


def _start_worker(setup: WorkerSetup, task: Callable[[Engine, UnitRow], Any]) -> None:
    global _WORKER  # noqa: PLW0603 - one engine per worker process, built once
    _die_with_parent()
    _WORKER = (setup.engine(), task, setup.limits)


def _work(rows: list[UnitRow]) -> list[Any]:
    assert _WORKER is not None
    engine, task, limits = _WORKER
    with using(limits):
        return [task(engine, row) for row in rows]


def _in_order(
    engine: Engine,
    rows: Iterable[UnitRow],
    task: Callable[[Engine, UnitRow], _T],
    jobs: int,
    setup: WorkerSetup | None,
    chunk: int,
) -> Iterator[_T]:
    """``task`` over the rows, in input order: here (under ``setup.limits`` when given), or in a
    pool of ``jobs`` processes."""
    if jobs <= 1:
        limits = None if setup is None else setup.limits
        for row in rows:
            with using(limits):  # not across the yield: the caller's code runs there
                result = task(engine, row)
            yield result
        return
    if setup is None:
        raise ValueError("a WorkerSetup is needed to rebuild the engine in worker processes")
    rebuilt = [pack.id for pack in setup.engine().rule_packs]
    if rebuilt != [pack.id for pack in engine.rule_packs]:
        raise ValueError(
            f"workers would apply rule packs {rebuilt}, not {[p.id for p in engine.rule_packs]}: "
            "give extra packs as rule_files"
        )
    with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(setup, task)) as pool:
        pending: list[Future[list[_T]]] = []
        batch: list[UnitRow] = []

        def drain(limit: int) -> Iterator[_T]:
            while len(pending) > limit:
                yield from pending.pop(0).result()

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


def _keyed(engine: Engine, row: UnitRow) -> tuple[tuple[str, str], Evaluation | UnitFailure]:
    return (row.key, row.origin), _one(engine, row)


def evaluate_rows(
    engine: Engine,
    rows: Iterable[UnitRow],
    *,
    jobs: int = 1,
    setup: WorkerSetup | None = None,
    chunk: int = 200,
) -> Iterator[tuple[tuple[str, str], Evaluation | UnitFailure]]:
    """((key, origin), evaluation or failure) per row, in input order; with ``jobs > 1`` in a
    process pool whose workers rebuild the engine from ``setup``.

    Whole evaluations cross back from the workers, texts and all; when only records are wanted,
    :func:`unit_records` builds them in the workers and is much cheaper.
    """
    return _in_order(engine, rows, _keyed, jobs, setup, chunk)


Records = tuple[dict[str, Any], list[dict[str, Any]]]
"""A unit's summary record and its long-format records (empty unless asked for)."""


def _records(groups: Sequence[str], long: bool, engine: Engine, row: UnitRow) -> Records:
    result = _one(engine, row)
    summary = summary_record(row.key, row.origin, result, groups)
    return summary, list(long_records(row.key, result)) if long else []


def unit_records(
    engine: Engine,
    rows: Iterable[UnitRow],
    groups: Sequence[str],
    *,
    long: bool = False,
    jobs: int = 1,
    setup: WorkerSetup | None = None,
    chunk: int = 200,
) -> Iterator[Records]:
    """The output records of each row, in input order (what ``kpi batch`` writes); with
    ``jobs > 1`` built inside the worker processes, so only plain records cross back."""
    task = functools.partial(_records, tuple(groups), long)
    return _in_order(engine, rows, task, jobs, setup, chunk)


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
        "total_high": result.total_high_rounded,
        "grade": result.grade.label if result.grade else None,
        "grade_range": "–".join(g.label for g in result.grade_range)
        if result.grade_range
        else None,
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


def _shown(key: str, value: Any, places: int | None) -> Any:
    """A CSV cell as people read it in a spreadsheet: computed fractions to the set's places (a
    share such as ``coverage`` to two more, so that it reads as a percentage to ``places``)."""
    if isinstance(value, str):
        return spreadsheet_text(value)  # never a formula in Excel or WPS (CSV injection)
    if not isinstance(value, Decimal):
        return value
    places = None if places is None else places + 2 if key == "coverage" else places
    exponent = value.as_tuple().exponent
    if places is None or not isinstance(exponent, int) or -exponent <= places:
        return exact(value)  # scores already 四舍五入 to places keep their zeros: 20.00
    return figure(value, places)


class _Writer:
    """Streams records to .csv, .jsonl or .xlsx (chosen by the file name).

    .jsonl is for programs and keeps every digit; .csv is opened by people in Excel or WPS (it
    is written with a BOM for them), so with ``places`` its long computed fractions are rounded
    as the score table rounds them; .xlsx cells hold the numbers themselves."""

    def __init__(self, path: Path, columns: Sequence[str], places: int | None = None) -> None:
        self.path, self.columns, self.places = path, list(columns), places
        self.suffix = path.suffix.lower()
        self.count = 0
        self._close: Callable[[], None]
        if self.suffix == ".csv":
            handle = path.open("w", encoding="utf-8-sig", newline="")
            self._csv = csv.DictWriter(handle, self.columns, extrasaction="ignore")
            self._csv.writerow({c: spreadsheet_text(c) for c in self.columns})
            self._close = handle.close
        elif self.suffix == ".jsonl":
            self._handle = path.open("w", encoding="utf-8")
            self._close = self._handle.close
        elif self.suffix == ".xlsx":
            from kpi_engine.workbooks import RowWriter  # noqa: PLC0415 - an optional library

            self._sheet = RowWriter(path)
            self._sheet.append(self.columns)
            self._close = self._sheet.close
        else:
            raise Problems.in_file(str(path)).error(
                "batch.format",
                f"不支持的输出格式 '{self.suffix}'（可用 .csv、.jsonl、.xlsx）",
                f"unsupported output format {self.suffix!r}",
            )

    def write(self, record: Mapping[str, Any]) -> None:
        self.count += 1
        if self.suffix == ".csv":
            self._csv.writerow({k: _shown(k, v, self.places) for k, v in record.items()})
        elif self.suffix == ".jsonl":
            data = {k: exact(v) if isinstance(v, Decimal) else v for k, v in record.items()}
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
        "total_high",
        "grade",
        "grade_range",
        "coverage",
        *[f"{g}.score" for g in groups],
        "flags.error",
        "flags.warning",
        "flags.info",
        "error",
    ]


LONG_COLUMNS = ["unit", "indicator", "status", "value", "score", "problem"]


def write_records(path: Path, columns: Sequence[str], places: int | None = None) -> _Writer:
    """A streaming writer for ``path`` (.csv, .jsonl or .xlsx); ``places`` (the set's) rounds
    long computed fractions in .csv, which people read, as the score table does."""
    return _Writer(path, columns, places)
