"""Text and Markdown renderings."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi_engine import Evaluation, evaluate, load_actuals, load_indicator_set
from kpi_engine.reports import render_markdown, render_text
from kpi_engine.reports.evaluation_text import display_width


@pytest.fixture
def demo(demo_dir: Path) -> Evaluation:
    return evaluate(load_indicator_set(demo_dir), load_actuals(demo_dir / "actuals.yaml"))


def test_text_table_shows_the_tree_total_and_grade(demo: Evaluation) -> None:
    """Groups, leaves with targets and actuals, the total and the grade appear."""
    text = render_text(demo)
    assert "产出指标" in text
    assert "    食品安全监督抽检批次" in text
    assert "≥ 3000 批次" in text
    assert "3126 批次" in text
    assert "总分 96.93 / 100" in text
    assert "等级 优" in text


def test_text_columns_line_up_with_chinese_characters(demo: Evaluation) -> None:
    """Every table row has the same display width up to the score column."""
    lines = [line for line in render_text(demo).splitlines()[2:24] if line.strip()]
    header_width = display_width(lines[0].split("得分")[0])
    for line in lines[1:]:
        # the score column ends at the same display position in every row
        assert display_width(line[: len(line.rstrip(" 缺少数据不适用错误已计分"))]) >= header_width


def test_english_text_uses_english_labels_and_names(demo: Evaluation) -> None:
    """--lang en: English headers, names and grade."""
    text = render_text(demo, "en")
    assert "Indicator" in text
    assert "Batches sampled" in text
    assert "Grade Excellent" in text
    assert "achieved" in text


def test_markdown_has_table_flags_and_explanations(demo: Evaluation) -> None:
    """The Markdown report explains every score."""
    md = render_markdown(demo)
    assert md.startswith("# 2024年度食品安全监督抽检项目支出绩效自评")
    assert "| 指标 | 分值 |" in md
    assert "## 得分说明" in md
    assert "36 > 30 → s = 5 × 30 ÷ 36" in md
    explanations = md.split("## 得分说明", 1)[1]
    assert explanations.count("### ") == len(demo.indicators)


def test_reports_show_statuses_and_flags() -> None:
    """A missing row shows its status; the flag appears under the problems heading."""
    from .conftest import make_set

    e = evaluate(make_set("indicators:\n  - {id: a, name: 甲, weight: 5, target: 1}\n"), {})
    assert "缺少数据" in render_text(e)
    assert "警告（" in render_text(e)
    assert "**[warning]**" in render_markdown(e, "en")


@pytest.mark.parametrize(
    ("inputs", "shown"),
    [
        ({"spent": "760.40", "budget": "800.00"}, "95.05%"),  # 95.0500: arithmetic's zeros go
        ({"spent": "1", "budget": "3"}, "33.33%"),  # a long fraction is rounded half up
        ({"spent": "2", "budget": "3"}, "66.67%"),
        ({"spent": "800", "budget": "800"}, "100%"),
    ],
)
def test_computed_actuals_are_shown_to_the_sets_places(inputs: dict[str, str], shown: str) -> None:
    """A derived actual prints like a figure a person would write, not with arithmetic's digits."""
    from kpi_engine.reports.labels import actual_text

    from .conftest import make_set

    s = make_set(
        "inputs:\n  spent: {unit: 万元}\n  budget: {unit: 万元}\n"
        'indicators:\n  - {id: r, name: 执行率, weight: 10, target: "≥ 100%", unit: "%",'
        " value: spent / budget * 100}\n"
    )
    e = evaluate(s, {"inputs": inputs})
    assert actual_text(e.indicator("r"), e.places) == shown


def test_reported_figures_keep_their_digits() -> None:
    """2.1377 万家 as reported is not rounded to the set's two places."""
    from kpi_engine.reports.labels import actual_text

    from .conftest import make_set

    s = make_set('indicators:\n  - {id: a, name: 甲, weight: 5, target: "≥ 2 万家"}\n')
    e = evaluate(s, {"indicators": {"a": {"actual": "2.1377"}}})
    assert actual_text(e.indicator("a"), e.places) == "2.1377 万家"
