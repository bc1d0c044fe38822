"""Rule gates and screens (rulepacks.gate / rulepacks.screen): a subject passed over without
evaluating its condition is one where evaluating would have fired nothing and raised nothing."""

from __future__ import annotations

from decimal import Decimal as D
from decimal import localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_engine import Engine, builtin_pack
from kpi_engine.errors import EvaluationError
from kpi_engine.facts.catalogue import FACT_KINDS
from kpi_engine.formula import ARITHMETIC, Interpreter, compile_formula
from kpi_engine.rulepacks import gate, passes, screen

from .conftest import make_set

PARAMS = {"tolerance": D("0.5"), "words": ["大幅", "显著"]}
NUMBERS = ["score_gap", "over_ratio", "value", "weight", "tolerance", "0", "1", "100"]
BOOLS = ["met", "has_reason", "actual_is_text", "whole_full"]
TEXTS = ["status", "kind", "unit", "words", '"ok"', '"%"']


def _conditions() -> st.SearchStrategy[str]:
    """Conditions over indicator facts of every kind, well typed and not (so that unsafe ones,
    which must get no gate, are generated too)."""
    number = st.recursive(
        st.sampled_from(NUMBERS),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            inner.map(lambda x: f"abs({x})"),
            inner.map(lambda x: f"(-{x})"),
            st.tuples(inner, inner).map(lambda t: f"coalesce({t[0]}, {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"min({t[0]}, {t[1]})"),
        ),
        max_leaves=4,
    )
    anything = st.one_of(number, st.sampled_from(BOOLS + TEXTS))
    compare = st.tuples(
        anything, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), anything
    ).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    return st.recursive(
        st.one_of(compare, st.sampled_from(BOOLS)),
        lambda inner: st.one_of(
            inner.map(lambda x: f"(not {x})"),
            st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        ),
        max_leaves=5,
    )


def _value(kind: str) -> st.SearchStrategy[object]:
    values = {
        "num": st.sampled_from([D(0), D(1), D("-0.5"), D("0.3"), D(100)]),
        "bool": st.booleans(),
        "str": st.sampled_from(["ok", "%", "quantitative", ""]),
    }[kind]
    return st.one_of(st.none(), values)


ROW = st.fixed_dictionaries(
    {
        name: _value(FACT_KINDS["indicator"][name])
        for name in [*NUMBERS[:4], *BOOLS, "status", "kind", "unit"]
    }
)


@settings(max_examples=400, deadline=None)
@given(_conditions(), ROW)
def test_a_gated_or_screened_subject_would_have_fired_nothing_and_raised_nothing(
    text: str, row: dict[str, object]
) -> None:
    when = compile_formula(text)
    clauses = gate(when, "indicator", PARAMS)
    tested = screen(when, "indicator")
    names = {**row, "tolerance": PARAMS["tolerance"], "words": "大幅、显著"}
    gated = any(all(names[name] is None for name in clause) for clause in clauses)
    screened = tested is not None and not passes(names[tested[0]], tested[1], tested[2])
    if not (gated or screened):
        return
    with localcontext(ARITHMETIC):
        try:
            result = Interpreter(own_context=False).evaluate_known(when, names)  # type: ignore[arg-type]
        except EvaluationError as exc:  # pragma: no cover - the claim under test
            raise AssertionError(f"{text!r} was passed over but raises {exc.code}") from None
    if gated:
        assert result is None, text
    else:
        assert result is None or result is False, text


def test_gates_name_the_facts_whose_absence_ends_a_builtin_rule() -> None:
    rules = {rule.definition.id: rule for rule in builtin_pack("cn-fiscal").rules}
    assert rules["review.score_mismatch"].gate == (("score_gap", "score_gap_share"),)
    assert rules["target.below_last_year"].gate == (("last_year",), ("target",))
    assert rules["execution.over_budget"].gate == ()  # coalesce: never None
    assert rules["reason.missing"].screen == ("has_reason", "is", False)
    assert rules["reason.not_applicable"].screen == ("status", "eq", "not_applicable")


def test_a_division_gets_no_gate_since_it_can_fail_on_its_own() -> None:
    assert gate(compile_formula("value / weight > 1"), "indicator", {}) == ()
    assert gate(compile_formula("value * weight > 1"), "indicator", {}) == (
        ("value",),
        ("weight",),
    )


def test_text_compared_by_size_gets_no_gate() -> None:
    assert gate(compile_formula("status > 1"), "indicator", {}) == ()


def test_a_rule_whose_gate_facts_are_all_missing_still_reports_when_they_are_known() -> None:
    """The seed of the gate's use: review rules pass over rows without a reported score, and
    still fire on the row that has one."""
    engine = Engine(
        make_set(
            """
inputs: {a: {unit: 个}, b: {unit: 个}}
indicators:
  - {id: x, name: 甲, weight: 50, target: "≥ 10 个", value: a}
  - {id: y, name: 乙, weight: 50, target: "≥ 10 个", value: b}
"""
        )
    )
    result = engine.evaluate(
        {"inputs": {"a": 10, "b": 10}, "indicators": {"y": {"reported_score": 40}}}
    )
    review = [(f.rule, f.subject) for f in result.flags if f.rule.startswith("review.")]
    assert ("review.score_mismatch", "y") in review
    assert not [subject for _, subject in review if subject == "x"]
