"""Facts: the names a rule's condition may use, computed for the set, each group and each leaf.

Structural facts come from the compiled set alone (:mod:`.structure`, so ``kpi lint`` can check a
set before the year starts); result facts need an evaluation (:mod:`.outcomes`). A fact that
cannot be known (no actual, no budget figure) is ``None``, and a rule whose condition needs it
simply does not apply. Every name is typed and documented in :mod:`.catalogue` (:data:`FACTS`,
listed in docs/flags.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kpi_engine.compiler import CompiledSet
from kpi_engine.facts.catalogue import FACTS, RESULT_FACTS, Row, Scope
from kpi_engine.facts.outcomes import results
from kpi_engine.facts.structure import structure
from kpi_engine.results import Evaluation

__all__ = ["FACTS", "RESULT_FACTS", "Facts", "Row", "Scope", "collect"]


@dataclass(frozen=True, slots=True)
class Facts:
    """Facts for one rule pack's parameters: the set, each group and each leaf (tree order)."""

    set: Row
    groups: tuple[tuple[str, Row], ...]
    indicators: tuple[tuple[str, Row], ...]


def collect(
    compiled: CompiledSet,
    params: Mapping[str, object],
    evaluation: Evaluation | None = None,
    structure_facts: Facts | None = None,
) -> Facts:
    """Facts for the set, its groups and its leaves; result facts only with an evaluation.

    ``structure_facts`` is this set's structural facts for these params, if already worked out:
    they do not change from one evaluation to the next, so an engine computes them once.
    """
    facts = structure_facts if structure_facts is not None else Facts(*structure(compiled, params))
    if evaluation is None:
        return facts
    return Facts(*results(facts.set, facts.groups, facts.indicators, compiled, evaluation))
