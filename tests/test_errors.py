"""One exception tree: every exception class in the package derives from KpiEngineError."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import sys
from types import ModuleType

import pytest

import kpi_engine
from kpi_engine.errors import KpiEngineError, MissingExtraError
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


def _names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.name.split(".")[-1])
    return names


def _used_outside(cls: type[BaseException]) -> list[str]:
    """Modules other than its own that name the class."""
    own = sys.modules[cls.__module__].__file__
    return [
        path.name
        for path in SRC.rglob("*.py")
        if str(path) != own and cls.__name__ in _names(ast.parse(path.read_text(encoding="utf-8")))
    ]


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


def test_every_public_exception_derives_from_kpi_engine_error() -> None:
    """An embedding application can catch KpiEngineError and know nothing else escapes."""
    stray = [
        f"{cls.__module__}.{cls.__name__}"
        for cls in exception_classes()
        if not cls.__name__.startswith("_") and not issubclass(cls, KpiEngineError)
    ]
    assert stray == []


def test_private_exceptions_outside_the_tree_never_leave_their_module() -> None:
    """A private exception not in the tree is a control-flow signal, caught where it is raised."""
    for cls in exception_classes():
        if cls.__name__.startswith("_") and not issubclass(cls, KpiEngineError):
            assert _used_outside(cls) == [], cls


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
