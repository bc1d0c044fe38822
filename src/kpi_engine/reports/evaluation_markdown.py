"""An evaluation as Markdown: score table, total, flags and how each score was reached.

What ``kpi evaluate --format markdown`` prints.
"""

from __future__ import annotations

from kpi_engine.display import exact, fixed, markdown_text, show, show_figures, trimmed, with_unit
from kpi_engine.errors import Lang
from kpi_engine.reports.evaluation_text import rows
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
from kpi_engine.results import Evaluation, GroupResult, IndicatorResult, Status

__all__ = ["render_markdown"]


def _cell(text: str) -> str:
    # Text from the set and the actuals is literal: no HTML, no heading, no table bar.
    return markdown_text(text)


def _explanation(result: IndicatorResult, lang: Lang, places: int) -> list[str]:
    e = result.explanation
    lines = [
        f"### {_cell(name_of(result, lang))}（{result.id}）"
        if lang == "zh"
        else f"### {_cell(name_of(result, lang))} ({result.id})",
        "",
    ]
    if result.path:
        lines.append(f"- {label('path', lang)}: {' / '.join(result.path)}")
    lines.append(
        f"- {label('weight', lang)}: {trimmed(result.weight)}; "
        f"{label('target', lang)}: {result.target_text or '—'}; "
        f"{label('actual', lang)}: {actual_text(result, places, lang) or '—'}"
    )
    if e.value_formula:
        lines.append(
            f"- {label('value_formula', lang)}: `{e.value_formula}` = "
            f"`{show_figures(e.value_substituted or '')}`"
        )
    for used in e.used:
        what = used.label_in(lang)
        value = "—" if used.value is None else with_unit(show(used.value), used.unit)
        extra = (
            f" = `{used.formula}` = `{show_figures(used.substituted or '')}`"
            if used.formula
            else ""
        )
        why = used.problem_in(lang)
        problem = "" if not why else f"（{why}）" if lang == "zh" else f" ({why})"
        lines.append(f"  - {what} `{used.name}`{extra} → {value}{problem}")
    if e.rule(lang):
        lines.append(f"- {label('rule', lang)}: {show_figures(e.rule(lang))}")
    if e.calculation:
        lines.append(f"- {label('calculation', lang)}: {show_figures(e.calculation)}")
    for note in e.notes(lang):
        lines.append(f"- {show_figures(note)}")
    score = fixed(result.score, places) if result.status is Status.OK else "—"
    lines.append(f"- **{label('score', lang)}: {score}**")
    if result.reason:
        lines.append(f"- {label('reason', lang)}: {result.reason}")
    lines.append("")
    return lines


def render_markdown(evaluation: Evaluation, lang: Lang = "zh") -> str:
    """The evaluation as a Markdown document."""
    places = evaluation.places
    title = evaluation.title if lang == "zh" or not evaluation.title_en else evaluation.title_en
    keys = ["indicator", "weight", "target", "actual", "score", "status"]
    aligns = ["---", "---:", "---", "---", "---:", "---"]
    review = any(r.reported_score is not None for r in evaluation.indicators)
    if review:  # 自评分 | 复核分 side by side
        keys[4:5] = ["reported", "reviewed"]
        aligns.insert(4, "---:")
    head = [label(k, lang) for k in keys]
    lines = [f"# {title}", "", "| " + " | ".join(head) + " |", "|" + "|".join(aligns) + "|"]
    for depth, node in rows(evaluation):
        indent = "　" * depth
        name = _cell(indent + name_of(node, lang))
        weight = weight_cell(node)
        if isinstance(node, GroupResult):
            cells = [f"**{name}**", weight, "", "", f"**{fixed(node.score, places)}**", ""]
            reported = ""
        else:
            status = row_status(node, lang)
            target = _cell(target_cell(node))
            actual = _cell(actual_text(node, places, lang))
            cells = [name, weight, target, actual, score_cell(node, places), status]
            reported = exact(node.reported_score) or ""
        if review:
            cells.insert(4, reported)
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"{_cell(note)}  " for note in notes_under_table(evaluation, lang)]
    lines += ["", *notes, *([""] if notes else [])]
    lines += [f"**{total_line(evaluation, lang)}**", "", f"## {label('flags', lang)}", ""]
    if not evaluation.flags:
        lines.append(label("no_flags", lang))
    for severity, group in by_severity(evaluation.flags):
        lines += [f"### {label(severity, lang)}（{len(group)}）", ""]
        for flag in group:
            lines.append(
                f"- **[{label(severity, lang)}]** {_cell(flag.text(lang))} (`{flag.rule}`)"
            )
            suggestion = flag.suggestion if lang == "zh" else flag.suggestion_en
            if suggestion:
                lines.append(f"  - {label('suggestion', lang)}: {_cell(suggestion)}")
        lines.append("")
    lines += ["", f"## {label('explanations', lang)}", ""]
    for result in evaluation.indicators:
        lines += _explanation(result, lang, places)
    return "\n".join(lines).rstrip() + "\n"
