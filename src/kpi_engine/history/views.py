"""What ``kpi history`` shows: query results as text tables (Chinese first, ``--lang en``),
JSON or CSV. Strings only; the CLI prints them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from kpi_engine.display import figure, percent, printable, spreadsheet_text, trimmed, with_unit
from kpi_engine.errors import Lang
from kpi_engine.history.records import (
    ROLLUP_INPUTS,
    FollowUp,
    LeagueRow,
    Rollup,
    StoredEvaluation,
    StoredFlag,
    TrendPoint,
)
from kpi_engine.reports.evaluation_text import display_width
from kpi_engine.results import Status

__all__ = [
    "render_comparison",
    "render_evaluations",
    "render_league",
    "render_rollup",
    "render_show",
    "render_trend",
    "table",
]

_WORDS = {
    "id": ("编号", "ID"),
    "unit": ("单位", "Unit"),
    "year": ("年度", "Year"),
    "set": ("指标体系", "Set"),
    "total": ("总分", "Total"),
    "grade": ("等级", "Grade"),
    "coverage": ("计分覆盖", "Coverage"),
    "saved_at": ("入库时间", "Saved"),
    "indicator": ("指标", "Indicator"),
    "status": ("状态", "Status"),
    "value": ("实际完成值", "Actual"),
    "score": ("得分", "Score"),
    "weight": ("分值", "Weight"),
    "rank": ("名次", "Rank"),
    "change": ("变化", "Change"),
    "none": ("（无）", "(none)"),
}


def _w(key: str, lang: Lang) -> str:
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


def _n(value: Decimal | None) -> str:
    return trimmed(value, none="—")


def _share(value: Decimal | None) -> str:
    """Coverage as the evaluation prints it: 100.00%."""
    return percent(value, 2, none="—")


def table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    """A plain text table, columns padded by display width (a CJK character takes two)."""
    cells = [[printable(c) for c in header], *([printable(c) for c in row] for row in rows)]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        padded = []
        for i, cell in enumerate(row):
            gap = " " * (widths[i] - display_width(cell))
            padded.append(gap + cell if i in numeric else cell + gap)
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])]) + "\n"


def _csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(c) for c in row] for row in rows)
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Numbers (decimal strings included) as they are; other text never read as a formula."""
    if not isinstance(value, str):
        return value
    try:
        Decimal(value)
    except ArithmeticError:
        return spreadsheet_text(value)
    return value


