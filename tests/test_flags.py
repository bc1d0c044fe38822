"""The built-in cn-fiscal pack: every rule fires at its boundary and not just short of it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_engine import evaluate, lint, parse_actuals, parse_indicator_set
from kpi_engine.results import SEVERITY_ORDER

from .flagcases import BASE_SET, DELETE, Edit, leaf, rules_fired, run
from .strategies import flat_sets


def test_the_healthy_base_case_raises_no_flag() -> None:
    """The reference project meets every rule, so each case below changes one thing."""
    assert run().flags == ()


P = "rules"  # overriding a pack parameter: ("rules", ...) on the set


def params(**values: Any) -> list[Edit]:
    return [((P,), {"cn-fiscal": values})]


_PART: Edit = (
    ("indicators", 0, "children"),
    [
        *BASE_SET["indicators"][0]["children"],
        {"id": "poor", "name": "脱贫户学员", "part_of": "count", "target": "≥ 100 人"},
    ],
)

CASES: list[tuple[str, list[Edit], list[Edit], list[Edit], list[Edit]]] = [
    # rule, set edits that fire, actual edits that fire, set edits just short, actual edits short
    ("granularity.too_few_leaves", params(min_leaves=9), [], params(min_leaves=8), []),
    ("granularity.thin_group", params(min_group_leaves=3), [], params(min_group_leaves=2), []),
    (
        "granularity.heavy_leaf",
        params(leaf_share_max="0.14"),
        [],
        params(leaf_share_max="0.15"),
        [],
    ),
    (
        "granularity.soft_outputs",
        [
            (leaf(0, 3, "kind"), "qualitative"),
            ((P,), {"cn-fiscal": {"max_soft_output_share": "0.19"}}),
        ],
        [((("indicators", "cost")), {"tier": "达成", "reported_score": 10})],
        [
            (leaf(0, 3, "kind"), "qualitative"),
            ((P,), {"cn-fiscal": {"max_soft_output_share": "0.2"}}),
        ],
        [((("indicators", "cost")), {"tier": "达成", "reported_score": 10})],
    ),
    (
        "granularity.vague_target",
        [(leaf(0, 3, "kind"), "qualitative"), (leaf(0, 3, "target"), "培训效果明显")],
        [((("indicators", "cost")), {"tier": "达成", "reported_score": 10})],
        [(leaf(0, 3, "kind"), "qualitative"), (leaf(0, 3, "target"), "人均成本控制在预算内")],
        [((("indicators", "cost")), {"tier": "达成", "reported_score": 10})],
    ),
    ("granularity.text_actual", [], [(("indicators", "count", "actual"), "完成")], [], []),
    (
        "target.direction_inferred",
        [(leaf(0, 0, "target"), "500 人")],
        [],
        [(leaf(0, 0, "target"), "≥ 500 人")],
        [],
    ),
    (
        "granularity.missing_target",
        [(leaf(0, 0, "target"), DELETE)],
        [],
        [(leaf(0, 0, "target"), DELETE), (leaf(0, 0, "method"), "execution_rate")],
        [(("indicators", "count", "actual"), 100)],
    ),
    (
        "granularity.missing_dimensions",
        [(leaf(0, 2, "dimension"), "成本")],
        [],
        [(leaf(0, 3, "dimension"), "时效")],
        [],
    ),
    (
        "granularity.narrative_goals",
        [(("goals",), "持续提升培训质量")],
        [],
        [(("goals",), "培训 500 人")],
        [],
    ),
    (
        "target.too_low",
        [],
        [(("indicators", "count", "actual"), "600.01")],
        [],
        [(("indicators", "count", "actual"), 600)],
    ),
    (
        "target.too_loose",
        [],
        [(("indicators", "time", "actual"), "16.66")],
        [],
        [(("indicators", "time", "actual"), "16.67")],
    ),
    (
        "target.below_last_year",
        [],
        [(("indicators", "count", "last_year"), 501)],
        [],
        [(("indicators", "count", "last_year"), 500)],
    ),
    (
        "execution.over_budget",
        [],
        [(("inputs", "spent"), "100.01")],
        [],
        [(("inputs", "spent"), 100)],
    ),
    ("execution.low", [], [(("inputs", "spent"), "89.99")], [], [(("inputs", "spent"), 90)]),
    (
        # A 其中 row under 培训人数 (full marks at 500): 99 of ≥ 100 is flagged, 100 is not.
        "target.part_missed",
        [_PART],
        [(("indicators", "poor"), {"actual": 99})],
        [_PART],
        [(("indicators", "poor"), {"actual": 100})],
    ),
    (
        # 45 of 50 planned is 90 %: a tendering saving that size is not flagged.
        "procurement.low",
        [],
        [(("inputs", "procure_made"), "44.99")],
        [],
        [(("inputs", "procure_made"), 45)],
    ),
    (
        "procurement.over_plan",
        [],
        [(("inputs", "procure_made"), "50.01")],
        [],
        [(("inputs", "procure_made"), 50)],
    ),
    ("execution.severe", [], [(("inputs", "spent"), "59.99")], [], [(("inputs", "spent"), 60)]),
    (
        "carryover.large",
        [],
        [(("inputs", "carry_end"), "5.01"), (("inputs", "income"), "100.01")],
        [],
        [(("inputs", "carry_end"), 5), (("inputs", "income"), 100)],
    ),
    (
        # An unchanged carry-over meets the framework's ceiling (结转结余变动率 ≤ 0): only a rise
        # is flagged, so the flag and a ≤ 0 row agree.
        "carryover.not_reduced",
        [],
        [(("inputs", "carry_end"), "5.01"), (("inputs", "income"), "100.01")],
        [],
        [(("inputs", "carry_end"), 5), (("inputs", "income"), 100)],
    ),
    (
        "role.misfiled",
        [(leaf(1, 1, "name"), "学员满意度"), (leaf(1, 1, "role"), "benefit")],
        [],
        [(leaf(1, 1, "name"), "学员收入满足率"), (leaf(1, 1, "role"), "benefit")],
        [],
    ),
    ("benefit.missing", [(("indicators", 1, "name"), "其他指标")], [], [], []),
    (
        "execution.missing",
        [(("indicators", 3, "method"), "proportional"), (("indicators", 3, "name"), "资金到位率")],
        [],
        [(("indicators", 3, "name"), "资金到位率")],
        [],
    ),
    (
        "satisfaction.missing",
        [(("indicators", 2, "name"), "公众评价"), (leaf(2, 0, "name"), "公众评价得分")],
        [],
        [],
        [],
    ),
    ("satisfaction.no_numeric", [], [(("indicators", "sat"), {"not_applicable": True})], [], []),
    (
        "satisfaction.low",
        [],
        [(("indicators", "sat"), {"actual": "89.99", "reported_score": "9.99", "reason": "x"})],
        [],
        [(("indicators", "sat"), {"actual": 90, "reported_score": 10})],
    ),
    (
        "reason.unfounded_deduction",
        [],
        [(("indicators", "count", "reported_score"), "14.99")],
        [],
        [(("indicators", "count"), {"actual": 500, "reported_score": "14.99", "reason": "x"})],
    ),
    (
        "reason.not_applicable",
        [],
        [(("indicators", "earn"), {"not_applicable": True})],
        [],
        [(("indicators", "earn"), {"not_applicable": True, "reason": "本年未发放"})],
    ),
    ("satisfaction.no_sample", [], [(("inputs", "surveyed"), DELETE)], [], []),
    (
        "review.score_mismatch",
        [],
        [(("indicators", "time", "actual"), "21.02"), (("indicators", "time", "reason"), "x")],
        [],
        [(("indicators", "time", "actual"), 21), (("indicators", "time", "reason"), "x")],
    ),
    (
        "review.score_mismatch",  # 12.93 by the rule: 0.51 is past the 0.5 tolerance, 0.5 is not
        [],
        [(("indicators", "count"), {"actual": 431, "reported_score": "13.44", "reason": "x"})],
        [],
        [(("indicators", "count"), {"actual": 431, "reported_score": "13.43", "reason": "x"})],
    ),
    (
        "review.score_rounded",  # 15 × 431 ÷ 500 = 12.93, reported 13
        [],
        [(("indicators", "count"), {"actual": 431, "reported_score": 13, "reason": "x"})],
        [],
        [(("indicators", "count"), {"actual": 431, "reported_score": "12.934", "reason": "x"})],
    ),
    (
        "review.score_minor",
        [],
        [(("indicators", "count"), {"actual": 431, "reported_score": "13.1", "reason": "x"})],
        [],
        [(("indicators", "count"), {"actual": 431, "reported_score": "12.925", "reason": "x"})],
    ),
    ("review.above_weight", [], [(("indicators", "sat", "reported_score"), "10.01")], [], []),
    (
        "review.outside_band",
        [(leaf(1, 1, "kind"), "qualitative")],
        [(("indicators", "earn"), {"tier": "部分达成", "reported_score": 12, "reason": "x"})],
        [(leaf(1, 1, "kind"), "qualitative")],
        [(("indicators", "earn"), {"tier": "部分达成", "reported_score": "11.99", "reason": "x"})],
    ),
    (
        "review.full_marks_missed",
        [],
        [(("indicators", "count", "actual"), 499), (("indicators", "count", "reason"), "x")],
        [],
        [],
    ),
    ("review.all_full_marks", [], [(("indicators", "count", "actual"), 499)], [], []),
    (
        "review.total_mismatch",
        [],
        [(("reported_total",), "100.02")],
        [],
        [(("reported_total",), "100.01")],
    ),
    (
        "review.total_high",
        [],
        [(("indicators", "count", "actual"), "499.6")],  # 14.988: 15 is 0.012 high
        [],
        [(("indicators", "count", "actual"), "499.7")],  # 14.991: 0.009
    ),
    (
        "review.total_low",
        [],
        [(("indicators", "count", "reported_score"), "14.98"), (("reported_total",), "99.98")],
        [],
        [(("indicators", "count", "reported_score"), "14.99"), (("reported_total",), "99.99")],
    ),
    (
        "reason.missing",
        [],
        [(("indicators", "count", "actual"), 499)],
        [],
        [(("indicators", "count", "actual"), 499), (("indicators", "count", "reason"), "场地改造")],
    ),
    (
        "weights.project_split",
        [
            (("indicators", 0, "weight"), 60),
            (leaf(0, 0, "weight"), 25),
            (("indicators", 1, "weight"), 20),
            (leaf(1, 0, "weight"), 5),
        ],
        [],
        [
            (("indicators", 0, "weight"), 60),
            (leaf(0, 0, "weight"), 25),
            (("indicators", 1, "weight"), 20),
            (leaf(1, 0, "weight"), 5),
            (("weights_note",), "本地区产出权重为 60"),
        ],
        [],
    ),
    (
        "budget.adjustment_large",
        [],
        [(("inputs", "budget_adjusted"), "110.01"), (("inputs", "spent"), "110.01")],
        [],
        [(("inputs", "budget_adjusted"), 110), (("inputs", "spent"), 110)],
    ),
    (
        "data.budget_identity",
        [],
        [(("inputs", "income"), "99.02")],
        [],
        [(("inputs", "income"), "99.01")],
    ),
]


@pytest.mark.parametrize(
    ("rule", "fire_set", "fire_act", "quiet_set", "quiet_act"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_fires_past_its_boundary_and_not_at_it(
    rule: str,
    fire_set: list[Edit],
    fire_act: list[Edit],
    quiet_set: list[Edit],
    quiet_act: list[Edit],
) -> None:
    """Each built-in rule: the first case crosses the boundary, the second stays on it."""
    assert rule in rules_fired(run(fire_set, fire_act))
    assert rule not in rules_fired(run(quiet_set, quiet_act))


def test_every_builtin_rule_has_a_boundary_case() -> None:
    """No rule of cn-fiscal goes untested."""
    from kpi_engine.rulepacks import builtin_pack

    tested = {c[0] for c in CASES} | {"weights.not_hundred"}
    assert {r.definition.id for r in builtin_pack("cn-fiscal").rules} <= tested


def test_a_satisfaction_cell_missing_from_the_source_is_not_a_missing_survey() -> None:
    """not_in_source on the only satisfaction row: data.not_in_source says so, and
    satisfaction.no_numeric does not blame the unit for a transcription gap."""
    fired = rules_fired(run([], [(("indicators", "sat"), {"not_in_source": True})]))
    assert "data.not_in_source" in fired
    assert "satisfaction.no_numeric" not in fired


def test_weights_not_hundred_fires_off_a_hundred_point_scale() -> None:
    """Full marks of 50 is flagged; 100 is not."""
    s = parse_indicator_set(
        "kpi_engine: 1\nid: s\ntitle: t\nindicators:\n  - {id: a, name: 甲, weight: 50, target: 1}\n"
    )
    assert "weights.not_hundred" in {f.rule for f in lint(s)}
    assert "weights.not_hundred" not in {f.rule for f in run().flags}


def test_flags_quote_their_evidence() -> None:
    """The message names what was seen; the evidence holds the numbers."""
    e = run([], [(("inputs", "spent"), "85.5")])
    flag = next(f for f in e.flags if f.rule == "execution.low")
    assert flag.message == "预算执行率 85.50% 低于 90%"
    assert flag.evidence["execution_rate"] == "85.5"
    assert flag.evidence["execution_warn"] == "90"
    assert flag.problem == "预算执行率偏低"
    assert flag.suggestion


def test_the_execution_row_without_reason_is_flagged_below_ninety_percent() -> None:
    """reason.missing covers execution under 90 % as well as rows below full marks."""
    e = run([], [(("inputs", "spent"), "95")])
    assert {f.subject for f in e.flags if f.rule == "reason.missing"} == {"execution"}


def test_lint_runs_only_structural_rules() -> None:
    """Without actuals, rules that read results are skipped."""
    from .flagcases import BASE_SET, _apply, _text

    s = parse_indicator_set(_text(_apply(BASE_SET, [(("goals",), "持续提升")])))
    assert {f.rule for f in lint(s)} == {"granularity.narrative_goals"}


def test_rules_can_be_turned_off() -> None:
    """rules: [] applies no pack; data flags from the engine remain."""
    e = run(
        [(("rules",), [])],
        [(("inputs", "spent"), "50"), (("indicators", "count", "actual"), "完成")],
    )
    assert {f.rule for f in e.flags} == {"data.error", "data.incomplete"}


# --- properties ---------------------------------------------------------------------------


def _granularity(e: Any) -> set[tuple[str, str]]:
    return {(f.rule, f.subject) for f in e.flags if f.rule.startswith("granularity.")}


Leaf = tuple[str, int, str]  # id, weight, target text


@st.composite
def two_group_sets(draw: st.DrawFn) -> tuple[list[list[Leaf]], int]:
    """Leaves of an output and a benefit group, and a number to pick one leaf with."""
    targets = st.sampled_from(["≥ 10 个", "≤ 5 天", "效果明显", "按要求完成", "建立台账", "= 0 起"])
    groups: list[list[Leaf]] = []
    for g, (low, high) in enumerate([(2, 5), (2, 4)]):
        leaves = draw(st.lists(st.tuples(st.integers(1, 20), targets), min_size=low, max_size=high))
        groups.append([(f"l{g}_{i}", w, t) for i, (w, t) in enumerate(leaves)])
    return groups, draw(st.integers(0, 10))


def _numeric(target: str) -> bool:
    return target[0] in "≥≤="


def _yaml(groups: list[list[Leaf]]) -> str:
    names = ["产出指标", "效益指标"]
    lines = [
        "kpi_engine: 1",
        "id: g",
        "title: 生成",
        "rules: {cn-fiscal: {min_leaves: 5}}",
        "indicators:",
    ]
    for gi, leaves in enumerate(groups):
        lines += [
            f"  - id: g{gi}",
            f"    name: {names[gi]}",
            f"    weight: {sum(w for _, w, _ in leaves)}",
            "    children:",
        ]
        for leaf_id, w, target in leaves:
            kind = "" if _numeric(target) else ", kind: qualitative"
            lines.append(
                f'      - {{id: {leaf_id}, name: 指标{leaf_id}, weight: {w}, target: "{target}"{kind}}}'
            )
    return "\n".join(lines) + "\n"


def _lint(groups: list[list[Leaf]]) -> set[tuple[str, str]]:
    return _granularity(evaluate(parse_indicator_set(_yaml(groups)), {}))


@given(two_group_sets())
def test_making_a_target_vaguer_never_removes_a_granularity_flag(case: Any) -> None:
    """Replacing one leaf's target with vague wording keeps every granularity flag."""
    groups, pick = case
    flat = [(g, i) for g, leaves in enumerate(groups) for i in range(len(leaves))]
    g, i = flat[pick % len(flat)]
    vaguer = [list(leaves) for leaves in groups]
    leaf_id, weight, _ = vaguer[g][i]
    vaguer[g][i] = (leaf_id, weight, "效果明显")
    assert _lint(groups) <= _lint(vaguer)


