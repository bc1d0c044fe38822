"""Figures as people write them in tables: "1,234.5", "98%", "—", "无".

A supplied figure is a number, missing data (blank-like text is never zero), or a problem the
indicator that reads it reports: :func:`input_issue` and :func:`actual_issue` give that problem as
an :class:`~kpi_engine.errors.Issue`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from kpi_engine import limits
from kpi_engine.errors import Issue
from kpi_engine.limits import number_too_long

__all__ = [
    "BLANKS",
    "FIGURE_PROBLEMS",
    "actual_issue",
    "clipped",
    "input_issue",
    "parse_number_text",
    "read_figure",
]

_NUMBER_TEXT = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
BLANKS = frozenset({"", "—", "——", "–", "-", "－", "/", "无", "暂无", "N/A", "n/a", "NA", "null"})
"""Texts that mean "no figure" in spreadsheets: read as missing, never as zero."""
_NON_FINITE = frozenset({"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})
FIGURE_PROBLEMS = {
    "not-numeric": ("不是数字", "not a number"),
    "not-finite": ("不是有限数（NaN 或无穷大）", "not a finite number (NaN or infinity)"),
    "too-long": (
        "位数过多（上限见 kpi_engine.limits.Limits.max_number_digits）",
        "has too many digits (see kpi_engine.limits.Limits.max_number_digits)",
    ),
}
"""What a problem of :func:`read_figure` says, in Chinese and English.

Kept for callers that build their own text; :func:`input_issue` and :func:`actual_issue` give the
whole problem record.
"""


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
    """A supplied figure as (number, problem): problem is None, "blank", "not-finite",
    "too-long" (more digits than ``kpi_engine.limits.Limits.max_number_digits``) or "not-numeric".
    Blank-like text ("", "—", "无") is missing data, never zero."""
    if raw is None:
        return None, "blank"
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            return None, "not-finite"
        return (None, "too-long") if number_too_long(raw) else (raw, None)
    text = raw.strip()
    if text in BLANKS:
        return None, "blank"
    if text.lower() in _NON_FINITE:
        return None, "not-finite"
    if len(text) > 4 * limits.current().max_number_digits:
        return None, "too-long"  # not even parsed
    number = parse_number_text(text, unit)
    if number is not None and number_too_long(number):
        return None, "too-long"
    return (number, None) if number is not None else (None, "not-numeric")


def clipped(raw: object, length: int = 40) -> str:
    """A supplied value as a message quotes it: at most ``length`` characters (then …).

    >>> clipped("1" * 100, 8)
    '1111111…'
    """
    text = str(raw) if not isinstance(raw, Decimal) or not number_too_long(raw) else f"{raw:E}"
    return text if len(text) <= length else text[: length - 1] + "…"


def input_issue(name: str, raw: object, kind: str) -> Issue:
    """The problem of input ``name`` supplied as ``raw``, which :func:`read_figure` found ``kind``
    ("not-numeric" or "not-finite"); code ``input.<kind>``.

    >>> input_issue("spent", "很多", "not-numeric").message
    "输入项 spent 的值 '很多' 不是数字"
    """
    zh, en = FIGURE_PROBLEMS[kind]
    shown = clipped(raw)
    return Issue(
        f"input.{kind}", f"输入项 {name} 的值 '{shown}' {zh}", f"input {name} is {shown!r}: {en}"
    )


def actual_issue(raw: object, kind: str) -> Issue:
    """The problem of a quantitative indicator's actual supplied as ``raw``, which
    :func:`read_figure` found ``kind``; code ``actual.<kind>``. The indicator cannot be scored.

    >>> actual_issue("NaN", "not-finite").message_en
    "the actual 'NaN': not a finite number (NaN or infinity)"
    """
    zh, en = FIGURE_PROBLEMS[kind]
    shown = clipped(raw)
    return Issue(
        f"actual.{kind}",
        f"实际完成值 '{shown}' {zh}，定量指标无法计分",
        f"the actual {shown!r}: {en}",
    )
