"""Loading YAML: hardened PyYAML, exact numbers, and every problem located in one run."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from kpi_engine import DefinitionError, load_indicator_set, parse_actuals, parse_indicator_set
from kpi_engine.errors import SourceLocation
from kpi_engine.limits import DEFAULT_LIMITS
from kpi_engine.loading import read_yaml, resolve_set_paths

from .conftest import make_set

VALID = """\
kpi_engine: 1
id: t
title: 测试
indicators:
  - {id: a, name: 甲, weight: 10, target: "≥ 5 个"}
"""


def errors_of(text: str, source: str = "t.yaml") -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        parse_indicator_set(text, source)
    return info.value


def test_numbers_are_read_as_exact_decimals_from_their_text() -> None:
    """22044.92 stays exactly 22044.92 (never via float)."""
    data, _, _ = read_yaml("a: 22044.92\nb: 0.1\nc: 3\n", "x")
    assert data == {"a": Decimal("22044.92"), "b": Decimal("0.1"), "c": Decimal(3)}
    assert str(data["a"]) == "22044.92"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NO", "NO"),
        ("on", "on"),
        ("y", "y"),
        ("Yes", "Yes"),
        ("off", "off"),
        ("1:30", "1:30"),
        ("010", "010"),
        ("0x1F", "0x1F"),
        ("2024-01-01", "2024-01-01"),
        (".inf", ".inf"),
    ],
)
def test_yaml_11_surprises_stay_strings(text: str, expected: str) -> None:
    """NO/on/y are not booleans, 1:30 is not 90, 010 is not 8, dates stay text."""
    data, _, _ = read_yaml(f"v: {text}\n", "x")
    assert data["v"] == expected


def test_true_false_and_null_keep_their_core_meaning() -> None:
    """YAML 1.2 core: true/false booleans, null/~ null."""
    data, _, _ = read_yaml("a: true\nb: False\nc: null\nd: ~\ne:\n", "x")
    assert data == {"a": True, "b": False, "c": None, "d": None, "e": None}


def test_leading_zero_codes_still_parse_as_numbers_where_a_number_is_expected() -> None:
    """weight: 010 is the number 10 (not 8), while a code field keeps its zero."""
    s = make_set('indicators:\n  - {id: "010", name: 甲, weight: 010, target: "≥ 1"}\n')
    assert s.indicators[0].weight == 10
    assert s.indicators[0].id == "010"


def test_duplicate_keys_are_an_error_with_both_places() -> None:
    """PyYAML would keep the last value silently; we report the second key and the first."""
    err = errors_of(VALID.replace("title: 测试\n", "title: 测试\ntitle: 再次\n"))
    assert err.codes == ("yaml.duplicate-key",)
    issue = err.issues[0]
    assert issue.location == SourceLocation("t.yaml", 4, 1)
    assert "第 3 行" in issue.message


def test_unknown_key_gets_a_did_you_mean_at_the_key() -> None:
    """wieght → weight, located at the misspelt key."""
    err = errors_of(VALID.replace("weight: 10", "wieght: 10"))
    unknown = [i for i in err.issues if i.code == "schema.unknown-key"]
    assert (
        unknown[0]
        .format("en")
        .endswith("unknown key 'wieght'; did you mean the required key 'weight'?")
    )
    assert unknown[0].location == SourceLocation("t.yaml", 5, 22)


def test_a_real_key_at_the_wrong_level_is_not_answered_with_itself() -> None:
    """``source`` at the top of the actuals (it belongs under an indicator): the message says it is
    not allowed there, not "did you mean 'source'?"."""
    from kpi_engine import DefinitionError, parse_actuals

    with pytest.raises(DefinitionError) as info:
        parse_actuals("set: t\nsource: 公开的自评表\n", "a.yaml")
    (issue,) = info.value.issues
    assert issue.code == "schema.unknown-key"
    assert issue.location == SourceLocation("a.yaml", 2, 1)
    assert "did you mean" not in issue.message_en
    assert issue.message == "字段 'source' 不能写在这一层（它用于格式的其他位置，见格式说明）"


def test_a_misspelt_required_key_is_one_problem_not_two() -> None:
    """wieght: 10 is reported as the unknown key only; weight is not also reported missing."""
    err = errors_of(VALID.replace("weight: 10", "wieght: 10"))
    assert err.codes == ("schema.unknown-key",)


def test_a_misspelt_key_far_from_the_missing_one_leaves_both_reported() -> None:
    """An unknown key that is not the missing field's spelling does not hide the missing field."""
    err = errors_of(VALID.replace("weight: 10", "colour: 10"))
    assert set(err.codes) == {"schema.unknown-key", "schema.missing-key"}


