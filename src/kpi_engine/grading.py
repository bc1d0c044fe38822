"""Total → grade by bands. Pure: it never sees YAML or presentation.

Bands are half-open and expressed on a 100-point basis, so a set scored out of 50 is graded on
``total ÷ scale × 100``: scaling every weight and the scale by the same factor keeps the grade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

__all__ = ["NATIONAL", "Grade", "band_problems", "grade"]


@dataclass(frozen=True, slots=True)
class Grade:
    """A grade and the lowest percentage of full marks that earns it."""

    label: str
    label_en: str
    min: Decimal


NATIONAL: tuple[Grade, ...] = (
    Grade("优", "Excellent", Decimal(90)),
    Grade("良", "Good", Decimal(80)),
    Grade("中", "Fair", Decimal(60)),
    Grade("差", "Poor", Decimal(0)),
)
"""The official bands: 优 ≥ 90; 良 80–<90; 中 60–<80; 差 < 60."""


def band_problems(bands: Sequence[Grade]) -> list[tuple[str, str]]:
    """What is wrong with a custom list of bands, as (Chinese, English) messages."""
    problems = []
    mins = [b.min for b in bands]
    if any(later >= earlier for earlier, later in pairwise(mins)):
        problems.append(
            (
                "等级须按最低分从高到低排列且不重复",
                "grades must be listed from the highest minimum down",
            )
        )
    if not mins or mins[-1] != 0:
        problems.append(("最后一个等级的最低分须为 0", "the last grade must have min 0"))
    if any(m > 100 for m in mins):
        problems.append(("等级最低分不能超过 100", "a grade minimum cannot exceed 100"))
    labels = [b.label for b in bands]
    if len(set(labels)) != len(labels):
        problems.append(("等级名称重复", "grade names repeat"))
    return problems


def grade(percent: Decimal, bands: Sequence[Grade] = NATIONAL) -> Grade:
    """The first band (highest first) whose minimum ``percent`` reaches.

    >>> grade(Decimal("89.99")).label, grade(Decimal("90")).label
    ('良', '优')
    """
    for band in bands:
        if percent >= band.min:
            return band
    return bands[-1]