def _json(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def render_evaluations(found: Sequence[StoredEvaluation], fmt: str, lang: Lang) -> str:
    """``kpi history list``: one line per saved evaluation."""
    if fmt == "json":
        return _json([s.to_dict() for s in found])
    keys = ("id", "unit", "year", "set", "total", "grade", "coverage", "saved_at")
    if fmt == "csv":
        return _csv(keys, [[s.to_dict()[k] for k in keys] for s in found])
    if not found:
        return _w("none", lang) + "\n"
    rows = [
        (
            str(s.id),
            s.unit,
            str(s.year),
            s.set_id,
            _n(s.total),
            s.grade or "—",
            _share(s.coverage),
            s.saved_at.strftime("%Y-%m-%d %H:%M"),
        )
        for s in found
    ]
    return table([_w(k, lang) for k in keys], rows, {0, 2, 4, 6})


def render_show(
    stored: StoredEvaluation,
    points: Sequence[TrendPoint],
    flags: Sequence[StoredFlag],
    fmt: str,
    lang: Lang,
    document: dict[str, Any] | None = None,
) -> str:
    """``kpi history show``: the headline, each indicator and each flag of one evaluation."""
    if fmt == "json":
        return _json(document if document is not None else stored.to_dict())
    keys = ("indicator", "status", "value", "score", "weight")
    if fmt == "csv":
        return _csv(
            ("indicator_id", "name", "status", "value", "measure", "score", "weight"),
            [_csv_point(p) for p in points],
        )
    head = (
        f"{stored.unit} {stored.year}（{stored.title}）\n"
        f"总分 {_n(stored.total)} / {_n(stored.max_total)}，等级 {stored.grade or '待定'}，"
        f"计分覆盖 {_share(stored.coverage)}\n"
        if lang == "zh"
        else f"{stored.unit} {stored.year} ({stored.title})\n"
        f"Total {_n(stored.total)} / {_n(stored.max_total)}, grade {stored.grade or 'pending'}, "
        f"coverage {_share(stored.coverage)}\n"
    )
    rows = [
        (p.name, _status(p.status, lang), _actual(p), _n(p.score), _n(p.weight)) for p in points
    ]
    body = table([_w(k, lang) for k in keys], rows, {2, 3, 4})
    problems = "问题：\n" if lang == "zh" else "Flags:\n"
    problems += "".join(f"  - {printable(f.text(lang))}  [{f.rule}]\n" for f in flags) or (
        "  " + _w("none", lang) + "\n"
    )
    return f"{printable(head)}\n{body}\n{problems}"


def _csv_point(p: TrendPoint) -> list[str | None]:
    values = (_plain(p.value), p.measure, _plain(p.score), _plain(p.weight))
    return [p.indicator_id, p.name, p.status, *values]


def _actual(p: TrendPoint) -> str:
    return "—" if p.value is None else with_unit(figure(p.value, p.places), p.measure)


def _status(status: str, lang: Lang) -> str:
    return Status(status).label if lang == "zh" else status


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def render_trend(points: Sequence[TrendPoint], fmt: str, lang: Lang) -> str:
    """``kpi history trend``: one indicator, each unit by year (a column a year in text)."""
    if fmt == "json":
        return _json([p.to_dict() for p in points])
    if fmt == "csv":
        keys = ("unit", "year", "indicator", "name", "status", "value", "measure", "score")
        return _csv(keys, [[p.to_dict()[k] for k in keys] for p in points])
    if not points:
        return _w("none", lang) + "\n"
    years = sorted({p.year for p in points})
    units = list(dict.fromkeys(p.unit for p in points))
    cell = {(p.unit, p.year): _actual(p) for p in points}
    rows = [(u, *(cell.get((u, y), "") for y in years)) for u in units]
    title = (
        f"{points[0].name}（{_w('value', lang)}）\n"
        if lang == "zh"
        else (f"{points[0].name} (actual)\n")
    )
    header = [_w("unit", lang), *(str(y) for y in years)]
    return printable(title) + table(header, rows, set(range(1, len(years) + 1)))


def render_league(year: int, rows: Sequence[LeagueRow], fmt: str, lang: Lang) -> str:
    """``kpi history compare --year``: the units of a year ranked by total."""
    if fmt == "json":
        return _json({"year": year, "units": [r.to_dict() for r in rows]})
    keys = ("rank", "unit", "total", "grade", "coverage")
    if fmt == "csv":
        return _csv(keys, [[r.to_dict()[k] for k in keys] for r in rows])
    if not rows:
        return _w("none", lang) + "\n"
    title = f"{year} 年度单位排名\n" if lang == "zh" else f"Units ranked, {year}\n"
    body = [
        (str(r.rank or "—"), r.unit, _n(r.total), r.grade or "—", _share(r.coverage)) for r in rows
    ]
    return title + table([_w(k, lang) for k in keys], body, {0, 2, 4})


def render_rollup(rollup: Rollup, fmt: str, lang: Lang) -> str:
    """``kpi history rollup``: a department's projects of a year, as 部门整体 inputs."""
    if fmt == "json":
        return _json(rollup.to_dict())
    data = rollup.to_dict()
    names = [*ROLLUP_INPUTS, "budget", "spent"]
    if fmt == "csv":
        return _csv(["year", *names], [[rollup.year, *(data[n] for n in names)]])
    labels = ROLLUP_INPUTS | {"budget": ("预算合计", "budget"), "spent": ("执行合计", "spent")}
    rows = [
        (
            name,
            labels[name][0 if lang == "zh" else 1],
            figure(None if data[name] is None else Decimal(data[name]), 2, none="—"),
        )
        for name in names
    ]
    title = (
        f"{rollup.year} 年度项目汇总（{len(rollup.units)} 个项目）\n"
        if lang == "zh"
        else f"Projects of {rollup.year} rolled up ({len(rollup.units)} projects)\n"
    )
    header = ["", "输入项" if lang == "zh" else "input", "值" if lang == "zh" else "value"]
    return title + table(header, rows, {2})


def render_comparison(
    years: Sequence[tuple[StoredEvaluation, Sequence[TrendPoint]]],
    follow: FollowUp,
    fmt: str,
    lang: Lang,
) -> str:
    """``kpi history compare --unit``: the unit's years side by side, then its problems
    followed up (上年问题整改)."""
    if fmt == "json":
        return _json(
            {
                "unit": follow.unit,
                "years": [
                    s.to_dict() | {"indicators": [p.to_dict() for p in points]}
                    for s, points in years
                ],
                "followup": follow.to_dict(),
            }
        )
    if fmt == "csv":
        keys = ("unit", "year", "indicator", "name", "status", "value", "measure", "score")
        return _csv(keys, [[p.to_dict()[k] for k in keys] for _, points in years for p in points])
    labels = [str(s.year) for s, _ in years]
    rows: list[tuple[str, ...]] = [
        (_w("total", lang), *(_n(s.total) for s, _ in years)),
        (_w("grade", lang), *((s.grade or "—") for s, _ in years)),
    ]
    names: dict[str, str] = {}
    scores: dict[tuple[str, int], str] = {}
    for s, points in years:
        for p in points:
            names.setdefault(p.indicator_id, p.name)
            scores[(p.indicator_id, s.year)] = _n(p.score)
    rows += [(name, *(scores.get((i, s.year), "") for s, _ in years)) for i, name in names.items()]
    out = f"{follow.unit}\n" + table(["", *labels], rows, set(range(1, len(labels) + 1)))
    return out + "\n" + render_followup(follow, lang)


def render_followup(follow: FollowUp, lang: Lang) -> str:
    """Last year's problems: those raised again (上年问题未整改) and those resolved."""
    if follow.previous_year is None:
        return (
            f"{follow.year} 年之前一年没有评价，无可跟踪的问题。\n"
            if lang == "zh"
            else f"No evaluation the year before {follow.year}: no problems to follow up.\n"
        )
    zh = lang == "zh"
    out = (
        f"上年（{follow.previous_year} 年）问题整改情况：\n"
        if zh
        else f"Problems of {follow.previous_year} followed up:\n"
    )
    unresolved = len(follow.unresolved)
    out += f"  未整改（{unresolved}）：\n" if zh else f"  Not rectified ({unresolved}):\n"
    out += "".join(f"    - {printable(f.text(lang))}\n" for f in follow.unresolved)
    resolved = len(follow.resolved)
    out += f"  已整改（{resolved}）：\n" if zh else f"  Resolved ({resolved}):\n"
    out += "".join(f"    - {printable(f.text(lang))}  [{f.rule}]\n" for f in follow.resolved)
    return out
