"""Structural facts: worked out from the compiled set alone, so ``kpi lint`` can check a set
before the year starts. One function per scope; the set's facts in three parts (size and weight,
output indicators and their targets, the weight split and the goals)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import cast

from kpi_engine.compiler import CompiledLeaf, CompiledSet
from kpi_engine.display import trimmed
from kpi_engine.facts.catalogue import (
    GroupStructure,
    IndicatorStructure,
    Row,
    SetOutputs,
    SetSize,
    SetSplit,
    SetStructure,
)
from kpi_engine.facts.declaration import declared_indicator, declared_set, definitions
from kpi_engine.functions import exact_sum
from kpi_engine.models import Kind, NodeRole
from kpi_engine.results import IndicatorResult

__all__ = ["names", "names_en", "pairs", "share", "structure"]


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    """part ÷ whole, or None when the whole is 0."""
    return part / whole if whole else None


def names(items: Sequence[str]) -> str:
    """Names as a Chinese list."""
    return "、".join(items)


def names_en(items: Iterable[tuple[str, str | None]]) -> str:
    """English names, each falling back to the Chinese one, as an English list."""
    return ", ".join(en or zh for zh, en in items)


def pairs(nodes: Iterable[CompiledLeaf | IndicatorResult]) -> list[tuple[str, str | None]]:
    """(name, English name) of each node."""
    return [(node.name, node.name_en) for node in nodes]


NAME_ROLES: tuple[tuple[NodeRole, tuple[str, ...]], ...] = (
    (NodeRole.SATISFACTION, ("满意",)),
    (NodeRole.EXECUTION, ("预算执行", "资金执行")),
)
"""Words that make a row's name read like a role, whatever group it is filed under."""

ROLE_NAMES: dict[str, tuple[str, str]] = {
    NodeRole.OUTPUT.value: ("产出", "output"),
    NodeRole.BENEFIT.value: ("效益", "benefit"),
    NodeRole.SATISFACTION.value: ("满意度", "satisfaction"),
    NodeRole.EXECUTION.value: ("预算执行", "budget execution"),
    NodeRole.MANAGEMENT.value: ("管理", "management"),
    NodeRole.OTHER.value: ("其他", "other"),
}
"""Each role as a reader names it."""


def name_role(name: str) -> str:
    """The role a row's name reads like (满意 → satisfaction, 预算执行 → execution), or "".

    Only for ``kpi lint`` to point at a row filed under another group: the words never change
    the row's role.
    """
    for role, words in NAME_ROLES:
        if any(word in name for word in words):
            return role.value
    return ""


def _vague(text: str | None, words: Sequence[str]) -> list[str]:
    return [w for w in words if text and w in text]


def _numeric_target(leaf: CompiledLeaf) -> bool:
    """A quantitative leaf measured against a number: its target, or its method's own scale."""
    return leaf.kind is Kind.QUANTITATIVE and (
        leaf.target is not None or leaf.scorer.spec.yardstick
    )


def _needs_target(leaf: CompiledLeaf) -> bool:
    """A quantitative leaf whose method compares with a target, but which has none."""
    return leaf.kind is Kind.QUANTITATIVE and leaf.target is None and leaf.scorer.spec.needs_target


def _role_weight(leaves: Sequence[CompiledLeaf], role: NodeRole) -> Decimal:
    return exact_sum(leaf.weight for leaf in leaves if leaf.role is role)


def _size(compiled: CompiledSet) -> SetSize:
    leaves, scale = compiled.scored_leaves, compiled.scale
    heaviest = max(leaves, key=lambda leaf: leaf.weight)
    qualitative = exact_sum(leaf.weight for leaf in leaves if leaf.kind is Kind.QUALITATIVE)
    return {
        "kind": compiled.definition.kind or "",
        "scale": scale,
        "leaf_count": Decimal(len(leaves)),
        "first_level_count": Decimal(len(compiled.top)),
        "max_leaf_share": share(heaviest.weight, scale),
        "max_leaf_name": heaviest.name,
        "max_leaf_name_en": heaviest.name_en or heaviest.name,
        "qualitative_share": share(qualitative, scale),
    }


def _outputs_and_targets(
    leaves: Sequence[CompiledLeaf], words: Sequence[str], required: Sequence[str]
) -> SetOutputs:
    outputs = [leaf for leaf in leaves if leaf.role is NodeRole.OUTPUT]
    soft = [leaf for leaf in outputs if not _numeric_target(leaf)]
    output_weight = _role_weight(leaves, NodeRole.OUTPUT)
    present = {leaf.dimension for leaf in outputs if leaf.dimension}
    missing = [dim for dim in required if dim not in present]
    vague = [leaf for leaf in leaves if _vague(leaf.target_text, words)]
    untargeted = [leaf for leaf in leaves if _needs_target(leaf)]
    soft_weight = exact_sum(leaf.weight for leaf in soft)
    return {
        "has_output": bool(outputs),
        "output_weight": output_weight,
        "output_soft_share": share(soft_weight, output_weight) if output_weight else Decimal(0),
        "output_soft_names": names([leaf.name for leaf in soft]),
        "output_soft_names_en": names_en(pairs(soft)),
        "missing_dimensions": names(missing),
        "missing_dimension_count": Decimal(len(missing)),
        "vague_count": Decimal(len(vague)),
        "vague_names": names([leaf.name for leaf in vague]),
        "vague_names_en": names_en(pairs(vague)),
        "untargeted_count": Decimal(len(untargeted)),
        "untargeted_names": names([leaf.name for leaf in untargeted]),
        "untargeted_names_en": names_en(pairs(untargeted)),
    }


