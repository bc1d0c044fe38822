"""kpi import: our own score tables come back losslessly; anyone's national form is read as
auditors fill it, its inconsistencies kept for review, and every cell not read is listed."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl  # noqa: TID251 - tests build and read files with the library itself
import pytest
from hypothesis import HealthCheck, given, settings

from kpi_engine import (
    Engine,
    evaluate,
    load_actuals,
    load_indicator_set,
    parse_actuals,
    parse_indicator_set,
)
from kpi_engine.cli import main
from kpi_engine.importing import Imported, import_score_table
from kpi_engine.loading import dump_yaml
from kpi_engine.models import Actuals, IndicatorSet
from kpi_engine.reports.score_table_xlsx import render_score_table

from .conftest import SETS
from .strategies import trees


def _evaluation_dict(s: IndicatorSet, a: Actuals) -> dict[str, Any]:
    out = evaluate(s, a).to_dict()
    out.pop("provenance", None)  # digests name the source files, which differ by design
    return out


def _reimport(imported: Imported) -> tuple[IndicatorSet, Actuals]:
    s = parse_indicator_set(dump_yaml(imported.set_data), "imported.yaml")
    return s, parse_actuals(dump_yaml(imported.actuals_data), "imported-actuals.yaml")


def _table(tmp_path: Path, s: IndicatorSet, a: Actuals | None, lang: str = "zh") -> Path:
    e = Engine(s).evaluate(a or Actuals())
    path = tmp_path / "table.xlsx"
    path.write_bytes(render_score_table(s, e, lang, a))  # type: ignore[arg-type]
    return path


@pytest.mark.parametrize("name", ["gz-haizhu-amr-2023", "project-demo-2024"])
def test_own_table_imports_to_the_same_set_actuals_and_scores(name: str, tmp_path: Path) -> None:
    """Ids, methods (reverse_ratio too), English names, kind, year and reasons come back, and the
    evaluation is equal to the original's in every figure and flag."""
    s = load_indicator_set(SETS / name)
    a = load_actuals(SETS / name / "actuals.yaml")
    imported = import_score_table(_table(tmp_path, s, a))
    assert imported.problems == []
    s2, a2 = _reimport(imported)
    assert s2.model_dump() == s.model_dump()
    assert a2.model_dump() == a.model_dump()
    assert _evaluation_dict(s2, a2) == _evaluation_dict(s, a)


def test_own_table_in_english_imports_the_same(tmp_path: Path) -> None:
    """The English form carries the same set: the language of the labels does not matter."""
    s = load_indicator_set(SETS / "project-demo-2024")
    a = load_actuals(SETS / "project-demo-2024" / "actuals.yaml")
    s2, a2 = _reimport(import_score_table(_table(tmp_path, s, a, "en")))
    assert _evaluation_dict(s2, a2) == _evaluation_dict(s, a)


def test_own_table_without_actuals_carries_what_the_evaluation_shows(tmp_path: Path) -> None:
    """A table rendered without its actuals still imports to the same scores: the inputs and
    each row's actual, tier and reason are recovered from the evaluation."""
    s = load_indicator_set(SETS / "project-demo-2024")
    a = load_actuals(SETS / "project-demo-2024" / "actuals.yaml")
    path = tmp_path / "table.xlsx"
    path.write_bytes(render_score_table(s, Engine(s).evaluate(a)))
    s2, a2 = _reimport(import_score_table(path))
    before, after = evaluate(s, a), evaluate(s2, a2)
    assert [(r.id, r.score, r.reason) for r in after.indicators] == [
        (r.id, r.score, r.reason) for r in before.indicators
    ]
    assert after.total == before.total


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_table_import_evaluate_round_trip_is_exact(generated: tuple[str, dict[str, Any]]) -> None:
    """For generated sets (every kind of leaf, missing, text and not-applicable actuals):
    table → import → evaluate gives the same evaluation as evaluating the set directly."""
    text, raw = generated
    s = parse_indicator_set(text)
    a = Actuals.model_validate(raw)
    e = Engine(s).evaluate(a)
    with tempfile.TemporaryDirectory() as folder:
        book = Path(folder) / "table.xlsx"
        book.write_bytes(render_score_table(s, e, actuals=a))
        imported = import_score_table(book)
    assert imported.problems == []
    s2, a2 = _reimport(imported)
    assert _evaluation_dict(s2, a2) == _evaluation_dict(s, a)


