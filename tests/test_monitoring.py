"""In-year monitoring: time progress, schedules, projections, deviation grades, likelihood,
causes, funds (双监控) and what the year end reads from it."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_engine import Engine, parse_actuals, parse_indicator_set
from kpi_engine.cli import main
from kpi_engine.errors import DefinitionError, Lang
from kpi_engine.models import IndicatorSet
from kpi_engine.monitoring import (
    Deviation,
    Likelihood,
    MonitoringRecord,
    expected_share,
    monitor,
    parse_monitoring,
    projection,
    time_progress,
    year_end_flags,
)

SET = """\
kpi_engine: 1
id: m
title: 监控
rules: []
inputs:
  budget: {role: budget_adjusted, unit: 万元}
  spent: {role: spent, unit: 万元}
indicators:
  - id: out
    name: 产出指标
    weight: 80
    children:
      - {id: built, name: 建成数量, weight: 20, target: "≥ 100 个"}
      - {id: trained, name: 培训人次, weight: 20, target: "≥ 600 人", progress: {6: 40, 9: 75}}
      - {id: rate, name: 合格率, weight: 20, target: "≥ 95%"}
      - {id: cost, name: 单位成本, weight: 10, target: "≤ 2 万元"}
      - {id: late, name: 超期天数, weight: 10, target: "≤ 0 天"}
  - {id: exec, name: 预算执行率, weight: 20, method: execution_rate, target: "≥ 100%", value: spent / budget * 100}
