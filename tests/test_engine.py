"""The engine: statuses instead of crashes, totals that add up, explanations that recompute."""

from __future__ import annotations

import copy
import random
import threading
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_engine import (
    DefinitionError,
    Engine,
    IndicatorNotFoundError,
    Status,
    evaluate,
    load_actuals,
    load_indicator_set,
    parse_actuals,
    parse_indicator_set,
)
from kpi_engine.functions import exact_sum

from .conftest import SETS, make_set
from .strategies import flat_sets, trees

PROJECT = """
inputs:
  budget: {label: 全年预算数, unit: 万元}
  spent: {label: 全年执行数, unit: 万元}
  trained: {label: 培训人数, unit: 人}
  accidents: {unit: 起}
  passed: {}
  total: {}
derived:
  execution_rate: {formula: spent / budget * 100, unit: "%"}
  pass_rate: {formula: passed / total * 100, unit: "%"}
indicators:
  - id: output
    name: 产出指标
    weight: 50
    children:
      - {id: trained, name: 培训人数, weight: 20, target: "≥ 500 人", value: trained}
      - {id: accidents, name: 安全事故数, weight: 10, target: "= 0 起", value: accidents}
      - {id: quality, name: 验收合格率, weight: 20, target: "≥ 98%", value: pass_rate}
  - id: benefit
    name: 效益指标
    weight: 30
    children:
      - {id: effect, name: 社会效益, weight: 30, kind: qualitative, target: 明显提升}
  - id: satisfaction
    name: 满意度
    weight: 10
    children:
      - {id: sat, name: 满意度, weight: 10, target: "≥ 90%"}
  - {id: execution, name: 预算执行率, weight: 10, method: execution_rate, value: execution_rate}
"""

ACTUALS: dict[str, Any] = {
    "inputs": {
        "budget": D(100),
        "spent": D("95.5"),
        "trained": D(450),
        "accidents": D(0),
        "passed": D(97),
        "total": D(100),
    },
    "indicators": {"effect": {"tier": "部分达成"}, "sat": {"actual": D(92)}},
}


@pytest.fixture
def engine() -> Engine:
    return Engine(make_set(PROJECT))


def test_worked_example_scores_and_total(engine: Engine) -> None:
    """A hand-checked project: 18 + 10 + 19.7959… + 21 + 10 + 9.55 = 88.3459… → 88.35 (良)."""
    e = engine.evaluate(ACTUALS)
    scores = {r.id: r.score for r in e.indicators}
    assert scores["trained"] == D(18)
    assert scores["accidents"] == D(10)
    assert scores["quality"] == D(20) * D(97) / D(98)
    assert scores["effect"] == D(21)
    assert scores["sat"] == D(10)
    assert scores["execution"] == D("9.55")
    assert e.total == exact_sum(s for s in scores.values() if s is not None)
    assert str(e.total_rounded) == "88.35"
    assert e.grade is not None
    assert e.grade.label == "良"
    assert e.coverage == 1
    groups = {g.id: g.score for g in e.groups}
    assert groups["output"] == scores["trained"] + scores["accidents"] + scores["quality"]


def test_explanation_lets_a_reader_recompute_the_score(engine: Engine) -> None:
    """The quality row shows its inputs, formula, substituted numbers and the rule."""
    r = engine.evaluate(ACTUALS).indicator("quality")
    e = r.explanation
    assert e.value_formula == "pass_rate"
    used = {u.name: u for u in e.used}
    assert used["passed"].value == D(97)
    assert used["total"].value == D(100)
    assert used["pass_rate"].substituted == "97 / 100 * 100"
    assert e.calculation == "97 < 98 → s = 20 × 97 ÷ 98 = ≈19.795918"
    assert "A ≥ T" in e.rule_zh
    assert "A ≥ T" in e.rule_en


def test_missing_input_is_a_status_and_a_flag_never_zero(engine: Engine) -> None:
    """Without 'trained', that row is missing_input, the rest still scores, coverage drops."""
    actuals = copy.deepcopy(ACTUALS)
    del actuals["inputs"]["trained"]
    e = engine.evaluate(actuals)
    r = e.indicator("trained")
    assert r.status is Status.MISSING_INPUT
    assert r.score is None
    # The reader sees the input's label; its internal name stays in the explanation.
    assert r.problem_en is not None
    assert "trained" not in (r.problem or "") + r.problem_en
    assert [u.name for u in r.explanation.used if u.value is None] == ["trained"]
    assert e.indicator("accidents").status is Status.OK
    assert e.coverage == D(80) / D(100)
    rules = [f.rule for f in e.flags]
    assert "data.missing_input" in rules
    assert "data.incomplete" in rules


