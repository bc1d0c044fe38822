"""The JSON result contract (DESIGN.md): stable keys, decimal strings."""

from __future__ import annotations

import json
from pathlib import Path

from kpi_engine import evaluate, load_actuals, load_indicator_set


def test_json_contract_keys_and_decimal_strings(demo_dir: Path) -> None:
    """Top-level, indicator, group and flag keys of the contract are present; numbers are strings."""
    e = evaluate(load_indicator_set(demo_dir), load_actuals(demo_dir / "actuals.yaml"))
    data = json.loads(e.to_json())
    assert {
        "set",
        "total",
        "max_total",
        "grade",
        "coverage",
        "indicators",
        "groups",
        "flags",
    } <= set(data)
    assert isinstance(data["total"], str)
    assert isinstance(data["max_total"], str)
    row = data["indicators"][0]
    assert {
        "id",
        "path",
        "name",
        "status",
        "weight",
        "target",
        "actual",
        "score",
        "explanation",
    } <= set(row)
    assert all(isinstance(row[k], str) for k in ("weight", "score", "actual"))
    group = data["groups"][0]
    assert {"id", "weight", "score"} <= set(group)


def test_rounded_and_exact_scores_are_both_reported(demo_dir: Path) -> None:
    """score is 四舍五入 to the set's places; score_exact keeps every digit."""
    e = evaluate(load_indicator_set(demo_dir), load_actuals(demo_dir / "actuals.yaml"))
    disposal = next(r for r in e.to_dict()["indicators"] if r["id"] == "disposal")
    assert disposal["score"] == "4.17"
    # The demo set rounds each row before adding; score_exact keeps the unrounded 5 × 30 ÷ 36.
    assert disposal["score_exact"].startswith("4.1666666")
    assert e.to_dict()["total"] == "96.93"


def test_flags_serialise_with_evidence() -> None:
    """Flags carry rule, severity, subject, messages, evidence and suggestions."""
    from .conftest import make_set

    e = evaluate(make_set("indicators:\n  - {id: a, name: 甲, weight: 5, target: 1}\n"), {})
    flag = e.to_dict()["flags"][0]
    assert flag["rule"] == "data.missing_input"
    assert {"severity", "subject", "message", "message_en", "evidence", "suggestion"} <= set(flag)
    assert flag["evidence"]["indicator"] == "a"


def test_explanations_are_lazy_but_equal_and_picklable(demo_dir: Path) -> None:
    """A lazily explained result gives the same text when read, survives pickling, and compares
    equal to a fresh evaluation's."""
    import pickle

    s, a = load_indicator_set(demo_dir), load_actuals(demo_dir / "actuals.yaml")
    first, second = evaluate(s, a), evaluate(s, a)
    row = first.indicator("disposal")
    assert row.explanation == second.indicator("disposal").explanation
    copy = pickle.loads(pickle.dumps(first))
    assert copy.to_dict() == first.to_dict()
    assert (
        copy.indicator("disposal").explanation.calculation
        == "36 > 30 → s = 5 × 30 ÷ 36 = ≈4.166667"
    )
    assert [u.name for u in row.explanation.used] == ["disposal_days"]


def _texts() -> tuple[str, str, dict[str, str], str, str]:
    return ("甲缺少数据", "a lacks data", {"indicator": "a"}, "补充数据", "Supply it")


def test_a_lazy_flag_renders_once_and_equals_the_eager_one() -> None:
    """render= defers the texts; reading any of them formats all once; equality is by content."""
    import pickle

    from kpi_engine.results import Flag

    calls = []

    def render() -> tuple[str, str, dict[str, str], str, str]:
        calls.append(1)
        return _texts()

    lazy = Flag("data.x", "warning", "a", problem="P", problem_en="P", render=render)
    assert calls == []
    assert (lazy.rule, lazy.severity, lazy.subject) == ("data.x", "warning", "a")
    assert calls == []  # counting flags by rule and severity formats nothing
    eager = Flag("data.x", "warning", "a", *_texts(), "P", "P")
    assert lazy == eager
    assert lazy.message_en == "a lacks data"
    assert lazy.to_dict() == eager.to_dict()
    assert calls == [1]
    assert pickle.loads(pickle.dumps(lazy)) == eager
    assert repr(lazy) == repr(eager)
    assert hash(lazy) == hash(eager)


def test_flags_are_immutable() -> None:
    """Like the frozen dataclass they replace: no attribute can be set."""
    import pytest

    from kpi_engine.results import Flag

    flag = Flag("data.x", "warning", "a", *_texts())
    with pytest.raises(AttributeError):
        flag.severity = "error"
    assert flag != Flag("data.x", "error", "a", *_texts())


def test_rule_pack_flags_read_the_same_whenever_they_are_read(demo_dir: Path) -> None:
    """Flags of two evaluations of the same data compare equal, however much of each was read."""
    s = load_indicator_set(demo_dir)
    a = load_actuals(demo_dir / "actuals.yaml")
    first, second = evaluate(s, a), evaluate(s, a)
    assert [f.message for f in first.flags]  # read one side only
    assert first.flags == second.flags
