"""kpi diff as a review tool: indicators, groups, total, grade and flags added, removed or
changed; a JSON shape that stays put; English throughout; rows followed across renamed ids; a
warning when the two evaluations come from different sets."""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_engine import Engine, load_actuals, load_indicator_set
from kpi_engine.cli import main
from kpi_engine.diff import compare, diff_text

from .conftest import SETS

DEMO = SETS / "project-demo-2024"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”]")

TOP_KEYS = {
    "kpi_diff",
    "before",
    "after",
    "same_set",
    "warnings",
    "indicators",
    "groups",
    "total",
    "grade",
    "flags",
}
ROW_KEYS = {
    "change",
    "id",
    "id_before",
    "id_after",
    "matched_by",
    "name",
    "name_en",
    "fields",
    "score_before",
    "score_after",
    "score_delta",
}
FLAG_KEYS = {"change", "rule", "subject", "before", "after"}


def _demo(tmp_path: Path, edit_set: Any = None, **inputs: object) -> dict[str, Any]:
    """The demo evaluated as JSON, with set and actuals edited and some inputs replaced."""
    folder = tmp_path / f"demo{len(list(tmp_path.iterdir()))}"
    shutil.copytree(DEMO, folder)
    actuals = (folder / "actuals.yaml").read_text(encoding="utf-8")
    for name, value in inputs.items():
        actuals = re.sub(rf"(?m)^  {name}: .*$", f"  {name}: {value}", actuals)
    if edit_set is not None:
        path = folder / "set.yaml"
        path.write_text(edit_set(path.read_text(encoding="utf-8")), encoding="utf-8")
        actuals = actuals.replace("  samples: {", "  batches: {")
    (folder / "actuals.yaml").write_text(actuals, encoding="utf-8")
    evaluation = Engine(load_indicator_set(folder)).evaluate(load_actuals(folder / "actuals.yaml"))
    data: dict[str, Any] = json.loads(evaluation.to_json())
    return data


def _renamed(text: str) -> str:
    """The demo with one id renamed and two weights moved: another set, the same rows."""
    text = text.replace("{id: samples,", "{id: batches,")
    return text.replace("weight: 12,", "weight: 11,").replace(
        'weight: 8,\n             target: "≥ 48', 'weight: 9,\n             target: "≥ 48'
    )