def test_not_applicable_rows_rescale_the_total(engine: Engine) -> None:
    """Dropping the 10-point satisfaction row: total = Σs ÷ 90 × 100."""
    actuals = copy.deepcopy(ACTUALS)
    actuals["indicators"]["sat"] = {"not_applicable": True, "reason": "本年度未开展"}
    e = engine.evaluate(actuals)
    scored = exact_sum(r.score for r in e.indicators if r.score is not None)
    assert e.indicator("sat").status is Status.NOT_APPLICABLE
    assert e.total == scored * 100 / 90
    assert e.coverage == 1


def test_text_actual_on_a_numeric_row_is_an_error_status() -> None:
    """实际完成值 '完成' on a numeric row: status error, flagged, others unaffected."""
    s = make_set(
        'indicators:\n  - {id: a, name: 甲, weight: 5, target: "≥ 1"}\n'
        '  - {id: b, name: 乙, weight: 5, target: "≥ 1"}\n'
    )
    e = evaluate(s, {"indicators": {"a": {"actual": "完成"}, "b": {"actual": 2}}})
    assert e.indicator("a").status is Status.ERROR
    assert e.indicator("a").actual_text == "完成"
    assert e.indicator("a").problem_code == "actual.not-numeric"
    assert e.indicator("b").score == 5
    assert any(f.rule == "data.error" and f.subject == "a" for f in e.flags)


def test_numbers_written_as_text_are_read() -> None:
    """ "1,234.5" and "98%" (on a % row) are numbers."""
    s = make_set(
        'indicators:\n  - {id: a, name: 甲, weight: 5, target: "≥ 1000"}\n'
        '  - {id: b, name: 乙, weight: 5, target: "≥ 95%"}\n'
    )
    e = evaluate(s, {"indicators": {"a": {"actual": "1,234.5"}, "b": {"actual": "98%"}}})
    assert e.indicator("a").value == D("1234.5")
    assert e.indicator("b").value == D(98)


def test_zero_target_on_a_proportional_row_is_an_error_status() -> None:
    """≥ 0 cannot be scored proportionally: error status with its code."""
    s = make_set('indicators:\n  - {id: a, name: 甲, weight: 5, target: "≥ 0"}\n')
    r = evaluate(s, {"indicators": {"a": {"actual": 3}}}).indicator("a")
    assert r.status is Status.ERROR
    assert r.problem_code == "score.target-not-positive"


def test_missing_target_is_recorded_not_invented() -> None:
    """A quantitative row without a target is missing_input, with the reason."""
    s = make_set("indicators:\n  - {id: a, name: 甲, weight: 5}\n")
    r = evaluate(s, {"indicators": {"a": {"actual": 3}}}).indicator("a")
    assert r.status is Status.MISSING_INPUT
    assert r.problem_code == "target.missing"
    assert r.value == 3


def test_division_by_zero_in_a_derived_value_is_an_error_on_dependent_rows() -> None:
    """budget 0 makes execution_rate uncomputable: the row says why."""
    s = make_set(
        """
        inputs: {budget: {}, spent: {}}
        derived: {rate: {formula: spent / budget * 100, unit: "%"}}
        indicators:
          - {id: e, name: 执行率, weight: 10, method: execution_rate, value: rate}
        """
    )
    r = evaluate(s, {"inputs": {"budget": 0, "spent": 5}}).indicator("e")
    assert r.status is Status.ERROR
    assert r.problem_code == "formula.division-by-zero"
    assert "rate" in (r.problem or "")


def test_non_numeric_input_is_an_error_on_dependent_rows() -> None:
    """An input given as '十二' is reported on every row that reads it."""
    s = make_set(
        "inputs: {x: {}}\nindicators:\n  - {id: a, name: 甲, weight: 5, target: 1, value: x}\n"
    )
    r = evaluate(s, {"inputs": {"x": "十二"}}).indicator("a")
    assert r.status is Status.ERROR
    assert r.problem_code == "input.not-numeric"


