"""The self-evaluation report as a Word document (.docx), readable in Word and WPS.

Chinese text needs its font on the East-Asian slot (``w:eastAsia``); python-docx only sets the
Latin one, so every style used here sets both. Needs the ``reports`` extra (python-docx); this
module is the only importer of docx, and without it importing it raises
:class:`~kpi_engine.errors.MissingExtraError`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from kpi_engine.display import fixed, printable, trimmed
from kpi_engine.errors import MissingExtraError
from kpi_engine.reports.report_document import Bullets, Chart, Document, Heading, Paragraph, Table

try:
    import docx
    from docx.document import Document as WordDocument
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.opc.coreprops import CoreProperties
    from docx.oxml.ns import qn
    from docx.shared import Pt
    from docx.styles.style import CharacterStyle, ParagraphStyle
    from docx.styles.styles import Styles
    from docx.table import Table as WordTable
    from docx.table import _Cell as WordCell
    from docx.table import _Row as WordRow
    from docx.text.font import Font as WordFont
    from docx.text.paragraph import Paragraph as WordParagraph
    from docx.text.parfmt import ParagraphFormat
except ImportError:
    raise MissingExtraError("python-docx") from None

__all__ = ["BODY_FONT", "HEADING_FONT", "render_report_docx"]

BODY_FONT = "宋体"
HEADING_FONT = "黑体"


def _fonts(style: CharacterStyle, name: str) -> None:
    font: WordFont = style.font  # unannotated upstream
    font.name = name
    r_pr = style.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), name)


def _paragraph(cell: WordCell, text: str) -> WordParagraph:
    """Put ``text`` in the cell; its one paragraph."""
    cell.text = printable(text)
    paragraphs: list[WordParagraph] = cell.paragraphs  # unannotated upstream
    return paragraphs[0]


def _table(
    doc: WordDocument,
    header: tuple[str, ...],
    rows: Sequence[tuple[str, ...]],
    numeric: frozenset[int],
    emphasis: frozenset[int],
) -> None:
    table: WordTable = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for i, text in enumerate(header):
        for run in _paragraph(table.rows[0].cells[i], text).runs:
            run.bold = True
    for r, row in enumerate(rows):
        added: WordRow = table.add_row()  # type: ignore[no-untyped-call]  # unannotated upstream
        cells = added.cells
        for i, text in enumerate(row):
            paragraph = _paragraph(cells[i], text)
            if i in numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if r in emphasis:
                for run in paragraph.runs:
                    run.bold = True


def render_report_docx(document: Document) -> bytes:
    """The report as .docx bytes: title, numbered headings, tables and lists."""
    doc = docx.Document()
    # python-docx leaves some return types out: name them here so mypy checks the uses.
    styles: Styles = doc.styles
    normal: ParagraphStyle = styles["Normal"]
    _fonts(normal, BODY_FONT)
    normal_font: WordFont = normal.font
    normal_font.size = Pt(12)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        heading_style: ParagraphStyle = styles[name]
        _fonts(heading_style, HEADING_FONT)
    properties: CoreProperties = doc.core_properties
    properties.title = printable(document.title)
    properties.language = "zh-CN" if document.lang == "zh" else "en"
    for block in document.blocks:
        if isinstance(block, Heading):
            if block.level == 1:
                heading: WordParagraph = doc.add_heading(printable(block.text), level=0)
                heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
            else:
                doc.add_heading(printable(block.text), level=block.level - 1)
        elif isinstance(block, Paragraph):
            paragraph = doc.add_paragraph(printable(block.text))
            layout: ParagraphFormat = paragraph.paragraph_format
            layout.first_line_indent = Pt(24)
        elif isinstance(block, Bullets):
            for item in block.items:
                doc.add_paragraph(printable(item), style="List Bullet")
        elif isinstance(block, Table):
            _table(doc, block.header, list(block.rows), block.numeric, block.emphasis)
        elif isinstance(block, Chart):
            # Word has no inline SVG everywhere (WPS included): the chart's figures as a table.
            doc.add_paragraph(printable(block.title)).runs[0].bold = True
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
