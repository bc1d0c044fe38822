"""Excel workbooks (.xlsx): the only module that imports openpyxl.

Reading a filled score table (:mod:`~kpi_engine.importing`), reading and writing batch tables
(:mod:`~kpi_engine.batch`) and writing the score table
(:mod:`~kpi_engine.reports.score_table_xlsx`) all come through here, so mypy checks every use
against openpyxl's types. Needs the ``reports`` extra: without openpyxl, importing this module
raises :class:`~kpi_engine.errors.MissingExtraError` (an ``ImportError``) saying what to install.
Import it inside the function that needs it, so ``import kpi_engine`` never loads openpyxl.
"""

from __future__ import annotations

import contextlib
import io
import re
import stat
import struct
import zipfile
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from kpi_engine.display import printable
from kpi_engine.errors import DefinitionError, MissingExtraError, did_you_mean
from kpi_engine.limits import Limits, current, measure, read_bytes
from kpi_engine.problems import Problems

try:
    from openpyxl import Workbook, load_workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell, MergedCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import column_index_from_string, get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException
    from openpyxl.worksheet.pagebreak import Break
    from openpyxl.worksheet.properties import PageSetupProperties
    from openpyxl.worksheet.worksheet import Worksheet
except ImportError:
    raise MissingExtraError("openpyxl") from None

__all__ = [
    "Alignment",
    "Border",
    "Cell",
    "Font",
    "MergedCell",
    "PageSetupProperties",
    "PatternFill",
    "RowWriter",
    "Side",
    "Workbook",
    "Worksheet",
    "add_row_break",
    "check_archive",
    "get_column_letter",
    "new_workbook",
    "not_a_workbook",
    "read_data_sheet",
    "read_rows",
    "read_workbook",
    "sheet_rows",
    "text_cell",
    "workbook_bytes",
    "write_data_sheet",
]


_ARCHIVE_PROBLEMS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    InvalidFileException,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    SyntaxError,  # ElementTree's and lxml's parse errors
    EOFError,
    NotImplementedError,  # a compression method zipfile does not know
)
"""What openpyxl and zipfile raise on a file that is not a readable workbook."""

_EOCD = struct.Struct("<4s4H2LH")
_MERGE = re.compile(
    rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Za-z]{1,3})(\d{1,9}):([A-Za-z]{1,3})(\d{1,9})\""
)


def _problem(path: Path, code: str, zh: str, en: str) -> DefinitionError:
    return Problems.in_file(str(path)).error(code, zh, en)


def not_a_workbook(path: Path, detail: object = "") -> DefinitionError:
    """The one message for an .xlsx that cannot be read at all (not a zip, damaged, .xls)."""
    said = f"：{detail}" if detail else ""
    return _problem(
        path,
        "xlsx.unreadable",
        f"不是可读取的 .xlsx 工作簿（不是 zip 压缩包或已损坏；.xls 请另存为 .xlsx）{said}",
        f"not a readable .xlsx workbook (not a zip archive, or damaged; save an .xls as "
        f".xlsx){': ' + str(detail) if detail else ''}",
    )


def _members(path: Path, source: BinaryIO, limits: Limits) -> None:
    """Refuse an archive whose directory lists more members than any workbook has, before
    zipfile builds an object for each (the count is in the end-of-directory record)."""
    source.seek(0, io.SEEK_END)
    size = source.tell()
    tail_start = max(0, size - (_EOCD.size + 65535))
    source.seek(tail_start)
    tail = source.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise not_a_workbook(path)
    count = _EOCD.unpack_from(tail, at)[4]
    if count > limits.max_xlsx_members:
        raise _problem(
            path,
            "xlsx.too-large",
            f"压缩包列出 {count} 个成员，超过上限 {limits.max_xlsx_members}"
            "（kpi_engine.limits.Limits.max_xlsx_members），未打开",
            f"the archive lists {count} members, more than {limits.max_xlsx_members} "
            "(kpi_engine.limits.Limits.max_xlsx_members); not opened",
        )
    source.seek(0)


