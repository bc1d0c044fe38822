"""The 绩效自评表 (score table) as an .xlsx workbook, laid out as finance bureaus exchange it.

Funds block on top (年初预算数 / 全年预算数 / 全年执行数 / 分值 / 执行率 / 得分, where the set has
them), then 一级/二级/三级指标 with merged cells for the tree, 年度指标值, 实际完成值, 分值, 得分
and 偏差原因分析及改进措施, then the total and the grade. Numbers are stored as numbers with
two-decimal formats. Needs the ``reports`` extra (openpyxl).
"""

from __future__ import annotations

from decimal import Decimal

from kpi_engine.display import percent, printable
from kpi_engine.errors import Lang
from kpi_engine.functions import quantize_half_up
from kpi_engine.methods import METHODS
from kpi_engine.models import IndicatorSet, InputRole, Method
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
    get_column_letter,
    new_workbook,
    workbook_bytes,
)

__all__ = ["render_score_table"]

_LEVELS = "一二三四五六七八九"
_TWO = "0.00"


def _levels(evaluation: Evaluation) -> int:
    return max((len(r.path) + 1 for r in evaluation.indicators), default=1)


def _num(value: Decimal | None, places: int) -> Decimal | None:
    return None if value is None else quantize_half_up(value, places)


class _Sheet:
    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        side = Side(style="thin", color="808080")
        self.border = Border(left=side, right=side, top=side, bottom=side)
        self.head_fill = PatternFill("solid", fgColor="DCE6F1")
        self.font = Font(name="宋体", size=11)
        self.bold = Font(name="黑体", size=11, bold=True)

    def cell(
        self,
        row: int,
        col: int,
        value: Decimal | str | None,
        *,
        head: bool = False,
        fmt: str | None = None,
        wrap: bool = False,
        align: str | None = None,
    ) -> Cell:
        shown = printable(value) if isinstance(value, str) else value
        c = self.ws.cell(row=row, column=col, value=shown)
        if isinstance(value, str):
            c.data_type = "s"  # text such as "= 0 起" is a target, never a formula
        c.border = self.border
        c.font = self.bold if head else self.font
        if head:
            c.fill = self.head_fill
        if fmt:
            c.number_format = fmt
        c.alignment = Alignment(
            wrap_text=wrap or head,
            vertical="center",
            horizontal=align or ("center" if head else None),
        )
        return c

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        if (r1, c1) != (r2, c2):
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    self.ws.cell(row=r, column=c).border = self.border
            self.ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)


def _unit_format(unit: str | None, value: Decimal) -> str:
    exponent = value.as_tuple().exponent
    base = "0.00" if isinstance(exponent, int) and exponent < -4 else "General"
    if not unit:
        return base
    escaped = unit.replace('"', "")
    return f'{base}"{escaped}"' if unit == "%" else f'{base}" {escaped}"'


