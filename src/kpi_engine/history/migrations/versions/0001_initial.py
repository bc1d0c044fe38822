"""The first schema: evaluations, indicator results, flags, and the current_evaluations view.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kpi_engine.history.tables import ExactDecimal

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The evaluation that counts for a unit in a year: the last one saved (a correction saved after
# the first evaluation replaces it in every query, while the first stays on record).
CURRENT_VIEW = """
CREATE VIEW current_evaluations AS
SELECT e.* FROM evaluations e
JOIN (SELECT max(id) AS id FROM evaluations GROUP BY unit, year) latest ON latest.id = e.id
"""


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("set_id", sa.String(200), nullable=False),
        sa.Column("set_sha256", sa.String(64), nullable=False),
        sa.Column("actuals_sha256", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(100), nullable=False),
        sa.Column("rule_packs", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("total", ExactDecimal(), nullable=True),
        sa.Column("total_exact", ExactDecimal(), nullable=True),
        sa.Column("max_total", ExactDecimal(), nullable=False),
        sa.Column("grade", sa.String(20), nullable=True),
        sa.Column("coverage", ExactDecimal(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint(
            "set_sha256", "actuals_sha256", "unit", "year", name="uq_evaluations_inputs"
        ),
    )
    op.create_index("ix_evaluations_unit_year", "evaluations", ["unit", "year", "id"])
    op.create_index("ix_evaluations_year", "evaluations", ["year"])
    op.create_table(
        "indicator_results",
        sa.Column(
            "evaluation_id",
            sa.Integer(),
            sa.ForeignKey("evaluations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("indicator_id", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("weight", ExactDecimal(), nullable=False),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("unit", sa.String(40), nullable=True),
        sa.Column("value", ExactDecimal(), nullable=True),
        sa.Column("actual_text", sa.Text(), nullable=True),
        sa.Column("score", ExactDecimal(), nullable=True),
        sa.Column("score_exact", ExactDecimal(), nullable=True),
        sa.Column("problem", sa.String(100), nullable=True),
    )
    op.create_index("ix_indicator_results_name", "indicator_results", ["name"])
    op.create_table(
        "flags",
        sa.Column(
            "evaluation_id",
            sa.Integer(),
            sa.ForeignKey("evaluations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
    )
    op.create_index("ix_flags_rule", "flags", ["rule"])
    op.execute(CURRENT_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW current_evaluations")
    op.drop_table("flags")
    op.drop_table("indicator_results")
    op.drop_table("evaluations")