def check_archive(path: Path, source: BinaryIO, limits: Limits) -> None:
    """Refuse a zip bomb before openpyxl opens it: the sizes the archive declares for its
    members (which bound what zipfile will ever unpack) must stay under
    ``Limits.max_xlsx_unpacked`` in total, and no large member may be compressed more than
    ``Limits.max_xlsx_ratio`` times. A file that is not a zip is one clean ``xlsx.unreadable``."""
    try:
        _members(path, source, limits)
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise not_a_workbook(path, exc) from None
    total = sum(info.file_size for info in infos)
    if total > limits.max_xlsx_unpacked:
        raise _problem(
            path,
            "xlsx.too-large",
            f"解压后共 {total} 字节，超过上限 {limits.max_xlsx_unpacked}"
            "（kpi_engine.limits.Limits.max_xlsx_unpacked；zip 炸弹？），未打开",
            f"the archive unpacks to {total} bytes, more than {limits.max_xlsx_unpacked} "
            "(kpi_engine.limits.Limits.max_xlsx_unpacked; a zip bomb?); not opened",
        )
    for info in infos:
        # Small members (styles, a sheet of a few rows) compress very well and harm no one.
        if info.file_size > 1024 * 1024:
            ratio = info.file_size // max(info.compress_size, 1)
            if ratio > limits.max_xlsx_ratio:
                raise _problem(
                    path,
                    "xlsx.too-large",
                    f"成员 {info.filename[:80]} 的压缩比为 {ratio}，超过上限 "
                    f"{limits.max_xlsx_ratio}（kpi_engine.limits.Limits.max_xlsx_ratio；"
                    "zip 炸弹？），未打开",
                    f"the member {info.filename[:80]!r} is compressed {ratio} times, more than "
                    f"{limits.max_xlsx_ratio} (kpi_engine.limits.Limits.max_xlsx_ratio; a zip "
                    "bomb?); not opened",
                )
    source.seek(0)


def _merged_cells(path: Path, source: BinaryIO, limits: Limits) -> None:
    """Refuse merged ranges that together cover more than ``Limits.max_merged_cells`` cells:
    openpyxl makes an object for every cell of a merged range (``A1:XFD1048576`` is 17 billion)."""
    covered = 0
    with zipfile.ZipFile(source) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with archive.open(name) as member:
                carry = b""
                while chunk := member.read(1 << 20):
                    text = carry + chunk
                    end = 0
                    for match in _MERGE.finditer(text):
                        first, top, last, bottom = match.groups()
                        width = column_index_from_string(last.decode().upper()) - (
                            column_index_from_string(first.decode().upper())
                        )
                        covered += (abs(width) + 1) * (abs(int(bottom) - int(top)) + 1)
                        end = match.end()
                    carry = text[max(end, len(text) - 512) :]
                    if covered > limits.max_merged_cells:
                        raise _problem(
                            path,
                            "xlsx.too-large",
                            f"合并单元格共覆盖超过 {limits.max_merged_cells} 个单元格"
                            "（kpi_engine.limits.Limits.max_merged_cells），未打开",
                            f"merged ranges cover more than {limits.max_merged_cells} cells "
                            "(kpi_engine.limits.Limits.max_merged_cells); not opened",
                        )
    source.seek(0)


@contextlib.contextmanager
def _opened(path: Path, limits: Limits) -> Iterator[BinaryIO]:
    """``path`` measured before it is read (a stream, which cannot be, is read with a byte cap
    into memory, since a zip is read from its end), then checked as an archive."""
    mode = measure(path, limits.max_batch_bytes, "max_batch_bytes")
    if stat.S_ISREG(mode):
        try:
            source: BinaryIO = path.open("rb")
        except OSError as exc:
            raise _problem(
                path,
                "file.unreadable",
                f"无法读取文件：{exc.strerror or exc}",
                f"cannot read the file: {exc.strerror or exc}",
            ) from None
    else:
        source = io.BytesIO(read_bytes(path, limits.max_batch_bytes, field="max_batch_bytes"))
    with source:
        check_archive(path, source, limits)
        yield source


def read_workbook(path: Path, *, limits: Limits | None = None) -> Workbook:
    """The workbook at ``path``, cells holding their values as last computed (not formulas);
    measured, checked for zip bombs and merged ranges before openpyxl opens it."""
    bounds = limits or current()
    with _opened(path, bounds) as source:
        _merged_cells(path, source, bounds)
        try:
            return load_workbook(source, data_only=True)
        except _ARCHIVE_PROBLEMS as exc:
            raise not_a_workbook(path, exc) from None


def sheet_rows(
    path: Path, sheet: str | None = None, *, limits: Limits | None = None
) -> tuple[str, list[str], Generator[tuple[object, ...], None, None]]:
    """The chosen sheet's name, the names of hidden sheets, and its rows as values, streamed.

    The sheet is ``sheet`` by name, else the active sheet when it is visible, else the first
    visible one. The header (first row) is read up to ``Limits.max_xlsx_columns`` columns and
    the rows after it as wide as the header, up to ``Limits.max_xlsx_rows`` + 1 rows (the caller
    says when a row lies past the bound); the file is closed when the rows end.
    """
    bounds = limits or current()
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(_opened(path, bounds))
        try:
            book = load_workbook(source, read_only=True, data_only=True)
        except _ARCHIVE_PROBLEMS as exc:
            raise not_a_workbook(path, exc) from None
        stack.callback(book.close)
        chosen = _choose(path, book, sheet)
        hidden = [ws.title for ws in book.worksheets if ws.sheet_state != "visible"]
        rows = _rows(path, chosen, stack.pop_all(), bounds)
    return chosen.title, hidden, rows


