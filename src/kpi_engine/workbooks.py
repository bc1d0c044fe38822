"""Excel workbooks (.xlsx): the only module that imports openpyxl.

Reading a filled score table (:mod:`~kpi_engine.importing`), reading and writing batch tables
(:mod:`~kpi_engine.batch`) and writing the score table
(:mod:`~kpi_engine.reports.score_table_xlsx`) all come through here, so mypy checks every use
against openpyxl's types. Needs the ``reports`` extra: without openpyxl, importing this module
raises :class:`~kpi_engine.errors.MissingExtraError` (an ``ImportError``) saying what to install.
Import it inside the function that needs it, so ``import kpi_engine`` never loads openpyxl.
"""

from __future__ import annotations

import io
from collections.abc import Generator, Sequence
from pathlib import Path

from kpi_engine.display import printable
from kpi_engine.errors import MissingExtraError

try:
    from openpyxl import Workbook, load_workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell, MergedCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
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
    "get_column_letter",
    "new_workbook",
    "read_data_sheet",
    "read_rows",
    "read_workbook",
    "text_cell",
    "workbook_bytes",
    "write_data_sheet",
]


def read_workbook(path: Path) -> Workbook:
    """The workbook at ``path``, cells holding their values as last computed (not formulas)."""
    return load_workbook(path, data_only=True)


def read_rows(path: Path) -> Generator[tuple[object, ...], None, None]:
    """The first sheet's rows as values, streamed; the file is closed when the rows end."""
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        yield from book.worksheets[0].iter_rows(values_only=True)
    finally:
        book.close()


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
