"""Rule packs as data: checked like any definition, overridable, and robust at run time."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi_engine import DefinitionError, Engine, builtin_pack, load_indicator_set, load_pack
from kpi_engine.errors import SourceLocation
from kpi_engine.loading import parse_rule_pack
from kpi_engine.rulepacks import BUILTIN_PACKS, compile_pack

from .conftest import make_set

PACK = """\
kpi_rulepack: 1
id: mine
title: 自定义规则
params:
  limit: {default: 500}
rules:
  - id: mine.big
    problem: 数值过大
    problem_en: Too big
    severity: info
    scope: indicator
    when: value > limit
    message: "{name} 为 {value}，超过 {limit}"
    message_en: "{name} is {value}, over {limit}"
"""


def pack_errors(text: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        compile_pack(parse_rule_pack(text, "pack.yaml"))
    return info.value


def test_builtin_pack_is_listed_and_compiles() -> None:
    """cn-fiscal ships with the package."""
    assert "cn-fiscal" in BUILTIN_PACKS
    assert len(builtin_pack("cn-fiscal").rules) >= 25


def test_unknown_name_in_a_condition_is_located_with_a_suggestion() -> None:
    """valeu → value, at the column inside the condition."""
    err = pack_errors(PACK.replace("when: value > limit", "when: valeu > limit"))
    assert err.codes == ("rules.unknown-name",)
    issue = err.issues[0]
    assert issue.location == SourceLocation("pack.yaml", 12, 11)
    assert "是否想写 'value'" in issue.message


def test_names_must_belong_to_the_rule_scope() -> None:
    """leaf_count is a set fact, not an indicator fact."""
    err = pack_errors(PACK.replace("when: value > limit", "when: leaf_count > limit"))
    assert err.codes == ("rules.unknown-name",)


def test_bad_templates_selectors_and_duplicate_ids_are_all_reported() -> None:
    """Unknown template names, unknown formats, bad selectors and repeated ids, in one run."""
    text = PACK.replace('"{name} 为 {value}，超过 {limit}"', '"{nmae} {value:weird}"') + (
        "  - id: mine.big\n    problem: p\n    problem_en: p\n    severity: info\n"
        "    scope: group\n    select: {colour: red}\n    when: weight > 1\n"
        "    message: m\n    message_en: m\n"
    )
    err = pack_errors(text)
    assert set(err.codes) == {
        "rules.unknown-name",
        "rules.bad-template",
        "rules.bad-select",
        "rules.duplicate-id",
    }
    assert all(i.location and i.location.file == "pack.yaml" for i in err.issues)


@pytest.mark.parametrize("field", ["{name!r}", "{value", "{value:>10}"])
def test_template_conversions_unclosed_braces_and_other_formats_are_refused(field: str) -> None:
    """Only {fact}, {fact:pct} and {fact:num}: anything else is a located template error."""
    err = pack_errors(
        PACK.replace('"{name} 为 {value}，超过 {limit}"', f'"{field} 超过 {{limit}}"')
    )
    assert err.codes == ("rules.bad-template",)
    assert err.issues[0].location is not None


def test_formula_errors_in_conditions_are_located() -> None:
    """A forbidden construct in `when` is a located definition error."""
    err = pack_errors(PACK.replace("when: value > limit", "when: value.real > limit"))
    assert err.codes == ("formula.forbidden",)


def test_schema_errors_in_packs_are_located() -> None:
    """Severity must be info, warning or error."""
    with pytest.raises(DefinitionError) as info:
        parse_rule_pack(PACK.replace("severity: info", "severity: fatal"), "pack.yaml")
    assert info.value.issues[0].location == SourceLocation("pack.yaml", 10, 15)


def test_user_pack_from_the_set_folder_with_overrides(tmp_path: Path) -> None:
    """rules: {cn-fiscal: …, ./mine.yaml: {limit: 10}} loads the file beside the set."""
    (tmp_path / "mine.yaml").write_text(PACK, encoding="utf-8")
    (tmp_path / "set.yaml").write_text(
        "kpi_engine: 1\nid: s\ntitle: t\nrules:\n  cn-fiscal: {min_leaves: 1}\n  mine.yaml: {limit: 10}\n"
        "indicators:\n  - {id: a, name: 甲, weight: 100, target: 5}\n",
        encoding="utf-8",
    )
    engine = Engine(load_indicator_set(tmp_path))
    assert [p.id for p in engine.rule_packs] == ["cn-fiscal", "mine"]
    flags = engine.evaluate({"indicators": {"a": {"actual": 11}}}).flags
    big = [f for f in flags if f.rule == "mine.big"]
    assert big[0].message == "甲 为 11，超过 10"


def test_unknown_pack_and_unknown_parameter_are_located_in_the_set() -> None:
    """A typo in a pack name or a parameter name gets a did-you-mean at its place."""
    s = make_set(
        "rules:\n  cn-fiscl: {}\nindicators:\n  - {id: a, name: 甲, weight: 1, target: 1}\n"
    )
    with pytest.raises(DefinitionError) as info:
        Engine(s)
    assert info.value.codes == ("rules.unknown-pack",)
    assert "cn-fiscal" in info.value.issues[0].message
    s = make_set(
        "rules:\n  cn-fiscal: {overachievment: 0.3}\nindicators:\n  - {id: a, name: 甲, weight: 1, target: 1}\n"
    )
    with pytest.raises(DefinitionError) as info:
        Engine(s)
    assert info.value.codes == ("rules.unknown-param",)
    assert info.value.issues[0].location == SourceLocation("t.yaml", 5, 15)
    assert "overachievement" in info.value.issues[0].message


def test_parameter_type_must_match_its_default() -> None:
    """A word where a number belongs is refused."""
    s = make_set(
        "rules:\n  cn-fiscal: {tolerance: 很小}\nindicators:\n  - {id: a, name: 甲, weight: 1, target: 1}\n"
    )
    with pytest.raises(DefinitionError) as info:
        Engine(s)
    assert info.value.codes == ("rules.bad-param",)


def test_a_rule_failing_on_one_indicator_flags_it_and_the_rest_still_run(tmp_path: Path) -> None:
    """Division by zero for one subject gives rule.failed there; other subjects are checked."""
    path = tmp_path / "fragile.yaml"
    path.write_text(
        PACK.replace("when: value > limit", "when: 1000 / (value - 5) > limit"), encoding="utf-8"
    )
    s = make_set(
        "rules: []\nindicators:\n  - {id: a, name: 甲, weight: 1, target: 1}\n  - {id: b, name: 乙, weight: 1, target: 1}\n"
    )
    e = Engine(s, [load_pack(path)]).evaluate(
        {"indicators": {"a": {"actual": 5}, "b": {"actual": 6}}}
    )
    failed = [f for f in e.flags if f.rule == "rule.failed"]
    assert [(f.subject, f.severity) for f in failed] == [("a", "error")]
    assert "除数为零" in failed[0].message
    assert [f.subject for f in e.flags if f.rule == "mine.big"] == ["b"]


def test_a_condition_needing_unknown_data_simply_does_not_apply() -> None:
    """A rule reading a missing value neither fires nor fails."""
    s = make_set("rules: []\nindicators:\n  - {id: a, name: 甲, weight: 1, target: 1}\n")
    pack = compile_pack(parse_rule_pack(PACK, "pack.yaml"))
    e = Engine(s, [pack]).evaluate({})
    assert {f.rule for f in e.flags} == {"data.missing_input", "data.incomplete"}


def test_non_boolean_conditions_are_rule_failures() -> None:
    """`when: value` (a number) is not a condition."""
    s = make_set("rules: []\nindicators:\n  - {id: a, name: 甲, weight: 1, target: 1}\n")
    pack = compile_pack(
        parse_rule_pack(PACK.replace("when: value > limit", "when: value + 1"), "p.yaml")
    )
    e = Engine(s, [pack]).evaluate({"indicators": {"a": {"actual": 3}}})
    assert [f.rule for f in e.flags] == ["rule.failed"]
