"""The store's tables as typed SQLAlchemy models, and the exact decimal column type.

Three tables: ``evaluations`` (one row per saved evaluation, keyed by what it came from),
``indicator_results`` (one row per indicator result) and ``flags`` (one row per flag), so that
plain SQL answers questions such as every unit's 预算执行率 for 2021–2024. The migrations in
``migrations/versions`` create exactly these; a test holds the two together.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["Base", "EvaluationRow", "ExactDecimal", "FlagRow", "IndicatorRow"]


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal kept digit for digit: NUMERIC on PostgreSQL (arbitrary precision), text on
    SQLite, whose NUMERIC would keep a float. Never passes through float either way."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(String(64))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return format(value, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(value)


class Base(DeclarativeBase):
    """The store's declarative base."""


class EvaluationRow(Base):
    """One saved evaluation: what it came from, its headline figures and the full JSON."""

    __tablename__ = "evaluations"
    __table_args__ = (
        # Saving the same inputs twice keeps one evaluation.
        UniqueConstraint(
            "set_sha256", "actuals_sha256", "unit", "year", name="uq_evaluations_inputs"
        ),
        Index("ix_evaluations_unit_year", "unit", "year", "id"),
        Index("ix_evaluations_year", "year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    set_id: Mapped[str] = mapped_column(String(200))
    set_sha256: Mapped[str] = mapped_column(String(64))
    actuals_sha256: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    engine: Mapped[str] = mapped_column(String(100))
    rule_packs: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    total: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    """四舍五入 to the set's places: the reported figure."""
    total_exact: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    max_total: Mapped[Decimal] = mapped_column(ExactDecimal())
    grade: Mapped[str | None] = mapped_column(String(20))
    coverage: Mapped[Decimal] = mapped_column(ExactDecimal())
    places: Mapped[int] = mapped_column(Integer)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    document: Mapped[bytes] = mapped_column(LargeBinary)
    """The evaluation's JSON (``Evaluation.to_dict``, compact), zlib-compressed (fastest level):
    about a third of the text, which matters at a hundred thousand evaluations of 15 KB each."""


class IndicatorRow(Base):
    """One indicator's result in one saved evaluation."""

    __tablename__ = "indicator_results"
    __table_args__ = (Index("ix_indicator_results_name", "name"),)

    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True
    )
    indicator_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    """Names of the groups above it, top first, joined by `` / ``."""
    status: Mapped[str] = mapped_column(String(20))
    weight: Mapped[Decimal] = mapped_column(ExactDecimal())
    target: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(40))
    value: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    actual_text: Mapped[str | None] = mapped_column(Text)
    score: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    score_exact: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    problem: Mapped[str | None] = mapped_column(String(100))


class FlagRow(Base):
    """One flag raised in one saved evaluation."""

    __tablename__ = "flags"
    __table_args__ = (Index("ix_flags_rule", "rule"),)

    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(Text)
    problem: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    """The flag's evidence as JSON text (names and values the rule read)."""