def _choose(path: Path, book: Workbook, sheet: str | None) -> Any:
    sheets = book.worksheets
    if sheet is not None:
        for ws in sheets:
            if ws.title == sheet:
                return ws
        zh, en = did_you_mean(sheet, [ws.title for ws in sheets])
        raise _problem(
            path,
            "xlsx.no-sheet",
            f"没有名为 '{sheet}' 的工作表{zh}（现有：{'、'.join(ws.title for ws in sheets)}）",
            f"no sheet named {sheet!r}{en} (sheets: {', '.join(ws.title for ws in sheets)})",
        )
    visible = [ws for ws in sheets if ws.sheet_state == "visible"]
    active = book.active
    if active in visible:
        return active
    if visible:
        return visible[0]
    raise _problem(
        path, "xlsx.no-sheet", "工作簿没有可见的工作表", "the workbook has no visible sheet"
    )


def _rows(
    path: Path, ws: Any, closing: contextlib.ExitStack, bounds: Limits
) -> Generator[tuple[object, ...], None, None]:
    with closing:
        try:
            header = next(
                ws.iter_rows(max_row=1, max_col=bounds.max_xlsx_columns, values_only=True), ()
            )
            width = max((i + 1 for i, v in enumerate(header) if v is not None), default=0)
            yield tuple(header[:width])
            if width:
                last = bounds.max_xlsx_rows + 1
                yield from ws.iter_rows(min_row=2, max_row=last, max_col=width, values_only=True)
        except _ARCHIVE_PROBLEMS as exc:
            raise not_a_workbook(path, exc) from None


def read_rows(
    path: Path, sheet: str | None = None, *, limits: Limits | None = None
) -> Generator[tuple[object, ...], None, None]:
    """The rows of ``sheet`` (default: the active visible sheet) as values, streamed and
    bounded as :func:`sheet_rows` says; the file is closed when the rows end."""
    return sheet_rows(path, sheet, limits=limits)[2]


def text_cell(sheet: Worksheet, text: str) -> Cell:
    """A string cell for a write-only sheet: ``=SUM(A1)`` stays text, never a formula element."""
    cell = WriteOnlyCell(sheet, value=printable(text))
    cell.data_type = "s"
    return cell


def new_workbook() -> tuple[Workbook, Worksheet]:
    """A new workbook and its one sheet."""
    book = Workbook()
    return book, book.worksheets[0]


def workbook_bytes(book: Workbook) -> bytes:
    """The workbook as .xlsx bytes."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class RowWriter:
    """Rows appended to a one-sheet workbook kept small in memory; written to ``path`` on close."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet()

    def append(self, values: Sequence[object]) -> None:
        """One row, values in column order: numbers stay numbers, and every text is a string
        cell (never a formula, whatever it begins with) with no character XML cannot hold."""
        self._sheet.append([text_cell(self._sheet, v) if isinstance(v, str) else v for v in values])

    def close(self) -> None:
        """Write the workbook to ``path``."""
        self._book.save(self.path)


# --- forms: page breaks and the hidden data sheet ---------------------------------------------

_CHUNK = 30_000  # a cell holds at most 32,767 characters


def add_row_break(sheet: Worksheet, row: int) -> None:
    """A manual page break after ``row``."""
    sheet.row_breaks.append(Break(id=row))


def write_data_sheet(book: Workbook, title: str, lines: Sequence[str]) -> None:
    """Lines of text in column A of a very hidden sheet (long lines continue in column B…)."""
    sheet = book.create_sheet(title)
    sheet.sheet_state = "veryHidden"
    for row, line in enumerate(lines, start=1):
        parts = [line[i : i + _CHUNK] for i in range(0, len(line), _CHUNK)] or [""]
        for col, part in enumerate(parts, start=1):
            cell = sheet.cell(row=row, column=col, value=printable(part))
            cell.data_type = "s"


def read_data_sheet(book: Workbook, title: str) -> list[str] | None:
    """The lines :func:`write_data_sheet` wrote, or None when the book has no such sheet."""
    if title not in book.sheetnames:
        return None
    lines = []
    for row in book[title].iter_rows(values_only=True):
        lines.append("".join(str(v) for v in row if v is not None))
    return lines
