"""The history commands: kpi evaluate/batch --save, kpi report --history, kpi history …"""

from __future__ import annotations

import csv
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from kpi_engine.cli import main
from tests.conftest import DEMO
from tests.test_batch import INPUTS, _row

pytest.importorskip("sqlalchemy", reason="the history extra is not installed")

from kpi_engine.history import History
from tests.test_history import store_url  # noqa: F401 - the SQLite/PostgreSQL fixture

UNIT = "某区市场监督管理局"


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A SQLite file for one test."""
    return str(tmp_path / "h.sqlite")


def _units(tmp_path: Path, count: int, name: str = "units.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unit", *INPUTS, "mechanism.tier"])
        for i in range(count):
            writer.writerow(_row(i))
    return path


def _two_years(db: str, tmp_path: Path) -> None:
    """The demo saved for 2023 (as supplied) and 2024 (with the publication delay fixed)."""
    assert main(["evaluate", str(DEMO), "--save", "--db", db, "--year", "2023"]) == 0
    fixed = tmp_path / "fixed"
    shutil.copytree(DEMO, fixed)
    actuals = fixed / "actuals.yaml"
    text = actuals.read_text(encoding="utf-8")
    assert "publish_days" in text
    actuals.write_text(
        "\n".join(
            line.split(":")[0] + ": 18" if line.strip().startswith("publish_days:") else line
            for line in text.splitlines()
        )
        + "\n",
        encoding="utf-8",
    )
    assert main(["evaluate", str(fixed), "--save", "--db", db]) == 0


def test_evaluate_save_stores_the_evaluation_once(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--save twice on the same inputs: one evaluation, the same id reported both times."""
    for _ in range(2):
        assert main(["evaluate", str(DEMO), "--save", "--db", db]) == 0
        assert "已存入历史库：编号 1（某区市场监督管理局 2024）" in capsys.readouterr().err
    with History(db) as h:
        assert [(s.unit, s.year) for s in h.evaluations()] == [(UNIT, 2024)]


def test_kpi_db_names_the_store_and_the_default_is_a_file_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KPI_DB when set; otherwise kpi-history.sqlite in the current folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KPI_DB", raising=False)
    assert main(["evaluate", str(DEMO), "--save", "--unit", "甲"]) == 0
    assert (tmp_path / "kpi-history.sqlite").exists()
    monkeypatch.setenv("KPI_DB", str(tmp_path / "other.sqlite"))
    assert main(["evaluate", str(DEMO), "--save", "--unit", "乙"]) == 0
    with History(str(tmp_path / "other.sqlite")) as h:
        assert [s.unit for s in h.evaluations()] == ["乙"]


