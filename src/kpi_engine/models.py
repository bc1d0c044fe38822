"""The YAML formats as pydantic models: indicator sets and actuals.

Models are frozen and forbid unknown keys; a typo such as ``wieght`` is reported with a
did-you-mean by :mod:`kpi_engine.loading`. They describe *shape* only: whole-set checks (names,
cycles, weights, units) belong to :mod:`kpi_engine.compiler`.
"""

from __future__ import annotations

import ast
import inspect
import unicodedata
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kpi_engine.errors import SourceMap
from kpi_engine.limits import number_too_long

__all__ = [
    "Actuals",
    "Band",
    "Basis",
    "Cap",
    "Deduction",
    "DerivedDef",
    "FundPart",
    "GradeBand",
    "Group",
    "IndicatorActual",
    "IndicatorSet",
    "IndicatorTag",
    "InputDef",
    "InputEntry",
    "InputRole",
    "Kind",
    "Leaf",
    "Method",
    "Node",
    "NodeRole",
    "ParamDef",
    "QualitativePoints",
    "Rounding",
    "RubricItem",
    "RuleDef",
    "RulePackDef",
    "SourceMap",
    "Tier",
]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
        # Field descriptions come from the docstring under each field (_attribute_docstrings
        # below, one parse of this file rather than pydantic's source lookup per model); schemas
        # are built when a model is first used, not at import.
        defer_build=True,
    )


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise PydanticCustomError(
            "number.not-finite", "数值必须是有限数", {"en": "the number must be finite"}
        )
    if number_too_long(value):  # 1e999999999 would be written out in full: refuse it here
        raise PydanticCustomError(
            "number.too-long",
            "数字写出来位数过多（上限见 kpi_engine.limits.Limits.max_number_digits）",
            {
                "en": "the number has too many digits "
                "(see kpi_engine.limits.Limits.max_number_digits)"
            },
        )
    return value


Number = Annotated[Decimal, AfterValidator(_finite)]
NonNegative = Annotated[Decimal, AfterValidator(_finite), Field(ge=0)]
Positive = Annotated[Decimal, AfterValidator(_finite), Field(gt=0)]


def _identifier(value: str) -> str:
    if not value.isidentifier() or unicodedata.normalize("NFKC", value) != value:
        raise PydanticCustomError(
            "name.invalid",
            "名称 '{name}' 不能用于公式：须以字母、汉字或下划线开头，只含字母、数字、汉字和下划线",
            {
                "name": value,
                "en": f"name {value!r} cannot be used in formulas: start with a letter, Chinese "
                "character or underscore, and use only letters, digits and underscores",
            },
        )
    return value


Name = Annotated[str, AfterValidator(_identifier)]
"""A name usable in formulas (inputs and derived values)."""

Id = Annotated[str, Field(pattern=r"^[^\s:]+$", min_length=1, max_length=100)]
"""An indicator or set id: no spaces or colons (they would break ``file:line:col`` output)."""


class Kind(StrEnum):
    """Whether a leaf is scored from a number (定量) or from an assessed tier (定性)."""

    QUANTITATIVE = "quantitative"
    QUALITATIVE = "qualitative"


class Method(StrEnum):
    """Scoring methods; the formulas are in docs/indicator-format.md and kpi_engine.scoring."""

    PROPORTIONAL = "proportional"
    REVERSE_LINEAR = "reverse_linear"
    REVERSE_RATIO = "reverse_ratio"
    EQUAL = "equal"
    EQUAL_SYMMETRIC = "equal_symmetric"
    RANGE = "range"
    THRESHOLD = "threshold"
    BANDS = "bands"
    FORMULA = "formula"
    EXECUTION_RATE = "execution_rate"
    QUALITATIVE = "qualitative"
    DEDUCT = "deduct"
    RUBRIC = "rubric"


class Tier(StrEnum):
    """Qualitative tiers (official): 达成 / 部分达成 / 未达成."""

    ACHIEVED = "achieved"
    PARTLY = "partly"
    NOT_ACHIEVED = "not_achieved"

    @property
    def label(self) -> str:
        """The Chinese label auditors write."""
        return _TIER_LABELS[self]


