"""Whitelisted formula functions: exact, and explicit about missing values."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given

from kpi_engine import EvaluationError
from kpi_engine.functions import FUNCTIONS, MissingOperandError, quantize_half_up

from .strategies import signed_amounts


def call(name: str, *args: D | None) -> object:
    return FUNCTIONS[name].impl(*args)


def test_required_functions_are_all_whitelisted() -> None:
    """min max abs sum avg round_half_up clamp coalesce and a safe division exist."""
    assert {
        "min",
        "max",
        "abs",
        "sum",
        "avg",
        "round_half_up",
        "clamp",
        "coalesce",
        "safe_div",
    } <= set(FUNCTIONS)


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("min", (D(3), D(1), D(2)), D(1)),
        ("max", (D(3), D(1)), D(3)),
        ("abs", (D(-2),), D(2)),
        ("sum", (D("0.1"), D("0.2")), D("0.3")),
        ("avg", (D(1), D(2)), D("1.5")),
        ("clamp", (D(12), D(0), D(10)), D(10)),
        ("coalesce", (None, D(4)), D(4)),
        ("safe_div", (D(1), D(0), D(7)), D(7)),
        ("safe_div", (D(1), D(4), D(7)), D("0.25")),
        ("percent", (D(1), D(8)), D("12.5")),
        ("round_half_up", (D("2.345"), D(2)), D("2.35")),
        ("round_half_up", (D("2.5"),), D(3)),
        ("round_half_up", (D("-2.5"),), D(-3)),
    ],
)
def test_function_results(name: str, args: tuple[D | None, ...], expected: D) -> None:
    """Worked examples of each function."""
    assert call(name, *args) == expected


def test_missing_argument_is_not_zero() -> None:
    """sum(x, 1) with x missing raises, it does not return 1."""
    with pytest.raises(MissingOperandError):
        call("sum", None, D(1))


def test_round_half_up_rejects_fractional_places() -> None:
    """Places must be a whole number."""
    with pytest.raises(EvaluationError):
        call("round_half_up", D(1), D("0.5"))


def test_every_function_is_documented_in_both_languages() -> None:
    """Signatures and docs feed the authoring guide."""
    for spec in FUNCTIONS.values():
        assert spec.signature
        assert spec.doc_zh
        assert spec.doc_en


@given(signed_amounts)
def test_quantize_half_up_rounds_halves_away_from_zero(x: D) -> None:
    """四舍五入: the result is within half a unit and halves go away from zero."""
    r = quantize_half_up(x, 1)
    assert abs(r - x) <= D("0.05")
    if abs(x - r) == D("0.05"):
        assert abs(r) > abs(x)
