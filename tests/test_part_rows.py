""" "其中" rows (``part_of``): printed under their row, checked, never scored (issue 11, item 12)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kpi_engine import DefinitionError, Engine, evaluate, lint
from kpi_engine.reports import render_markdown, render_text

from .conftest import make_set

PARTS = """
rules: {cn-fiscal: {min_leaves: 3}}
indicators:
  - id: output
    name: 产出指标
    weight: 60
    children:
      - {id: trained, name: 培训人数, weight: 30, target: "≥ 500 人"}
      - {id: poor, name: 脱贫户学员, part_of: trained, target: "≥ 100 人"}
      - {id: passed, name: 考核合格率, weight: 30, target: "≥ 90%"}
  - {id: jobs, name: 就业率, weight: 40, target: "≥ 60%"}
"""

ACTUALS = {
    "indicators": {
        "trained": {"actual": 520, "reported_score": 30},
        "poor": {"actual": 80},
        "passed": {"actual": 95, "reported_score": 30},
        "jobs": {"actual": 65, "reported_score": 40},
    }
}


def test_a_part_row_needs_no_weight_and_adds_nothing_to_the_total() -> None:
    """The part misses its target (80 of ≥ 100) and the total is still 100 of 100: the part has
    no points; JSON names the row it belongs to."""
    e = evaluate(make_set(PARTS), ACTUALS)
    poor = e.indicator("poor")
    assert (poor.weight, poor.score, poor.met, poor.part_of) == (
        Decimal(0),
        Decimal(0),
        False,
        "trained",
    )
    assert (e.total, e.scale, e.coverage) == (Decimal(100), Decimal(100), Decimal(1))
    assert e.to_dict()["indicators"][1]["part_of"] == "trained"
    assert "part_of" not in e.to_dict()["indicators"][0]


def test_a_part_row_reads_as_one_in_every_table() -> None:
    """其中：… with a blank weight and score, and whether it met its target in the status."""
    e = evaluate(make_set(PARTS), ACTUALS)
    line = next(x for x in render_text(e).splitlines() if "脱贫户学员" in x)
    assert line.split() == ["其中：脱贫户学员", "≥", "100", "人", "80", "人", "未达到目标"]
    english = next(x for x in render_text(e, "en").splitlines() if "脱贫户学员" in x)
    assert english.strip().startswith("of which: 脱贫户学员")
    assert english.rstrip().endswith("target missed")
    row = next(x for x in render_markdown(e).splitlines() if "脱贫户学员" in x)
    assert [c.strip() for c in row.strip("|").split("|")][1:] == [
        "",
        "≥ 100 人",
        "80 人",
        "",
        "",
        "未达到目标",
    ]


def test_a_missed_part_under_a_full_row_is_pointed_out_and_a_met_one_is_not() -> None:
    """target.part_missed: 培训人数 earned full marks while 其中 脱贫户学员 missed its target."""
    flagged = evaluate(make_set(PARTS), ACTUALS)
    found = [f for f in flagged.flags if f.rule == "target.part_missed"]
    assert [f.subject for f in found] == ["poor"]
    assert found[0].message == (
        "其中“脱贫户学员”未达到目标（实际 80 人，目标 ≥ 100 人），所属指标“培训人数”仍得满分"
    )
    met = {"indicators": {**ACTUALS["indicators"], "poor": {"actual": 100}}}
    assert "target.part_missed" not in {f.rule for f in evaluate(make_set(PARTS), met).flags}
    short = {"indicators": {**ACTUALS["indicators"], "trained": {"actual": 450}}}
    assert "target.part_missed" not in {f.rule for f in evaluate(make_set(PARTS), short).flags}


def test_part_rows_are_not_counted_as_indicators() -> None:
    """Three weighted rows and a part: 3 leaves for granularity.too_few_leaves (min 3 is met);
    with one weighted row fewer the part does not make up the count."""
    assert "granularity.too_few_leaves" not in {f.rule for f in lint(make_set(PARTS))}
    fewer = PARTS.replace(
        '      - {id: passed, name: 考核合格率, weight: 30, target: "≥ 90%"}\n', ""
    )
    fewer = fewer.replace("weight: 60", "weight: 30").replace("weight: 40", "weight: 70")
    assert Engine(make_set(fewer)).compiled.scored_leaves[0].id == "trained"
    assert "granularity.too_few_leaves" in {f.rule for f in lint(make_set(fewer))}


@pytest.mark.parametrize(
    ("part_of", "where"),
    [
        ("nobody", "no such row"),
        ("passed", "a later row"),
        ("output", "a group"),
        ("poor", "itself a part"),
    ],
)
def test_a_part_must_name_an_earlier_leaf_of_its_group(part_of: str, where: str) -> None:
    """Located at its part_of key: an unknown id, a later row, a group or another part."""
    body = PARTS.replace("part_of: trained", f"part_of: {part_of}")
    if where == "a group":
        extra = f"  - {{id: extra, name: 其中：x, part_of: {part_of}}}\n"
        body = PARTS.replace("  - {id: jobs,", extra + "  - {id: jobs,")
    if where == "itself a part":
        body = PARTS.replace(
            "      - {id: passed,",
            "      - {id: poor2, name: 其中其中, part_of: poor}\n      - {id: passed,",
        )
    with pytest.raises(DefinitionError) as info:
        Engine(make_set(body))
    assert info.value.codes == ("tree.part-of-unknown",)
    issue = info.value.issues[0]
    assert issue.location is not None
    assert "part_of" in issue.message


def test_a_weighted_part_is_refused_unless_the_table_is_loaded_as_published() -> None:
    """A 其中 row with 5 points of its own would count them twice: an error; as published, a
    published.inconsistent flag — and the total adds it as the table does."""
    weighted = PARTS.replace("part_of: trained,", "part_of: trained, weight: 5,")
    with pytest.raises(DefinitionError) as info:
        Engine(make_set(weighted))
    assert "weights.part-weighted" in info.value.codes
    published = weighted.replace("indicators:", "as_published: true\nindicators:", 1)
    e = evaluate(make_set(published), ACTUALS)
    codes = [f.evidence["code"] for f in e.flags if f.rule == "published.inconsistent"]
    assert "weights.part-weighted" in codes
    assert e.indicator("poor").weight == Decimal(5)
