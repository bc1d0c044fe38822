"""Declaration review: the declaration fields, the cn-declare pack at its boundaries, each row's
审核意见, kpi lint --stage declare and the two new forms (golden dumps)."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import openpyxl  # noqa: TID251 - tests read the files with the library itself
import pytest

from kpi_engine import parse_indicator_set
from kpi_engine.cli import main
from kpi_engine.declaration import Verdict, review
from kpi_engine.loading import load_indicator_set
from kpi_engine.models import IndicatorTag
from kpi_engine.monitoring import load_monitoring, monitor
from kpi_engine.reports.year_forms_xlsx import render_declare_form, render_monitor_form
from kpi_engine.rulepacks import builtin_pack

from .test_score_table_xlsx import _check, dump_sheet

TEMPLATE = Path(__file__).resolve().parent.parent / "src" / "kpi_engine" / "templates" / "project"

SET = """\
kpi_engine: 1
id: d
title: 申报
funds_requested: {funds}
indicators:
  - id: out
    name: 产出指标
    weight: 60
    children:
      - id: qty
        name: 数量指标
        weight: 20
        children:
          - {{id: built, name: 建成数量, weight: 20, target: "≥ 100 个", tags: 核心、共性, basis: {{standard: 历史标准, note: 上年 96 个}}}}
      - id: quality
        name: 质量指标
        weight: 20
        children:
          - {{id: rate, name: 合格率, weight: 20, target: "≥ 95%", basis: 其他}}
      - id: time
        name: 时效指标
        weight: 10
        children:
          - {{id: days, name: 完成时限, weight: 10, target: "≤ 30 天", basis: 计划标准}}
      - id: cost
        name: 成本指标
        weight: 10
        children:
          - {{id: unit, name: 单位成本, weight: 10, target: "≤ 2 万元", quantity: built, basis: 行业标准}}
  - id: sat
    name: 满意度指标
    weight: 40
    children:
      - {{id: happy, name: 满意度, weight: 40, target: "{sat}", basis: 历史标准}}
