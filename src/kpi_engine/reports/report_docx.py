"""The self-evaluation report as a Word document (.docx), laid out as a 公文 (GB/T 9704-2012).

A4 with the standard's margins (top 37, bottom 35, left 28, right 26 mm); the title in
方正小标宋简体 二号, headings in 黑体 三号, body text in 仿宋_GB2312 三号 at a fixed 28 pt line;
page numbers (— 1 —) in the footer. Chinese text needs its font on the East-Asian slot
(``w:eastAsia``): python-docx only sets the Latin one, so every style and run here sets both. A
machine without a 公文 font shows its fallback, named in the document's font table
(:data:`FALLBACKS`, ``w:altName``): Word and WPS use it instead of a random substitute. Tables are
sized to their content and the 附表 merges its group cells down the tree. The chart of the HTML
report is drawn as a native Word bar chart (DrawingML), which Word and WPS render themselves: no
image library is needed. Needs the ``reports`` extra (python-docx); this module is the only
importer of docx, and without it importing it raises :class:`~kpi_engine.errors.MissingExtraError`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from kpi_engine.display import printable
from kpi_engine.errors import MissingExtraError
from kpi_engine.reports.chart_xml import CHART_CONTENT_TYPE, chart_xml, inline_chart_xml
from kpi_engine.reports.evaluation_text import display_width
from kpi_engine.reports.report_document import Bullets, Chart, Document, Heading, Paragraph, Table

try:
    import docx
    from docx.document import Document as WordDocument
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.coreprops import CoreProperties
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor
    from docx.styles.style import CharacterStyle, ParagraphStyle
    from docx.styles.styles import Styles
    from docx.table import Table as WordTable
    from docx.table import _Cell as WordCell
    from docx.table import _Row as WordRow
    from docx.text.font import Font as WordFont
    from docx.text.paragraph import Paragraph as WordParagraph
    from docx.text.parfmt import ParagraphFormat
    from docx.text.run import Run
except ImportError:
    raise MissingExtraError("python-docx") from None

__all__ = [
    "BODY_FONT",
    "FALLBACKS",
    "HEADING_FONT",
    "MARGINS_MM",
    "TITLE_FONT",
    "render_report_docx",
]

TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
BODY_FONT = "仿宋_GB2312"
NUMBER_FONT = "宋体"  # GB/T 9704: page numbers in 4号半角宋体
FALLBACKS = {TITLE_FONT: "宋体", HEADING_FONT: "SimHei", BODY_FONT: "仿宋"}
"""The font Word or WPS uses when the 公文 font is not installed (``w:altName``)."""
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
"""GB/T 9704-2012 page margins (天头 37 mm; the text block 156 × 225 mm)."""
_TEXT_WIDTH_MM = 210 - MARGINS_MM["left"] - MARGINS_MM["right"]
_TABLE_PT = 10.5  # 五号
_BLACK = RGBColor(0, 0, 0)


def _slots(element: object, name: str) -> None:
    """Every script slot of an ``rPr`` (ascii, hAnsi, eastAsia, cs) set to ``name``."""
    r_pr = element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), name)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)  # a theme font would win over the named one


def _style(style: CharacterStyle, name: str, size: float, *, bold: bool = False) -> None:
    font: WordFont = style.font  # unannotated upstream
    font.name = name
    font.size = Pt(size)
    font.bold = bold
    font.italic = False
    font.color.rgb = _BLACK
    _slots(style.element, name)


def _run(run: Run, name: str, size: float, *, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    _slots(run._element, name)


def _fallbacks(doc: WordDocument) -> None:
    """Name each 公文 font's fallback in the font table (``w:altName``)."""
    for part in doc.part.package.iter_parts():
        if str(part.partname) == "/word/fontTable.xml":
            entries = "".join(
                f'<w:font w:name="{escape(name)}"><w:altName w:val="{escape(alt)}"/>'
                '<w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/>'
                "</w:font>"
                for name, alt in FALLBACKS.items()
            )
            blob = part.blob.decode("utf-8").replace("</w:fonts>", entries + "</w:fonts>")
            part._blob = blob.encode("utf-8")


def _page(doc: WordDocument) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.footer_distance = Mm(24)  # the number sits 7 mm below the text block
    paragraph: WordParagraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(paragraph.add_run("— "), NUMBER_FONT, 14)
    field = paragraph._p.makeelement(qn("w:fldSimple"), {qn("w:instr"): "PAGE"})
    paragraph._p.append(field)
    number = paragraph.add_run("1")
    _run(number, NUMBER_FONT, 14)
    field.append(number._element)
    _run(paragraph.add_run(" —"), NUMBER_FONT, 14)


def _styles(doc: WordDocument) -> None:
    styles: Styles = doc.styles  # python-docx leaves some types out: name them for mypy
    normal: ParagraphStyle = styles["Normal"]
    _style(normal, BODY_FONT, 16)
    layout: ParagraphFormat = normal.paragraph_format
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = Pt(28)
    layout.space_after = layout.space_before = Pt(0)
    title: ParagraphStyle = styles["Title"]
    _style(title, TITLE_FONT, 22)
    title.element.pPr.remove_all("w:pBdr")  # the template's underline rule
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        heading: ParagraphStyle = styles[name]
        _style(heading, HEADING_FONT, 16)
        spacing: ParagraphFormat = heading.paragraph_format
        spacing.space_before, spacing.space_after = Pt(6), Pt(0)
        spacing.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        spacing.line_spacing = Pt(28)
    bullets: ParagraphStyle = styles["List Bullet"]
    _style(bullets, BODY_FONT, 16)


