"""Result types: what an evaluation produces.

Immutable values produced by the engine, not validated: frozen dataclasses and named tuples, and
two classes whose texts are formatted when first read (``Explanation``, ``Flag``). Numbers are
exact Decimals; ``to_dict`` renders them as decimal strings (the JSON contract in DESIGN.md), both
rounded for display (``score``, ``total``) and exact (``score_exact``, ``total_exact``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, NamedTuple

from kpi_engine.display import exact as _num  # the JSON contract: every digit, no exponent
from kpi_engine.errors import KpiEngineError, Lang
from kpi_engine.functions import quantize_half_up
from kpi_engine.grading import Grade
from kpi_engine.targets import Target

__all__ = [
    "Details",
    "Evaluation",
    "Explanation",
    "Flag",
    "FlagTexts",
    "GroupResult",
    "IndicatorNotFoundError",
    "IndicatorResult",
    "Severity",
    "Status",
    "UsedValue",
]

Severity = Literal["info", "warning", "error"]
SEVERITY_ORDER: dict[str, int] = {"info": 0, "warning": 1, "error": 2}
SEVERITY_WORDS: dict[str, tuple[str, str]] = {
    "error": ("错误", "error"),
    "warning": ("警告", "warning"),
    "info": ("提示", "info"),
}
"""Each severity as a reader names it, in Chinese and English."""


class Status(StrEnum):
    """Whether an indicator could be scored."""

    OK = "ok"
    MISSING_INPUT = "missing_input"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"

    @property
    def label(self) -> str:
        """Chinese label for tables."""
        return _STATUS_LABELS[self][0]

    def text(self, lang: str = "zh") -> str:
        """The status as a reader names it, in Chinese or English."""
        zh, en = _STATUS_LABELS[self]
        return zh if lang == "zh" else en


_STATUS_LABELS = {
    Status.OK: ("已计分", "scored"),
    Status.MISSING_INPUT: ("缺少数据", "missing data"),
    Status.NOT_APPLICABLE: ("不适用", "not applicable"),
    Status.ERROR: ("数据错误", "data error"),
}


@dataclass(frozen=True, slots=True)
class UsedValue:
    """An input or derived value read while computing an indicator."""

    name: str
    kind: Literal["input", "derived"]
    value: Decimal | None
    label: str | None = None
    unit: str | None = None
    formula: str | None = None
    substituted: str | None = None
    problem: str | None = None
    """Why the value is absent (not supplied, not a number, could not be computed)."""
    label_en: str | None = None
    problem_en: str | None = None

    def label_in(self, lang: Lang) -> str:
        """The label a reader of ``lang`` sees: the English label, else the label, else the name."""
        return (self.label_en if lang == "en" else None) or self.label or self.name

    def problem_in(self, lang: Lang) -> str | None:
        """Why the value is absent, in ``lang``."""
        return (self.problem_en or self.problem) if lang == "en" else self.problem

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "value": _num(self.value)}
        for key in ("label", "label_en", "unit", "formula", "substituted", "problem", "problem_en"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


Details = Callable[[], tuple[tuple[UsedValue, ...], str | None]]


class Explanation:
    """Everything a reviewer needs to recompute a score by hand.

    The data read, the substituted formula and the arithmetic are worked out when first read:
    a batch of a million units is never asked to explain most of its scores, so it does not pay
    for formatting them. Reading any attribute gives the same text as computing it eagerly.
    """

    __slots__ = (
        "_calc",
        "_details",
        "_resolved",
        "method",
        "notes_en",
        "notes_zh",
        "rule_en",
        "rule_zh",
        "value_formula",
    )

    def __init__(
        self,
        method: str | None,
        used: tuple[UsedValue, ...] = (),
        value_formula: str | None = None,
        value_substituted: str | None = None,
        rule_zh: str = "",
        rule_en: str = "",
        calculation: object = "",
        notes_zh: tuple[str, ...] = (),
        notes_en: tuple[str, ...] = (),
        *,
        details: Details | None = None,
    ) -> None:
        self.method = method
        self.value_formula = value_formula
        self.rule_zh, self.rule_en = rule_zh, rule_en
        self.notes_zh, self.notes_en = notes_zh, notes_en
        self._calc = calculation
        self._details = details
        self._resolved: tuple[tuple[UsedValue, ...], str | None] | None = (
            None if details else (used, value_substituted)
        )

    def _detail(self) -> tuple[tuple[UsedValue, ...], str | None]:
        if self._resolved is None:
            assert self._details is not None
            self._resolved = self._details()
        return self._resolved

    @property
    def used(self) -> tuple[UsedValue, ...]:
        """The inputs and derived values read, dependencies first."""
        return self._detail()[0]

    @property
    def value_substituted(self) -> str | None:
        """The value formula with each name replaced by its value."""
        return self._detail()[1]

    @property
    def calculation(self) -> str:
        """The numbers substituted into the rule, e.g. ``95 < 100 → 10 × 95 ÷ 100 = 9.5``."""
        return str(self._calc)

    def rule(self, lang: str = "zh") -> str:
        """The scoring rule in words."""
        return self.rule_zh if lang == "zh" else self.rule_en

    def notes(self, lang: str = "zh") -> tuple[str, ...]:
        """Remarks (status causes, rounding, caps) in the requested language."""
        return self.notes_zh if lang == "zh" else self.notes_en

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping with both languages."""
        out: dict[str, Any] = {"method": self.method}
        if self.used:
            out["used"] = [u.to_dict() for u in self.used]
        if self.value_formula is not None:
            out["value_formula"] = self.value_formula
            out["value_substituted"] = self.value_substituted
        out |= {
            "rule_zh": self.rule_zh,
            "rule_en": self.rule_en,
            "calculation": self.calculation,
        }
        if self.notes_zh:
            out["notes_zh"] = list(self.notes_zh)
            out["notes_en"] = list(self.notes_en)
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickling (process pools) resolves the lazy parts: closures do not cross processes.
        used, substituted = self._detail()
        return (
            Explanation,
            (
                self.method,
                used,
                self.value_formula,
                substituted,
                self.rule_zh,
                self.rule_en,
                self.calculation,
                self.notes_zh,
                self.notes_en,
            ),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Explanation) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.method, self.rule_zh, self.calculation))

    def __repr__(self) -> str:
        return f"Explanation({self.to_dict()!r})"


