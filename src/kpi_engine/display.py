"""Numbers as people read them: the mirror of :mod:`kpi_engine.figures`, which reads figures as
people write them.

Every report, explanation, diff and table cell a person reads turns a ``Decimal`` into text here:
scores and totals to the set's places (四舍五入, ROUND_HALF_UP, never ``round()`` or floats),
weights without trailing zeros, figures as reported, arithmetic without exponents, units spaced
the same way, and "—" (or a blank cell) for a missing number, never the text ``None``. Machine
output (the JSON contract, JSON Lines, scale-out records) keeps every digit: :func:`exact`.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import overload

from kpi_engine.functions import quantize_half_up
from kpi_engine.limits import bad_character, current, number_width

__all__ = [
    "MISSING",
    "exact",
    "figure",
    "fixed",
    "markdown_text",
    "money",
    "percent",
    "printable",
    "show",
    "show_figures",
    "spreadsheet_text",
    "trimmed",
    "with_unit",
]

SCIENTIFIC_DIGITS = 28
"""Significant digits of a number written with an exponent (Decimal's working precision)."""

MISSING = "—"
"""What a missing number reads as (tables pass ``none=""`` for a blank cell instead)."""

SHOWN_PLACES = 6
"""The most decimals :func:`show` writes; longer fractions are cut and marked ≈."""

_AS_WRITTEN = 4
"""Figures with up to this many decimals keep them (2.1377 万家); longer ones are computed."""


@overload
def exact(value: Decimal) -> str: ...
@overload
def exact(value: None) -> None: ...
def exact(value: Decimal | None) -> str | None:
    """Every digit and no exponent, for machines (JSON) and figures echoed as given.

    >>> exact(Decimal("1E+3")), exact(Decimal(2) / 3), exact(None)
    ('1000', '0.6666666666666666666666666667', None)
    """
    if value is None:
        return None
    return _wide(value) or format(value, "f")


def fixed(value: Decimal | None, places: int, *, none: str = MISSING, sign: bool = False) -> str:
    """四舍五入 to exactly ``places`` decimals; ``sign`` writes ``+`` before figures ≥ 0.

    >>> fixed(Decimal("2.345"), 2), fixed(Decimal(8), 2), fixed(None, 2)
    ('2.35', '8.00', '—')
    >>> fixed(Decimal("0.2"), 1, sign=True), fixed(Decimal("-0.24"), 2, sign=True)
    ('+0.2', '-0.24')
    """
    if value is None:
        return none
    wide = _wide(value)
    if wide:
        return wide
    text = format(quantize_half_up(value, places), "f")
    return f"+{text}" if sign and not text.startswith("-") else text


def trimmed(value: Decimal | None, places: int | None = None, *, none: str = MISSING) -> str:
    """No trailing zeros and no exponent (weights, scales); 四舍五入 first when ``places`` is given.

    >>> trimmed(Decimal("10.50")), trimmed(Decimal("1E+2")), trimmed(Decimal("95.555"), 2)
    ('10.5', '100', '95.56')
    """
    if value is None:
        return none
    wide = _wide(value)
    if wide:
        return wide
    if places is not None:
        value = quantize_half_up(value, places)
    return _without_zeros(format(value, "f")) if value else "0"


def percent(share: Decimal | None, places: int, *, none: str = MISSING) -> str:
    """A share (0.9) as a percentage to ``places`` decimals (``90.00%``).

    >>> percent(Decimal(2) / 3, 2), percent(Decimal(1), 0)
    ('66.67%', '100%')
    """
    if share is None:
        return none
    wide = _wide(share)
    if wide:  # beyond Decimal's range once multiplied: say it without multiplying
        return f"{wide}×100%"
    return fixed(share * 100, places) + "%"


def money(value: Decimal | None, *, none: str = MISSING) -> str:
    """An amount with thousands separators and two decimals, 四舍五入 (``1,234.13``).

    >>> money(Decimal("1234.125")), money(Decimal("-0.005"))
    ('1,234.13', '-0.01')
    """
    if value is None:
        return none
    return _wide(value) or f"{quantize_half_up(value, 2):,f}"


def figure(value: Decimal | None, places: int, *, none: str = MISSING) -> str:
    """An actual as people read it: up to four decimals as reported are kept (2.1377 万家), longer
    computed fractions are 四舍五入 to ``places``, and zeros that only arithmetic added
    (760.40 ÷ 800.00 × 100 = 95.0500) are dropped.

    >>> figure(Decimal("2.1377"), 2), figure(Decimal("95.0500"), 2), figure(Decimal(200) / 3, 2)
    ('2.1377', '95.05', '66.67')
    >>> figure(Decimal("100.00"), 2), figure(Decimal("1E+3"), 2), figure(Decimal("0.1600"), 0)
    ('100', '1000', '0.16')
    """
    if value is None:
        return none
    wide = _wide(value)
    if wide:
        return wide
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > max(places, _AS_WRITTEN):
        value = quantize_half_up(value, places)
    elif isinstance(exponent, int) and -exponent > places:
        significant = _without_zeros(format(value, "f")).partition(".")[2]
        if len(significant) <= places:
            value = quantize_half_up(value, places)
        else:  # more digits than places, as written or computed: keep them, not added zeros
            return _without_zeros(format(value, "f"))
    text = format(value, "f")
    return _without_zeros(text) if value == value.to_integral_value() else text


def with_unit(text: str, unit: str | None) -> str:
    """``23 个工作日``, ``95%``: a unit follows a figure after a space, except ``%``.

    >>> with_unit("23", "个工作日"), with_unit("95", "%"), with_unit("7", None)
    ('23 个工作日', '95%', '7')
    """
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def show(value: Decimal) -> str:
    """A number as a reader writes it: no exponent, long fractions cut to 6 places with ≈.

    >>> show(Decimal("1E+3")), show(Decimal(10) / 3), show(Decimal("9.50"))
    ('1000', '≈3.333333', '9.5')
    """
    if value == 0:
        return "0"
    wide = _wide(value)
    if wide:
        return wide
    text = format(value, "f")
    _, dot, fraction = text.partition(".")
    if not dot:
        return text
    if len(fraction) <= SHOWN_PLACES:
        return _without_zeros(text)
    with localcontext(Context(prec=200)):  # wide enough to cut any fraction without trapping
        cut = value.quantize(Decimal(1).scaleb(-SHOWN_PLACES), rounding=ROUND_HALF_UP)
    if cut == 0:
        return "≈0"
    return ("" if cut == value else "≈") + _without_zeros(f"{cut:f}")


def _wide(value: Decimal) -> str | None:
    """``value`` with an exponent when written out it would be wider than
    ``Limits.max_shown_digits`` (80): in every output (text, JSON, CSV), so that no output expands
    one number beyond a bounded length (only arithmetic on the largest accepted inputs makes one).

    >>> _wide(Decimal("1E+999999999")), _wide(Decimal("-2.50E-200")), _wide(Decimal(7))
    ('1E+999999999', '-2.5E-200', None)
    """
    if not value.is_finite() or number_width(value) <= current().max_shown_digits:
        return None
    mantissa, _, power = format(value, f".{SCIENTIFIC_DIGITS - 1}E").partition("E")
    return f"{_without_zeros(mantissa)}E{power}"


def _without_zeros(text: str) -> str:
    """Trailing zeros of a fraction dropped exactly (``normalize()`` rounds past 28 digits)."""
    return text.rstrip("0").rstrip(".") if "." in text else text


_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:E[-+]?\d+)?(?![\w.])")


