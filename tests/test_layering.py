"""Layering: the core imports no CLI, report or optional library; third parties stay behind one door."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_engine.errors import MissingExtraError

SRC = Path(__file__).resolve().parent.parent / "src" / "kpi_engine"


def test_import_kpi_engine_loads_only_the_core() -> None:
    """`import kpi_engine` needs pydantic, simpleeval and pyyaml only — no reports, no CLI."""
    code = "import sys, kpi_engine; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert "kpi_engine.cli" not in loaded
    assert not any(m.startswith("kpi_engine.reports") for m in loaded)
    assert not loaded & {"jinja2", "markupsafe", "openpyxl", "docx", "hypothesis", "argparse"}


def test_import_kpi_engine_reports_loads_no_optional_library() -> None:
    """The public renderers are importable without the reports extra; each library loads on call."""
    code = (
        "import sys, kpi_engine.reports as r; r.render_text; r.render_report_html; "
        "print(' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert not loaded & {"jinja2", "markupsafe", "openpyxl", "docx"}
    assert not loaded & set(DOORS.values())


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_yaml_and_simpleeval_each_have_one_door() -> None:
    """Only loading.py imports yaml; only formula.py imports simpleeval."""
    for path in SRC.rglob("*.py"):
        imported = _imports(path)
        if "yaml" in imported:
            assert path.name == "loading.py", path
        if "simpleeval" in imported:
            assert path.name == "formula.py", path


# Each optional library, the one module that may import it, and the extra that brings it.
LIBRARIES = {
    "openpyxl": "workbooks.py",
    "jinja2": "reports/report_html.py",
    "markupsafe": "reports/report_html.py",
    "docx": "reports/report_docx.py",
    "tqdm": "progress.py",
}
DOORS = {
    "openpyxl": "kpi_engine.workbooks",
    "jinja2": "kpi_engine.reports.report_html",
    "docx": "kpi_engine.reports.report_docx",
}
# Modules that import a door at load time, so they need its library too.
BEHIND = {"openpyxl": ("kpi_engine.importing", "kpi_engine.reports.score_table_xlsx")}


def test_each_optional_library_has_one_door() -> None:
    """openpyxl, jinja2 (with markupsafe) and python-docx are each imported by one module only."""
    for path in SRC.rglob("*.py"):
        where = path.relative_to(SRC).as_posix()
        for library in _imports(path) & set(LIBRARIES):
            assert where == LIBRARIES[library], (where, library)


def test_only_the_cli_prints_and_every_module_logs_by_its_name() -> None:
    """The library never prints (it logs, and cli.py decides what reaches the terminal); each
    logger is ``logging.getLogger(__name__)``, so -v/-q and applications can tune it by module."""
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(
                node.func, ast.Attribute | ast.Name
            ):
                continue
            if isinstance(node.func, ast.Name) and node.func.id == "print":
                assert path.name == "cli.py", path
            if isinstance(node.func, ast.Attribute) and node.func.attr == "getLogger":
                assert [ast.unparse(a) for a in node.args] in (["__name__"], ["'kpi_engine'"]), path


def without(monkeypatch: pytest.MonkeyPatch, library: str) -> None:
    """Make ``library`` unimportable for one test, and forget the modules that loaded it."""
    monkeypatch.setitem(sys.modules, library, None)
    for name in (DOORS[library], *BEHIND.get(library, ())):
        monkeypatch.delitem(sys.modules, name, raising=False)


@pytest.mark.parametrize("library", sorted(DOORS))
def test_a_door_without_its_library_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, library: str
) -> None:
    """Importing a door without its library raises MissingExtraError (an ImportError) saying what to install."""
    without(monkeypatch, library)
    with pytest.raises(MissingExtraError) as info:
        importlib.import_module(DOORS[library])
    assert "pip install 'kpi_engine[reports]'" in str(info.value)
    assert str(info.value).startswith("此功能需要安装可选依赖")
    assert isinstance(info.value, ImportError)


def test_scoring_and_grading_never_see_yaml_formulas_or_models() -> None:
    """The maths modules import only the standard library and errors."""
    for name in ("scoring.py", "grading.py"):
        imported = _imports(SRC / name)
        assert imported <= {
            "__future__",
            "collections",
            "dataclasses",
            "decimal",
            "itertools",
            "kpi_engine",
            "typing",
        }
        text = (SRC / name).read_text(encoding="utf-8")
        assert "kpi_engine.models" not in text
        assert "kpi_engine.formula" not in text


def test_import_kpi_engine_loads_no_database_library() -> None:
    """The history store's SQLAlchemy, Alembic and psycopg load only with kpi_engine.history."""
    code = "import sys, kpi_engine, kpi_engine.cli; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert not loaded & {"sqlalchemy", "alembic", "psycopg"}
    assert not any(m.startswith("kpi_engine.history") for m in loaded)


def test_sqlalchemy_and_alembic_stay_inside_kpi_engine_history() -> None:
    """Only modules of kpi_engine.history import sqlalchemy, alembic or psycopg."""
    for path in SRC.rglob("*.py"):
        where = path.relative_to(SRC).as_posix()
        if _imports(path) & {"sqlalchemy", "alembic", "psycopg"}:
            assert where.startswith("history/"), where


def test_the_history_package_without_its_library_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Importing kpi_engine.history without SQLAlchemy raises MissingExtraError naming history."""
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    for name in [m for m in sys.modules if m.startswith("kpi_engine.history")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(MissingExtraError) as info:
        importlib.import_module("kpi_engine.history")
    assert "pip install 'kpi_engine[history]'" in str(info.value)
