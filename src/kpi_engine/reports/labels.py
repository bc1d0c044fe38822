"""Shared wording of reports in Chinese and English (numbers are shown by kpi_engine.display)."""

from __future__ import annotations

import re

from kpi_engine.display import exact, figure, fixed, percent, trimmed, with_unit
from kpi_engine.errors import Lang
from kpi_engine.flags import grade_span
from kpi_engine.models import Tier
from kpi_engine.results import (
    SEVERITY_WORDS,
    Evaluation,
    Flag,
    GroupResult,
    IndicatorResult,
    Status,
)

__all__ = [
    "LABELS",
    "actual_text",
    "by_severity",
    "label",
    "name_of",
    "row_status",
    "total_line",
]

LABELS: dict[str, tuple[str, str]] = {
    "indicator": ("指标", "Indicator"),
    "weight": ("分值", "Weight"),
    "target": ("年度指标值", "Target"),
    "actual": ("实际完成值", "Actual"),
    "score": ("得分", "Score"),
    "status": ("状态", "Status"),
    "total": ("总分", "Total"),
    "grade": ("等级", "Grade"),
    "coverage": ("计分覆盖率", "Coverage"),
    "flags": ("发现的问题", "Problems found"),
    "no_flags": ("未发现问题。", "No problems found."),
    "explanations": ("得分说明", "How each score was reached"),
    "rule": ("计分规则", "Rule"),
    "calculation": ("计算过程", "Calculation"),
    "value_formula": ("取值公式", "Value formula"),
    "used": ("使用的数据", "Data used"),
    "reason": ("偏差原因", "Reason for deviation"),
    "suggestion": ("改进建议", "Suggestion"),
    "path": ("所属指标组", "Group"),
    **SEVERITY_WORDS,
    "incomplete": ("（总分不完整）", " (incomplete)"),
    "reported": ("自评得分", "Reported"),
    "reviewed": ("复核得分", "Reviewed"),
    "reported_total": ("自评总分", "Reported total"),
}


def label(key: str, lang: Lang) -> str:
    """A fixed report label in the requested language."""
    zh, en = LABELS[key]
    return zh if lang == "zh" else en


def row_status(result: IndicatorResult, lang: Lang) -> str:
    """The status column: blank when scored; a missing target is named as such; a "其中" row,
    which has no score to show it, says whether its target was met."""
    if result.status is Status.OK:
        if result.part_of is not None and result.met is not None:
            if lang == "zh":
                return "达到目标" if result.met else "未达到目标"
            return "met" if result.met else "target missed"
        return ""
    if result.problem_code == "target.missing":
        return "未设目标" if lang == "zh" else "no target"
    return result.status.text(lang)


def name_of(item: IndicatorResult | GroupResult, lang: Lang) -> str:
    """The display name, English when asked and available; a "其中" row reads as one."""
    name = item.name_en if lang == "en" and item.name_en else item.name
    if isinstance(item, IndicatorResult) and item.part_of is not None:
        if lang == "zh" and not name.startswith("其中"):
            return f"其中：{name}"
        if lang == "en" and not name.lower().startswith("of which"):
            return f"of which: {name}"
    return name


def actual_text(result: IndicatorResult, places: int, lang: Lang = "zh") -> str:
    """The actual with its unit; fractions longer than the set's places are rounded."""
    if result.tier is not None and result.kind == "qualitative":
        return Tier(result.tier).label if lang == "zh" else result.tier.replace("_", " ")
    if result.value is None:
        return result.actual_text or ""
    return with_unit(figure(result.value, places), result.unit)


_CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u9fff\uff00-\uffef])")
"""A line break folded into a space between Chinese characters (YAML ``>``), which is no space."""


def prose(text: str) -> str:
    """Text from folded YAML: line breaks between Chinese characters are not spaces."""
    return _CJK_GAP.sub("", text.strip())


ASSUMED = "※"
"""The mark beside a target or weight that the source does not state but the set assumes."""


