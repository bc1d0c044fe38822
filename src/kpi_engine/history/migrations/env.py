"""Alembic's environment for the store: run on the connection :class:`History` hands over.

There is no alembic.ini: the store runs its migrations itself when it is opened, so a wheel
carries everything it needs.
"""

from __future__ import annotations

from alembic import context

from kpi_engine.history.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
