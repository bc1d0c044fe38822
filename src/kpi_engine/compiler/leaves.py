"""One leaf compiled: its target, value formula and unit, and its method bound into a scorer.

What a method accepts and requires is read from its record in :mod:`kpi_engine.methods`; nothing
here names a particular method.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from kpi_engine.compiler.checks import Checks, Path_
from kpi_engine.compiler.compiled import CompiledLeaf
from kpi_engine.compiler.derived import SCORE_NAMES
from kpi_engine.display import show
from kpi_engine.formula import Formula
from kpi_engine.methods import METHODS, PARAMS, MethodSpec, Scorer, default_method
from kpi_engine.models import IndicatorSet, Kind, Leaf, Method, NodeRole
from kpi_engine.scoring import Step
from kpi_engine.targets import Op, Target, TargetSyntaxError, normalize_unit, parse_target

__all__ = ["DIMENSIONS", "LeafCompiler", "inferred_direction"]

DIMENSIONS = ("数量", "质量", "时效", "成本")
"""Output dimensions (产出指标的数量、质量、时效、成本)."""


_DIMENSION_WORDS: tuple[tuple[str, str], ...] = (
    *((dimension, dimension) for dimension in DIMENSIONS),
    ("进度", "时效"),  # 进度指标 is how many tables name the 时效 dimension
)


def _dimension(declared: str | None, group_names: tuple[str, ...]) -> str | None:
    """The declared dimension, else the nearest group's named after one (数量指标, 进度指标…)."""
    if declared:
        return declared
    for name in reversed(group_names):
        for word, dimension in _DIMENSION_WORDS:
            if word in name:
                return dimension
    return None


@dataclass(frozen=True, slots=True)
class Place:
    """Where a leaf sits: its YAML path, the names and ids of the groups above, its role."""

    path: Path_
    names: tuple[str, ...]
    ids: tuple[str, ...]
    role: NodeRole


_COST_WORDS = ("成本", "费用", "单价", "经费", "造价")
_TIME_WORDS = ("时限", "用时", "时长", "天数", "周期", "耗时")
_TIME_UNITS = frozenset({"天", "日", "工作日", "个工作日", "自然日", "小时", "个月"})


def inferred_direction(name: str, dimension: str | None, target: Target) -> str:
    """Why a target written without a comparison reads the way it does: ``cost`` (成本 rows:
    dimension 成本, or 成本/费用/单价 in the name) and ``time`` (时限 rows: a unit of days or
    hours, or 时限/用时 in the name) read as ≤; any other bare number as ≥ (``default``)."""
    if dimension == "成本" or any(word in name for word in _COST_WORDS):
        return "cost"
    if normalize_unit(target.unit) in _TIME_UNITS or any(word in name for word in _TIME_WORDS):
        return "time"
    return "default"


