"""docs/errors.md documents every code the package can raise or record."""

from __future__ import annotations

import ast
import re

from .conftest import ROOT

SRC = ROOT / "src" / "kpi_engine"
CODE = re.compile(r"^[a-z]+\.[a-z][a-z0-9_-]*$")
NOT_CODES = {
    "actuals.yaml",
    "set.yaml",
    "flags.error",
    "flags.warning",
    "flags.info",
    "evaluations.id",
}  # file, column and SQL column names


def _codes() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if CODE.match(node.value) and node.value not in NOT_CODES:
                    found.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                text = "".join(
                    str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values
                )
                if text in ("input.{}", "actual.{}"):
                    prefix = text.split(".")[0]
                    found |= {f"{prefix}.not-numeric", f"{prefix}.not-finite"}
    return found


def test_code_scan_finds_the_known_families() -> None:
    """The scan sees codes of every stage (so the next test means something)."""
    prefixes = {code.split(".")[0] for code in _codes()}
    assert {"yaml", "schema", "formula", "weights", "score", "actuals", "rules", "data"} <= prefixes


def test_every_code_is_documented() -> None:
    """Each code appears in docs/errors.md as `code`."""
    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    missing = sorted(code for code in _codes() if f"`{code}`" not in doc)
    assert missing == []


def _tree(text: str) -> list[str]:
    """The lines of the drawn exception tree: from ``KpiEngineError`` to the last branch."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "KpiEngineError")
    indent = len(lines[start]) - len(lines[start].lstrip())
    tree = []
    for line in lines[start:]:
        if not line.strip() or line.strip().startswith("```"):
            break
        tree.append(line[indent:].rstrip())
    return tree


def test_the_exception_tree_is_drawn_the_same_in_the_docs_and_the_code() -> None:
    """docs/errors.md shows the tree of the errors module's docstring, line for line."""
    from kpi_engine import errors

    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert _tree(doc) == _tree(errors.__doc__ or "")


def test_every_exception_class_is_in_the_documented_tree() -> None:
    """Each public exception class the package defines is named in the tree in docs/errors.md."""
    from .test_errors import exception_classes

    tree = _tree((ROOT / "docs" / "errors.md").read_text(encoding="utf-8"))
    drawn = {tree[0]} | {line.split("── ")[1].split()[0] for line in tree if "── " in line}
    public = {cls.__name__ for cls in exception_classes() if not cls.__name__.startswith("_")}
    assert public == drawn
