"""Review (复核): every departure of a reported score from the rule is reported, graded by size;
qualitative rows are reviewed against their tier band (issue 11, items 2 and 3)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kpi_engine import Evaluation, evaluate, parse_actuals, parse_indicator_set

REVIEW_SET = """\
kpi_engine: 1
id: review
title: 复核
rules: {cn-fiscal: {min_leaves: 1, min_group_leaves: 1, leaf_share_max: 1}}
indicators:
  - {id: trained, name: 培训人数, weight: 10, target: "≥ 500 人"}
  - {id: passed, name: 考核合格率, weight: 20, target: "≥ 90%"}
  - {id: ledger, name: 台账建立数, weight: 2, target: "≥ 10 个"}
  - {id: cut, name: 办结件数, weight: 10, target: "≥ 100 件"}
  - {id: mech, name: 长效机制, weight: 15, kind: qualitative, target: 建立长效机制}
  - {id: rest, name: 其他工作, weight: 43, target: "≥ 1 项"}
"""


def review(reported: dict[str, Any], total: Any = None, **tiers: Any) -> Evaluation:
    actuals: dict[str, Any] = {
        "indicators": {
            "trained": {"actual": 431},  # 10 × 431 ÷ 500 = 8.62
            "passed": {"actual": 95},  # met: 20
            "ledger": {"actual": 10},  # met: 2
            "cut": {"actual": 98},  # 9.8
            "mech": {"tier": "达成"},
            "rest": {"actual": 1},
        }
    }
    for key, value in reported.items():
        actuals["indicators"][key]["reported_score"] = value
        actuals["indicators"][key]["reason"] = "已说明"
    for key, value in tiers.items():
        actuals["indicators"][key] |= value
    if total is not None:
        actuals["reported_total"] = total
    import json

    text = json.dumps(actuals, ensure_ascii=False, default=str)
    return evaluate(parse_indicator_set(REVIEW_SET), parse_actuals(text))


def flags_on(e: Evaluation, subject: str) -> dict[str, Any]:
    return {f.rule: f for f in e.flags if f.subject == subject and f.rule.startswith("review.")}


def test_a_rounded_score_is_reported_as_information_at_the_defaults() -> None:
    """9 for the proportional 8.62: 0.38 is within the tolerance, so info, and it looks rounded."""
    found = flags_on(review({"trained": 9}), "trained")
    assert set(found) == {"review.score_rounded"}
    flag = found["review.score_rounded"]
    assert flag.severity == "info"
    assert flag.message.endswith("自评得分与评分标准不一致，相差 0.38，疑为取整")
    assert flag.problem == "自评得分与评分标准不符"


def test_a_met_target_scored_below_full_appears_at_the_defaults() -> None:
    """19.6 where a met target earns 20: reported, as information (0.4 ≤ 0.5, 2 % of 20)."""
    found = flags_on(review({"passed": "19.6"}), "passed")
    assert set(found) == {"review.score_minor"}
    assert "相差 0.40（在允许误差 0.5 分以内）" in found["review.score_minor"].message


def test_a_truncated_score_looks_rounded() -> None:
    """9 for 9.8 is cut, not rounded: still the 疑为取整 wording."""
    assert set(flags_on(review({"cut": 9}), "cut")) == {"review.score_mismatch"}  # 0.8 > 0.5
    assert set(flags_on(review({"cut": "9.7"}), "cut")) == {"review.score_minor"}
    assert set(flags_on(review({"cut": "9.8"}), "cut")) == set()


def test_the_size_is_judged_against_the_row_weight() -> None:
    """0.2 on a 2-point row is 10 % of it: a warning though below the 0.5 tolerance."""
    found = flags_on(review({"ledger": "1.8"}), "ledger")
    assert set(found) == {"review.score_mismatch"}
    assert found["review.score_mismatch"].severity == "warning"
    assert "占该项分值 2 分的 10%" in found["review.score_mismatch"].message
    assert set(flags_on(review({"ledger": "1.9"}), "ledger")) == {"review.score_minor"}  # 5 %


def test_a_score_equal_to_the_cent_is_not_a_departure() -> None:
    """8.62 for 8.62 exactly, 8.624 for 8.62: no review flag; 8.63 is one."""
    assert flags_on(review({"trained": "8.62"}), "trained") == {}
    assert flags_on(review({"trained": "8.624"}), "trained") == {}
    assert set(flags_on(review({"trained": "8.63"}), "trained")) == {"review.score_minor"}


def test_a_qualitative_score_inside_its_band_is_legitimate() -> None:
    """达成 13 of 15 (87 %) is the unit's choice within 80–100 %; 11 of 15 is outside."""
    assert flags_on(review({"mech": 13}), "mech") == {}
    assert flags_on(review({"mech": 15}), "mech") == {}
    outside = flags_on(review({"mech": 11}), "mech")
    assert set(outside) == {"review.outside_band"}
    assert outside["review.outside_band"].message == (
        "定性指标“长效机制”评为“达成”，自评 11 分，不在该档次 12–15 分的区间内"
    )


