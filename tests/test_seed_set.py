"""The seed's own evaluation: the set written from the 2023 海珠区市场监管局 report."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kpi_engine import Engine, Evaluation, Status, load_actuals, load_indicator_set, parse_actuals

from .conftest import SETS

SEED = SETS / "gz-haizhu-amr-2023"


@pytest.fixture(scope="module")
def seed() -> Evaluation:
    return Engine(load_indicator_set(SEED)).evaluate(load_actuals(SEED / "actuals.yaml"))


def test_budget_identity_of_the_seed_holds(seed: Evaluation) -> None:
    """446.95 + 22,044.92 − 22,044.92 = 446.95, so no identity flag; 结转结余率 ≈ 2.03 %."""
    v = seed.values
    assert v["carryover_start"] + v["income"] - v["expenditure"] == v["carryover_end"]  # type: ignore[operator]
    assert "data.budget_identity" not in {f.rule for f in seed.flags}
    rate = seed.values["carryover_rate"]
    assert rate is not None
    assert rate.quantize(Decimal("0.01")) == Decimal("2.03")
    assert seed.values["carryover_change"] == 0


def test_granularity_fires_for_reasons_visible_in_its_evidence(seed: Evaluation) -> None:
    """The report's own conclusion (绩效指标不够精细化) is re-derived: figures without targets and
    goals without figures."""
    granular = {f.rule: f for f in seed.flags if f.problem == "绩效指标不够精细化"}
    assert set(granular) == {"granularity.missing_target", "granularity.narrative_goals"}
    missing = granular["granularity.missing_target"]
    assert missing.evidence["untargeted_count"] == "27"
    assert "包保干部人数" in missing.evidence["untargeted_names"]
    assert "查办各类案件" in missing.message


def test_the_budget_gap_is_reported_not_zeroed(seed: Evaluation) -> None:
    """No 全年预算数 in the report: 预算执行率 is missing_input and the total says it is partial."""
    execution = seed.indicator("execution")
    assert execution.status is Status.MISSING_INPUT
    assert "全年预算数" in (execution.problem or "")
    assert seed.coverage == Decimal("0.7")
    assert "data.incomplete" in {f.rule for f in seed.flags}


def test_targets_exist_only_where_the_report_states_them(seed: Evaluation) -> None:
    """Implied targets (未发生 → = 0, 全覆盖 → = 100 %) are set; none is invented elsewhere."""
    targeted = {r.id: r.target_text for r in seed.indicators if r.target_text}
    assert targeted["food_incidents"] == "= 0 起"
    assert targeted["catering_training"] == "= 100%"
    weighted_without_target = [
        r.id for r in seed.indicators if r.weight > 0 and r.target_text is None
    ]
    assert weighted_without_target == []
    assert sum(1 for r in seed.indicators if r.problem_code == "target.missing") == 27


def test_every_actual_says_where_in_the_report_it_comes_from() -> None:
    """Each indicator entry and input of the actuals has a source naming a report section."""
    actuals = load_actuals(SEED / "actuals.yaml")
    for indicator_id, entry in actuals.indicators.items():
        assert entry.source, indicator_id
        assert entry.source.startswith(("一、", "二、")), indicator_id
    for name, value in actuals.inputs.items():
        assert getattr(value, "source", None), name


def test_supplying_the_missing_budget_completes_the_evaluation() -> None:
    """With a 全年预算数 the execution row scores and coverage rises: the gap was only data."""
    text = (
        (SEED / "actuals.yaml")
        .read_text(encoding="utf-8")
        .replace("budget_adjusted: {value: null,", "budget_adjusted: {value: 23000,")
    )
    e = Engine(load_indicator_set(SEED)).evaluate(parse_actuals(text))
    assert e.indicator("execution").status is Status.OK
    assert e.coverage == Decimal("0.9")
