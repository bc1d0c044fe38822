"""kpi table: the 项目支出 / 部门整体支出绩效自评表 as the national form, read back with openpyxl.

Golden files (tests/golden/forms/*.xlsx.txt) pin each form as a normalised dump of its cells,
merges and page setup; regenerate with ``KPI_UPDATE_GOLDEN=1`` and review the diff like code.
"""

from __future__ import annotations

import io
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl  # noqa: TID251 - tests read the files with the library itself
import pytest

from kpi_engine import Engine, load_actuals, load_indicator_set, parse_actuals, parse_indicator_set
from kpi_engine.models import Actuals, IndicatorSet
from kpi_engine.reports.score_table_xlsx import render_score_table

from .conftest import SETS

GOLDEN = Path(__file__).resolve().parent / "golden" / "forms"


def _book(s: IndicatorSet, a: Actuals | None, lang: str = "zh") -> Any:
    e = Engine(s).evaluate(a or Actuals())
    data = render_score_table(s, e, lang, a)  # type: ignore[arg-type]
    return openpyxl.load_workbook(io.BytesIO(data))


def _shipped(name: str) -> tuple[IndicatorSet, Actuals]:
    return load_indicator_set(SETS / name), load_actuals(SETS / name / "actuals.yaml")


def dump_sheet(ws: Any) -> str:
    """Cells (value and number format), merged ranges and page setup as stable text."""
    setup = ws.page_setup
    lines = [
        f"sheet {ws.title}: paper {setup.paperSize} {setup.orientation}, fit width "
        f"{setup.fitToWidth}, print titles {ws.print_title_rows}, breaks after "
        f"{[b.id for b in ws.row_breaks.brk]}, footer {ws.oddFooter.center.text!r}",
    ]
    for row in ws.iter_rows():
        cells = []
        for c in row:
            if c.value is None or type(c).__name__ == "MergedCell":
                continue
            fmt = "" if c.number_format == "General" else f" [{c.number_format}]"
            cells.append(f"{c.coordinate}={c.value!r}{fmt}")
        if cells:
            height = ws.row_dimensions[row[0].row].height
            lines.append(f"{row[0].row} (h {height}): " + "  ".join(cells))
    merged = sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col))
    lines.append("merged: " + " ".join(str(r) for r in merged))
    return "\n".join(lines) + "\n"


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("KPI_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden file {path.name}: run with KPI_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["project-demo-2024", "gz-haizhu-amr-2023"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_form_matches_its_golden_dump(name: str, lang: str) -> None:
    """Each shipped set's form, cell by cell, with its merges and page setup."""
    ws = _book(*_shipped(name), lang).worksheets[0]
    _check(f"{name}.{lang}.xlsx.txt", dump_sheet(ws))


def test_project_form_has_the_national_rows_and_blocks() -> None:
    """项目名称 / 主管部门 / 实施单位, the funds block with 年度资金总额 and three 其中 rows,
    年度总体目标 and the indicator header, in the national form's order."""
    ws = _book(*_shipped("project-demo-2024")).worksheets[0]
    assert ws["A1"].value == "项目支出绩效自评表"
    assert ws["A2"].value == "（2024年度）"
    assert [ws["A3"].value, ws["A4"].value, ws["F4"].value] == ["项目名称", "主管部门", "实施单位"]
    assert ws["H4"].value == "某区市场监督管理局"
    assert [ws.cell(r, 2).value for r in range(6, 10)] == [
        "年度资金总额",
        "其中：当年财政拨款",
        "上年结转资金",
        "其他资金",
    ]
    assert [ws["A10"].value, ws["B10"].value, ws["G10"].value] == [
        "年度总体目标",
        "预期目标",
        "实际完成情况",
    ]
    assert [ws.cell(12, c).value for c in range(1, 10)] == [
        "绩效指标",
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "分值",
        "得分",
        "偏差原因分析及改进措施",
    ]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A5:A9", "A10:A11", "B6:C6", "C3:I3", "A1:I1"} <= merged


def test_department_form_names_the_department_and_its_tasks() -> None:
    """A 部门整体 set: 部门（单位）名称, 年度预算情况, 年度主要任务及总体目标 (with the goals)."""
    ws = _book(*_shipped("gz-haizhu-amr-2023")).worksheets[0]
    assert ws["A1"].value == "部门整体支出绩效自评表"
    assert (ws["A3"].value, ws["C3"].value) == ("部门（单位）名称", "广州市海珠区市场监督管理局")
    assert ws["A4"].value == "年度预算情况（万元）"
    assert ws["A9"].value == "年度主要任务及总体目标"
    assert ws["B10"].value.startswith("根据部门工作职责")


def test_form_prints_on_a4_landscape_with_titles_and_page_numbers() -> None:
    """Paper A4, landscape, one page wide, the indicator header repeated, numbered pages."""
    ws = _book(*_shipped("gz-haizhu-amr-2023")).worksheets[0]
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$11:$11"
    assert ws["B11"].value == "一级指标"
    assert "&P" in ws.oddFooter.center.text


def test_fonts_are_the_forms() -> None:
    """Title 方正小标宋简体, headings 黑体, body 宋体."""
    ws = _book(*_shipped("project-demo-2024")).worksheets[0]
    assert ws["A1"].font.name == "方正小标宋简体"
    assert ws["B12"].font.name == "黑体"
    assert ws["D13"].font.name == "宋体"


def test_numbers_are_rounded_numbers_with_units_in_their_formats() -> None:
    """No float noise: every number has at most four decimals; units live in number formats."""
    ws = _book(*_shipped("project-demo-2024")).worksheets[0]
    numbers = [c for row in ws.iter_rows() for c in row if isinstance(c.value, int | float)]
    assert numbers
    for c in numbers:
        exponent = Decimal(repr(c.value)).as_tuple().exponent
        assert isinstance(exponent, int)
        assert exponent >= -4, (c.coordinate, c.value)
    accuracy = next(r for r in range(13, 30) if ws.cell(r, 4).value == "检验报告准确率")
    assert ws.cell(accuracy, 6).value == pytest.approx(99.2)  # 3101 / 3126 × 100 = 99.2002…
    assert ws.cell(accuracy, 6).number_format == 'General"%"'
    batches = next(r for r in range(13, 30) if ws.cell(r, 4).value == "食品安全监督抽检批次")
    assert ws.cell(batches, 6).number_format == 'General" 批次"'
    assert ws["H6"].number_format == "0.00%"
    assert ws["H6"].value == pytest.approx(0.9505)


def test_inputs_the_set_lacks_leave_their_cells_blank() -> None:
    """No 主管部门, no fund sources, no stated achievement: blank cells, nothing invented."""
    ws = _book(*_shipped("project-demo-2024")).worksheets[0]
    assert ws["C4"].value is None  # 主管部门
    assert [ws.cell(7, c).value for c in (4, 5, 6)] == [None, None, None]
    assert ws["G11"].value is None  # 实际完成情况
    seed = _book(*_shipped("gz-haizhu-amr-2023")).worksheets[0]
    assert seed["D5"].value is None  # the seed has no 年初预算数


_FUNDED = """\
kpi_engine: 1
id: funded
title: 有资金来源的项目
project: 某某项目
supervisor: 某区财政局
organization: 某中心
goals: 完成建设。
inputs:
  budget: {role: budget_adjusted, unit: 万元}
  spent: {role: spent, unit: 万元}
  grant_budget: {fund: {part: appropriation, column: budget_adjusted}, unit: 万元}
  grant_spent: {fund: {part: appropriation, column: spent}, unit: 万元}
derived:
  execution_rate: {formula: spent / budget * 100, unit: "%"}
indicators:
  - {id: execution, name: 预算执行率, weight: 10, method: execution_rate, value: execution_rate}
  - {id: done, name: 完成数, weight: 90, target: "≥ 10 个"}
"""


def test_fund_sources_goals_and_names_fill_their_cells() -> None:
    """Fund parts go to their 其中 row, 主管部门 and 项目名称 to theirs, the achievement to 实际完成情况."""
    s = parse_indicator_set(_FUNDED)
    a = parse_actuals(
        "inputs: {budget: 100, spent: 90, grant_budget: 80, grant_spent: 72}\n"
        "indicators: {done: {actual: 10}}\ngoals_achieved: 已完成建设。\n"
    )
    ws = _book(s, a).worksheets[0]
    assert (ws["C3"].value, ws["C4"].value, ws["H4"].value) == ("某某项目", "某区财政局", "某中心")
    assert [ws.cell(7, c).value for c in range(4, 10)] == [None, 80, 72, "—", 0.9, "—"]
    assert (ws["B11"].value, ws["G11"].value) == ("完成建设。", "已完成建设。")


def _long_set(leaves: int) -> tuple[IndicatorSet, Actuals]:
    lines = ["kpi_engine: 1", "id: long", "title: 长表", "rules: []", "indicators:"]
    lines += [f"  - {{id: g, name: 产出指标, weight: {leaves}, children: ["]
    lines += [f"      {{id: h, name: 数量指标, weight: {leaves}, children: ["]
    lines += [
        f"        {{id: l{i}, name: 第{i}项产出指标的名称, weight: 1, target: '≥ 1 个'}},"
        for i in range(leaves)
    ]
    lines += ["      ]}]}"]
    actuals = {"indicators": {f"l{i}": {"actual": 1} for i in range(leaves)}}
    return parse_indicator_set("\n".join(lines) + "\n"), Actuals.model_validate(actuals)


def test_group_labels_are_written_again_after_each_page_break() -> None:
    """A merged group cell never crosses a page break: below each break the label is repeated."""
    ws = _book(*_long_set(60)).worksheets[0]
    breaks = [b.id for b in ws.row_breaks.brk]
    assert len(breaks) >= 2
    for rng in ws.merged_cells.ranges:
        assert not any(rng.min_row <= b < rng.max_row for b in breaks), str(rng)
    header = int(ws.print_title_rows.split(":")[0].strip("$"))
    for b in breaks:
        if b > header:
            assert ws.cell(b + 1, 2).value == "产出指标"
            assert ws.cell(b + 1, 3).value == "数量指标"
            assert ws.cell(b + 1, 1).value == "绩效指标"


def test_incomplete_total_shows_its_range_and_a_pending_grade() -> None:
    """Rows without data: the total row says 等级待定 and the note gives the range."""
    s, _ = _long_set(4)
    a = Actuals.model_validate({"indicators": {"l0": {"actual": 1}}})
    ws = _book(s, a).worksheets[0]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert any(t.startswith("等级待定") for t in texts)
    assert any("可能在" in t for t in texts)