def test_qualitative_rows_need_a_tier() -> None:
    """No tier: missing_input. A score outside the tier's band: error."""
    s = make_set("indicators:\n  - {id: q, name: 甲, weight: 10, kind: qualitative}\n")
    assert evaluate(s, {}).indicator("q").status is Status.MISSING_INPUT
    bad = evaluate(s, {"indicators": {"q": {"tier": "达成", "score": 5}}}).indicator("q")
    assert bad.status is Status.ERROR
    assert bad.problem_code == "score.outside-tier-band"


def test_qualitative_default_points_are_configurable_per_set() -> None:
    """qualitative: {partly: 75} changes the default for 部分达成."""
    s = make_set(
        "qualitative: {partly: 75}\n"
        "indicators:\n  - {id: q, name: 甲, weight: 10, kind: qualitative}\n"
    )
    assert evaluate(s, {"indicators": {"q": {"tier": "partly"}}}).indicator("q").score == D("7.5")


def test_custom_score_formula_and_bands_and_threshold() -> None:
    """method: formula, bands and threshold each score as declared."""
    s = make_set(
        """
        indicators:
          - {id: f, name: 公式, weight: 10, target: 100, method: formula,
             score_formula: "w * min(1, A / T) ** 2"}
          - id: b
            name: 分档
            weight: 10
            method: bands
            bands: [{min: 95, points: 10}, {min: 90, max: 95, points: 8}, {max: 90, points: 0}]
          - {id: t, name: 门槛, weight: 5, target: "≤ 3", method: threshold}
        """
    )
    e = evaluate(s, {"indicators": {"f": {"actual": 90}, "b": {"actual": 92}, "t": {"actual": 4}}})
    assert e.indicator("f").score == D("8.1")
    assert e.indicator("b").score == 8
    assert e.indicator("t").score == 0


def test_custom_score_formula_out_of_range_is_an_error() -> None:
    """A score formula giving more than w is reported, never capped silently."""
    s = make_set(
        "indicators:\n  - {id: f, name: 甲, weight: 10, target: 1, method: formula, "
        'score_formula: "w * 2"}\n'
    )
    r = evaluate(s, {"indicators": {"f": {"actual": 1}}}).indicator("f")
    assert r.status is Status.ERROR
    assert r.problem_code == "score.out-of-range"


def test_rounding_per_indicator_when_the_set_says_so() -> None:
    """apply: indicator rounds each row before adding, as hand-made tables do."""
    body = (
        "rounding: {places: 2, apply: %s}\nindicators:\n"
        "  - {id: a, name: 甲, weight: 10, target: 3}\n  - {id: b, name: 乙, weight: 10, target: 3}\n"
    )
    actuals = {"indicators": {"a": {"actual": 2}, "b": {"actual": 2}}}
    per_row = evaluate(make_set(body % "indicator"), actuals)
    exact = evaluate(make_set(body % "display"), actuals)
    assert per_row.indicator("a").score == D("6.67")
    assert per_row.total == D("13.34")
    assert exact.total_rounded == D("13.33")


def test_unknown_names_in_actuals_get_a_did_you_mean_and_location() -> None:
    """A typo in the actuals is a located definition error, never silently ignored."""
    s = make_set(PROJECT)
    a = parse_actuals("inputs:\n  budgte: 1\nindicators:\n  trianed: {actual: 1}\n", "a.yaml")
    with pytest.raises(DefinitionError) as info:
        Engine(s).evaluate(a)
    text = info.value.report()
    assert "a.yaml:2:3: actuals.unknown-input: 未定义的输入项 'budgte'，是否想写 'budget'？" in text
    assert "a.yaml:4:3: actuals.unknown-indicator" in text
    assert "'trained'" in text


def test_actuals_for_a_group_or_another_set_are_rejected() -> None:
    """Entries for groups and actuals of another set are definition errors."""
    with pytest.raises(DefinitionError) as info:
        evaluate(make_set(PROJECT), {"set": "other", "indicators": {"output": {"actual": 1}}})
    assert set(info.value.codes) == {"actuals.set-mismatch", "actuals.unknown-indicator"}


def test_tier_on_a_quantitative_row_is_rejected() -> None:
    """tier/score belong to qualitative rows only."""
    with pytest.raises(DefinitionError) as info:
        evaluate(make_set(PROJECT), {"indicators": {"sat": {"tier": "达成"}}})
    assert info.value.codes == ("actuals.tier-on-quantitative",)


def test_reported_actual_that_differs_from_the_formula_is_flagged(engine: Engine) -> None:
    """The computed value is scored; the difference is flagged for the reviewer."""
    actuals = copy.deepcopy(ACTUALS)
    actuals["indicators"]["trained"] = {"actual": 500}
    e = engine.evaluate(actuals)
    assert e.indicator("trained").value == 450
    assert any(f.rule == "data.actual-mismatch" for f in e.flags)