"""


def _set(funds: str = "200", sat: str = "≥ 90%") -> object:
    return parse_indicator_set(SET.format(funds=funds, sat=sat))


def _rules(funds: str = "200", sat: str = "≥ 90%", **last: int) -> set[str]:
    d = review(_set(funds, sat), {k: Decimal(v) for k, v in last.items()})  # type: ignore[arg-type]
    return {f.rule for f in d.flags}


def test_basis_and_tags_read_the_words_a_form_uses() -> None:
    leaf = _set().indicators[0].children[0].children[0]  # type: ignore[attr-defined]
    assert leaf.basis.standard == "historical"
    assert leaf.basis.label == "历史标准"
    assert leaf.tags == (IndicatorTag.CORE, IndicatorTag.COMMON)


def test_a_complete_declaration_passes_with_only_advice() -> None:
    d = review(_set())  # type: ignore[arg-type]
    assert {f.rule for f in d.flags} == {"declare.basis_without_note"}
    assert d.overall.verdict is Verdict.PASS


@pytest.mark.parametrize(
    ("funds", "expected"),
    [
        ("200", set()),
        ("220", set()),  # 200 against 220: 9.1 % off
        ("250", {"declare.cost_inconsistent"}),  # 20 % off
        ("400", {"declare.cost_severe"}),  # 50 % off
    ],
)
def test_unit_cost_times_quantity_is_checked_against_the_funds(
    funds: str, expected: set[str]
) -> None:
    assert _rules(funds) & {"declare.cost_inconsistent", "declare.cost_severe"} == expected


def test_targets_below_last_year_are_flagged_and_equal_ones_are_not() -> None:
    assert "declare.below_last_year" in _rules(built=101)
    assert "declare.below_last_year" not in _rules(built=100)
    assert "declare.looser_than_last_year" in _rules(days=20)


def test_a_satisfaction_target_that_is_not_a_percentage_is_unmeasurable() -> None:
    assert "declare.satisfaction_unmeasurable" in _rules(sat="≥ 4 分")
    assert "declare.satisfaction_unmeasurable" not in _rules()


def test_a_row_with_an_error_is_rejected_and_the_whole_with_it() -> None:
    s = parse_indicator_set(SET.format(funds=200, sat="≥ 90%").replace(', target: "≥ 100 个"', ""))
    d = review(s)
    assert d.rows["built"].verdict is Verdict.REJECT
    assert "declare.output_no_target" in d.rows["built"].reasons("en") or d.rows["built"].flags
    assert d.overall.verdict is Verdict.REJECT
    assert d.rows["days"].verdict is Verdict.PASS


def test_every_rule_of_cn_declare_is_documented() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "flags.md").read_text("utf-8")
    for rule in builtin_pack("cn-declare").rules:
        assert f"`{rule.definition.id}`" in text, rule.definition.id


def test_kpi_lint_stage_declare_prints_the_verdict_and_exits_by_fail_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(SET.format(funds=400, sat="≥ 90%"), encoding="utf-8")
    assert main(["lint", "--stage", "declare", str(path)]) == 0
    assert "审核意见：不通过" in capsys.readouterr().out
    assert main(["lint", "--stage", "declare", str(path), "--fail-on", "error"]) == 1
    capsys.readouterr()
    assert main(["lint", "--stage", "declare", str(path), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "reject"
    assert payload["rows"]["built"] == "pass"


def test_kpi_lint_stage_declare_reads_last_year_from_an_actuals_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "set.yaml").write_text(SET.format(funds=200, sat="≥ 90%"), encoding="utf-8")
    (tmp_path / "last.yaml").write_text("indicators: {built: {actual: 120}}\n", encoding="utf-8")
    args = ["lint", "--stage", "declare", str(tmp_path / "set.yaml")]
    assert main([*args, "--last-year", str(tmp_path / "last.yaml")]) == 0
    assert "declare.below_last_year" in capsys.readouterr().out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_declaration_form_matches_its_golden_dump(lang: str) -> None:
    s = load_indicator_set(TEMPLATE / "set.yaml")
    data = render_declare_form(s, review(s), lang)  # type: ignore[arg-type]
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    _check(f"project-template.declare.{lang}.xlsx.txt", dump_sheet(ws))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_monitoring_form_matches_its_golden_dump(lang: str) -> None:
    s = load_indicator_set(TEMPLATE / "set.yaml")
    m = monitor(s, load_monitoring(TEMPLATE / "monitoring.yaml"))
    data = render_monitor_form(s, m, lang)  # type: ignore[arg-type]
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    _check(f"project-template.monitor.{lang}.xlsx.txt", dump_sheet(ws))


def test_kpi_table_writes_the_declaration_and_monitoring_forms(tmp_path: Path) -> None:
    s = str(TEMPLATE / "set.yaml")
    out = tmp_path / "d.xlsx"
    assert main(["table", s, "--form", "declare", "-o", str(out), "-q"]) == 0
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert sheet["G7"].value == "审核意见"
    out = tmp_path / "m.xlsx"
    monitoring = str(TEMPLATE / "monitoring.yaml")
    assert main(["table", s, monitoring, "--form", "monitor", "-o", str(out), "-q"]) == 0
    assert openpyxl.load_workbook(out).worksheets[0]["E10"].value == "1–7月执行情况"
    assert main(["table", s, "--form", "monitor", "-o", str(out)]) == 2


def test_the_sets_own_cn_declare_parameters_apply_and_extra_packs_run_too() -> None:
    text = SET.format(funds=250, sat="≥ 90%").replace(
        "funds_requested: 250", "funds_requested: 250\nrules: {cn-declare: {cost_tolerance: 0.25}}"
    )
    assert "declare.cost_inconsistent" not in {
        f.rule for f in review(parse_indicator_set(text)).flags
    }
    extra = builtin_pack("cn-fiscal")
    found = {f.rule for f in review(_set(), extra_rules=(extra,)).flags}  # type: ignore[arg-type]
    assert "declare.basis_without_note" in found
    assert any(rule.startswith("granularity.") for rule in found)


def test_a_department_set_gets_department_titles_on_both_forms() -> None:
    """部门整体绩效目标申报表 / 部门整体绩效目标执行监控表 for kind: department, not the project's."""
    from kpi_engine.monitoring import parse_monitoring

    s = load_indicator_set(TEMPLATE / "set.yaml").model_copy(update={"kind": "department"})
    declared = openpyxl.load_workbook(io.BytesIO(render_declare_form(s, review(s)))).worksheets[0]
    record = parse_monitoring(f"kpi_monitor: 1\nset: {s.id}\nas_of: 2024-07-31\n")
    monitored = openpyxl.load_workbook(io.BytesIO(render_monitor_form(s, monitor(s, record))))
    assert str(declared["A1"].value).startswith("部门整体绩效目标申报表")
    assert str(monitored.worksheets[0]["A1"].value).startswith("部门整体绩效目标执行监控表")
