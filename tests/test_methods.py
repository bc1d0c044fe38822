"""The scoring-method registry: one complete record per method, and the compiler, evaluation,
explain, schema and facts reading it instead of naming methods."""

from __future__ import annotations

import dataclasses
import textwrap
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_engine import DefinitionError, Method, compile_set, evaluate
from kpi_engine.methods import METHODS, PARAMS, MethodSpec, Reading, Scorer, default_method, spec
from kpi_engine.models import Deduction
from kpi_engine.schema import json_schema
from kpi_engine.targets import Op, parse_target

from .conftest import make_set
from .strategies import positive_weights

SRC = Path(__file__).resolve().parent.parent / "src"


def test_every_method_has_exactly_its_own_record() -> None:
    """METHODS holds one record per Method, each naming its own method."""
    assert list(METHODS) == list(Method)
    assert all(spec(m) is METHODS[m] and METHODS[m].method is m for m in Method)


def test_each_method_specific_field_is_read_by_exactly_one_method() -> None:
    """bands, score_formula, deduct, rubric and over_budget each belong to one method; no record
    requires two."""
    for param in PARAMS:
        owners = [m for m, record in METHODS.items() if param in record.params]
        assert len(owners) == 1, param.field
    assert all(sum(p.required for p in record.params) <= 1 for record in METHODS.values())


@pytest.mark.parametrize(
    ("target", "method"),
    [
        ("≥ 5", Method.PROPORTIONAL),
        ("≤ 5", Method.REVERSE_LINEAR),
        ("= 0", Method.EQUAL),
        ("[1, 2]", Method.RANGE),
        (None, Method.PROPORTIONAL),
    ],
)
def test_the_default_method_follows_the_target_operator(target: str | None, method: Method) -> None:
    """The records' default_for answer which method a row without one gets."""
    assert default_method(parse_target(target) if target else None) is method


def test_every_operator_and_no_target_has_exactly_one_default() -> None:
    """No two records claim the same default; every operator has one."""
    claimed = [op for record in METHODS.values() for op in record.default_for]
    assert sorted(claimed, key=str) == sorted([*Op, None], key=str)


_ROW = "  - {{id: r, name: 甲, weight: 5, {target}method: {method}{extra}}}\n"
_PARAM_YAML = {
    "bands": ", bands: [{min: 0, points: 5}]",
    "score_formula": ", score_formula: A",
    "deduct": ", deduct: {minus: 1}",
    "rubric": ", rubric: [{item: 甲, points: 5}]",
    "over_budget": ", over_budget: excess",
}


def _target_for(record: MethodSpec) -> str:
    if record.qualitative:
        return "kind: qualitative, "
    op = record.ops[0] if record.ops else Op.GE
    return {
        Op.GE: 'target: "≥ 5", ',
        Op.LE: 'target: "≤ 5", ',
        Op.EQ: 'target: "= 5", ',
        Op.RANGE: 'target: "[1, 5]", ',
    }[op]


def _codes(method: Method, extra: str) -> tuple[str, ...]:
    row = _ROW.format(target=_target_for(METHODS[method]), method=method.value, extra=extra)
    try:
        compile_set(make_set("indicators:\n" + row))
    except DefinitionError as err:
        return err.codes
    return ()


@pytest.mark.parametrize("method", list(Method))
def test_a_method_without_its_field_is_refused_with_the_records_code(method: Method) -> None:
    """Leaving out the field a method requires gives exactly that field's missing code."""
    record = METHODS[method]
    expected = (record.requires.missing_code,) if record.requires else ()
    assert _codes(method, "") == expected


@pytest.mark.parametrize("method", list(Method))
def test_a_field_another_method_owns_is_refused_with_its_code(method: Method) -> None:
    """Each other method's field is refused as unused, by its own code."""
    record = METHODS[method]
    for param in PARAMS:
        if param in record.params:
            continue
        required = _PARAM_YAML[record.requires.field] if record.requires else ""
        codes = _codes(method, required + _PARAM_YAML[param.field])
        assert param.unused_code in codes, (method, param.field)


@pytest.mark.parametrize("method", [m for m in Method if METHODS[m].ops])
def test_a_target_operator_outside_the_record_is_refused(method: Method) -> None:
    """A method that compares with the target refuses the operators its record does not list."""
    record = METHODS[method]
    assert record.ops is not None
    other = next(op for op in (Op.GE, Op.LE, Op.RANGE) if op not in record.ops)
    text = {Op.GE: "≥ 5", Op.LE: "≤ 5", Op.RANGE: "[1, 5]"}[other]
    row = f'  - {{id: r, name: 甲, weight: 5, target: "{text}", method: {method.value}}}\n'
    with pytest.raises(DefinitionError) as info:
        compile_set(make_set("indicators:\n" + row))
    assert info.value.codes == ("method.target-mismatch",)