def test_every_problem_in_a_file_is_reported_in_one_run() -> None:
    """Duplicate key, unknown key, missing key and bad number all come back together."""
    text = """\
kpi_engine: 1
id: t
title: 测试
title: 又一个
indicators:
  - id: a
    name: 甲
    wieght: 10
  - id: b
    name: 乙
    weight: many
  - id: c
    name: 丙
"""
    err = errors_of(text)
    assert set(err.codes) == {
        "yaml.duplicate-key",
        "schema.unknown-key",
        "schema.missing-key",
        "schema.invalid",
    }
    lines = err.report().splitlines()
    assert len(lines) == 4  # the misspelt 'wieght' is one problem, c's missing weight another
    assert all(line.startswith("t.yaml:") for line in lines)
    assert [i.location.line for i in err.issues if i.location] == sorted(
        i.location.line for i in err.issues if i.location
    )


def test_report_lines_have_the_compiler_form() -> None:
    """file:line:col: code: message."""
    err = errors_of(VALID.replace("weight: 10", "weight: ten"))
    assert err.report().startswith("t.yaml:5:")
    assert ": schema.invalid: " in err.report()


def test_billion_laughs_is_refused_quickly() -> None:
    """Alias expansion is bounded: nine levels of nine aliases is refused well under a second."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        ref = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([ref] * 9)}]")
    start = time.perf_counter()
    err = errors_of("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 1.0
    assert err.codes == ("yaml.too-large",)


def test_deep_nesting_is_refused_with_a_location() -> None:
    """A document nested 100 levels deep is refused, not recursed into."""
    err = errors_of("a: " + "[" * 100 + "]" * 100 + "\n")
    assert err.codes == ("yaml.too-deep",)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "yaml.empty"),
        ("# only a comment\n", "yaml.empty"),
        ("- a\n- b\n", "yaml.not-mapping"),
        ("just text\n", "yaml.not-mapping"),
        ("a: 1\n---\nb: 2\n", "yaml.syntax"),
        ("a: [1, 2\n", "yaml.syntax"),
        ("a:\n\t- 1\n", "yaml.syntax"),
        ("a: !!python/object:os.system 1\n", "yaml.tag"),
    ],
)
def test_malformed_documents_get_a_located_code(text: str, code: str) -> None:
    """Empty files, lists, several documents, syntax errors, tabs and foreign tags."""
    err = errors_of(text)
    assert code in err.codes
    assert all(i.location is not None for i in err.issues)


def test_syntax_error_points_at_the_problem() -> None:
    """An unclosed flow sequence is reported at the line where YAML noticed it."""
    err = errors_of("kpi_engine: 1\nid: [a, b\ntitle: x\n")
    assert err.issues[0].location is not None
    assert err.issues[0].location.line >= 2


def test_byte_order_mark_and_windows_line_ends_are_accepted(tmp_path: Path) -> None:
    """A UTF-8 BOM and CRLF line ends (Windows editors) load like plain text."""
    path = tmp_path / "set.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.replace("\n", "\r\n").encode("utf-8"))
    assert load_indicator_set(path).title == "测试"


def test_non_utf8_file_is_reported_at_the_bad_byte(tmp_path: Path) -> None:
    """A GBK-encoded file gets a clear message and the line of the first bad byte."""
    path = tmp_path / "set.yaml"
    path.write_bytes(VALID.encode("gbk"))
    with pytest.raises(DefinitionError) as info:
        load_indicator_set(path)
    assert info.value.codes == ("yaml.encoding",)
    assert info.value.issues[0].location == SourceLocation(str(path), 3, 8)


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    """Files over the limit are refused by size."""
    path = tmp_path / "set.yaml"
    path.write_bytes(b"#" * (DEFAULT_LIMITS.max_file_bytes + 1))
    with pytest.raises(DefinitionError) as info:
        load_indicator_set(path)
    assert info.value.codes == ("yaml.file-too-large",)


def test_missing_file_is_a_definition_error(tmp_path: Path) -> None:
    """A path that does not exist is reported like any other definition problem."""
    with pytest.raises(DefinitionError) as info:
        load_indicator_set(tmp_path / "nope.yaml")
    assert info.value.codes == ("file.unreadable",)


def test_merge_keys_fill_in_only_missing_keys() -> None:
    """<<: *defaults supplies keys the mapping does not set itself."""
    data, _, _ = read_yaml("d: &d {unit: 人, label: 默认}\nx:\n  <<: *d\n  label: 自己\n", "x")
    assert data["x"] == {"unit": "人", "label": "自己"}


def test_a_directory_resolves_to_its_set_and_actuals(demo_dir: Path) -> None:
    """SET may be a directory holding set.yaml and actuals.yaml."""
    set_path, actuals = resolve_set_paths(demo_dir)
    assert set_path == demo_dir / "set.yaml"
    assert actuals == demo_dir / "actuals.yaml"
    assert load_indicator_set(demo_dir).id == "project-demo-2024"


def test_loaded_sets_remember_where_each_node_came_from() -> None:
    """The source map locates values and keys for later stages' messages."""
    s = parse_indicator_set(VALID, "t.yaml")
    assert s.source is not None
    assert s.source.locate(("indicators", 0, "weight")) == SourceLocation("t.yaml", 5, 30)
    assert s.source.locate(("title",), key=True) == SourceLocation("t.yaml", 3, 1)


