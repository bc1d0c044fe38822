"""Docs that run: every YAML example in docs/ loads, compiles and evaluates; every method and
function is documented."""

from __future__ import annotations

import re
from decimal import Decimal
from itertools import pairwise

import pytest

from kpi_engine import Engine, Method, evaluate, parse_actuals, parse_indicator_set
from kpi_engine.functions import FUNCTIONS
from kpi_engine.loading import parse_rule_pack
from kpi_engine.rulepacks import compile_pack

from .conftest import ROOT

DOCS = ROOT / "docs"
BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def _blocks() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(DOCS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text[: match.start()].count("\n") + 2
            found.append((path.name, line, match.group(1)))
    return found


BLOCKS = _blocks()


def test_docs_have_yaml_examples() -> None:
    """The format guide shows real examples."""
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize(("name", "line", "text"), BLOCKS, ids=[f"{n}:{ln}" for n, ln, _ in BLOCKS])
def test_every_yaml_example_is_valid(name: str, line: int, text: str) -> None:
    """Set examples compile (with their rule packs); pack and actuals examples parse."""
    source = f"{name}:{line}"
    if text.startswith("kpi_engine:"):
        Engine(parse_indicator_set(text, source))
    elif text.startswith("kpi_rulepack:"):
        compile_pack(parse_rule_pack(text, source))
    elif text.startswith("kpi_monitor:"):
        from kpi_engine.monitoring import parse_monitoring

        parse_monitoring(text, source)
    else:
        parse_actuals(text, source)


def test_the_complete_example_evaluates_with_its_actuals() -> None:
    """The first set and the first actuals of indicator-format.md evaluate together, fully scored."""
    blocks = [t for n, _, t in BLOCKS if n == "indicator-format.md"]
    set_text = next(t for t in blocks if t.startswith("kpi_engine:"))
    actuals_text = next(t for t in blocks if t.startswith("kpi_actuals:"))
    e = evaluate(parse_indicator_set(set_text), parse_actuals(actuals_text))
    assert e.coverage == 1
    assert all(r.status.value == "ok" for r in e.indicators)


def _undocumented(guide_name: str) -> list[str]:
    """Scoring methods and formula functions a guide does not mention."""
    guide = (DOCS / guide_name).read_text(encoding="utf-8")
    missing = [m.value for m in Method if f"`{m.value}`" not in guide]
    return missing + [name for name in FUNCTIONS if f"`{name}(" not in guide]


def test_every_method_and_function_is_documented() -> None:
    """Each scoring method and formula function appears in the format guide."""
    assert _undocumented("indicator-format.md") == []


def test_every_fact_and_builtin_rule_is_documented() -> None:
    """docs/flags.md lists every fact of every scope and every rule of cn-fiscal."""
    from kpi_engine.facts import FACTS
    from kpi_engine.rulepacks import builtin_pack

    text = (DOCS / "flags.md").read_text(encoding="utf-8")
    for facts in FACTS.values():
        for name in facts:
            assert f"`{name}`" in text, name
    for rule in builtin_pack("cn-fiscal").rules:
        assert f"`{rule.definition.id}`" in text, rule.definition.id


def test_readme_shows_what_the_main_command_prints() -> None:
    """The README's sample output is the seed set's real output, character for character."""
    from kpi_engine import Engine, load_actuals, load_indicator_set
    from kpi_engine.reports import render_text

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert (
        "python -m pip install '.[reports]' && kpi evaluate indicator_sets/gz-haizhu-amr-2023"
        in readme
    )
    shown = readme.split("```text\n", 1)[1].split("```\n", 1)[0]
    seed = ROOT / "indicator_sets" / "gz-haizhu-amr-2023"
    e = Engine(load_indicator_set(seed)).evaluate(load_actuals(seed / "actuals.yaml"))
    assert shown == render_text(e)


def _pairs() -> list[tuple[str, str, str]]:
    """(where, set text, actuals text) for each set block followed by an actuals block."""
    pairs = []
    for name in ("cookbook.md",):
        blocks = [(n, line, t) for n, line, t in BLOCKS if n == name]
        for (n, line, first), (_, _, second) in pairwise(blocks):
            if first.startswith("kpi_engine:") and second.startswith("kpi_actuals:"):
                pairs.append((f"{n}:{line}", first, second))
    return pairs


PAIRS = _pairs()


def test_cookbook_has_its_five_recipes() -> None:
    """Project table, whole-department table, custom weights, execution-rate caps, deductions."""
    assert len(PAIRS) == 5


@pytest.mark.parametrize(("where", "set_text", "actuals_text"), PAIRS, ids=[p[0] for p in PAIRS])
def test_every_cookbook_recipe_scores_every_row(
    where: str, set_text: str, actuals_text: str
) -> None:
    """Each recipe's set and actuals evaluate with every indicator scored."""
    e = evaluate(parse_indicator_set(set_text, where), parse_actuals(actuals_text, where))
    assert [r.id for r in e.indicators if r.status.value != "ok"] == []
    assert e.coverage == 1


def test_cookbook_caps_recipe_says_what_it_does() -> None:
    """The caps recipe's closing sentence (72 %, 97.2 → 89, 良) is what the engine computes."""
    _, set_text, actuals_text = PAIRS[3]
    e = evaluate(parse_indicator_set(set_text), parse_actuals(actuals_text))
    assert e.total_uncapped == Decimal("97.2")
    assert e.total == 89
    assert e.grade is not None
    assert e.grade.label == "良"


def test_cookbook_deductions_recipe_says_what_it_does() -> None:
    """The deductions recipe's closing sentence (3.5, 5.6, 8, total 17.1 of 23) is computed."""
    _, set_text, actuals_text = PAIRS[4]
    e = evaluate(parse_indicator_set(set_text), parse_actuals(actuals_text))
    scores = {r.id: r.score for r in e.indicators}
    assert scores == {
        "staff_control": Decimal("3.5"),
        "three_public": Decimal("5.6"),
        "inspections": Decimal(8),
    }
    assert e.total == Decimal("17.1")
    assert e.scale == 23


def test_english_guide_covers_every_method_and_function_and_its_example_evaluates() -> None:
    """The English authoring guide documents the same methods and functions, and its example runs."""
    assert _undocumented("indicator-format.en.md") == []
    blocks = [t for n, _, t in BLOCKS if n == "indicator-format.en.md"]
    e = evaluate(parse_indicator_set(blocks[0]), parse_actuals(blocks[1]))
    assert e.coverage == 1


def test_the_scoring_forms_example_gives_the_scores_its_text_states() -> None:
    """Upper-inclusive step 5, whole-step deduction 8, rubric 2 — as the guide says."""
    blocks = [t for n, _, t in BLOCKS if n == "indicator-format.md"]
    set_text = next(t for t in blocks if "id: forms-example" in t)
    actuals_text = next(t for t in blocks if "set: forms-example" in t)
    e = evaluate(parse_indicator_set(set_text), parse_actuals(actuals_text))
    scores = {r.id: r.score for r in e.indicators}
    assert scores == {"error_rate": 5, "completion": 8, "system": 2}
