"""Renderers of an :class:`~kpi_engine.results.Evaluation`, one module per format.

Core formats (text, Markdown; JSON is ``Evaluation.to_json``) need nothing beyond the standard
library. Nothing here is imported by ``import kpi_engine``.
"""

from kpi_engine.reports.evaluation_markdown import render_markdown
from kpi_engine.reports.evaluation_text import render_text

__all__ = ["render_markdown", "render_text"]
