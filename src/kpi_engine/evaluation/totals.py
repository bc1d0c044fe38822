"""Rows added up: group subtotals bottom-up, the total rescaled to what applies, caps, grade."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from kpi_engine.compiler import CompiledSet
from kpi_engine.display import show
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
                g.id, g.name, g.name_en, g.path, g.depth, g.weight, applicable, score, g.children
            )
        )
    raw = exact_sum(by_id[i][0] for i in c.top)
    applicable = exact_sum(by_id[i][1] for i in c.top)
    scored_weight = exact_sum(r.weight for r in results if r.status is Status.OK)
    if applicable == 0:
        total = None
        coverage = Decimal(0)
    else:
        total = raw if applicable == c.scale else raw * c.scale / applicable
        coverage = scored_weight / applicable
    result_grade = None
    total_uncapped = total
    cap_note = None
    if total is not None:
        total, cap_note = capped(total, c.scale, c.definition.caps, values)
        # Graded on the percentage of full marks as reported (rounded to the set's places):
        # with a 100-point scale that is the printed total, and scaling every weight and
        # the scale together leaves it unchanged.
        percent = quantize_half_up(total * 100 / c.scale, c.places)
        result_grade = grade(percent, c.grades)
    return Totals(tuple(groups), total, total_uncapped, cap_note, result_grade, coverage)


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