def _widths(
    header: Sequence[str], rows: Sequence[Sequence[str]], total: float = _TEXT_WIDTH_MM
) -> list[float]:
    """Column widths (mm) from their content: narrow columns get what they need, the widest
    share the rest of the ``total`` text width (water-filling), none narrower than two
    characters."""
    half = _TABLE_PT * 0.3528 * 0.6  # mm per half-width character at 五号 (digits run wide)
    pad = 4.0  # Word's default cell margins (1.9 mm each side)
    need = []
    for i, head in enumerate(header):
        texts = [r[i] for r in rows if i < len(r)]
        longest = max(
            (display_width(line) for text in texts for line in text.split("\n")), default=0
        )
        # a heading may wrap after four characters; the figures under it may not
        need.append(max(4, min(display_width(head), 8), longest) * half + pad)
    low, high = 0.0, max(need)
    for _ in range(40):  # bisect the cap so that the capped widths fill the text width
        cap = (low + high) / 2
        if sum(min(n, cap) for n in need) > total:
            high = cap
        else:
            low = cap
    widths = [max(min(n, low), 4 * half + pad) for n in need]
    spare = total - sum(widths)
    return [w + spare * w / sum(widths) for w in widths] if spare > 0 else widths


def _cell(cell: WordCell, text: str, *, bold: bool = False, right: bool = False) -> None:
    paragraph: WordParagraph = cell.paragraphs[0]
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if text:
        _run(paragraph.add_run(printable(text)), HEADING_FONT if bold else BODY_FONT, _TABLE_PT)


def _table(doc: WordDocument, block: Table, text_width: float = _TEXT_WIDTH_MM) -> None:
    header, rows = block.header, [tuple(r) for r in block.rows]
    table: WordTable = doc.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = _widths(header, rows, text_width)
    for i, width in enumerate(widths):
        table.columns[i].width = Mm(width)
    head: WordRow = table.rows[0]
    head._tr.get_or_add_trPr().append(head._tr.makeelement(qn("w:tblHeader"), {}))
    for r, row in enumerate([header, *rows]):
        cells = table.rows[r].cells
        for i, text in enumerate(row):
            cells[i].width = Mm(widths[i])
            is_head = r == 0 or (r - 1) in block.emphasis
            _cell(cells[i], text, bold=is_head, right=r > 0 and i in block.numeric)
    _merge(table, rows, block)


def _merge(table: WordTable, rows: list[tuple[str, ...]], block: Table) -> None:
    """The tree columns: a run of equal cells (under the same parents) is one cell."""
    body = [i for i in range(len(rows)) if i not in block.emphasis]
    for col in range(block.merge):
        start = 0
        while start < len(body):
            end = start
            key = rows[body[start]][: col + 1]
            while (
                end + 1 < len(body)
                and body[end + 1] == body[end] + 1
                and rows[body[end + 1]][: col + 1] == key
            ):
                end += 1
            if end > start and key[-1]:
                top = table.cell(body[start] + 1, col)
                for r in range(body[start] + 2, body[end] + 2):
                    table.cell(r, col).paragraphs[0].clear()
                top.merge(table.cell(body[end] + 1, col))
            start = end + 1
    for r in block.emphasis:  # the total's label across the tree columns
        if block.merge > 1:
            table.cell(r + 1, 0).merge(table.cell(r + 1, block.merge - 1))


def _chart(doc: WordDocument, chart: Chart, number: int) -> None:
    """The chart as a native Word chart part, drawn inline in its own centred paragraph."""
    name = PackURI(f"/word/charts/chart{number}.xml")
    part = Part(name, CHART_CONTENT_TYPE, chart_xml(chart, BODY_FONT), doc.part.package)
    rel_id = doc.part.relate_to(part, RELATIONSHIP_TYPE.CHART)
    paragraph: WordParagraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    drawing = parse_xml(inline_chart_xml(rel_id, _TEXT_WIDTH_MM, len(chart.bars), 1000 + number))
    paragraph.add_run()._r.append(drawing)


def _landscape(doc: WordDocument) -> float:
    """A new landscape A4 section (for the wide 附表, as 公文 attach tables); its text width."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    return 297.0 - MARGINS_MM["left"] - MARGINS_MM["right"]


def render_report_docx(document: Document) -> bytes:
    """The report as .docx bytes: title, numbered headings, body text, tables and the chart."""
    doc = docx.Document()
    _styles(doc)
    _page(doc)
    _fallbacks(doc)
    properties: CoreProperties = doc.core_properties
    properties.title = printable(document.title)
    properties.language = "zh-CN" if document.lang == "zh" else "en"
    charts = 0
    width: float = _TEXT_WIDTH_MM
    blocks = document.blocks
    for i, block in enumerate(blocks):
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        if isinstance(following, Table) and following.merge and width == _TEXT_WIDTH_MM:
            width = _landscape(doc)  # the tree table and its heading on landscape pages
        if isinstance(block, Heading):
            if block.level == 1:
                heading: WordParagraph = doc.add_heading(printable(block.text), level=0)
                heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
            else:
                doc.add_heading(printable(block.text), level=block.level - 1)
        elif isinstance(block, Paragraph):
            paragraph = doc.add_paragraph(printable(block.text))
            layout: ParagraphFormat = paragraph.paragraph_format
            layout.first_line_indent = Pt(32)  # two characters of 三号
        elif isinstance(block, Bullets):
            for item in block.items:
                doc.add_paragraph(printable(item), style="List Bullet")
        elif isinstance(block, Table):
            _table(doc, block, width)
        elif isinstance(block, Chart):
            charts += 1
            _chart(doc, block, charts)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
