"""Total → grade: half-open national bands and custom bands."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given

from kpi_engine.grading import NATIONAL, Grade, band_problems, grade

from .strategies import percents


@pytest.mark.parametrize(
    ("percent", "label"),
    [
        (D(100), "优"),
        (D(90), "优"),
        (D("89.99"), "良"),
        (D(80), "良"),
        (D("79.99"), "中"),
        (D(60), "中"),
        (D("59.99"), "差"),
        (D(0), "差"),
    ],
)
def test_national_band_edges(percent: D, label: str) -> None:
    """优 ≥ 90; 良 80–<90; 中 60–<80; 差 < 60 — exact at the edges."""
    assert grade(percent).label == label


@given(percents, percents)
def test_grade_never_falls_as_the_total_rises(a: D, b: D) -> None:
    """A higher total never gets a lower grade."""
    low, high = sorted((a, b))
    order = [g.label for g in NATIONAL]
    assert order.index(grade(high).label) <= order.index(grade(low).label)


def test_custom_bands_are_checked() -> None:
    """Bands must descend, end at 0, stay within 100 and not repeat names."""
    bad = (Grade("A", "A", D(50)), Grade("A", "A", D(70)), Grade("C", "C", D(101)))
    messages = [en for _, en in band_problems(bad)]
    assert len(messages) == 4
    assert band_problems(NATIONAL) == []
