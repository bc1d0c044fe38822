"""kpi import: a filled 绩效自评表 becomes a set and actuals; odd rows are listed, not guessed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kpi_engine import Engine, load_actuals, load_indicator_set, parse_actuals, parse_indicator_set
from kpi_engine.cli import main
from kpi_engine.importing import import_score_table
from kpi_engine.loading import dump_yaml
from kpi_engine.reports.score_table_xlsx import render_score_table

from .conftest import SETS


def _roundtrip(set_dir: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    s = load_indicator_set(set_dir)
    e = Engine(s).evaluate(load_actuals(set_dir / "actuals.yaml"))
    book = tmp_path / "table.xlsx"
    book.write_bytes(render_score_table(s, e))
    imported = import_score_table(book, s.id)
    s2 = parse_indicator_set(dump_yaml(imported.set_data), "imported.yaml")
    e2 = Engine(s2).evaluate(
        parse_actuals(dump_yaml(imported.actuals_data), "imported-actuals.yaml")
    )
    return e, e2, imported


def test_seed_table_round_trips_to_the_same_evaluation(tmp_path: Path) -> None:
    """Writing the seed's score table and importing it gives the same rows, scores and total."""
    e, e2, imported = _roundtrip(SETS / "gz-haizhu-amr-2023", tmp_path)
    assert imported.problems == []
    # The execution row sits in the funds block, so it comes back as a top-level row: compare by
    # name (names are unique in the seed set).
    before = {r.name: (r.weight, r.target_text, r.score, r.status) for r in e.indicators}
    after = {r.name: (r.weight, r.target_text, r.score, r.status) for r in e2.indicators}
    assert after == before
    assert e2.total == e.total
    assert e2.reported_total == Decimal("64")


def test_demo_table_round_trips_except_non_default_methods(tmp_path: Path) -> None:
    """Tree, weights, targets, tiers and reasons survive; a method the table cannot show
    (reverse_ratio on 问题食品处置时限) falls back to the default for its target."""
    e, e2, _ = _roundtrip(SETS / "project-demo-2024", tmp_path)
    by_name = {r.name: r for r in e2.indicators}
    for r in e.indicators:
        twin = by_name[r.name]
        assert (twin.weight, twin.target_text) == (r.weight, r.target_text)
        if r.method != "execution_rate":  # the funds block has no reason column
            assert twin.reason == r.reason
        if r.method not in ("reverse_ratio",):
            assert twin.score == r.score, r.name
    assert by_name["问题食品处置时限"].method == "reverse_linear"
    assert by_name["食品安全风险隐患排查长效机制"].score == Decimal(9)  # the given score is kept
    assert by_name["食品安全监督抽检批次"].reported_score == Decimal(12)


def test_odd_rows_are_listed_with_sheet_and_cell(tmp_path: Path) -> None:
    """A hand-made table with merged cells, a row without a weight and a non-tier text actual."""
    import openpyxl  # noqa: TID251 - tests build and read files with the library itself

    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "自评表"
    ws.append(["2023年度某项目绩效自评表"])
    ws.append([])
    ws.append(
        [
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "实际完成值",
            "分值",
            "得分",
            "偏差原因分析及改进措施",
        ]
    )
    ws.append(["产出指标", "数量指标", "培训人数", "≥ 500 人", 450, 30, 27, "场地不足"])
    ws.append([None, None, "培训场次", "≥ 10 场", 10, 20, 20, None])
    ws.append([None, "质量指标", "考核合格率", "≥ 90%", 92, None, None, None])  # no weight
    ws.append(
        ["效益指标", "社会效益", "群众获得感", "明显提升", "较好", 50, 45, None]
    )  # not a tier
    ws.append(["总分", None, None, None, None, 100, 92, None])
    ws.merge_cells("A4:A6")
    ws.merge_cells("B4:B5")
    path = tmp_path / "table.xlsx"
    book.save(path)
    imported = import_score_table(path)
    where = [str(i.location) for i in imported.problems]
    assert where == ["自评表!F6:6:6", "自评表!E7:7:5"]
    codes = [i.code for i in imported.problems]
    assert codes == ["import.row", "import.tier"]
    groups = imported.set_data["indicators"]
    assert [g["name"] for g in groups] == ["产出指标", "效益指标"]
    assert groups[0]["weight"] == 50
    assert imported.actuals_data["reported_total"] == 92
    assert imported.actuals_data["indicators"]["i01"] == {
        "actual": 450,
        "reported_score": 27,
        "reason": "场地不足",
    }


def test_import_cli_writes_files_and_lists_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kpi import -o DIR writes set.yaml and actuals.yaml that load and evaluate."""
    s = load_indicator_set(SETS / "project-demo-2024")
    e = Engine(s).evaluate(load_actuals(SETS / "project-demo-2024" / "actuals.yaml"))
    book = tmp_path / "table.xlsx"
    book.write_bytes(render_score_table(s, e))
    out = tmp_path / "imported"
    assert main(["import", str(book), "-o", str(out)]) == 0
    assert Engine(load_indicator_set(out)).evaluate(load_actuals(out / "actuals.yaml")).total
    assert main(["import", str(book), "-o", str(out)]) == 2  # never overwrites
    capsys.readouterr()
