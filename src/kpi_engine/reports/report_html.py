"""The self-evaluation report as one self-contained HTML file (inline CSS and SVG, no scripts).

Needs the ``reports`` extra (Jinja2, which escapes every value); this module is the only importer of
jinja2 and markupsafe, and without them importing it raises
:class:`~kpi_engine.errors.MissingExtraError`.
"""

from __future__ import annotations

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

_ROW = 40
_LABEL = 150
_BAR = 380


def svg_chart(chart: Chart) -> str:
    """Horizontal bars: the weight in grey, the score over it in blue, with the figures."""
    top = max((w for _, w, _ in chart.bars), default=Decimal(1)) or Decimal(1)
    height = _ROW * len(chart.bars) + 40
    width = _LABEL + _BAR + 130
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(chart.title)}">'
    ]
    for i, (label, weight, score) in enumerate(chart.bars):
        y = 10 + i * _ROW
        full = float(weight / top) * _BAR
        got = float(min(score, weight) / top) * _BAR if weight else 0.0
        parts.append(
            f'<text x="{_LABEL - 8}" y="{y + 19}" text-anchor="end" font-size="14">'
            f"{escape(label)}</text>"
            f'<rect class="weight" x="{_LABEL}" y="{y + 4}" width="{full:.1f}" height="22" '
            f'fill="#d9dee5"/>'
            f'<rect class="score" x="{_LABEL}" y="{y + 4}" width="{got:.1f}" height="22" '
            f'fill="#2f6fbf"/>'
            f'<text x="{_LABEL + full + 8:.1f}" y="{y + 20}" font-size="13" fill="#1f2933">'
            f"{fixed(score, chart.places)} / {trimmed(weight)}</text>"
        )
    legend_y = height - 14
    parts.append(
        f'<rect x="{_LABEL}" y="{legend_y - 10}" width="12" height="12" fill="#2f6fbf"/>'
        f'<text x="{_LABEL + 18}" y="{legend_y}" font-size="12">{escape(chart.score_label)}</text>'
        f'<rect x="{_LABEL + 80}" y="{legend_y - 10}" width="12" height="12" fill="#d9dee5"/>'
        f'<text x="{_LABEL + 98}" y="{legend_y}" font-size="12">{escape(chart.weight_label)}</text>'
        "</svg>"
    )
    return "".join(parts)


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
                    "rows": block.rows,
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
