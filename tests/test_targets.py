"""Targets written the way auditors write them."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from kpi_engine.targets import Op, TargetSyntaxError, parse_target


@pytest.mark.parametrize(
    ("text", "op", "value", "high", "unit"),
    [
        ("≥ 500 人", Op.GE, D(500), None, "人"),
        (">=500", Op.GE, D(500), None, None),
        ("≤ 90 万元", Op.LE, D(90), None, "万元"),
        ("<= 90万元", Op.LE, D(90), None, "万元"),
        ("= 0 起", Op.EQ, D(0), None, "起"),
        ("100%", Op.GE, D(100), None, "%"),
        ("[95, 100] %", Op.RANGE, D(95), D(100), "%"),
        ("95%-100%", Op.RANGE, D(95), D(100), "%"),
        ("95%～100%", Op.RANGE, D(95), D(100), "%"),
        ("≥５００人", Op.GE, D(500), None, "人"),
        ("＞95％", Op.GE, D(95), None, "%"),
        ("≧ 98 ％", Op.GE, D(98), None, "%"),
        ("不低于 95%", Op.GE, D(95), None, "%"),
        ("不超过 90 万元", Op.LE, D(90), None, "万元"),
        ("500 人以上", Op.GE, D(500), None, "人"),
        ("500人及以上", Op.GE, D(500), None, "人"),
        ("≥ 2.1377 万家", Op.GE, D("2.1377"), None, "万家"),
        ("≥ 1,000 元", Op.GE, D(1000), None, "元"),
        ("≥100百分比", Op.GE, D(100), None, "%"),  # as one province's system prints it
    ],
)
def test_target_forms(text: str, op: Op, value: D, high: D | None, unit: str | None) -> None:
    """Operators (ASCII, math, full-width, Chinese words), numbers and units are recognised."""
    t = parse_target(text)
    assert (t.op, t.value, t.high, t.unit) == (op, value, high, unit)
    assert t.text == text


def test_a_number_target_means_at_least() -> None:
    """target: 500 in YAML is ≥ 500."""
    t = parse_target(D(500))
    assert (t.op, t.value, t.unit) == (Op.GE, D(500), None)


def test_strict_operators_are_remembered() -> None:
    """> is scored like ≥ but the original strictness is kept."""
    assert parse_target("> 5").strict
    assert not parse_target("≥ 5").strict


def test_canonical_text() -> None:
    """str(target) is the normalised form used in tables."""
    assert str(parse_target("＞95％")) == "≥ 95%"
    assert str(parse_target("[2,5] %")) == "[2, 5]%"
    assert str(parse_target("≤90万元")) == "≤ 90 万元"


@pytest.mark.parametrize("text", ["效果明显", "", "≥ 5 人 3", "100-95", "[1%, 2元]", "≥"])
def test_unreadable_targets_raise_with_both_languages(text: str) -> None:
    """Vague words, empty text, stray digits, inverted or mixed-unit ranges."""
    with pytest.raises(TargetSyntaxError) as info:
        parse_target(text)
    assert info.value.message
    assert info.value.message_en
