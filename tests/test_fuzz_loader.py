"""Fuzzing the loader with mutated copies of the shipped sets: only DefinitionError, always located."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi_engine import DefinitionError, Engine, load_actuals, parse_indicator_set

from .conftest import SETS

SHIPPED = {p.name: (p / "set.yaml").read_text(encoding="utf-8") for p in sorted(SETS.iterdir())}
ACTUALS = {name: load_actuals(SETS / name / "actuals.yaml") for name in SHIPPED}

_noise = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        [
            ":",
            "- ",
            "\t",
            "{",
            "}",
            "[",
            "]",
            "&a ",
            "*a",
            "!!python/object ",
            "\n  ",
            "---\n",
            "weight: ",
            "0x1F",
            "1e999999999",
            "≥",
            "\ufeff",
            "\x00",
            "'",
            '"',
            "#",
            "<<: *a\n",
        ]
    ),
)


@st.composite
def mutants(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(SHIPPED)))
    text = SHIPPED[name]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(["insert", "delete", "replace", "duplicate-line", "swap-lines"])
        )
        at = draw(st.integers(0, len(text)))
        if kind == "insert":
            text = text[:at] + draw(_noise) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "replace":
            text = text[:at] + draw(_noise) + text[at + 1 :]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "duplicate-line":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return name, text


@pytest.mark.slow
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(mutants())
def test_mutated_sets_load_or_fail_with_located_definition_errors(case: tuple[str, str]) -> None:
    """Parse, compile, resolve rule packs and evaluate: success, or only located DefinitionErrors."""
    name, text = case
    problem: DefinitionError | None = None
    try:
        engine = Engine(parse_indicator_set(text, "mutant.yaml"))
    except DefinitionError as exc:
        problem = exc
    if problem is not None:
        assert problem.issues
        assert all(issue.location is not None for issue in problem.issues)
        assert all(issue.code and issue.message and issue.message_en for issue in problem.issues)
        return
    try:
        engine.evaluate(ACTUALS[name])
    except DefinitionError as exc:  # the actuals may no longer match the mutated set
        problem = exc
    if problem is not None:
        assert all(i.code.startswith("actuals.") for i in problem.issues)