def test_batch_save_stores_every_unit_and_resumes(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kpi batch --save: counts in = stored; a rerun over more units stores only the new ones."""
    args = ["batch", str(DEMO), "-o", str(tmp_path / "o.csv"), "--save", "--db", db]
    assert main([*args, "--inputs", str(_units(tmp_path, 30))]) == 0
    assert "读入 30 个单位，新存 30，库中已有 0" in capsys.readouterr().err
    assert main([*args, "--inputs", str(_units(tmp_path, 45, "more.csv"))]) == 0
    assert "读入 45 个单位，新存 15，库中已有 30" in capsys.readouterr().err
    with History(db) as h:
        assert len(h.evaluations(year=2024)) == 45
        assert len(h.league(2024)) == 45


@pytest.mark.slow  # processes
def test_batch_save_in_two_processes_loses_and_duplicates_nothing(
    store_url: str,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--jobs 2 --save on SQLite and PostgreSQL: each unit once, with all its rows."""
    units = _units(tmp_path, 50)
    args = ["batch", str(DEMO), "--inputs", str(units), "-o", str(tmp_path / "o.csv")]
    assert main([*args, "--jobs", "2", "--save", "--db", store_url]) == 0
    assert "新存 50" in capsys.readouterr().err
    with History(store_url) as h:
        stored = h.evaluations()
        assert sorted(s.unit for s in stored) == [f"U{i:03d}" for i in range(50)]
        assert all(len(h.indicators(s.id)) == 12 for s in stored[:5])


def test_batch_save_without_a_year_is_refused(db: str, tmp_path: Path) -> None:
    """A set without year and no --year: history.no-year, exit 2, nothing written."""
    folder = tmp_path / "noyear"
    shutil.copytree(DEMO, folder)
    set_file = folder / "set.yaml"
    set_file.write_text(
        "\n".join(
            line
            for line in set_file.read_text(encoding="utf-8").splitlines()
            if not line.startswith("year:")
        ),
        encoding="utf-8",
    )
    out = tmp_path / "o.csv"
    args = ["batch", str(folder), "--inputs", str(_units(tmp_path, 3)), "-o", str(out)]
    assert main([*args, "--save", "--db", db]) == 2
    assert not out.exists()


def test_history_list_in_three_formats(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """list as a Chinese table, an English table, JSON and CSV, with the same evaluations."""
    _two_years(db, tmp_path)
    capsys.readouterr()
    assert main(["history", "list", "--db", db]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split()[:4] == ["编号", "单位", "年度", "指标体系"]
    assert "100.00%" in text.splitlines()[2]  # coverage as evaluations print it, not "1"
    assert main(["history", "list", "--db", db, "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("ID")
    assert main(["history", "list", "--db", db, "--format", "json", "--year", "2023"]) == 0
    assert [r["year"] for r in json.loads(capsys.readouterr().out)] == [2023]
    assert main(["history", "list", "--db", db, "--format", "csv", "--current"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["unit"], r["year"]) for r in rows] == [(UNIT, "2023"), (UNIT, "2024")]


def test_history_show_trend_and_compare(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """show one evaluation; trend of 抽检结果公布时限; compare: league table and follow-up."""
    _two_years(db, tmp_path)
    capsys.readouterr()
    assert main(["history", "show", "1", "--db", db]) == 0
    shown = capsys.readouterr().out
    assert "23 个工作日" in shown
    assert "问题：" in shown
    assert main(["history", "show", "1", "--db", db, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["set"] == "project-demo-2024"
    assert main(["history", "trend", "抽检结果公布时限", "--db", db, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["year"], r["value"]) for r in rows] == [("2023", "23"), ("2024", "18")]
    assert main(["history", "trend", "publish", "--db", db]) == 0
    assert "23 个工作日" in capsys.readouterr().out
    assert main(["history", "compare", "--year", "2024", "--db", db]) == 0
    assert "2024 年度单位排名" in capsys.readouterr().out
    assert main(["history", "compare", "--year", "2024", "--unit", UNIT, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "上年（2023 年）问题整改情况" in out
    assert "已整改" in out
    assert "review.full_marks_missed" in out
    args = ["history", "compare", "--year", "2024", "--unit", UNIT, "--db", db]
    assert main([*args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {f["rule"] for f in data["followup"]["unresolved"]} == {"followup.unresolved"}
    assert main([*args, "--format", "csv", "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("unit,year,indicator")


def test_history_export_and_import_move_a_store(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """export (JSON Lines) then import into another store; CSV export lists the headlines."""
    _two_years(db, tmp_path)
    lines = tmp_path / "all.jsonl"
    assert main(["history", "export", "--db", db, "--format", "json", "-o", str(lines)]) == 0
    other = str(tmp_path / "other.sqlite")
    assert main(["history", "import", str(lines), "--db", other]) == 0
    assert "导入 2 条：新存 2，库中已有 0" in capsys.readouterr().err
    with History(other) as h:
        assert [s.year for s in h.evaluations()] == [2023, 2024]
    assert main(["history", "export", "--db", db, "--format", "csv"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_history_import_of_a_bad_file_is_a_clean_error(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not JSON Lines, or not an export: history.bad-export, exit 2."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    assert main(["history", "import", str(bad), "--db", db]) == 2
    assert "history.bad-export" in capsys.readouterr().err
    assert main(["history", "show", "7", "--db", db]) == 2
    assert "history.not-found" in capsys.readouterr().err


def test_report_history_adds_years_compared_and_unresolved_problems(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kpi report --history: a 历年对比 section with both years, a chart of totals, last
    year's problems raised again under 上年问题未整改 and those resolved listed; targets are
    checked against last year's stored actuals."""
    _two_years(db, tmp_path)
    capsys.readouterr()
    assert main(["report", str(tmp_path / "fixed"), "--history", "--db", db]) == 0
    out = capsys.readouterr().out
    section = out.split("## 五、历年对比", 1)[1].split("## 附表", 1)[0]
    assert "| 项目 | 2023 | 2024 |" in section
    assert "**历年总分**" in section
    assert "上年问题已整改" in section
    assert "上年问题未整改" in out.split("## 五、历年对比", 1)[0]
    assert "低于上年实际完成值 3126" in out  # last year's actual, from the store
    assert main(["report", str(DEMO), "--history", "--db", db, "--lang", "en"]) == 0
    assert "## 5. Year over year" in capsys.readouterr().out


def test_report_history_in_html_gives_each_chart_its_own_id(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The group chart and the 历年总分 chart are two figures with two ids, not one id twice."""
    import re

    _two_years(db, tmp_path)
    page = tmp_path / "r.html"
    args = ["report", str(tmp_path / "fixed"), "--history", "--db", db, "--format", "html"]
    assert main([*args, "-o", str(page)]) == 0
    ids = re.findall(r'<figure id="([^"]+)"', page.read_text(encoding="utf-8"))
    assert ids == ["group-chart", "chart-2"]


def test_report_history_with_an_empty_store_says_so(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """No earlier year stored: the section has this year only and says so."""
    assert main(["report", str(DEMO), "--history", "--db", db]) == 0
    assert "历史库中没有此前年度的评价" in capsys.readouterr().out


DOC = Path(__file__).resolve().parent.parent / "docs" / "history.md"


def test_every_command_in_docs_history_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each `$ kpi …` line of docs/history.md, in order, in a fresh folder, exits 0; the SQL
    example then answers from the store they built."""
    import re
    import shlex
    import sqlite3

    text = DOC.read_text(encoding="utf-8")
    commands = [
        shlex.split(line[2:])
        for block in re.findall(r"```console\n(.*?)```", text, re.DOTALL)
        for line in block.splitlines()
        if line.startswith("$ kpi ")
    ]
    assert len(commands) >= 12
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KPI_DB", raising=False)
    (tmp_path / "indicator_sets").symlink_to(DEMO.parent)
    _units(tmp_path, 5)
    for argv in commands:
        assert main(argv[1:]) == 0, argv
    capsys.readouterr()
    assert (tmp_path / "copy.sqlite").exists()
    assert "五、历年对比" in (tmp_path / "report.md").read_text(encoding="utf-8")
    query = re.findall(r"```sql\n(.*?)```", text, re.DOTALL)[0]
    with sqlite3.connect(tmp_path / "kpi-history.sqlite") as conn:
        rows = conn.execute(query).fetchall()
    assert (UNIT, 2023, "95.0500") in rows  # exact decimal text, as computed
    assert {unit for unit, _, _ in rows} == {UNIT, "U000", "U001", "U002", "U003", "U004"}


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_view_renders_in_every_format_and_language(
    db: str, tmp_path: Path, fmt: str, lang: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each history action answers in text, JSON and CSV, in Chinese and English, also when
    nothing matches."""
    _two_years(db, tmp_path)
    actions = [
        ["list"],
        ["list", "--year", "1999"],
        ["show", "2"],
        ["trend", "预算执行率"],
        ["trend", "没有"],
        ["compare", "--year", "2024"],
        ["compare", "--year", "1999"],
        ["compare", "--year", "2024", "--unit", UNIT],
        ["compare", "--year", "2023", "--unit", UNIT],
    ]
    for action in actions:
        capsys.readouterr()
        assert main(["history", *action, "--db", db, "--format", fmt, "--lang", lang]) == 0
        out = capsys.readouterr().out
        assert out.endswith("\n"), action
        if fmt == "json":
            json.loads(out)
        elif fmt == "csv":
            assert "," in out.splitlines()[0]


def test_a_unit_that_cannot_be_read_is_counted_not_stored(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSON Lines row that is not JSON: an error record in the outputs, counted as not
    evaluated; the other units are stored (and chunks flush as they fill)."""
    from kpi_engine import Engine, load_indicator_set
    from kpi_engine.batch import group_columns, read_rows
    from kpi_engine.history.batching import SavedBatch, saved_records

    good = json.dumps({"unit": "甲", "spent": 700, "budget_adjusted": 760}, ensure_ascii=False)
    path = tmp_path / "units.jsonl"
    path.write_text(f"{good}\n{{not json\n{good.replace('甲', '乙')}\n", encoding="utf-8")
    engine = Engine(load_indicator_set(DEMO))
    rows = read_rows(path, engine.compiled, "unit")
    counts = SavedBatch()
    with History(db) as store:
        groups = group_columns(engine.compiled)
        records = list(saved_records(store, engine, rows, groups, counts, year=2024, chunk=1))
        assert [s.unit for s in store.evaluations()] == ["乙", "甲"]
    assert [r[0]["status"] for r in records] == ["ok", "error", "ok"]
    assert (counts.read, counts.stored, counts.already, counts.failed) == (3, 2, 0, 1)
    assert counts.chunks == [1, 1]
    assert "未能评价 1" in counts.text()


def test_a_department_evaluation_takes_its_projects_from_the_store(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kpi batch --save the projects, kpi history rollup shows them rolled up, and
    kpi evaluate DEPT --rollup SET_ID fills the department's project_* inputs."""
    args = ["batch", str(DEMO), "-o", str(tmp_path / "o.csv"), "--save", "--db", db]
    assert main([*args, "--inputs", str(_units(tmp_path, 4))]) == 0
    assert main(["history", "rollup", "--year", "2024", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "2024 年度项目汇总（4 个项目）" in out
    assert main(["history", "rollup", "--year", "2024", "--db", db, "--format", "csv"]) == 0
    row = next(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert row["project_count"] == "4"
    rate = Decimal(700 + 701 + 702 + 703) / Decimal(4 * 760) * 100  # Σ spent ÷ Σ budget
    assert Decimal(row["project_execution_rate"]) == rate
    department = tmp_path / "dept.yaml"
    department.write_text(
        "kpi_engine: 1\nid: dept\ntitle: 部门整体\nkind: department\norganization: 某局\n"
        "year: 2024\ninputs:\n  project_execution_rate: {unit: '%'}\n"
        "indicators:\n  - {id: rate, name: 项目预算执行率, weight: 100, target: '≥ 90%',"
        " value: project_execution_rate}\n",
        encoding="utf-8",
    )
    empty = tmp_path / "actuals.yaml"
    empty.write_text("kpi_actuals: 1\n", encoding="utf-8")
    argv = ["evaluate", str(department), str(empty), "--format", "json"]
    assert main([*argv, "--rollup", "project-demo-2024", "--db", db]) == 0
    data = json.loads(capsys.readouterr().out)
    assert Decimal(data["indicators"][0]["actual"]) == rate


def test_csv_output_keeps_unit_names_from_being_read_as_formulas(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A unit named =HYPERLINK(…) is written to CSV with a leading apostrophe; numbers stay numbers."""
    assert main(["evaluate", str(DEMO), "--save", "--db", db, "--unit", "=1+2"]) == 0
    capsys.readouterr()
    assert main(["history", "list", "--db", db, "--format", "csv"]) == 0
    row = next(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert row["unit"] == "'=1+2"
    assert Decimal(row["total"]) > 0


def test_asking_a_store_that_does_not_exist_creates_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kpi history list on a missing SQLite file: history.no-store, exit 2, no file left."""
    missing = tmp_path / "none.sqlite"
    assert main(["history", "list", "--db", str(missing)]) == 2
    assert "history.no-store" in capsys.readouterr().err
    assert not missing.exists()