FlagTexts = tuple[str, str, Mapping[str, str], str, str]
"""A flag's message, English message, evidence, suggestion and English suggestion."""


class Flag:
    """A problem found in the set or the evaluation (存在的主要问题). Immutable.

    Rule packs pass ``render`` instead of the texts: a batch of a million units counts its flags
    by severity but reads few messages, so they are formatted when first read. Reading any text
    gives what formatting it eagerly would have given.
    """

    __slots__ = ("_render", "_texts", "problem", "problem_en", "rule", "severity", "subject")

    rule: str
    severity: Severity
    subject: str
    problem: str
    """The problem heading (存在的主要问题) the flag belongs under, e.g. 绩效指标不够精细化."""
    problem_en: str
    _texts: FlagTexts | None
    _render: Callable[[], FlagTexts] | None

    def __init__(
        self,
        rule: str,
        severity: Severity,
        subject: str,
        message: str = "",
        message_en: str = "",
        evidence: Mapping[str, str] | None = None,
        suggestion: str = "",
        suggestion_en: str = "",
        problem: str = "",
        problem_en: str = "",
        *,
        render: Callable[[], FlagTexts] | None = None,
    ) -> None:
        texts = None if render else (message, message_en, evidence or {}, suggestion, suggestion_en)
        for name, value in (
            ("rule", rule),
            ("severity", severity),
            ("subject", subject),
            ("problem", problem),
            ("problem_en", problem_en),
            ("_texts", texts),
            ("_render", render),
        ):
            object.__setattr__(self, name, value)

    def _resolved(self) -> FlagTexts:
        if self._texts is None:
            assert self._render is not None
            object.__setattr__(self, "_texts", self._render())
            object.__setattr__(self, "_render", None)
        assert self._texts is not None
        return self._texts

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Flag is immutable: cannot set {name!r}")

    @property
    def message(self) -> str:
        """What was seen, in Chinese."""
        return self._resolved()[0]

    @property
    def message_en(self) -> str:
        """What was seen, in English."""
        return self._resolved()[1]

    @property
    def evidence(self) -> Mapping[str, str]:
        """The names the rule read and their values, for review."""
        return self._resolved()[2]

    @property
    def suggestion(self) -> str:
        """What to do (改进措施), in Chinese."""
        return self._resolved()[3]

    @property
    def suggestion_en(self) -> str:
        """What to do, in English."""
        return self._resolved()[4]

    def text(self, lang: str = "zh") -> str:
        """The message in the requested language."""
        return self.message if lang == "zh" else self.message_en

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "subject": self.subject,
            "message": self.message,
            "message_en": self.message_en,
            "evidence": dict(self.evidence),
            "suggestion": self.suggestion,
            "suggestion_en": self.suggestion_en,
            "problem": self.problem,
            "problem_en": self.problem_en,
        }

    def _fields(self) -> tuple[object, ...]:
        message, message_en, evidence, suggestion, suggestion_en = self._resolved()
        return (
            self.rule,
            self.severity,
            self.subject,
            message,
            message_en,
            dict(evidence),
            suggestion,
            suggestion_en,
            self.problem,
            self.problem_en,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Flag):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((self.rule, self.severity, self.subject, self.message))

    def __repr__(self) -> str:
        names = (
            *("rule", "severity", "subject", "message", "message_en", "evidence"),
            *("suggestion", "suggestion_en", "problem", "problem_en"),
        )
        inner = ", ".join(f"{n}={v!r}" for n, v in zip(names, self._fields(), strict=True))
        return f"Flag({inner})"

    def __reduce__(self) -> tuple[type[Flag], tuple[object, ...]]:
        return Flag, self._fields()  # formatted before leaving the process


