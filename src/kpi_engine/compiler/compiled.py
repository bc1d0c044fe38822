"""What compiling a set produces: immutable leaves, groups and the set, safe to share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from kpi_engine.errors import Issue
from kpi_engine.formula import Formula
from kpi_engine.grading import Grade
from kpi_engine.methods import Scorer
from kpi_engine.models import (
    Deduction,
    DerivedDef,
    IndicatorSet,
    InputDef,
    InputRole,
    Kind,
    Method,
    NodeRole,
)
from kpi_engine.scoring import Step
from kpi_engine.targets import Target, normalize_unit

__all__ = ["CompiledGroup", "CompiledLeaf", "CompiledSet"]


@dataclass(frozen=True, slots=True)
class CompiledLeaf:
    """A leaf ready to score: its place in the tree, its value formula and its bound scorer."""

    id: str
    name: str
    name_en: str | None
    path: tuple[str, ...]
    group_ids: tuple[str, ...]
    weight: Decimal
    kind: Kind
    target_text: str | None
    unit: str | None
    value: Formula | None
    dimension: str | None
    """数量/质量/时效/成本: declared, or taken from the nearest group named after one."""
    role: NodeRole
    """Declared, inferred from the name, or inherited from the enclosing group."""
    scorer: Scorer
    """The leaf's method bound with its weight, target and parameters."""
    assumed: tuple[str, ...] = ()
    """Which of its figures (target, weight) the source does not state (marked ※)."""
    direction_inferred: str | None = None
    """For a target written without a comparison: why it reads as it does (``cost`` or ``time``:
    as ≤; ``default``: as ≥); None when the comparison is written."""
    part_of: str | None = None
    """For a "其中" row, the id of the row it is part of (it has no points of its own)."""

    @property
    def method(self) -> Method:
        """The scoring method."""
        return self.scorer.spec.method

    @property
    def target(self) -> Target | None:
        """The parsed target (None for qualitative rows and rows without one)."""
        return self.scorer.target

    @property
    def steps(self) -> tuple[Step, ...]:
        """The steps of ``method: bands``."""
        return self.scorer.steps

    @property
    def deduction(self) -> Deduction | None:
        """The deductions of ``method: deduct``."""
        return self.scorer.deduction

    @property
    def score_formula(self) -> Formula | None:
        """The score formula of ``method: formula``."""
        return self.scorer.score_formula


@dataclass(frozen=True, slots=True)
class CompiledGroup:
    """A group: its children (ids, in order) and its place in the tree."""

    id: str
    name: str
    name_en: str | None
    path: tuple[str, ...]
    depth: int
    weight: Decimal
    children: tuple[str, ...]
    role: NodeRole
    assumed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CompiledSet:
    """An indicator set checked and compiled; immutable and safe to share between threads."""

    definition: IndicatorSet
    inputs: Mapping[str, InputDef]
    derived: tuple[tuple[str, Formula, DerivedDef], ...]
    """Derived values in an order where each comes after everything it reads."""
    leaves: tuple[CompiledLeaf, ...]
    groups: tuple[CompiledGroup, ...]
    """Groups in post-order: children before their parent, so subtotals build bottom-up."""
    top: tuple[str, ...]
    scale: Decimal
    grades: tuple[Grade, ...]
    places: int
    round_indicators: bool
    qualitative_shares: Mapping[str, Decimal]
    roles: Mapping[InputRole, str]
    """Which input or derived value plays each standard role (全年执行数, 年末结转结余…)."""
    published: tuple[Issue, ...] = ()
    """For a set loaded ``as_published``: the table's own inconsistencies, reported as flags."""

    @property
    def scored_leaves(self) -> tuple[CompiledLeaf, ...]:
        """The leaves that carry points: every leaf but the "其中" rows (``part_of``), which are
        shown and checked but are not indicators of their own when rows are counted."""
        return tuple(leaf for leaf in self.leaves if leaf.part_of is None)

    def leaf(self, leaf_id: str) -> CompiledLeaf | None:
        """The leaf with this id, if any."""
        return next((leaf for leaf in self.leaves if leaf.id == leaf_id), None)

    def unit_of(self, name: str) -> str | None:
        """Declared unit of an input or derived value."""
        if name in self.inputs:
            return normalize_unit(self.inputs[name].unit)
        for derived_name, _, definition in self.derived:
            if derived_name == name:
                return normalize_unit(definition.unit)
        return None