@given(two_group_sets())
def test_removing_a_well_specified_leaf_never_removes_a_granularity_flag(case: Any) -> None:
    """Dropping a leaf with a numeric target (its group keeps a leaf) keeps every granularity
    flag about what remains: fewer indicators cannot look more granular."""
    groups, pick = case
    removable = [
        (g, i)
        for g, leaves in enumerate(groups)
        for i, (_, _, target) in enumerate(leaves)
        if _numeric(target) and len(leaves) > 1
    ]
    if not removable:
        return
    g, i = removable[pick % len(removable)]
    fewer = [list(leaves) for leaves in groups]
    removed_id = fewer[g].pop(i)[0]
    before = {flag for flag in _lint(groups) if flag[1] != removed_id}
    assert before <= _lint(fewer)


@given(flat_sets())
def test_review_finds_nothing_when_reported_scores_are_the_engines_own(case: Any) -> None:
    """Reporting exactly the computed scores and total raises no review flag."""
    text, actuals = case
    s = parse_indicator_set(text)
    first = evaluate(s, actuals)
    reported = dict(actuals)
    reported["indicators"] = {
        r.id: {"reported_score": str(r.score_exact), "reason": "说明"} for r in first.indicators
    }
    reported["reported_total"] = str(first.total)
    second = evaluate(s, parse_actuals(_dump(reported)))
    assert not [f.rule for f in second.flags if f.rule.startswith("review.")]