class LeafCompiler:
    """Compiles the leaves of one set; the set's names are worked out once, not per leaf."""

    def __init__(
        self,
        d: IndicatorSet,
        checks: Checks,
        known: frozenset[str],
        shares: Mapping[str, Decimal],
    ) -> None:
        self.d = d
        self.checks = checks
        self.known = known
        self.score_known = known | frozenset(SCORE_NAMES)
        self.shares = shares

    def compile(self, leaf: Leaf, place: Place) -> CompiledLeaf:
        path = place.path
        dimension = _dimension(leaf.dimension, place.names)
        target = self._target(leaf, path, dimension)
        value = None
        if leaf.value is not None:
            value = self.checks.formula(
                leaf.value, (*path, "value"), self.known, f"指标 {leaf.id} 的取值公式"
            )
        unit = normalize_unit(leaf.unit)
        if unit is None and value is not None and len(value.names) == 1:
            (only,) = value.names
            if value.text == only:
                unit = self._declared_unit(only)
        if target is not None and target.unit and unit and target.unit != unit:
            self.checks.add(
                "target.unit-mismatch",
                f"指标 {leaf.id} 的目标值单位 '{target.unit}' 与取值单位 '{unit}' 不一致",
                f"indicator {leaf.id}: target unit {target.unit!r} differs from the value's unit "
                f"{unit!r}",
                (*path, "target"),
            )
        unit = unit or (target.unit if target else None)
        spec = METHODS[self._method(leaf, target, path, unit)]
        self._params(leaf, spec, path)
        scorer = Scorer(
            spec,
            leaf.weight,
            target,
            steps=self._steps(leaf, path),
            deduction=leaf.deduct,
            score_formula=self._score_formula(leaf, path),
            rubric=self._rubric(leaf, path),
            over_budget=leaf.over_budget or "full",
            shares=self.shares,
        )
        return CompiledLeaf(
            id=leaf.id,
            name=leaf.name,
            name_en=leaf.name_en,
            path=place.names,
            group_ids=place.ids,
            weight=leaf.weight,
            kind=leaf.kind,
            target_text=None if leaf.target is None else str(leaf.target),
            unit=unit,
            value=value,
            dimension=dimension,
            direction_inferred=(
                inferred_direction(leaf.name, dimension, target)
                if target is not None and target.implicit
                else None
            ),
            role=place.role,
            scorer=scorer,
            assumed=tuple(leaf.assumed),
            part_of=leaf.part_of,
        )

    def _declared_unit(self, name: str) -> str | None:
        d = self.d
        if name in d.inputs:
            return normalize_unit(d.inputs[name].unit)
        if name in d.derived:
            return normalize_unit(d.derived[name].unit)
        return None

    def _target(self, leaf: Leaf, path: Path_, dimension: str | None) -> Target | None:
        if leaf.target is None or leaf.kind is Kind.QUALITATIVE:
            return None  # qualitative targets are descriptions, scored by tier
        try:
            target = parse_target(leaf.target)
        except TargetSyntaxError as exc:
            self.checks.add("target.syntax", exc.message, exc.message_en, (*path, "target"))
            return None
        if target.implicit and inferred_direction(leaf.name, dimension, target) != "default":
            # A bare number on a cost or time-limit row is a ceiling (documented; kpi lint
            # points at every row whose direction was inferred).
            return replace(target, op=Op.LE)
        return target

    def _method(self, leaf: Leaf, target: Target | None, path: Path_, unit: str | None) -> Method:
        """The leaf's method, checked against its kind, its target's operator and its unit."""
        qualitative = leaf.kind is Kind.QUALITATIVE
        declared = METHODS[leaf.method] if leaf.method is not None else None
        if qualitative:
            if declared is not None and declared.qualitative:
                return declared.method
            if declared is not None:
                self.checks.add(
                    "method.kind-mismatch",
                    f"定性指标 {leaf.id} 只能按定性分档或评分要点计分",
                    f"qualitative indicator {leaf.id} can only be scored by tier or by a rubric",
                    (*path, "method"),
                )
            return Method.QUALITATIVE
        if declared is not None and declared.qualitative:
            self.checks.add(
                "method.kind-mismatch",
                f"指标 {leaf.id} 用{declared.name_zh}计分时须写 kind: qualitative",
                f"indicator {leaf.id} must have kind: qualitative to be scored by "
                f"{declared.name_en}",
                (*path, "method"),
            )
        method = leaf.method or default_method(target)
        spec = METHODS[method]
        allowed = spec.ops
        if allowed and target is not None and target.op not in allowed:
            ops = "、".join(op.value if op is not Op.RANGE else "区间" for op in allowed)
            self.checks.add(
                "method.target-mismatch",
                f"指标 {leaf.id} 的计分方法 {method.value} 需要 {ops} 形式的目标值，"
                f"而目标值为 '{target.text}'",
                f"indicator {leaf.id}: method {method.value} needs a target of the form "
                f"{', '.join(op.value for op in allowed)}, not {target.text!r}",
                (*path, "target"),
            )
        if spec.unit is not None and unit not in (None, spec.unit):
            self.checks.add(
                "target.unit-mismatch",
                f"指标 {leaf.id} 按{spec.name_zh}计分，取值单位应为 {spec.unit}（而不是 '{unit}'）",
                f"indicator {leaf.id} is scored as {spec.name_en}; its unit must be {spec.unit} "
                f"(not {unit!r})",
                path,
            )
        return method

    def _params(self, leaf: Leaf, spec: MethodSpec, path: Path_) -> None:
        """The fields the method requires are there; no other method's field is."""
        for param in PARAMS:
            given = getattr(leaf, param.field) is not None
            if param in spec.params and param.required and not given:
                self.checks.add(
                    param.missing_code,
                    param.missing_zh.format(id=leaf.id),
                    param.missing_en.format(id=leaf.id),
                    path,
                )
            elif param not in spec.params and given:
                self.checks.add(
                    param.unused_code,
                    param.unused_zh.format(id=leaf.id),
                    param.unused_en.format(id=leaf.id),
                    (*path, param.field),
                    key=True,
                )

    def _score_formula(self, leaf: Leaf, path: Path_) -> Formula | None:
        if leaf.score_formula is None:
            return None
        return self.checks.formula(
            leaf.score_formula,
            (*path, "score_formula"),
            self.score_known,
            f"指标 {leaf.id} 的计分公式",
        )

    def _rubric(self, leaf: Leaf, path: Path_) -> tuple[tuple[str, Decimal], ...]:
        """The rubric's points: named once each, adding up to the weight."""
        if leaf.rubric is None:
            return ()
        seen: set[str] = set()
        for i, item in enumerate(leaf.rubric):
            if item.item in seen:
                self.checks.add(
                    "method.rubric-duplicate",
                    f"评分要点“{item.item}”重复",
                    f"the rubric point {item.item!r} is listed twice",
                    (*path, "rubric", i, "item"),
                )
            seen.add(item.item)
        total = sum((item.points for item in leaf.rubric), Decimal(0))
        if total != leaf.weight:
            self.checks.add(
                "method.rubric-points",
                f"指标 {leaf.id} 的评分要点分值之和为 {show(total)}，不等于指标分值 "
                f"{show(leaf.weight)}",
                f"indicator {leaf.id}: its rubric points add up to {show(total)}, not its "
                f"weight {show(leaf.weight)}",
                (*path, "rubric"),
            )
        return tuple((item.item, item.points) for item in leaf.rubric)

    def _steps(self, leaf: Leaf, path: Path_) -> tuple[Step, ...]:
        if leaf.bands is None:
            return ()
        steps = []
        for i, band in enumerate(leaf.bands):
            where = (*path, "bands", i)
            if band.points > leaf.weight:
                self.checks.add(
                    "method.band-points",
                    f"分档得分 {show(band.points)} 超过指标分值 {show(leaf.weight)}",
                    f"step points {show(band.points)} exceed the weight {show(leaf.weight)}",
                    (*where, "points"),
                )
            low, high = band.min, band.max
            if (
                low is not None
                and high is not None
                and (low > high or (low == high and not band.include_max))
            ):
                self.checks.add(
                    "method.band-range",
                    f"分档下限 {show(low)} 不小于上限 {show(high)}",
                    f"step min {show(low)} is not below its max {show(high)}",
                    where,
                )
            steps.append(Step(band.min, band.max, band.points, band.include_max))
        return tuple(steps)
