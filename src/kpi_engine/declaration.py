"""Target declaration and review (绩效目标申报审核): the ``cn-declare`` pack run on a set before
the year starts, and each row's 审核意见 (通过 / 修改后通过 / 不通过, with the reasons).

Last year's actuals, when known (from a ``last_year`` mapping, e.g. the history store's or last
year's evaluation), feed the pack's ``declare.below_last_year``: the set is evaluated against
actuals that carry nothing but ``last_year``, so only that fact is new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from kpi_engine.compiler import CompiledSet, compile_set
from kpi_engine.errors import Lang
from kpi_engine.flags import check, sort_flags
from kpi_engine.models import Actuals, IndicatorActual, IndicatorSet
from kpi_engine.results import Flag
from kpi_engine.rulepacks import RulePack, builtin_pack, packs_for

__all__ = ["DECLARE_PACK", "Declaration", "RowVerdict", "Verdict", "review"]

DECLARE_PACK = "cn-declare"


class Verdict(StrEnum):
    """A reviewer's 审核意见."""

    PASS = "pass"
    AMEND = "amend"
    REJECT = "reject"

    def label(self, lang: Lang = "zh") -> str:
        """通过 / 修改后通过 / 不通过, or in English."""
        zh = {"pass": "通过", "amend": "修改后通过", "reject": "不通过"}
        en = {"pass": "approved", "amend": "approved once amended", "reject": "rejected"}
        return (zh if lang == "zh" else en)[self.value]


def _verdict(flags: Sequence[Flag]) -> Verdict:
    # info flags are advice; a warning asks for an amendment; an error sends the target back
    severities = {f.severity for f in flags}
    if "error" in severities:
        return Verdict.REJECT
    if "warning" in severities:
        return Verdict.AMEND
    return Verdict.PASS


@dataclass(frozen=True, slots=True)
class RowVerdict:
    """One row's 审核意见 with the findings behind it."""

    id: str
    verdict: Verdict
    flags: tuple[Flag, ...]

    def reasons(self, lang: Lang = "zh") -> str:
        """The findings as one cell of text (empty when there are none)."""
        return "；".join(f.message if lang == "zh" else f.message_en for f in self.flags)


@dataclass(frozen=True, slots=True)
class Declaration:
    """The review of a set at declaration: all findings, each row's verdict, the set's."""

    flags: tuple[Flag, ...]
    rows: Mapping[str, RowVerdict]
    overall: RowVerdict
    """The verdict on the whole declaration: the set's own findings and the worst row."""


def _packs(indicator_set: IndicatorSet, extra: Sequence[RulePack]) -> tuple[RulePack, ...]:
    # the set's own cn-declare (with its overrides) if it names one, then any extra packs
    named = tuple(p for p in packs_for(indicator_set) if p.id == DECLARE_PACK)
    return (*(named or (builtin_pack(DECLARE_PACK),)), *extra)


def review(
    indicator_set: IndicatorSet,
    last_year: Mapping[str, Decimal] | None = None,
    extra_rules: Sequence[RulePack] = (),
) -> Declaration:
    """Review a set's targets as a finance bureau does before approving them.

    The set's own ``cn-declare`` parameters apply when it names the pack; otherwise its defaults.
    ``last_year`` gives last year's actual per indicator id (for the below-last-year check).
    """
    from kpi_engine.engine import Engine  # noqa: PLC0415 - engine imports the facts this reads

    compiled: CompiledSet = compile_set(indicator_set)
    packs = _packs(indicator_set, extra_rules)
    evaluation = None
    known = {k: v for k, v in (last_year or {}).items() if compiled.leaf(k) is not None}
    if known:
        actuals = Actuals(indicators={k: IndicatorActual(last_year=v) for k, v in known.items()})
        evaluation = Engine(indicator_set.model_copy(update={"rules": ()})).evaluate(actuals)
    flags = tuple(sort_flags(check(compiled, packs, evaluation)))
    leaf_ids = [leaf.id for leaf in compiled.leaves]
    rows = {
        lid: RowVerdict(lid, _verdict(found), found)
        for lid in leaf_ids
        for found in [tuple(f for f in flags if f.subject == lid)]
    }
    own = tuple(f for f in flags if f.subject not in rows)
    worst = [_verdict(own), *(r.verdict for r in rows.values())]
    order = [Verdict.PASS, Verdict.AMEND, Verdict.REJECT]
    overall = RowVerdict(indicator_set.id, max(worst, key=order.index), own)
    return Declaration(flags, rows, overall)
