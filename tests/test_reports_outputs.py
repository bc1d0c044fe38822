"""The self-evaluation report (md/html/docx) and the xlsx score table, from the seed's set."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from kpi_engine import Engine, Evaluation, IndicatorSet, load_actuals, load_indicator_set
from kpi_engine.errors import Lang
from kpi_engine.reports.labels import prose
from kpi_engine.reports.report_document import build_report
from kpi_engine.reports.report_docx import render_report_docx
from kpi_engine.reports.report_html import render_report_html
from kpi_engine.reports.report_markdown import render_report_markdown
from kpi_engine.reports.score_table_xlsx import render_score_table

from .conftest import SETS

SEED = SETS / "gz-haizhu-amr-2023"
DEMO = SETS / "project-demo-2024"


def _load(path: Path) -> tuple[IndicatorSet, Evaluation]:
    s = load_indicator_set(path)
    return s, Engine(s).evaluate(load_actuals(path / "actuals.yaml"))


@pytest.fixture(scope="module")
def seed() -> tuple[IndicatorSet, Evaluation]:
    return _load(SEED)


def test_markdown_report_follows_the_seed_outline(seed: tuple[IndicatorSet, Evaluation]) -> None:
    """Every section of the seed report, in order."""
    md = render_report_markdown(build_report(*seed))
    headings = [
        "## 一、部门基本情况",
        "### （一）部门职能",
        "### （二）年度总体工作和重点工作任务",
        "### （三）部门整体支出绩效目标",
        "### （四）部门整体收支情况",
        "## 二、绩效自评情况",
        "### （一）自评结论",
        "### （二）履职效能分析",
        "### （三）管理效率分析",
        "## 三、存在的主要问题",
        "## 四、下一步改进措施",
        "## 附表：绩效自评表",
    ]
    positions = [md.index(h + "\n") for h in headings]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    "figure",
    [
        "663 人",
        "2.1377 万家",
        "7304 家",
        "48 家",
        "98 家",
        "29 宗",
        "855 宗",
        "1948.85 万元",
        "12.29 万件",
        "1436.62 万元",
        "4763 家",
        "3369 户",
        "150 名",
        "27 项",
        "335 宗",
        "20 万户",
        "446.95",
        "22,044.92",
    ],
)
def test_markdown_report_carries_the_seeds_key_figures(
    seed: tuple[IndicatorSet, Evaluation], figure: str
) -> None:
    """The figures the seed report gives appear in the regenerated report."""
    assert figure in render_report_markdown(build_report(*seed))


def test_markdown_report_lists_every_flag_and_its_suggestion(
    seed: tuple[IndicatorSet, Evaluation],
) -> None:
    """三、存在的主要问题 holds every flag; 四、下一步改进措施 every suggestion (as literal
    Markdown text: budget_adjusted is written budget\\_adjusted)."""
    from kpi_engine.display import markdown_text

    md = render_report_markdown(build_report(*seed))
    problems, measures = md.split("## 三、存在的主要问题", 1)[1].split("## 四、下一步改进措施", 1)
    for flag in seed[1].flags:
        assert markdown_text(flag.message) in problems
        assert markdown_text(flag.suggestion) in measures.split("## 附表")[0]


def test_markdown_outputs_keep_text_from_the_set_literal() -> None:
    """A name with a newline and #, <script>, * and |: no heading, no HTML, no table bar."""
    from kpi_engine import evaluate, parse_indicator_set
    from kpi_engine.reports import render_markdown

    name = "恶意\\n# 标题 <script>alert(1)</script> *粗* |列|"
    text = (
        "kpi_engine: 1\nid: x\ntitle: 测试\nrules: []\nindicators:\n"
        f'  - {{id: a, name: "{name}", weight: 10, target: "≥ 5"}}\n'
    )
    s = parse_indicator_set(text)
    e = evaluate(s, {"indicators": {"a": {"actual": 3}}})
    for md in (render_markdown(e), render_report_markdown(build_report(s, e))):
        assert "<script>" not in md
        assert "\n# 标题" not in md
        assert "&lt;script&gt;" in md


