"""Actuals as they arrive from spreadsheets and other systems: every odd value gets its status."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_engine import DefinitionError, Status, evaluate
from kpi_engine.figures import BLANKS

from .conftest import make_set

SET = make_set(
    """
    inputs: {budget: {unit: 万元}, spent: {unit: 万元}, x: {unit: "%"}}
    derived: {rate: {formula: spent / budget * 100, unit: "%"}}
    indicators:
      - {id: a, name: 甲, weight: 25, target: "≥ 90%", value: x}
      - {id: b, name: 乙, weight: 25, target: "≥ 10 个"}
      - {id: z, name: 零目标, weight: 25, target: "≥ 0 个"}
      - {id: e, name: 执行率, weight: 25, method: execution_rate, value: rate}
    """
)


@pytest.mark.parametrize(
    ("value", "status", "code"),
    [
        ("1,234.5", Status.OK, None),
        ("98%", Status.OK, None),
        (" 12 ", Status.OK, None),
        ("完成", Status.ERROR, "actual.not-numeric"),
        ("十二", Status.ERROR, "actual.not-numeric"),
        ("—", Status.MISSING_INPUT, "actual.missing"),
        ("", Status.MISSING_INPUT, "actual.missing"),
        ("无", Status.MISSING_INPUT, "actual.missing"),
        ("NaN", Status.ERROR, "actual.not-finite"),
        ("-Infinity", Status.ERROR, "actual.not-finite"),
        (float("nan"), Status.ERROR, "actual.not-finite"),
        (float("inf"), Status.ERROR, "actual.not-finite"),
        (Decimal("NaN"), Status.ERROR, "actual.not-finite"),
        (None, Status.MISSING_INPUT, "actual.missing"),
        (-3, Status.OK, None),
    ],
)
def test_odd_actuals_get_a_status_never_a_crash(
    value: Any, status: Status, code: str | None
) -> None:
    """Each spreadsheet oddity on row b: the documented status and code; the other rows score."""
    unit_value = value if not (isinstance(value, str) and value == "98%") else "98"
    e = evaluate(
        SET,
        {
            "inputs": {"x": 95, "budget": 100, "spent": 90},
            "indicators": {"b": {"actual": unit_value}},
        },
    )
    r = e.indicator("b")
    assert (r.status, r.problem_code) == (status, code)
    assert e.indicator("a").status is Status.OK
    if status is not Status.OK:
        assert r.score is None
        assert any(f.subject == "b" for f in e.flags)


def test_percent_text_is_read_on_a_percent_row() -> None:
    """ "98%" on a % row is 98."""
    e = evaluate(SET, {"inputs": {"x": "98%", "budget": 1, "spent": 1}})
    assert e.indicator("a").value == 98


@pytest.mark.parametrize("blank", sorted(BLANKS))
def test_blank_inputs_are_missing_not_zero(blank: str) -> None:
    """Every blank-like text is missing data on the rows that read it."""
    e = evaluate(SET, {"inputs": {"x": blank, "budget": 1, "spent": 1}})
    assert e.indicator("a").status is Status.MISSING_INPUT


def test_zero_target_and_negative_budget_are_errors_not_zeros() -> None:
    """≥ 0 cannot be scored proportionally; a negative budget makes a negative rate."""
    e = evaluate(
        SET, {"inputs": {"x": 95, "budget": -100, "spent": 90}, "indicators": {"z": {"actual": 5}}}
    )
    assert e.indicator("z").problem_code == "score.target-not-positive"
    assert e.indicator("e").problem_code == "score.negative-rate"
    assert e.indicator("e").score is None


def test_unknown_names_in_actuals_are_never_silently_ignored() -> None:
    """A typo in an input or indicator name stops with a did-you-mean."""
    with pytest.raises(DefinitionError) as info:
        evaluate(SET, {"inputs": {"budgte": 1}, "indicators": {"bb": {"actual": 1}}})
    assert set(info.value.codes) == {"actuals.unknown-input", "actuals.unknown-indicator"}
    assert "budget" in info.value.report()


_values = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30),
    st.sampled_from(sorted(BLANKS)),
)


@given(_values, _values, _values, _values)
def test_any_values_for_known_names_evaluate_without_raising(
    x: Any, budget: Any, spent: Any, actual: Any
) -> None:
    """Whatever the values, every row gets one of the four statuses and scores stay in [0, w]."""
    e = evaluate(
        SET,
        {
            "inputs": {"x": x, "budget": budget, "spent": spent},
            "indicators": {"b": {"actual": actual}},
        },
    )
    for r in e.indicators:
        assert r.status in set(Status)
        if r.score is not None:
            assert 0 <= r.score <= r.weight
    assert e.total is None or 0 <= e.total <= e.scale


@given(_values, _values, _values)
def test_every_unusable_input_is_named_in_some_flag(x: Any, budget: Any, spent: Any) -> None:
    """No bad figure passes silently: each input the engine could not read is quoted by a flag
    (blank-like text is missing data, reported by the rows that need it)."""
    from kpi_engine.figures import read_figure
    from kpi_engine.models import Actuals, InputEntry

    data = {"inputs": {"x": x, "budget": budget, "spent": spent}}
    e = evaluate(SET, data)
    text = "\n".join(f.message for f in e.flags)
    units = {"x": "%", "budget": "万元", "spent": "万元"}
    for name, raw in Actuals.model_validate(data).inputs.items():
        value = raw.value if isinstance(raw, InputEntry) else raw
        _, kind = read_figure(value, units[name])
        if kind not in (None, "blank"):
            assert f"输入项 {name} 的值" in text, (name, value, text)


def test_values_at_the_decimal_limits_are_statuses_not_crashes() -> None:
    """-9e999999 on a ≥ row (found by fuzzing): the score overflows and becomes an error status."""
    e = evaluate(SET, {"inputs": {"x": "-9e999999", "budget": "9e999999", "spent": "9e999999"}})
    assert e.indicator("a").problem_code in {"score.overflow", "input.not-numeric"}
    e = evaluate(
        SET, {"inputs": {"x": Decimal("-9e999999"), "budget": 1, "spent": Decimal("9e999999")}}
    )
    # Refused where it is read (issue 12): wider than kpi_engine.limits.Limits.max_number_digits.
    assert e.indicator("a").problem_code in {
        "score.overflow",
        "input.too-long",
        "input.not-numeric",
    }
    assert e.indicator("e").status in (Status.OK, Status.ERROR)