def _edit(path: Path, cells: dict[str, Any]) -> None:
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[0]
    for ref, value in cells.items():
        ws[ref] = value
    book.save(path)


def _row_of(path: Path, name: str) -> int:
    ws = openpyxl.load_workbook(path).worksheets[0]
    return next(
        r for r in range(1, ws.max_row + 1) for c in (2, 3, 4) if ws.cell(r, c).value == name
    )


def test_edits_on_our_form_are_applied_or_listed(tmp_path: Path) -> None:
    """A typed actual, score and reason over our own form are read; a computed actual or a
    changed target cannot be, and each is listed with its cell."""
    s = load_indicator_set(SETS / "gz-haizhu-amr-2023")
    a = load_actuals(SETS / "gz-haizhu-amr-2023" / "actuals.yaml")
    path = _table(tmp_path, s, a)
    direct = _row_of(path, "一般以上食品安全事故数")
    _edit(
        path,
        {
            f"F{direct}": 2,
            f"I{direct}": "发生 2 起，已整改",
            f"H{direct}": 5,
            f"E{direct}": "≤ 1 起",
        },
    )
    imported = import_score_table(path)
    entry = imported.actuals_data["indicators"]["food_incidents"]
    assert entry["actual"] == 2
    assert entry["reason"] == "发生 2 起，已整改"
    assert entry["reported_score"] == 5
    assert [(i.code, str(i.location).split(":")[0]) for i in imported.problems] == [
        ("import.edited", f"绩效自评表!E{direct}")
    ]
    assert imported.set_data["indicators"][0]["children"][0]["children"][0]["target"] == "= 0 起"


def test_a_tier_a_cleared_reason_and_a_bad_score_over_our_form(tmp_path: Path) -> None:
    """A qualitative row's new tier replaces the old (and its given score); a cleared reason is
    removed; a score that is no number, a tier that is none and an amount that is none are
    listed; a cleared amount reads as missing."""
    s = load_indicator_set(SETS / "project-demo-2024")
    a = load_actuals(SETS / "project-demo-2024" / "actuals.yaml")
    path = _table(tmp_path, s, a)
    mechanism = _row_of(path, "食品安全风险隐患排查长效机制")
    publish = _row_of(path, "抽检结果公布时限")
    accidents = _row_of(path, "一般以上食品安全事故数")
    _edit(
        path,
        {
            f"F{mechanism}": "部分达成",
            f"I{mechanism}": None,
            f"H{publish}": "很高",
            f"F{accidents}": "较好",
            "D6": None,
            "E6": "不详",
        },
    )
    imported = import_score_table(path)
    entry = imported.actuals_data["indicators"]["mechanism"]
    assert entry["tier"] == "部分达成"
    assert "score" not in entry
    assert "reason" not in entry
    assert imported.actuals_data["inputs"]["budget_initial"] is None
    assert [i.code for i in imported.problems] == ["import.score", "import.edited", "import.edited"]


def test_editing_a_computed_actual_is_listed(tmp_path: Path) -> None:
    """The demo's 检验报告准确率 is computed from inputs: typing over it is reported, not kept."""
    s = load_indicator_set(SETS / "project-demo-2024")
    a = load_actuals(SETS / "project-demo-2024" / "actuals.yaml")
    path = _table(tmp_path, s, a)
    row = _row_of(path, "检验报告准确率")
    _edit(path, {f"F{row}": 100})
    imported = import_score_table(path)
    assert [i.code for i in imported.problems] == ["import.edited"]
    assert "actual" not in imported.actuals_data["indicators"]["accuracy"]


def test_edits_to_the_rest_of_our_form_are_applied_or_listed(tmp_path: Path) -> None:
    """An amount typed over 全年执行数 and the 实际完成情况 are read into the actuals; a changed
    项目名称 and a note outside the form are listed."""
    s = load_indicator_set(SETS / "project-demo-2024")
    a = load_actuals(SETS / "project-demo-2024" / "actuals.yaml")
    path = _table(tmp_path, s, a)
    _edit(path, {"F6": "700万元", "G11": "全年完成抽检任务。", "C3": "别的项目", "K30": "草稿"})
    imported = import_score_table(path)
    assert imported.actuals_data["inputs"]["spent"] == {
        "value": 700,
        "source": "2024年度部门决算表",
    }
    assert imported.actuals_data["goals_achieved"] == "全年完成抽检任务。"
    assert [(i.code, i.location.file if i.location else "") for i in imported.problems] == [
        ("import.edited", "绩效自评表!C3"),
        ("import.cell", "绩效自评表!K30"),
    ]
    s2, a2 = _reimport(imported)
    assert evaluate(s2, a2).values["spent"] == 700