_TIER_LABELS = {Tier.ACHIEVED: "达成", Tier.PARTLY: "部分达成", Tier.NOT_ACHIEVED: "未达成"}
_TIER_ALIASES = {label: tier.value for tier, label in _TIER_LABELS.items()} | {
    "完成": "achieved",
    "部分完成": "partly",
    "未完成": "not_achieved",
}


def _item_list(value: Any) -> Any:
    """``制度健全、执行到位`` as written in a table cell → the list of points it names."""
    if isinstance(value, str):
        parts = value.replace("，", ",").replace("、", ",").replace("；", ",").split(",")
        return tuple(part.strip() for part in parts if part.strip())
    return value


def _tier_alias(value: Any) -> Any:
    if isinstance(value, str):
        return _TIER_ALIASES.get(value.strip(), value.strip())
    return value


class InputRole(StrEnum):
    """Standard meanings of inputs that rule packs read (the set's own names vary)."""

    BUDGET_INITIAL = "budget_initial"
    """年初预算数"""
    BUDGET_ADJUSTED = "budget_adjusted"
    """全年预算数（调整后预算数）"""
    SPENT = "spent"
    """全年执行数"""
    CARRYOVER_START = "carryover_start"
    """年初结转和结余"""
    CARRYOVER_END = "carryover_end"
    """年末结转和结余"""
    INCOME = "income"
    """本年收入"""
    EXPENDITURE = "expenditure"
    """本年支出"""
    SAMPLE_SIZE = "sample_size"
    """满意度调查有效样本数"""
    PROCUREMENT_PLANNED = "procurement_planned"
    """政府采购预算数（采购计划金额）"""
    PROCUREMENT_ACTUAL = "procurement_actual"
    """实际政府采购金额"""


class NodeRole(StrEnum):
    """What part of the evaluation frame a group or indicator belongs to.

    Roles come from the tree: a group or a top-level row without one is read from its name (产出 →
    output, 效益/效果 → benefit, 满意 → satisfaction, 预算执行 → execution, 管理 → management; a
    first-level 数量/质量/时效/进度指标 group → output), else its parent's; a row inside a group
    has its group's unless it declares one — words in its name never re-file it.
    """

    OUTPUT = "output"
    BENEFIT = "benefit"
    SATISFACTION = "satisfaction"
    EXECUTION = "execution"
    MANAGEMENT = "management"
    OTHER = "other"


class FundPart(_Model):
    """Where an input stands in the funds block's 其中 rows: which source, which column."""

    part: Literal["appropriation", "carryover", "other"]
    """``appropriation`` 当年财政拨款, ``carryover`` 上年结转资金, ``other`` 其他资金."""
    column: Literal["budget_initial", "budget_adjusted", "spent"]
    """The column: 年初预算数, 全年预算数 or 全年执行数."""


class InputDef(_Model):
    """A raw figure supplied with the actuals (e.g. 全年预算数)."""

    role: InputRole | None = None
    """Standard meaning for rule packs, e.g. ``spent`` for 全年执行数."""
    label: str | None = None
    """Chinese label shown in reports and explanations."""
    label_en: str | None = None
    unit: str | None = None
    """Unit such as 万元, 人, %."""
    description: str | None = None
    fund: FundPart | None = None
    """For a part of the year's funds by source (the score table's 其中 rows), e.g.
    ``{part: appropriation, column: spent}`` for 当年财政拨款的全年执行数."""


class DerivedDef(_Model):
    """A value computed from inputs and other derived values."""

    formula: str
    """An expression in the formula language, e.g. ``spent / budget * 100``."""
    role: InputRole | None = None
    label: str | None = None
    label_en: str | None = None
    unit: str | None = None


class GradeBand(_Model):
    """One grade and the lowest total (on a 100-point basis) that earns it."""

    grade: str
    grade_en: str | None = None
    min: NonNegative