def weight_cell(node: GroupResult | IndicatorResult) -> str:
    """The weight, marked ※ when assumed; blank on a "其中" row, which has no points of its own."""
    if isinstance(node, IndicatorResult) and node.part_of is not None and not node.weight:
        return ""
    return trimmed(node.weight) + (ASSUMED if "weight" in node.assumed else "")


def score_cell(node: GroupResult | IndicatorResult, places: int) -> str:
    """The score to ``places``; blank when there is none, and on a "其中" row without points."""
    if isinstance(node, IndicatorResult) and node.part_of is not None and not node.weight:
        return ""
    return fixed(node.score, places, none="")


def target_cell(result: IndicatorResult) -> str:
    """The target as written, marked ※ when assumed."""
    text = result.target_text or ""
    return text + ASSUMED if text and "target" in result.assumed else text


def notes_under_table(evaluation: Evaluation, lang: Lang) -> list[str]:
    """What the table's marks mean, and the set's weights note: the assumptions, in words."""
    notes = []
    nodes: list[GroupResult | IndicatorResult] = [*evaluation.groups, *evaluation.indicators]
    if any(node.assumed for node in nodes):
        notes.append(
            f"{ASSUMED} 原报告未载明、由本指标体系设定的假设值"
            if lang == "zh"
            else f"{ASSUMED} assumed by the indicator set: the source does not state it"
        )
    if evaluation.weights_note:
        note = prose(" ".join(evaluation.weights_note.split()))
        notes.append(f"权重说明：{note}" if lang == "zh" else f"Weights: {note}")
    return notes


def total_text(evaluation: Evaluation) -> str:
    """The total to the set's places, or the range it can lie in when rows could not be scored
    (``64.00–94.00``)."""
    places = evaluation.places
    total = fixed(evaluation.total, places)
    if evaluation.total_high is None:
        return total
    return f"{total}–{fixed(evaluation.total_high, places)}"


def grade_text(evaluation: Evaluation, lang: Lang) -> str:
    """The grade; ``等级待定（中至优）`` when an incomplete total could fall in several; ``—``
    when nothing could be scored; marked when unscored rows were counted as 0."""
    grade = evaluation.grade
    if evaluation.grade_range is not None:
        return grade_span(evaluation.grade_range, lang)
    if grade is None:
        return "—"
    text = grade.label if lang == "zh" else grade.label_en
    if evaluation.unscored_as_zero:
        text += "（未计分指标按 0 分计）" if lang == "zh" else " (unscored rows counted as 0)"
    return text


def total_line(evaluation: Evaluation, lang: Lang) -> str:
    """``总分 96.93 / 100　等级 优　计分覆盖率 100%``; with rows unscored
    ``总分 64.00–94.00 / 100　等级待定（中至优）　…``."""
    places = evaluation.places
    total = total_text(evaluation)
    grade = grade_text(evaluation, lang)
    grade_part = grade if evaluation.grade_range else f"{label('grade', lang)} {grade}"
    coverage = percent(evaluation.coverage, places)
    line = (
        f"{label('total', lang)} {total} / {trimmed(evaluation.scale)}    "
        f"{grade_part}    {label('coverage', lang)} {coverage}"
    )
    if evaluation.coverage < 1:
        line += label("incomplete", lang)
    if evaluation.cap:
        uncapped = fixed(evaluation.total_uncapped, places)
        line += (
            f"（封顶：{evaluation.cap}，封顶前 {uncapped}）"
            if lang == "zh"
            else f" (capped: {evaluation.cap}; {uncapped} before the cap)"
        )
    if evaluation.reported_total is not None:
        line += f"    {label('reported_total', lang)} {exact(evaluation.reported_total)}"
    return line


def by_severity(flags: tuple[Flag, ...]) -> list[tuple[str, list[Flag]]]:
    """Flags grouped under error, warning, info (only the severities present), order kept."""
    groups: list[tuple[str, list[Flag]]] = []
    for severity in ("error", "warning", "info"):
        chosen = [f for f in flags if f.severity == severity]
        if chosen:
            groups.append((severity, chosen))
    return groups
