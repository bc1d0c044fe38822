"""The formula sandbox against known attacks on simpleeval-style evaluators: each is refused or
becomes an error status, quickly and with bounded memory. The bounds are generous on purpose (the
point is "not a hang"); measured times are reported by benchmarks, not asserted tightly here."""

from __future__ import annotations

import json
import time
import tracemalloc
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_engine import DefinitionError, Engine, Status, parse_indicator_set

TIME_BOUND = 2.0  # seconds per case, CI-safe; cases take milliseconds
MEMORY_BOUND = 32 * 1024 * 1024  # bytes of peak Python allocation per case


def _set(formula: str) -> str:
    doc: dict[str, Any] = {
        "kpi_engine": 1,
        "id": "sandbox",
        "title": "沙箱",
        "rules": [],
        "inputs": {"x": {}, "f": {}},
        "derived": {"v": {"formula": formula}},
        "indicators": [{"id": "a", "name": "甲", "weight": 10, "target": "≥ 1", "value": "v"}],
    }
    return json.dumps(doc, ensure_ascii=False)


# payload, expected definition-error code (None: compiles) or expected status code at evaluation
CATALOGUE: list[tuple[str, str, str | None, str | None]] = [
    ("huge power", "9**9**9", None, "formula.overflow"),
    ("huge power 2", "4000000**4000000", None, "formula.overflow"),
    ("big products", "9e999999 * 9e999999 * 9e999999", None, "formula.overflow"),
    ("out-of-range literal", "1e9999999999", "formula.literal", None),
    ("string repeat", "'a' * 100000000", None, "formula.type"),
    ("string growth", "'a' + 'a'", None, "formula.type"),
    ("printf format", "'%s' % 'x'", None, "formula.type"),
    ("long literal", "'" + "a" * 1500 + "'", "formula.too-long", None),
    ("format trick", "'{0.__class__}'.format(x)", "formula.forbidden", None),
    ("dunder walk", "().__class__.__bases__[0].__subclasses__()", "formula.forbidden", None),
    ("attribute", "x.real", "formula.forbidden", None),
    ("import", "__import__('os').system('true')", "formula.forbidden", None),
    ("builtin call", "open('/etc/passwd')", "formula.unknown-function", None),
    ("eval", "eval('1')", "formula.unknown-function", None),
    ("lambda", "(lambda: 1)()", "formula.forbidden", None),
    ("comprehension", "[x for x in range(10**9)]", "formula.forbidden", None),
    ("generator", "sum(x for x in range(10**9))", "formula.forbidden", None),
    ("f-string", "f'{x}'", "formula.forbidden", None),
    ("keyword", "max(x, default=1)", "formula.forbidden", None),
    ("starred", "max(*x)", "formula.forbidden", None),
    ("walrus", "(y := 1)", "formula.forbidden", None),
    ("call through a name", "f(1)", "formula.unknown-function", None),
    ("function as value", "max", "formula.bare-function", None),
    ("nan name", "nan", "formula.unknown-name", None),
    ("float nan", "float('nan')", "formula.unknown-function", None),
    ("deep parentheses", "(" * 10000 + "1" + ")" * 10000, "formula.too-long", None),
    ("deep unary minus", "-" * 1999 + "1", "formula.too-deep", None),
    ("deep not", "not " * 450 + "1", "formula.too-deep", None),
    ("long sum", "+".join(["x"] * 999), "formula.too-deep", None),
    ("many parentheses", "(" * 300 + "1" + ")" * 300, "formula.syntax", None),
    ("shift", "1 << 100000", "formula.forbidden", None),
    ("statement", "import os", "formula.syntax", None),
    ("two statements", "x; x", "formula.syntax", None),
    ("negative root", "(0 - 1) ** 0.5", None, "formula.invalid"),
    ("division by zero", "x / (x - x)", None, "formula.division-by-zero"),
]


@pytest.mark.parametrize(
    ("label", "formula", "definition_code", "status_code"),
    CATALOGUE,
    ids=[c[0] for c in CATALOGUE],
)
def test_attack_is_refused_quickly_and_cheaply(
    label: str, formula: str, definition_code: str | None, status_code: str | None
) -> None:
    """Refused at load with its code, or evaluated to an error status; never a hang."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        if definition_code:
            with pytest.raises(DefinitionError) as info:
                Engine(parse_indicator_set(_set(formula), "sandbox.yaml"))
            assert definition_code in info.value.codes
            assert all(issue.location for issue in info.value.issues)
        else:
            e = Engine(parse_indicator_set(_set(formula))).evaluate({"inputs": {"x": 3, "f": 1}})
            r = e.indicator("a")
            assert r.status is Status.ERROR
            assert r.problem_code == status_code
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < TIME_BOUND
    assert peak < MEMORY_BOUND


def test_nan_and_infinity_inputs_are_error_statuses() -> None:
    """NaN/Infinity as inputs never reach arithmetic."""
    engine = Engine(parse_indicator_set(_set("x * 2")))
    for bad in ("NaN", "Infinity", float("nan"), float("-inf")):
        assert (
            engine.evaluate({"inputs": {"x": bad}}).indicator("a").problem_code
            == "input.not-finite"
        )


_atoms = st.one_of(
    st.sampled_from(["x", "0", "1", "2.5", "-3", "1e308", "9e999999", "0.0001", "'t'"]),
    st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False).map(str),
)
_binary = ["+", "-", "*", "/", "//", "%", "**", "<", "<=", "==", "!=", "and", "or"]


def _trees() -> st.SearchStrategy[str]:
    return st.recursive(
        _atoms,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(_binary), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            inner.map(lambda e: f"(-{e})"),
            inner.map(lambda e: f"(not {e})"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
            st.tuples(
                st.sampled_from(["min", "max", "sum", "avg", "abs", "coalesce", "round_half_up"]),
                inner,
            ).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"safe_div({t[0]}, {t[1]}, 0)"),
            st.tuples(inner, inner, inner).map(lambda t: f"clamp({t[0]}, {t[1]}, {t[2]})"),
        ),
        max_leaves=15,
    )


@given(_trees(), st.sampled_from([3, 0, -2, "1e999", "NaN", None, "—"]))
def test_generated_formulas_score_or_give_an_error_status(formula: str, x: object) -> None:
    """Any generated formula, any input: a status; a scored row has a finite score in [0, w]."""
    e = Engine(parse_indicator_set(_set(formula))).evaluate({"inputs": {"x": x}})
    r = e.indicator("a")
    assert r.status in (Status.OK, Status.ERROR, Status.MISSING_INPUT)
    if r.status is Status.OK:
        assert r.score is not None
        assert r.score.is_finite()
        assert 0 <= r.score <= r.weight
