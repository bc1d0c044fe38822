"""What the store writes and what its queries return, as plain Python values.

No SQLAlchemy here: :func:`stored_form` runs inside batch worker processes, so each unit is turned
into rows where it was evaluated and only plain tuples cross back. Every figure is a ``Decimal``
read from the evaluation's decimal strings, never a float.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from kpi_engine.errors import KpiEngineError, Lang
from kpi_engine.results import Flag

__all__ = [
    "ROLLUP_INPUTS",
    "FollowUp",
    "HistoryError",
    "LeagueRow",
    "Rollup",
    "StoredEvaluation",
    "StoredFlag",
    "StoredForm",
    "TrendPoint",
    "stored_form",
]


class HistoryError(KpiEngineError):
    """The store cannot do what was asked (no unit or year known, no such evaluation, a file
    that is not an export); the message is in Chinese and English."""

    def __init__(self, code: str, message: str, message_en: str) -> None:
        self.code, self.message, self.message_en = code, message, message_en
        super().__init__(f"{code}: {message} / {message_en}")

    def text(self, lang: Lang = "zh") -> str:
        """``code: message`` in the requested language."""
        return f"{self.code}: {self.message if lang == 'zh' else self.message_en}"


def _dec(text: object) -> Decimal | None:
    return None if text is None else Decimal(str(text))


@dataclass(frozen=True, slots=True)
class StoredForm:
    """One evaluation as rows: the ``evaluations`` row, its indicator rows and its flag rows
    (columns as in :mod:`kpi_engine.history.tables`, less the evaluation id)."""

    evaluation: dict[str, Any]
    indicators: tuple[dict[str, Any], ...]
    flags: tuple[dict[str, Any], ...]

    @property
    def key(self) -> tuple[str, str, str, int]:
        """What makes two saves the same: the set and actuals digests, the unit and the year."""
        e = self.evaluation
        return (e["set_sha256"], e["actuals_sha256"], e["unit"], e["year"])


def stored_form(
    document: Mapping[str, Any], unit: str, year: int, saved_at: datetime
) -> StoredForm:
    """The rows that keep ``document`` (``Evaluation.to_dict()``, or a line of an export) for
    ``unit`` in ``year``."""
    provenance = document.get("provenance") or {}
    if not provenance.get("set_sha256") or not provenance.get("actuals_sha256"):
        raise HistoryError(
            "history.no-provenance",
            "评价结果缺少指标体系与实际值的摘要（provenance），无法入库",
            "the evaluation has no set and actuals digests (provenance); it cannot be stored",
        )
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    evaluation = {
        "set_id": document["set"],
        "set_sha256": provenance["set_sha256"],
        "actuals_sha256": provenance["actuals_sha256"],
        "unit": unit,
        "year": year,
        "engine": provenance.get("engine", ""),
        "rule_packs": provenance.get("rule_packs", ""),
        "title": document.get("title") or "",
        "total": _dec(document.get("total")),
        "total_exact": _dec(document.get("total_exact")),
        "max_total": _dec(document.get("max_total")),
        "grade": document.get("grade"),
        "coverage": _dec(document.get("coverage")),
        "places": int(document.get("places", 2)),
        "saved_at": saved_at,
        "document": zlib.compress(text.encode("utf-8"), 1),
    }
    indicators = tuple(
        {
            "indicator_id": r["id"],
            "position": i,
            "name": r["name"],
            "path": " / ".join(r.get("path") or ()),
            "status": r["status"],
            "weight": _dec(r["weight"]),
            "target": r.get("target"),
            "unit": r.get("unit"),
            "value": _number(r.get("actual")),
            "actual_text": None if _number(r.get("actual")) is not None else r.get("actual"),
            "score": _dec(r.get("score")),
            "score_exact": _dec(r.get("score_exact")),
            "problem": (r.get("problem") or {}).get("code"),
        }
        for i, r in enumerate(document.get("indicators") or ())
    )
    flags = tuple(
        {
            "position": i,
            "rule": f["rule"],
            "severity": f["severity"],
            "subject": f.get("subject") or "",
            "problem": f.get("problem") or "",
            "message": f.get("message") or "",
            "message_en": f.get("message_en") or "",
            "evidence": json.dumps(f.get("evidence") or {}, ensure_ascii=False, sort_keys=True),
        }
        for i, f in enumerate(document.get("flags") or ())
    )
    return StoredForm(evaluation, indicators, flags)


def _number(value: object) -> Decimal | None:
    """The actual as a number when it is one (an actual such as 完成 stays text)."""
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def document_of(blob: bytes) -> dict[str, Any]:
    """The evaluation's JSON as saved."""
    data: dict[str, Any] = json.loads(zlib.decompress(blob).decode("utf-8"))
    return data