def test_report_states_total_grade_and_incompleteness(
    seed: tuple[IndicatorSet, Evaluation],
) -> None:
    """自评结论 gives the points scored, the range the total can lie in, the grade withheld
    (中至优) and why the total is incomplete."""
    md = render_report_markdown(build_report(*seed))
    assert "已计分的指标得 64.00 分（满分 100 分）" in md
    assert "总分在 64.00–94.00 分之间，等级待定（中至优）" in md
    assert "计分覆盖率为 70.00%" in md
    assert "收支衔接一致" in md


def test_english_report(seed: tuple[IndicatorSet, Evaluation]) -> None:
    """--lang en: English headings and messages."""
    md = render_report_markdown(build_report(*seed, lang="en"))
    assert "## 3. Main problems" in md
    assert "quantitative indicators have no target" in md


def test_english_report_names_things_in_english_wherever_the_set_does(
    seed: tuple[IndicatorSet, Evaluation],
) -> None:
    """Areas, indicator lists and flag messages use name_en; counts agree with their nouns."""
    md = render_report_markdown(build_report(*seed, lang="en"))
    assert "| Market safety | Food safety incidents (general or above) | 0 起 |" in md
    assert "1 indicator met its target." in md
    assert "1 further result has no target and is not scored." in md
    assert "2 weighted indicators lack data" in md
    assert "- Granularity of performance indicators: 报告自述" in md
    assert "indicator 'Budget execution rate' lacks data" in md
    problems = md.split("## 3. Main problems", 1)[1].split("## 4.", 1)[0]
    assert "、" not in problems  # English lists are comma-separated


def test_folded_yaml_lines_do_not_leave_spaces_between_chinese_characters() -> None:
    """A line break inside Chinese prose is not a space."""
    assert prose("管理；\n市场 监管 abc def") == "管理；市场监管 abc def"


def test_docx_reopens_with_chinese_fonts_on_the_east_asian_slot(
    seed: tuple[IndicatorSet, Evaluation],
) -> None:
    """The .docx opens with python-docx; body and headings set w:eastAsia."""
    import docx  # noqa: TID251 - tests build and read files with the library itself
    from docx.oxml.ns import qn  # noqa: TID251 - tests build and read files with the library itself

    doc = docx.Document(io.BytesIO(render_report_docx(build_report(*seed))))
    assert doc.paragraphs[0].text.startswith("2023年度广州市海珠区市场监督管理局")
    texts = "\n".join(p.text for p in doc.paragraphs)
    assert "三、存在的主要问题" in texts
    assert len(doc.tables) >= 4
    for style in ("Normal", "Heading 1", "Title"):
        fonts = doc.styles[style].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) in {"仿宋_GB2312", "黑体", "方正小标宋简体"}


def _sheet(s: IndicatorSet, e: Evaluation, lang: Lang = "zh"):  # type: ignore[no-untyped-def]
    import openpyxl  # noqa: TID251 - tests build and read files with the library itself

    return openpyxl.load_workbook(io.BytesIO(render_score_table(s, e, lang))).active


def test_english_xlsx_is_titled_in_english() -> None:
    """--lang en: the sheet, the form's name and the project row are in English."""
    s, e = _load(DEMO)
    ws = _sheet(s, e, "en")
    assert ws.title == "Score table"
    assert ws["A1"].value == "Project expenditure self-evaluation"
    assert ws["C3"].value == s.title_en


@pytest.mark.parametrize("set_dir", [SEED, DEMO], ids=["seed", "demo"])
def test_xlsx_scores_sum_to_the_total(set_dir: Path) -> None:
    """Scores in the funds block and the indicator rows are numbers and add up to the total."""
    s, e = _load(set_dir)
    ws = _sheet(s, e)
    header_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "一级指标")
    score_col = next(
        c for c in range(1, ws.max_column + 1) if ws.cell(header_row, c).value == "得分"
    )
    total_row = next(r for r in range(header_row, ws.max_row + 1) if ws.cell(r, 1).value == "总分")
    scores = [ws.cell(r, score_col).value for r in range(header_row + 1, total_row)]
    funds = [
        ws.cell(r + 1, c).value  # the 年度资金总额 row's 得分 (the 其中 rows have none)
        for r in range(1, header_row)
        for c in range(1, ws.max_column + 1)
        if ws.cell(r, c).value == "得分"
    ]
    numbers = [Decimal(str(v)) for v in [*scores, *funds] if v is not None]
    assert all(isinstance(v, int | float) for v in [*scores, *funds] if v is not None)
    assert sum(numbers) == Decimal(str(ws.cell(total_row, score_col).value))
    assert Decimal(str(ws.cell(total_row, score_col).value)) == e.total_rounded
    assert ws.cell(header_row + 1, score_col).number_format == "0.00"