def test_inputs_are_never_modified(engine: Engine) -> None:
    """The caller's mapping is the same after evaluation."""
    actuals = copy.deepcopy(ACTUALS)
    engine.evaluate(actuals)
    assert actuals == ACTUALS


def test_float_actuals_from_python_are_read_by_their_shortest_text() -> None:
    """0.1 given as a float becomes Decimal('0.1'), not 0.1000000000000000055…"""
    s = make_set(
        "inputs: {x: {}}\nindicators:\n  - {id: a, name: 甲, weight: 10, target: 1, value: x}\n"
    )
    assert evaluate(s, {"inputs": {"x": 0.1}}).indicator("a").value == D("0.1")


def test_unknown_indicator_lookup_raises_a_package_error(engine: Engine) -> None:
    """Evaluation.indicator raises IndicatorNotFoundError (a KpiEngineError)."""
    with pytest.raises(IndicatorNotFoundError):
        engine.evaluate(ACTUALS).indicator("nope")


def test_nothing_applicable_gives_no_total_rather_than_zero() -> None:
    """All rows not applicable: total and grade are None, not 0 and 差."""
    s = make_set("indicators:\n  - {id: a, name: 甲, weight: 10, target: 1}\n")
    e = evaluate(s, {"indicators": {"a": {"not_applicable": True}}})
    assert e.total is None
    assert e.grade is None


def test_one_engine_is_safe_to_share_between_threads(engine: Engine) -> None:
    """Eight threads evaluating different actuals get the same results as serial runs."""
    variants = []
    for i in range(16):
        a = copy.deepcopy(ACTUALS)
        a["inputs"]["trained"] = D(400 + 10 * i)
        variants.append(a)
    expected = [engine.evaluate(a).to_dict() for a in variants]
    got: list[Any] = [None] * len(variants)

    def work(i: int) -> None:
        for _ in range(20):
            got[i] = engine.evaluate(variants[i]).to_dict()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(variants))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == expected


# --- properties -----------------------------------------------------------------------------


@given(flat_sets())
def test_total_is_the_sum_of_leaf_scores_and_within_the_scale(
    case: tuple[str, dict[str, Any]],
) -> None:
    """Σ leaf scores = total, and 0 ≤ total ≤ scale."""
    text, actuals = case
    e = evaluate(parse_indicator_set(text), actuals)
    assert e.total == exact_sum(r.score for r in e.indicators if r.score is not None)
    assert e.total is not None
    assert 0 <= e.total <= e.scale


@given(flat_sets(), st.integers(2, 7))
def test_scaling_every_weight_and_the_scale_keeps_the_grade(
    case: tuple[str, dict[str, Any]], k: int
) -> None:
    """Weights × k and scale × k: same grade, total × k."""
    text, actuals = case
    scaled_lines = []
    for line in text.splitlines():
        if line.startswith("scale: "):
            line = f"scale: {D(line.split(': ')[1]) * k}"
        if "weight: " in line:
            head, rest = line.split("weight: ")
            value, tail = rest.split(",", 1)
            line = f"{head}weight: {D(value) * k},{tail}"
        scaled_lines.append(line)
    base = evaluate(parse_indicator_set(text), actuals)
    scaled = evaluate(parse_indicator_set("\n".join(scaled_lines) + "\n"), actuals)
    assert base.total is not None
    assert scaled.total is not None
    # Inexact quotients (e.g. w·A/T = 1/3) are rounded at the 28th digit, so compare closely.
    assert abs(scaled.total - base.total * k) <= D("1e-20")
    assert scaled.grade == base.grade


@given(flat_sets(min_leaves=2), st.randoms(use_true_random=False))
def test_reordering_indicators_changes_nothing(
    case: tuple[str, dict[str, Any]], rnd: random.Random
) -> None:
    """Shuffling the leaves gives the same per-indicator results, total and grade."""
    text, actuals = case
    head, tail = text.split("indicators:\n")
    leaves = tail.splitlines()
    rnd.shuffle(leaves)
    shuffled = head + "indicators:\n" + "\n".join(leaves) + "\n"
    a = evaluate(parse_indicator_set(text), actuals)
    b = evaluate(parse_indicator_set(shuffled), actuals)
    assert a.total == b.total
    assert a.grade == b.grade
    assert {r.id: r.score for r in a.indicators} == {r.id: r.score for r in b.indicators}


