"""An evaluation as plain text: the indicator tree as an aligned table, the total, the flags.

What ``kpi evaluate`` prints by default.
"""

from __future__ import annotations

import unicodedata

from kpi_engine.display import exact
from kpi_engine.errors import Lang
from kpi_engine.reports.labels import (
    actual_text,
    by_severity,
    label,
    name_of,
    notes_under_table,
    row_status,
    score_cell,
    target_cell,
    total_line,
    weight_cell,
)
from kpi_engine.results import Evaluation, Flag, GroupResult, IndicatorResult

__all__ = ["display_width", "render_flags", "render_text", "rows"]


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
    keys = ["indicator", "weight", "target", "actual", "score", "status"]
    review = any(r.reported_score is not None for r in evaluation.indicators)
    if review:
        # The unit's own score and the score by the rules, side by side (自评分 | 复核分).
        keys[4:5] = ["reported", "reviewed"]
    table: list[list[str]] = [[label(k, lang) for k in keys]]
    for depth, node in rows(evaluation):
        name = "  " * depth + name_of(node, lang)
        weight = weight_cell(node)
        score = score_cell(node, places)
        if isinstance(node, GroupResult):
            row = [name, weight, "", "", score, ""]
            reported = ""
        else:
            status = row_status(node, lang)
            actual = actual_text(node, places, lang)
            row = [name, weight, target_cell(node), actual, score, status]
            reported = exact(node.reported_score) or ""
        if review:
            row.insert(4, reported)
        table.append(row)
    widths = [max(display_width(row[i]) for row in table) for i in range(len(keys))]
    numeric = {1, 4, 5} if review else {1, 4}
    lines = [
        evaluation.title if lang == "zh" or not evaluation.title_en else evaluation.title_en,
        "",
    ]
    for row in table:
        cells = [_pad(cell, widths[i], right=i in numeric) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    notes = notes_under_table(evaluation, lang)
    lines += ["", *notes, *([""] if notes else []), total_line(evaluation, lang), ""]
    lines += render_flags(evaluation.flags, lang)
    return "\n".join(lines) + "\n"


def render_flags(flags: tuple[Flag, ...], lang: Lang) -> list[str]:
    """The problems found, grouped by severity, with each flag's suggestion."""
    lines = [label("flags", lang) + ("：" if lang == "zh" else ":")]
    if not flags:
        return [*lines, "  " + label("no_flags", lang)]
    for severity, group in by_severity(flags):
        count = f"（{len(group)}）" if lang == "zh" else f" ({len(group)})"
        lines.append(f"  {label(severity, lang)}{count}")
        for flag in group:
            lines.append(f"    - {flag.text(lang)}  [{flag.rule}]")
            suggestion = flag.suggestion if lang == "zh" else flag.suggestion_en
            if suggestion:
                lines.append(f"      {label('suggestion', lang)}: {suggestion}")
    return lines
