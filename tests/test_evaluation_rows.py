"""evaluation.rows: every field of a row's result comes from where it should (the result is built
positionally on the hot path, so a field out of order would go unnoticed by the type checker)."""

from __future__ import annotations

from decimal import Decimal as D

from kpi_engine import Status, evaluate

from .conftest import make_set


def test_every_field_of_a_scored_row_lands_in_its_place() -> None:
    """Static parts from the set, entry parts from the actuals, outcome parts from the scorer."""
    s = make_set(
        """
        indicators:
          - id: g
            name: 产出指标
            weight: 10
            children:
              - {id: a, name: 培训人数, name_en: Trainees, weight: 10, target: "≥ 500 人",
                 dimension: 数量, assumed: [target]}
        """
    )
    e = evaluate(
        s,
        {
            "indicators": {
                "a": {
                    "actual": 450,
                    "reported_score": 9.5,
                    "reason": "疫情影响",
                    "source": "培训台账",
                    "last_year": 400,
                }
            }
        },
    )
    r = e.indicator("a")
    assert (r.id, r.name, r.name_en, r.path, r.group_ids) == (
        "a",
        "培训人数",
        "Trainees",
        ("产出指标",),
        ("g",),
    )
    assert (r.kind, r.method, r.status, r.weight) == (
        "quantitative",
        "proportional",
        Status.OK,
        D(10),
    )
    assert (r.target_text, r.unit, r.value, r.actual_text) == ("≥ 500 人", "人", D(450), None)
    assert (r.score, r.score_exact, r.achievement, r.met) == (D(9), D(9), D("0.9"), False)
    assert (r.tier, r.problem_code, r.problem, r.problem_en) == (None, None, None, None)
    assert (r.reported_score, r.reported_actual, r.reason, r.source) == (
        D("9.5"),
        None,
        "疫情影响",
        "培训台账",
    )
    assert (r.dimension, r.given_score, r.last_year, r.assumed) == (
        "数量",
        None,
        D(400),
        ("target",),
    )
    assert r.explanation.calculation == "450 < 500 → s = 10 × 450 ÷ 500 = 9"


def test_every_field_of_a_failed_row_lands_in_its_place() -> None:
    """A row that cannot be scored: status, problem code and texts, the text supplied."""
    s = make_set('indicators:\n  - {id: a, name: 甲, weight: 10, target: "≥ 5"}\n')
    r = evaluate(s, {"indicators": {"a": {"actual": "很多"}}}).indicator("a")
    assert (r.status, r.problem_code, r.actual_text, r.value, r.score) == (
        Status.ERROR,
        "actual.not-numeric",
        "很多",
        None,
        None,
    )
    assert r.problem is not None
    assert r.problem_en is not None
    assert "很多" in r.problem
    assert "很多" in r.problem_en