@given(flat_sets())
def test_results_are_deterministic(case: tuple[str, dict[str, Any]]) -> None:
    """Two evaluations of the same input give identical JSON."""
    text, actuals = case
    s = parse_indicator_set(text)
    assert evaluate(s, actuals).to_json() == evaluate(s, actuals).to_json()


@given(flat_sets())
def test_full_marks_exactly_for_rows_whose_target_is_met(case: tuple[str, dict[str, Any]]) -> None:
    """Every ok row has score = weight exactly when its target is met."""
    text, actuals = case
    for r in evaluate(parse_indicator_set(text), actuals).indicators:
        assert r.met is not None
        assert r.value is not None
        assert r.target is not None
        assert (r.score == r.weight) == (r.value >= r.target.value)


def test_a_bad_figure_no_row_reads_is_still_flagged() -> None:
    """budget_initial: "x" feeds only rule packs: a data.bad_input flag, never silence."""
    s = make_set(
        "inputs:\n  budget_initial: {unit: 万元}\n  done: {unit: 个}\n"
        'indicators:\n  - {id: a, name: 甲, weight: 5, target: "≥ 1 个", value: done}\n'
    )
    e = evaluate(s, {"inputs": {"budget_initial": "x", "done": 2}})
    assert e.indicator("a").status is Status.OK
    bad = [f for f in e.flags if f.rule == "data.bad_input"]
    assert [(f.subject, f.severity) for f in bad] == [("budget_initial", "warning")]
    assert bad[0].message == "输入项 budget_initial 的值 'x' 不是数字，已按缺失处理"
    assert bad[0].evidence == {"input": "budget_initial", "code": "input.not-numeric"}


def test_a_bad_figure_a_row_reports_is_not_flagged_twice() -> None:
    """When a row's data.error already quotes the bad input, no separate input flag is added."""
    s = make_set(
        "inputs:\n  done: {unit: 个}\n"
        'indicators:\n  - {id: a, name: 甲, weight: 5, target: "≥ 1 个", value: done}\n'
    )
    e = evaluate(s, {"inputs": {"done": "很多"}})
    assert [f.rule for f in e.flags if f.rule.startswith("data.")] == [
        "data.error",
        "data.incomplete",
    ]


@given(trees())
def test_any_tree_adds_up_level_by_level(generated: tuple[str, dict[str, Any]]) -> None:
    """Nested groups, every kind of row, any mix of data: each row's score lies in [0, w], each
    group is the exact sum of its children, and the total lies in [0, scale]."""
    text, actuals = generated
    e = evaluate(parse_indicator_set(text, "gen.yaml"), actuals)
    scores: dict[str, D] = {}
    for r in e.indicators:
        assert r.score is None or 0 <= r.score <= r.weight
        assert (r.score is not None) == (r.status is Status.OK)
        scores[r.id] = r.score or D(0)
    for g in e.groups:  # children before their parents
        assert g.score == exact_sum(scores[c] for c in g.children)  # exact, like the engine
        assert 0 <= g.score <= g.weight
        scores[g.id] = g.score
    assert 0 <= e.coverage <= 1
    assert e.total is None or 0 <= e.total <= e.scale


@given(trees(), st.booleans())
def test_an_incomplete_total_is_a_range_and_is_not_graded(
    generated: tuple[str, dict[str, Any]], as_zero: bool
) -> None:
    """grade is None exactly when coverage is below 1 (unless the set says unscored: zero); the
    range runs from the total to the total with every unscored row at full marks, and its grades
    are those of its ends."""
    text, actuals = generated
    if as_zero:
        text = text.replace("\nindicators:", "\nunscored: zero\nindicators:", 1)
    e = evaluate(parse_indicator_set(text, "gen.yaml"), actuals)
    if e.total is None:
        return
    if e.coverage < 1:
        assert e.total_high is not None
        assert e.total <= e.total_high <= e.scale
        unscored = sum(
            (r.weight for r in e.indicators if r.status in (Status.MISSING_INPUT, Status.ERROR)),
            D(0),
        )
        applicable = sum((r.applicable_weight for r in e.indicators), D(0))
        assert e.total_high - e.total <= unscored * e.scale / applicable + D("1e-20")  # 28 digits
        assert (e.grade is None) == (not as_zero)
        assert (e.grade_range is None) == as_zero
        assert e.unscored_as_zero == as_zero
        assert e.to_dict()["total_range"] == [str(e.total_rounded), str(e.total_high_rounded)]
    else:
        assert e.grade is not None
        assert (e.total_high, e.grade_range, e.unscored_as_zero) == (None, None, False)


