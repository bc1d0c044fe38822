"""Whole-set checks → :class:`CompiledSet`: formulas compiled, names resolved, order fixed.

Every problem is collected before raising one :class:`~kpi_engine.errors.DefinitionError`, so an
auditor fixes the whole file in one pass: ids, names and cycles (:mod:`.derived`), weights that do
not add up, naming both numbers and both places (:mod:`.tree`), targets, units and methods that do
not fit their targets — as each method's record says (:mod:`.leaves`) — and, here, the scale,
grading bands, input roles and caps.
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

from kpi_engine.compiler.checks import Checks
from kpi_engine.compiler.compiled import CompiledGroup, CompiledLeaf, CompiledSet
from kpi_engine.compiler.derived import compile_derived
from kpi_engine.compiler.leaves import DIMENSIONS, LeafCompiler
from kpi_engine.compiler.tree import TreeCompiler, infer_role
from kpi_engine.display import show
from kpi_engine.errors import did_you_mean
from kpi_engine.gcpause import without_gc
from kpi_engine.grading import NATIONAL, Grade, band_problems
from kpi_engine.models import IndicatorSet, InputRole

__all__ = [
    "DIMENSIONS",
    "CompiledGroup",
    "CompiledLeaf",
    "CompiledSet",
    "compile_set",
    "infer_role",
]


def _grades(d: IndicatorSet, checks: Checks) -> tuple[Grade, ...]:
    if d.grading == "national":
        return NATIONAL
    grades = tuple(Grade(b.grade, b.grade_en or b.grade, b.min) for b in d.grading)
    for zh, en in band_problems(grades):
        checks.add("grading.invalid", zh, en, ("grading",))
    return grades


def _roles(d: IndicatorSet, checks: Checks) -> dict[InputRole, str]:
    roles: dict[InputRole, str] = {}
    declared = [("inputs", n, i.role) for n, i in d.inputs.items()]
    declared += [("derived", n, v.role) for n, v in d.derived.items()]
    for section, name, role in declared:
        if role is None:
            continue
        if role in roles:
            checks.add(
                "names.duplicate-role",
                f"'{name}' 与 '{roles[role]}' 的 role 都是 {role.value}",
                f"{name!r} and {roles[role]!r} both have role {role.value}",
                (section, name, "role"),
            )
        else:
            roles[role] = name
    return roles


def _scale(d: IndicatorSet, checks: Checks) -> Decimal:
    total = sum((n.weight for n in d.indicators), Decimal(0))
    scale = d.scale if d.scale is not None else total
    if d.scale is not None and d.scale != total:
        checks.inconsistent(
            "weights.scale-mismatch",
            f"满分 scale 为 {show(d.scale)}，但一级指标分值之和为 {show(total)}",
            f"scale is {show(d.scale)} but the top-level weights sum to {show(total)}",
            ("scale",),
        )
    if scale == 0:
        checks.add(
            "weights.zero-scale",
            "满分为 0：至少一个指标须有正分值",
            "full marks are 0: at least one indicator needs a positive weight",
            ("indicators",),
        )
    return scale


def _caps(d: IndicatorSet, checks: Checks, known: frozenset[str]) -> None:
    for i, cap in enumerate(d.caps):
        if cap.value not in known:
            zh, en = did_you_mean(cap.value, known)
            checks.add(
                "caps.unknown-value",
                f"总分上限引用了未定义的值 '{cap.value}'{zh}",
                f"the cap refers to an undefined value {cap.value!r}{en}",
                ("caps", i, "value"),
            )


@without_gc
def compile_set(definition: IndicatorSet) -> CompiledSet:
    """Check a whole set and compile it; raises :class:`DefinitionError` with every problem."""
    d = definition
    checks = Checks(d)
    known = frozenset(d.inputs) | frozenset(d.derived)
    derived = compile_derived(d, checks, known)
    shares = MappingProxyType(
        {
            "achieved": d.qualitative.achieved / 100,
            "partly": d.qualitative.partly / 100,
            "not_achieved": d.qualitative.not_achieved / 100,
        }
    )
    tree = TreeCompiler(checks, LeafCompiler(d, checks, known, shares))
    for i, node in enumerate(d.indicators):
        tree.node(node, ("indicators", i), (), (), 1)
    tree.parts(d.indicators, ("indicators",))
    scale = _scale(d, checks)
    grades = _grades(d, checks)
    roles = _roles(d, checks)
    _caps(d, checks, known)
    checks.raise_if_any()
    return CompiledSet(
        definition=d,
        inputs=MappingProxyType(dict(d.inputs)),
        derived=derived,
        leaves=tuple(tree.leaves),
        groups=tuple(tree.groups),
        top=tuple(n.id for n in d.indicators),
        scale=scale,
        grades=grades,
        places=d.rounding.places,
        round_indicators=d.rounding.apply == "indicator",
        qualitative_shares=shares,
        roles=MappingProxyType(roles),
        published=tuple(checks.published),
    )
