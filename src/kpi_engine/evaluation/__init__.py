"""One evaluation of a compiled set against one unit's actuals.

``Run`` reads the unit's figures (:mod:`.data`), scores every leaf through its scorer (:mod:`.rows`:
a bad figure becomes that leaf's status, never an exception), adds up the groups, applies caps and
grades the total (:mod:`.totals`), and raises the engine's own data flags. ``Plan`` holds what
every run of one engine shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from kpi_engine.compiler import CompiledSet
from kpi_engine.evaluation.data import Data, as_decimal
from kpi_engine.evaluation.rows import RowScorer, Static
from kpi_engine.evaluation.totals import Totals, add_up
from kpi_engine.flags import data_flags, published_flags
from kpi_engine.formula import Formula, Interpreter
from kpi_engine.models import Actuals, DerivedDef, InputEntry
from kpi_engine.results import Evaluation
from kpi_engine.targets import normalize_unit

__all__ = ["Plan", "Run"]


@dataclass(frozen=True, slots=True)
class Plan:
    """What every evaluation of one engine shares, worked out once in ``Engine.__init__``."""

    leaves: tuple[Static, ...]
    """Per leaf, in tree order, the parts of its result that do not depend on the actuals."""
    derived: Mapping[str, tuple[Formula, DerivedDef]]
    units: Mapping[str, str | None]

    @classmethod
    def of(cls, compiled: CompiledSet) -> Plan:
        return cls(
            tuple(Static.of(leaf) for leaf in compiled.leaves),
            MappingProxyType({name: (f, d) for name, f, d in compiled.derived}),
            MappingProxyType({n: normalize_unit(d.unit) for n, d in compiled.inputs.items()}),
        )


class Run:
    """One evaluation: not shared, so it may hold an interpreter and scratch state."""

    def __init__(self, compiled: CompiledSet, actuals: Actuals, plan: Plan) -> None:
        self.c = compiled
        self.actuals = actuals
        self.plan = plan
        interpreter = Interpreter(own_context=False)  # evaluate() enters ARITHMETIC
        self.data = Data(compiled, plan.derived, interpreter)
        self.rows = RowScorer(compiled, self.data, interpreter)

    def evaluate(self) -> Evaluation:
        c, data = self.c, self.data
        data.load_inputs(self.actuals, self.plan.units)
        data.compute_derived()
        entries = self.actuals.indicators
        results = tuple(
            self.rows.row(leaf, static, entries)
            for leaf, static in zip(c.leaves, self.plan.leaves, strict=True)
        )
        totals: Totals = add_up(c, results, data.values)
        definition = c.definition
        return Evaluation(
            set_id=definition.id,
            title=definition.title,
            title_en=definition.title_en,
            scale=c.scale,
            places=c.places,
            total=totals.total,
            grade=totals.grade,
            coverage=totals.coverage,
            indicators=results,
            groups=totals.groups,
            top=c.top,
            flags=(
                *published_flags(c.published),
                *data_flags(results, totals.coverage, c.places, data.problems, totals.span),
            ),
            reported_total=self.actuals.reported_total,
            cap=totals.cap,
            total_uncapped=totals.total_uncapped,
            total_high=totals.total_high,
            grade_range=totals.grade_range,
            weights_note=definition.weights_note,
            unscored_as_zero=totals.total_high is not None and definition.unscored == "zero",
            values={name: as_decimal(value) for name, value in data.values.items()},
            sources={
                name: entry.source
                for name, entry in self.actuals.inputs.items()
                if isinstance(entry, InputEntry) and entry.source
            },
        )