def test_the_seed_total_is_a_range_and_its_grade_is_withheld() -> None:
    """The seed scores 64 of the 70 % it can score: 64.00–94.00, 中 to 优, no grade in JSON."""
    e = evaluate(
        load_indicator_set(SETS / "gz-haizhu-amr-2023"),
        load_actuals(SETS / "gz-haizhu-amr-2023" / "actuals.yaml"),
    )
    data = e.to_dict()
    assert (data["grade"], data["total_range"], data["grade_range"]) == (
        None,
        ["64.00", "94.00"],
        ["中", "优"],
    )


def test_a_set_may_count_unscored_rows_as_zero_and_says_so() -> None:
    """unscored: zero grades the total as before and marks the grade and the flag."""
    from kpi_engine.reports.labels import grade_text

    body = (SETS / "gz-haizhu-amr-2023" / "set.yaml").read_text(encoding="utf-8")
    s = parse_indicator_set(body.replace("\nindicators:", "\nunscored: zero\nindicators:", 1))
    e = evaluate(s, load_actuals(SETS / "gz-haizhu-amr-2023" / "actuals.yaml"))
    assert e.grade is not None
    assert e.grade.label == "中"
    assert grade_text(e, "zh") == "中（未计分指标按 0 分计）"
    flag = next(f for f in e.flags if f.rule == "data.incomplete")
    assert "按 0 分计入并评定等级" in flag.message


def test_a_figure_missing_from_the_source_is_not_scored_and_not_blamed_on_the_unit() -> None:
    """not_in_source: missing_input with its own code, an info flag naming a transcription gap,
    and no data.missing_input warning for that row."""
    s = make_set('indicators:\n  - {id: a, name: 培训人数, weight: 10, target: "≥ 500 人"}\n')
    e = evaluate(s, {"indicators": {"a": {"not_in_source": True}}})
    row = e.indicator("a")
    assert (row.status, row.problem_code) == (Status.MISSING_INPUT, "actual.not-in-source")
    rules = {f.rule: f for f in e.flags}
    assert "data.missing_input" not in rules
    assert rules["data.not_in_source"].severity == "info"
    assert "转录缺口" in rules["data.not_in_source"].message


def test_an_actual_that_restates_the_target_is_named_as_such() -> None:
    """ "≥266米" as the 实际完成值 is not a result: an error status saying it restates the target,
    while a bare text like 完成 stays actual.not-numeric."""
    s = make_set('indicators:\n  - {id: a, name: 新建步道, weight: 10, target: "≥ 266 米"}\n')
    row = evaluate(s, {"indicators": {"a": {"actual": "≥266米"}}}).indicator("a")
    assert (row.status, row.problem_code) == (Status.ERROR, "actual.restates-target")
    assert "照抄了目标值" in (row.problem or "")
    other = evaluate(s, {"indicators": {"a": {"actual": "完成"}}}).indicator("a")
    assert other.problem_code == "actual.not-numeric"


_PUBLISHED = """
scale: 100
as_published: true
indicators:
  - id: output
    name: 产出指标
    weight: 60
    children:
      - {id: a, name: 培训人数, weight: 40, target: "≥ 500 人"}
      - {id: b, name: 合格率, weight: 30, target: "≥ 90%"}
  - {id: c, name: 满意度, weight: 50, target: "≥ 90%"}
"""


def test_a_table_loaded_as_published_is_reviewed_not_refused() -> None:
    """Weights adding to 70 under a printed 60, and 110 under a printed 100: two flags with both
    figures and where they are, and the total added up as the table adds it (40 + 30 + 50, no
    rescaling)."""
    s = make_set(_PUBLISHED)
    e = evaluate(
        s, {"indicators": {"a": {"actual": 500}, "b": {"actual": 90}, "c": {"actual": 90}}}
    )
    found = [f for f in e.flags if f.rule == "published.inconsistent"]
    assert sorted(f.evidence["code"] for f in found) == [
        "weights.mismatch",
        "weights.scale-mismatch",
    ]
    assert any("60" in f.message and "70" in f.message for f in found)
    assert e.total == 120
    with pytest.raises(DefinitionError):
        Engine(make_set(_PUBLISHED.replace("as_published: true\n", "")))
