"""Renderers of an :class:`~kpi_engine.results.Evaluation`: the public API for every format.

An evaluation (what ``kpi evaluate`` prints)::

    render_text(evaluation)            the score table, the total and the flags as plain text
    render_markdown(evaluation)        the same, with how each score was reached, as Markdown
    render_flags(flags, lang)          the flags alone, as lines of text (``kpi lint``)

The self-evaluation report (``kpi report``), built once as a format-neutral document and then
rendered in the format wanted::

    build_report(indicator_set, evaluation)  -> Document
    render_report_markdown(document)   Markdown text
    render_report_html(document)       one self-contained HTML page (needs Jinja2)
    render_report_docx(document)       a Word document as bytes (needs python-docx)

The score table 绩效自评表 (``kpi table``)::

    render_score_table(indicator_set, evaluation, actuals=actuals)  .xlsx bytes (needs openpyxl)

Text and Markdown need nothing beyond the standard library; JSON is ``Evaluation.to_json``. HTML,
Word and Excel need the ``reports`` extra (``python -m pip install 'kpi_engine[reports]'``); each
of those libraries is imported only when its renderer is called, and a missing one raises
:class:`~kpi_engine.errors.MissingExtraError` saying what to install. Nothing here is imported by
``import kpi_engine``, and ``import kpi_engine.reports`` loads none of the optional libraries.
"""

from __future__ import annotations

import typing

from kpi_engine.errors import MissingExtraError
from kpi_engine.reports.evaluation_markdown import render_markdown
from kpi_engine.reports.evaluation_text import render_flags, render_text
from kpi_engine.reports.report_document import Document, build_report
from kpi_engine.reports.report_markdown import render_report_markdown

if typing.TYPE_CHECKING:
    from kpi_engine.errors import Lang
    from kpi_engine.models import Actuals, IndicatorSet
    from kpi_engine.results import Evaluation

__all__ = [
    "Document",
    "MissingExtraError",
    "build_report",
    "render_flags",
    "render_markdown",
    "render_report_docx",
    "render_report_html",
    "render_report_markdown",
    "render_score_table",
    "render_text",
]


def render_report_html(document: Document) -> str:
    """The self-evaluation report as one self-contained HTML page (inline CSS and SVG, no scripts).

    Needs Jinja2 (the ``reports`` extra), imported on the first call; every value is escaped.
    """
    from kpi_engine.reports.report_html import render_report_html as render  # noqa: PLC0415

    return render(document)


def render_report_docx(document: Document) -> bytes:
    """The self-evaluation report as a Word document (.docx bytes), readable in Word and WPS.

    Needs python-docx (the ``reports`` extra), imported on the first call.
    """
    from kpi_engine.reports.report_docx import render_report_docx as render  # noqa: PLC0415

    return render(document)


def render_score_table(
    indicator_set: IndicatorSet,
    evaluation: Evaluation,
    lang: Lang = "zh",
    actuals: Actuals | None = None,
) -> bytes:
    """The score table 绩效自评表 as .xlsx bytes, laid out as the national form (A4 landscape).

    With ``actuals``, ``kpi import`` reads the table back into the very set and actuals. Needs
    openpyxl (the ``reports`` extra), imported on the first call.
    """
    from kpi_engine.reports.score_table_xlsx import render_score_table as render  # noqa: PLC0415

    return render(indicator_set, evaluation, lang, actuals)
