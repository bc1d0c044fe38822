"""The self-evaluation report as Markdown (no extra dependencies)."""

from __future__ import annotations

from kpi_engine.display import fixed, markdown_text, percent, trimmed
from kpi_engine.reports.report_document import Bullets, Chart, Document, Heading, Paragraph, Table

__all__ = ["render_report_markdown"]


def _cell(text: str) -> str:
    # Names, units, reasons and flag texts come from the set and the actuals: literal text, so
    # that "<script>" or a newline followed by "#" cannot become HTML or a heading.
    return markdown_text(text)


def _table(
    header: tuple[str, ...], rows: tuple[tuple[str, ...], ...], numeric: frozenset[int]
) -> list[str]:
    align = ["---:" if i in numeric else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def render_report_markdown(document: Document) -> str:
    """Headings as #, tables as pipe tables, the chart as a table of scores and shares."""
    lines: list[str] = []
    for block in document.blocks:
        if isinstance(block, Heading):
            lines += ["#" * block.level + " " + _cell(block.text), ""]
        elif isinstance(block, Paragraph):
            lines += [_cell(block.text), ""]
        elif isinstance(block, Bullets):
            lines += [f"- {_cell(item)}" for item in block.items] + [""]
        elif isinstance(block, Table):
            lines += _table(block.header, block.rows, block.numeric)
        elif isinstance(block, Chart):
            share = "得分率" if document.lang == "zh" else "Share"
            rows = tuple(
                (
                    label,
                    trimmed(weight),
                    fixed(score, block.places),
                    percent(score / weight, block.places) if weight else "—",
                )
                for label, weight, score in block.bars
            )
            lines += [f"**{_cell(block.title)}**", ""]
            lines += _table(
                ("", block.weight_label, block.score_label, share), rows, frozenset({1, 2, 3})
            )
    return "\n".join(lines).rstrip() + "\n"