TIERS = {"达成": (Decimal("0.8"), Decimal(1), True), "部分达成": (Decimal("0.6"), Decimal("0.8"), False),
         "未达成": (Decimal(0), Decimal("0.6"), False)}  # fmt: skip


@given(st.sampled_from(sorted(TIERS)), st.integers(0, 10_000))
def test_no_qualitative_score_inside_its_band_is_ever_flagged(tier: str, pick: int) -> None:
    """Any self-score inside the tier's band raises no review flag on that row."""
    low, high, inclusive = TIERS[tier]
    lo, hi = 15 * low, 15 * high
    cents = int((hi - lo) * 100) + (1 if inclusive else 0)
    score = lo + Decimal(pick % cents) / 100
    assert flags_on(review({"mech": score}, mech={"tier": tier}), "mech") == {}


@given(st.decimals(min_value=0, max_value=10, places=3, allow_nan=False, allow_infinity=False))
def test_a_departure_of_a_cent_is_always_flagged_and_agreement_never(reported: Decimal) -> None:
    """Against the proportional 8.62: equal to the cent, no flag; ≥ 0.01 apart, exactly one."""
    found = flags_on(review({"trained": reported}), "trained")
    gradings = {"review.score_mismatch", "review.score_rounded", "review.score_minor"}
    if abs(reported - Decimal("8.62")) >= Decimal("0.01"):
        assert len(set(found) & gradings) == 1
    elif reported.quantize(Decimal("0.01"), ROUND_HALF_UP) == Decimal("8.62"):
        assert not set(found) & gradings


# --- totals, like with like (item 4) ---------------------------------------------------------


def totals(e: Evaluation) -> dict[str, Any]:
    return {f.rule: f for f in e.flags if f.rule.startswith("review.total")}


def test_the_total_comparison_says_which_way_and_names_the_rows_left_out() -> None:
    """Two rows reported: 9 + 20 against 8.62 + 20 is 偏高 0.38; the other four are named."""
    found = totals(review({"trained": 9, "passed": 20}))
    assert set(found) == {"review.total_high"}
    assert found["review.total_high"].message == (
        "已填报且可计分的 2 项自评得分合计 29 分，按评分标准复核为 28.62 分，自评打分偏高 0.38 分"
        "；未纳入比较的 4 项：台账建立数（未填报自评得分）、办结件数（未填报自评得分）、"
        "长效机制（未填报自评得分）、其他工作（未填报自评得分）"
    )
    low = totals(review({"trained": 8, "passed": 20}))
    assert set(low) == {"review.total_low"}
    assert "自评打分偏低 0.62 分" in low["review.total_low"].message
    assert low["review.total_low"].problem == "自评打分偏低"


def test_a_gap_only_from_rows_the_engine_could_not_score_is_not_high() -> None:
    """Every row reported at its rule score, one row without data reported at full: no 偏高."""
    reported = {"trained": "8.62", "passed": 20, "ledger": 2, "cut": "9.8", "mech": 15, "rest": 43}
    e = review(reported, total="98.42", rest={"actual": None})
    assert totals(e) == {}
    assert e.total is not None
    assert e.total < Decimal("98.42")


def test_a_printed_total_that_is_not_the_sum_of_its_rows_is_its_own_finding() -> None:
    """Rows that follow the rules under a total row that does not add up: only total_mismatch."""
    reported = {"trained": "8.62", "passed": 20, "ledger": 2, "cut": "9.8", "mech": 15, "rest": 43}
    found = totals(review(reported, total=100))
    assert set(found) == {"review.total_mismatch"}
    assert found["review.total_mismatch"].message == (
        "评分表合计行的自评总分 100 分，不等于各项自评得分之和 98.42 分（相差 1.58 分）"
    )


def test_a_reported_total_alone_is_compared_when_every_row_was_scored() -> None:
    found = totals(review({}, total=99))
    assert set(found) == {"review.total_high"}
    assert found["review.total_high"].message.startswith("全部 6 项（自评总分）自评得分合计 99 分")