def test_json_has_the_documented_shape(tmp_path: Path) -> None:
    """Every key docs/cli.md lists, and no other, at the top, on rows and on flags."""
    data = compare(_demo(tmp_path), _demo(tmp_path, samples_done=2900, publish_days=30))
    assert set(data) == TOP_KEYS
    assert data["kpi_diff"] == 1
    assert data["indicators"]
    assert data["groups"]
    assert data["flags"]
    assert all(set(row) == ROW_KEYS for row in data["indicators"] + data["groups"])
    assert all(set(flag) == FLAG_KEYS for flag in data["flags"])
    assert set(data["total"]) == {"before", "after", "delta", "range_before", "range_after"}
    documented = (Path(__file__).parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")
    for key in TOP_KEYS | ROW_KEYS | FLAG_KEYS:
        assert f"`{key}`" in documented, key


def test_changed_rows_groups_total_grade_and_flags_are_all_reported(tmp_path: Path) -> None:
    """Fewer batches sampled and slower publishing: both rows, their groups, the total, the
    grade (优 → 良) and the flags that came and went."""
    before = _demo(tmp_path)
    after = _demo(tmp_path, samples_done=2000, publish_days=45, satisfied=300)
    data = compare(before, after)
    assert {c["id"] for c in data["indicators"]} >= {"samples", "publish"}
    samples = next(c for c in data["indicators"] if c["id"] == "samples")
    assert samples["change"] == "changed"
    assert samples["fields"]["actual"] == {"before": "3126", "after": "2000"}
    assert samples["matched_by"] == "id"
    assert {c["id"] for c in data["groups"]} >= {"output", "quantity", "timeliness"}
    deltas = [D(c["score_delta"]) for c in data["indicators"] if c["score_delta"]]
    assert D(data["total"]["delta"]) == sum(deltas, start=D(0))
    assert (data["grade"]["grade_before"], data["grade"]["grade_after"]) == ("优", "良")
    assert {f["change"] for f in data["flags"]} >= {"added"}
    text = diff_text(before, after)
    assert "(+0.00)" not in text  # an unchanged score is not given a change
    assert "~ 食品安全监督抽检批次: 3126 批次 → 2000 批次; 得分 12.00 → " in text
    assert "~ 指标组 数量指标: 小计 20.00 → " in text
    assert "等级 优 → 良" in text
    assert "+ 问题 [" in text


def test_a_renamed_id_is_matched_by_name_and_the_other_set_is_warned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """samples → batches: one changed row (not one removed and one added), and a warning that
    the sets differ, first in the text, in the JSON, and on stderr for --format json."""
    before = _demo(tmp_path)
    after = _demo(tmp_path, _renamed)
    data = compare(before, after)
    assert data["same_set"] is False
    assert [w["code"] for w in data["warnings"]] == ["diff.different-sets"]
    renamed = [c for c in data["indicators"] if c["matched_by"] == "name"]
    assert [(c["id_before"], c["id_after"], c["change"]) for c in renamed] == [
        ("samples", "batches", "changed")
    ]
    assert not [c for c in data["indicators"] if c["change"] in ("added", "removed")]
    assert renamed[0]["fields"]["weight"] == {"before": "12", "after": "11"}
    lines = diff_text(before, after).splitlines()
    assert lines[0].startswith("注意：两次评价所用的指标体系不同（project-demo-2024 ")
    assert any("食品安全监督抽检批次（id samples → batches，按名称对应）" in x for x in lines)
    # A reweighted row shows its weight and score; its unchanged actual is left out.
    assert "~ 农贸市场快检覆盖数: 得分 8.00 → 9.00 (+1.00); 分值 8 → 9" in lines
    english = diff_text(before, after, "en").splitlines()
    assert english[0].startswith("Note: the two evaluations come from different indicator sets")
    assert any("Batches sampled (id samples → batches, matched by name)" in x for x in english)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(before), encoding="utf-8")
    b.write_text(json.dumps(after), encoding="utf-8")
    assert main(["diff", str(a), str(b), "--format", "json", "--lang", "en"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["warnings"][0]["code"] == "diff.different-sets"
    assert "diff.different-sets: the two evaluations come from different indicator sets" in err


def test_the_same_set_gives_no_warning(tmp_path: Path) -> None:
    """Two evaluations of one set (other actuals): same_set is true, nothing is warned."""
    data = compare(_demo(tmp_path), _demo(tmp_path, samples_done=3000))
    assert data["same_set"] is True
    assert data["warnings"] == []


def test_two_rows_of_the_same_name_are_never_guessed_between(tmp_path: Path) -> None:
    """Names matched only when unique on both sides: two new 满意度 rows stay added."""
    before = _demo(tmp_path)
    after = json.loads(json.dumps(before))
    row = next(r for r in after["indicators"] if r["id"] == "samples")
    after["indicators"] = [r for r in after["indicators"] if r["id"] != "samples"]
    after["indicators"] += [{**row, "id": "x1"}, {**row, "id": "x2"}]
    data = compare(before, after)
    assert sorted((c["change"], c["id"]) for c in data["indicators"]) == [
        ("added", "x1"),
        ("added", "x2"),
        ("removed", "samples"),
    ]


def _set_strings(folder: Path) -> set[str]:
    """Every string the set's authors wrote (names, units, targets, tiers): the only Chinese an
    English diff may quote."""
    text = (folder / "set.yaml").read_text(encoding="utf-8")
    return {x for x in re.findall(r"[^\s,:{}\[\]\"'#（）]+", text) if CJK.search(x)}


def test_english_diff_carries_no_chinese_but_the_sets_own_words(tmp_path: Path) -> None:
    """With --lang en every word is English, except units and names the set gives only in
    Chinese (here the units 批次, 个工作日)."""
    before = _demo(tmp_path)
    after = _demo(tmp_path, _renamed, samples_done=2000, publish_days=45, satisfied=300)
    text = diff_text(before, after, "en")
    for word in sorted(_set_strings(DEMO), key=len, reverse=True):
        text = text.replace(word, "")
    assert not CJK.search(text), CJK.findall(text)


def test_identical_evaluations_have_no_differences_in_either_language(tmp_path: Path) -> None:
    data = _demo(tmp_path)
    assert diff_text(data, data) == "两次评价没有差异。\n"
    assert diff_text(data, data, "en") == "No differences.\n"
    assert compare(data, data)["indicators"] == []


_BASE: dict[str, Any] = json.loads(
    Engine(load_indicator_set(DEMO)).evaluate(load_actuals(DEMO / "actuals.yaml")).to_json()
)
# Names made unique per row and absent from the other rows, so removed rows are not re-matched.
for _i, _row in enumerate(_BASE["indicators"]):
    _row["name"] = f"{_row['name']}#{_i}"
_ROWS = range(len(_BASE["indicators"]))


@given(st.sets(st.sampled_from(_ROWS)), st.sets(st.sampled_from(_ROWS)))
def test_rows_on_one_side_only_are_exactly_the_added_and_removed(
    dropped_before: set[int], dropped_after: set[int]
) -> None:
    """Whatever rows each side lacks, added = after − before and removed = before − after (ids
    kept, so no row is matched by name), and every row on both sides is unchanged."""
    base: dict[str, Any] = _BASE
    rows = base["indicators"]
    before = {**base, "indicators": [r for i, r in enumerate(rows) if i not in dropped_before]}
    after = {**base, "indicators": [r for i, r in enumerate(rows) if i not in dropped_after]}
    data = compare(before, after)
    ids: dict[str, set[str]] = {"added": set(), "removed": set()}
    for c in data["indicators"]:
        ids.setdefault(c["change"], set()).add(c["id"])
    a = {r["id"] for r in before["indicators"]}
    b = {r["id"] for r in after["indicators"]}
    assert ids["added"] == b - a
    assert ids["removed"] == a - b
    assert set(ids) == {"added", "removed"}