"""


def _set() -> IndicatorSet:
    return parse_indicator_set(SET)


def _record(as_of: date, spent: Decimal, **to_date: Any) -> MonitoringRecord:
    return MonitoringRecord(
        as_of=as_of,
        inputs={"budget": Decimal(100), "spent": spent},
        indicators={k: {"to_date": v} for k, v in to_date.items()},  # type: ignore[misc]
    )


def _rows(record: MonitoringRecord) -> dict[str, Any]:
    return {row.id: row for row in monitor(_set(), record).rows}


def test_time_progress_counts_whole_months_and_the_part_of_this_one() -> None:
    assert time_progress(date(2024, 7, 31)) == Decimal(7) / 12
    assert time_progress(date(2024, 12, 31)) == 1
    assert time_progress(date(2023, 2, 14)) == (1 + Decimal(14) / 28) / 12


def test_a_schedule_is_read_linearly_between_its_months() -> None:
    schedule = {6: Decimal(40), 9: Decimal(75)}
    assert expected_share(schedule, Decimal(6) / 12) == Decimal("0.4")
    assert expected_share(schedule, Decimal(9) / 12) == Decimal("0.75")
    assert expected_share(schedule, Decimal(3) / 12) == Decimal("0.2")
    assert expected_share(schedule, Decimal(1)) == 1
    assert expected_share(None, Decimal("0.5")) == Decimal("0.5")


def test_an_accruing_figure_is_projected_over_the_share_due_and_a_level_is_kept() -> None:
    rows = _rows(_record(date(2024, 6, 30), Decimal(50), built=40, trained=200, rate=90, cost=3))
    assert rows["built"].projected == 80
    assert rows["built"].deviation is Deviation.MILD
    assert rows["trained"].expected == Decimal("0.4")
    assert rows["trained"].projected == 500
    assert rows["trained"].deviation is Deviation.MILD  # 500 of 600: 16.7 % short
    assert rows["rate"].accrues is False
    assert rows["rate"].projected == 90
    assert rows["rate"].deviation is Deviation.MILD  # 5.3 % short of 95
    assert rows["cost"].deviation is Deviation.SEVERE  # 3 against ≤ 2: 50 % over
    assert rows["exec"].projected == 100
    assert rows["exec"].deviation is Deviation.NORMAL
    behind = _rows(_record(date(2024, 6, 30), Decimal(50), built=39))["built"]
    assert behind.deviation is Deviation.SEVERE  # just past 20 %


def test_likelihood_is_computed_and_the_units_word_overrides_it() -> None:
    record = parse_monitoring(
        textwrap.dedent("""\
        kpi_monitor: 1
        as_of: 2024-06-30
        indicators:
          built: {to_date: 10, likelihood: 有可能, cause: 经费保障, measure: 追加资金}
          rate: {to_date: 96}
          late: {to_date: 3}
        """)
    )
    rows = _rows(record)
    assert rows["built"].likelihood is Likelihood.POSSIBLE
    assert rows["built"].likelihood_stated
    assert rows["built"].cause == "funding"
    assert rows["rate"].likelihood is Likelihood.CERTAIN
    assert rows["late"].deviation is Deviation.SEVERE  # any delay against 0 days
    assert rows["late"].likelihood is Likelihood.IMPOSSIBLE


def test_a_deviation_without_cause_or_measure_is_flagged_and_with_them_is_not() -> None:
    bare = monitor(_set(), _record(date(2024, 6, 30), Decimal(50), built=10))
    assert "monitor.cause_missing" in {f.rule for f in bare.flags if f.subject == "built"}
    record = parse_monitoring(
        "as_of: 2024-06-30\ninputs: {budget: 100, spent: 50}\n"
        "indicators: {built: {to_date: 10, cause: 人员保障, measure: 增加人员}}\n"
    )
    explained = monitor(_set(), record)
    assert "monitor.cause_missing" not in {f.rule for f in explained.flags}


def test_funds_are_monitored_against_time_progress() -> None:
    slow = monitor(_set(), _record(date(2024, 6, 30), Decimal(20)))
    assert slow.execution == Decimal("0.2")
    assert slow.funds_deviation is Deviation.SEVERE
    assert "monitor.funds_severe" in {f.rule for f in slow.flags}
    on_time = monitor(_set(), _record(date(2024, 6, 30), Decimal(50)))
    assert on_time.funds_deviation is Deviation.NORMAL


def test_an_unknown_cause_is_a_definition_error_with_its_location() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_monitoring("as_of: 2024-06-30\nindicators: {built: {cause: 天气}}\n", "m.yaml")
    assert "m.yaml:2:" in caught.value.report("en")


def test_the_year_end_flags_a_deviation_left_unexplained_and_a_certain_target_missed() -> None:
    record = parse_monitoring(
        "as_of: 2024-06-30\ninputs: {budget: 100, spent: 50}\n"
        "indicators: {built: {to_date: 10, cause: 人员保障, measure: 增加人员}, rate: {to_date: 97}}\n"
    )
    monitoring = monitor(_set(), record)
    actuals = parse_actuals(
        "inputs: {budget: 100, spent: 100}\n"
        "indicators: {built: {actual: 90}, trained: {actual: 600}, rate: {actual: 93},"
        " cost: {actual: 2}, late: {actual: 0}}\n"
    )
    evaluation = Engine(_set()).evaluate(actuals)
    found = {(f.rule, f.subject) for f in year_end_flags(monitoring, evaluation)}
    assert found == {("year.deviation_unexplained", "built"), ("year.certain_but_missed", "rate")}
    explained = parse_actuals(
        "inputs: {budget: 100, spent: 100}\n"
        "indicators: {built: {actual: 90, reason: 人员不足，已补充}, rate: {actual: 96}}\n"
    )
    assert year_end_flags(monitoring, Engine(_set()).evaluate(explained)) == ()


# --- properties ------------------------------------------------------------------------------

_dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@given(_dates)
def test_a_unit_exactly_on_schedule_is_normal_on_every_indicator(as_of: date) -> None:
    elapsed = time_progress(as_of)
    trained_share = expected_share({6: Decimal(40), 9: Decimal(75)}, elapsed)
    record = _record(
        as_of,
        100 * elapsed,
        built=100 * elapsed,
        trained=600 * trained_share,
        rate=95,
        cost=2,
        late=0,
    )
    monitoring = monitor(_set(), record)
    assert all(row.deviation is Deviation.NORMAL for row in monitoring.rows), monitoring.rows
    assert monitoring.funds_deviation is Deviation.NORMAL


@given(
    st.decimals(min_value=0, max_value=10**6, places=2),
    st.decimals(min_value=0, max_value=10**6, places=2),
    st.one_of(st.none(), st.decimals(min_value="0.01", max_value=1, places=4)),
)
def test_projection_is_monotone_in_the_figure_to_date(a: Decimal, b: Decimal, share: Any) -> None:
    low, high = sorted((a, b))
    p_low, p_high = projection(low, share), projection(high, share)
    assert p_low is not None
    assert p_high is not None
    assert p_low <= p_high


@given(_dates, st.decimals(min_value=0, max_value=1000, places=2))
def test_no_indicator_is_serious_while_its_projection_meets_the_target(
    as_of: date, figure: Decimal
) -> None:
    record = _record(as_of, figure, built=figure, trained=figure, rate=figure, cost=figure)
    for row in monitor(_set(), record).rows:
        if row.projected is None or row.deviation is None:
            continue
        meets = row.gap == 0
        assert not (meets and row.deviation is Deviation.SEVERE)
        if meets:
            assert row.deviation is Deviation.NORMAL


# --- the command ------------------------------------------------------------------------------


def _files(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "set.yaml").write_text(SET, encoding="utf-8")
    (tmp_path / "m.yaml").write_text(
        "kpi_monitor: 1\nas_of: 2024-06-30\ninputs: {budget: 100, spent: 20}\n"
        "indicators: {built: {to_date: 10}, rate: {to_date: 97, likelihood: 确定能}}\n",
        encoding="utf-8",
    )
    return str(tmp_path / "set.yaml"), str(tmp_path / "m.yaml")


def test_kpi_monitor_exits_like_evaluate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s, m = _files(tmp_path)
    assert main(["monitor", s, m]) == 0
    out = capsys.readouterr().out
    assert "序时进度：50.00%" in out
    assert "严重偏差" in out
    assert main(["monitor", s, m, "--fail-on", "warning"]) == 1
    assert main(["monitor", s, str(tmp_path / "missing.yaml")]) == 2


def test_kpi_monitor_json_carries_exact_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s, m = _files(tmp_path)
    assert main(["monitor", s, m, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    built = next(row for row in payload["indicators"] if row["id"] == "built")
    assert built["projected"] == "20"
    assert built["deviation"] == "severe"
    assert payload["funds"]["execution"] == "0.2"
    assert {"monitor.severe", "monitor.cause_missing", "monitor.funds_severe"} <= {
        f["rule"] for f in payload["flags"]
    }


def test_kpi_evaluate_reads_the_monitoring_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s, m = _files(tmp_path)
    actuals = tmp_path / "a.yaml"
    actuals.write_text(
        "inputs: {budget: 100, spent: 100}\nindicators: {built: {actual: 100}, rate: {actual: 90}}\n",
        encoding="utf-8",
    )
    assert main(["evaluate", s, str(actuals), "--monitoring", m, "--format", "json"]) == 0
    rules = {(f["rule"], f["subject"]) for f in json.loads(capsys.readouterr().out)["flags"]}
    assert ("year.deviation_unexplained", "built") in rules
    assert ("year.certain_but_missed", "rate") in rules


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_monitoring_renders_as_markdown_in_both_languages(lang: Lang) -> None:
    from kpi_engine.reports.monitoring_text import render_monitoring_markdown

    text = render_monitoring_markdown(
        monitor(_set(), _record(date(2024, 6, 30), Decimal(50))), lang
    )
    assert text.startswith("# 监控")
    assert ("全年预计" if lang == "zh" else "Projected") in text


def test_a_record_for_another_set_is_refused() -> None:
    record = parse_monitoring("kpi_monitor: 1\nset: other\nas_of: 2024-06-30\n")
    with pytest.raises(DefinitionError) as caught:
        monitor(_set(), record)
    assert caught.value.codes == ("actuals.set-mismatch",)
