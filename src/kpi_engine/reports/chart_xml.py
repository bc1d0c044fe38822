"""The report's chart (group scores against their weights) as a DrawingML chart part.

Office documents draw charts from this XML themselves (Word, WPS and LibreOffice alike), so the
Word report shows the same bars as the HTML report's SVG without rendering an image: no image
library, no font files. The figures are literal values in the chart (no embedded workbook), so
the chart shows them but offers no data to edit. Plain text building: no library is imported.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from kpi_engine.display import fixed, trimmed
from kpi_engine.reports.report_document import Chart

__all__ = ["CHART_CONTENT_TYPE", "chart_xml", "inline_chart_xml"]

CHART_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_EMU_PER_MM = 36000


def _text_props(size: int, font: str) -> str:
    face = escape(font, {'"': "&quot;"})
    return (
        f'<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="{size}" b="0">'
        f'<a:latin typeface="{face}"/><a:ea typeface="{face}"/></a:defRPr></a:pPr>'
        '<a:endParaRPr lang="zh-CN"/></a:p></c:txPr>'
    )


def _series(
    index: int, name: str, color: str, values: list[str], labels: list[str], places: int
) -> str:
    categories = "".join(
        f'<c:pt idx="{i}"><c:v>{escape(label)}</c:v></c:pt>' for i, label in enumerate(labels)
    )
    points = "".join(f'<c:pt idx="{i}"><c:v>{v}</c:v></c:pt>' for i, v in enumerate(values))
    count = f'<c:ptCount val="{len(labels)}"/>'
    return (
        f'<c:ser><c:idx val="{index}"/><c:order val="{index}"/>'
        f"<c:tx><c:v>{escape(name)}</c:v></c:tx>"
        f'<c:spPr><a:solidFill><a:srgbClr val="{color}"/></a:solidFill></c:spPr>'
        '<c:invertIfNegative val="0"/>'
        f'<c:dLbls><c:numFmt formatCode="{_format(places)}" sourceLinked="0"/>'
        '<c:showLegendKey val="0"/><c:showVal val="1"/><c:showCatName val="0"/>'
        '<c:showSerName val="0"/><c:showPercent val="0"/><c:showBubbleSize val="0"/></c:dLbls>'
        f"<c:cat><c:strLit>{count}{categories}</c:strLit></c:cat>"
        f"<c:val><c:numLit><c:formatCode>General</c:formatCode>{count}{points}</c:numLit></c:val>"
        "</c:ser>"
    )


def _format(places: int) -> str:
    """Scores to the set's places (0.00); weights as written (General)."""
    if places < 0:
        return "General"
    return "0." + "0" * places if places else "0"


def chart_xml(chart: Chart, font: str) -> bytes:
    """The chart part: horizontal bars, the score beside the weight for each group."""
    labels = [label for label, _, _ in chart.bars]
    scores = [fixed(score, chart.places) for _, _, score in chart.bars]
    weights = [trimmed(weight) for _, weight, _ in chart.bars]
    title = escape(chart.title)
    face = escape(font, {'"': "&quot;"})
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<c:chartSpace xmlns:c="{_C}" xmlns:a="{_A}" xmlns:r="{_R}">'
        '<c:roundedCorners val="0"/><c:chart>'
        "<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr>"
        f'<a:defRPr sz="1200" b="0"><a:latin typeface="{face}"/><a:ea typeface="{face}"/>'
        f'</a:defRPr></a:pPr><a:r><a:rPr lang="zh-CN" sz="1200" b="0"/><a:t>{title}</a:t>'
        '</a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title>'
        '<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/><c:barChart>'
        '<c:barDir val="bar"/><c:grouping val="clustered"/><c:varyColors val="0"/>'
        + _series(0, chart.score_label, "2F5597", scores, labels, chart.places)
        + _series(1, chart.weight_label, "BFBFBF", weights, labels, -1)
        + '<c:gapWidth val="60"/><c:axId val="1"/><c:axId val="2"/></c:barChart>'
        '<c:catAx><c:axId val="1"/><c:scaling><c:orientation val="maxMin"/></c:scaling>'
        '<c:delete val="0"/><c:axPos val="l"/><c:numFmt formatCode="General" sourceLinked="0"/>'
        '<c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        '<c:crossAx val="2"/><c:crosses val="autoZero"/><c:auto val="1"/>'
        '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        '<c:valAx><c:axId val="2"/><c:scaling><c:orientation val="minMax"/><c:min val="0"/>'
        '</c:scaling><c:delete val="0"/><c:axPos val="t"/><c:majorGridlines/>'
        '<c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="out"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="1"/>'
        '<c:crosses val="max"/><c:crossBetween val="between"/></c:valAx></c:plotArea>'
        '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
        + _text_props(1000, font)
        + "</c:chartSpace>"
    )
    return xml.encode("utf-8")


def inline_chart_xml(rel_id: str, width_mm: float, bars: int, shape_id: int) -> str:
    """The ``w:drawing`` placing the chart part ``rel_id`` in the text, as wide as the text."""
    cx = int(width_mm * _EMU_PER_MM)
    cy = int((30 + 12 * bars) * _EMU_PER_MM)  # room for the title, the legend and each pair
    return (
        f'<w:drawing xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        f'xmlns:wp="{_WP}" xmlns:a="{_A}" xmlns:c="{_C}" xmlns:r="{_R}">'
        f'<wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{cx}" cy="{cy}"/>'
        '<wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{shape_id}" name="Chart {shape_id}"/><wp:cNvGraphicFramePr/>'
        f'<a:graphic><a:graphicData uri="{_C}"><c:chart r:id="{rel_id}"/></a:graphicData>'
        "</a:graphic></wp:inline></w:drawing>"
    )
