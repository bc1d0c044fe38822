"""The Word report as a 公文: page, fonts, page numbers, the 附表 and the chart, read back with
python-docx. Golden files (tests/golden/forms/*.docx.txt) pin each report as normalised text
(paragraphs with their styles, tables with merged cells shown); ``KPI_UPDATE_GOLDEN=1``
regenerates them."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docx  # noqa: TID251 - tests read the files with the library itself
import pytest
from docx.oxml.ns import qn  # noqa: TID251 - as above
from docx.shared import Mm  # noqa: TID251 - as above

from kpi_engine import Engine, load_actuals, load_indicator_set
from kpi_engine.reports import build_report, render_report_docx
from kpi_engine.reports.report_docx import FALLBACKS

from .conftest import SETS

GOLDEN = Path(__file__).resolve().parent / "golden" / "forms"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _report(name: str, lang: str = "zh") -> bytes:
    s = load_indicator_set(SETS / name)
    e = Engine(s).evaluate(load_actuals(SETS / name / "actuals.yaml"))
    return render_report_docx(build_report(s, e, lang=lang))  # type: ignore[arg-type]


def _doc(name: str, lang: str = "zh") -> Any:
    return docx.Document(io.BytesIO(_report(name, lang)))


def dump_docx(doc: Any) -> str:
    """Body paragraphs (with their style) and tables (cells by row; a merged cell is written
    once, its continuation as ^), in document order."""
    lines = []
    body = doc.element.body
    tables = iter(doc.tables)
    paragraphs = iter(doc.paragraphs)
    for child in body.iterchildren():
        if child.tag == f"{W}p":
            p = next(paragraphs)
            if child.findall(f".//{W}drawing"):
                lines.append("[chart]")
            elif p.text:
                lines.append(f"{p.style.name}: {p.text}")
        elif child.tag == f"{W}tbl":
            table = next(tables)
            lines.append("table:")
            for tr in table._tbl.tr_lst:
                cells = []
                for tc in tr.tc_lst:
                    merged = tc.tcPr is not None and tc.tcPr.vMerge == "continue"
                    span = f"<{tc.grid_span}>" if tc.grid_span > 1 else ""
                    text = "^" if merged else "".join(t.text or "" for t in tc.iter(f"{W}t"))
                    cells.append(span + text)
                lines.append("  | " + " | ".join(cells))
    return "\n".join(lines) + "\n"


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("KPI_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden file {path.name}: run with KPI_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["project-demo-2024", "gz-haizhu-amr-2023"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_matches_its_golden_dump(name: str, lang: str) -> None:
    """Each shipped set's report: paragraphs, styles and tables with their merged cells."""
    _check(f"{name}.{lang}.docx.txt", dump_docx(_doc(name, lang)))


def test_page_is_a4_with_the_official_margins() -> None:
    """GB/T 9704: A4, top 37 mm, bottom 35 mm, left 28 mm, right 26 mm."""
    section = _doc("project-demo-2024").sections[0]
    sizes = [
        section.page_width,
        section.page_height,
        section.top_margin,
        section.bottom_margin,
        section.left_margin,
        section.right_margin,
    ]
    assert [round(s.mm) for s in sizes] == [210, 297, 37, 35, 28, 26]  # Word keeps twips


def _east_asian(style: Any) -> str:
    fonts = style.element.rPr.find(qn("w:rFonts"))
    return str(fonts.get(qn("w:eastAsia")))


