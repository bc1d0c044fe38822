"""The self-evaluation report as one self-contained HTML file (inline CSS and SVG, no scripts).

Needs the ``reports`` extra (Jinja2, which escapes every value); this module is the only importer of
jinja2 and markupsafe, and without them importing it raises
:class:`~kpi_engine.errors.MissingExtraError`.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape

from kpi_engine.display import fixed, trimmed
from kpi_engine.errors import MissingExtraError
from kpi_engine.reports.report_document import Bullets, Chart, Document, Heading, Paragraph, Table

try:
    from jinja2 import Environment
    from markupsafe import Markup
except ImportError:
    raise MissingExtraError("Jinja2") from None

__all__ = ["render_report_html", "svg_chart"]

_BAR = 380
_LABEL_MAX = 300
"""The widest a label may be (px) before it wraps onto more lines."""
_GAP = 8
_QUOTE = {'"': "&quot;"}

# A figure with its sign and unit (≥ 2.1377 万家, 98.50%, 3000 万人次): kept on one line, since
# a browser may break Chinese text between any two characters and would put 家 under 2.1377 万.
_FIGURE = re.compile(r"(?:[<>≤≥=±+\-−]\s?)?\d[\d,.]*(?:\s?[%‰]|\s?[^\W\d_]{1,3}(?![^\W\d_]))?")
_SHORT = 8
"""A cell at most this many characters wide (a grade, 达成, a short name) never wraps."""


def text_width(text: str, size: float) -> float:
    """An upper estimate of ``text``'s width in px at ``size`` px, in the chart's sans-serif.

    The page has no script, so the SVG cannot measure its text: the label column and the figures
    are sized from these per-character widths, generous for the fonts the page asks for (SimHei,
    Noto Sans CJK), so that a label never runs into its bar or off the picture (the browser test
    measures the real boxes).
    """
    total = 0.0
    for char in text:
        if unicodedata.east_asian_width(char) in "WFA":  # CJK fonts draw “ ” ≥ full width
            total += 1.0
        elif char in "mwMW@%":
            total += 0.92
        elif char.isupper() or char.isdigit():
            total += 0.7
        elif char in "iljtf.,:;'|!()[] ":
            total += 0.36
        else:
            total += 0.6
    return total * size


def _lines(label: str, size: float) -> list[str]:
    """The label broken before it grows wider than the label column: at spaces where it has them
    (English), else between characters (Chinese, where any break between characters is fine)."""
    if text_width(label, size) <= _LABEL_MAX:
        return [label]
    words = label.split(" ") if " " in label else list(label)
    joiner = " " if " " in label else ""
    lines: list[str] = []
    for word in words:
        if lines and text_width(lines[-1] + joiner + word, size) <= _LABEL_MAX:
            lines[-1] += joiner + word
        else:
            lines.append(word)
    return lines


def svg_chart(chart: Chart) -> str:
    """Horizontal bars: the weight in grey, the score over it in blue, with the figures.

    The label column is as wide as the widest label (up to a limit, past which labels wrap), and
    the picture as wide as the widest figure after its bar, so no text is clipped in either
    language.
    """
    label_size, figure_size, legend_size = 14, 13, 12
    top = max((w for _, w, _ in chart.bars), default=Decimal(1)) or Decimal(1)
    wrapped = [_lines(label, label_size) for label, _, _ in chart.bars]
    label_col = max(
        (text_width(line, label_size) for lines in wrapped for line in lines), default=0.0
    )
    left = round(label_col) + 2 * _GAP
    figures = [
        f"{fixed(score, chart.places)} / {trimmed(weight)}" for _, weight, score in chart.bars
    ]
    parts: list[str] = []
    y = 10
    right = left + _BAR
    for lines, text, (_, weight, score) in zip(wrapped, figures, chart.bars, strict=True):
        row = max(40, 18 * len(lines) + 22)
        middle = y + row / 2 - 5
        full = float(weight / top) * _BAR
        got = float(min(score, weight) / top) * _BAR if weight else 0.0
        first = middle + 5 - 9 * (len(lines) - 1)
        spans = "".join(
            f'<tspan x="{left - _GAP}" y="{first + 18 * i:.1f}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        parts.append(
            f'<text class="label" text-anchor="end" font-size="{label_size}">{spans}</text>'
            f'<rect class="weight" x="{left}" y="{middle - 11:.1f}" width="{full:.1f}" '
            f'height="22" fill="#d9dee5"/>'
            f'<rect class="score" x="{left}" y="{middle - 11:.1f}" width="{got:.1f}" '
            f'height="22" fill="#2f6fbf"/>'
            f'<text class="figure" x="{left + full + _GAP:.1f}" y="{middle + 5:.1f}" '
            f'font-size="{figure_size}" fill="#1f2933">{escape(text)}</text>'
        )
        right = max(right, round(left + full + _GAP + text_width(text, figure_size)))
        y += row
    legend_y = y + 22
    score_at = left + 18
    weight_box = round(score_at + text_width(chart.score_label, legend_size) + 2 * _GAP)
    parts.append(
        f'<rect x="{left}" y="{legend_y - 10}" width="12" height="12" fill="#2f6fbf"/>'
        f'<text class="legend" x="{score_at}" y="{legend_y}" font-size="{legend_size}">'
        f"{escape(chart.score_label)}</text>"
        f'<rect x="{weight_box}" y="{legend_y - 10}" width="12" height="12" fill="#d9dee5"/>'
        f'<text class="legend" x="{weight_box + 18}" y="{legend_y}" font-size="{legend_size}">'
        f"{escape(chart.weight_label)}</text>"
    )
    right = max(right, round(weight_box + 18 + text_width(chart.weight_label, legend_size)))
    width, height = right + _GAP, legend_y + 14
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(chart.title, _QUOTE)}">'
        + "".join(parts)
        + "</svg>"
    )


def _cell(text: str) -> Markup:
    """A table cell's text, escaped, that wraps only where a reader would break it: never inside
    a figure with its unit, nor inside a short cell; English words are never split (the CSS)."""
    if not text:
        return Markup()
    if text_width(text, 1) <= _SHORT:
        return Markup('<span class="nb">{}</span>').format(text)
    out = Markup()
    last = 0
    for match in _FIGURE.finditer(text):
        out += text[last : match.start()]
        out += Markup('<span class="nb">{}</span>').format(match.group())
        last = match.end()
    return out + text[last:]


def _view(document: Document) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for i, block in enumerate(document.blocks):
        if isinstance(block, Heading):
            blocks.append({"kind": "heading", "level": block.level, "text": block.text})
        elif isinstance(block, Paragraph):
            kind = "subtitle" if i == 1 else "paragraph"
            blocks.append({"kind": kind, "text": block.text})
        elif isinstance(block, Bullets):
            blocks.append({"kind": "bullets", "entries": block.items})
        elif isinstance(block, Table):
            blocks.append(
                {
                    "kind": "table",
                    "header": block.header,
                    "rows": [[_cell(cell) for cell in row] for row in block.rows],
                    "numeric": block.numeric,
                    "emphasis": block.emphasis,
                }
            )
        elif isinstance(block, Chart):
            # Built from escaped pieces above, so safe to insert as markup.
            blocks.append({"kind": "chart", "title": block.title, "svg": Markup(svg_chart(block))})
    return blocks


def render_report_html(document: Document) -> str:
    """The report as a complete HTML page."""
    from kpi_engine import __version__  # noqa: PLC0415 - avoid an import cycle at load time

    source = (resources.files("kpi_engine") / "reports" / "templates" / "report.html.j2").read_text(
        encoding="utf-8"
    )
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(source)
    view = {"lang": document.lang, "title": document.title, "blocks": _view(document)}
    return str(template.render(document=view, version=__version__))
