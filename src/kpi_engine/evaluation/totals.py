"""Rows added up: group subtotals bottom-up, the total rescaled to what applies, caps, grade."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from kpi_engine.compiler import CompiledSet
from kpi_engine.display import show
from kpi_engine.flags import Span
from kpi_engine.functions import Value, exact_sum, quantize_half_up
from kpi_engine.grading import Grade, grade
from kpi_engine.models import Cap
from kpi_engine.results import GroupResult, IndicatorResult, Status

__all__ = ["Totals", "add_up", "capped"]


class Totals(NamedTuple):
    """The groups' subtotals and the total, its grade and how much of the weight was scored."""

    groups: tuple[GroupResult, ...]
    total: Decimal | None
    total_uncapped: Decimal | None
    cap: str | None
    grade: Grade | None
    coverage: Decimal
    total_high: Decimal | None
    grade_range: tuple[Grade, Grade] | None
    span: Span | None
    """For the data.incomplete flag: both ends, their grades, and whether 0 is counted."""


def add_up(
    c: CompiledSet, results: Sequence[IndicatorResult], values: Mapping[str, Value]
) -> Totals:
    """Subtotals, total (rescaled when rows are not applicable), caps and grade."""
    by_id: dict[str, tuple[Decimal, Decimal]] = {
        r.id: (r.score or Decimal(0), r.applicable_weight) for r in results
    }
    groups = []
    for g in c.groups:  # post-order: children first
        score = exact_sum(by_id[child][0] for child in g.children)
        applicable = exact_sum(by_id[child][1] for child in g.children)
        by_id[g.id] = (score, applicable)
        groups.append(
            GroupResult(
                g.id,
                g.name,
                g.name_en,
                g.path,
                g.depth,
                g.weight,
                applicable,
                score,
                g.children,
                g.assumed,
            )
        )
    raw = exact_sum(by_id[i][0] for i in c.top)
    applicable = exact_sum(by_id[i][1] for i in c.top)
    scored_weight = exact_sum(r.weight for r in results if r.status is Status.OK)
    if applicable == 0:
        total = None
        coverage = Decimal(0)
    else:
        # A table loaded as published is added up as printed: rescaling to weights that do not
        # add up would hide the inconsistency the reviewer is flagged about.
        rescale = applicable != c.scale and not c.published
        total = raw * c.scale / applicable if rescale else raw
        coverage = scored_weight / applicable
    result_grade = None
    total_uncapped = total
    cap_note = None
    high: Decimal | None = None
    grades: tuple[Grade, Grade] | None = None
    span: Span | None = None
    if total is not None:
        total, cap_note = capped(total, c.scale, c.definition.caps, values)
        result_grade = _grade(c, total)
        if coverage < 1:
            # Unscored rows could have earned anything up to their weight: the true total lies
            # between counting them as 0 and counting them as full.
            unscored = applicable - scored_weight
            high, _ = capped(
                (raw + unscored) * c.scale / applicable, c.scale, c.definition.caps, values
            )
            high_grade = _grade(c, high)
            as_zero = c.definition.unscored == "zero"
            span = (total, high, result_grade, high_grade, as_zero)
            if not as_zero:
                # No grade for an incomplete total, even when both ends share one: the rules
                # grade a complete evaluation.
                grades = (result_grade, high_grade)
                result_grade = None
    return Totals(
        tuple(groups), total, total_uncapped, cap_note, result_grade, coverage, high, grades, span
    )


def _grade(c: CompiledSet, total: Decimal) -> Grade:
    # Graded on the percentage of full marks as reported (rounded to the set's places): with a
    # 100-point scale that is the printed total, and scaling every weight and the scale together
    # leaves it unchanged.
    return grade(quantize_half_up(total * 100 / c.scale, c.places), c.grades)


def capped(
    total: Decimal, scale: Decimal, caps: Sequence[Cap], values: Mapping[str, Value]
) -> tuple[Decimal, str | None]:
    """Apply the strictest cap whose value is below its threshold (caps are on 100 points)."""
    best: tuple[Decimal, str] | None = None
    for cap in caps:
        value = values.get(cap.value)
        if not isinstance(value, Decimal) or value >= cap.below:
            continue
        ceiling = cap.max_total * scale / 100
        if best is None or ceiling < best[0]:
            note = f"{cap.value} {show(value)} < {show(cap.below)} → ≤ {show(cap.max_total)}"
            best = (ceiling, note)
    if best is None or total <= best[0]:
        return total, None  # no ceiling binds: nothing to report
    return best[0], best[1]