class Rounding(_Model):
    """四舍五入 (ROUND_HALF_UP) to ``places`` decimals, applied where ``apply`` says."""

    places: int = Field(default=2, ge=0, le=6)
    apply: Literal["display", "indicator"] = "display"
    """``display``: exact sums, rounded only when shown; ``indicator``: each indicator's score is
    rounded before it is added up, as many hand-made score tables do."""


class QualitativePoints(_Model):
    """Default share of the weight (percent) for a qualitative tier given without a score."""

    achieved: Annotated[Decimal, Field(ge=80, le=100)] = Decimal(100)
    partly: Annotated[Decimal, Field(ge=60, lt=80)] = Decimal(70)
    not_achieved: Annotated[Decimal, Field(ge=0, lt=60)] = Decimal(30)


class Band(_Model):
    """A step of a stepwise table: values in ``[min, max)`` earn ``points`` — or ``[min, max]``
    with ``include_max`` (a table's "0–10%（含）"). The first step holding the value counts."""

    min: Number | None = None
    max: Number | None = None
    include_max: bool = False
    """The step includes its upper bound (（含）)."""
    points: NonNegative


class RubricItem(_Model):
    """One point of a rubric row (评分要点), e.g. 制度健全 2 分: the points it earns when met."""

    item: str
    """The point as the table words it; the actuals name it in ``met``."""
    item_en: str | None = None
    points: NonNegative


_BASIS_ALIASES = {
    "历史标准": "historical",
    "计划标准": "planned",
    "行业标准": "industry",
    "其他": "other",
}
_TAG_ALIASES = {"共性": "common", "个性": "specific", "核心": "core"}


def _basis_alias(value: Any) -> Any:
    # ``basis: 历史标准`` as a table cell writes it is the standard with no note
    if isinstance(value, str):
        value = {"standard": value}
    if isinstance(value, dict) and isinstance(value.get("standard"), str):
        text = value["standard"].strip()
        return {**value, "standard": _BASIS_ALIASES.get(text, text)}
    return value


def _tag_list(value: Any) -> Any:
    items = _item_list(value)
    if isinstance(items, (list, tuple)):
        return tuple(_TAG_ALIASES.get(str(i).strip(), str(i).strip()) for i in items)
    return items


class IndicatorTag(StrEnum):
    """Tags of an indicator at declaration: 共性 (common), 个性 (specific), 核心 (core)."""

    COMMON = "common"
    SPECIFIC = "specific"
    CORE = "core"

    @property
    def label(self) -> str:
        """The Chinese label a declaration form prints."""
        return {"common": "共性", "specific": "个性", "core": "核心"}[self.value]


class Basis(_Model):
    """取值依据: how a target was set (历史标准 / 计划标准 / 行业标准 / 其他), with a note."""

    standard: Literal["historical", "planned", "industry", "other"]
    """``historical`` 历史标准, ``planned`` 计划标准, ``industry`` 行业标准, ``other`` 其他
    (the Chinese words are accepted too)."""
    note: str | None = None
    """What the standard is, e.g. 2023 年实际完成 480 人."""

    @property
    def label(self) -> str:
        """The Chinese label a declaration form prints."""
        return {v: k for k, v in _BASIS_ALIASES.items()}[self.standard]


class Deduction(_Model):
    """扣分制: ``minus`` points off for each ``per`` of the actual's distance from its target.

    E.g. 在职人员控制率 ≤ 100 %, −0.5 per point over: ``{per: 1, minus: 0.5}``. The score never
    goes below 0 (扣完为止).
    """

    per: Positive = Decimal(1)
    """The distance each deduction is for (default 1: one unit of the value, e.g. one point)."""
    minus: Positive
    """Points taken off per step."""
    partial: Literal["prorate", "count", "floor"] = "prorate"
    """A part of a step: ``prorate`` deducts its share; ``count`` counts it as a whole step
    (不足一个计扣单位的按一个计); ``floor`` deducts only whole steps
    (每低于 5% 扣 2 分：低 7% 扣一次)."""


