"""display: every Decimal a person reads becomes text here — 四舍五入, no exponent, never None."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from kpi_engine.display import (
    MISSING,
    exact,
    figure,
    fixed,
    money,
    percent,
    show,
    show_figures,
    trimmed,
    with_unit,
)

# Any finite Decimal a calculation can produce: long fractions, exponents, tiny and large values.
finite = st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12)
computed = st.builds(
    lambda a, b: a / b,
    st.integers(-(10**9), 10**9).map(D),
    st.integers(1, 10**6).map(D),
)
values = st.one_of(finite, computed)
places = st.integers(0, 6)

_PLAIN = re.compile(r"^-?\d+(\.\d+)?$")


def _decimals(text: str) -> int:
    return len(text.partition(".")[2])


@given(values, places)
def test_fixed_parses_back_to_the_half_up_quantized_value(value: D, n: int) -> None:
    """fixed() text is the ROUND_HALF_UP quantized value with exactly ``places`` decimals."""
    text = fixed(value, n)
    assert _PLAIN.match(text), text
    assert _decimals(text) == n
    assert D(text) == value.quantize(D(1).scaleb(-n), rounding=ROUND_HALF_UP)


def test_fixed_rounds_half_up_not_to_even() -> None:
    """0.125 → 0.13 and 2.5 → 3 (banker's rounding would give 0.12 and 2)."""
    assert fixed(D("0.125"), 2) == "0.13"
    assert fixed(D("2.5"), 0) == "3"
    assert fixed(D("-2.5"), 0) == "-3"


def test_fixed_signs_a_change_and_writes_a_dash_or_blank_for_none() -> None:
    """sign=True writes + before a gain; None is "—" or the blank a table cell asks for."""
    assert fixed(D("0.24"), 2, sign=True) == "+0.24"
    assert fixed(D(0), 2, sign=True) == "+0.00"
    assert fixed(D("-0.24"), 2, sign=True) == "-0.24"
    assert fixed(None, 2) == MISSING == "—"
    assert fixed(None, 2, none="") == ""


@given(values)
def test_show_never_writes_an_exponent_or_more_than_six_decimals(value: D) -> None:
    """show(): plain digits, at most 6 decimals, ≈ exactly when digits were cut."""
    text = show(value)
    approximate = text.startswith("≈")
    digits = text.removeprefix("≈")
    assert _PLAIN.match(digits), text
    assert _decimals(digits) <= 6
    assert approximate == (D(digits) != value)
    assert abs(D(digits) - value) <= D("0.0000005")


def test_show_examples() -> None:
    """1E+3 reads 1000, 10/3 reads ≈3.333333, trailing zeros and negative zero go."""
    assert show(D("1E+3")) == "1000"
    assert show(D(10) / D(3)) == "≈3.333333"
    assert show(D("-0")) == "0"
    assert show(D("9.50")) == "9.5"
    assert show(D("1E-7")) == "≈0"


@given(values, st.one_of(st.none(), places))
def test_trimmed_has_no_trailing_zeros_and_keeps_the_value(value: D, n: int | None) -> None:
    """trimmed(): no exponent, no trailing zeros, the (rounded) value unchanged — up to the
    documented bound on a shown number's digits, past which it is written with an exponent."""
    from kpi_engine.limits import DEFAULT_LIMITS, number_width

    text = trimmed(value, n)
    expected = value if n is None else value.quantize(D(1).scaleb(-n), rounding=ROUND_HALF_UP)
    if number_width(value) > DEFAULT_LIMITS.max_shown_digits:
        assert "E" in text, text
        return
    assert _PLAIN.match(text), text
    assert not ("." in text and text.endswith("0"))
    assert D(text) == expected


def test_percent_and_money() -> None:
    """A share as a percentage to the places; amounts with separators, 四舍五入 to fen."""
    assert percent(D(2) / 3, 2) == "66.67%"
    assert percent(D(1), 0) == "100%"
    assert percent(None, 2) == "—"
    assert money(D("1234567.125")) == "1,234,567.13"
    assert money(D("0.005")) == "0.01"
    assert money(None) == "—"


@given(values, places)
def test_figure_keeps_reported_digits_and_rounds_long_computed_ones(value: D, n: int) -> None:
    """figure(): at most max(places, 4) decimals; the value is kept or 四舍五入 to places."""
    text = figure(value, n)
    assert _PLAIN.match(text), text
    assert _decimals(text) <= max(n, 4)
    rounded = value.quantize(D(1).scaleb(-n), rounding=ROUND_HALF_UP)
    assert D(text) in (value, rounded)


def test_figure_examples() -> None:
    """As reported, computed, zeros arithmetic added, integral, exponent, missing."""
    assert figure(D("2.1377"), 2) == "2.1377"
    assert figure(D("99.20025591810620601407549584"), 2) == "99.20"
    assert figure(D("95.0500"), 2) == "95.05"
    assert figure(D("100.00"), 2) == "100"
    assert figure(D("1E+3"), 2) == "1000"
    assert figure(None, 2) == "—"


def test_with_unit_spaces_every_unit_but_percent() -> None:
    """23 个工作日, 95%, and a bare figure when there is no unit."""
    assert with_unit("23", "个工作日") == "23 个工作日"
    assert with_unit("95", "%") == "95%"
    assert with_unit("7", None) == with_unit("7", "") == "7"


def test_show_figures_cuts_only_long_or_exponent_figures() -> None:
    """Figures as written stay; 28-digit results and exponents read as show() writes them."""
    assert show_figures("3101 / 3126 * 100") == "3101 / 3126 * 100"
    assert show_figures("760.00 = 99.20025591810620601407549584") == "760.00 = ≈99.200256"
    assert show_figures("1E+3 + x1 + 2.5") == "1000 + x1 + 2.5"
    assert show_figures("") == ""


@given(st.lists(values, max_size=5))
def test_show_figures_leaves_no_long_fraction(numbers: list[D]) -> None:
    """After show_figures no figure in a text has more than 6 decimals or an exponent."""
    text = " + ".join(str(v) for v in numbers)
    shown = show_figures(text)
    assert "E" not in shown
    assert all(len(f) <= 6 for f in re.findall(r"\d+\.(\d+)", shown))


@given(values)
def test_exact_keeps_every_digit_without_an_exponent(value: D) -> None:
    """exact() (machine output) reads back to the same Decimal and never has an exponent."""
    text = exact(value)
    assert _PLAIN.match(text), text
    assert Decimal(text) == value
    assert exact(None) is None


@given(values, places)
def test_no_function_writes_none_or_an_exponent(value: D, n: int) -> None:
    """Nothing here ever writes the text None, nan or an exponent."""
    for text in (
        fixed(value, n),
        trimmed(value),
        percent(value, n),
        money(value),
        figure(value, n),
        show(value),
        fixed(None, n),
        figure(None, n),
    ):
        assert "None" not in text
        assert "E" not in text
        assert "NaN" not in text


def test_show_marks_only_cut_figures_and_keeps_more_than_28_digits() -> None:
    """Trailing zeros are no cut (no ≈); tiny negatives read ≈0; trimmed() never rounds."""
    assert show(D("1.81649800")) == "1.816498"
    assert show(D("-1E-7")) == "≈0"
    long = D("1234567890123456789012345678.9")
    assert trimmed(long) == "1234567890123456789012345678.9"
    assert figure(D("12345678901234567890123456789.00"), 2) == "12345678901234567890123456789"
