"""Plain-text rendering: the indicator tree as an aligned table, then the total and the flags."""

from __future__ import annotations

import unicodedata

from kpi_engine.errors import Lang
from kpi_engine.reports.labels import (
    actual_text,
    label,
    name_of,
    number,
    status_text,
    total_line,
)
from kpi_engine.results import Evaluation, Flag, GroupResult, IndicatorResult, Status

__all__ = ["by_severity", "display_width", "render_text", "rows"]


def by_severity(flags: tuple[Flag, ...]) -> list[Flag]:
    """Most severe first; stable within a severity."""
    rank = {"error": 0, "warning": 1, "info": 2}
    return sorted(flags, key=lambda f: rank[f.severity])


def display_width(text: str) -> int:
    """Columns the text takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def rows(evaluation: Evaluation) -> list[tuple[int, GroupResult | IndicatorResult]]:
    """The tree in reading order as (depth, node) pairs: each group before its children."""
    groups = {g.id: g for g in evaluation.groups}
    leaves = {r.id: r for r in evaluation.indicators}
    out: list[tuple[int, GroupResult | IndicatorResult]] = []

    def visit(node_id: str, depth: int) -> None:
        if node_id in groups:
            out.append((depth, groups[node_id]))
            for child in groups[node_id].children:
                visit(child, depth + 1)
        else:
            out.append((depth, leaves[node_id]))

    for node_id in evaluation.top:
        visit(node_id, 0)
    return out


def render_text(evaluation: Evaluation, lang: Lang = "zh") -> str:
    """The evaluation as a table a person reads in a terminal."""
    places = evaluation.places
    header = [
        label(k, lang) for k in ("indicator", "weight", "target", "actual", "score", "status")
    ]
    table: list[list[str]] = [header]
    for depth, node in rows(evaluation):
        name = "  " * depth + name_of(node, lang)
        if isinstance(node, GroupResult):
            weight = format(node.weight.normalize(), "f")
            table.append([name, weight, "", "", number(node.score, places), ""])
        else:
            status = "" if node.status is Status.OK else status_text(node.status, lang)
            table.append(
                [
                    name,
                    format(node.weight.normalize(), "f"),
                    node.target_text or "",
                    actual_text(node, places, lang),
                    number(node.score, places),
                    status,
                ]
            )
    widths = [max(display_width(row[i]) for row in table) for i in range(len(header))]
    numeric = {1, 4}
    lines = [
        evaluation.title if lang == "zh" or not evaluation.title_en else evaluation.title_en,
        "",
    ]
    for row in table:
        cells = [_pad(cell, widths[i], right=i in numeric) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    lines += ["", total_line(evaluation, lang), ""]
    lines.append(label("flags", lang) + ("：" if lang == "zh" else ":"))
    if not evaluation.flags:
        lines.append("  " + label("no_flags", lang))
    for flag in by_severity(evaluation.flags):
        lines.append(f"  [{label(flag.severity, lang)}] {flag.text(lang)}")
    return "\n".join(lines) + "\n"