# --- anyone's tables ------------------------------------------------------------------------


def _national_form(path: Path, *, execution: bool = True) -> None:
    """A table laid out as units fill the 项目支出绩效自评表: units typed into cells, an Excel
    percentage, 其中 rows, two 年度绩效目标 blocks, weights adding to 110 under a printed 100, a
    printed 执行率 that does not follow from its amounts, an actual restating its target, an
    unreadable score and a stray note."""
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Sheet1"
    ws["A1"] = "项目支出绩效自评表"
    ws["A2"] = "（2023年度）"
    ws["A3"], ws["B3"] = "项目名称", "老旧小区改造项目"
    ws["A4"], ws["B4"], ws["E4"], ws["F4"] = (
        "主管部门",
        "某区住房和城乡建设局",
        "实施单位",
        "某区城市更新中心",
    )
    heads = [
        "项目资金（万元）",
        None,
        None,
        "年初预算数",
        "全年预算数",
        "全年执行数",
        "分值",
        "执行率",
        "得分",
    ]
    for c, text in enumerate(heads, start=1):
        ws.cell(5, c, text)
    funds = [
        ("年度资金总额", "50万元", 45, "43.2万元", 10 if execution else None, 0.9, "9分"),
        ("其中：当年财政拨款", 50, 45, 43.2, "—", 0.96, "—"),
        ("上年结转资金", None, None, None, "—", None, "—"),
        ("其他资金", None, None, None, "—", None, "—"),
    ]
    funds_rows: list[tuple[Any, ...]] = funds
    for r, (label, *values) in enumerate(funds_rows, start=6):
        ws.cell(r, 2, label)
        for c, value in enumerate(values, start=4):
            ws.cell(r, c, value)
        ws.cell(r, 8).number_format = "0%"
    ws["A10"], ws["B10"], ws["F10"] = "年度总体目标", "预期目标", "实际完成情况"
    ws["B11"], ws["F11"] = "完成 3 个小区改造。", "完成 3 个小区改造，惠及居民 1200 户。"
    header = [
        "绩效指标",
        "一级指标",
        "二级指标",
        "三级指标",
        "指标值",
        "实际完成值",
        "分值",
        "得分",
        "偏差原因分析及改进措施",
    ]
    for c, text in enumerate(header, start=1):
        ws.cell(12, c, text)
    rows = [
        (
            "年度绩效目标1",
            "产出指标",
            "数量指标",
            "改造小区数",
            "≥3个",
            "3个",
            "20分",
            "20分",
            None,
        ),
        (None, None, "质量指标", "验收合格率", "≥95%", 0.98, 20, 20, None),
        (None, "效益指标", "社会效益指标", "惠及居民户数", "≥1000户", 1200, 20, 20, None),
        ("年度绩效目标2", "产出指标", "数量指标", "新建道路长度", "≥266米", "≥266米", 20, 20, None),
        (
            None,
            "满意度指标",
            "服务对象满意度指标",
            "居民满意度",
            "≥90%",
            "92%",
            10,
            "9分",
            "问卷样本偏少",
        ),
        (None, None, None, "社区活动场所", "≥2处", 2, 10, "满分", None),
    ]
    table_rows: list[tuple[Any, ...]] = rows
    for r, cells in enumerate(table_rows, start=13):
        for c, value in enumerate(cells, start=1):
            ws.cell(r, c, value)
    ws["F14"].number_format = "0%"
    ws.merge_cells("A13:A15")
    ws.merge_cells("A16:A18")
    ws.merge_cells("B13:B14")
    ws["K13"] = "备查"
    ws["A19"], ws["G19"], ws["H19"] = "总分", 100, "98分"
    ws["A20"] = "注：本表由项目单位填报。"
    ws.merge_cells("A5:A9")
    ws.merge_cells("B3:I3")
    ws.merge_cells("A10:A11")
    book.save(path)