# --- what queries return --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredEvaluation:
    """A saved evaluation's headline: where it came from, its total, grade and coverage."""

    id: int
    unit: str
    year: int
    set_id: str
    title: str
    total: Decimal | None
    """The total 四舍五入 to the set's places (None when nothing could be scored)."""
    max_total: Decimal
    grade: str | None
    """优/良/中/差, or None when withheld for an incomplete total."""
    coverage: Decimal
    engine: str
    set_sha256: str
    actuals_sha256: str
    saved_at: datetime
    places: int = 2

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping; numbers as decimal strings."""
        return {
            "id": self.id,
            "unit": self.unit,
            "year": self.year,
            "set": self.set_id,
            "title": self.title,
            "total": _text(self.total),
            "max_total": _text(self.max_total),
            "grade": self.grade,
            "coverage": _text(self.coverage),
            "engine": self.engine,
            "set_sha256": self.set_sha256,
            "actuals_sha256": self.actuals_sha256,
            "saved_at": self.saved_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One unit's figure for one indicator in one year."""

    unit: str
    year: int
    indicator_id: str
    name: str
    status: str
    value: Decimal | None
    """The actual (实际完成值) as a number, when it is one."""
    measure: str | None
    """The actual's unit of measure (%, 万元, 人)."""
    score: Decimal | None
    weight: Decimal
    places: int = 2
    """The set's decimal places, for showing the figures."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping; numbers as decimal strings."""
        return {
            "unit": self.unit,
            "year": self.year,
            "indicator": self.indicator_id,
            "name": self.name,
            "status": self.status,
            "value": _text(self.value),
            "measure": self.measure,
            "score": _text(self.score),
            "weight": _text(self.weight),
        }


@dataclass(frozen=True, slots=True)
class LeagueRow:
    """A unit's place among the units evaluated in one year (equal totals share a rank)."""

    rank: int | None
    """None for a unit without a total."""
    unit: str
    total: Decimal | None
    grade: str | None
    coverage: Decimal
    evaluation_id: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping; numbers as decimal strings."""
        return {
            "rank": self.rank,
            "unit": self.unit,
            "total": _text(self.total),
            "grade": self.grade,
            "coverage": _text(self.coverage),
            "evaluation": self.evaluation_id,
        }


@dataclass(frozen=True, slots=True)
class StoredFlag:
    """A flag as saved with an evaluation."""

    rule: str
    severity: str
    subject: str
    problem: str
    message: str
    message_en: str
    evidence: Mapping[str, str]

    @classmethod
    def of(cls, flag: Flag) -> StoredFlag:
        """A flag of an evaluation at hand, as it would be saved."""
        return cls(
            flag.rule,
            flag.severity,
            flag.subject,
            flag.problem,
            flag.message,
            flag.message_en,
            dict(flag.evidence),
        )

    def text(self, lang: Lang = "zh") -> str:
        """The message in the requested language."""
        return self.message if lang == "zh" else self.message_en

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "subject": self.subject,
            "problem": self.problem,
            "message": self.message,
            "message_en": self.message_en,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class FollowUp:
    """Last year's problems against this year's (问题整改): each problem raised again, as a
    ``followup.unresolved`` flag with both years' evidence, and those not raised again."""

    unit: str
    year: int
    previous_year: int | None
    """The year compared with (None when the unit has no evaluation the year before)."""
    unresolved: tuple[Flag, ...]
    """``followup.unresolved`` flags, one per problem raised in both years."""
    resolved: tuple[StoredFlag, ...]
    """Last year's flags not raised again this year."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "unit": self.unit,
            "year": self.year,
            "previous_year": self.previous_year,
            "unresolved": [f.to_dict() for f in self.unresolved],
            "resolved": [f.to_dict() for f in self.resolved],
        }


ROLLUP_INPUTS = {
    "project_count": ("项目数", "number of projects"),
    "project_average_score": ("项目平均得分", "average project score"),
    "project_excellent_share": ("评为优的项目占比（%）", "share of projects graded 优 (%)"),
    "project_execution_rate": ("项目合计预算执行率（%）", "combined budget execution rate (%)"),
}
"""Inputs a 部门整体 set may declare to take figures rolled up from its projects' evaluations."""


@dataclass(frozen=True, slots=True)
class Rollup:
    """A department's projects of one year, rolled up from their stored evaluations: what a
    部门整体 set can take as inputs (:data:`ROLLUP_INPUTS`). Exact Decimals, not rounded."""

    year: int
    units: tuple[str, ...]
    """The projects (units) rolled up."""
    average_score: Decimal | None
    """The mean of the projects' totals (None when none has one)."""
    excellent_share: Decimal | None
    """Projects graded 优, as a percentage of the projects."""
    budget: Decimal | None
    spent: Decimal | None
    execution_rate: Decimal | None
    """Σ spent ÷ Σ budget × 100 over the projects that state both (None when none does)."""

    @property
    def inputs(self) -> dict[str, Decimal | None]:
        """The figures under the input names of :data:`ROLLUP_INPUTS`."""
        return {
            "project_count": Decimal(len(self.units)),
            "project_average_score": self.average_score,
            "project_excellent_share": self.excellent_share,
            "project_execution_rate": self.execution_rate,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping; numbers as decimal strings."""
        return {
            "year": self.year,
            "units": list(self.units),
            **{name: _text(value) for name, value in self.inputs.items()},
            "budget": _text(self.budget),
            "spent": _text(self.spent),
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")