def _split_and_goals(compiled: CompiledSet) -> SetSplit:
    d, leaves, scale = compiled.definition, compiled.scored_leaves, compiled.scale
    roles = (NodeRole.OUTPUT, NodeRole.BENEFIT, NodeRole.SATISFACTION, NodeRole.EXECUTION)
    split = [_role_weight(leaves, role) for role in roles]
    return {
        "benefit_leaf_count": Decimal(sum(1 for leaf in leaves if leaf.role is NodeRole.BENEFIT)),
        "benefit_weight": split[1],
        "satisfaction_leaf_count": Decimal(
            sum(1 for leaf in leaves if leaf.role is NodeRole.SATISFACTION)
        ),
        "execution_leaf_count": Decimal(
            sum(
                1
                for leaf in leaves
                if leaf.role is NodeRole.EXECUTION or leaf.scorer.spec.execution
            )
        ),
        "split": "/".join(trimmed(w) for w in split),
        "split_is_national": [w * 100 / scale for w in split] == [50, 30, 10, 10],
        "has_weights_note": bool(d.weights_note),
        "has_goals": bool(d.goals),
        "goals_narrative_only": bool(d.goals) and not any(ch.isdigit() for ch in d.goals or ""),
    }


def set_structure(compiled: CompiledSet, params: Mapping[str, object]) -> SetStructure:
    """The set's structural facts for a pack's parameters (vague terms, required dimensions)."""
    words = [str(w) for w in params.get("vague_terms", [])]  # type: ignore[attr-defined]
    required = [str(w) for w in params.get("required_dimensions", [])]  # type: ignore[attr-defined]
    facts: SetStructure = {
        **_size(compiled),
        **_outputs_and_targets(compiled.scored_leaves, words, required),
        **_split_and_goals(compiled),
        **declared_set(compiled),
    }
    return facts


def group_structure(compiled: CompiledSet) -> list[tuple[str, GroupStructure]]:
    """Each group's structural facts, in the compiled (post-) order."""
    below: dict[str, int] = {}
    for leaf in compiled.scored_leaves:
        for gid in leaf.group_ids:
            below[gid] = below.get(gid, 0) + 1
    return [
        (
            g.id,
            {
                "id": g.id,
                "name": g.name,
                "name_en": g.name_en or g.name,
                "depth": Decimal(g.depth),
                "is_first_level": g.depth == 1,
                "leaf_count": Decimal(below.get(g.id, 0)),
                "weight": g.weight,
                "role": g.role.value,
            },
        )
        for g in compiled.groups
    ]


def indicator_structure(
    compiled: CompiledSet, params: Mapping[str, object]
) -> list[tuple[str, IndicatorStructure]]:
    """Each leaf's structural facts, in tree order."""
    words = [str(w) for w in params.get("vague_terms", [])]  # type: ignore[attr-defined]
    top_en = {g.id: g.name_en or g.name for g in compiled.groups if g.depth == 1}
    by_id = {leaf.id: leaf for leaf in compiled.leaves}
    defs = definitions(compiled)
    rows: list[tuple[str, IndicatorStructure]] = []
    for leaf in compiled.leaves:
        target = leaf.target
        found = _vague(leaf.target_text, words)
        reads_like = name_role(leaf.name)
        whole = by_id.get(leaf.part_of) if leaf.part_of else None
        row: IndicatorStructure = {
            "id": leaf.id,
            "name": leaf.name,
            "name_en": leaf.name_en or leaf.name,
            "kind": leaf.kind.value,
            "method": leaf.method.value,
            "direction": target.op.value if target else "",
            "unit": leaf.unit or "",
            "weight": leaf.weight,
            "weight_share": share(leaf.weight, compiled.scale),
            "has_target": target is not None,
            "target": target.value if target else None,
            "target_text": leaf.target_text or "",
            "direction_inferred": leaf.direction_inferred or "",
            "vague_count": Decimal(len(found)),
            "vague_words": names(found),
            "role": leaf.role.value,
            "role_name": ROLE_NAMES.get(leaf.role.value, (leaf.role.value,) * 2)[0],
            "role_name_en": ROLE_NAMES.get(leaf.role.value, (leaf.role.value,) * 2)[1],
            "name_role": reads_like,
            "name_role_name": ROLE_NAMES[reads_like][0] if reads_like else "",
            "name_role_name_en": ROLE_NAMES[reads_like][1] if reads_like else "",
            "dimension": leaf.dimension or "",
            "group": leaf.path[0] if leaf.path else leaf.name,
            "group_en": top_en.get(leaf.group_ids[0], leaf.path[0])
            if leaf.group_ids
            else leaf.name_en or leaf.name,
            "target_shown": leaf.target_text
            or ("100%" if leaf.scorer.spec.execution else "未设定"),
            "target_shown_en": leaf.target_text
            or ("100%" if leaf.scorer.spec.execution else "none"),
            "part_of_name": whole.name if whole else "",
            "part_of_name_en": (whole.name_en or whole.name) if whole else "",
            **declared_indicator(defs[leaf.id]),
        }
        rows.append((leaf.id, row))
    return rows


def structure(
    compiled: CompiledSet, params: Mapping[str, object]
) -> tuple[Row, tuple[tuple[str, Row], ...], tuple[tuple[str, Row], ...]]:
    """The set's, each group's and each leaf's structural facts, as rows rules read."""
    return (
        cast(Row, set_structure(compiled, params)),
        tuple((gid, cast(Row, row)) for gid, row in group_structure(compiled)),
        tuple((lid, cast(Row, row)) for lid, row in indicator_structure(compiled, params)),
    )
