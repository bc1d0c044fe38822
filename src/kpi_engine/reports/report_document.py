"""The self-evaluation report as a format-neutral document, in the seed report's outline.

一、基本情况（职能、重点工作任务及其数据、绩效目标、收支情况）
二、绩效自评情况（自评结论、各一级指标分析）
三、存在的主要问题（来自问题检查，附证据）
四、下一步改进措施（来自各问题的改进建议）
附表：绩效自评表

Markdown, HTML and Word renderers walk the same blocks, so the three say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from kpi_engine.display import exact, figure, fixed, money, percent, trimmed
from kpi_engine.errors import Lang
from kpi_engine.models import IndicatorSet, InputRole
from kpi_engine.reports.labels import (
    actual_text,
    grade_text,
    name_of,
    notes_under_table,
    prose,
    row_status,
    score_cell,
    target_cell,
    total_text,
    weight_cell,
)
from kpi_engine.results import Evaluation, Flag, GroupResult, IndicatorResult, Status

__all__ = [
    "Block",
    "Bullets",
    "Chart",
    "Document",
    "Heading",
    "Paragraph",
    "PastYear",
    "Table",
    "build_report",
]


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading; level 1 is the document title."""

    level: int
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of running text."""

    text: str


@dataclass(frozen=True, slots=True)
class Bullets:
    """A list of items."""

    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A table; ``numeric`` columns are right-aligned; ``emphasis`` rows are group subtotals."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()
    emphasis: frozenset[int] = frozenset()
    merge: int = 0
    """How many leading columns hold a tree (一级/二级/三级指标): a run of equal cells down one of
    them is one merged cell in Word."""


@dataclass(frozen=True, slots=True)
class Chart:
    """Group scores against their weights (a bar chart)."""

    title: str
    bars: tuple[tuple[str, Decimal, Decimal], ...]
    """(label, weight, score) per bar."""
    weight_label: str
    score_label: str
    places: int = 2
    """Decimals of the scores shown (the set's places)."""


Block = Heading | Paragraph | Bullets | Table | Chart


@dataclass(frozen=True, slots=True)
class PastYear:
    """A stored earlier evaluation of the same unit, for the 历年对比 section."""

    year: int
    total: Decimal | None
    grade: str | None
    scores: Mapping[str, Decimal | None]
    """Score per indicator id."""


@dataclass(frozen=True, slots=True)
class Document:
    """A report: a title, a language and its blocks."""

    title: str
    lang: Lang
    blocks: tuple[Block, ...] = field(default_factory=tuple)


class _Words:
    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def __call__(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en


_NUMERALS = "一二三四五六七八九十"


def _numbered(i: int, text: str, lang: Lang) -> str:
    if lang == "zh":
        numeral = _NUMERALS[i] if i < len(_NUMERALS) else str(i + 1)
        return f"（{numeral}）{text}"
    return f"{i + 1}. {text}"


_ROLE_LABELS = {
    InputRole.BUDGET_INITIAL: ("年初预算数", "Initial budget"),
    InputRole.BUDGET_ADJUSTED: ("全年预算数", "Adjusted budget"),
    InputRole.SPENT: ("全年执行数", "Spent"),
    InputRole.CARRYOVER_START: ("年初结转和结余", "Carry-over at the start"),
    InputRole.INCOME: ("本年收入", "Income"),
    InputRole.EXPENDITURE: ("本年支出", "Expenditure"),
    InputRole.CARRYOVER_END: ("年末结转和结余", "Carry-over at the end"),
}
"""The roles the funds block lists: amounts of money only (a survey's sample size is no fund)."""


class _Builder:
    def __init__(self, s: IndicatorSet, e: Evaluation, lang: Lang) -> None:
        self.s, self.e, self.lang = s, e, lang
        self.t = _Words(lang)
        self.blocks: list[Block] = []
        self.groups = {g.id: g for g in e.groups}
        self.leaves = {r.id: r for r in e.indicators}

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    def leaves_under(self, group_id: str) -> list[IndicatorResult]:
        return [r for r in self.e.indicators if group_id in r.group_ids]

    # --- 一、基本情况 ---------------------------------------------------------------------

    def basics(self) -> None:
        t = self.t
        department = self.s.kind == "department"
        self.add(
            Heading(2, t("一、部门基本情况" if department else "一、项目基本情况", "1. Background"))
        )
        sub = 0
        if self.s.description:
            self.add(
                Heading(
                    3,
                    _numbered(
                        sub, t("部门职能" if department else "项目概况", "Mandate"), self.lang
                    ),
                )
            )
            self.add(Paragraph(prose(self.s.description)))
            sub += 1
        self.add(
            Heading(
                3,
                _numbered(
                    sub,
                    t("年度总体工作和重点工作任务", "Work of the year and key tasks"),
                    self.lang,
                ),
            )
        )
        sub += 1
        for top in self.e.top:
            self.key_tasks(top)
        if self.s.goals:
            title = t("部门整体支出绩效目标" if department else "绩效目标", "Performance goals")
            goals = self.s.goals_en if self.lang == "en" and self.s.goals_en else self.s.goals
            self.add(Heading(3, _numbered(sub, title, self.lang)), Paragraph(prose(goals)))
            sub += 1
        self.funds(sub)

    def key_tasks(self, top: str) -> None:
        t = self.t
        places = self.e.places
        if top not in self.groups:
            return
        group = self.groups[top]
        table_rows = []
        for r in self.leaves_under(top):
            if r.value is None and r.tier is None and r.actual_text is None:
                shown = "—"
            else:
                shown = actual_text(r, places, self.lang)
            area = self.groups.get(r.group_ids[1]) if len(r.group_ids) > 1 else None
            sub_group = name_of(area, self.lang) if area else ""
            source = r.source or "；".join(
                dict.fromkeys(
                    self.e.sources[u.name] for u in r.explanation.used if u.name in self.e.sources
                )
            )
            target = r.target_text or t("未设定", "none")
            table_rows.append((sub_group, name_of(r, self.lang), shown, target, source))
        if not table_rows:
            return
        self.add(
            Paragraph(t(f"{name_of(group, self.lang)}：", f"{name_of(group, self.lang)}:")),
            Table(
                (
                    t("工作领域", "Area"),
                    t("指标", "Indicator"),
                    t("实际完成", "Achieved"),
                    t("年度指标值", "Target"),
                    t("出处", "Source"),
                ),
                tuple(table_rows),
            ),
        )

    def funds(self, sub: int) -> None:
        t = self.t
        roles = {
            role: name for role, name in ((i.role, n) for n, i in self.s.inputs.items()) if role
        }
        roles |= {d.role: n for n, d in self.s.derived.items() if d.role}
        if not roles:
            return
        title = t("部门整体收支情况" if self.s.kind == "department" else "资金情况", "Funds")
        self.add(Heading(3, _numbered(sub, title, self.lang)))
        table_rows = []
        for role, (zh, en) in _ROLE_LABELS.items():
            if role in roles:
                value = self.e.values.get(roles[role])
                unit = self.unit_of(roles[role])
                table_rows.append(
                    (
                        t(zh, en),
                        money(value) if unit == "万元" else figure(value, self.e.places),
                        unit,
                    )
                )
        self.add(
            Table(
                (t("项目", "Item"), t("金额", "Amount"), t("单位", "Unit")),
                tuple(table_rows),
                frozenset({1}),
            )
        )
        get = {role: self.e.values.get(name) for role, name in roles.items()}
        start, income = get.get(InputRole.CARRYOVER_START), get.get(InputRole.INCOME)
        spent, end = get.get(InputRole.EXPENDITURE), get.get(InputRole.CARRYOVER_END)
        if None not in (start, income, spent, end):
            assert start is not None
            assert income is not None
            assert spent is not None
            assert end is not None
            balanced = not any(f.rule == "data.budget_identity" for f in self.e.flags)
            verdict = (
                t("收支衔接一致。", "The figures reconcile.")
                if balanced
                else t(
                    "收支数据不衔接，见“存在的主要问题”。",
                    "The figures do not reconcile (see problems).",
                )
            )
            self.add(
                Paragraph(
                    t(
                        f"年初结转和结余 {money(start)} 万元 + 本年收入 {money(income)} 万元"
                        f" − 本年支出 {money(spent)} 万元"
                        f" = {money(start + income - spent)} 万元，"
                        f"年末结转和结余 {money(end)} 万元。",
                        f"Start {money(start)} + income {money(income)} − expenditure "
                        f"{money(spent)} = {money(start + income - spent)}; end {money(end)}. ",
                    )
                    + verdict
                )
            )

    def unit_of(self, name: str) -> str:
        if name in self.s.inputs:
            return self.s.inputs[name].unit or ""
        return self.s.derived[name].unit or "" if name in self.s.derived else ""

    # --- 二、绩效自评情况 -----------------------------------------------------------------

    def assessment(self) -> None:
        t, e, places = self.t, self.e, self.e.places
        self.add(Heading(2, t("二、绩效自评情况", "2. Self-evaluation")))
        self.add(Heading(3, _numbered(0, t("自评结论", "Conclusion"), self.lang)))
        total = fixed(e.total, places)
        grade = grade_text(e, self.lang)
        scale = trimmed(e.scale)
        text = t(
            f"按本指标体系计算，总分 {total} 分（满分 {scale} 分），评价等级为“{grade}”。",
            f"Under this indicator set the total is {total} of {scale}; the grade is {grade}.",
        )
        if e.grade_range is not None:
            text = t(
                f"按本指标体系计算，已计分的指标得 {total} 分（满分 {scale} 分）；未计分的指标"
                f"可得 0 至满分，总分在 {total_text(e)} 分之间，{grade}。",
                f"Under this indicator set the scored rows earn {total} of {scale}; the rows not "
                f"scored could earn 0 to full marks, so the total lies in {total_text(e)}: "
                f"{grade}.",
            )
        missing = [
            r
            for r in e.indicators
            if r.status in (Status.MISSING_INPUT, Status.ERROR) and r.weight > 0
        ]
        if e.coverage < 1:
            share = percent(e.coverage, places)
            text += t(
                f"计分覆盖率为 {share}：{len(missing)} 个有分值的指标因缺少数据未能计分"
                f"（{'、'.join(name_of(r, self.lang) for r in missing)}），总分不完整。",
                f" Only {share} of the weight could be scored: "
                + (
                    "1 weighted indicator lacks"
                    if len(missing) == 1
                    else f"{len(missing)} weighted indicators lack"
                )
                + " data, so the total is incomplete.",
            )
        if e.reported_total is not None:
            gap = fixed(e.reported_total - (e.total or Decimal(0)), places)
            reported = exact(e.reported_total)
            text += t(
                f"单位自评总分 {reported} 分，与复核计算结果相差 {gap} 分。",
                f" The unit reported {reported}; the difference is {gap}.",
            )
        self.add(Paragraph(text))
        self.add(
            Chart(
                t("各一级指标得分与分值", "Scores against weights"),
                tuple(
                    (name_of(self.node(i), self.lang), self.node(i).weight, self.score_of(i))
                    for i in e.top
                ),
                t("分值", "Weight"),
                t("得分", "Score"),
                places,
            )
        )
        for i, top in enumerate(e.top, start=1):
            self.analysis(i, top)

    def node(self, node_id: str) -> GroupResult | IndicatorResult:
        return self.groups[node_id] if node_id in self.groups else self.leaves[node_id]

    def score_of(self, node_id: str) -> Decimal:
        node = self.node(node_id)
        return node.score if node.score is not None else Decimal(0)

    def analysis(self, i: int, top: str) -> None:
        t, places = self.t, self.e.places
        node = self.node(top)
        name = name_of(node, self.lang)
        self.add(Heading(3, _numbered(i, t(f"{name}分析", f"{name}"), self.lang)))
        weight = trimmed(node.weight)
        score = fixed(self.score_of(top), places)
        parts = [t(f"“{name}”满分 {weight} 分，得 {score} 分。", f"{name}: {score} of {weight}.")]
        if isinstance(node, GroupResult):
            subs = [
                f"{name_of(self.node(c), self.lang)} {fixed(self.score_of(c), places)}/"
                f"{trimmed(self.node(c).weight)}"
                for c in node.children
                if c in self.groups
            ]
            if subs:
                parts.append(
                    t("其中：" + "；".join(subs) + "。", " Of which: " + "; ".join(subs) + ".")
                )
        leaves = self.leaves_under(top) if isinstance(node, GroupResult) else [self.leaves[top]]
        met = [r for r in leaves if r.status is Status.OK and r.met and r.weight > 0]
        missed = [r for r in leaves if r.status is Status.OK and r.met is False and r.weight > 0]
        lacking = [
            r for r in leaves if r.status in (Status.MISSING_INPUT, Status.ERROR) and r.weight > 0
        ]
        untargeted = [r for r in leaves if r.problem_code == "target.missing"]

        def names(results: list[IndicatorResult]) -> str:
            return t("、", ", ").join(name_of(r, self.lang) for r in results)

        if met:
            parts.append(
                t(
                    f"达到目标的指标 {len(met)} 个。",
                    " 1 indicator met its target."
                    if len(met) == 1
                    else f" {len(met)} indicators met their targets.",
                )
            )
        if missed:
            parts.append(t(f"未达到目标：{names(missed)}。", f" Missed: {names(missed)}."))
        if lacking:
            parts.append(
                t(
                    f"缺少数据未能计分：{names(lacking)}。",
                    f" Not scored for lack of data: {names(lacking)}.",
                )
            )
        if untargeted:
            parts.append(
                t(
                    f"另有 {len(untargeted)} 项工作成果只有完成数、没有年度指标值，未纳入计分。",
                    " 1 further result has no target and is not scored."
                    if len(untargeted) == 1
                    else f" {len(untargeted)} further results have no target and are not scored.",
                )
            )
        reasons = [f"{name_of(r, self.lang)}{t('：', ': ')}{r.reason}" for r in leaves if r.reason]
        self.add(Paragraph("".join(parts)))
        if reasons:
            self.add(Bullets(tuple(reasons)))

    # --- 三、四 ---------------------------------------------------------------------------

    def problems(self) -> None:
        t = self.t
        by_problem = _by_problem(self.e.flags, self.lang)
        self.add(Heading(2, t("三、存在的主要问题", "3. Main problems")))
        if not by_problem:
            self.add(Paragraph(t("未发现问题。", "No problems were found.")))
        for i, (problem, flags) in enumerate(by_problem):
            self.add(Heading(3, _numbered(i, problem, self.lang)))
            self.add(Bullets(tuple(f.text(self.lang) for f in flags)))
        self.add(Heading(2, t("四、下一步改进措施", "4. Next steps")))
        if not by_problem:
            self.add(Paragraph(t("继续保持。", "Keep up the good work.")))
        for i, (problem, flags) in enumerate(by_problem):
            texts = ((f.suggestion if self.lang == "zh" else f.suggestion_en) for f in flags)
            suggestions = tuple(text for text in dict.fromkeys(texts) if text)
            if suggestions:
                self.add(Heading(3, _numbered(i, problem, self.lang)), Bullets(suggestions))

    def appendix(self) -> None:
        t, places, e = self.t, self.e.places, self.e
        self.add(Heading(2, t("附表：绩效自评表", "Annex: score table")))
        depth = max((len(r.path) + 1 for r in e.indicators), default=1)
        levels = tuple(
            t(f"{_NUMERALS[i]}级指标", f"Level {i + 1}") if depth > 1 else t("指标", "Indicator")
            for i in range(depth)
        )
        header = (
            *levels,
            t("分值", "Weight"),
            t("年度指标值", "Target"),
            t("实际完成值", "Actual"),
            t("自评得分", "Reported"),
            t("得分", "Score"),
            t("偏差原因分析及改进措施", "Reasons for deviation"),
        )
        body: list[tuple[str, ...]] = []
        for r in e.indicators:
            names = [
                name_of(self.groups[g], self.lang) if g in self.groups else "" for g in r.group_ids
            ]
            tree = (*names, name_of(r, self.lang), *[""] * (depth - len(names) - 1))
            note = r.reason or (row_status(r, self.lang) if r.status is not Status.OK else "")
            body.append(
                (
                    *tree,
                    weight_cell(r),
                    target_cell(r),
                    actual_text(r, places, self.lang),
                    exact(r.reported_score) or "",
                    score_cell(r, places),
                    note,
                )
            )
        total = total_text(e) if e.total is not None else ""
        grade = grade_text(e, self.lang) if e.total is not None else ""
        reported = exact(e.reported_total) or ""
        label = (t("合计", "Total"), *[""] * (depth - 1))
        body.append((*label, trimmed(e.scale), "", "", reported, total, grade))
        numeric = frozenset({depth, depth + 3, depth + 4})
        self.add(Table(header, tuple(body), numeric, frozenset({len(body) - 1}), depth))
        for note in notes_under_table(e, self.lang):
            self.add(Paragraph(note))


def _years(b: _Builder, past: Sequence[PastYear], year: int, resolved: Sequence[str]) -> None:
    """历年对比: total, grade and each indicator's score over the stored years and this one;
    last year's problems not raised again."""
    t, e, places = b.t, b.e, b.e.places
    this = PastYear(year, e.total_rounded, e.grade.label if e.grade else None, {})
    years = [p for p in past if p.year < year] + [this]
    b.add(Heading(2, t("五、历年对比", "5. Year over year")))
    header = (t("项目", "Item"), *(str(p.year) for p in years))
    body: list[tuple[str, ...]] = [
        (t("总分", "Total"), *(fixed(p.total, places, none="—") for p in years)),
        (t("等级", "Grade"), *((p.grade or "—") for p in years)),
    ]
    for r in e.indicators:
        shown = [fixed(p.scores.get(r.id), places, none="—") for p in years[:-1]]
        body.append((name_of(r, b.lang), *shown, fixed(r.score, places, none="—")))
    columns = frozenset(range(1, len(years) + 1))
    b.add(Table(header, tuple(body), columns, frozenset({0, 1})))
    bars = tuple((str(p.year), e.scale, p.total) for p in years if p.total is not None)
    if len(bars) > 1:
        b.add(
            Chart(
                t("历年总分", "Total by year"),
                bars,
                t("满分", "Full marks"),
                t("总分", "Total"),
                places,
            )
        )
    if len(years) == 1:
        b.add(Paragraph(t("历史库中没有此前年度的评价。", "The store holds no earlier year.")))
    if resolved:
        b.add(Paragraph(t("上年问题已整改：", "Last year's problems resolved:")))
        b.add(Bullets(tuple(resolved)))


def _by_problem(flags: tuple[Flag, ...], lang: Lang) -> list[tuple[str, list[Flag]]]:
    grouped: dict[str, list[Flag]] = {}
    for flag in flags:
        heading = (flag.problem if lang == "zh" else flag.problem_en) or (
            "数据问题" if lang == "zh" else "Data problems"
        )
        grouped.setdefault(heading, []).append(flag)
    return list(grouped.items())


def build_report(
    indicator_set: IndicatorSet,
    evaluation: Evaluation,
    lang: Lang = "zh",
    *,
    past: Sequence[PastYear] | None = None,
    year: int | None = None,
    resolved: Sequence[str] = (),
) -> Document:
    """The self-evaluation report of ``evaluation`` (of ``indicator_set``) as blocks; with
    ``past`` (earlier years from the history store) a 历年对比 section for ``year`` too, listing
    ``resolved``: last year's problems not raised again."""
    b = _Builder(indicator_set, evaluation, lang)
    title = evaluation.title if lang == "zh" or not evaluation.title_en else evaluation.title_en
    if lang == "zh" and not title.endswith("报告"):
        title += "报告"
    b.add(Heading(1, title))
    if indicator_set.organization:
        b.add(Paragraph(indicator_set.organization))
    b.basics()
    b.assessment()
    b.problems()
    if past is not None:
        _years(b, past, year or indicator_set.year or 0, resolved)
    b.appendix()
    return Document(title, lang, tuple(b.blocks))