def test_national_form_is_read_into_the_sets_fields(tmp_path: Path) -> None:
    """项目名称 / 主管部门 / 实施单位, the year, 年度总体目标 and the funds with their 其中 rows."""
    path = tmp_path / "unit.xlsx"
    _national_form(path)
    imported = import_score_table(path)
    d, a = imported.set_data, imported.actuals_data
    assert (d["project"], d["supervisor"], d["organization"]) == (
        "老旧小区改造项目",
        "某区住房和城乡建设局",
        "某区城市更新中心",
    )
    assert (d["kind"], d["year"], d["title"], d["as_published"]) == (
        "project",
        2023,
        "老旧小区改造项目",
        True,
    )
    assert d["goals"] == "完成 3 个小区改造。"
    assert a["goals_achieved"] == "完成 3 个小区改造，惠及居民 1200 户。"
    assert a["inputs"]["budget_initial"] == Decimal("50")
    assert a["inputs"]["spent"] == Decimal("43.2")
    assert d["inputs"]["appropriation_spent"]["fund"] == {
        "part": "appropriation",
        "column": "spent",
    }
    assert a["inputs"]["appropriation_budget_adjusted"] == 45
    assert a["indicators"]["execution"] == {"reported_score": 9, "actual": 90}
    assert a["reported_total"] == 98
    assert d["scale"] == 100


def test_national_form_reads_units_percentages_and_target_blocks(tmp_path: Path) -> None:
    """ "3个", "20分", 0.98 formatted 0% and "92%" are numbers; the 年度绩效目标 blocks are groups
    in their order; a 其中-style note under the total is the form's, not data."""
    path = tmp_path / "unit.xlsx"
    _national_form(path)
    imported = import_score_table(path)
    top = imported.set_data["indicators"]
    assert [n["name"] for n in top] == ["预算执行率", "年度绩效目标1", "年度绩效目标2"]
    assert [n["weight"] for n in top] == [10, 60, 40]
    assert [g["name"] for g in top[1]["children"]] == ["产出指标", "效益指标"]
    rows = imported.actuals_data["indicators"]
    assert rows["i01"] == {"actual": 3, "reported_score": 20}
    assert rows["i02"]["actual"] == 98
    assert rows["i04"]["actual"] == "≥266米"  # restates the target: kept, and flagged on review
    assert rows["i05"] == {"actual": 92, "reported_score": 9, "reason": "问卷样本偏少"}


def test_cells_not_read_are_listed_with_what_was_there_and_why(tmp_path: Path) -> None:
    """An unreadable score and a cell outside the form: `sheet!cell: what was there: why`."""
    path = tmp_path / "unit.xlsx"
    _national_form(path)
    problems = import_score_table(path).problems
    assert [i.message for i in problems] == [
        "Sheet1!H18: 满分: 得分不是数字",
        "Sheet1!K13: 备查: 不属于能识别的表格部分",
    ]
    assert problems[1].message_en == "Sheet1!K13: 备查: not part of the form"


def test_published_inconsistencies_become_flags_not_refusals(tmp_path: Path) -> None:
    """Weights of 110 under a printed 100, a printed 执行率 of 90% beside amounts giving 96%, and
    "≥266米" as an actual: the set loads as published and each is a flag with its evidence."""
    path = tmp_path / "unit.xlsx"
    _national_form(path)
    s, a = _reimport(import_score_table(path))
    e = Engine(s).evaluate(a)
    rules = {f.rule: f for f in e.flags}
    assert "110" in rules["published.inconsistent"].message
    assert rules["data.actual-mismatch"].evidence["reported"] == "90"
    assert any(f.rule == "data.error" and f.subject == "i04" for f in e.flags)
    assert e.reported_total == 98


def test_a_form_without_an_execution_row_still_imports(tmp_path: Path) -> None:
    """No 分值 in the funds block: no 预算执行率 row, and the rest of the table is read."""
    path = tmp_path / "unit.xlsx"
    _national_form(path, execution=False)
    imported = import_score_table(path)
    assert "预算执行率" not in [n["name"] for n in imported.set_data["indicators"]]
    s, a = _reimport(imported)
    assert Engine(s).evaluate(a).total is not None


def test_labels_with_their_value_in_one_cell_and_the_year_in_the_title(tmp_path: Path) -> None:
    """ "2023年度部门整体支出绩效自评表" and "填报单位：某局" are read, not listed."""
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["2023年度部门整体支出绩效自评表"])
    ws.append(["填报单位：某区某局"])
    ws.append(["一级指标", "二级指标", "三级指标", "指标值", "实际完成值", "分值", "得分"])
    ws.append(["履职效能", "重点工作", "办件数", "≥100件", "120件", "100分", "100分"])
    ws.append(["总分", None, None, None, None, 100, 100])
    path = tmp_path / "dept.xlsx"
    book.save(path)
    imported = import_score_table(path)
    assert imported.problems == []
    d = imported.set_data
    assert (d["kind"], d["year"], d["organization"], d["title"]) == (
        "department",
        2023,
        "某区某局",
        "某区某局",
    )


