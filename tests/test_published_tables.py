"""Published 绩效自评表 transcribed as a new auditor would, and the judgments an auditor would sign.

Each folder under ``tests/tables`` holds one table as the unit published it (``as_published``),
with a comment saying where it comes from and what was not legible.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from kpi_engine import evaluate, load_actuals, load_indicator_set

TABLES = Path(__file__).parent / "tables"


def test_the_tangxi_commission_table_is_judged_as_an_auditor_would() -> None:
    """棠溪镇 2022 委托业务项目: every numeric row scores as printed; the execution row the unit
    printed as 0 (a broken 年度资金总额 row) is 10 by the rule, so the unit's own total is too low,
    not too high; the satisfaction row cut off in the source leaves the total a range with its
    grade pending — and nobody is blamed for the transcription gap."""
    folder = TABLES / "chizhou-tangxi-2022"
    e = evaluate(load_indicator_set(folder), load_actuals(folder / "actuals.yaml"))
    assert e.indicator("report_pass").unit == "%"  # "≥100百分比" as the form prints it
    assert all(
        r.score == r.reported_score
        for r in e.indicators
        if r.id not in {"execution", "public"} and r.reported_score is not None
    )
    assert e.indicator("execution").score == Decimal(10)
    assert (e.total_rounded, e.total_high_rounded, e.grade) == (
        Decimal("90.00"),
        Decimal("100.00"),
        None,
    )
    fired = {f.rule: f for f in e.flags}
    assert {
        "review.score_mismatch",
        "reason.unfounded_deduction",
        "review.total_low",
        "data.actual-mismatch",
        "data.not_in_source",
        "data.incomplete",
        "granularity.vague_target",
        "granularity.soft_outputs",
    } <= set(fired)
    assert not {"review.total_high", "satisfaction.no_numeric", "execution.over_budget"} & set(
        fired
    )
    assert "自评打分偏低 10.00 分" in fired["review.total_low"].message
    assert fired["data.actual-mismatch"].message == (
        "指标“预算执行率”填报的实际值 0% 与公式计算值 100% 不一致（按计算值评分）"
    )
