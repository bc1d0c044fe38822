"""The HTML report never clips or splits what it shows: the chart's text inside the picture and
clear of the bars, table cells that do not overflow, figures with units and words kept whole.

Unit tests check the pieces; the browser test lays the real reports out in headless Chromium in
both languages and measures every text box against its container.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal as D
from pathlib import Path

import pytest

from kpi_engine import Engine, load_actuals, load_indicator_set
from kpi_engine.errors import Lang
from kpi_engine.reports.report_document import Chart, build_report
from kpi_engine.reports.report_html import _cell, render_report_html, svg_chart, text_width

from .conftest import SETS

LONG_ZH = "部门预决算信息及“三公”经费公开的及时性、完整性与规范性"
LONG_EN = "Timeliness, completeness and consistency of published budgets and final accounts"


def _chart(labels: list[str]) -> Chart:
    bars = tuple((label, D(50), D("37.5")) for label in labels)
    return Chart("各一级指标得分与分值", bars, "分值", "得分")


def _numbers(svg: str, attribute: str) -> list[float]:
    return [float(x) for x in re.findall(rf'{attribute}="([\d.]+)"', svg)]


def test_chart_label_column_grows_with_its_longest_label() -> None:
    """A longer label moves the bars right by at least the extra width of its text."""
    short = svg_chart(_chart(["产出", "效益"]))
    long = svg_chart(_chart(["产出", "Management efficiency"]))
    bar_x = [float(re.search(r'class="weight" x="([\d.]+)"', s).group(1)) for s in (short, long)]  # type: ignore[union-attr]
    grown = text_width("Management efficiency", 14) - text_width("产出", 14)
    assert bar_x[1] - bar_x[0] >= grown - 1  # pixel positions are rounded


def test_chart_wraps_a_very_long_label_into_lines_that_fit_the_column() -> None:
    """Past the column limit a label wraps (at spaces in English), each line within the limit."""
    svg = svg_chart(_chart([LONG_EN, LONG_ZH]))
    lines = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)
    assert len(lines) > 2
    assert all(text_width(line, 14) <= 300 for line in lines)
    assert "".join(x for x in lines if not x.isascii()) == LONG_ZH
    assert " ".join(x for x in lines if x.isascii()) == LONG_EN


def test_chart_is_as_wide_as_its_widest_figure() -> None:
    """The picture reaches past the full bar's figure, so '37.50 / 50' is never cut off."""
    svg = svg_chart(_chart(["产出"]))
    width = float(re.search(r'<svg[^>]* width="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    figure_x = float(re.search(r'class="figure" x="([\d.]+)"', svg).group(1))  # type: ignore[union-attr]
    assert width >= figure_x + text_width("37.50 / 50", 13)


def test_chart_title_is_escaped_in_its_attribute() -> None:
    """A quote in the title cannot end the aria-label attribute."""
    chart = Chart('a "quoted" <title>', (("x", D(1), D(1)),), "w", "s")
    assert 'aria-label="a &quot;quoted&quot; &lt;title&gt;"' in svg_chart(chart)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("2.1377 万家", ["2.1377 万家"]),
        ("全区各级包保干部 663 人", ["663 人"]),
        ("完成率不低于 ≥ 98.50% 以上的水平", ["≥ 98.50%"]),
        ("达成", ["达成"]),
    ],
)
def test_a_figure_and_its_unit_stay_on_one_line(text: str, kept: list[str]) -> None:
    """Figures with their sign and unit, and short cells, are wrapped in a no-wrap span."""
    assert re.findall(r'<span class="nb">([^<]*)</span>', str(_cell(text))) == kept


def test_table_cells_are_escaped() -> None:
    """Cell text is escaped whether or not it holds figures."""
    html = str(_cell("<b>1 个</b> and a long tail of words"))
    assert "<b>" not in html
    assert re.sub("</?span[^>]*>", "", html) == "&lt;b&gt;1 个&lt;/b&gt; and a long tail of words"


