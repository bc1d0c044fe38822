"""Facts: the documented catalogue, the typed records and the computed rows name the same facts."""

from __future__ import annotations

import pytest

from kpi_engine import Engine, load_actuals, load_indicator_set
from kpi_engine.facts import FACTS, RESULT_FACTS, collect
from kpi_engine.facts.catalogue import TYPED
from kpi_engine.rulepacks import builtin_pack

from .conftest import SETS


@pytest.mark.parametrize("scope", sorted(FACTS))
def test_the_documented_facts_are_exactly_the_typed_ones(scope: str) -> None:
    """FACTS (what docs/flags.md lists) names exactly the fields of the scope's typed records."""
    structure, results = TYPED[scope]
    assert set(FACTS[scope]) == set(structure.__annotations__) | set(results.__annotations__)
    assert not set(structure.__annotations__) & set(results.__annotations__)


@pytest.mark.parametrize("scope", sorted(FACTS))
def test_result_facts_are_the_fields_of_the_result_records(scope: str) -> None:
    """RESULT_FACTS (what kpi lint skips) comes from the result records, not from dict order."""
    assert RESULT_FACTS[scope] == frozenset(TYPED[scope][1].__annotations__)


@pytest.mark.parametrize("name", ["gz-haizhu-amr-2023", "project-demo-2024"])
def test_computed_rows_carry_every_documented_fact_and_no_other(name: str) -> None:
    """For the shipped sets, structural rows hold the structural facts and evaluated rows all."""
    folder = SETS / name
    engine = Engine(load_indicator_set(folder))
    params = builtin_pack("cn-fiscal").params
    before = collect(engine.compiled, params)
    after = collect(engine.compiled, params, engine.evaluate(load_actuals(folder / "actuals.yaml")))
    for scope, row in [("set", before.set), *[("group", r) for _, r in before.groups]]:
        assert set(row) == set(FACTS[scope]) - RESULT_FACTS[scope]
    for _, row in before.indicators:
        assert set(row) == set(FACTS["indicator"]) - RESULT_FACTS["indicator"]
    assert set(after.set) == set(FACTS["set"])
    assert all(set(row) == set(FACTS["group"]) for _, row in after.groups)
    assert all(set(row) == set(FACTS["indicator"]) for _, row in after.indicators)