scores = st.decimals(min_value=0, max_value=10, places=2, allow_nan=False, allow_infinity=False)


@given(scores, st.decimals(min_value=0, max_value=20, places=2, allow_nan=False))
def test_the_direction_word_of_a_total_comparison_matches_the_sign(a: Decimal, b: Decimal) -> None:
    """偏高 exactly when the reported rows add up to more than the rule's, 偏低 when less."""
    found = totals(review({"trained": a, "passed": b}))
    gap = a + b - Decimal("28.62")
    if gap > 0:
        assert set(found) == {"review.total_high"}
        assert "偏高" in found["review.total_high"].message
    elif gap < 0:
        assert set(found) == {"review.total_low"}
        assert "偏低" in found["review.total_low"].message
    else:
        assert found == {}


# --- checks a practitioner expects (items 6, 9, 13) ------------------------------------------


def _fired(set_edits: list[Any], actual_edits: list[Any]) -> dict[str, Any]:
    from .flagcases import run

    return {f.rule: f for f in run(set_edits, actual_edits).flags}


def test_spending_above_the_budget_is_a_warning_with_its_figures() -> None:
    flag = _fired([], [(("inputs", "spent"), 112)])["execution.over_budget"]
    assert flag.severity == "warning"
    assert flag.message == (
        "预算执行率 112.00%：全年执行数 112 超过全年预算数 100（超出 12），"
        "存在超预算支出，或预算数填报有误"
    )
    assert flag.evidence["overspend"] == "12"


def test_satisfaction_below_eighty_percent_is_low_even_above_its_target() -> None:
    found = _fired(
        [(("indicators", 2, "children", 0, "target"), "≥ 75%")],
        [(("indicators", "sat"), {"actual": 78, "reported_score": 10})],
    )
    assert found["satisfaction.low"].problem == "满意度偏低"
    assert "satisfaction.low" not in _fired([], [])


def test_a_met_target_scored_below_full_without_a_reason_is_an_unfounded_deduction() -> None:
    flag = _fired([], [(("indicators", "count", "reported_score"), "14")])[
        "reason.unfounded_deduction"
    ]
    assert flag.message == (
        "指标“培训人数”已达到目标（实际 500 人，目标 ≥ 500 人），却自评 14 分（分值 15 分），"
        "且未说明扣分依据"
    )


def test_target_too_low_reads_the_direction() -> None:
    """A ≥ row far beaten: target too low. A ≤ row far under its ceiling: the ceiling is loose,
    never "超出目标"; control ceilings of budget management rows are not checked."""
    high = _fired([], [(("indicators", "count", "actual"), 700)])["target.too_low"]
    assert high.message.startswith("指标“培训人数”实际 700 人，超过目标值 500 人 达 40%")
    loose = _fired([], [(("indicators", "time", "actual"), 10)])
    assert "target.too_low" not in loose
    assert loose["target.too_loose"].message.startswith(
        "指标“办结时限”实际 10 天，远低于上限 20 天"
    )


def test_the_shipped_mof_template_does_not_flag_its_own_ceiling_row() -> None:
    from pathlib import Path

    from kpi_engine import load_actuals, load_indicator_set

    folder = Path(__file__).resolve().parent.parent / "src/kpi_engine/templates/mof-2013"
    e = evaluate(load_indicator_set(folder / "set.yaml"), load_actuals(folder / "actuals.yaml"))
    assert not [f for f in e.flags if f.rule.startswith("target.")]


def test_the_budget_identity_uses_the_official_wording() -> None:
    flag = _fired([], [(("inputs", "income"), 98)])["data.budget_identity"]
    assert flag.message.startswith("年初结转结余、本年收支与年末结转结余勾稽关系不符：")


PRINTED = """\
kpi_engine: 1
id: printed
title: 填报值
rules: []
inputs:
  done: {unit: 件}
  found: {unit: 件}
derived:
  rate: {formula: "done / found * 100", unit: "%"}
indicators:
  - {id: r, name: 不合格食品核查处置率, weight: 100, target: "= 100%", value: rate}
"""


