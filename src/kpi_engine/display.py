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
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import overload

from kpi_engine.functions import quantize_half_up

__all__ = [
    "MISSING",
    "exact",
    "figure",
    "fixed",
    "money",
    "percent",
    "show",
    "show_figures",
    "trimmed",
    "with_unit",
]

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
    return None if value is None else format(value, "f")


def fixed(value: Decimal | None, places: int, *, none: str = MISSING, sign: bool = False) -> str:
    """四舍五入 to exactly ``places`` decimals; ``sign`` writes ``+`` before figures ≥ 0.

    >>> fixed(Decimal("2.345"), 2), fixed(Decimal(8), 2), fixed(None, 2)
    ('2.35', '8.00', '—')
    >>> fixed(Decimal("0.2"), 1, sign=True), fixed(Decimal("-0.24"), 2, sign=True)
    ('+0.2', '-0.24')
    """
    if value is None:
        return none
    text = format(quantize_half_up(value, places), "f")
    return f"+{text}" if sign and not text.startswith("-") else text


def trimmed(value: Decimal | None, places: int | None = None, *, none: str = MISSING) -> str:
    """No trailing zeros and no exponent (weights, scales); 四舍五入 first when ``places`` is given.

    >>> trimmed(Decimal("10.50")), trimmed(Decimal("1E+2")), trimmed(Decimal("95.555"), 2)
    ('10.5', '100', '95.56')
    """
    if value is None:
        return none
    if places is not None:
        value = quantize_half_up(value, places)
    return _without_zeros(format(value, "f")) if value else "0"


def percent(share: Decimal | None, places: int, *, none: str = MISSING) -> str:
    """A share (0.9) as a percentage to ``places`` decimals (``90.00%``).

    >>> percent(Decimal(2) / 3, 2), percent(Decimal(1), 0)
    ('66.67%', '100%')
    """
    return none if share is None else fixed(share * 100, places) + "%"


def money(value: Decimal | None, *, none: str = MISSING) -> str:
    """An amount with thousands separators and two decimals, 四舍五入 (``1,234.13``).

    >>> money(Decimal("1234.125")), money(Decimal("-0.005"))
    ('1,234.13', '-0.01')
    """
    if value is None:
        return none
    return f"{quantize_half_up(value, 2):,f}"


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