class _Writer:
    def __init__(self, indicator_set: IndicatorSet, evaluation: Evaluation, lang: Lang) -> None:
        self.s, self.e, self.lang = indicator_set, evaluation, lang
        self.wb, self.ws = new_workbook()
        self.sheet = _Sheet(self.ws)
        self.levels = _levels(evaluation)
        self.places = evaluation.places

    def t(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def title(self) -> None:
        ws = self.ws
        ws.title = self.t("绩效自评表", "Score table")
        text = (self.lang == "en" and self.e.title_en) or self.e.title
        title = ws.cell(row=1, column=1, value=text)
        title.data_type = "s"
        title.font = Font(name="黑体", size=14, bold=True)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=self.levels + 5)
        ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
        year = f"{self.s.year}" if self.s.year else ""
        meta = " ".join(x for x in (self.s.organization, year) if x)
        if meta:
            ws.cell(row=2, column=1, value=meta).data_type = "s"

    def funds(self, row: int) -> tuple[int, set[str]]:
        """The funds block; returns the next free row and the leaves it shows."""
        t, sheet = self.t, self.sheet
        execution = [
            r for r in self.e.indicators if r.method and METHODS[Method(r.method)].execution
        ]
        roles = {i.role: n for n, i in self.s.inputs.items() if i.role}
        roles |= {d.role: n for n, d in self.s.derived.items() if d.role}
        money = [
            (role, label)
            for role, label in (
                (InputRole.BUDGET_INITIAL, t("年初预算数", "Initial budget")),
                (InputRole.BUDGET_ADJUSTED, t("全年预算数", "Adjusted budget")),
                (InputRole.SPENT, t("全年执行数", "Spent")),
            )
            if role in roles
        ]
        if not money and not execution:
            return row, set()
        head = [t("项目资金（万元）", "Funds (10k yuan)")] + [label for _, label in money]
        if execution:
            head += [t("分值", "Weight"), t("执行率", "Rate"), t("得分", "Score")]
        for c, text in enumerate(head, start=1):
            sheet.cell(row, c, text, head=True)
        sheet.cell(row + 1, 1, t("年度资金总额", "Total funds"))
        for c, (role, _) in enumerate(money, start=2):
            sheet.cell(row + 1, c, _num(self.e.values.get(roles[role]), 2), fmt="#,##0.00")
        shown: set[str] = set()
        if execution:
            r = execution[0]
            shown.add(r.id)
            c = len(money) + 2
            sheet.cell(row + 1, c, r.weight, fmt=_TWO)
            rate = None if r.value is None else r.value / 100
            sheet.cell(row + 1, c + 1, _num(rate, 4), fmt="0.00%")
            sheet.cell(row + 1, c + 2, _num(r.score, self.places), fmt=_TWO)
        return row + 3, shown

    def indicators(self, row: int, rows: list[IndicatorResult]) -> int:
        """Header and one line per leaf; returns the first data row."""
        t, sheet, levels = self.t, self.sheet, self.levels
        header = [
            f"{_LEVELS[i]}级指标" if self.lang == "zh" else f"Level {i + 1}" for i in range(levels)
        ]
        header += [
            t("年度指标值", "Target"),
            t("实际完成值", "Actual"),
            t("分值", "Weight"),
            t("得分", "Score"),
            t("偏差原因分析及改进措施", "Reasons for deviation and measures"),
        ]
        for c, text in enumerate(header, start=1):
            sheet.cell(row, c, text, head=True)
        first = row + 1
        for at, r in enumerate(rows, start=first):
            for level, name in enumerate(r.path):
                sheet.cell(at, level + 1, name, wrap=True)
            sheet.cell(at, len(r.path) + 1, r.name, wrap=True)
            for level in range(len(r.path) + 1, levels):
                sheet.cell(at, level + 1, None)
            sheet.merge(at, len(r.path) + 1, at, levels)
            sheet.cell(at, levels + 1, target_cell(r), wrap=True)  # ※ when assumed
            _actual(sheet, at, levels + 2, r)
            sheet.cell(at, levels + 3, r.weight, fmt=_TWO)
            sheet.cell(at, levels + 4, _num(r.score, self.places), fmt=_TWO)
            sheet.cell(at, levels + 5, r.reason or _status_note(r, self.lang), wrap=True)
        return first

    def tree(self, first: int, rows: list[IndicatorResult]) -> None:
        """Merge runs of the same group down each level column."""
        for level in range(self.levels - 1):
            start = 0
            for i in range(1, len(rows) + 1):
                head = rows[start].group_ids
                same = (
                    i < len(rows)
                    and len(rows[i].group_ids) > level
                    and len(head) > level
                    and rows[i].group_ids[level] == head[level]
                )
                if not same:
                    if len(head) > level:
                        self.sheet.merge(first + start, level + 1, first + i - 1, level + 1)
                    start = i

    def total(self, row: int) -> None:
        t, sheet, levels, e = self.t, self.sheet, self.levels, self.e
        sheet.cell(row, 1, t("总分", "Total"), head=True)
        sheet.merge(row, 1, row, levels + 2)
        sheet.cell(row, levels + 3, e.scale, head=True, fmt=_TWO)
        sheet.cell(row, levels + 4, _num(e.total, self.places), head=True, fmt=_TWO)
        grade = grade_text(e, self.lang) if e.total is not None else ""
        if e.grade_range is None:  # "等级待定（中至优）" already names what it is
            grade = t(f"等级：{grade}", f"Grade: {grade}")
        sheet.cell(row, levels + 5, grade, head=True)
        if e.coverage < 1:
            share = percent(e.coverage, 2)
            between = total_text(e)
            note = t(
                f"注：计分覆盖率 {share}，缺少数据的指标未计分，总分不完整"
                f"（可能在 {between} 之间）。",
                f"Note: only {share} of the weight was scored; the total could lie in {between}.",
            )
            self.ws.cell(row=row + 1, column=1, value=note).data_type = "s"
            row += 1
        for extra in notes_under_table(e, self.lang):
            # Numbers stay numbers in their cells: what is assumed is said under the table.
            row += 1
            self.ws.cell(row=row, column=1, value=extra).data_type = "s"

    def finish(self, first: int) -> bytes:
        ws = self.ws
        widths = [14] * self.levels + [18, 16, 8, 8, 40]
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        # Spreadsheet programs do not grow rows for wrapped text on their own: estimate lines.
        for at, row in enumerate(ws.iter_rows(min_row=first - 1), start=first - 1):
            lines = 1
            for c in row:
                if isinstance(c.value, str) and c.column <= len(widths):
                    per_line = max(1, int(widths[c.column - 1] * 0.9))
                    lines = max(lines, -(-display_width(c.value) // per_line))
            ws.row_dimensions[at].height = 15 * lines + 3
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToHeight = 0
        ws.freeze_panes = f"A{first}"
        ws.print_title_rows = f"{first - 1}:{first - 1}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        return workbook_bytes(self.wb)


def render_score_table(
    indicator_set: IndicatorSet, evaluation: Evaluation, lang: Lang = "zh"
) -> bytes:
    """The score table as .xlsx bytes."""
    w = _Writer(indicator_set, evaluation, lang)
    w.title()
    row, in_funds = w.funds(4)
    rows = [r for r in evaluation.indicators if r.id not in in_funds]
    first = w.indicators(row, rows)
    w.tree(first, rows)
    w.total(first + len(rows))
    return w.finish(first)


def _actual(sheet: _Sheet, row: int, col: int, r: IndicatorResult) -> None:
    if r.value is not None:
        sheet.cell(row, col, r.value, fmt=_unit_format(r.unit, r.value), align="right")
    elif r.tier is not None and r.kind == "qualitative":
        from kpi_engine.models import Tier  # noqa: PLC0415

        sheet.cell(row, col, Tier(r.tier).label)
    else:
        sheet.cell(row, col, r.actual_text or None)


def _status_note(r: IndicatorResult, lang: Lang) -> str | None:
    if r.status is Status.OK:
        return None
    if r.problem_code == "target.missing":
        return "未设定年度指标值，未计分" if lang == "zh" else "no target: not scored"
    return r.problem if lang == "zh" else r.problem_en
