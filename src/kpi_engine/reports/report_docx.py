"""The self-evaluation report as a Word document (.docx), readable in Word and WPS.

Chinese text needs its font on the East-Asian slot (``w:eastAsia``); python-docx only sets the
Latin one, so every style used here sets both. Needs the ``reports`` extra (python-docx).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from kpi_engine.display import fixed, trimmed
from kpi_engine.reports.document import Bullets, Chart, Document, Heading, Paragraph, Table
from kpi_engine.reports.extras import require

__all__ = ["BODY_FONT", "HEADING_FONT", "render_report_docx"]

BODY_FONT = "宋体"
HEADING_FONT = "黑体"


def _fonts(style_or_run: Any, name: str) -> None:
    from docx.oxml.ns import qn  # noqa: PLC0415 - optional dependency

    style_or_run.font.name = name
    r_pr = style_or_run.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), name)


def _table(
    doc: Any,
    header: tuple[str, ...],
    rows: Sequence[tuple[str, ...]],
    numeric: frozenset[int],
    emphasis: frozenset[int],
) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH  # noqa: PLC0415

    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for i, text in enumerate(header):
        cell = table.rows[0].cells[i]
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for r, row in enumerate(rows):
        cells = table.add_row().cells
        for i, text in enumerate(row):
            cells[i].text = text
            paragraph = cells[i].paragraphs[0]
            if i in numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if r in emphasis:
                for run in paragraph.runs:
                    run.bold = True


def render_report_docx(document: Document) -> bytes:
    """The report as .docx bytes: title, numbered headings, tables and lists."""
    docx = require("docx")
    from docx.enum.text import WD_ALIGN_PARAGRAPH  # noqa: PLC0415
    from docx.shared import Pt  # noqa: PLC0415

    doc = docx.Document()
    styles = doc.styles
    _fonts(styles["Normal"], BODY_FONT)
    styles["Normal"].font.size = Pt(12)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        _fonts(styles[name], HEADING_FONT)
    doc.core_properties.title = document.title
    doc.core_properties.language = "zh-CN" if document.lang == "zh" else "en"
    for block in document.blocks:
        if isinstance(block, Heading):
            if block.level == 1:
                heading = doc.add_heading(block.text, level=0)
                heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
            else:
                doc.add_heading(block.text, level=block.level - 1)
        elif isinstance(block, Paragraph):
            paragraph = doc.add_paragraph(block.text)
            paragraph.paragraph_format.first_line_indent = Pt(24)
        elif isinstance(block, Bullets):
            for item in block.items:
                doc.add_paragraph(item, style="List Bullet")
        elif isinstance(block, Table):
            _table(doc, block.header, list(block.rows), block.numeric, block.emphasis)
        elif isinstance(block, Chart):
            # Word has no inline SVG everywhere (WPS included): the chart's figures as a table.
            doc.add_paragraph(block.title).runs[0].bold = True
            rows = [
                (label, trimmed(weight), fixed(score, block.places))
                for label, weight, score in block.bars
            ]
            _table(
                doc,
                ("", block.weight_label, block.score_label),
                rows,
                frozenset({1, 2}),
                frozenset(),
            )
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
