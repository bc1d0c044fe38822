"""The 绩效自评表 as an .xlsx workbook, laid out as the national form (财预〔2020〕10号 附件).

项目支出: 项目名称 / 主管部门 / 实施单位; the funds block (年初预算数, 全年预算数, 全年执行数, 分值,
执行率, 得分) with 年度资金总额 and the 其中 rows; 年度总体目标 (预期目标 | 实际完成情况); the
indicator table (一级/二级/三级指标, 指标值, 实际完成值, 分值, 得分, 偏差原因分析及改进措施); 总分
and 等级. 部门整体支出 gets 部门（单位）名称, 年度预算情况 and 年度主要任务及总体目标 instead. A4
landscape; the indicator header repeats on every page, and a group label merged down the rows is
cut at each page break and written again below it. Numbers are stored rounded, as numbers, with
their units in the number format. What the form cannot show (ids, methods, English names…) is
kept in a hidden sheet so that :mod:`kpi_engine.importing` reads the table back losslessly.
Needs the ``reports`` extra (openpyxl).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kpi_engine.display import figure, percent, printable
from kpi_engine.errors import Lang
from kpi_engine.functions import quantize_half_up
from kpi_engine.methods import METHODS
from kpi_engine.models import Actuals, Group, IndicatorSet, InputRole, Leaf, Method, Tier
from kpi_engine.reports.evaluation_text import display_width
from kpi_engine.reports.labels import grade_text, notes_under_table, target_cell, total_text
from kpi_engine.results import Evaluation, IndicatorResult, Status
from kpi_engine.workbooks import (
    Alignment,
    Border,
    Cell,
    Font,
    PageSetupProperties,
    PatternFill,
    Side,
    Worksheet,
    add_row_break,
    get_column_letter,
    new_workbook,
    workbook_bytes,
    write_data_sheet,
)

__all__ = ["DATA_SHEET", "FUND_PARTS", "render_score_table"]

DATA_SHEET = "kpi_engine"
"""The hidden sheet holding what the visible form cannot show."""
FUND_PARTS = (
    ("appropriation", "其中：当年财政拨款", "of which: appropriation of the year"),
    ("carryover", "上年结转资金", "carry-over from last year"),
    ("other", "其他资金", "other funds"),
)
_FUND_COLUMNS = ("budget_initial", "budget_adjusted", "spent")
_LEVELS = "一二三四五六七八九"
_TWO = "0.00"
_PAGE_HEIGHT = Decimal(470)  # points a landscape A4 page holds between these margins, with slack


def _num(value: Decimal | None, places: int) -> Decimal | None:
    return None if value is None else quantize_half_up(value, places)


def _unit_format(unit: str | None) -> str:
    if not unit:
        return "General"
    escaped = unit.replace('"', "")
    return f'General"{escaped}"' if unit == "%" else f'General" {escaped}"'


class _Form:
    """The sheet, its columns and styles: label column A, the level columns, then five more."""

    def __init__(self, ws: Worksheet, levels: int) -> None:
        self.ws = ws
        self.levels = levels
        self.target, self.actual = levels + 2, levels + 3
        self.weight, self.score, self.reason = levels + 4, levels + 5, levels + 6
        self.last = self.reason
        side = Side(style="thin", color="000000")
        self.border = Border(left=side, right=side, top=side, bottom=side)
        self.fill = PatternFill("solid", fgColor="F2F2F2")
        self.font = Font(name="宋体", size=10)
        self.bold = Font(name="黑体", size=10)
        self.heights: dict[int, int] = {}
        self.widths = [6] + [10] * (levels - 1) + [22, 16, 14, 8, 8, 30]

    def put(
        self,
        row: int,
        col: int,
        value: Decimal | str | None,
        *,
        head: bool = False,
        fmt: str | None = None,
        align: str | None = None,
    ) -> None:
        shown = printable(value) if isinstance(value, str) else value  # no control characters
        c = self.ws.cell(row=row, column=col, value=shown)
        if isinstance(value, str):
            c.data_type = "s"  # text such as "= 0 起" is a target, never a formula
        c.border = self.border
        c.font = self.bold if head else self.font
        if head:
            c.fill = self.fill
        if fmt:
            c.number_format = fmt
        c.alignment = Alignment(
            wrap_text=True,
            vertical="center",
            horizontal=align or ("center" if head or not isinstance(value, str) else "left"),
        )

    def span(self, row: int, c1: int, c2: int, value: Decimal | str | None, **kw: Any) -> None:
        """One value across columns c1..c2 of a row (merged, bordered throughout)."""
        self.put(row, c1, value, **kw)
        self.merge(row, c1, row, c2)

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        if (r1, c1) == (r2, c2):
            return
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                self.ws.cell(row=r, column=c).border = self.border
        self.ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)

    def fit(self, row: int, texts: list[tuple[int, int, str]]) -> None:
        """Row height for wrapped text: spreadsheet programs do not grow rows on their own."""
        lines = 1
        for c1, c2, text in texts:
            width = sum(self.widths[c1 - 1 : c2])
            per_line = max(1, width - 1)  # a CJK character is two digits wide
            lines = max(lines, *(-(-display_width(part) // per_line) for part in text.split("\n")))
        self.heights[row] = max(self.heights.get(row, 0), 14 * lines + 6)


class _Writer:
    def __init__(self, s: IndicatorSet, e: Evaluation, actuals: Actuals | None, lang: Lang) -> None:
        self.s, self.e, self.actuals, self.lang = s, e, actuals, lang
        self.wb, ws = new_workbook()
        levels = max(3, max((len(r.path) + 1 for r in e.indicators), default=1))
        self.f = _Form(ws, levels)
        self.department = s.kind == "department"
        self.rows: dict[int, str] = {}  # sheet row → indicator id, for the importer
        self.links: dict[str, dict[str, str]] = {}  # cell → the input or actuals field it shows

    def t(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def head(self) -> int:
        f, t = self.f, self.t
        f.ws.title = t("绩效自评表", "Score table")
        name = (
            t("部门整体支出绩效自评表", "Department expenditure self-evaluation")
            if self.department
            else t("项目支出绩效自评表", "Project expenditure self-evaluation")
        )
        f.ws.cell(row=1, column=1, value=name).font = Font(name="方正小标宋简体", size=16)
        f.ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=f.last)
        f.ws.cell(row=1, column=1).alignment = Alignment(horizontal="center", vertical="center")
        f.heights[1] = 30
        if self.s.year:
            year = t(f"（{self.s.year}年度）", f"({self.s.year})")
            f.ws.cell(row=2, column=1, value=year).alignment = Alignment(horizontal="center")
            f.ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=f.last)
        if self.department:
            label = t("部门（单位）名称", "Department")
            f.span(3, 1, 2, label, head=True)
            f.span(3, 3, f.last, self.s.organization)
            return 4
        project = (self.lang == "en" and self.s.title_en) or self.s.project or self.s.title
        f.span(3, 1, 2, t("项目名称", "Project"), head=True)
        f.span(3, 3, f.last, project)
        f.span(4, 1, 2, t("主管部门", "Supervisor"), head=True)
        f.span(4, 3, f.target, self.s.supervisor)
        f.span(4, f.actual, f.weight, t("实施单位", "Implementer"), head=True)
        f.span(4, f.score, f.last, self.s.organization)
        f.fit(3, [(3, f.last, project)])
        f.fit(
            4,
            [(3, f.target, self.s.supervisor or ""), (f.score, f.last, self.s.organization or "")],
        )
        return 5

    def funds(self, row: int) -> tuple[int, str | None]:
        """The funds block; returns the next free row and the execution row it shows."""
        f, t, e = self.f, self.t, self.e
        roles = {i.role: n for n, i in self.s.inputs.items() if i.role}
        roles |= {d.role: n for n, d in self.s.derived.items() if d.role}
        execution = next(
            (r for r in e.indicators if r.method and METHODS[Method(r.method)].execution), None
        )
        first = self.f.last - 5
        label = t("年度预算情况（万元）", "Budget (10k yuan)") if self.department else None
        f.put(row, 1, label or t("项目资金（万元）", "Funds (10k yuan)"), head=True)
        f.span(row, 2, first - 1, None, head=True)
        head = [
            t("年初预算数", "Initial budget"),
            t("全年预算数", "Adjusted budget"),
            t("全年执行数", "Spent"),
            t("分值", "Weight"),
            t("执行率", "Rate"),
            t("得分", "Score"),
        ]
        for c, text in enumerate(head, start=first):
            f.put(row, c, text, head=True)
        money = "#,##0.00"
        f.span(row + 1, 2, first - 1, t("年度资金总额", "Total funds"))
        for c, role in enumerate(
            (InputRole.BUDGET_INITIAL, InputRole.BUDGET_ADJUSTED, InputRole.SPENT), start=first
        ):
            name = roles.get(role)
            f.put(row + 1, c, _num(e.values.get(name), 2) if name else None, fmt=money)
            self.link(row + 1, c, name)
        shown = None
        if execution is not None:
            shown = execution.id
            rate = None if execution.value is None else execution.value / 100
            f.put(row + 1, first + 3, execution.weight, fmt=_TWO)
            f.put(row + 1, first + 4, _num(rate, 4), fmt="0.00%")
            f.put(row + 1, first + 5, _num(execution.score, e.places), fmt=_TWO)
        else:
            for c in range(first + 3, first + 6):
                f.put(row + 1, c, None)
        parts: dict[tuple[str, str], str] = {
            (i.fund.part, i.fund.column): n for n, i in self.s.inputs.items() if i.fund is not None
        }
        for at, (part, zh, en) in enumerate(FUND_PARTS, start=row + 2):
            f.span(at, 2, first - 1, t(zh, en))
            amounts = [e.values.get(parts.get((part, c), "")) for c in _FUND_COLUMNS]
            for c, amount in enumerate(amounts, start=first):
                f.put(at, c, _num(amount, 2), fmt=money)
                self.link(at, c, parts.get((part, _FUND_COLUMNS[c - first])))
            budget, spent = amounts[1], amounts[2]
            rate = spent / budget if budget and spent is not None else None
            f.put(at, first + 3, "—")
            f.put(at, first + 4, _num(rate, 4), fmt="0.00%")
            f.put(at, first + 5, "—")
        f.merge(row, 1, row + 1 + len(FUND_PARTS), 1)
        return row + 2 + len(FUND_PARTS), shown

    def link(self, row: int, col: int, name: str | None) -> None:
        """The cell shows input ``name``: a figure typed over it is read back into the actuals."""
        if name is not None and name in self.s.inputs:
            self.links[f"{get_column_letter(col)}{row}"] = {"input": name}

    def goals(self, row: int) -> int:
        f, t = self.f, self.t
        label = (
            t("年度主要任务及总体目标", "Main tasks and goals")
            if self.department
            else t("年度总体目标", "Goals of the year")
        )
        f.put(row, 1, label, head=True)
        f.merge(row, 1, row + 1, 1)
        middle = f.actual
        f.span(row, 2, middle, t("预期目标", "Expected"), head=True)
        f.span(row, middle + 1, f.last, t("实际完成情况", "Achieved"), head=True)
        expected = " ".join(self.s.goals.split()) if self.s.goals else None
        achieved = self.actuals.goals_achieved if self.actuals else None
        f.span(row + 1, 2, middle, expected, align="left")
        f.span(row + 1, middle + 1, f.last, achieved, align="left")
        self.links[f"{get_column_letter(middle + 1)}{row + 1}"] = {"actuals": "goals_achieved"}
        f.fit(row + 1, [(2, middle, expected or ""), (middle + 1, f.last, achieved or "")])
        return row + 2

    def indicators(self, row: int, rows: list[IndicatorResult]) -> int:
        """The header and one line per leaf; returns the header's row."""
        f, t = self.f, self.t
        header = [t("绩效指标", "Indicators")]
        header += [
            f"{_LEVELS[i]}级指标" if self.lang == "zh" else f"Level {i + 1}"
            for i in range(f.levels)
        ]
        header += [
            t("年度指标值", "Target"),
            t("实际完成值", "Actual"),
            t("分值", "Weight"),
            t("得分", "Score"),
            t("偏差原因分析及改进措施", "Reasons for deviation and measures"),
        ]
        for c, text in enumerate(header, start=1):
            f.put(row, c, text, head=True)
        f.fit(row, [(c, c, text) for c, text in enumerate(header, start=1)])
        for at, r in enumerate(rows, start=row + 1):
            self.rows[at] = r.id
            f.put(at, 1, t("绩效指标", "Indicators"), head=True)
            for level, name in enumerate(r.path):
                f.put(at, level + 2, name)
            f.put(at, len(r.path) + 2, r.name)
            for level in range(len(r.path) + 1, f.levels):
                f.put(at, level + 2, None)
            f.merge(at, len(r.path) + 2, at, f.levels + 1)
            target = target_cell(r)  # ※ when assumed
            f.put(at, f.target, target or None)
            self.actual_cell(at, r)
            f.put(at, f.weight, r.weight, fmt=_TWO)
            f.put(at, f.score, _num(r.score, self.e.places), fmt=_TWO)
            reason = r.reason or _status_note(r, self.lang)
            f.put(at, f.reason, reason)
            texts = [(f.target, f.target, target), (f.reason, f.reason, reason or "")]
            texts += [(i + 2, i + 2, n) for i, n in enumerate(r.path)]
            texts.append((len(r.path) + 2, f.levels + 1, r.name))
            f.fit(at, texts)
        return row

    def actual_cell(self, row: int, r: IndicatorResult) -> None:
        f = self.f
        if r.value is not None:
            shown = Decimal(figure(r.value, self.e.places))
            f.put(row, f.actual, shown, fmt=_unit_format(r.unit), align="right")
        elif r.tier is not None and r.kind == "qualitative":
            f.put(row, f.actual, Tier(r.tier).label)
        else:
            f.put(row, f.actual, r.actual_text or None)

    def total(self, row: int) -> int:
        f, t, e = self.f, self.t, self.e
        f.span(row, 1, f.actual, t("总分", "Total"), head=True)
        f.put(row, f.weight, e.scale, head=True, fmt=_TWO)
        f.put(row, f.score, _num(e.total, e.places), head=True, fmt=_TWO)
        grade = grade_text(e, self.lang) if e.total is not None else ""
        if e.grade_range is None:  # "等级待定（中至优）" already names what it is
            grade = t(f"等级：{grade}", f"Grade: {grade}")
        f.put(row, f.reason, grade, head=True)
        notes = []
        if e.coverage < 1:
            share = percent(e.coverage, 2)
            between = total_text(e)
            notes.append(
                t(
                    f"注：计分覆盖率 {share}，缺少数据的指标未计分，总分不完整"
                    f"（可能在 {between} 之间）。",
                    f"Note: only {share} of the weight was scored; the total could lie in "
                    f"{between}.",
                )
            )
        # Numbers stay numbers in their cells: what is assumed is said under the table.
        notes += notes_under_table(e, self.lang)
        for at, note in enumerate(notes, start=row + 1):
            f.ws.cell(row=at, column=1, value=printable(note)).data_type = "s"
            f.ws.merge_cells(start_row=at, start_column=1, end_row=at, end_column=f.last)
            f.ws.cell(row=at, column=1).alignment = Alignment(wrap_text=True, vertical="top")
            f.fit(at, [(1, f.last, note)])
        return row + len(notes)

    def pages(self, header: int, first: int, end: int, rows: list[IndicatorResult]) -> None:
        """Break pages by the rows' heights, then merge the tree within each page, so a group
        label crossing a break is written again at the top of the next page."""
        f = self.f
        for at in range(1, end + 1):
            f.heights.setdefault(at, 20)
            f.ws.row_dimensions[at].height = f.heights[at]
        room, used, starts = _PAGE_HEIGHT, Decimal(0), {first}
        for at in range(1, end + 1):
            height = Decimal(f.heights[at])
            if used + height > room and at > header + 1:
                add_row_break(f.ws, at - 1)
                if first <= at < first + len(rows):
                    starts.add(at)
                room, used = _PAGE_HEIGHT - f.heights[header], Decimal(0)
            used += height
        ends = sorted(starts)
        segments = [
            (a, b) for a, b in zip(ends, [*ends[1:], first + len(rows)], strict=True) if a < b
        ]
        for a, b in segments:
            f.merge(a, 1, b - 1, 1)
            for level in range(f.levels - 1):
                self.merge_runs(rows[a - first : b - first], a, level)

    def merge_runs(self, rows: list[IndicatorResult], top: int, level: int) -> None:
        start = 0
        for i in range(1, len(rows) + 1):
            head = rows[start].group_ids
            same = (
                i < len(rows)
                and len(rows[i].group_ids) > level
                and len(head) > level
                and rows[i].group_ids[: level + 1] == head[: level + 1]
            )
            if not same:
                if len(head) > level:
                    self.f.merge(top + start, level + 2, top + i - 1, level + 2)
                start = i

    def finish(self, header: int) -> bytes:
        ws = self.f.ws
        for i, width in enumerate(self.f.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        setup = ws.page_setup
        setup.paperSize = ws.PAPERSIZE_A4
        setup.orientation = "landscape"
        setup.fitToWidth = 1
        setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.print_title_rows = f"{header}:{header}"
        ws.print_options.horizontalCentered = True
        footer = ws.oddFooter
        if footer is not None and footer.center is not None:  # openpyxl always makes them
            footer.center.text = self.t("第 &P 页，共 &N 页", "Page &P of &N")
        ws.freeze_panes = f"A{header + 1}"
        return workbook_bytes(self.wb)


def render_score_table(
    indicator_set: IndicatorSet,
    evaluation: Evaluation,
    lang: Lang = "zh",
    actuals: Actuals | None = None,
) -> bytes:
    """The score table as .xlsx bytes. With ``actuals`` the form shows 年度总体目标的实际完成情况
    and :func:`kpi_engine.importing.import_score_table` reads back the very set and actuals."""
    w = _Writer(indicator_set, evaluation, actuals, lang)
    row = w.head()
    row, in_funds = w.funds(row)
    row = w.goals(row)
    rows = [r for r in evaluation.indicators if r.id != in_funds]
    header = w.indicators(row, rows)
    end = w.total(header + 1 + len(rows))
    w.pages(header, header + 1, end, rows)
    _carry(w, indicator_set, actuals)
    return w.finish(header)


def _carry(w: _Writer, indicator_set: IndicatorSet, actuals: Actuals | None) -> None:
    """The hidden sheet: the set and actuals as YAML, and which row shows which indicator."""
    from kpi_engine.loading import dump_yaml  # noqa: PLC0415 - the writer's only YAML use

    f = w.f
    columns = {
        "target": f.target,
        "actual": f.actual,
        "weight": f.weight,
        "score": f.score,
        "reason": f.reason,
    }
    shown: dict[str, dict[str, str | None]] = {}
    for at, indicator in w.rows.items():
        values = {k: f.ws.cell(row=at, column=c).value for k, c in columns.items()}
        written: dict[str, str | None] = {"id": indicator}
        written |= {k: None if v is None else str(v) for k, v in values.items()}
        shown[str(at)] = written
    tracked = {(at, c) for at in w.rows for c in columns.values()}
    cells: dict[str, str | None] = {}
    for line in f.ws.iter_rows(min_row=1, max_row=f.ws.max_row, max_col=f.last):
        for c in line:
            if isinstance(c, Cell) and (c.row, c.column) not in tracked:
                cells[c.coordinate] = None if c.value is None else str(c.value)
    sections: dict[str, Any] = {
        "columns": columns,
        "rows": shown,
        "cells": cells,
        "links": w.links,
        "set": _plain(indicator_set.model_dump(exclude_unset=True)),
    }
    if actuals is not None:
        sections["actuals"] = _plain(actuals.model_dump(exclude_unset=True))
    else:
        sections["actuals"] = _recovered(indicator_set, w.e)
    write_data_sheet(w.wb, DATA_SHEET, dump_yaml(sections).splitlines())


def _recovered(indicator_set: IndicatorSet, e: Evaluation) -> dict[str, Any]:
    """Actuals as far as the evaluation shows them, for a table written without its actuals:
    the inputs' values and each row's actual, tier, score, reason and source."""
    computed = {leaf.id for leaf in _leaves(indicator_set.indicators) if leaf.value is not None}
    data: dict[str, Any] = {"kpi_actuals": 1, "set": indicator_set.id}
    inputs = {n: e.values[n] for n in indicator_set.inputs if e.values.get(n) is not None}
    if inputs:
        data["inputs"] = inputs
    rows: dict[str, Any] = {}
    for r in e.indicators:
        entry: dict[str, Any] = {}
        if r.status is Status.NOT_APPLICABLE:
            entry["not_applicable"] = True
        elif r.kind == "qualitative" and r.tier is not None:
            entry["tier"] = str(r.tier)
            if r.given_score is not None:
                entry["score"] = r.given_score
        elif r.id not in computed and (r.value is not None or r.actual_text):
            entry["actual"] = r.value if r.value is not None else r.actual_text
        elif r.id in computed and r.reported_actual is not None:
            entry["actual"] = r.reported_actual
        for key in ("reported_score", "reason", "source", "last_year"):
            if getattr(r, key) is not None:
                entry[key] = getattr(r, key)
        if entry:
            rows[r.id] = entry
    if e.reported_total is not None:
        data["reported_total"] = e.reported_total
    data["indicators"] = rows
    return data


def _leaves(nodes: tuple[Any, ...]) -> list[Leaf]:
    out: list[Leaf] = []
    for node in nodes:
        out += _leaves(node.children) if isinstance(node, Group) else [node]
    return out


def _plain(value: Any) -> Any:
    """Model data as YAML can hold it: enums as their values, tuples as lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)  # a StrEnum member as its plain value
    return value


def _status_note(r: IndicatorResult, lang: Lang) -> str | None:
    if r.status is Status.OK:
        return None
    if r.problem_code == "target.missing":
        return "未设定年度指标值，未计分" if lang == "zh" else "no target: not scored"
    return r.problem if lang == "zh" else r.problem_en
