"""kpi init: every template validates, evaluates fully and lints; files are never overwritten."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kpi_engine import DefinitionError, Engine, load_actuals, load_indicator_set
from kpi_engine.cli import main
from kpi_engine.scaffold import TEMPLATES, init


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_validates_evaluates_and_lints(name: str, tmp_path: Path) -> None:
    """A fresh template scores every row, and lint finds nothing structural to complain about."""
    folder = tmp_path / name
    written = init(name, folder)
    assert {p.name for p in written} == {
        "set.yaml",
        "actuals.yaml",
        "indicator-set.schema.json",
        "actuals.schema.json",
        "monitoring.yaml",
    }
    engine = Engine(load_indicator_set(folder))
    e = engine.evaluate(load_actuals(folder / "actuals.yaml"))
    assert e.coverage == 1
    assert all(r.status.value == "ok" for r in e.indicators)
    assert [f.rule for f in engine.lint() if f.severity != "info"] == []


def test_project_template_has_the_national_split(tmp_path: Path) -> None:
    """产出 50 / 效益 30 / 满意度 10 / 预算执行率 10, with the four output dimensions."""
    init("project", tmp_path)
    compiled = Engine(load_indicator_set(tmp_path)).compiled
    top = {g.name: g.weight for g in compiled.groups if g.depth == 1}
    assert top == {"产出指标": 50, "效益指标": 30, "满意度指标": 10}
    assert {leaf.dimension for leaf in compiled.leaves if leaf.dimension} >= {
        "数量",
        "质量",
        "时效",
        "成本",
    }


def test_init_never_overwrites(tmp_path: Path) -> None:
    """A second init into the same folder refuses, naming the files."""
    init("project", tmp_path)
    with pytest.raises(DefinitionError) as info:
        init("project", tmp_path)
    assert set(info.value.codes) == {"init.exists"}


def test_init_cli_lists_and_suggests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """kpi init --list names every template; a typo gets a suggestion and exit 2."""
    assert main(["init", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in TEMPLATES)
    assert main(["init", "--template", "projcet", str(tmp_path / "x")]) == 2
    assert "project" in capsys.readouterr().err
    assert main(["init", "--template", "guangdong", str(tmp_path / "g")]) == 0
    assert (
        (tmp_path / "g" / "set.yaml")
        .read_text(encoding="utf-8")
        .startswith("# yaml-language-server: $schema=./indicator-set.schema.json")
    )


def test_the_mof_2013_template_follows_the_framework(tmp_path: Path) -> None:
    """Its rows as the framework lists them (结转结余率, 资金使用合规性, 预决算信息公开性,
    基础信息完善性, 资产管理安全性; 预算管理 and 资产管理 apart), 预算调整率 as the sum of the
    adjustments, and "每超过一个百分点扣0.8分" prorated."""
    folder = tmp_path / "m"
    init("mof-2013", folder)
    engine = Engine(load_indicator_set(folder))
    names = {leaf.name for leaf in engine.compiled.leaves}
    assert {
        "结转结余率",
        "资金使用合规性",
        "预决算信息公开性",
        "基础信息完善性",
        "资产管理安全性",
    } <= names
    assert {"预算管理", "资产管理"} <= {g.name for g in engine.compiled.groups}
    e = engine.evaluate(load_actuals(folder / "actuals.yaml"))
    # (260 + 60 + 40) ÷ 5000 = 7.2 %, where the net change (5200 − 5000) ÷ 5000 would be 4 %
    assert e.indicator("budget_adjustment").value == Decimal("7.2")
    leaf = engine.compiled.leaf("three_public_change")
    assert leaf is not None
    assert leaf.deduction is not None
    assert leaf.deduction.partial == "prorate"


def test_the_mof_2013_template_marks_its_procurement_inputs_for_the_procurement_checks(
    tmp_path: Path,
) -> None:
    """政府采购执行率 (DOMAIN §3): the template's procurement inputs carry their roles, so the
    cn-fiscal pack checks them — 880 of 900 passes, 950 of 900 is 超预算政府采购."""
    from kpi_engine import evaluate, parse_actuals

    folder = tmp_path / "m"
    init("mof-2013", folder)
    definition = load_indicator_set(folder)
    text = (folder / "actuals.yaml").read_text(encoding="utf-8")
    assert "procurement_actual: 880" in text
    quiet = evaluate(definition, parse_actuals(text))
    loud = evaluate(
        definition,
        parse_actuals(text.replace("procurement_actual: 880", "procurement_actual: 950")),
    )
    assert not {f.rule for f in quiet.flags} & {"procurement.low", "procurement.over_plan"}
    fired = {f.rule: f for f in loud.flags}
    assert "procurement.over_plan" in fired
    assert "950 超过政府采购预算数 900" in fired["procurement.over_plan"].message
