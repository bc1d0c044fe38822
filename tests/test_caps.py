"""Total caps by execution rate (some regions: 70–80 % → total ≤ 89 … < 50 % → ≤ 59)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from kpi_engine import DefinitionError, Engine, evaluate

from .conftest import make_set

CAPPED = """
rules: []
inputs: {budget: {unit: 万元}, spent: {unit: 万元}}
derived: {rate: {formula: spent / budget * 100, unit: "%"}}
caps:
  - {value: rate, below: 80, max_total: 89}
  - {value: rate, below: 70, max_total: 79}
  - {value: rate, below: 50, max_total: 59}
indicators:
  - {id: work, name: 工作完成, weight: 90, target: "≥ 10 项"}
  - {id: execution, name: 预算执行率, weight: 10, method: execution_rate, value: rate}
"""


def _run(spent: int, done: int = 10):  # type: ignore[no-untyped-def]
    return evaluate(
        make_set(CAPPED),
        {"inputs": {"budget": 100, "spent": spent}, "indicators": {"work": {"actual": done}}},
    )


@pytest.mark.parametrize(
    ("spent", "total", "grade"),
    [
        (95, D("99.5"), "优"),
        (80, D("98"), "优"),
        (75, D("89"), "良"),
        (60, D("79"), "中"),
        (40, D("59"), "差"),
    ],
)
def test_the_strictest_applicable_cap_limits_the_total(spent: int, total: D, grade: str) -> None:
    """80 % is not below 80: no cap; 75 % → ≤ 89; 60 % → ≤ 79; 40 % → ≤ 59."""
    e = _run(spent)
    assert e.total == total
    assert e.grade is not None
    assert e.grade.label == grade


def test_a_cap_that_does_not_bind_is_not_reported() -> None:
    """Below 80 % but with a total under 89 already: the total stands, no cap note."""
    e = _run(75, done=5)
    assert e.cap is None
    assert e.total == e.total_uncapped


def test_cap_is_explained_in_json_and_text() -> None:
    """The cap and the uncapped total are in the JSON and the total line."""
    from kpi_engine.reports import render_text

    e = _run(60)
    assert e.to_dict()["cap"] == "rate 60 < 70 → ≤ 79"
    assert e.to_dict()["total_uncapped"] == "96.0"
    assert "封顶：rate 60 < 70 → ≤ 79" in render_text(e)


def test_cap_on_an_unknown_value_is_a_located_error() -> None:
    """A misspelt value name gets a suggestion and a location."""
    with pytest.raises(DefinitionError) as info:
        Engine(make_set(CAPPED.replace("{value: rate, below: 50", "{value: rat, below: 50")))
    assert info.value.codes == ("caps.unknown-value",)
    assert info.value.issues[0].location is not None