def test_an_unweighted_qizhong_sub_row_is_kept_at_no_weight(tmp_path: Path) -> None:
    """ "其中：…" under a weighted row, with no 分值 of its own, is read as a 0-point row for the
    reviewer, not refused."""
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["一级指标", "二级指标", "三级指标", "指标值", "实际完成值", "分值", "得分"])
    ws.append(["产出指标", "数量指标", "改造户数", "≥100户", 100, 100, 100])
    ws.append(["产出指标", "数量指标", "其中：困难户", "≥10户", 12, None, None])
    ws.append(["总分", None, None, None, None, 100, 100])
    path = tmp_path / "t.xlsx"
    book.save(path)
    imported = import_score_table(path)
    assert imported.problems == []
    leaves = imported.set_data["indicators"][0]["children"][0]["children"]
    assert [(leaf["name"], leaf["weight"], leaf.get("part_of")) for leaf in leaves] == [
        ("改造户数", 100, None),
        ("其中：困难户", 0, "i01"),
    ]
    s, a = _reimport(imported)
    e = evaluate(s, a)
    assert e.total == 100
    assert [r.part_of for r in e.indicators] == [None, "i01"]


def test_odd_rows_are_listed_with_sheet_and_cell(tmp_path: Path) -> None:
    """A hand-made table with merged cells, a row without a weight and a non-tier text actual."""
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
    assert [str(i.location) for i in imported.problems] == ["自评表!F6:6:6", "自评表!E7:7:5"]
    assert [i.code for i in imported.problems] == ["import.row", "import.tier"]
    groups = imported.set_data["indicators"]
    assert [g["name"] for g in groups] == ["产出指标", "效益指标"]
    assert groups[0]["weight"] == 50
    assert imported.actuals_data["reported_total"] == 92
    assert imported.actuals_data["indicators"]["i01"] == {
        "actual": 450,
        "reported_score": 27,
        "reason": "场地不足",
    }


def test_import_cli_exits_1_listing_cells_and_writes_yaml_without_aliases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kpi import lists each cell not read on stderr and exits 1; the files still load, hold no
    YAML anchors or aliases, and are never overwritten."""
    path = tmp_path / "unit.xlsx"
    _national_form(path)
    out = tmp_path / "imported"
    assert main(["import", str(path), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Sheet1!H18: 满分: 得分不是数字 (import.score)" in err
    for name in ("set.yaml", "actuals.yaml"):
        text = (out / name).read_text(encoding="utf-8")
        assert "&id" not in text
        assert "*id" not in text
    assert Engine(load_indicator_set(out)).evaluate(load_actuals(out / "actuals.yaml")).flags
    assert main(["import", str(path), "-o", str(out)]) == 2  # never overwrites


def test_import_cli_of_our_own_table_exits_0(tmp_path: Path) -> None:
    """kpi table then kpi import: nothing to list, exit 0, the same total."""
    table = tmp_path / "t.xlsx"
    assert main(["table", str(SETS / "project-demo-2024"), "-o", str(table)]) == 0
    out = tmp_path / "back"
    assert main(["import", str(table), "-o", str(out)]) == 0
    again = Engine(load_indicator_set(out)).evaluate(load_actuals(out / "actuals.yaml"))
    assert again.total == Decimal("96.93")


@pytest.mark.parametrize("name", ["gz-haizhu-amr-2023", "project-demo-2024"])
def test_our_form_without_its_hidden_sheet_reads_as_anyones(name: str, tmp_path: Path) -> None:
    """With the hidden sheet gone, the visible form alone is read cell for cell: nothing is
    left over, and the seed (default methods only) scores the same."""
    s = load_indicator_set(SETS / name)
    a = load_actuals(SETS / name / "actuals.yaml")
    path = _table(tmp_path, s, a)
    book = openpyxl.load_workbook(path)
    del book["kpi_engine"]
    book.save(path)
    imported = import_score_table(path)
    assert imported.problems == []
    s2, a2 = _reimport(imported)
    assert s2.as_published
    if name == "gz-haizhu-amr-2023":
        assert evaluate(s2, a2).total == evaluate(s, a).total