def test_fonts_are_the_official_ones_on_the_east_asian_slot() -> None:
    """Title 方正小标宋简体, headings 黑体, body 仿宋_GB2312, each with its fallback named."""
    doc = _doc("project-demo-2024")
    assert _east_asian(doc.styles["Title"]) == "方正小标宋简体"
    assert _east_asian(doc.styles["Heading 1"]) == "黑体"
    assert _east_asian(doc.styles["Heading 2"]) == "黑体"
    assert _east_asian(doc.styles["Normal"]) == "仿宋_GB2312"
    assert doc.styles["Normal"].font.size.pt == 16
    assert doc.styles["Title"].font.size.pt == 22
    table = doc.part.package
    fonts = next(p for p in table.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    text = fonts.blob.decode("utf-8")
    for name, alt in FALLBACKS.items():
        assert re.search(f'w:name="{name}"><w:altName w:val="{alt}"/>', text), name


def test_footer_numbers_the_pages() -> None:
    """A PAGE field, centred, between dashes."""
    footer = _doc("project-demo-2024").sections[0].footer
    xml = footer._element.xml
    assert 'w:instr="PAGE"' in xml
    texts = "".join(t.text or "" for t in footer._element.iter(f"{W}t"))
    assert texts == "— 1 —"  # 1 stands in the field until Word numbers the page


def _annex(doc: Any) -> Any:
    return doc.tables[-1]


def test_annex_has_reported_score_and_reason_columns_and_merged_groups() -> None:
    """附表: 一级/二级/三级指标, 自评得分 and 偏差原因 columns; 产出指标 is one merged cell."""
    annex = _annex(_doc("project-demo-2024"))
    header = [c.text for c in annex.rows[0].cells]
    assert header == [
        "一级指标",
        "二级指标",
        "三级指标",
        "分值",
        "年度指标值",
        "实际完成值",
        "自评得分",
        "得分",
        "偏差原因分析及改进措施",
    ]
    first = annex.cell(1, 0)
    assert first.text == "产出指标"
    assert all(annex.cell(r, 0)._tc is first._tc for r in range(1, 8))  # seven outputs
    assert annex.cell(8, 0).text == "效益指标"
    assert annex.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeats on each page
    assert "跨区流通问题食品需协查" in annex.cell(6, 8).text


def test_columns_are_sized_to_their_content_within_the_text_width() -> None:
    """Tables fill the 156 mm text width; the 附表 sits on landscape pages (243 mm wide) and no
    figure column is narrower than its widest figure."""
    doc = _doc("project-demo-2024")
    grids = [
        [int(c.get(qn("w:w"))) for c in t._tbl.tblGrid.findall(qn("w:gridCol"))] for t in doc.tables
    ]
    assert abs(sum(grids[0]) - Mm(156).twips) <= len(grids[0])
    annex = grids[-1]
    assert abs(sum(annex) - Mm(243).twips) <= len(annex)
    assert annex[8] > annex[3]  # the reasons are wider than the weights
    assert annex[7] >= Mm(5 * 10.5 * 0.3528 * 0.6 + 4).twips - 1  # "10.00" on one line
    last = doc.sections[-1]
    assert last.orientation == 1  # WD_ORIENT.LANDSCAPE
    assert (round(last.page_width.mm), round(last.page_height.mm)) == (297, 210)


def test_funds_list_only_money() -> None:
    """The demo's survey sample size (role sample_size) is not in the funds table."""
    doc = _doc("project-demo-2024")
    texts = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "全年执行数" in texts
    assert "样本" not in texts


def test_chart_is_a_native_word_bar_chart_of_the_top_groups() -> None:
    """The HTML report's chart as a DrawingML chart part: one category per top-level group, the
    scores to the set's places and the weights."""
    doc = _doc("project-demo-2024")
    part = next(p for p in doc.part.package.iter_parts() if "charts/chart" in str(p.partname))
    xml = part.blob.decode("utf-8")
    assert '<c:barDir val="bar"/>' in xml
    for label in ("产出指标", "效益指标", "满意度指标", "预算执行率"):
        assert f"<c:v>{label}</c:v>" in xml
    assert "<c:v>48.42</c:v>" in xml
    assert '<c:numFmt formatCode="0.00" sourceLinked="0"/>' in xml
    assert doc.element.body.findall(f".//{W}drawing")


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_renders_both_forms_to_pdf_and_png(tmp_path: Path) -> None:
    """Optional: where LibreOffice is installed, the report and the score table convert to PDF
    (the table on A4 landscape), and with poppler's pdftoppm their first pages to PNG images for
    a visual check (left in the test's temporary folder)."""
    from kpi_engine.reports import render_score_table

    s = load_indicator_set(SETS / "project-demo-2024")
    a = load_actuals(SETS / "project-demo-2024" / "actuals.yaml")
    (tmp_path / "report.docx").write_bytes(_report("project-demo-2024"))
    table = render_score_table(s, Engine(s).evaluate(a), "zh", a)
    (tmp_path / "table.xlsx").write_bytes(table)
    for name in ("report.docx", "table.xlsx"):
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), name],
            cwd=tmp_path,
            check=True,
            capture_output=True,
            timeout=180,
        )
    if shutil.which("pdftoppm"):  # poppler-utils: first pages as PNG for a look by eye
        for name in ("report", "table"):
            pdf_path, png = tmp_path / f"{name}.pdf", tmp_path / name
            args = ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf_path), str(png)]
            subprocess.run(args, check=True, capture_output=True, timeout=60)
            image = next(tmp_path.glob(f"{name}-*.png"))
            assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = (tmp_path / "table.pdf").read_bytes()
    assert re.search(rb"/MediaBox\s*\[\s*0 0 841\.8\d* 595\.\d+", pdf)  # A4 landscape
    assert (tmp_path / "report.pdf").stat().st_size > 10_000
