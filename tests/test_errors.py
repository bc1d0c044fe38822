"""The one problem record: Issue, and the exceptions that carry one."""

from __future__ import annotations

import pytest

from kpi_engine.errors import (
    DefinitionError,
    EvaluationError,
    FormulaError,
    Issue,
    SourceLocation,
)
from kpi_engine.formula import compile_formula

HERE = SourceLocation("set.yaml", 3, 7)


def test_a_problem_can_be_built_without_a_place_and_located_later() -> None:
    """Issue(code, zh, en) has no location; located() gives the same problem at a place."""
    bare = Issue("x.code", "中文", "English")
    assert bare.location is None
    assert bare.format("en") == "x.code: English"
    assert bare.format("zh", default_source="<命令行>") == "<命令行>: x.code: 中文"
    at = bare.located(HERE)
    assert at == Issue("x.code", "中文", "English", HERE)
    assert at.format("zh") == "set.yaml:3:7: x.code: 中文"
    assert at.located(None) == bare


def test_text_picks_the_language() -> None:
    """text() is the message in the language asked for."""
    issue = Issue("x.code", "中文", "English")
    assert (issue.text("zh"), issue.text("en"), issue.text()) == ("中文", "English", "中文")


def test_reworded_keeps_code_and_place() -> None:
    """A better hint changes the words only."""
    issue = Issue("x.code", "旧", "old", HERE).reworded("新", "new")
    assert issue == Issue("x.code", "新", "new", HERE)


def test_a_column_inside_a_text_becomes_a_column_in_the_file() -> None:
    """Column 1 of a formula is where the formula starts; column n is n - 1 further on."""
    assert HERE.at_column(1) == HERE
    assert HERE.at_column(5) == SourceLocation("set.yaml", 3, 11)


def test_formula_error_carries_its_record_and_keeps_its_attributes() -> None:
    """FormulaError.issue is the record (no place: col counts inside the formula)."""
    with pytest.raises(FormulaError) as info:
        compile_formula("a +* b")
    exc = info.value
    assert exc.issue == Issue(exc.code, exc.message, exc.message_en)
    assert exc.issue.location is None
    assert exc.code == "formula.syntax"
    assert exc.col >= 1


def test_evaluation_error_carries_its_record_and_keeps_its_attributes() -> None:
    """EvaluationError.issue is the record; code, texts and missing stay as they were."""
    exc = EvaluationError("formula.division-by-zero", "除数为零", "division by zero", ("b",))
    assert exc.issue == Issue("formula.division-by-zero", "除数为零", "division by zero")
    assert exc.issue.text("en") == exc.text("en") == "division by zero"
    assert exc.missing == ("b",)
    assert str(exc) == "formula.division-by-zero: division by zero"


def test_definition_error_sorts_by_place_and_drops_repeats() -> None:
    """Issues are reported by file, line and column, each once; unlocated ones first."""
    late = Issue("b.code", "乙", "b", SourceLocation("set.yaml", 9, 1))
    early = Issue("a.code", "甲", "a", SourceLocation("set.yaml", 2, 5))
    bare = Issue("c.code", "丙", "c")
    error = DefinitionError([late, early, late, bare])
    assert error.issues == (bare, early, late)
    assert error.codes == ("c.code", "a.code", "b.code")