def _chromium() -> str | None:
    return (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


# Collects every place where text does not fit: an SVG text outside its picture or over the bars,
# a cell whose content is wider than the cell, a no-wrap span or a word laid on two lines, and a
# page wider than the window.
PROBE = r"""<script>
window.addEventListener('load', () => {
  const bad = [];
  try {
  const inside = (r, box) => r.left >= box.left - 0.5 && r.right <= box.right + 0.5
                          && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
  for (const svg of document.querySelectorAll('figure svg')) {
    const box = svg.getBoundingClientRect();
    const bars = [...svg.querySelectorAll('rect.weight')].map(b => b.getBoundingClientRect());
    const barLeft = Math.min(...bars.map(b => b.left));
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (!inside(r, box)) bad.push('chart text outside the picture: ' + t.textContent);
      if (t.classList.contains('label') && r.right > barLeft + 0.5)
        bad.push('chart label runs into its bar: ' + t.textContent);
    }
  }
  const lines = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start); range.setEnd(node, end);
    return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
  };
  for (const cell of document.querySelectorAll('th, td')) {
    if (cell.scrollWidth > cell.clientWidth + 1) bad.push('cell overflows: ' + cell.textContent);
    for (const span of cell.querySelectorAll('.nb'))
      if (span.firstChild && lines(span.firstChild, 0, span.firstChild.length) > 1)
        bad.push('figure split across lines: ' + span.textContent);
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      // Letters only: a break after the hyphen of anti-counterfeiting is a line break a
      // typesetter makes too, not a word split.
      for (const m of node.data.matchAll(/[A-Za-z][A-Za-z']*/g))
        if (lines(node, m.index, m.index + m[0].length) > 1)
          bad.push('word split across lines: ' + m[0] + ' in ' + cell.textContent);
    }
    if (cell.tagName === 'TH' && cell.firstChild && lines(cell.firstChild, 0, cell.firstChild.length) > 1
        && !/\s/.test(cell.textContent))
      bad.push('heading split across lines: ' + cell.textContent);
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    bad.push('page wider than the window: ' + document.documentElement.scrollWidth);
  } catch (error) { bad.push('probe failed: ' + error); }
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({
    bad, texts: document.querySelectorAll('figure svg text').length,
    cells: document.querySelectorAll('td').length});
  document.body.appendChild(out);
});
</script></body>"""


def _laid_out(browser: str, html: str, folder: Path, width: int) -> dict[str, object]:
    folder.mkdir()
    page = folder / "report.html"
    page.write_text(html.replace("</body>", PROBE), encoding="utf-8")
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
            "--hide-scrollbars",
            f"--window-size={width},1000",
            f"--user-data-dir={folder / 'profile'}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    probe = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.S)
    assert probe, result.stderr[-2000:]
    data: dict[str, object] = json.loads(
        probe.group(1)
        .replace("&quot;", '"')
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )
    return data


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    ("name", "width"), [("gz-haizhu-amr-2023", 800), ("project-demo-2024", 1000)]
)
def test_report_text_fits_its_boxes_in_a_real_browser(
    lang: Lang, name: str, width: int, tmp_path: Path
) -> None:
    """Headless Chromium lays out the report: no chart text clipped or over a bar, no cell
    overflowing, no figure with its unit or English word split across lines, no page wider than
    the window."""
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium on this machine: install Debian's chromium (.ci/run does)")
    s = load_indicator_set(SETS / name)
    e = Engine(s).evaluate(load_actuals(SETS / name / "actuals.yaml"))
    data = _laid_out(browser, render_report_html(build_report(s, e, lang)), tmp_path / "r", width)
    assert data["bad"] == []
    assert isinstance(data["texts"], int)
    assert data["texts"] > 4
    assert isinstance(data["cells"], int)
    assert data["cells"] > 20


@pytest.mark.slow
def test_long_chart_labels_fit_in_a_real_browser(tmp_path: Path) -> None:
    """Labels past the column limit, in both languages, wrap and stay inside the picture."""
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium on this machine: install Debian's chromium (.ci/run does)")
    s = load_indicator_set(SETS / "project-demo-2024")
    e = Engine(s).evaluate(load_actuals(SETS / "project-demo-2024" / "actuals.yaml"))
    html = render_report_html(build_report(s, e))
    chart = svg_chart(_chart([LONG_ZH, LONG_EN, "Management efficiency", "产出"]))
    html = re.sub(r"<svg.*?</svg>", lambda _: chart, html, count=1, flags=re.S)
    data = _laid_out(browser, html, tmp_path / "r", 800)
    assert data["bad"] == []


@pytest.mark.parametrize(
    ("lang", "shown"), [("zh", "缺少输入数据：全年预算数"), ("en", "Adjusted budget")]
)
def test_a_missing_input_is_named_by_its_label_and_its_id_stays_in_the_json(
    lang: Lang, shown: str
) -> None:
    """The reader sees 全年预算数 (or its English label), never budget_adjusted; the JSON's
    explanation still names the input for whoever fixes the actuals."""
    s = load_indicator_set(SETS / "project-demo-2024")
    actuals = load_actuals(SETS / "project-demo-2024" / "actuals.yaml")
    inputs = {k: v for k, v in actuals.inputs.items() if k != "budget_adjusted"}
    e = Engine(s).evaluate(actuals.model_copy(update={"inputs": inputs}))
    body = render_report_html(build_report(s, e, lang)).split("<body>")[1]
    assert shown in body
    assert "budget_adjusted" not in body
    row = next(r for r in e.to_dict()["indicators"] if r["id"] == "execution")
    assert any(u["name"] == "budget_adjusted" for u in row["explanation"]["used"])