class IndicatorResult(NamedTuple):
    """One leaf indicator's outcome (immutable).

    A named tuple rather than a frozen dataclass: a batch builds millions of these, and a frozen
    dataclass spends most of its construction time in ``object.__setattr__`` (measured ~3.5×).
    """

    id: str
    name: str
    name_en: str | None
    path: tuple[str, ...]
    """Names of the groups above it, top first (一级指标, 二级指标, …)."""
    group_ids: tuple[str, ...]
    kind: str
    method: str | None
    status: Status
    weight: Decimal
    target: Target | None
    target_text: str | None
    unit: str | None
    value: Decimal | None
    """The actual (实际完成值) as a number, when there is one."""
    actual_text: str | None
    """The actual as supplied when it was not a number (e.g. 完成), else None."""
    score: Decimal | None
    """The score that counts toward the total (rounded first when the set says so)."""
    score_exact: Decimal | None
    achievement: Decimal | None
    met: bool | None
    tier: str | None
    explanation: Explanation
    problem_code: str | None = None
    problem: str | None = None
    problem_en: str | None = None
    reported_score: Decimal | None = None
    reported_actual: Decimal | str | None = None
    reason: str | None = None
    source: str | None = None
    dimension: str | None = None
    given_score: Decimal | None = None
    """A qualitative score given by the assessor in the actuals."""
    last_year: Decimal | None = None
    assumed: tuple[str, ...] = ()
    """Figures (target, weight) the source does not state but the set assumes."""
    part_of: str | None = None
    """For a "其中" row, the id of the row it is part of (no points of its own)."""

    @property
    def applicable_weight(self) -> Decimal:
        """The weight this row contributes to the scale (0 when not applicable)."""
        return Decimal(0) if self.status is Status.NOT_APPLICABLE else self.weight

    def to_dict(self, places: int) -> dict[str, Any]:
        """JSON-ready mapping; ``score`` rounded to ``places``, ``score_exact`` unrounded."""
        rounded = None if self.score is None else quantize_half_up(self.score, places)
        out: dict[str, Any] = {
            "id": self.id,
            "path": list(self.path),
            "name": self.name,
            "name_en": self.name_en,
            "kind": self.kind,
            "method": self.method,
            "status": self.status.value,
            "weight": _num(self.weight),
            "target": self.target_text,
            "unit": self.unit,
            "actual": _num(self.value) if self.value is not None else self.actual_text,
            "achievement": _num(self.achievement),
            "met": self.met,
            "tier": self.tier,
            "score": _num(rounded),
            "score_exact": _num(self.score_exact),
            "explanation": self.explanation.to_dict(),
        }
        if self.problem_code:
            out["problem"] = {"code": self.problem_code, "zh": self.problem, "en": self.problem_en}
        for key in (
            "reported_score",
            "given_score",
            "last_year",
            "reason",
            "source",
            "dimension",
            "part_of",
        ):
            value = getattr(self, key)
            if value is not None:
                out[key] = _num(value) if isinstance(value, Decimal) else value
        if self.assumed:
            out["assumed"] = list(self.assumed)
        if self.reported_actual is not None:
            ra = self.reported_actual
            out["reported_actual"] = _num(ra) if isinstance(ra, Decimal) else ra
        return out


