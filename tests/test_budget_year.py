"""docs/budget-year.md runs: each `$ kpi …` line, in order, in a fresh folder, exits 0, and the
steps say what the chapter says they say."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from kpi_engine.cli import main

DOC = Path(__file__).resolve().parent.parent / "docs" / "budget-year.md"


def test_every_command_in_docs_budget_year_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = DOC.read_text(encoding="utf-8")
    commands = [
        shlex.split(line[2:])
        for block in re.findall(r"```console\n(.*?)```", text, re.DOTALL)
        for line in block.splitlines()
        if line.startswith("$ kpi ")
    ]
    assert len(commands) >= 9
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KPI_DB", raising=False)
    outputs = []
    for argv in commands:
        assert main(argv[1:]) == 0, argv
        outputs.append(capsys.readouterr().out)
    assert commands[1][1:3] == ["lint", "--stage"]
    assert "审核意见：通过" in outputs[1]
    assert "year.deviation_unexplained" in outputs[6]
    assert "declare.below_last_year" in outputs[-1]
    assert "审核意见：修改后通过" in outputs[-1]
    assert (tmp_path / "declaration.xlsx").is_file()
    assert (tmp_path / "monitoring.xlsx").is_file()
    assert "| Quantity delivered |" in (tmp_path / "monitoring.md").read_text(encoding="utf-8")