def test_the_unit_a_record_requires_is_checked() -> None:
    """execution_rate's record requires %: a value in 万元 is refused, naming the method."""
    with pytest.raises(DefinitionError) as info:
        compile_set(
            make_set(
                """
                inputs: {x: {unit: 万元}}
                indicators:
                  - {id: r, name: 甲, weight: 5, method: execution_rate, value: x}
                """
            )
        )
    assert info.value.codes == ("target.unit-mismatch",)
    assert "按预算执行率计分" in info.value.issues[0].message


def test_the_schema_help_for_methods_comes_from_the_records() -> None:
    """kpi schema's method hover texts are the records' help, in Method order."""
    schema = json_schema()
    method = schema["definitions"]["Method"]
    assert method["enumDescriptions"] == [METHODS[m].help_zh for m in Method]


def test_the_compiler_binds_weight_target_and_parameters_into_the_scorer() -> None:
    """CompiledLeaf.scorer carries the leaf's record, weight, target and deductions."""
    compiled = compile_set(
        make_set(
            """
            indicators:
              - {id: r, name: 甲, weight: 8, target: "≤ 100%", method: deduct,
                 deduct: {per: 1, minus: 0.5}}
            """
        )
    )
    scorer = compiled.leaves[0].scorer
    assert scorer.spec is METHODS[Method.DEDUCT]
    assert scorer.weight == 8
    assert scorer.target == parse_target("≤ 100%")
    assert scorer.deduction is not None
    assert scorer.deduction.minus == D("0.5")
    assert scorer.score(Reading(D(103))).score == D("6.5")


def test_a_scorer_that_needs_a_target_reports_its_absence_as_missing_input() -> None:
    """A ≥ row with no target is not scored, and says why (target.missing), as a status."""
    result = evaluate(
        make_set("indicators:\n  - {id: r, name: 甲, weight: 5}\n"),
        {"indicators": {"r": {"actual": 3}}},
    )
    row = result.indicator("r")
    assert (row.status.value, row.problem_code) == ("missing_input", "target.missing")


_INVERTIBLE = [
    (Method.PROPORTIONAL, "≥ 80"),
    (Method.REVERSE_LINEAR, "≤ 80"),
    (Method.REVERSE_RATIO, "≤ 80"),
    (Method.EQUAL, "= 80"),
    (Method.EQUAL_SYMMETRIC, "= 80"),
    (Method.RANGE, "[60, 80]"),
    (Method.EXECUTION_RATE, None),
    (Method.DEDUCT, "≥ 80"),
    (Method.DEDUCT, "= 80"),
    (Method.DEDUCT, "≤ 80"),
    (Method.DEDUCT, "[60, 80]"),
]


@given(
    st.sampled_from(_INVERTIBLE),
    positive_weights,
    st.decimals(min_value=D("0.01"), max_value=D("0.99"), places=2),
    st.sampled_from(["prorate", "count", "floor"]),
)
def test_every_records_inversion_earns_the_score_it_was_asked_for(
    case: tuple[Method, str | None], weight: D, share: D, partial: str
) -> None:
    """Feeding a record's inversion (either end of a range) back to its scorer earns the score;
    deductions in every partial-step mode."""
    method, target = case
    deduction = Deduction(per=D("2.5"), minus=D("0.75"), partial=partial)  # type: ignore[arg-type]
    scorer = Scorer(
        METHODS[method],
        weight,
        parse_target(target) if target else None,
        deduction=deduction if method is Method.DEDUCT else None,
    )
    wanted = weight * share
    figure = scorer.needed_for_score(wanted)
    assert figure is not None
    for actual in {figure.value, figure.high} - {None}:
        assert actual is not None
        assert scorer.score(Reading(actual)).score >= wanted
    full = scorer.needed_for_full()
    assert full is not None
    assert scorer.score(Reading(full.value)).score == weight


def _mypy_errors(source: str, tmp_path: Path) -> str:
    api = pytest.importorskip("mypy.api")
    module = tmp_path / "probe.py"
    module.write_text(textwrap.dedent(source), encoding="utf-8")
    out, _, status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--follow-imports=silent",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(module),
        ]
    )
    return out if status else ""


@pytest.mark.slow
def test_mypy_refuses_a_record_with_a_part_missing(tmp_path: Path) -> None:
    """A MethodSpec built without one of its parts (here, how explain inverts it) fails mypy."""
    fields = [f.name for f in dataclasses.fields(MethodSpec) if f.name != "invert"]
    args = ", ".join(f"{name}=P.{name}" for name in fields)
    out = _mypy_errors(
        f"""
        from kpi_engine.methods import PROPORTIONAL as P, MethodSpec
        record = MethodSpec({args})
        """,
        tmp_path,
    )
    assert 'Missing positional argument "invert"' in out