class Cap(_Model):
    """A ceiling on the total when a value falls below a threshold (e.g. 执行率 < 80% → ≤ 89)."""

    value: Name
    """Input or derived value tested, e.g. ``execution_rate``."""
    below: Number
    """The cap applies when the value is below this."""
    max_total: NonNegative
    """The highest total allowed then, on a 100-point basis."""


class Leaf(_Model):
    """An indicator that is scored (三级指标 or any leaf of the tree)."""

    id: Id
    name: str
    """Chinese name as printed in the score table."""
    name_en: str | None = None
    weight: NonNegative
    """分值: the most points this indicator can earn."""
    kind: Kind = Kind.QUANTITATIVE
    target: str | Number | None = None
    """年度指标值 as auditors write it: ``≥ 500 人``, ``≤ 90 万元``, ``= 0 起``, ``[95, 100] %``."""
    value: str | None = None
    """Formula or input name giving the actual; omitted when the actuals give it directly."""
    unit: str | None = None
    method: Method | None = None
    """Scoring method; by default chosen from the target's operator."""
    bands: tuple[Band, ...] | None = None
    """Steps for ``method: bands``."""
    score_formula: str | None = None
    """For ``method: formula``: the score, using A (actual), T (target), w (weight)."""
    deduct: Deduction | None = None
    """For ``method: deduct``: points off per step of distance from the target."""
    assumed: tuple[Literal["target", "weight"], ...] = ()
    """Figures the source does not state but the set assumes (``[target]``, ``[weight]``): every
    output marks them (※) and says so under the table."""
    rubric: tuple[RubricItem, ...] | None = None
    """For ``method: rubric``: its points (评分要点), adding up to the weight."""
    over_budget: Literal["full", "excess"] | None = None
    """For ``method: execution_rate``, spending above the budget (rate over 100 %): ``full`` marks
    (the default; the over-budget flag says so) or scored as an ``excess``."""
    part_of: Id | None = None
    """A "其中" row: a part of the earlier row with this id in the same group, printed under it.
    It has no points of its own (its weight is 0 when omitted): its target and actual are shown
    and checked, and it never adds to the total."""
    dimension: str | None = None
    """Output dimension, e.g. 数量, 质量, 时效, 成本 (inferred from the group name when absent)."""
    role: NodeRole | None = None
    note: str | None = None
    basis: Annotated[Basis | None, BeforeValidator(_basis_alias)] = None
    """取值依据 of the target, for the declaration review: ``{standard: historical, note: …}``
    or just ``历史标准``."""
    tags: Annotated[tuple[IndicatorTag, ...], BeforeValidator(_tag_list)] = ()
    """共性 / 个性 / 核心 (``[core]`` or ``核心``): the declaration review wants core indicators."""
    progress: (
        Literal["elapsed", "level"]
        | dict[Annotated[int, Field(ge=1, le=12)], Annotated[Decimal, Field(ge=0, le=100)]]
        | None
    ) = None
    """In-year monitoring: how the figure to date should grow. ``elapsed``: it accrues with the
    time elapsed (序时进度; the default for a ``≥`` target not in %); ``level``: it is already the
    year's measure (a rate, a unit cost; the default otherwise); or a schedule of the share of
    the target (%) due by the end of a month, e.g. ``{6: 40, 9: 75}`` (100 % by December)."""
    quantity: Id | None = None
    """For a 成本 row whose target is a unit cost (``≤ 0.5 万元/人``): the id of the row whose
    target is the quantity; unit cost × quantity is checked against the set's
    ``funds_requested``."""

    @model_validator(mode="before")
    @classmethod
    def _part_weighs_nothing(cls, data: Any) -> Any:
        # Tables print no 分值 on a 其中 row: omitted, it is 0 (a copy; the input is untouched).
        if isinstance(data, dict) and "part_of" in data and "weight" not in data:
            return {**data, "weight": 0}
        return data


