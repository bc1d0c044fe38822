"""Batch evaluation: streaming, one output row per input row, identical results in a process pool."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from kpi_engine import DefinitionError, Engine, Evaluation, load_indicator_set
from kpi_engine.batch import UnitFailure, UnitRow, WorkerSetup, evaluate_rows, read_rows
from kpi_engine.cli import main

from .conftest import EXTRA_PACK, SETS

DEMO = SETS / "project-demo-2024"
INPUTS = [
    "budget_initial",
    "budget_adjusted",
    "spent",
    "samples_done",
    "markets_checked",
    "reports_total",
    "reports_valid",
    "nonconforming_found",
    "nonconforming_handled",
    "publish_days",
    "disposal_days",
    "accidents",
    "respondents",
    "satisfied",
]


def _row(i: int) -> list[object]:
    return [
        f"U{i:03d}",
        800,
        760,
        700 + i % 60,
        2900 + i,
        48,
        3126,
        3100,
        94,
        90,
        20 + i % 6,
        30,
        0,
        412,
        370 + i % 40,
        "达成",
    ]


@pytest.fixture
def units_csv(tmp_path: Path) -> Path:
    path = tmp_path / "units.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unit", *INPUTS, "mechanism.tier"])
        for i in range(60):
            row = _row(i)
            if i == 7:
                row[3] = "完成"  # bad data in one unit: an indicator status, not a lost row
            writer.writerow(row)
    return path


@pytest.fixture
def engine() -> Engine:
    return Engine(load_indicator_set(DEMO))


def test_evaluate_many_equals_evaluate_row_by_row(engine: Engine) -> None:
    """The streaming API gives exactly what one evaluate per row gives, in order."""
    rows = [{"inputs": {"spent": 700 + i, "budget_adjusted": 760}} for i in range(5)]
    rows.insert(2, {"inputs": {"spnet": 1}})
    results = list(engine.evaluate_many(iter(rows)))
    assert len(results) == len(rows)
    assert isinstance(results[2], DefinitionError)
    for row, result in zip(rows, results, strict=True):
        if isinstance(result, Evaluation):
            assert result.to_dict() == engine.evaluate(row).to_dict()


def test_csv_batch_writes_one_row_per_unit(
    units_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kpi batch: counts in and out match; the long file has unit × indicator rows."""
    out, long = tmp_path / "out.csv", tmp_path / "long.jsonl"
    assert (
        main(["batch", str(DEMO), "--inputs", str(units_csv), "-o", str(out), "--long", str(long)])
        == 0
    )
    assert "读入 60 个单位，写出 60 行" in capsys.readouterr().err
    with out.open(encoding="utf-8-sig") as handle:
        records = list(csv.DictReader(handle))
    assert [r["unit"] for r in records] == [f"U{i:03d}" for i in range(60)]
    # The bad figure became error statuses and flags on the rows that read it (two indicators).
    assert records[7]["flags.error"] == "2"
    assert records[6]["flags.error"] == "0"
    assert len(long.read_text(encoding="utf-8").splitlines()) == 60 * 12
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_process_pool_gives_identical_results(units_csv: Path, tmp_path: Path) -> None:
    """--jobs 2 writes the same file as the serial run, in input order."""
    serial, pooled = tmp_path / "serial.csv", tmp_path / "pooled.csv"
    assert main(["batch", str(DEMO), "--inputs", str(units_csv), "-o", str(serial)]) == 0
    assert (
        main(["batch", str(DEMO), "--inputs", str(units_csv), "-o", str(pooled), "--jobs", "2"])
        == 0
    )
    assert serial.read_bytes() == pooled.read_bytes()


def test_process_pool_applies_extra_rule_packs_like_the_serial_run(
    units_csv: Path, tmp_path: Path
) -> None:
    """--rules FILE reaches the worker processes: the flag counts match the serial run's."""
    pack = tmp_path / "extra.yaml"
    pack.write_text(EXTRA_PACK, encoding="utf-8")
    serial, pooled = tmp_path / "serial.csv", tmp_path / "pooled.csv"
    common = ["batch", str(DEMO), "--inputs", str(units_csv), "--rules", str(pack)]
    assert main([*common, "-o", str(serial)]) == 0
    assert main([*common, "-o", str(pooled), "--jobs", "2"]) == 0
    assert serial.read_bytes() == pooled.read_bytes()
    header, first = serial.read_text(encoding="utf-8-sig").splitlines()[:2]
    errors = dict(zip(header.split(","), first.split(","), strict=True))["flags.error"]
    assert int(errors) >= 12  # the extra pack's error on every weighted row