def test_a_printed_figure_equal_to_the_computed_one_at_its_precision_is_no_mismatch() -> None:
    """A printed "100%" beside a computed 100, or 99.2 beside 99.2007: the same figure."""

    def rules(printed: str, done: int, found: int) -> set[str]:
        actuals = {
            "inputs": {"done": done, "found": found},
            "indicators": {"r": {"actual": printed}},
        }
        return {f.rule for f in evaluate(parse_indicator_set(PRINTED), actuals).flags}

    assert "data.actual-mismatch" not in rules("100%", 7, 7)
    assert "data.actual-mismatch" not in rules("99.2%", 3101, 3126)  # 99.20025…
    assert "data.actual-mismatch" not in rules("99%", 3101, 3126)  # printed to the percent
    assert "data.actual-mismatch" in rules("98%", 3101, 3126)
    assert "data.actual-mismatch" in rules("100%", 80, 100)


def test_a_group_named_quality_indicators_counts_as_the_quality_dimension() -> None:
    from kpi_engine import lint

    text = """\
kpi_engine: 1
id: q
title: 质量
indicators:
  - id: out
    name: 产出指标
    weight: 60
    children:
      - {id: a, name: 培训人数, weight: 20, target: "≥ 10 人", dimension: 数量}
      - {id: b, name: 按时完成率, weight: 20, target: "≥ 90%", dimension: 时效}
      - id: qual
        name: 质量指标
        weight: 20
        children:
          - {id: c, name: 合格率, weight: 20, target: "≥ 90%"}
  - id: ben
    name: 效益指标
    weight: 40
    children:
      - {id: d, name: 就业率, weight: 20, target: "≥ 60%"}
      - {id: e, name: 带动就业人数, weight: 20, target: "≥ 100 人"}
"""
    assert "granularity.missing_dimensions" not in {f.rule for f in lint(parse_indicator_set(text))}


def test_first_level_dimension_groups_are_the_output_part_of_the_frame() -> None:
    """Forms that flatten 产出 into 数量指标 / 质量指标 / 时效指标 at the first level: those rows count
    as outputs with their dimension, so neither 缺少产出维度 nor 未设置产出指标 is raised; a row
    called 服务质量提升 under 效益 stays a benefit row and is not called misfiled."""
    from kpi_engine import Engine, lint
    from kpi_engine.models import NodeRole

    text = """\
kpi_engine: 1
id: flat
title: 维度在第一级
indicators:
  - {id: num, name: 数量指标, weight: 20, children: [{id: a, name: 培训人数, weight: 20, target: "≥ 10 人"}]}
  - {id: qual, name: 质量指标, weight: 20, children: [{id: c, name: 合格率, weight: 20, target: "≥ 90%"}]}
  - {id: time, name: 时效指标, weight: 20, children: [{id: b, name: 按时完成率, weight: 20, target: "≥ 90%"}]}
  - id: ben
    name: 效益指标
    weight: 40
    children:
      - {id: d, name: 服务质量提升, weight: 20, target: "≥ 60%"}
      - {id: e, name: 带动就业人数, weight: 20, target: "≥ 100 人"}
"""
    definition = parse_indicator_set(text)
    leaves = {leaf.id: leaf for leaf in Engine(definition).compiled.leaves}
    assert {i: (leaves[i].role, leaves[i].dimension) for i in "acb"} == {
        "a": (NodeRole.OUTPUT, "数量"),
        "c": (NodeRole.OUTPUT, "质量"),
        "b": (NodeRole.OUTPUT, "时效"),
    }
    assert leaves["d"].role is NodeRole.BENEFIT
    rules = {f.rule for f in lint(definition)}
    assert not rules & {
        "granularity.missing_dimensions",
        "granularity.soft_outputs",
        "role.misfiled",
    }


# --- lint: a row whose name reads like another role than its group's (item 1) ---------------


def test_lint_points_at_a_satisfaction_row_filed_under_benefit() -> None:
    """The row keeps its group's role; lint only says it reads like satisfaction (指标归类不当)."""
    from kpi_engine import lint

    text = """\
kpi_engine: 1
id: misfiled
title: 归类
indicators:
  - id: ben
    name: 效益指标
    weight: 100
    children:
      - {id: jobs, name: 带动就业人数, weight: 50, target: "≥ 100 人"}
      - {id: sat, name: 群众满意度, weight: 50, target: "≥ 90%", role: benefit}
"""
    flags = [f for f in lint(parse_indicator_set(text)) if f.rule == "role.misfiled"]
    assert [f.subject for f in flags] == ["sat"]
    assert flags[0].problem == "指标归类不当"
    assert (
        flags[0].message
        == "指标“群众满意度”从名称看属于满意度指标，却归在“效益指标”下（按效益类计）"
    )
    assert "reads like a satisfaction indicator but is filed under 效益指标" in flags[0].message_en