class Group(_Model):
    """A group of indicators (一级/二级指标); its children's weights must sum to its own."""

    id: Id
    name: str
    name_en: str | None = None
    weight: NonNegative
    children: Annotated[tuple[Node, ...], Field(min_length=1)]
    assumed: tuple[Literal["weight"], ...] = ()
    """``[weight]`` when the source does not state the group's weight (marked ※ in outputs)."""
    role: NodeRole | None = None
    """产出/效益/满意度/预算执行率…; inferred from the name when absent."""
    note: str | None = None


def _node_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "group" if "children" in value else "leaf"
    return "group" if isinstance(value, Group) else "leaf"


Node = Annotated[
    Annotated[Group, Tag("group")] | Annotated[Leaf, Tag("leaf")],
    Discriminator(_node_kind),
]


class IndicatorSet(_Model):
    """An indicator set (指标体系): metadata, inputs, derived values and the indicator tree."""

    kpi_engine: Literal[1]
    """Format version."""
    id: Id
    title: str
    title_en: str | None = None
    kind: Literal["project", "department"] | None = None
    """项目支出 or 部门整体支出 self-evaluation."""
    organization: str | None = None
    """实施单位 (项目支出) or 部门（单位）名称 (部门整体支出)."""
    supervisor: str | None = None
    """主管部门 of a project."""
    project: str | None = None
    """项目名称 as printed on the score table (the title stands in when absent)."""
    year: int | None = None
    scale: NonNegative | None = None
    """Full marks; by default the sum of the top-level weights (which must equal it if given)."""
    grading: Literal["national"] | Annotated[tuple[GradeBand, ...], Field(min_length=1)] = (
        "national"
    )
    """``national`` (优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差) or a list of bands on a 100-point basis."""
    rounding: Rounding = Rounding()
    as_published: bool = False
    """Load a unit's table as published, for review: weights that do not add up (to their group
    or to the printed full marks) are flags with both figures instead of errors, and the total is
    the sum of the row scores as the table adds them."""
    unscored: Literal["range", "zero"] = "range"
    """A total with rows that could not be scored (missing or bad data): ``range`` (default) gives
    the range the total can lie in and withholds the grade; ``zero`` counts those rows as 0 and
    grades the total, saying so."""
    qualitative: QualitativePoints = QualitativePoints()
    inputs: dict[Name, InputDef] = {}
    derived: dict[Name, DerivedDef] = {}
    indicators: Annotated[tuple[Node, ...], Field(min_length=1)]
    description: str | None = None
    goals: str | None = None
    """绩效目标 as stated by the unit (checked for being narrative only)."""
    goals_en: str | None = None
    """The goals in English, for English reports (the Chinese ``goals`` are checked)."""
    weights_note: str | None = None
    """Why the weights depart from the standard split, when they do."""
    funds_requested: NonNegative | None = None
    """申请预算资金 at declaration, in the money unit of the 成本 rows' unit costs (e.g. 万元):
    the declaration review checks unit cost × quantity against it."""
    caps: tuple[Cap, ...] = ()
    """Ceilings on the total, e.g. by budget execution rate; the strictest that applies wins."""
    rules: tuple[str, ...] | dict[str, dict[str, Number | str | list[str]]] | None = None
    """Rule packs to apply: names of built-in packs or paths of pack files (relative to the set),
    as a list, or as a mapping to parameter overrides. Default: ``[cn-fiscal]``; ``[]`` for none."""

    _source: SourceMap | None = PrivateAttr(default=None)

    @property
    def source(self) -> SourceMap | None:
        """Locations of the YAML this set was loaded from (None when built in Python)."""
        return self._source


class InputEntry(_Model):
    """An input value with provenance (e.g. which section of a report it comes from)."""

    value: Number | str | None
    source: str | None = None
    note: str | None = None


