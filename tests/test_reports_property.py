"""Every report renders for any well-formed set and any mix of data: no crash, the same total."""

from __future__ import annotations

import html
import io
import re
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi_engine import evaluate, parse_indicator_set
from kpi_engine.display import fixed
from kpi_engine.reports import render_markdown, render_text
from kpi_engine.reports.report_document import build_report
from kpi_engine.reports.report_docx import render_report_docx
from kpi_engine.reports.report_html import render_report_html
from kpi_engine.reports.report_markdown import render_report_markdown
from kpi_engine.reports.score_table_xlsx import render_score_table

from .strategies import positive_amounts, trees


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_every_format_renders_any_tree_and_states_the_same_total(
    generated: tuple[str, dict[str, Any]],
) -> None:
    """Text, Markdown, the report (md, html, docx) and the score table, in both languages."""
    import openpyxl  # noqa: TID251 - tests build and read files with the library itself

    text, actuals = generated
    s = parse_indicator_set(text, "gen.yaml")
    e = evaluate(s, actuals)
    total = fixed(e.total, e.places)
    for lang in ("zh", "en"):
        assert total in render_text(e, lang)
        assert total in render_markdown(e, lang)
        document = build_report(s, e, lang=lang)
        assert total in render_report_markdown(document)
        assert total in render_report_html(document)
        assert render_report_docx(document)[:2] == b"PK"
    ws = openpyxl.load_workbook(io.BytesIO(render_score_table(s, e))).active
    assert ws is not None
    assert ws["C3"].value == s.title  # 项目名称 (the set has no project name of its own)


# --- Every human renderer shows numbers to the set's places ---------------------------------------

_FRACTION = re.compile(r"(?<![A-Za-z0-9_.])(\d+)\.(\d+)")
_EXPONENT = re.compile(r"\d[eE][-+]?\d")
_WRITTEN = 2
"""The most decimals a generated figure is written with (weights, targets, actuals, amounts)."""
_SHOWN = 6
"""The most decimals show() writes (longer fractions are cut and marked ≈)."""


def _with_places_and_a_computed_row(
    generated: tuple[str, dict[str, Any]], places: int, spent: Decimal, budget: Decimal
) -> tuple[str, dict[str, Any]]:
    """The generated tree with ``rounding: {places}``, funds inputs and a derived 28-digit ratio."""
    text, actuals = generated
    extra = (
        f"rounding: {{places: {places}}}\n"
        "inputs:\n"
        "  budget: {role: budget_adjusted, unit: 万元, label: 全年预算数}\n"
        "  spent: {role: spent, unit: 万元, label: 全年执行数}\n"
        "derived:\n"
        "  rate: {formula: spent / budget * 100, unit: '%', label: 执行率}\n"
        "  per_mille: {formula: spent / budget / 7 * 1000, label: 每千}\n"
        "indicators:\n"
    )
    text = text.replace("indicators:\n", extra, 1)
    text += (
        "  - {id: rate, name: 执行率, weight: 10, target: '≥ 97%', value: rate}\n"
        "  - {id: per, name: 每千, weight: 10, target: '≥ 30', value: per_mille}\n"
    )
    return text, {**actuals, "inputs": {"budget": budget, "spent": spent}}


def _too_long(text: str, allowed: int) -> list[str]:
    """Figures in ``text`` with more than ``allowed`` decimals (and any exponent or None)."""
    bad = [m.group() for m in _FRACTION.finditer(text) if len(m.group(2)) > allowed]
    bad += _EXPONENT.findall(text)
    return bad + (["None"] if "None" in text else [])