@pytest.mark.slow
def test_mypy_refuses_a_registry_that_forgets_a_method(tmp_path: Path) -> None:
    """A lookup like methods.spec that leaves out one Method fails mypy at assert_never."""
    cases = "\n".join(
        f"        case Method.{m.name}:\n            return P" for m in Method if m.name != "DEDUCT"
    )
    out = _mypy_errors(
        "from typing import assert_never\n"
        "from kpi_engine.methods import PROPORTIONAL as P, MethodSpec\n"
        "from kpi_engine.models import Method\n"
        "def lookup(method: Method) -> MethodSpec:\n"
        "    match method:\n" + cases + "\n        case _:\n            assert_never(method)\n",
        tmp_path,
    )
    assert "assert_never" in out
    assert "DEDUCT" in out


_RUBRIC_SET = """
indicators:
  - id: system
    name: 制度建设
    weight: 4
    kind: qualitative
    method: rubric
    rubric:
      - {item: 制度健全, points: 2}
      - {item: 执行到位, points: 2}
"""


def test_a_rubric_row_is_scored_from_the_points_met() -> None:
    """met as a list or as 、-separated text; the explanation marks each point."""
    for met in (["制度健全"], "制度健全"):
        row = evaluate(make_set(_RUBRIC_SET), {"indicators": {"system": {"met": met}}}).indicator(
            "system"
        )
        assert (row.status.value, row.score, row.met) == ("ok", D(2), False)
        assert row.explanation.calculation == "制度健全 2 ✓ + 执行到位 2 ✗ → s = 2"


def test_a_rubric_row_without_points_met_is_missing_input() -> None:
    """No met: not scored, and says what is missing — never a silent 0."""
    row = evaluate(make_set(_RUBRIC_SET), {"indicators": {}}).indicator("system")
    assert (row.status.value, row.problem_code) == ("missing_input", "rubric.missing")


def test_a_rubric_must_add_up_to_the_weight_and_name_each_point_once() -> None:
    """Points summing to 3 under a weight of 4, and a point listed twice, are both located."""
    body = _RUBRIC_SET.replace("{item: 执行到位, points: 2}", "{item: 制度健全, points: 1}")
    with pytest.raises(DefinitionError) as info:
        compile_set(make_set(body))
    assert sorted(info.value.codes) == ["method.rubric-duplicate", "method.rubric-points"]


def test_a_rubric_needs_kind_qualitative() -> None:
    """method: rubric on a quantitative row is refused, naming what the method needs."""
    with pytest.raises(DefinitionError) as info:
        compile_set(make_set(_RUBRIC_SET.replace("    kind: qualitative\n", "")))
    assert info.value.codes == ("method.kind-mismatch",)
    assert "评分要点计分时须写 kind: qualitative" in info.value.issues[0].message


def test_full_marks_on_a_rubric_row_need_every_point() -> None:
    """kpi explain's full-marks line for a rubric names the points."""
    leaf = compile_set(make_set(_RUBRIC_SET)).leaves[0]
    full = leaf.scorer.needed_for_full()
    assert full is not None
    assert full.sentence(None, "zh") == "满分需要：达到全部评分要点：制度健全、执行到位"
    assert leaf.scorer.needed_for_score(D(2)) is None


@given(
    positive_weights,
    st.decimals(min_value=D("0.01"), max_value=D("0.99"), places=2),
    st.decimals(min_value=D(0), max_value=D(300), places=2),
)
def test_spending_over_budget_scored_as_an_excess_is_inverted_and_bounded(
    weight: D, share: D, rate: D
) -> None:
    """over_budget: excess — 0 ≤ s ≤ w, full marks only at 100 %, never more above 100 % than
    the default, and the inversion (either end) earns the score asked for."""
    excess = Scorer(METHODS[Method.EXECUTION_RATE], weight, over_budget="excess")
    full = Scorer(METHODS[Method.EXECUTION_RATE], weight)
    out = excess.score(Reading(rate))
    assert 0 <= out.score <= weight
    assert out.score <= full.score(Reading(rate)).score
    assert (out.score == weight) == (rate == 100) or weight == 0
    figure = excess.needed_for_score(weight * share)
    assert figure is not None
    for actual in {figure.value, figure.high} - {None}:
        assert actual is not None
        assert excess.score(Reading(actual)).score >= weight * share


def test_spending_over_budget_keeps_full_marks_unless_the_row_says_excess() -> None:
    """103 % of the budget: 10 by default; 9.7 with over_budget: excess, and the rule says why."""
    body = """
        inputs: {rate: {unit: "%"}}
        indicators:
          - {id: e, name: 预算执行率, weight: 10, method: execution_rate, value: rate}
        """
    plain = evaluate(make_set(body), {"inputs": {"rate": 103}}).indicator("e")
    strict = evaluate(
        make_set(body.replace("value: rate}", "value: rate, over_budget: excess}")),
        {"inputs": {"rate": 103}},
    ).indicator("e")
    assert (plain.score, strict.score) == (D(10), D("9.7"))
    assert (
        strict.explanation.calculation == "103% > 100% → s = 10 × (1 − (103% − 100%) ÷ 100%) = 9.7"
    )