def test_bad_rows_become_error_records_never_dropped(engine: Engine, tmp_path: Path) -> None:
    """Broken JSON, a non-object and an unknown indicator each yield an error record."""
    path = tmp_path / "units.jsonl"
    lines = [
        json.dumps({"unit": "A", "inputs": {"spent": 700, "budget_adjusted": 760}}),
        "{not json",
        "[1, 2]",
        json.dumps({"unit": "D", "indicators": {"samplez": {"actual": 1}}}),
        "",
        json.dumps({"unit": "E", "spent": 10, "budget_adjusted": 20}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = list(evaluate_rows(engine, read_rows(path, engine.compiled)))
    assert [type(r).__name__ for _, r in results] == [
        "Evaluation",
        "UnitFailure",
        "UnitFailure",
        "UnitFailure",
        "Evaluation",
    ]
    failure = results[3][1]
    assert isinstance(failure, UnitFailure)
    assert "samples" in failure.message


def test_unknown_columns_stop_the_file_with_a_suggestion(engine: Engine, tmp_path: Path) -> None:
    """A misspelt header is a definition error for the whole file, with its column."""
    path = tmp_path / "units.csv"
    path.write_text("unit,spnet\nA,1\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        list(read_rows(path, engine.compiled))
    assert info.value.codes == ("batch.unknown-column",)
    assert info.value.issues[0].location is not None
    assert info.value.issues[0].location.col == 2
    assert "spent" in info.value.issues[0].message


def test_xlsx_in_and_out(engine: Engine, units_csv: Path, tmp_path: Path) -> None:
    """An .xlsx table in, an .xlsx summary out, numbers as numbers."""
    import openpyxl  # noqa: TID251 - tests build and read files with the library itself

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    with units_csv.open(encoding="utf-8") as handle:
        for row in csv.reader(handle):
            sheet.append([float(c) if c.replace(".", "").isdigit() else c for c in row])
    source = tmp_path / "units.xlsx"
    book.save(source)
    out = tmp_path / "out.xlsx"
    assert main(["batch", str(DEMO), "--inputs", str(source), "-o", str(out)]) == 0
    result = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in result[1]]
    assert result.max_row == 61
    assert isinstance(result.cell(2, header.index("total") + 1).value, int | float)


def test_rows_from_python_objects(engine: Engine) -> None:
    """evaluate_rows accepts UnitRow objects built by an application."""
    rows = [UnitRow(f"u{i}", "app", {"inputs": {"spent": 700 + i}}) for i in range(3)]
    keys = [key for (key, _), _ in evaluate_rows(engine, rows)]
    assert keys == ["u0", "u1", "u2"]


def test_evaluate_rows_in_a_pool_gives_the_serial_evaluations(engine: Engine) -> None:
    """Whole evaluations from worker processes equal the serial ones, in input order."""
    rows = [UnitRow(f"u{i}", "app", {"inputs": {"spent": 600 + i}}) for i in range(7)]
    setup = WorkerSetup((DEMO / "set.yaml").read_text(encoding="utf-8"), str(DEMO / "set.yaml"))
    serial = list(evaluate_rows(engine, rows))
    pooled = list(evaluate_rows(engine, rows, jobs=2, setup=setup, chunk=2))
    assert pooled == serial


def test_a_pool_refuses_an_engine_its_workers_cannot_rebuild(
    engine: Engine, tmp_path: Path
) -> None:
    """Extra packs given as objects cannot reach the workers: a clear error, not other flags."""
    from kpi_engine.rulepacks import load_pack

    pack = tmp_path / "extra.yaml"
    pack.write_text(EXTRA_PACK, encoding="utf-8")
    with_extra = Engine(engine.indicator_set, (load_pack(pack),))
    setup = WorkerSetup((DEMO / "set.yaml").read_text(encoding="utf-8"), str(DEMO / "set.yaml"))
    rows = [UnitRow("u", "app", {})]
    with pytest.raises(ValueError, match="rule_files"):
        list(evaluate_rows(with_extra, rows, jobs=2, setup=setup))
    with_files = WorkerSetup(setup.set_text, setup.source, (str(pack),))
    assert len(list(evaluate_rows(with_extra, rows, jobs=2, setup=with_files))) == 1


def test_a_rubric_column_lists_the_points_met(tmp_path: Path) -> None:
    """A `<id>.met` CSV cell (“制度健全、执行到位”) scores a rubric row like the YAML list does."""
    from kpi_engine import parse_indicator_set

    text = (
        "kpi_engine: 1\nid: r\ntitle: 评分要点\nindicators:\n"
        "  - {id: system, name: 制度建设, weight: 4, kind: qualitative, method: rubric,\n"
        "     rubric: [{item: 制度健全, points: 2}, {item: 执行到位, points: 2}]}\n"
    )
    engine = Engine(parse_indicator_set(text))
    path = tmp_path / "units.csv"
    path.write_text("unit,system.met\nA,制度健全、执行到位\nB,执行到位\n", encoding="utf-8")
    results = [r for _, r in evaluate_rows(engine, read_rows(path, engine.compiled))]
    assert [r.indicator("system").score for r in results if isinstance(r, Evaluation)] == [4, 2]


def test_csv_is_rounded_for_people_and_json_lines_keep_every_digit(
    units_csv: Path, tmp_path: Path
) -> None:
    """--long .csv (opened in Excel/WPS) shows computed actuals to the set's places and keeps
    scores' zeros; .jsonl (read by programs) keeps the exact decimal strings."""
    people, machine = tmp_path / "long.csv", tmp_path / "long.jsonl"
    for long in (people, machine):
        args = ["batch", str(DEMO), "--inputs", str(units_csv), "-o", str(tmp_path / "s.csv")]
        assert main([*args, "--long", str(long)]) == 0
    with people.open(encoding="utf-8-sig") as handle:
        shown = {(r["unit"], r["indicator"]): r for r in csv.DictReader(handle)}
    exact = {
        (r["unit"], r["indicator"]): r
        for r in map(json.loads, machine.read_text(encoding="utf-8").splitlines())
    }
    # U000: 3100 of 3126 reports valid = 99.168266154830454254638515…%
    assert exact["U000", "accuracy"]["value"].startswith("99.16826615483045425463851")
    assert shown["U000", "accuracy"]["value"] == "99.17"
    assert shown["U000", "accuracy"]["score"] == exact["U000", "accuracy"]["score"] == "8.00"
    assert shown["U000", "samples"]["value"] == exact["U000", "samples"]["value"] == "2900"
    assert all(len(r["value"].partition(".")[2]) <= 4 for r in shown.values())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_die_with_their_parent(units_csv: Path, tmp_path: Path) -> None:
    """kill -9 of `kpi batch --jobs 2` leaves no worker running."""
    import os
    import signal
    import subprocess
    import time

    big = tmp_path / "big.csv"
    lines = units_csv.read_text(encoding="utf-8").splitlines()
    big.write_text("\n".join([lines[0], *(lines[1:] * 1500)]) + "\n", encoding="utf-8")
    code = "import sys; from kpi_engine.cli import main; sys.exit(main(sys.argv[1:]))"
    args = [str(DEMO), "--inputs", str(big), "-o", str(tmp_path / "o.csv"), "--jobs", "2"]
    parent = subprocess.Popen([sys.executable, "-c", code, "batch", *args])
    children_file = Path(f"/proc/{parent.pid}/task/{parent.pid}/children")
    children: list[int] = []
    deadline = time.monotonic() + 60
    while not children and time.monotonic() < deadline and parent.poll() is None:
        time.sleep(0.1)
        try:
            children = [int(p) for p in children_file.read_text().split()]
        except OSError:
            children = []
    assert children, "the batch ended before its workers could be seen"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 20
    alive = children
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in alive if Path(f"/proc/{pid}").exists() and _running(pid)]
    assert alive == []


def _running(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_csv_saved_by_excel_on_chinese_windows_is_read(units_csv: Path, tmp_path: Path) -> None:
    """GB18030 (Excel's "CSV (逗号分隔)" on Chinese Windows) is read without being told; a
    UTF-8 file with a BOM too; --encoding names it outright."""
    text = units_csv.read_text(encoding="utf-8").replace("达成", "部分达成")
    gbk, bom = tmp_path / "gbk.csv", tmp_path / "bom.csv"
    gbk.write_bytes(text.encode("gb18030"))
    bom.write_bytes(text.encode("utf-8-sig"))
    engine = Engine(load_indicator_set(DEMO))
    for path in (gbk, bom):
        rows = list(read_rows(path, engine.compiled))
        assert rows[0].actuals["indicators"]["mechanism"]["tier"] == "部分达成", path
    forced = list(read_rows(gbk, engine.compiled, encoding="gb18030"))
    assert forced[0].actuals == next(iter(read_rows(gbk, engine.compiled))).actuals


def test_batch_exits_1_when_a_unit_could_not_be_read(engine: Engine, tmp_path: Path) -> None:
    """Counts in = counts out, and a failed unit makes the exit code 1, not success."""
    path = tmp_path / "units.jsonl"
    path.write_text('{"unit": "A"}\n{not json\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["batch", str(DEMO), "--inputs", str(path), "-o", str(out)]) == 1
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 3


def _two_sheets(path: Path) -> Path:
    """A workbook whose active sheet is hidden: “隐藏” (unit HIDDEN), then “数据” (unit SHOWN)."""
    import openpyxl  # noqa: TID251 - tests build files with the library itself

    book = openpyxl.Workbook()
    hidden = book.active
    assert hidden is not None
    hidden.title = "隐藏"
    hidden.append(["unit", "spent"])
    hidden.append(["HIDDEN", 1])
    shown = book.create_sheet("数据")
    shown.append(["unit", "spent"])
    shown.append(["SHOWN", 2])
    hidden.sheet_state = "hidden"  # after it was made active: Excel keeps such files too
    book.save(path)
    return path


def test_xlsx_input_reads_the_visible_sheet_and_names_the_hidden_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The active sheet is hidden: the first visible one is read, and stderr says which sheets
    were hidden (Chinese first) and how to choose one."""
    source, out = _two_sheets(tmp_path / "units.xlsx"), tmp_path / "out.csv"
    assert main(["batch", str(DEMO), "--inputs", str(source), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "隐藏的工作表 隐藏" in err
    assert err.index("隐藏的工作表") < err.index("hidden sheets")
    assert "--sheet" in err
    with out.open(encoding="utf-8-sig") as handle:
        assert [r["unit"] for r in csv.DictReader(handle)] == ["SHOWN"]


def test_sheet_chooses_the_sheet_and_a_wrong_name_is_a_clean_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--sheet NAME reads that sheet, hidden or not; a name that is not there exits 2 with the
    sheets that are."""
    source, out = _two_sheets(tmp_path / "units.xlsx"), tmp_path / "out.csv"
    args = ["batch", str(DEMO), "--inputs", str(source), "-o", str(out)]
    assert main([*args, "--sheet", "隐藏"]) == 0
    with out.open(encoding="utf-8-sig") as handle:
        assert [r["unit"] for r in csv.DictReader(handle)] == ["HIDDEN"]
    capsys.readouterr()
    assert main([*args, "--sheet", "数椐"]) == 2
    err = capsys.readouterr().err
    assert "xlsx.no-sheet" in err
    assert "数据" in err


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no FIFOs here")
def test_a_csv_from_a_pipe_is_read_once_and_its_encoding_guessed(
    engine: Engine, tmp_path: Path
) -> None:
    """A FIFO cannot be read twice to test its encoding: GB18030 is told from what it starts
    with, and the rows still come through."""
    import os
    import threading

    fifo = tmp_path / "units.csv"
    os.mkfifo(fifo)
    data = "unit,mechanism.tier\n甲,部分达成\n乙,达成\n".encode("gb18030")

    def write() -> None:
        with fifo.open("wb") as handle:
            handle.write(data)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    rows = list(read_rows(fifo, engine.compiled))
    writer.join(timeout=10)
    assert [r.key for r in rows] == ["甲", "乙"]
    assert rows[0].actuals["indicators"]["mechanism"]["tier"] == "部分达成"
