"""The indicator tree walked once: ids unique, groups' weights equal their children's, roles
passed down, and every leaf handed to the leaf compiler."""

from __future__ import annotations

from decimal import Decimal

from kpi_engine.compiler.checks import Checks, Path_
from kpi_engine.compiler.compiled import CompiledGroup, CompiledLeaf
from kpi_engine.compiler.leaves import LeafCompiler, Place
from kpi_engine.display import show
from kpi_engine.models import Group, Node, NodeRole

__all__ = ["TreeCompiler", "infer_role", "role_in_name", "role_of"]

_ROLE_WORDS: tuple[tuple[tuple[str, ...], NodeRole], ...] = (
    (("满意",), NodeRole.SATISFACTION),
    (("预算执行", "执行率"), NodeRole.EXECUTION),
    (("产出",), NodeRole.OUTPUT),
    (("效益", "效果"), NodeRole.BENEFIT),
    (("管理",), NodeRole.MANAGEMENT),
)

_OUTPUT_DIMENSION_GROUPS = ("数量", "质量", "时效", "进度")
"""Forms that flatten 产出 into its dimensions name first-level groups 数量指标, 质量指标,
时效指标 (or 进度指标): such a group is the 产出 part of the frame. Only first-level group names
are read this way — a row called 服务质量提升 under 效益 stays a benefit row, and ``kpi lint``
does not call it misfiled. 成本指标 is left out: since 2021 the national frame makes it a
first-level part of its own.
"""


def infer_role(name: str, declared: NodeRole | None, inherited: NodeRole) -> NodeRole:
    """The declared role, else one read from the name, else the enclosing group's.

    For groups and top-level rows, which name the parts of the frame (产出指标, 满意度指标,
    预算执行率); a row inside a group takes the group's role (:func:`role_of`).
    """
    if declared is not None:
        return declared
    role = role_in_name(name)
    return inherited if role is None else role


def role_in_name(name: str) -> NodeRole | None:
    """The role a name reads like (满意 → satisfaction, 执行率 → execution …), if any."""
    for words, role in _ROLE_WORDS:
        if any(word in name for word in words):
            return role
    return None


def role_of(node: Node, depth: int, inherited: NodeRole) -> NodeRole:
    """Roles come from the tree: a group's is declared or read from its name (groups name the
    frame), else its parent's; a row inside a group has its group's unless it declares one —
    words in a row's name never re-file it (``kpi lint`` points at rows that read otherwise)."""
    if (
        depth == 1
        and isinstance(node, Group)
        and node.role is None
        and role_in_name(node.name) is None
        and any(word in node.name for word in _OUTPUT_DIMENSION_GROUPS)
    ):
        return NodeRole.OUTPUT
    if isinstance(node, Group) or depth == 1:
        return infer_role(node.name, node.role, inherited)
    return node.role if node.role is not None else inherited


class TreeCompiler:
    """Walks the tree depth first; groups come out in post-order (children before parents)."""

    def __init__(self, checks: Checks, leaves: LeafCompiler) -> None:
        self.checks = checks
        self.leaf_compiler = leaves
        self.leaves: list[CompiledLeaf] = []
        self.groups: list[CompiledGroup] = []
        self.seen_ids: dict[str, Path_] = {}

    def node(
        self,
        node: Node,
        path: Path_,
        names: tuple[str, ...],
        ids: tuple[str, ...],
        depth: int,
        inherited: NodeRole = NodeRole.OTHER,
    ) -> None:
        """Compile ``node`` and everything below it."""
        if node.id in self.seen_ids:
            first = self.checks.at(self.seen_ids[node.id])
            self.checks.add(
                "tree.duplicate-id",
                f"指标 id '{node.id}' 重复（首次出现在第 {first.line} 行）",
                f"indicator id {node.id!r} is used twice (first at line {first.line})",
                (*path, "id"),
            )
        else:
            self.seen_ids[node.id] = (*path, "id")
        role = role_of(node, depth, inherited)
        if isinstance(node, Group):
            self.group(node, path, names, ids, depth, role)
        else:
            self.leaves.append(self.leaf_compiler.compile(node, Place(path, names, ids, role)))

    def parts(self, siblings: tuple[Node, ...], path: Path_) -> None:
        """Each "其中" row names an earlier row of its own group, one that is not itself a part,
        and has no points of its own (a weighted part would be counted twice)."""
        earlier: dict[str, Node] = {}
        for i, node in enumerate(siblings):
            here = (*path, i)
            part_of = None if isinstance(node, Group) else node.part_of
            if part_of is not None:
                whole = earlier.get(part_of)
                if whole is None or isinstance(whole, Group) or whole.part_of is not None:
                    self.checks.add(
                        "tree.part-of-unknown",
                        f"“其中”行 {node.id} 的 part_of '{part_of}' 须是同一指标组中排在它前面、"
                        "本身不是“其中”行的末级指标",
                        f"the part row {node.id}: part_of {part_of!r} must name an earlier leaf "
                        "of the same group that is not itself a part row",
                        (*here, "part_of"),
                    )
                elif node.weight:
                    self.checks.inconsistent(
                        "weights.part-weighted",
                        f"“其中”行“{node.name}”另有分值 {show(node.weight)}：它是“{whole.name}”的"
                        "一部分，另计分值会重复计分",
                        f"the part row {node.name!r} has its own weight {show(node.weight)}: it is "
                        f"part of {whole.name!r}, so its points would be counted twice",
                        (*here, "weight"),
                    )
            earlier[node.id] = node

    def group(
        self,
        g: Group,
        path: Path_,
        names: tuple[str, ...],
        ids: tuple[str, ...],
        depth: int,
        role: NodeRole,
    ) -> None:
        for i, child in enumerate(g.children):
            self.node(
                child, (*path, "children", i), (*names, g.name), (*ids, g.id), depth + 1, role
            )
        self.parts(g.children, (*path, "children"))
        total = sum((c.weight for c in g.children), Decimal(0))
        if total != g.weight:
            here = self.checks.at((*path, "weight"))
            kids = self.checks.at((*path, "children"))
            self.checks.inconsistent(
                "weights.mismatch",
                f"“{g.name}”的分值为 {show(g.weight)}（第 {here.line} 行），但其下级指标分值之和为 "
                f"{show(total)}（第 {kids.line} 行起）",
                f"{g.name!r} has weight {show(g.weight)} (line {here.line}) but its children's "
                f"weights sum to {show(total)} (from line {kids.line})",
                (*path, "weight"),
            )
        self.groups.append(
            CompiledGroup(
                g.id,
                g.name,
                g.name_en,
                names,
                depth,
                g.weight,
                tuple(c.id for c in g.children),
                role,
                tuple(g.assumed),
            )
        )
