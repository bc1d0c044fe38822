"""``Engine``: a compiled set + actuals → :class:`~kpi_engine.results.Evaluation`.

Compile once, evaluate many: ``Engine(indicator_set)`` checks and compiles the set up front and is
immutable afterwards, so one engine can be shared between threads (each ``evaluate`` call makes its
own interpreter). Bad data in one indicator becomes that indicator's status plus a flag; the rest
still evaluates, and nothing missing is ever counted as zero without saying so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from decimal import localcontext
from typing import Any

from kpi_engine.compiler import CompiledSet, compile_set
from kpi_engine.errors import (
    DefinitionError,
    did_you_mean,
)
from kpi_engine.evaluation import Plan, Run
from kpi_engine.flags import check, sort_flags, structure_of
from kpi_engine.formula import ARITHMETIC
from kpi_engine.gcpause import without_gc
from kpi_engine.loading import validate
from kpi_engine.models import (
    Actuals,
    IndicatorSet,
    Kind,
    SourceMap,
)
from kpi_engine.problems import Problems
from kpi_engine.provenance import Provenance, digest
from kpi_engine.results import (
    Evaluation,
    Flag,
)
from kpi_engine.rulepacks import RulePack, packs_for

logger = logging.getLogger(__name__)

__all__ = ["Engine", "evaluate", "lint"]


class Engine:
    """Evaluates one indicator set against any number of actuals.

    >>> from kpi_engine import parse_indicator_set
    >>> engine = Engine(parse_indicator_set('''
    ... kpi_engine: 1
    ... id: tiny
    ... title: 示例
    ... inputs: {done: {unit: 人}}
    ... indicators:
    ...   - {id: trained, name: 培训人数, weight: 10, target: "≥ 500 人", value: done}
    ... '''))
    >>> result = engine.evaluate({"inputs": {"done": 450}})
    >>> str(result.total_rounded), result.grade.label
    ('9.00', '优')
    """

    __slots__ = ("_compiled", "_packs", "_plan", "_set_digest", "_structure")

    @without_gc  # a large set's compiled graph is built in one go (see kpi_engine.gcpause)
    def __init__(self, indicator_set: IndicatorSet, extra_rules: Sequence[RulePack] = ()) -> None:
        self._compiled = compile_set(indicator_set)
        self._packs = packs_for(indicator_set, extra_rules)
        self._set_digest = digest(indicator_set)
        self._plan = Plan.of(self._compiled)
        self._structure = structure_of(self._compiled, self._packs)

    @property
    def rule_packs(self) -> tuple[RulePack, ...]:
        """The rule packs applied: those the set names (default ``cn-fiscal``) plus extras."""
        return self._packs

    def lint(self) -> tuple[Flag, ...]:
        """Structural problem flags only: what can be said of the set before any actuals."""
        return sort_flags(check(self._compiled, self._packs, structure=self._structure))

    @property
    def compiled(self) -> CompiledSet:
        """The checked and compiled set."""
        return self._compiled

    @property
    def indicator_set(self) -> IndicatorSet:
        """The set this engine evaluates."""
        return self._compiled.definition

    def evaluate(self, actuals: Actuals | Mapping[str, Any] | None = None) -> Evaluation:
        """Score every indicator; raises :class:`DefinitionError` only for structural problems
        in the actuals (unknown input or indicator names, wrong shape)."""
        if actuals is None:
            actuals = Actuals()
        elif not isinstance(actuals, Actuals):
            actuals = validate(Actuals, dict(actuals), SourceMap("<actuals>", {}, {}))
        self._check(actuals)
        with localcontext(ARITHMETIC):
            evaluation = Run(self._compiled, actuals, self._plan).evaluate()
            found = check(self._compiled, self._packs, evaluation, self._structure)
        provenance = Provenance(
            self._set_digest, ", ".join(pack.id for pack in self._packs), actuals
        )
        logger.debug(
            "%s evaluated: total %s, %d flags",
            self._compiled.definition.id,
            evaluation.total,
            len(evaluation.flags) + len(found),
        )
        return replace(
            evaluation, flags=sort_flags((*evaluation.flags, *found)), provenance=provenance
        )

    def evaluate_many(
        self, rows: Iterable[Actuals | Mapping[str, Any]]
    ) -> Iterator[Evaluation | DefinitionError]:
        """Evaluate a stream of actuals lazily, in order. A row whose actuals are structurally
        wrong yields its ``DefinitionError`` as a value instead of stopping the stream, so every
        row gives exactly one result."""
        for row in rows:
            try:
                yield self.evaluate(row)
            except DefinitionError as exc:
                yield exc

    def _check(self, actuals: Actuals) -> None:
        c = self._compiled
        smap = actuals.source
        problems = Problems(smap) if smap else Problems.unlocated()
        if actuals.set is not None and actuals.set != c.definition.id:
            problems.add(
                "actuals.set-mismatch",
                f"实际值文件对应指标体系 '{actuals.set}'，而不是 '{c.definition.id}'",
                f"these actuals are for set {actuals.set!r}, not {c.definition.id!r}",
                ("set",),
                key=True,
            )
        derived_names = {name for name, _, _ in c.derived}
        for name in actuals.inputs:
            if name in c.inputs:
                continue
            zh, en = did_you_mean(name, c.inputs)
            if name in derived_names:
                zh, en = "（它是派生值，由公式计算，不应直接提供）", " (it is derived by formula)"
            problems.add(
                "actuals.unknown-input",
                f"未定义的输入项 '{name}'{zh}",
                f"unknown input {name!r}{en}",
                ("inputs", name),
                key=True,
            )
        leaves = {leaf.id: leaf for leaf in c.leaves}
        groups = {g.id for g in c.groups}
        for indicator_id, entry in actuals.indicators.items():
            leaf = leaves.get(indicator_id)
            if leaf is None:
                if indicator_id in groups:
                    zh, en = "（这是指标组，其得分由下级指标汇总）", " (it is a group)"
                else:
                    zh, en = did_you_mean(indicator_id, leaves)
                problems.add(
                    "actuals.unknown-indicator",
                    f"未定义的指标 '{indicator_id}'{zh}",
                    f"unknown indicator {indicator_id!r}{en}",
                    ("indicators", indicator_id),
                    key=True,
                )
            elif leaf.scorer.spec.reads != "tier" and (
                entry.tier is not None or entry.score is not None
            ):
                what, what_en = (
                    ("是定量指标", "is quantitative")
                    if leaf.kind is Kind.QUANTITATIVE
                    else (
                        f"按{leaf.scorer.spec.name_zh}计分",
                        f"is scored by {leaf.scorer.spec.name_en}",
                    )
                )
                problems.add(
                    "actuals.tier-on-quantitative",
                    f"指标 '{indicator_id}' {what}，不能给定性档次或得分",
                    f"indicator {indicator_id!r} {what_en}: tier and score do not apply",
                    ("indicators", indicator_id),
                    key=True,
                )
        problems.raise_if_any()


def evaluate(
    indicator_set: IndicatorSet, actuals: Actuals | Mapping[str, Any] | None = None
) -> Evaluation:
    """Compile ``indicator_set`` and evaluate it once (use :class:`Engine` to evaluate many)."""
    return Engine(indicator_set).evaluate(actuals)


def lint(indicator_set: IndicatorSet, extra_rules: Sequence[RulePack] = ()) -> tuple[Flag, ...]:
    """Structural problem flags of a set, without actuals (``kpi lint``)."""
    return Engine(indicator_set, extra_rules).lint()
