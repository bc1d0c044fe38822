"""No formulas in the spreadsheets we write (issue 12, item 3): every CSV and XLSX writer, one case
each, fed text beginning ``= + - @ TAB CR`` in names, units, reasons, unit ids and actual text.

A CSV text cell beginning with one of those characters gets a leading apostrophe (through
:func:`kpi_engine.display.spreadsheet_text`, the one place that neutralises); an XLSX text cell is
a string cell (``data_type`` ``'s'``), never a formula element. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from kpi_engine import Engine, parse_indicator_set
from kpi_engine.cli import main

from .conftest import DEMO

PAYLOADS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
"""What a spreadsheet program would run or read as a formula, each with a distinct body."""
STARTS = ("=", "+", "-", "@", "\t", "\r")
SET_TEXT = (DEMO / "set.yaml").read_text(encoding="utf-8")
ACTUALS_TEXT = (DEMO / "actuals.yaml").read_text(encoding="utf-8")
INPUTS = dict.fromkeys(
    ["budget_initial", "budget_adjusted", "spent", "samples_done", "reports_total"], 100
)

Cell = tuple[object, str]
"""A written cell: its value as read back, and its kind (CSV: "text"; XLSX: openpyxl's data_type)."""


def _units(tmp_path: Path) -> Path:
    """One unit per payload: the payload as its id, a reason and a qualitative actual."""
    path = tmp_path / "units.jsonl"
    lines = [
        json.dumps(
            {
                "unit": payload,
                "inputs": INPUTS,
                "indicators": {"accuracy": {"actual": payload, "reason": payload}},
            }
        )
        for payload in PAYLOADS
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _csv_cells(path: Path) -> list[Cell]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [(value, "text") for row in csv.reader(handle) for value in row]


def _xlsx_cells(data: bytes) -> list[Cell]:
    import openpyxl  # noqa: TID251 - the test reads what was written with the library itself

    book = openpyxl.load_workbook(io.BytesIO(data))
    cells: list[Cell] = [
        (cell.value, cell.data_type)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        xml = b"".join(archive.read(name) for name in sheets)
    assert b"<f>" not in xml, "a formula element was written"
    assert b"<f " not in xml, "a formula element was written"
    return cells


def _batch(tmp_path: Path, summary: str, long: str) -> tuple[Path, Path]:
    out, details = tmp_path / summary, tmp_path / long
    args = ["batch", str(DEMO), "--inputs", str(_units(tmp_path)), "-o", str(out)]
    assert main([*args, "--long", str(details)]) in (0, 1)
    return out, details


def summary_csv(tmp_path: Path) -> list[Cell]:
    return _csv_cells(_batch(tmp_path, "summary.csv", "long.csv")[0])


def long_csv(tmp_path: Path) -> list[Cell]:
    return _csv_cells(_batch(tmp_path, "summary.csv", "long.csv")[1])


def summary_xlsx(tmp_path: Path) -> list[Cell]:
    return _xlsx_cells(_batch(tmp_path, "summary.xlsx", "long.xlsx")[0].read_bytes())


def long_xlsx(tmp_path: Path) -> list[Cell]:
    return _xlsx_cells(_batch(tmp_path, "summary.xlsx", "long.xlsx")[1].read_bytes())


def _hostile_set() -> str:
    """The demo set with payloads as indicator names and units."""
    text = SET_TEXT.replace("name: 食品安全监督抽检批次", f"name: {json.dumps(PAYLOADS[0])}", 1)
    text = text.replace("name: 农贸市场快检覆盖数", f"name: {json.dumps(PAYLOADS[1])}", 1)
    text = text.replace("name: 质量指标", f"name: {json.dumps(PAYLOADS[3])}", 1)
    # A unit cannot hold digits or "=" (targets are compared by unit): "@家" then.
    text = text.replace("unit: 家}", 'unit: "@家"}', 1).replace('"≥ 48 家"', '"≥ 48 @家"', 1)
    return text.replace("title: 2024年度", f"title: {json.dumps(PAYLOADS[4])}  #", 1)


def score_table(tmp_path: Path) -> list[Cell]:
    from kpi_engine.reports import render_score_table

    indicator_set = parse_indicator_set(_hostile_set(), "hostile.yaml")
    actuals = {
        "inputs": {"spent": PAYLOADS[5], "markets_checked": PAYLOADS[2]},
        "indicators": {
            "accuracy": {"actual": PAYLOADS[0], "reason": PAYLOADS[3]},
            "mechanism": {"tier": "partly", "reason": PAYLOADS[5]},
        },
    }
    evaluation = Engine(indicator_set).evaluate(actuals)
    return _xlsx_cells(render_score_table(indicator_set, evaluation, "zh"))


def score_table_cli(tmp_path: Path) -> list[Cell]:
    """``kpi table``, end to end, from hostile files on disk."""
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "set.yaml").write_text(_hostile_set(), encoding="utf-8")
    actuals = ACTUALS_TEXT.replace("reason: 25 份报告", f"reason: {json.dumps(PAYLOADS[0])} #", 1)
    assert actuals != ACTUALS_TEXT
    (folder / "actuals.yaml").write_text(actuals, encoding="utf-8")
    out = tmp_path / "table.xlsx"
    assert main(["table", str(folder), "-o", str(out)]) == 0
    return _xlsx_cells(out.read_bytes())


WRITERS: dict[str, Callable[[Path], list[Cell]]] = {
    "batch summary .csv": summary_csv,
    "batch --long .csv": long_csv,
    "batch summary .xlsx": summary_xlsx,
    "batch --long .xlsx": long_xlsx,
    "score table (render_score_table)": score_table,
    "score table (kpi table)": score_table_cli,
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_no_writer_lets_a_text_cell_become_a_formula(writer: str, tmp_path: Path) -> None:
    """Every text cell that would start a formula is neutralised; the payloads did arrive (so
    the test can fail); numbers are still numbers."""
    cells = WRITERS[writer](tmp_path)
    texts = [str(value) for value, kind in cells if kind in ("text", "s")]
    arrived = [p for p in PAYLOADS if any(p.lstrip("\t\r") in t for t in texts)]
    assert len(arrived) >= 2, f"the payloads never reached the {writer}"
    if writer.endswith(".csv"):
        live = [t for t in texts if t.startswith(STARTS) and not _is_number(t)]
        assert live == [], live
        neutralised = [t for t in texts if t.startswith("'") and t[1:].startswith(STARTS)]
        assert neutralised, "no payload was written with the apostrophe"
        assert any(_is_number(t) for t in texts), "no number was written as a plain number"
    else:
        kinds = {kind for _, kind in cells}
        assert "f" not in kinds
        assert all(kind == "s" for value, kind in cells if isinstance(value, str)), writer
        assert any(kind == "n" and isinstance(v, int | float) for v, kind in cells), writer


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return bool(text)