def _dump(doc: dict[str, Any]) -> str:
    import json

    return json.dumps(doc, ensure_ascii=False, default=str)


@given(flat_sets())
def test_flags_are_deterministic_and_ordered_by_severity(case: Any) -> None:
    """Same input, same flags in the same order; errors before warnings before info."""
    text, actuals = case
    s = parse_indicator_set(text)
    a, b = evaluate(s, actuals), evaluate(s, actuals)
    assert a.flags == b.flags
    ranks = [SEVERITY_ORDER[f.severity] for f in a.flags]
    assert ranks == sorted(ranks, reverse=True)


def test_english_messages_name_indicators_in_english_and_fall_back_to_chinese() -> None:
    """message_en quotes name_en where a leaf has one, the Chinese name where it has none."""
    s = parse_indicator_set(
        "kpi_engine: 1\nid: t\ntitle: 测试\nindicators:\n"
        "  - {id: a, name: 培训人数, name_en: People trained, weight: 50}\n"
        "  - {id: b, name: 办结件数, weight: 50}\n"
    )
    e = evaluate(s, {"indicators": {"a": {"actual": 1}, "b": {"actual": 2}}})
    untargeted = next(f for f in e.flags if f.rule == "granularity.missing_target")
    assert untargeted.message.endswith("培训人数、办结件数")
    assert untargeted.message_en.endswith("People trained, 办结件数")


def test_engine_data_flags_name_the_indicator_in_english() -> None:
    """data.missing_input says which indicator in the reader's language."""
    s = parse_indicator_set(
        "kpi_engine: 1\nid: t\ntitle: 测试\nindicators:\n"
        '  - {id: a, name: 培训人数, name_en: People trained, weight: 100, target: "≥ 5"}\n'
    )
    flag = next(f for f in evaluate(s, {}).flags if f.rule == "data.missing_input")
    assert "“培训人数”" in flag.message
    assert "'People trained'" in flag.message_en
