"""Provenance: every evaluation says which engine, set and actuals it came from."""

from __future__ import annotations

import copy
import json

from kpi_engine import evaluate, parse_actuals
from kpi_engine.provenance import digest

from .conftest import make_set

SET = make_set(
    """
    inputs: {budget: {unit: 万元}, spent: {unit: 万元}, x: {unit: "%"}}
    indicators:
      - {id: a, name: 甲, weight: 50, target: "≥ 90%", value: x}
      - {id: b, name: 乙, weight: 50, target: "≥ 10 万元", value: spent}
    """
)


def test_evaluation_records_what_it_came_from() -> None:
    """Provenance: engine version and digests of set and actuals; same content, same digest."""
    a = {"inputs": {"x": 95, "budget": 100, "spent": 90}}
    e = evaluate(SET, a)
    p = e.provenance
    assert p["engine"].startswith("kpi_engine ")
    assert p["set_sha256"] == digest(SET)
    assert len(p["actuals_sha256"]) == 64
    reordered = parse_actuals(json.dumps({"inputs": {"spent": 90, "budget": 100, "x": 95}}))
    assert evaluate(SET, reordered).provenance["actuals_sha256"] == p["actuals_sha256"]
    changed = copy.deepcopy(a)
    changed["inputs"]["x"] = 96
    assert evaluate(SET, changed).provenance["actuals_sha256"] != p["actuals_sha256"]
    assert json.loads(e.to_json())["provenance"] == dict(p)


def test_provenance_survives_pickling_as_a_plain_mapping() -> None:
    """Evaluations cross process boundaries (kpi batch --jobs): the provenance goes with them."""
    import pickle

    e = evaluate(SET, {"inputs": {"x": 95, "budget": 100, "spent": 90}})
    back = pickle.loads(pickle.dumps(e))
    assert dict(back.provenance) == dict(e.provenance)
    assert back.provenance["actuals_sha256"] == e.provenance["actuals_sha256"]


def test_writing_a_default_explicitly_keeps_the_set_digest() -> None:
    """`kind: quantitative` (the default) written out is the same content as leaving it out."""
    plain = make_set('indicators:\n  - {id: a, name: 甲, weight: 5, target: "≥ 1"}\n')
    explicit = make_set(
        'indicators:\n  - {id: a, name: 甲, weight: 5, target: "≥ 1", kind: quantitative}\n'
    )
    other = make_set('indicators:\n  - {id: a, name: 甲, weight: 6, target: "≥ 1"}\n')
    assert digest(plain) == digest(explicit) != digest(other)
