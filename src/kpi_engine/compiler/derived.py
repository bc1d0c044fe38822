"""Input and derived-value names: reserved words, duplicates, and an order free of cycles."""

from __future__ import annotations

from collections.abc import Mapping

from kpi_engine.compiler.checks import Checks
from kpi_engine.formula import Formula
from kpi_engine.functions import FUNCTIONS
from kpi_engine.models import DerivedDef, IndicatorSet

__all__ = ["SCORE_NAMES", "compile_derived"]

SCORE_NAMES = ("A", "T", "w")
"""Names a score formula may use besides inputs and derived values: actual, target, weight."""


def _check_names(d: IndicatorSet, checks: Checks) -> None:
    for name in d.inputs:
        if name in FUNCTIONS or name in SCORE_NAMES:
            checks.add(
                "names.reserved",
                f"输入项名称 '{name}' 与保留名称冲突",
                f"input name {name!r} is reserved",
                ("inputs", name),
                key=True,
            )
    for name in d.derived:
        if name in d.inputs:
            checks.add(
                "names.duplicate",
                f"'{name}' 同时定义为输入项和派生值",
                f"{name!r} is defined both as an input and as a derived value",
                ("derived", name),
                key=True,
            )
        elif name in FUNCTIONS or name in SCORE_NAMES:
            checks.add(
                "names.reserved",
                f"派生值名称 '{name}' 与保留名称冲突",
                f"derived name {name!r} is reserved",
                ("derived", name),
                key=True,
            )


def compile_derived(
    d: IndicatorSet, checks: Checks, known: frozenset[str]
) -> tuple[tuple[str, Formula, DerivedDef], ...]:
    """Every derived value compiled, in an order where each follows everything it reads."""
    _check_names(d, checks)
    compiled: dict[str, Formula] = {}
    for name, definition in d.derived.items():
        formula = checks.formula(
            definition.formula, ("derived", name, "formula"), known, f"派生值 {name} 的公式"
        )
        if formula is not None:
            compiled[name] = formula
    return tuple((name, compiled[name], d.derived[name]) for name in _order(compiled, checks))


def _order(compiled: Mapping[str, Formula], checks: Checks) -> list[str]:
    """Depth-first, with an explicit stack: a chain of 3,000 derived values is no recursion."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    reported: set[frozenset[str]] = set()
    for root in compiled:
        if state.get(root):
            continue
        state[root] = 1
        trail = [root]
        stack = [iter(sorted(compiled[root].names))]
        while stack:
            dep = next(stack[-1], None)
            if dep is None:
                stack.pop()
                done = trail.pop()
                state[done] = 2
                order.append(done)
                continue
            if state.get(dep) == 2 or dep not in compiled:
                continue
            if state.get(dep) == 1:
                cycle = [*trail[trail.index(dep) :], dep]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    text = " → ".join(cycle)
                    checks.add(
                        "formula.cycle",
                        f"派生值循环引用：{text}",
                        f"derived values refer to each other in a cycle: {text}",
                        ("derived", dep, "formula"),
                    )
                continue
            state[dep] = 1
            trail.append(dep)
            stack.append(iter(sorted(compiled[dep].names)))
    return order