@dataclass(frozen=True, slots=True)
class GroupResult:
    """A group's subtotal: the sum of its scored children."""

    id: str
    name: str
    name_en: str | None
    path: tuple[str, ...]
    depth: int
    weight: Decimal
    applicable_weight: Decimal
    score: Decimal
    children: tuple[str, ...]
    assumed: tuple[str, ...] = ()
    """``("weight",)`` when the source does not state the group's weight."""

    def to_dict(self, places: int) -> dict[str, Any]:
        """JSON-ready mapping."""
        out = {
            "id": self.id,
            "name": self.name,
            "name_en": self.name_en,
            "path": list(self.path),
            "weight": _num(self.weight),
            "applicable_weight": _num(self.applicable_weight),
            "score": _num(quantize_half_up(self.score, places)),
            "score_exact": _num(self.score),
            "children": list(self.children),
        }
        if self.assumed:
            out["assumed"] = list(self.assumed)
        return out


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The evaluation of one set against one set of actuals."""

    set_id: str
    title: str
    title_en: str | None
    scale: Decimal
    places: int
    total: Decimal | None
    """Σ scores × scale ÷ Σ applicable weights, exact (None when nothing is applicable)."""
    grade: Grade | None
    coverage: Decimal
    """Share of the applicable weight that was actually scored (1 when nothing is missing)."""
    indicators: tuple[IndicatorResult, ...]
    groups: tuple[GroupResult, ...]
    """Group subtotals, children before their parents."""
    top: tuple[str, ...]
    """Ids of the top-level nodes in definition order (the tree's roots)."""
    flags: tuple[Flag, ...]
    reported_total: Decimal | None = None
    values: Mapping[str, Decimal | None] = field(default_factory=dict)
    """Every input and derived value as used (None where missing or not computable)."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """Where each input's figure comes from, as stated in the actuals (``{value, source}``)."""
    cap: str | None = None
    """Which ceiling limited the total, if one did (e.g. ``execution_rate 75 < 80 → ≤ 89``)."""
    total_uncapped: Decimal | None = None
    """The total before any cap (equal to ``total`` when none applied)."""
    provenance: Mapping[str, str] = field(default_factory=dict)
    """Engine version and SHA-256 digests of the set and the actuals: enough to reproduce it."""
    total_high: Decimal | None = None
    """When rows could not be scored: the total if each had earned its full weight (so the true
    total lies in ``[total, total_high]``); None when every applicable row was scored."""
    grade_range: tuple[Grade, Grade] | None = None
    """When the grade is withheld for an incomplete total: the grades of its lowest and highest
    possible values."""
    weights_note: str | None = None
    """Why the weights are what they are (the set's ``weights_note``), printed with the results."""
    unscored_as_zero: bool = False
    """The set counts unscored rows as 0 and grades the total anyway (``unscored: zero``)."""

    @property
    def complete(self) -> bool:
        """Whether every applicable row was scored (the total and grade are then final)."""
        return self.coverage >= 1

    @property
    def total_high_rounded(self) -> Decimal | None:
        """``total_high`` 四舍五入 to the set's places."""
        return None if self.total_high is None else quantize_half_up(self.total_high, self.places)

    @property
    def total_rounded(self) -> Decimal | None:
        """The total 四舍五入 to the set's places: the figure that is reported and graded."""
        return None if self.total is None else quantize_half_up(self.total, self.places)

    def indicator(self, indicator_id: str) -> IndicatorResult:
        """The result of one indicator by id (KeyError-free: raises LookupError subclass)."""
        for result in self.indicators:
            if result.id == indicator_id:
                return result
        raise IndicatorNotFoundError(indicator_id)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of DESIGN.md; numbers are decimal strings."""
        return {
            "set": self.set_id,
            "provenance": dict(self.provenance),
            "title": self.title,
            "title_en": self.title_en,
            "total": _num(self.total_rounded),
            "total_exact": _num(self.total),
            "max_total": _num(self.scale),
            "grade": self.grade.label if self.grade else None,
            "grade_en": self.grade.label_en if self.grade else None,
            "coverage": _num(self.coverage),
            "total_range": [_num(self.total_rounded), _num(self.total_high_rounded)]
            if self.total_high is not None
            else None,
            "grade_range": [g.label for g in self.grade_range] if self.grade_range else None,
            "grade_range_en": [g.label_en for g in self.grade_range] if self.grade_range else None,
            "unscored_as_zero": self.unscored_as_zero,
            "weights_note": self.weights_note,
            "cap": self.cap,
            "total_uncapped": _num(self.total_uncapped),
            "places": self.places,
            "reported_total": _num(self.reported_total),
            "values": {name: _num(value) for name, value in self.values.items()},
            "sources": dict(self.sources),
            "indicators": [i.to_dict(self.places) for i in self.indicators],
            "groups": [g.to_dict(self.places) for g in self.groups],
            "flags": [f.to_dict() for f in self.flags],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """``to_dict`` as JSON text (UTF-8, Chinese kept readable)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


class IndicatorNotFoundError(KpiEngineError, LookupError):
    """No indicator with that id in this evaluation."""
