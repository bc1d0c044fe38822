"""kpi explain and kpi diff: the figures they give really do what they say."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_engine import Engine, evaluate
from kpi_engine.cli import main
from kpi_engine.diff import diff_rows, diff_text
from kpi_engine.explain import Needed, needed_for_full, needed_for_score

from .conftest import make_set

SET = """
rules: []
indicators:
  - {id: ge, name: 正向, weight: 20, target: "≥ 500 人"}
  - {id: le, name: 反向, weight: 20, target: "≤ 20 天"}
  - {id: ratio, name: 反比, weight: 20, target: "≤ 30 天", method: reverse_ratio}
  - {id: rng, name: 区间, weight: 20, target: "[2, 5] %"}
  - {id: sym, name: 对称, weight: 20, target: "= 100%", method: equal_symmetric}
  - {id: ded_le, name: 扣分反向, weight: 20, target: "≤ 100%", method: deduct,
     deduct: {per: 1, minus: 0.5}}
  - {id: ded_ge, name: 扣分正向, weight: 20, target: "≥ 500 人", method: deduct,
     deduct: {per: 10, minus: 1, partial: count}}
  - {id: ded_eq, name: 扣分等值, weight: 20, target: "= 50", method: deduct,
     deduct: {per: 1, minus: 2}}
  - {id: ded_rng, name: 扣分区间, weight: 20, target: "[2, 5] %", method: deduct,
     deduct: {per: 0.5, minus: 3, partial: count}}
  - {id: ded_floor, name: 扣分整档, weight: 20, target: "≥ 100%", method: deduct,
     deduct: {per: 5, minus: 2, partial: floor}}
"""
ACTUALS = {
    "ge": 400,
    "le": 26,
    "ratio": 40,
    "rng": 7,
    "sym": 80,
    "ded_le": 130,
    "ded_ge": 400,
    "ded_eq": 45,
    "ded_rng": 7,
    "ded_floor": 83,
}


def _run(actuals: Mapping[str, object]):  # type: ignore[no-untyped-def]
    return evaluate(make_set(SET), {"indicators": {k: {"actual": v} for k, v in actuals.items()}})


def _feed(figure: Needed) -> D:
    """The figure a reader would enter: the bound named (either end of a range works)."""
    return figure.value


@pytest.mark.parametrize("leaf_id", sorted(ACTUALS))
def test_needed_for_full_marks_gives_full_marks(leaf_id: str) -> None:
    """Feeding the 'needed for full marks' actual back earns the whole weight."""
    engine = Engine(make_set(SET))
    leaf = engine.compiled.leaf(leaf_id)
    assert leaf is not None
    figure = needed_for_full(leaf)
    assert figure is not None
    result = _run({**ACTUALS, leaf_id: _feed(figure)}).indicator(leaf_id)
    assert result.score == leaf.weight


@given(
    st.sampled_from(sorted(ACTUALS)), st.decimals(min_value=D("0.5"), max_value=D("19.5"), places=2)
)
def test_needed_for_a_score_earns_at_least_that_score(leaf_id: str, score: D) -> None:
    """Inverting a rule for any score below the weight gives an actual that earns it."""
    engine = Engine(make_set(SET))
    leaf = engine.compiled.leaf(leaf_id)
    assert leaf is not None
    figure = needed_for_score(leaf, score)
    assert figure is not None
    for actual in {figure.value, figure.high} - {None}:
        result = _run({**ACTUALS, leaf_id: actual}).indicator(leaf_id)
        assert result.score is not None
        assert result.score >= score


def test_explain_prints_the_steps_and_what_full_marks_need(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The demo's 公布时限 row: data, rule, arithmetic, score, and ≤ 20 for full marks."""
    demo = Path(__file__).resolve().parent.parent / "indicator_sets" / "project-demo-2024"
    assert main(["explain", str(demo), "publish"]) == 0
    out = capsys.readouterr().out
    assert "20 < 23 < 40 → s = 5 × (1 − (23 − 20) ÷ 20) = 4.25" in out
    assert "满分需要实际值 ≤ 20 个工作日" in out


def test_explain_gives_the_actual_needed_for_the_next_grade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A set at 良 (85): the line for 优 names an actual that, fed back, reaches 优."""
    set_path = tmp_path / "set.yaml"
    set_path.write_text(
        "kpi_engine: 1\nid: g\ntitle: 升档\nrules: []\nindicators:\n"
        '  - {id: a, name: 甲, weight: 50, target: "≥ 100 个"}\n'
        '  - {id: b, name: 乙, weight: 50, target: "≥ 100 个"}\n',
        encoding="utf-8",
    )
    actuals = tmp_path / "actuals.yaml"
    actuals.write_text("indicators:\n  a: {actual: 70}\n  b: {actual: 100}\n", encoding="utf-8")
    assert main(["explain", str(set_path), str(actuals), "a"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "总分升到“优”" in x)
    needed = D(line.rsplit("≥ ", 1)[1].split()[0])
    assert needed == 80
    from kpi_engine import load_indicator_set

    e = evaluate(
        load_indicator_set(set_path),
        {"indicators": {"a": {"actual": needed}, "b": {"actual": 100}}},
    )
    assert e.grade is not None
    assert e.grade.label == "优"


def test_explain_unknown_indicator_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt indicator id is a usage error with a suggestion (exit 2)."""
    demo = Path(__file__).resolve().parent.parent / "indicator_sets" / "project-demo-2024"
    assert main(["explain", str(demo), "publsh"]) == 2
    assert "publish" in capsys.readouterr().err


