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
}  # file and column names


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
