"""Figures as people write them: numbers with commas and units, blanks, and what is not a number."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_engine.figures import BLANKS, parse_number_text, read_figure


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("1,234.5", None, D("1234.5")),
        ("1，234.5", None, D("1234.5")),  # a full-width comma, as typed in Chinese
        ("98%", "%", D(98)),
        ("12 万元", "万元", D(12)),
        ("-3", None, D(-3)),
        ("98%", None, None),  # a % figure on a row that is not in %: not a number
        ("1,23", None, None),  # a comma that does not group thousands
        ("1e3", None, None),  # exponents are not how tables write figures
        ("很多", None, None),
    ],
)
def test_numbers_written_as_text_are_read_exactly(
    text: str, unit: str | None, expected: D | None
) -> None:
    """Thousands separators and the row's own unit are accepted; anything else is not a number."""
    assert parse_number_text(text, unit) == expected


@pytest.mark.parametrize("blank", sorted(BLANKS))
def test_blank_like_text_is_missing_never_zero(blank: str) -> None:
    """ "", "—", "无", "N/A" … mean no figure was given."""
    assert read_figure(blank, None) == (None, "blank")
    assert read_figure(f"  {blank}  ", None) == (None, "blank")


@pytest.mark.parametrize("text", ["NaN", "inf", "-Infinity"])
def test_non_finite_figures_are_named_as_such(text: str) -> None:
    """NaN and infinities, as text or as Decimals, are a problem of their own, never a value."""
    assert read_figure(text, None) == (None, "not-finite")
    assert read_figure(D(text), None) == (None, "not-finite")


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4))
def test_a_decimal_written_out_reads_back_as_itself(value: D) -> None:
    """Whatever a spreadsheet prints as a plain number comes back exactly (no float on the way)."""
    assert read_figure(format(value, "f"), None) == (value, None)
    assert read_figure(value, None) == (value, None)


@given(st.text(max_size=20))
def test_any_text_is_a_number_a_blank_or_a_named_problem(text: str) -> None:
    """read_figure never raises: every text is a figure, missing, or not-numeric/not-finite."""
    number, problem = read_figure(text, "%")
    assert (number is None) == (problem is not None)
    assert problem in (None, "blank", "not-numeric", "not-finite")


def test_figure_problems_are_records_that_match_what_an_evaluation_says() -> None:
    """input_issue / actual_issue give the record an evaluation reports for a badly written
    figure (FIGURE_PROBLEMS stays for callers that still build their own text)."""
    from kpi_engine import evaluate
    from kpi_engine.figures import FIGURE_PROBLEMS, actual_issue, input_issue

    from .conftest import make_set

    s = make_set(
        "inputs: {x: {}}\nindicators:\n  - {id: a, name: 甲, weight: 5, target: 1, value: x}\n"
        '  - {id: b, name: 乙, weight: 5, target: "≥ 1"}\n'
    )
    run = evaluate(s, {"inputs": {"x": "十二"}, "indicators": {"b": {"actual": "NaN"}}})
    a, b = run.indicator("a"), run.indicator("b")
    wanted_a = input_issue("x", "十二", "not-numeric")
    assert wanted_a.code == a.problem_code == "input.not-numeric"
    assert wanted_a.message in (a.problem or "")
    assert wanted_a.message_en in (a.problem_en or "")
    wanted_b = actual_issue("NaN", "not-finite")
    assert (b.problem_code, b.problem, b.problem_en) == (
        wanted_b.code,
        wanted_b.message,
        wanted_b.message_en,
    )
    assert wanted_b.location is None
    assert FIGURE_PROBLEMS["not-numeric"] == ("不是数字", "not a number")
