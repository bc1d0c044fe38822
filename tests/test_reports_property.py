"""Every report renders for any well-formed set and any mix of data: no crash, the same total."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import HealthCheck, given, settings

from kpi_engine import evaluate, parse_indicator_set
from kpi_engine.display import fixed
from kpi_engine.reports import render_markdown, render_text
from kpi_engine.reports.document import build_report
from kpi_engine.reports.report_docx import render_report_docx
from kpi_engine.reports.report_html import render_report_html
from kpi_engine.reports.report_md import render_report_markdown
from kpi_engine.reports.score_table import render_score_table

from .strategies import trees


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_every_format_renders_any_tree_and_states_the_same_total(
    generated: tuple[str, dict[str, Any]],
) -> None:
    """Text, Markdown, the report (md, html, docx) and the score table, in both languages."""
    import openpyxl

    text, actuals = generated
    s = parse_indicator_set(text, "gen.yaml")
    e = evaluate(s, actuals)
    total = fixed(e.total, e.places)
    for lang in ("zh", "en"):
        assert total in render_text(e, lang)
        assert total in render_markdown(e, lang)
        document = build_report(s, e, lang=lang)
        assert total in render_report_markdown(document)
        assert total in render_report_html(document)
        assert render_report_docx(document)[:2] == b"PK"
    ws = openpyxl.load_workbook(io.BytesIO(render_score_table(s, e))).active
    assert ws is not None
    assert ws["A1"].value == s.title
