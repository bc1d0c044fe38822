"""``kpi monitor`` as text and Markdown: time and funds progress (双监控), then one line per
indicator (figure to date, expected, projected, deviation, likelihood, cause), then the flags."""

from __future__ import annotations

from decimal import Decimal

from kpi_engine.display import MISSING, figure, markdown_text, percent, with_unit
from kpi_engine.errors import Lang
from kpi_engine.monitoring import CAUSES, MonitoredRow, Monitoring
from kpi_engine.reports.evaluation_text import render_flags

__all__ = ["monitoring_lines", "render_monitoring_markdown", "render_monitoring_text"]

_CAUSE_ZH = {v: k for k, v in CAUSES.items()}


def _t(lang: Lang, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _with_unit(value: Decimal | None, unit: str | None) -> str:
    return MISSING if value is None else with_unit(figure(value, 2), unit)


def _cells(row: MonitoredRow, lang: Lang) -> list[str]:
    cause = ""
    if row.cause:
        cause = _CAUSE_ZH[row.cause] if lang == "zh" else row.cause
    return [
        (lang == "en" and row.name_en) or row.name,
        row.target or MISSING,
        _with_unit(row.to_date, row.unit),
        percent(row.expected, 2)
        if row.accrues
        else _t(lang, "不按进度（水平值）", "n/a (a level, not a running total)"),
        _with_unit(row.projected, row.unit),
        row.deviation.label(lang) if row.deviation else MISSING,
        (row.likelihood.label(lang) if row.likelihood else MISSING)
        + ("*" if row.likelihood_stated else ""),
        "；".join(x for x in (cause, row.reason or "", row.measure or "") if x),
    ]


def _head(lang: Lang) -> list[str]:
    return [
        _t(lang, "指标", "Indicator"),
        _t(lang, "年度指标值", "Target"),
        _t(lang, "截至目前", "To date"),
        _t(lang, "应完成进度", "Due"),
        _t(lang, "全年预计", "Projected"),
        _t(lang, "偏差", "Deviation"),
        _t(lang, "完成可能性", "Likelihood"),
        _t(lang, "偏差原因及措施", "Cause and measure"),
    ]


def _summary(m: Monitoring, lang: Lang) -> list[str]:
    title = (lang == "en" and m.title_en) or m.title
    lines = [
        title,
        _t(lang, f"监控时点：{m.as_of.isoformat()}", f"As of {m.as_of.isoformat()}"),
        _t(lang, "序时进度：", "Time elapsed: ") + percent(m.time_progress, 2),
    ]
    if m.execution is not None:
        funds = m.funds_deviation.label(lang) if m.funds_deviation else MISSING
        lines.append(
            _t(lang, "预算执行进度：", "Funds spent: ")
            + percent(m.execution, 2)
            + _t(lang, "（", " (")
            + f"{figure(m.spent, 2)} / {figure(m.budget, 2)}"
            + _t(lang, f"）{funds}", f"), {funds}")
        )
    return lines


def monitoring_lines(m: Monitoring, lang: Lang = "zh") -> list[list[str]]:
    """The table: a header row, then one row per indicator."""
    return [_head(lang), *(_cells(row, lang) for row in m.rows)]


def render_monitoring_text(m: Monitoring, lang: Lang = "zh") -> str:
    """Plain text for a terminal."""
    lines = [*_summary(m, lang), ""]
    shown = [row.to_date is not None for row in m.rows]
    for cells, has_figure in zip(monitoring_lines(m, lang)[1:], shown, strict=True):
        if not has_figure:
            continue
        name, target, to_date, due, projected, deviation, likely, cause = cells
        if lang == "zh":
            line = f"  {name}：{target}；截至目前 {to_date}，应完成 {due}，全年预计 {projected}"
            line += f"，{deviation}，{likely}" + (f"（{cause}）" if cause else "")
        else:
            line = f"  {name}: {target}; to date {to_date}, due {due}, projected {projected}"
            line += f", {deviation}, {likely}" + (f" ({cause})" if cause else "")
        lines.append(line)
    rest = shown.count(False)
    if rest:
        lines.append(
            _t(
                lang,
                f"  另有 {rest} 个指标没有年中数据（定性指标在年终评价）",
                f"  {rest} more indicators have no figure to date (qualitative rows are judged "
                "at the year end)",
            )
        )
    lines.append(_t(lang, "  * 单位填报的完成可能性", "  * likelihood as stated by the unit"))
    lines += ["", *render_flags(m.flags, lang)]
    return "\n".join(lines) + "\n"


def render_monitoring_markdown(m: Monitoring, lang: Lang = "zh") -> str:
    """Markdown: the summary as a list, the indicators as a table, then the flags."""
    head, *rows = monitoring_lines(m, lang)
    lines = [f"# {markdown_text(_summary(m, lang)[0])}", ""]
    lines += [f"- {markdown_text(line)}" for line in _summary(m, lang)[1:]]
    lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(markdown_text(c) for c in row) + " |" for row in rows]
    lines += ["", *(markdown_text(x) for x in render_flags(m.flags, lang))]
    return "\n".join(lines) + "\n"