def test_xlsx_has_the_funds_block_and_a_merged_tree() -> None:
    """The demo's funds block shows budgets and the execution row; groups are merged cells."""
    s, e = _load(DEMO)
    ws = _sheet(s, e)
    assert [ws.cell(5, c).value for c in (1, 4, 5, 6, 7, 8, 9)] == [
        "项目资金（万元）",
        "年初预算数",
        "全年预算数",
        "全年执行数",
        "分值",
        "执行率",
        "得分",
    ]
    assert ws.cell(6, 6).value == pytest.approx(722.38)
    target_col = next(c for c in range(1, 10) if ws.cell(12, c).value == "年度指标值")
    equals = [
        ws.cell(r, target_col)
        for r in range(13, 25)
        if str(ws.cell(r, target_col).value).startswith("=")
    ]
    assert equals, "the demo has '= …' targets"
    assert all(c.data_type == "s" for c in equals)  # text, never a formula

    # 产出指标 spans its seven leaves (its label written again where a page break cuts it)
    def anchor(row: int) -> int:
        return next((r.min_row for r in ws.merged_cells.ranges if f"B{row}" in r), row)

    assert {ws.cell(anchor(row), 2).value for row in range(13, 20)} == {"产出指标"}
    assert ws.cell(20, 2).value == "效益指标"


def test_html_is_one_self_contained_page(seed: tuple[IndicatorSet, Evaluation]) -> None:
    """No external resources: inline CSS, inline SVG, escaped text, print styles."""
    html = render_report_html(build_report(*seed))
    assert html.startswith("<!DOCTYPE html>")
    assert "<svg" in html
    assert "@media print" in html
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", html)
    assert "<script" not in html


def _chromium() -> str | None:
    return (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


PROBE = """<script>
window.addEventListener('load', () => {
  const bars = [...document.querySelectorAll('#group-chart rect.score')];
  const widths = bars.map(b => b.getBoundingClientRect().width);
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({
    bars: widths, text: document.body.innerText.includes('总分在 64.00–94.00 分之间'),
    chartHeight: document.querySelector('#group-chart svg').getBoundingClientRect().height});
  document.body.appendChild(out);
});
</script></body>"""


def test_html_renders_total_and_chart_in_a_real_browser(
    seed: tuple[IndicatorSet, Evaluation], tmp_path: Path
) -> None:
    """Headless Chromium lays out the page: the total (its range) is shown and the chart has bars."""
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium on this machine: install Debian's chromium (.ci/run does)")
    page = tmp_path / "report.html"
    page.write_text(
        render_report_html(build_report(*seed)).replace("</body>", PROBE), encoding="utf-8"
    )
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    probe = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout)
    assert probe, result.stderr[-2000:]
    import json

    data = json.loads(probe.group(1).replace("&quot;", '"'))
    assert data["text"] is True
    assert len(data["bars"]) == 2
    assert all(width > 0 for width in data["bars"])
    assert data["chartHeight"] > 50


def test_assumed_figures_are_marked_in_every_output_and_explained_under_the_table(
    seed: tuple[IndicatorSet, Evaluation],
) -> None:
    """The seed's placeholder weights and restated targets: ※ beside them in text, Markdown and
    the report, listed in JSON, and a note (plus the weights note) under every table."""
    from kpi_engine.reports import render_markdown, render_text

    s, e = seed
    text = render_text(e)
    assert "履职效能                                    50※" in text
    assert "= 0 起※" in text
    assert "※ 原报告未载明、由本指标体系设定的假设值" in text
    assert "权重说明：广东省部门整体支出绩效评价" in text
    assert "= 0 起※" in render_markdown(e)
    report = render_report_markdown(build_report(s, e))
    assert "= 0 起※" in report
    assert "※ 原报告未载明、由本指标体系设定的假设值" in report
    data = e.to_dict()
    assumed = {r["id"] for r in data["indicators"] if r.get("assumed") == ["target"]}
    assert len(assumed) == 8
    assert all(g.get("assumed") == ["weight"] for g in data["groups"])
    assert "Weights: " in render_text(e, "en")
