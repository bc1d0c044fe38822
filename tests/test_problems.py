"""The one collector of definition problems: located by path, by key, by formula column."""

from __future__ import annotations

import pytest

from kpi_engine.errors import DefinitionError, FormulaError, Issue, SourceLocation
from kpi_engine.formula import compile_formula
from kpi_engine.loading import read_yaml
from kpi_engine.problems import Problems

TEXT = """\
indicators:
  - id: a
    value: "spent / budget"
    weight: 10
"""


@pytest.fixture
def problems() -> Problems:
    _, smap, found = read_yaml(TEXT, "set.yaml")
    assert found == []
    return Problems(smap)


def test_a_path_is_located_at_its_value(problems: Problems) -> None:
    """add(code, zh, en, path): one call, located through the source map."""
    problems.add("x.weight", "权重", "weight", ("indicators", 0, "weight"))
    assert problems.issues == [
        Issue("x.weight", "权重", "weight", SourceLocation("set.yaml", 4, 13))
    ]


def test_key_true_is_located_at_the_key(problems: Problems) -> None:
    """key=True points at the key itself (an unknown or misspelt name)."""
    assert problems.locate(("indicators", 0, "weight"), key=True) == SourceLocation(
        "set.yaml", 4, 5
    )


def test_a_missing_path_falls_back_to_its_nearest_parent(problems: Problems) -> None:
    """Every problem gets some place, even for a key that is not in the file."""
    assert problems.locate(("indicators", 0, "target")) == SourceLocation("set.yaml", 2, 5)
    assert problems.locate(("nowhere",)) == SourceLocation("set.yaml", 1, 1)


def test_a_formula_column_is_counted_from_the_formula_text(problems: Problems) -> None:
    """col=n is the n-th character of the formula (inside the quotes), in the file's columns."""
    path = ("indicators", 0, "value")
    start = problems.locate(path)
    assert start == SourceLocation("set.yaml", 3, 13)  # just inside the quote
    problems.add("x.name", "名称", "name", path, col=9)
    (issue,) = problems.issues
    assert issue.location == SourceLocation("set.yaml", 3, 21)
    assert TEXT.splitlines()[2][issue.location.col - 1 :].startswith("budget")


def test_a_formula_error_is_located_at_its_own_column(problems: Problems) -> None:
    """add_formula_error puts FormulaError's record at its column inside the text at path."""
    with pytest.raises(FormulaError) as info:
        compile_formula("spent +* budget")
    problems.add_formula_error(info.value, ("indicators", 0, "value"))
    (issue,) = problems.issues
    assert issue.located(None) == info.value.issue
    assert issue.location == SourceLocation("set.yaml", 3, 13 + info.value.col - 1)


def test_a_known_place_is_taken_as_it_is(problems: Problems) -> None:
    """A SourceLocation (a YAML node's mark) needs no path; col still moves along the line."""
    here = SourceLocation("other.yaml", 5, 2)
    assert problems.locate(here) == here
    assert problems.locate(here, col=3) == SourceLocation("other.yaml", 5, 4)


def test_a_file_without_a_map_locates_everything_at_its_start() -> None:
    """in_file(): for problems found before a document is parsed (size, encoding)."""
    assert Problems.in_file("big.yaml").locate(("a", 0)) == SourceLocation("big.yaml", 1, 1)


def test_many_problems_are_raised_once_sorted_by_place(problems: Problems) -> None:
    """Everything collected (and extended from elsewhere) is one DefinitionError, sorted."""
    problems.add("x.late", "后", "late", ("indicators", 0, "weight"))
    problems.add("x.early", "前", "early", ("indicators", 0, "id"), key=True)
    problems.extend([Issue("x.other", "他", "other", SourceLocation("a.yaml", 9, 9))])
    issue = problems.issue("x.unsaved", "未收", "not collected", ("indicators",))
    assert issue.location == SourceLocation("set.yaml", 2, 3)
    assert len(problems.issues) == 3
    with pytest.raises(DefinitionError) as info:
        problems.raise_if_any()
    assert info.value.codes == ("x.other", "x.early", "x.late")
    assert info.value.report("en").splitlines() == [
        "a.yaml:9:9: x.other: other",
        "set.yaml:2:5: x.early: early",
        "set.yaml:4:13: x.late: late",
    ]


def test_nothing_collected_raises_nothing(problems: Problems) -> None:
    """raise_if_any() is silent when the document is clean."""
    problems.raise_if_any()
    assert problems.issues == []


def test_fail_adds_one_more_and_raises_everything(problems: Problems) -> None:
    """fail() is for a problem that stops the reading: it raises what was found with it."""
    problems.add("x.first", "一", "first", ("indicators", 0, "id"))
    with pytest.raises(DefinitionError) as info:
        problems.fail("x.stop", "停", "stop")
    assert set(info.value.codes) == {"x.first", "x.stop"}
    assert info.value.__suppress_context__
