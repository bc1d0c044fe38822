"""Layering: the core imports no CLI, report or optional library; third parties stay behind one door."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "kpi_engine"


def test_import_kpi_engine_loads_only_the_core() -> None:
    """`import kpi_engine` needs pydantic, simpleeval and pyyaml only — no reports, no CLI."""
    code = "import sys, kpi_engine; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert "kpi_engine.cli" not in loaded
    assert not any(m.startswith("kpi_engine.reports") for m in loaded)
    assert not loaded & {"jinja2", "openpyxl", "docx", "hypothesis", "argparse"}


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
