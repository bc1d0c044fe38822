"""A filled sheet read cell by cell: figures as auditors type them, merged ranges followed, every
cell that was read remembered so that none is dropped silently. Shared by both importers
(:mod:`kpi_engine.importing` for anyone's tables, :mod:`kpi_engine.importing_own` for ours)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from kpi_engine.errors import Issue, SourceLocation
from kpi_engine.figures import parse_number_text
from kpi_engine.limits import number_too_long
from kpi_engine.models import Tier
from kpi_engine.workbooks import Cell, Worksheet, get_column_letter

__all__ = ["TIER_KEYS", "Sheet", "cell_figure", "text_of"]

TIER_KEYS = {
    "达成": "achieved",
    "完成": "achieved",
    "部分达成": "partly",
    "部分完成": "partly",
    "未达成": "not_achieved",
    "未完成": "not_achieved",
} | {t.value: t.value for t in Tier}
"""Tier words as tables write them, to the tier they mean."""
_NUMBER = re.compile(r"^\s*([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*([^\d\s].*)?$")


def text_of(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def _is_percent_format(number_format: str) -> bool:
    """``0%`` or ``0.00%``: the cell holds a share (0.98) shown as a percentage."""
    return "%" in re.sub(r'"[^"]*"', "", number_format or "")


def _unit_of(number_format: str) -> str | None:
    """Our writer (and many tables) put the unit in the number format: General" 人"."""
    match = re.search(r'"\s*([^"]+?)\s*"$', number_format or "")
    return match.group(1) if match else None


def cell_figure(value: Any, number_format: str = "General") -> tuple[Decimal, str | None] | None:
    """A figure as auditors type it: ``43.2万元`` → (43.2, 万元), ``9分`` → (9, 分), a cell of 0.98
    formatted ``0%`` → (98, %); None when the cell holds no single figure.

    >>> cell_figure("43.2万元"), cell_figure(0.98, "0%"), cell_figure("1,234.5")
    ((Decimal('43.2'), '万元'), (Decimal('98'), '%'), (Decimal('1234.5'), None))
    >>> cell_figure(" 9 分 "), cell_figure(0.9505, "0.00%")
    ((Decimal('9'), '分'), (Decimal('95.05'), '%'))
    >>> cell_figure("≥266米") is None, cell_figure(True) is None, cell_figure(1e400) is None
    (True, True, True)
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite() or number_too_long(number):
            return None
        if _is_percent_format(number_format):
            return _without_zeros(number * 100), "%"
        return number, _unit_of(number_format)
    match = _NUMBER.match(str(value))
    if match is None:
        return None
    parsed = parse_number_text(match.group(1))
    if parsed is None or number_too_long(parsed):
        return None
    return parsed, (match.group(2) or "").strip() or None


def _without_zeros(number: Decimal) -> Decimal:
    """95.0500 → 95.05 and 98.00 → 98: a percentage states the precision it was typed with."""
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    text = format(number, "f").rstrip("0")
    return Decimal(text)


class Sheet:
    """A sheet read through its merged ranges, remembering which cells were understood."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.title = ws.title
        self.anchor: dict[tuple[int, int], tuple[int, int]] = {}
        for rng in ws.merged_cells.ranges:
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    self.anchor[(r, c)] = (rng.min_row, rng.min_col)
        self.used: set[tuple[int, int]] = set()
        self.problems: list[Issue] = []

    def at(self, row: int, col: int) -> tuple[int, int]:
        return self.anchor.get((row, col), (row, col))

    def raw(self, row: int, col: int) -> Any:
        r, c = self.at(row, col)
        self.used.add((r, c))
        return self.ws.cell(row=r, column=c).value

    def text(self, row: int, col: int) -> str:
        return text_of(self.raw(row, col))

    def peek(self, row: int, col: int) -> str:
        r, c = self.at(row, col)
        return text_of(self.ws.cell(row=r, column=c).value)

    def figure(self, row: int, col: int) -> tuple[Decimal, str | None] | None:
        r, c = self.at(row, col)
        cell = self.ws.cell(row=r, column=c)
        self.used.add((r, c))
        return cell_figure(cell.value, cell.number_format if isinstance(cell, Cell) else "")

    def name(self, row: int, col: int) -> str:
        r, c = self.at(row, col)
        return f"{self.title}!{get_column_letter(c)}{r}"

    def where(self, row: int, col: int) -> SourceLocation:
        r, c = self.at(row, col)
        return SourceLocation(self.name(r, c), r, c)

    def problem(self, row: int, col: int, code: str, zh: str, en: str) -> None:
        """``sheet!cell: what was there: why``."""
        shown = self.peek(row, col) or "（空）"
        self.used.add(self.at(row, col))
        self.problems.append(
            Issue(
                code,
                f"{self.name(row, col)}: {shown}: {zh}",
                f"{self.name(row, col)}: {shown}: {en}",
                self.where(row, col),
            )
        )

    def row_texts(self, row: int) -> dict[int, str]:
        out = {}
        for c in range(1, self.ws.max_column + 1):
            if self.at(row, c) == (row, c) and self.peek(row, c):
                out[c] = self.peek(row, c)
        return out

    def leftovers(self, rows: range) -> None:
        """Every written cell nobody read, as a problem: nothing is dropped silently."""
        for r in rows:
            for c in range(1, self.ws.max_column + 1):
                if self.at(r, c) == (r, c) and (r, c) not in self.used and self.peek(r, c):
                    self.problem(
                        r, c, "import.cell", "不属于能识别的表格部分", "not part of the form"
                    )