def _shown(match: re.Match[str]) -> str:
    token = match.group()
    _, _, fraction = token.partition(".")
    if "E" not in token and len(fraction) <= SHOWN_PLACES:
        return token  # as written: 3101 / 3126 * 100 keeps its figures
    return show(Decimal(token))


def show_figures(text: str) -> str:
    """A text of arithmetic (a substituted formula) with every longer figure as :func:`show`
    writes it; figures of up to six decimals stay as written.

    >>> show_figures("3101 / 3126 * 100 = 99.20025591810620601407549584")
    '3101 / 3126 * 100 = ≈99.200256'
    >>> show_figures("x2 + 1E+3 × 0.50")
    'x2 + 1000 × 0.50'
    """
    return _NUMBER.sub(_shown, text)


# --- text that reaches a writer -------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    """``text`` with every control character (but tab and newline) and lone surrogate replaced
    by U+FFFD: the XML inside DOCX and XLSX cannot hold them, and a terminal would obey them.
    Loading refuses them in definitions; actuals passed in through the API may still hold them.

    >>> printable(chr(0) + "a" + chr(27) + "[31m")
    '\ufffda\ufffd[31m'
    """
    if bad_character(text) is None:
        return text
    return "".join(
        "\ufffd" if c not in "\t\n" and unicodedata.category(c) in ("Cc", "Cs") else c for c in text
    )


def spreadsheet_text(text: str) -> str:
    """A text cell for a CSV or XLSX file: printable, and never read as a formula (CSV
    injection): a text beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
    leading apostrophe, as spreadsheet programs themselves write such text. Numbers are not
    texts: they stay numbers.

    >>> spreadsheet_text("=1+2"), spreadsheet_text("-5%"), spreadsheet_text("ok")
    ("'=1+2", "'-5%", 'ok')
    """
    text = printable(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|])")
_HTML_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def markdown_text(text: str) -> str:
    """Text from a set or actuals (a name, unit, reason, flag message) as literal Markdown: HTML
    escaped, Markdown emphasis, links, code and table bars backslash-escaped, and line breaks
    folded into spaces so that a newline followed by ``#`` cannot start a heading nor ``|`` a
    table row (a leading ``#`` is escaped too).

    >>> markdown_text("a" + chr(10) + "# b <script>x</script> *c*")
    'a # b &lt;script&gt;x&lt;/script&gt; \\\\*c\\\\*'
    """
    flat = " ".join(printable(text).replace("\r", " ").split("\n"))
    escaped = "".join(_HTML_SPECIAL.get(c, c) for c in flat)
    escaped = _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(1), escaped)
    return "\\" + escaped if escaped.startswith(("#", "-", "+", "=")) else escaped
