"""One exception tree (every exception class in the package derives from KpiEngineError) and the
one problem record (Issue) the exceptions carry."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import kpi_engine
from kpi_engine.errors import (
    DefinitionError,
    EvaluationError,
    FormulaError,
    Issue,
    KpiEngineError,
    MissingExtraError,
    SourceLocation,
)
from kpi_engine.formula import compile_formula
from kpi_engine.targets import TargetSyntaxError, parse_target

from .conftest import ROOT

SRC = ROOT / "src" / "kpi_engine"


def package_modules() -> list[ModuleType]:
    """Every module of kpi_engine, skipping those whose optional library is not installed."""
    modules = [kpi_engine]
    for info in pkgutil.walk_packages(kpi_engine.__path__, "kpi_engine."):
        try:
            modules.append(importlib.import_module(info.name))
        except ImportError as exc:  # an optional extra (reports, dask, spark) is not installed
            if isinstance(exc, MissingExtraError):
                continue
            if (exc.name or "kpi_engine").split(".")[0] == "kpi_engine":
                raise
    return modules


def exception_classes() -> list[type[BaseException]]:
    """The exception classes defined (not merely imported) in the package's modules."""
    found = {
        cls
        for module in package_modules()
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == module.__name__
    }
    return sorted(found, key=lambda cls: (cls.__module__, cls.__name__))


def test_the_walk_finds_the_package_exceptions() -> None:
    """The walk reaches every layer (so the next tests mean something)."""
    names = {cls.__name__ for cls in exception_classes()}
    assert {
        "KpiEngineError",
        "DefinitionError",
        "FormulaError",
        "EvaluationError",
        "MissingOperandError",
        "TargetSyntaxError",
        "IndicatorNotFoundError",
        "MissingExtraError",
    } <= names


def test_every_exception_class_derives_from_kpi_engine_error() -> None:
    """An embedding application can catch KpiEngineError and know nothing else escapes; private
    classes too, so none can leak by accident."""
    stray = [
        f"{cls.__module__}.{cls.__name__}"
        for cls in exception_classes()
        if not issubclass(cls, KpiEngineError)
    ]
    assert stray == []


def test_ours_first_then_the_builtin_it_behaves_like() -> None:
    """Errors that behave like built-ins derive from both, KpiEngineError first."""
    from kpi_engine.results import IndicatorNotFoundError

    for cls, builtin in (
        (TargetSyntaxError, ValueError),
        (IndicatorNotFoundError, LookupError),
        (MissingExtraError, ImportError),
    ):
        assert cls.__bases__ == (KpiEngineError, builtin)


def test_a_bad_target_is_caught_as_either() -> None:
    """Callers catching ValueError keep working; callers catching KpiEngineError see it too."""
    with pytest.raises(ValueError, match="target"):
        parse_target("效果明显")
    with pytest.raises(KpiEngineError):
        parse_target("效果明显")


def test_missing_extra_error_names_the_extra_chinese_first() -> None:
    """The message says what to install, in Chinese then English, and keeps ImportError.name."""
    exc = MissingExtraError("python-docx")
    text = str(exc)
    assert text.startswith("此功能需要安装可选依赖")
    assert "pip install 'kpi_engine[reports]'" in text
    assert "python-docx" in exc.text("zh")
    assert exc.text("en").startswith("this needs the reports extra")
    assert exc.name == "python-docx"
    assert isinstance(exc, ImportError)


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
