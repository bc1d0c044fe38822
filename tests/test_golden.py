"""Golden files: every shipped indicator set evaluates to exactly its recorded result.

Regenerate after an intended change with ``KPI_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and
review the diff like code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kpi_engine import evaluate, load_actuals, load_indicator_set
from kpi_engine.reports import render_text

from .conftest import SETS

GOLDEN = Path(__file__).resolve().parent / "golden"
SHIPPED = sorted(p for p in SETS.iterdir() if (p / "set.yaml").is_file())


def _check(path: Path, text: str) -> None:
    if os.environ.get("KPI_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden file {path.name}: run with KPI_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_there_is_at_least_one_shipped_set() -> None:
    """The README's main command needs a shipped set."""
    assert SHIPPED


@pytest.mark.parametrize("set_dir", SHIPPED, ids=lambda p: p.name)
def test_shipped_set_matches_its_golden_evaluation(set_dir: Path) -> None:
    """JSON and text output of each shipped set are pinned."""
    actuals = set_dir / "actuals.yaml"
    e = evaluate(load_indicator_set(set_dir), load_actuals(actuals) if actuals.is_file() else None)
    data = e.to_dict()
    data["provenance"].pop("engine")  # the version changes with releases, not with results
    _check(GOLDEN / f"{set_dir.name}.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    _check(GOLDEN / f"{set_dir.name}.txt", render_text(e))
