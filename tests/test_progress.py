"""Progress on long work: a bar with total, rate and time left on a terminal, nothing elsewhere."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from kpi_engine.cli import main
from kpi_engine.progress import count_lines, progress

from .conftest import SETS


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_bar_on_a_terminal_shows_total_rate_and_time_left() -> None:
    stream = Terminal()
    bar = progress(stream, 400, "units", "kpi batch", every=0)
    for done in range(1, 401):
        bar.update(done)
    bar.close()
    drawn = stream.getvalue()
    assert "kpi batch" in drawn
    assert "400/400" in drawn
    assert "units/s" in drawn
    assert "<" in drawn  # [elapsed<left]


def test_nothing_is_drawn_on_a_stream_that_is_not_a_terminal() -> None:
    stream = io.StringIO()
    bar = progress(stream, 10, "units")
    bar.update(5)
    bar.close()
    assert stream.getvalue() == ""


def test_nothing_is_drawn_when_disabled_even_on_a_terminal() -> None:
    stream = Terminal()
    bar = progress(stream, 10, "units", enabled=False)
    bar.update(5)
    bar.close()
    assert stream.getvalue() == ""


def test_without_tqdm_a_terminal_gets_a_plain_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    stream = Terminal()
    bar = progress(stream, None, "units")
    for done in range(1, 401):
        bar.update(done)
    bar.close()
    assert stream.getvalue() == "\r200 units\r400 units\n"


def test_a_total_that_was_an_estimate_grows_instead_of_overflowing() -> None:
    stream = Terminal()
    bar = progress(stream, 2, "units", every=0)
    for done in range(1, 6):
        bar.update(done)
    bar.close()
    assert "5/5" in stream.getvalue()


def test_count_lines_counts_units_of_csv_and_json_lines_files(tmp_path: Path) -> None:
    """Header lines are not units; a last line without a newline is; xlsx gives no estimate."""
    (tmp_path / "a.csv").write_text("unit,x\nu1,1\nu2,2\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"unit": "u3"}\n{"unit": "u4"}', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored\n", encoding="utf-8")
    assert count_lines(tmp_path / "a.csv") == 2
    assert count_lines(tmp_path / "b.jsonl") == 2
    assert count_lines(tmp_path) == 4
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    assert count_lines(tmp_path / "empty.csv") == 0
    (tmp_path / "c.xlsx").write_bytes(b"")
    assert count_lines(tmp_path) is None
    assert count_lines(tmp_path / "missing.csv") is None


def test_batch_writes_no_progress_to_a_pipe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Piped (as in CI or a script), kpi batch's stderr holds only its summary line."""
    units = tmp_path / "units.csv"
    units.write_text("unit,samples_done\nu1,3000\nu2,2900\n", encoding="utf-8")
    demo = SETS / "project-demo-2024"
    assert main(["batch", str(demo), "--inputs", str(units), "-o", str(tmp_path / "o.csv")]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "\r" not in err
    assert err.count("\n") == 1
    assert (
        main(["batch", "-q", str(demo), "--inputs", str(units), "-o", str(tmp_path / "p.csv")]) == 0
    )
    assert capsys.readouterr() == ("", "")