def _html_text(page: str) -> str:
    page = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    page = re.sub(
        r"<svg.*?</svg>", lambda m: " ".join(re.findall(r">([^<]*)<", m.group())), page, flags=re.S
    )
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _docx_text(data: bytes) -> str:
    import docx  # noqa: TID251

    doc = docx.Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def _xlsx_texts(data: bytes) -> list[str]:
    """Each cell as a spreadsheet shows it: text as is, numbers by their number format."""
    import openpyxl  # noqa: TID251

    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws is not None
    shown = []
    for row in ws.iter_rows():
        for cell in row:
            value = cell.value
            if isinstance(value, str):
                shown.append(value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                fmt = str(cell.number_format)
                if "0." in fmt:
                    decimals = len(fmt.split("0.", 1)[1]) - len(fmt.split("0.", 1)[1].lstrip("0"))
                    shown.append(f"{Decimal(repr(value)):.{decimals}f}")
                else:  # General: the figure itself
                    shown.append(format(Decimal(repr(value)).normalize(), "f"))
    return shown


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    trees(max_depth=2),
    st.integers(0, 4),
    positive_amounts,
    positive_amounts,
    st.sets(st.integers(0, 30), max_size=4),
)
def test_no_human_renderer_shows_more_digits_than_the_places_allow(
    generated: tuple[str, dict[str, Any]],
    places: int,
    spent: Decimal,
    budget: Decimal,
    dropped: set[int],
) -> None:
    """Every human renderer, both languages, for generated sets with 0–4 places and a derived
    ratio whose exact value has 28 digits. The rule: a figure has at most max(places, 2)
    decimals (2: the most a generated figure is written with; scores, totals, shares and computed
    actuals are 四舍五入 to places) — in the text and Markdown tables, the report (Markdown, HTML,
    Word text), the score table's cells as displayed and ``kpi diff``. Explanations (``kpi
    explain`` for every indicator, the Markdown score notes) show the arithmetic: there a figure
    may have up to 6 decimals (show(): longer fractions cut and marked ≈), but the score line
    itself has at most ``places``. Nowhere an exponent or the text None."""
    from kpi_engine import Engine
    from kpi_engine.diff import diff_text
    from kpi_engine.explain import explain_text

    text, actuals = _with_places_and_a_computed_row(generated, places, spent, budget)
    s = parse_indicator_set(text, "gen.yaml")
    engine = Engine(s)
    e = engine.evaluate(actuals)
    compiled = engine.compiled
    table = max(places, _WRITTEN)
    # the second evaluation for kpi diff: some rows lose their data, the ratio changes, one row is
    # dropped and one added
    kept = {k: v for i, (k, v) in enumerate(actuals["indicators"].items()) if i not in dropped}
    inputs = {"budget": budget + 1, "spent": spent}
    later = engine.evaluate({"inputs": inputs, "indicators": kept}).to_dict()
    earlier = e.to_dict()
    earlier["indicators"] = earlier["indicators"][1:]  # a row only the later run has
    later["indicators"] = [r for r in later["indicators"] if r["id"] != "per"]  # and one it lost
    for lang in ("zh", "en"):
        markdown = render_markdown(e, lang)
        heading = "## 得分说明" if lang == "zh" else "## How each score was reached"
        tables, notes = markdown.split(heading, 1)
        document = build_report(s, e, lang=lang)
        for name, shown in (
            ("text", render_text(e, lang)),
            ("markdown", tables),
            ("report.md", render_report_markdown(document)),
            ("report.html", _html_text(render_report_html(document))),
            ("report.docx", _docx_text(render_report_docx(document))),
            ("diff", diff_text(earlier, later, lang)),
            ("diff", diff_text(later, earlier, lang)),
        ):
            assert not _too_long(shown, table), (name, _too_long(shown, table))
        explanations = [notes] + [
            explain_text(e, leaf, compiled.grades, lang) for leaf in compiled.leaves
        ]
        for shown in explanations:
            assert not _too_long(shown, _SHOWN), _too_long(shown, _SHOWN)
            for line in shown.splitlines():
                if line.startswith(("得分：", "Score: ", "- **得分", "- **Score")):
                    score = line.split(":" if ":" in line else "：", 1)[1]
                    assert not _too_long(score.split("/")[0], places), line
        cells = _xlsx_texts(render_score_table(s, e, lang))
        assert not [c for c in cells if _too_long(c, table)], [
            c for c in cells if _too_long(c, table)
        ]
