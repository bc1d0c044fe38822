"""Figures as people write them in tables: "1,234.5", "98%", "—", "无".

A supplied figure is a number, missing data (blank-like text is never zero), or a problem the
indicator that reads it reports.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = ["BLANKS", "FIGURE_PROBLEMS", "parse_number_text", "read_figure"]

_NUMBER_TEXT = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
BLANKS = frozenset({"", "—", "——", "–", "-", "－", "/", "无", "暂无", "N/A", "n/a", "NA", "null"})
"""Texts that mean "no figure" in spreadsheets: read as missing, never as zero."""
_NON_FINITE = frozenset({"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})
FIGURE_PROBLEMS = {
    "not-numeric": ("不是数字", "not a number"),
    "not-finite": ("不是有限数（NaN 或无穷大）", "not a finite number (NaN or infinity)"),
}
"""What a problem of :func:`read_figure` says, in Chinese and English."""


def parse_number_text(text: str, unit: str | None = None) -> Decimal | None:
    """A number written as text ("1,234.5", "98%" where the unit is %), or None."""
    s = text.strip().replace("，", ",")
    if unit and s.endswith(unit):
        s = s[: -len(unit)].strip()
    if not _NUMBER_TEXT.match(s):
        return None
    try:
        return Decimal(s.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None


def read_figure(raw: Decimal | str | None, unit: str | None) -> tuple[Decimal | None, str | None]:
    """A supplied figure as (number, problem): problem is None, "blank", "not-finite" or
    "not-numeric". Blank-like text ("", "—", "无") is missing data, never zero."""
    if raw is None:
        return None, "blank"
    if isinstance(raw, Decimal):
        return (raw, None) if raw.is_finite() else (None, "not-finite")
    text = raw.strip()
    if text in BLANKS:
        return None, "blank"
    if text.lower() in _NON_FINITE:
        return None, "not-finite"
    number = parse_number_text(text, unit)
    return (number, None) if number is not None else (None, "not-numeric")