def test_actuals_accept_numbers_text_and_entries_with_sources() -> None:
    """Inputs may be numbers, text, null or {value, source}; tiers accept Chinese labels."""
    a = parse_actuals(
        "inputs:\n  x: 1.5\n  y: {value: 2, source: 第一节}\n  z: ~\n"
        "indicators:\n  q: {tier: 部分达成, score: 7}\n"
    )
    assert a.inputs["x"] == Decimal("1.5")
    assert a.indicators["q"].tier is not None
    assert a.indicators["q"].tier.value == "partly"


def test_actuals_with_an_unknown_tier_are_rejected() -> None:
    """Tier must be one of the three official tiers."""
    with pytest.raises(DefinitionError) as info:
        parse_actuals("indicators:\n  q: {tier: 很好}\n", "a.yaml")
    assert info.value.issues[0].location == SourceLocation("a.yaml", 2, 13)


@pytest.mark.parametrize("text", ['"NaN"', '"Infinity"', '"-inf"'])
def test_nan_and_infinity_are_rejected_as_weights(text: str) -> None:
    """NaN and Infinity written as text are not numbers a weight can have."""
    err = errors_of(VALID.replace("weight: 10", f"weight: {text}"))
    assert err.codes == ("schema.invalid",)
    assert "有限" in err.issues[0].message
    assert err.issues[0].location == SourceLocation("t.yaml", 5, 31)


@pytest.mark.parametrize("char", ["\x1f", "\x00", "\x7f"])
def test_control_characters_are_located(char: str) -> None:
    """PyYAML's reader refuses control characters; the refusal is a located issue (found by fuzzing)."""
    err = errors_of(VALID.replace("title: 测试", f"title: 测{char}试"))
    assert err.codes == ("yaml.control-character",)
    assert err.issues[0].location == SourceLocation("t.yaml", 3, 9)


@pytest.mark.slow
def test_a_set_of_a_hundred_thousand_indicators_loads_from_its_file(tmp_path: Path) -> None:
    """Issue 16: 100,000 indicators (7.5 MB) are within the definition-file cap and load."""
    from kpi_engine import Engine, load_indicator_set

    lines = ["kpi_engine: 1", "id: big", "title: 大", "scale: 100000", "rules: []", "indicators:"]
    for g in range(1000):
        lines += [f"  - id: g{g}", f"    name: 组{g}", "    weight: 100", "    children:"]
        lines += [
            f'      - {{id: i{g}_{i}, name: 指标{g}-{i}, weight: 1, target: "≥ 10 个"}}'
            for i in range(100)
        ]
    path = tmp_path / "big.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(Engine(load_indicator_set(path)).compiled.leaves) == 100_000
