"""One unit's figures: inputs read as written, derived values computed, and why any is absent."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from kpi_engine.compiler import CompiledSet
from kpi_engine.errors import EvaluationError, Issue
from kpi_engine.figures import input_issue, read_figure
from kpi_engine.formula import Formula, Interpreter
from kpi_engine.functions import Value
from kpi_engine.models import Actuals, DerivedDef, InputEntry
from kpi_engine.results import UsedValue

__all__ = ["Data", "as_decimal"]


def as_decimal(value: Value) -> Decimal | None:
    """``value`` if it is a number, else None."""
    return value if isinstance(value, Decimal) else None


class Data:
    """Values known for one evaluation: inputs and derived values, with why any is absent."""

    def __init__(
        self,
        compiled: CompiledSet,
        derived: Mapping[str, tuple[Formula, DerivedDef]],
        interpreter: Interpreter,
    ) -> None:
        self.c = compiled
        self.derived = derived
        self.interpreter = interpreter
        self.values: dict[str, Value] = {}
        self.problems: dict[str, Issue] = {}
        """Why a value could not be used, by name."""
        self.missing: set[str] = set()

    def load_inputs(self, actuals: Actuals, units: Mapping[str, str | None]) -> None:
        """Every declared input read as written; blank-like text is missing, never zero."""
        for name, unit in units.items():
            raw = actuals.inputs.get(name)
            if isinstance(raw, InputEntry):
                raw = raw.value
            number, kind = read_figure(raw, unit)
            self.values[name] = number
            if kind == "blank":
                self.missing.add(name)
            elif kind is not None:
                self.problems[name] = input_issue(name, raw, kind)

    def compute_derived(self) -> None:
        """Every derived value in dependency order; a failure is recorded, not raised."""
        for name, formula, _ in self.c.derived:
            try:
                value = self.interpreter.evaluate(formula, self.values)
            except EvaluationError as exc:
                self.values[name] = None
                if exc.code != "value.missing":
                    self.problems[name] = Issue(
                        exc.code,
                        f"派生值 {name} 无法计算：{exc.message}",
                        f"derived value {name} cannot be computed: {exc.message_en}",
                    )
                continue
            if not isinstance(value, Decimal):
                self.values[name] = None
                self.problems[name] = Issue(
                    "formula.not-a-number",
                    f"派生值 {name} 的公式结果不是数字",
                    f"derived value {name} is not a number",
                )
            else:
                self.values[name] = value

    def used(self, names: frozenset[str]) -> tuple[UsedValue, ...]:
        """The inputs and derived values behind ``names``, dependencies first."""
        ordered: dict[str, UsedValue] = {}

        def visit(name: str) -> None:
            if name in ordered:
                return
            problem = self.problems.get(name)
            problem_text = problem.message if problem else None
            problem_en = problem.message_en if problem else None
            if name in self.derived:
                formula, definition = self.derived[name]
                for dep in sorted(formula.names):
                    visit(dep)
                ordered[name] = UsedValue(
                    name,
                    "derived",
                    as_decimal(self.values.get(name)),
                    definition.label,
                    definition.unit,
                    formula.text,
                    formula.substitute(self.values),
                    problem_text,
                    definition.label_en,
                    problem_en,
                )
            elif name in self.c.inputs:
                declared = self.c.inputs[name]
                if name in self.missing:
                    problem_text, problem_en = "未提供", "not supplied"
                ordered[name] = UsedValue(
                    name,
                    "input",
                    as_decimal(self.values.get(name)),
                    declared.label,
                    declared.unit,
                    problem=problem_text,
                    label_en=declared.label_en,
                    problem_en=problem_en,
                )

        for name in sorted(names):
            visit(name)
        return tuple(ordered.values())

    def root_problem(self, used: tuple[UsedValue, ...]) -> Issue | None:
        """The first value read whose own data was bad, if any."""
        for u in used:
            if u.name in self.problems:
                return self.problems[u.name]
        return None
