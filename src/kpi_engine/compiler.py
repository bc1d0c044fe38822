"""Whole-set checks → :class:`CompiledSet`: formulas compiled, names resolved, order fixed.

Every problem is collected before raising one :class:`DefinitionError`, so an auditor fixes the
whole file in one pass: ids, names and cycles, weights that do not add up (naming both numbers and
both places), targets and units, methods that do not fit their targets, and grading bands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from kpi_engine.errors import (
    DefinitionError,
    FormulaError,
    Issue,
    SourceLocation,
    did_you_mean,
)
from kpi_engine.formula import Formula, compile_formula
from kpi_engine.functions import FUNCTIONS
from kpi_engine.grading import NATIONAL, Grade, band_problems
from kpi_engine.models import (
    Deduction,
    DerivedDef,
    Group,
    IndicatorSet,
    InputDef,
    InputRole,
    Kind,
    Leaf,
    Method,
    Node,
    NodeRole,
    SourceMap,
)
from kpi_engine.scoring import Step, show
from kpi_engine.targets import Op, Target, TargetSyntaxError, normalize_unit, parse_target

__all__ = [
    "DIMENSIONS",
    "CompiledGroup",
    "CompiledLeaf",
    "CompiledSet",
    "compile_set",
    "infer_role",
]

DIMENSIONS = ("数量", "质量", "时效", "成本")
"""Output dimensions (产出指标的数量、质量、时效、成本)."""

_ROLE_WORDS: tuple[tuple[tuple[str, ...], NodeRole], ...] = (
    (("满意",), NodeRole.SATISFACTION),
    (("预算执行", "执行率"), NodeRole.EXECUTION),
    (("产出",), NodeRole.OUTPUT),
    (("效益", "效果"), NodeRole.BENEFIT),
    (("管理",), NodeRole.MANAGEMENT),
)


def infer_role(name: str, declared: NodeRole | None, inherited: NodeRole) -> NodeRole:
    """The declared role, else one read from the name, else the enclosing group's."""
    if declared is not None:
        return declared
    for words, role in _ROLE_WORDS:
        if any(word in name for word in words):
            return role
    return inherited


def _dimension(declared: str | None, group_names: tuple[str, ...]) -> str | None:
    if declared:
        return declared
    for name in reversed(group_names):
        for dimension in DIMENSIONS:
            if dimension in name:
                return dimension
    return None


Path_ = tuple[str | int, ...]
SCORE_NAMES = ("A", "T", "w")
"""Names a score formula may use besides inputs and derived values: actual, target, weight."""

_DEFAULT_METHOD = {
    Op.GE: Method.PROPORTIONAL,
    Op.LE: Method.REVERSE_LINEAR,
    Op.EQ: Method.EQUAL,
    Op.RANGE: Method.RANGE,
}
_METHOD_OPS: dict[Method, tuple[Op, ...]] = {
    Method.PROPORTIONAL: (Op.GE, Op.EQ),
    Method.REVERSE_LINEAR: (Op.LE, Op.EQ),
    Method.REVERSE_RATIO: (Op.LE, Op.EQ),
    Method.EQUAL: (Op.EQ,),
    Method.EQUAL_SYMMETRIC: (Op.EQ,),
    Method.RANGE: (Op.RANGE,),
}


@dataclass(frozen=True, slots=True)
class CompiledLeaf:
    """A leaf ready to score."""

    id: str
    name: str
    name_en: str | None
    path: tuple[str, ...]
    group_ids: tuple[str, ...]
    weight: Decimal
    kind: Kind
    method: Method
    target: Target | None
    target_text: str | None
    unit: str | None
    value: Formula | None
    score_formula: Formula | None
    steps: tuple[Step, ...]
    dimension: str | None
    """数量/质量/时效/成本: declared, or taken from the nearest group named after one."""
    role: NodeRole
    """Declared, inferred from the name, or inherited from the enclosing group."""
    deduction: Deduction | None = None
    """The deductions of ``method: deduct``."""


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


