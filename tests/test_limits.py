"""limits: the width of a number written out, computed the fast way, equals the definition."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kpi_engine.limits import number_width


def _by_definition(value: Decimal) -> int:
    if not value.is_finite():
        return 0
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    return len(digits) + exponent if exponent >= 0 else max(len(digits), -exponent + 1)


@given(st.integers(-(10**30), 10**30), st.integers(-40, 40))
def test_number_width_is_the_digits_written_out(coefficient: int, exponent: int) -> None:
    """Whatever form str() picks (plain or with an exponent), the width is the digits counted
    from the number's sign, digits and exponent."""
    value = Decimal(coefficient).scaleb(exponent)
    assert number_width(value) == _by_definition(value)


def test_number_width_of_edge_forms() -> None:
    """Negative zero with places, NaN and infinity, tiny and huge exponents."""
    for text in ("-0.000", "0", "1E+3", "0.005", "-12.30", "1E-7", "1e999999999"):
        assert number_width(Decimal(text)) == _by_definition(Decimal(text)), text
    assert number_width(Decimal("NaN")) == number_width(Decimal("-Infinity")) == 0