class IndicatorActual(_Model):
    """What was achieved for one indicator, and what the department reported about it."""

    actual: Number | str | None = None
    """实际完成值, when the indicator has no ``value`` formula."""
    tier: Annotated[Tier | None, BeforeValidator(_tier_alias)] = None
    """Qualitative tier: achieved/partly/not_achieved or 达成/部分达成/未达成."""
    score: NonNegative | None = None
    """Qualitative score given by the assessor; must lie in the tier's band."""
    met: Annotated[tuple[str, ...] | None, BeforeValidator(_item_list)] = None
    """For a rubric row: the points met, by name (a list, or text separated by 、or commas)."""
    not_applicable: bool = False
    not_in_source: bool = False
    """The figure is missing or illegible in the source table (a transcription gap): the row is
    not scored, and it is reported as the reviewer's gap, not as the unit's omission."""
    reported_score: NonNegative | None = None
    """The score the department reported for itself (kept for review)."""
    reason: str | None = None
    """偏差原因分析及改进措施."""
    source: str | None = None
    """Where the figure comes from."""
    last_year: Number | None = None
    """Last year's actual, to check the target is not set below it."""


class Actuals(_Model):
    """The actuals for one evaluation: raw inputs and per-indicator entries."""

    kpi_actuals: Literal[1] = 1
    set: str | None = None
    """Id of the indicator set these actuals are for; checked when given."""
    inputs: dict[str, Number | str | InputEntry | None] = {}
    indicators: dict[str, IndicatorActual] = {}
    reported_total: NonNegative | None = None
    goals_achieved: str | None = None
    """年度总体目标的实际完成情况, as the unit states it (the set's ``goals`` are the 预期目标)."""

    _source: SourceMap | None = PrivateAttr(default=None)

    @property
    def source(self) -> SourceMap | None:
        """Locations of the YAML these actuals were loaded from (None when built in Python)."""
        return self._source


# --- rule packs ---------------------------------------------------------------------------------

ParamValue = Number | str | list[str]

RuleId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")]
"""Dotted lower-case rule id, e.g. ``granularity.too_few_leaves``."""


class ParamDef(_Model):
    """A named threshold or word list of a rule pack, overridable per indicator set."""

    default: ParamValue
    label: str | None = None
    label_en: str | None = None


class RuleDef(_Model):
    """One problem check: where it looks, when it fires, and what it says."""

    id: RuleId
    problem: str
    """The problem heading it belongs to (存在的主要问题), e.g. 绩效指标不够精细化."""
    problem_en: str
    severity: Literal["info", "warning", "error"]
    scope: Literal["set", "group", "indicator"]
    select: dict[str, bool | Number | str | list[str]] = {}
    """For group/indicator scope: only subjects whose facts equal these values (or one of them)."""
    when: str
    """A condition in the formula language over the scope's facts and the pack's parameters."""
    message: str
    """Chinese message; ``{name}`` quotes a fact or parameter, ``{name:pct}`` as a percentage."""
    message_en: str
    suggestion: str = ""
    """改进措施: what the unit should do."""
    suggestion_en: str = ""


class RulePackDef(_Model):
    """A rule pack file (``kpi_rulepack: 1``)."""

    kpi_rulepack: Literal[1]
    id: Id
    title: str
    title_en: str | None = None
    description: str | None = None
    params: dict[Name, ParamDef] = {}
    rules: Annotated[tuple[RuleDef, ...], Field(min_length=1)]

    _source: SourceMap | None = PrivateAttr(default=None)

    @property
    def source(self) -> SourceMap | None:
        """Locations of the YAML this pack was loaded from."""
        return self._source


def _attribute_docstrings() -> None:
    """Each field's description from the docstring under it, as pydantic's
    ``use_attribute_docstrings`` reads them (an explicit ``Field(description=...)`` wins), taken
    from one parse of this file: pydantic looks the source up once per model, a fifth of the
    cost of ``import kpi_engine``. Runs before any model is built (``defer_build``), so every
    schema and JSON Schema has them."""
    try:
        tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    except OSError:  # pragma: no cover - an install without sources: descriptions are help only
        return
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        model = globals().get(node.name)
        if not (isinstance(model, type) and issubclass(model, _Model)):
            continue
        for stmt, following in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                field = model.model_fields.get(stmt.target.id)
                if field is not None and field.description is None:
                    field.description = inspect.cleandoc(following.value.value)


_attribute_docstrings()