class _Compiler:
    def __init__(self, definition: IndicatorSet) -> None:
        self.definition = definition
        self.smap = definition.source or SourceMap("<set>", {}, {})
        self.issues: list[Issue] = []
        self.leaves: list[CompiledLeaf] = []
        self.groups: list[CompiledGroup] = []
        self.seen_ids: dict[str, Path_] = {}

    def at(self, path: Path_, *, key: bool = False) -> SourceLocation:
        return self.smap.locate(path, key=key)

    def add(self, code: str, zh: str, en: str, path: Path_, *, key: bool = False) -> None:
        self.issues.append(Issue(code, zh, en, self.at(path, key=key)))

    def formula(self, text: str, path: Path_, known: Iterable[str], what: str) -> Formula | None:
        try:
            formula = compile_formula(text)
        except FormulaError as exc:
            self.issues.append(
                self._formula_issue(exc.code, exc.message, exc.message_en, path, exc.col)
            )
            return None
        known = set(known)
        for name, col in formula.unknown_names(known):
            zh_hint, en_hint = did_you_mean(name, known)
            self.issues.append(
                self._formula_issue(
                    "formula.unknown-name",
                    f"{what}中的名称 '{name}' 未定义{zh_hint}",
                    f"unknown name {name!r} in {what}{en_hint}",
                    path,
                    col,
                )
            )
        return formula

    def _formula_issue(self, code: str, zh: str, en: str, path: Path_, col: int) -> Issue:
        base = self.at(path)
        return Issue(code, zh, en, SourceLocation(base.file, base.line, base.col + col - 1))

    # --- names and derived values ------------------------------------------------------------

    def names(self) -> tuple[tuple[str, Formula, DerivedDef], ...]:
        d = self.definition
        for name in d.inputs:
            if name in FUNCTIONS or name in SCORE_NAMES:
                self.add(
                    "names.reserved",
                    f"输入项名称 '{name}' 与保留名称冲突",
                    f"input name {name!r} is reserved",
                    ("inputs", name),
                    key=True,
                )
        for name in d.derived:
            if name in d.inputs:
                self.add(
                    "names.duplicate",
                    f"'{name}' 同时定义为输入项和派生值",
                    f"{name!r} is defined both as an input and as a derived value",
                    ("derived", name),
                    key=True,
                )
            elif name in FUNCTIONS or name in SCORE_NAMES:
                self.add(
                    "names.reserved",
                    f"派生值名称 '{name}' 与保留名称冲突",
                    f"derived name {name!r} is reserved",
                    ("derived", name),
                    key=True,
                )
        known = set(d.inputs) | set(d.derived)
        compiled: dict[str, Formula] = {}
        for name, definition in d.derived.items():
            formula = self.formula(
                definition.formula, ("derived", name, "formula"), known, f"派生值 {name} 的公式"
            )
            if formula is not None:
                compiled[name] = formula
        return tuple((name, compiled[name], d.derived[name]) for name in self._order(compiled))

    def _order(self, compiled: Mapping[str, Formula]) -> list[str]:
        order: list[str] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done
        reported: set[frozenset[str]] = set()

        def visit(name: str, trail: list[str]) -> None:
            if state.get(name) == 2 or name not in compiled:
                return
            if state.get(name) == 1:
                cycle = [*trail[trail.index(name) :], name]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    text = " → ".join(cycle)
                    self.add(
                        "formula.cycle",
                        f"派生值循环引用：{text}",
                        f"derived values refer to each other in a cycle: {text}",
                        ("derived", name, "formula"),
                    )
                return
            state[name] = 1
            for dep in sorted(compiled[name].names):
                visit(dep, [*trail, name])
            state[name] = 2
            order.append(name)

        for name in compiled:
            visit(name, [])
        return order

    # --- the tree ------------------------------------------------------------------------------

    def node(
        self,
        node: Node,
        path: Path_,
        names: tuple[str, ...],
        ids: tuple[str, ...],
        depth: int,
        inherited: NodeRole = NodeRole.OTHER,
    ) -> None:
        if node.id in self.seen_ids:
            first = self.at(self.seen_ids[node.id])
            self.add(
                "tree.duplicate-id",
                f"指标 id '{node.id}' 重复（首次出现在第 {first.line} 行）",
                f"indicator id {node.id!r} is used twice (first at line {first.line})",
                (*path, "id"),
            )
        else:
            self.seen_ids[node.id] = (*path, "id")
        role = infer_role(node.name, node.role, inherited)
        if isinstance(node, Group):
            self.group(node, path, names, ids, depth, role)
        else:
            self.leaf(node, path, names, ids, role)

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
        total = sum((c.weight for c in g.children), Decimal(0))
        if total != g.weight:
            here = self.at((*path, "weight"))
            kids = self.at((*path, "children"))
            self.add(
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
            )
        )

    def leaf(
        self, leaf: Leaf, path: Path_, names: tuple[str, ...], ids: tuple[str, ...], role: NodeRole
    ) -> None:
        d = self.definition
        known = set(d.inputs) | set(d.derived)
        target = self._target(leaf, path)
        value = None
        if leaf.value is not None:
            value = self.formula(leaf.value, (*path, "value"), known, f"指标 {leaf.id} 的取值公式")
        unit = normalize_unit(leaf.unit)
        if unit is None and value is not None and len(value.names) == 1:
            (only,) = value.names
            if value.text == only:
                unit = self._declared_unit(only)
        if target is not None and target.unit and unit and target.unit != unit:
            self.add(
                "target.unit-mismatch",
                f"指标 {leaf.id} 的目标值单位 '{target.unit}' 与取值单位 '{unit}' 不一致",
                f"indicator {leaf.id}: target unit {target.unit!r} differs from the value's unit "
                f"{unit!r}",
                (*path, "target"),
            )
        unit = unit or (target.unit if target else None)
        method = self._method(leaf, target, path, unit)
        score_formula = None
        if leaf.score_formula is not None:
            if method is not Method.FORMULA:
                self.add(
                    "method.unused-score-formula",
                    f"指标 {leaf.id} 写了 score_formula，但计分方法不是 formula",
                    f"indicator {leaf.id} has a score_formula but its method is not 'formula'",
                    (*path, "score_formula"),
                    key=True,
                )
            score_formula = self.formula(
                leaf.score_formula,
                (*path, "score_formula"),
                known | set(SCORE_NAMES),
                f"指标 {leaf.id} 的计分公式",
            )
        elif method is Method.FORMULA:
            self.add(
                "method.missing-score-formula",
                f"指标 {leaf.id} 的计分方法为 formula，但未写 score_formula",
                f"indicator {leaf.id} uses method 'formula' but has no score_formula",
                path,
            )
        steps = self._steps(leaf, method, path)
        self._deduction(leaf, method, path)
        self.leaves.append(
            CompiledLeaf(
                id=leaf.id,
                name=leaf.name,
                name_en=leaf.name_en,
                path=names,
                group_ids=ids,
                weight=leaf.weight,
                kind=leaf.kind,
                method=method,
                target=target,
                target_text=None if leaf.target is None else str(leaf.target),
                unit=unit,
                value=value,
                score_formula=score_formula,
                steps=steps,
                dimension=_dimension(leaf.dimension, names),
                role=role,
                deduction=leaf.deduct if method is Method.DEDUCT else None,
            )
        )

    def _declared_unit(self, name: str) -> str | None:
        d = self.definition
        if name in d.inputs:
            return normalize_unit(d.inputs[name].unit)
        if name in d.derived:
            return normalize_unit(d.derived[name].unit)
        return None

    def _target(self, leaf: Leaf, path: Path_) -> Target | None:
        if leaf.target is None or leaf.kind is Kind.QUALITATIVE:
            return None  # qualitative targets are descriptions, scored by tier
        try:
            return parse_target(leaf.target)
        except TargetSyntaxError as exc:
            self.add("target.syntax", exc.message, exc.message_en, (*path, "target"))
            return None

    def _method(self, leaf: Leaf, target: Target | None, path: Path_, unit: str | None) -> Method:
        if leaf.kind is Kind.QUALITATIVE:
            if leaf.method not in (None, Method.QUALITATIVE):
                self.add(
                    "method.kind-mismatch",
                    f"定性指标 {leaf.id} 只能按定性分档计分",
                    f"qualitative indicator {leaf.id} can only be scored by tier",
                    (*path, "method"),
                )
            return Method.QUALITATIVE
        if leaf.method is Method.QUALITATIVE:
            self.add(
                "method.kind-mismatch",
                f"指标 {leaf.id} 用定性分档计分时须写 kind: qualitative",
                f"indicator {leaf.id} must have kind: qualitative to be scored by tier",
                (*path, "method"),
            )
        method = leaf.method or (
            _DEFAULT_METHOD[target.op] if target is not None else Method.PROPORTIONAL
        )
        allowed = _METHOD_OPS.get(method)
        if allowed and target is not None and target.op not in allowed:
            ops = "、".join(op.value if op is not Op.RANGE else "区间" for op in allowed)
            self.add(
                "method.target-mismatch",
                f"指标 {leaf.id} 的计分方法 {method.value} 需要 {ops} 形式的目标值，"
                f"而目标值为 '{target.text}'",
                f"indicator {leaf.id}: method {method.value} needs a target of the form "
                f"{', '.join(op.value for op in allowed)}, not {target.text!r}",
                (*path, "target"),
            )
        if method is Method.EXECUTION_RATE and unit not in (None, "%"):
            self.add(
                "target.unit-mismatch",
                f"指标 {leaf.id} 按预算执行率计分，取值单位应为 %（而不是 '{unit}'）",
                f"indicator {leaf.id} is scored as an execution rate; its unit must be % "
                f"(not {unit!r})",
                path,
            )
        return method

    def _deduction(self, leaf: Leaf, method: Method, path: Path_) -> None:
        if leaf.deduct is None and method is Method.DEDUCT:
            self.add(
                "method.missing-deduct",
                f"指标 {leaf.id} 的计分方法为 deduct，但未写扣分规则 deduct"
                "（如 {per: 1, minus: 0.5}）",
                f"indicator {leaf.id} uses method 'deduct' but has no deduct (e.g. "
                "{per: 1, minus: 0.5})",
                path,
            )
        elif leaf.deduct is not None and method is not Method.DEDUCT:
            self.add(
                "method.unused-deduct",
                f"指标 {leaf.id} 写了扣分规则 deduct，但计分方法不是 deduct",
                f"indicator {leaf.id} has deduct but its method is not 'deduct'",
                (*path, "deduct"),
                key=True,
            )

    def _steps(self, leaf: Leaf, method: Method, path: Path_) -> tuple[Step, ...]:
        if leaf.bands is None:
            if method is Method.BANDS:
                self.add(
                    "method.missing-bands",
                    f"指标 {leaf.id} 的计分方法为 bands，但未写分档表 bands",
                    f"indicator {leaf.id} uses method 'bands' but has no bands",
                    path,
                )
            return ()
        if method is not Method.BANDS:
            self.add(
                "method.unused-bands",
                f"指标 {leaf.id} 写了分档表，但计分方法不是 bands",
                f"indicator {leaf.id} has bands but its method is not 'bands'",
                (*path, "bands"),
                key=True,
            )
        steps = []
        for i, band in enumerate(leaf.bands):
            where = (*path, "bands", i)
            if band.points > leaf.weight:
                self.add(
                    "method.band-points",
                    f"分档得分 {show(band.points)} 超过指标分值 {show(leaf.weight)}",
                    f"step points {show(band.points)} exceed the weight {show(leaf.weight)}",
                    (*where, "points"),
                )
            if band.min is not None and band.max is not None and band.min >= band.max:
                self.add(
                    "method.band-range",
                    f"分档下限 {show(band.min)} 不小于上限 {show(band.max)}",
                    f"step min {show(band.min)} is not below its max {show(band.max)}",
                    where,
                )
            steps.append(Step(band.min, band.max, band.points))
        return tuple(steps)

    # --- the whole set ---------------------------------------------------------------------------

    def grades(self) -> tuple[Grade, ...]:
        d = self.definition
        if d.grading == "national":
            return NATIONAL
        grades = tuple(Grade(b.grade, b.grade_en or b.grade, b.min) for b in d.grading)
        for zh, en in band_problems(grades):
            self.add("grading.invalid", zh, en, ("grading",))
        return grades

    def roles(self) -> dict[InputRole, str]:
        d = self.definition
        roles: dict[InputRole, str] = {}
        declared = [("inputs", n, i.role) for n, i in d.inputs.items()]
        declared += [("derived", n, v.role) for n, v in d.derived.items()]
        for section, name, role in declared:
            if role is None:
                continue
            if role in roles:
                self.add(
                    "names.duplicate-role",
                    f"'{name}' 与 '{roles[role]}' 的 role 都是 {role.value}",
                    f"{name!r} and {roles[role]!r} both have role {role.value}",
                    (section, name, "role"),
                )
            else:
                roles[role] = name
        return roles

    def run(self) -> CompiledSet:
        d = self.definition
        derived = self.names()
        for i, node in enumerate(d.indicators):
            self.node(node, ("indicators", i), (), (), 1)
        total = sum((n.weight for n in d.indicators), Decimal(0))
        scale = d.scale if d.scale is not None else total
        if d.scale is not None and d.scale != total:
            self.add(
                "weights.scale-mismatch",
                f"满分 scale 为 {show(d.scale)}，但一级指标分值之和为 {show(total)}",
                f"scale is {show(d.scale)} but the top-level weights sum to {show(total)}",
                ("scale",),
            )
        if scale == 0:
            self.add(
                "weights.zero-scale",
                "满分为 0：至少一个指标须有正分值",
                "full marks are 0: at least one indicator needs a positive weight",
                ("indicators",),
            )
        grades = self.grades()
        roles = self.roles()
        known = set(d.inputs) | set(d.derived)
        for i, cap in enumerate(d.caps):
            if cap.value not in known:
                zh, en = did_you_mean(cap.value, known)
                self.add(
                    "caps.unknown-value",
                    f"总分上限引用了未定义的值 '{cap.value}'{zh}",
                    f"the cap refers to an undefined value {cap.value!r}{en}",
                    ("caps", i, "value"),
                )
        if self.issues:
            raise DefinitionError(self.issues)
        shares = {
            "achieved": d.qualitative.achieved / 100,
            "partly": d.qualitative.partly / 100,
            "not_achieved": d.qualitative.not_achieved / 100,
        }
        return CompiledSet(
            definition=d,
            inputs=MappingProxyType(dict(d.inputs)),
            derived=derived,
            leaves=tuple(self.leaves),
            groups=tuple(self.groups),
            top=tuple(n.id for n in d.indicators),
            scale=scale,
            grades=grades,
            places=d.rounding.places,
            round_indicators=d.rounding.apply == "indicator",
            qualitative_shares=MappingProxyType(shares),
            roles=MappingProxyType(roles),
        )


def compile_set(definition: IndicatorSet) -> CompiledSet:
    """Check a whole set and compile it; raises :class:`DefinitionError` with every problem."""
    return _Compiler(definition).run()
