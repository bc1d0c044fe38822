"""Declaration facts: what the target review (申报审核, the ``cn-declare`` pack) reads from the
set alone — each row's 取值依据 and tags, the core rows, and unit cost × quantity against the
funds requested. Worked out from the set's own rows, apart from the other structural facts."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from kpi_engine.compiler import CompiledLeaf, CompiledSet
from kpi_engine.facts.catalogue import IndicatorDeclared, SetDeclared
from kpi_engine.functions import exact_sum
from kpi_engine.models import Group, IndicatorTag, Leaf, Node

__all__ = ["declared_indicator", "declared_set", "definitions"]


def _walk(nodes: tuple[Node, ...]) -> Iterator[Leaf]:
    for node in nodes:
        if isinstance(node, Group):
            yield from _walk(node.children)
        else:
            yield node


def definitions(compiled: CompiledSet) -> dict[str, Leaf]:
    """Each leaf's definition as written, by id."""
    return {leaf.id: leaf for leaf in _walk(compiled.definition.indicators)}


def _cost_rows(compiled: CompiledSet, defs: dict[str, Leaf]) -> list[tuple[CompiledLeaf, Decimal]]:
    """成本 rows naming their quantity row, each with unit cost × quantity (both targets)."""
    rows = []
    for leaf in compiled.leaves:
        quantity_id = defs[leaf.id].quantity
        quantity = compiled.leaf(quantity_id) if quantity_id else None
        if leaf.target is None or quantity is None or quantity.target is None:
            continue
        rows.append((leaf, leaf.target.value * quantity.target.value))
    return rows


def declared_set(compiled: CompiledSet) -> SetDeclared:
    """The set's declaration facts."""
    defs = definitions(compiled)
    core = [leaf for leaf in defs.values() if IndicatorTag.CORE in leaf.tags]
    costs = _cost_rows(compiled, defs)
    funds = compiled.definition.funds_requested
    estimate = exact_sum(cost for _, cost in costs) if costs else None
    gap = None
    if estimate is not None and funds:  # no request, or 0: nothing to compare with
        gap = abs(estimate - funds) / funds
    return {
        "core_count": Decimal(len(core)),
        "funds_requested": funds,
        "cost_estimate": estimate,
        "cost_gap_share": gap,
        "cost_rows": "、".join(leaf.name for leaf, _ in costs),
        "cost_rows_en": ", ".join(leaf.name_en or leaf.name for leaf, _ in costs),
    }


def declared_indicator(leaf: Leaf) -> IndicatorDeclared:
    """A row's declaration facts."""
    return {
        "basis": leaf.basis.label if leaf.basis else "",
        "basis_en": leaf.basis.standard if leaf.basis else "",
        "basis_note": (leaf.basis.note or "") if leaf.basis else "",
        "tags": "、".join(tag.label for tag in leaf.tags),
        "is_core": IndicatorTag.CORE in leaf.tags,
    }
