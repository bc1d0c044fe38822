"""Whole-set checks: every problem collected, each located and explained."""

from __future__ import annotations

import pytest

from kpi_engine import DefinitionError, Method, compile_set
from kpi_engine.errors import SourceLocation

from .conftest import make_set


def problems(body: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        compile_set(make_set(body))
    return info.value


def test_weight_mismatch_names_both_numbers_and_both_places() -> None:
    """A group of 50 whose children sum to 45 is reported with 50, 45 and both lines."""
    err = problems(
        """
        indicators:
          - id: out
            name: 产出指标
            weight: 50
            children:
              - {id: a, name: 甲, weight: 20, target: "≥ 1"}
              - {id: b, name: 乙, weight: 25, target: "≥ 1"}
        """
    )
    assert err.codes == ("weights.mismatch",)
    issue = err.issues[0]
    assert issue.location == SourceLocation("t.yaml", 7, 13)  # 3 header lines come first
    assert "50（第 7 行）" in issue.message
    assert "45（第 9 行起）" in issue.message
    assert "weight 50 (line 7)" in issue.message_en
    assert "sum to 45 (from line 9)" in issue.message_en


def test_scale_must_match_top_level_weights_when_given() -> None:
    """scale: 100 with weights summing to 90 is an error."""
    err = problems("scale: 100\nindicators:\n  - {id: a, name: 甲, weight: 90, target: 1}\n")
    assert err.codes == ("weights.scale-mismatch",)


def test_derived_cycle_is_named() -> None:
    """a → b → a is reported as such."""
    err = problems(
        """
        derived:
          a: {formula: b + 1}
          b: {formula: a * 2}
        indicators:
          - {id: x, name: 甲, weight: 10, target: 1, value: a}
        """
    )
    assert err.codes == ("formula.cycle",)
    assert "a → b → a" in err.issues[0].message


def test_unknown_name_in_a_formula_has_its_column_and_a_suggestion() -> None:
    """buget → budget, located at the name inside the formula."""
    err = problems(
        """
        inputs:
          budget: {unit: 万元}
          spent: {unit: 万元}
        indicators:
          - {id: x, name: 甲, weight: 10, target: "≥ 100%", value: "spent / buget * 100"}
        """
    )
    assert err.codes == ("formula.unknown-name",)
    issue = err.issues[0]
    assert "是否想写 'budget'" in issue.message
    # The formula starts at column 60 (inside the quotes); "buget" is its 9th character.
    assert issue.location == SourceLocation("t.yaml", 8, 68)


def test_formula_syntax_errors_are_located_inside_the_formula() -> None:
    """A forbidden construct is reported at its own column in the file."""
    err = problems(
        """
        inputs: {a: {}}
        derived:
          b: {formula: "a.__class__"}
        indicators:
          - {id: x, name: 甲, weight: 10, target: 1, value: b}
        """
    )
    assert err.codes == ("formula.forbidden",)
    assert err.issues[0].location == SourceLocation("t.yaml", 6, 17)


def test_target_unit_must_match_the_value_unit() -> None:
    """万元 against 元 is a definition error."""
    err = problems(
        """
        inputs: {cost: {unit: 元}}
        indicators:
          - {id: x, name: 成本, weight: 10, target: "≤ 90 万元", value: cost}
        """
    )
    assert err.codes == ("target.unit-mismatch",)


def test_percent_target_against_a_ratio_unit_is_a_mismatch() -> None:
    """% vs ratio: the classic ×100 mistake."""
    err = problems(
        """
        inputs: {a: {}, b: {}}
        derived: {rate: {formula: a / b, unit: ratio}}
        indicators:
          - {id: x, name: 比率, weight: 10, target: "≥ 95%", value: rate}
        """
    )
    assert err.codes == ("target.unit-mismatch",)


def test_method_must_fit_the_target() -> None:
    """reverse_linear with a ≥ target is contradictory."""
    err = problems(
        'indicators:\n  - {id: x, name: 甲, weight: 10, target: "≥ 5", method: reverse_linear}\n'
    )
    assert err.codes == ("method.target-mismatch",)


def test_default_methods_follow_the_target_operator() -> None:
    """≥ proportional, ≤ reverse linear, = equal, range range, qualitative by tier."""
    compiled = compile_set(
        make_set(
            """
            indicators:
              - {id: a, name: 甲, weight: 1, target: "≥ 5"}
              - {id: b, name: 乙, weight: 1, target: "≤ 5"}
              - {id: c, name: 丙, weight: 1, target: "= 0"}
              - {id: d, name: 丁, weight: 1, target: "[1, 2]"}
              - {id: e, name: 戊, weight: 1, kind: qualitative, target: 完成}
            """
        )
    )
    assert [leaf.method for leaf in compiled.leaves] == [
        Method.PROPORTIONAL,
        Method.REVERSE_LINEAR,
        Method.EQUAL,
        Method.RANGE,
        Method.QUALITATIVE,
    ]


def test_all_problems_are_collected_before_raising() -> None:
    """Duplicate id, bad target, reserved name and bad bands come back in one error."""
    err = problems(
        """
        inputs: {min: {}}
        grading:
          - {grade: 好, min: 50}
          - {grade: 坏, min: 60}
        indicators:
          - {id: x, name: 甲, weight: 5, target: 很多}
          - {id: x, name: 乙, weight: 5, target: 1, method: bands}
          - {id: y, name: 丙, weight: 5, target: 1, bands: [{min: 0, points: 9}]}
          - {id: z, name: 丁, weight: 5, method: formula}
          - {id: q, name: 戊, weight: 5, kind: qualitative, method: proportional}
        """
    )
    assert set(err.codes) == {
        "names.reserved",
        "grading.invalid",
        "target.syntax",
        "tree.duplicate-id",
        "method.missing-bands",
        "method.unused-bands",
        "method.band-points",
        "method.missing-score-formula",
        "method.kind-mismatch",
    }
    assert all(issue.location is not None for issue in err.issues)


def test_deduct_needs_its_rule_and_its_rule_needs_the_method() -> None:
    """method: deduct without deduct, and deduct without the method: both located."""
    err = problems(
        """
        indicators:
          - {id: a, name: 甲, weight: 5, target: "≤ 100%", method: deduct}
          - {id: b, name: 乙, weight: 5, target: "≤ 100%", deduct: {minus: 0.5}}
        """
    )
    assert sorted(err.codes) == ["method.missing-deduct", "method.unused-deduct"]
    assert all(issue.location is not None for issue in err.issues)
    unused = next(i for i in err.issues if i.code == "method.unused-deduct")
    assert unused.location is not None
    assert (unused.location.line, unused.location.col) == (6, 51)  # the deduct key of row b


def test_a_deduction_must_take_something_off() -> None:
    """minus: 0 (or a zero step) is refused where it is written."""
    with pytest.raises(DefinitionError) as info:
        make_set(
            'indicators:\n  - {id: c, name: 丙, weight: 5, target: "≤ 100%", method: deduct,'
            " deduct: {per: 0, minus: 0}}\n"
        )
    assert info.value.codes == ("schema.invalid", "schema.invalid")
    assert {i.location.line for i in info.value.issues if i.location} == {5}


def test_score_formula_may_use_actual_target_and_weight() -> None:
    """A, T and w are known names in score formulas only."""
    compiled = compile_set(
        make_set(
            "indicators:\n  - {id: x, name: 甲, weight: 10, target: 5, method: formula, "
            'score_formula: "w * min(1, A / T)"}\n'
        )
    )
    assert compiled.leaves[0].score_formula is not None


def test_derived_values_are_ordered_by_dependency() -> None:
    """c reads b reads a: evaluation order a, b, c whatever the YAML order."""
    compiled = compile_set(
        make_set(
            """
            inputs: {x: {}}
            derived:
              c: {formula: b + 1}
              b: {formula: a + 1}
              a: {formula: x + 1}
            indicators:
              - {id: i, name: 甲, weight: 1, target: 1, value: c}
            """
        )
    )
    assert [name for name, _, _ in compiled.derived] == ["a", "b", "c"]


def test_a_row_takes_its_groups_role_whatever_its_name_says() -> None:
    """Roles come from the tree: 服务对象满意度 filed under 效益指标 is a benefit row (so no
    "未设置效益类指标"), a row may declare its own, and top-level rows and groups are read from
    their names, as the frame names them."""
    from kpi_engine import evaluate

    s = make_set(
        """
        indicators:
          - id: output
            name: 产出指标
            weight: 50
            children:
              - {id: people, name: 培训人数, weight: 25, target: "≥ 500 人"}
              - {id: mgmt, name: 管理制度执行率, weight: 25, target: "≥ 90%"}
          - id: benefit
            name: 效益指标
            weight: 30
            children:
              - {id: liked, name: 服务对象满意度, weight: 30, target: "≥ 90%"}
          - id: sat
            name: 满意度指标
            weight: 10
            children:
              - {id: survey, name: 问卷得分, weight: 10, target: "≥ 90", role: satisfaction}
          - {id: execution, name: 预算执行率, weight: 10, method: execution_rate}
        """
    )
    roles = {leaf.id: leaf.role.value for leaf in compile_set(s).leaves}
    assert roles == {
        "people": "output",
        "mgmt": "output",
        "liked": "benefit",
        "survey": "satisfaction",
        "execution": "execution",
    }
    e = evaluate(s, {"indicators": {}})
    assert "benefit.missing" not in {f.rule for f in e.flags}


def test_a_bare_number_on_a_cost_or_time_limit_row_is_a_ceiling() -> None:
    """ "30" on 单位成本 and "20 天" on 办结时限 read as ≤ (and say the direction was inferred);
    a bare number elsewhere reads as ≥; a written comparison is never re-read."""
    leaves = compile_set(
        make_set(
            """
            indicators:
              - {id: cost, name: 人均培训成本, weight: 1, target: "30 元"}
              - {id: spend, name: 经费支出, weight: 1, target: "90", dimension: 成本}
              - {id: days, name: 办结用时, weight: 1, target: "20 天"}
              - {id: people, name: 培训人数, weight: 1, target: "500 人"}
              - {id: written, name: 单位成本, weight: 1, target: "≥ 30 元"}
            """
        )
    ).leaves
    read = {
        leaf.id: (leaf.target.op.value if leaf.target else None, leaf.direction_inferred)
        for leaf in leaves
    }
    assert read == {
        "cost": ("≤", "cost"),
        "spend": ("≤", "cost"),
        "days": ("≤", "time"),
        "people": ("≥", "default"),
        "written": ("≥", None),
    }


def test_a_group_named_for_progress_is_the_timeliness_dimension() -> None:
    """进度指标 (as many tables call it) gives its rows the 时效 dimension; 质量指标 gives 质量."""
    leaves = compile_set(
        make_set(
            """
            indicators:
              - id: output
                name: 产出指标
                weight: 2
                children:
                  - {id: p, name: 进度指标, weight: 1, children: [{id: on_time, name: 按期完成率, weight: 1, target: "≥ 95%"}]}
                  - {id: q, name: 质量指标, weight: 1, children: [{id: passed, name: 验收合格率, weight: 1, target: "≥ 98%"}]}
            """
        )
    ).leaves
    assert {leaf.id: leaf.dimension for leaf in leaves} == {"on_time": "时效", "passed": "质量"}
