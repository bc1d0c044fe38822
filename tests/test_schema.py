"""The editor schema: generated from the models, draft-07, bilingual, committed in sync."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import jsonschema
import pytest

from kpi_engine.loading import read_yaml
from kpi_engine.models import Method
from kpi_engine.schema import FIELD_HELP, json_schema, schema_text

from .conftest import ROOT

DOCS = ROOT / "docs"


@pytest.mark.parametrize(("name", "actuals"), [("indicator-set", False), ("actuals", True)])
def test_committed_schema_matches_the_models(name: str, actuals: bool) -> None:
    """docs/*.schema.json is exactly what `kpi schema` generates (regenerate with kpi schema -o)."""
    assert (DOCS / f"{name}.schema.json").read_text(encoding="utf-8") == schema_text(actuals)


@pytest.mark.parametrize("actuals", [False, True])
def test_schema_is_valid_draft_07(actuals: bool) -> None:
    """Draft-07 meta-schema accepts it; no 2020-12 `$defs` remain."""
    schema = json_schema(actuals)
    jsonschema.Draft7Validator.check_schema(schema)
    assert "$defs" not in json.dumps(schema)


def _properties(node: Any) -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            found.append((name, prop))
        for value in node.values():
            found += _properties(value)
    elif isinstance(node, list):
        for value in node:
            found += _properties(value)
    return found


@pytest.mark.parametrize("actuals", [False, True])
def test_every_field_has_chinese_and_english_help(actuals: bool) -> None:
    """Hover text for every property, in both languages."""
    for name, prop in _properties(json_schema(actuals)):
        text = prop.get("description", "")
        assert re.search(r"[\u4e00-\u9fff]", text), name
        assert re.search(r"[A-Za-z]{3}", text), name
        assert name in FIELD_HELP


def test_methods_and_tiers_are_enums() -> None:
    """Completion offers every scoring method (with help) and every tier, Chinese ones too."""
    methods = json_schema()["definitions"]["Method"]
    assert methods["enum"] == [m.value for m in Method]
    assert len(methods["enumDescriptions"]) == len(Method)
    tier = json_schema(True)["definitions"]["IndicatorActual"]["properties"]["tier"]
    assert {"achieved", "达成", "部分达成", "未达成"} <= set(tier["enum"])
    target = json_schema()["definitions"]["Leaf"]["properties"]["target"]
    assert {e[0] for e in target["examples"]} >= {"≥", "≤", "=", "["}  # every direction offered


def _plain(node: Any) -> Any:
    """As an editor sees YAML: numbers are JSON numbers, not Decimals."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, Decimal):
        return int(node) if node == node.to_integral_value() else float(node)
    return node


def test_shipped_sets_and_actuals_validate_and_a_typo_does_not() -> None:
    """Editors would accept the shipped files and flag `wieght`."""
    sets = jsonschema.Draft7Validator(json_schema())
    actuals = jsonschema.Draft7Validator(json_schema(True))
    for folder in sorted((ROOT / "indicator_sets").iterdir()):
        data, _, _ = read_yaml((folder / "set.yaml").read_text(encoding="utf-8"), "x")
        assert list(sets.iter_errors(_plain(data))) == []
        data, _, _ = read_yaml((folder / "actuals.yaml").read_text(encoding="utf-8"), "x")
        assert list(actuals.iter_errors(_plain(data))) == []
    bad, _, _ = read_yaml(
        "kpi_engine: 1\nid: x\ntitle: t\nindicators:\n  - {id: a, name: 甲, wieght: 1}\n", "x"
    )
    assert list(sets.iter_errors(bad))