def test_explain_finds_an_indicator_by_its_printed_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Auditors know rows by name: the Chinese or English name works like the id."""
    demo = Path(__file__).resolve().parent.parent / "indicator_sets" / "project-demo-2024"
    assert main(["explain", str(demo), "publish"]) == 0
    by_id = capsys.readouterr().out
    assert main(["explain", str(demo), "抽检结果公布时限"]) == 0
    assert capsys.readouterr().out == by_id
    assert main(["explain", str(demo), "Days to publish results"]) == 0
    assert capsys.readouterr().out == by_id


def test_explain_suggests_the_closest_name(capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt name gets the name it resembles, with no made-up file location."""
    demo = Path(__file__).resolve().parent.parent / "indicator_sets" / "project-demo-2024"
    assert main(["explain", str(demo), "抽检结果公布时间"]) == 2
    assert capsys.readouterr().err == (
        "cli.unknown-indicator: 没有末级指标 '抽检结果公布时间'，是否想写 '抽检结果公布时限'？\n"
    )


def test_explain_in_english_names_groups_and_inputs_in_english(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--lang en: the path, the data read and units as an English reader expects them."""
    demo = Path(__file__).resolve().parent.parent / "indicator_sets" / "project-demo-2024"
    assert main(["explain", str(demo), "publish", "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        "Days to publish results (publish)",
        "In: Outputs / Timeliness",
        "Weight 5; target ≤ 20 个工作日",
        "1. Average days to publish results (publish_days) → 23 个工作日",
    ]


def test_explain_says_why_a_value_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An input not supplied is shown as — with the reason, never as 0."""
    set_path = tmp_path / "set.yaml"
    set_path.write_text(
        "kpi_engine: 1\nid: m\ntitle: 缺数\nrules: []\n"
        "inputs:\n  done: {label: 完成数, label_en: Done, unit: 个}\n"
        'indicators:\n  - {id: a, name: 甲, weight: 10, target: "≥ 5 个", value: done}\n',
        encoding="utf-8",
    )
    assert main(["explain", str(set_path), "a"]) == 0
    assert "1. 完成数 (done) → —（未提供）" in capsys.readouterr().out
    assert main(["explain", str(set_path), "a", "--lang", "en"]) == 0
    assert "1. Done (done) → — (not supplied)" in capsys.readouterr().out


def test_diff_of_an_evaluation_with_itself_is_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No differences, said so."""
    demo = Path(__file__).resolve().parent.parent / "indicator_sets" / "project-demo-2024"
    out = tmp_path / "a.json"
    assert main(["evaluate", str(demo), "--format", "json", "-o", str(out)]) == 0
    assert main(["diff", str(out), str(out)]) == 0
    assert capsys.readouterr().out == "两次评价没有差异。\n"


def test_diff_lists_changed_rows_and_the_total() -> None:
    """A changed actual shows the score change and the total change."""
    before = _run(ACTUALS).to_dict()
    after = _run({**ACTUALS, "le": 21}).to_dict()
    rows = diff_rows(json.loads(json.dumps(before)), json.loads(json.dumps(after)))
    assert [r["id"] for r in rows] == ["le"]
    assert rows[0]["delta"] == D("5.00")


def test_diff_rejects_files_that_are_not_evaluations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Anything but evaluation JSON is a clear error."""
    bad = tmp_path / "x.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    assert main(["diff", str(bad), str(bad)]) == 2
    assert "diff.not-evaluation" in capsys.readouterr().err


def test_diff_text_shows_figures_as_the_score_table_does() -> None:
    """kpi diff: a computed actual to the set's places with its unit, scores to places with a
    signed change, and — (never None) for a row without a score or one side without the row."""
    text = """
rules: []
inputs:
  valid: {unit: 份}
  total: {unit: 份}
derived:
  accuracy: {formula: valid / total * 100, unit: "%"}
indicators:
  - {id: acc, name: 准确率, weight: 10, target: "≥ 99%", value: accuracy}
  - {id: days, name: 用时, weight: 10, target: "≤ 20 天"}
  - {id: new, name: 新增, weight: 10, target: "≥ 5 个"}
"""
    s = make_set(text)
    before = evaluate(
        s, {"inputs": {"valid": 3101, "total": 3126}, "indicators": {"days": {"actual": 21}}}
    )
    after = evaluate(s, {"inputs": {"valid": 3001, "total": 3126}})
    a, b = before.to_dict(), after.to_dict()
    a["indicators"] = [r for r in a["indicators"] if r["id"] != "new"]
    assert diff_text(a, b).splitlines() == [
        "~ 准确率: 99.20% → 96%; 得分 10.00 → 9.70 (-0.30)",
        "~ 用时: 21 天 → —; 得分 9.50 → — [已计分 → 缺少数据]",
        "+ 新增（新增）得分 —",
        "总分 19.50–29.50 → 9.70–29.70 (-9.80); 等级 待定（中至优） → 待定（差至优）",
        "+ 问题 [警告] 指标“用时”缺少数据，未计分：未提供实际完成值",
        "~ 问题 [警告] 总分仅覆盖 66.67% 的适用分值：未计分的指标可得 0 至满分，总分在"
        " 19.50–29.50 之间，等级待定（中至优） → 总分仅覆盖 33.33% 的适用分值：未计分的指标可得"
        " 0 至满分，总分在 9.70–29.70 之间，等级待定（差至优）",
    ]
    assert "- 新增（删除）原得分 —" in diff_text(b, a)
    assert "score 10.00 → 9.70 (-0.30)" in diff_text(a, b, "en")
    assert "[scored → missing data]" in diff_text(a, b, "en")
