"""The forms of the budget year before the self-evaluation, as .xlsx: the 绩效目标申报表 with its
审核意见 column (``kpi table --form declare``) and the 项目支出绩效目标执行监控表
(``kpi table --form monitor``). One plain bordered grid each, A4 landscape, every text cell a
string (a target such as ``= 0 起`` is never a formula)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from kpi_engine.declaration import Declaration
from kpi_engine.display import percent, printable
from kpi_engine.errors import Lang
from kpi_engine.functions import quantize_half_up
from kpi_engine.models import Group, IndicatorSet, Leaf, Node
from kpi_engine.monitoring import CAUSES, Monitoring
from kpi_engine.workbooks import (
    Alignment,
    Border,
    Font,
    PageSetupProperties,
    Side,
    get_column_letter,
    new_workbook,
    workbook_bytes,
)

__all__ = ["Cell", "grid_form", "render_declare_form", "render_monitor_form", "tree_rows"]

Cell = str | Decimal | None


def tree_rows(
    nodes: tuple[Node, ...], lang: Lang = "zh", path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], Leaf]]:
    """Each leaf with the names of the groups above it (in ``lang``), in tree order."""
    rows: list[tuple[tuple[str, ...], Leaf]] = []
    for node in nodes:
        if isinstance(node, Group):
            name = (lang == "en" and node.name_en) or node.name
            rows += tree_rows(node.children, lang, (*path, name))
        else:
            rows.append((path, node))
    return rows


def grid_form(
    title: str,
    info: Sequence[tuple[str, Cell]],
    head: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    widths: Sequence[int],
    sheet: str,
) -> bytes:
    """A titled form: label/value lines across the sheet, then a bordered table."""
    book, ws = new_workbook()
    ws.title = sheet
    last = len(head)
    side = Side(style="thin", color="000000")
    border = Border(left=side, right=side, top=side, bottom=side)
    font, bold = Font(name="宋体", size=10), Font(name="黑体", size=10)

    def put(r: int, c: int, value: Cell, *, strong: bool = False) -> None:
        cell = ws.cell(row=r, column=c, value=printable(value) if isinstance(value, str) else value)
        if isinstance(value, str):
            cell.data_type = "s"
        cell.border, cell.font = border, bold if strong else font
        cell.alignment = Alignment(wrap_text=True, vertical="center")

    ws.cell(row=1, column=1, value=title).font = Font(name="方正小标宋简体", size=16)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    row = 2
    for label, value in info:
        put(row, 1, label, strong=True)
        put(row, 2, value)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=last)
        row += 1
    for c, text in enumerate(head, start=1):
        put(row, c, text, strong=True)
    ws.print_title_rows = f"{row}:{row}"
    for values in rows:
        row += 1
        for c, value in enumerate(values, start=1):
            put(row, c, value)
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    footer = ws.oddFooter
    if footer is not None and footer.center is not None:  # openpyxl always makes them
        footer.center.text = "&P / &N"
    return workbook_bytes(book)


def render_declare_form(
    indicator_set: IndicatorSet, review: Declaration, lang: Lang = "zh"
) -> bytes:
    """The 绩效目标申报表: each row's target, 取值依据 and tags, and the reviewer's 审核意见."""

    def t(zh: str, en: str) -> str:
        return zh if lang == "zh" else en

    s = indicator_set
    info: list[tuple[str, Cell]] = [
        (t("项目名称", "Project"), (lang == "en" and s.title_en) or s.project or s.title),
        (t("主管部门", "Supervisor"), s.supervisor),
        (t("实施单位", "Implementer"), s.organization),
        (t("申请资金（万元）", "Funds requested (10k yuan)"), s.funds_requested),
        (t("年度绩效目标", "Goals of the year"), s.goals),
    ]
    head = [
        t("一级指标", "Level 1"),
        t("二级指标", "Level 2"),
        t("三级指标", "Indicator"),
        t("指标值", "Target"),
        t("取值依据", "Basis"),
        t("指标标签", "Tags"),
        t("审核意见", "Verdict"),
        t("意见说明", "Reasons"),
    ]
    rows: list[list[Cell]] = []
    for path, leaf in tree_rows(s.indicators, lang):
        verdict = review.rows[leaf.id]
        basis = leaf.basis
        basis_text = (
            "" if basis is None else (basis.label if lang == "zh" else basis.standard)
        ) + (f"：{basis.note}" if basis is not None and basis.note else "")
        tags = "、".join(tag.label if lang == "zh" else tag.value for tag in leaf.tags)
        name = (lang == "en" and leaf.name_en) or leaf.name
        rows.append(
            [
                path[0] if path else "",
                path[1] if len(path) > 1 else "",
                name,
                str(leaf.target) if leaf.target is not None else "",
                basis_text,
                tags,
                verdict.verdict.label(lang),
                verdict.reasons(lang),
            ]
        )
    overall = review.overall
    rows.append(
        [
            t("总体审核意见", "Overall"),
            "",
            "",
            "",
            "",
            "",
            overall.verdict.label(lang),
            overall.reasons(lang),
        ]
    )
    department = s.kind == "department"
    title = (
        t("部门整体绩效目标申报表", "Department performance targets declared")
        if department
        else t("项目支出绩效目标申报表", "Project performance targets declared")
    )
    if s.year:
        title += t(f"（{s.year}年度）", f" ({s.year})")
    return grid_form(
        title, info, head, rows, [12, 12, 20, 16, 24, 10, 12, 48], t("申报表", "Declaration")
    )


def _two(value: Decimal | None) -> Decimal | None:
    return None if value is None else quantize_half_up(value, 2)


def render_monitor_form(
    indicator_set: IndicatorSet, monitoring: Monitoring, lang: Lang = "zh"
) -> bytes:
    """The 项目支出绩效目标执行监控表: 年度指标值, 1–N 月执行情况, 全年预计完成情况, 偏差原因分析,
    完成目标可能性, 备注 — after the funds (年度预算, 1–N 月执行数, 执行率, 序时进度)."""

    def t(zh: str, en: str) -> str:
        return zh if lang == "zh" else en

    s, m = indicator_set, monitoring
    month = m.as_of.month
    info: list[tuple[str, Cell]] = [
        (t("项目名称", "Project"), (lang == "en" and s.title_en) or s.project or s.title),
        (t("主管部门", "Supervisor"), s.supervisor),
        (t("实施单位", "Implementer"), s.organization),
        (t("全年预算数（万元）", "Budget (10k yuan)"), m.budget),
        (t(f"1–{month}月执行数（万元）", f"Spent Jan–{month} (10k yuan)"), m.spent),
        (
            t("预算执行率", "Execution"),
            percent(m.execution, 2) if m.execution is not None else None,
        ),
        (t("序时进度", "Time elapsed"), percent(m.time_progress, 2)),
        (
            t("资金执行偏差", "Funds deviation"),
            m.funds_deviation.label(lang) if m.funds_deviation else None,
        ),
    ]
    head = [
        t("一级指标", "Level 1"),
        t("二级指标", "Level 2"),
        t("三级指标", "Indicator"),
        t("年度指标值", "Target"),
        t(f"1–{month}月执行情况", f"Jan–{month}"),
        t("全年预计完成情况", "Projected for the year"),
        t("偏差程度", "Deviation"),
        t("偏差原因分析", "Cause of the deviation"),
        t("完成目标可能性", "Likelihood"),
        t("备注", "Notes"),
    ]
    causes = {v: k for k, v in CAUSES.items()}
    by_id = {row.id: row for row in m.rows}
    rows: list[list[Cell]] = []
    for path, leaf in tree_rows(s.indicators, lang):
        row = by_id[leaf.id]
        cause = (causes[row.cause] if lang == "zh" else row.cause) if row.cause else ""
        analysis = "；".join(
            x
            for x in (
                cause,
                row.reason or "",
                (t("纠偏措施：", "measure: ") + row.measure) if row.measure else "",
            )
            if x
        )
        rows.append(
            [
                path[0] if path else "",
                path[1] if len(path) > 1 else "",
                (lang == "en" and leaf.name_en) or leaf.name,
                row.target,
                _two(row.to_date),
                _two(row.projected),
                row.deviation.label(lang) if row.deviation else "",
                analysis,
                row.likelihood.label(lang) if row.likelihood else "",
                row.note or "",
            ]
        )
    title = (
        t("部门整体绩效目标执行监控表", "Monitoring of department performance targets")
        if indicator_set.kind == "department"
        else t("项目支出绩效目标执行监控表", "Monitoring of project performance targets")
    )
    title += t(f"（截至{m.as_of.isoformat()}）", f" (as of {m.as_of.isoformat()})")
    widths = [12, 12, 20, 14, 12, 14, 10, 36, 12, 16]
    return grid_form(title, info, head, rows, widths, t("监控表", "Monitoring"))
