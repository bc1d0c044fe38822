"""kpi_engine: declarative, exact and explainable evaluation of indicator sets (绩效自评).

Load an indicator set authored in YAML, evaluate it against actuals, and read scores, a grade,
an explanation of every score and problem flags::

    >>> import kpi_engine
    >>> demo = "indicator_sets/project-demo-2024"
    >>> s = kpi_engine.load_indicator_set(demo)
    >>> e = kpi_engine.evaluate(s, kpi_engine.load_actuals(f"{demo}/actuals.yaml"))
    >>> e.grade.label in {"优", "良", "中", "差"}
    True

The pipeline: :mod:`~kpi_engine.loading` → :mod:`~kpi_engine.compiler` →
:mod:`~kpi_engine.engine` → results (and, for the ``kpi`` command, reports).
"""

import typing

from kpi_engine.version import __version__

if (
    typing.TYPE_CHECKING
):  # the names below load on first use (PEP 562): `import kpi_engine` stays fast
    from kpi_engine.compiler import CompiledSet, compile_set
    from kpi_engine.engine import Engine, evaluate, lint
    from kpi_engine.errors import (
        DefinitionError,
        EvaluationError,
        FormulaError,
        Issue,
        KpiEngineError,
        SourceLocation,
    )
    from kpi_engine.formula import Formula, compile_formula
    from kpi_engine.grading import NATIONAL, Grade
    from kpi_engine.loading import (
        load_actuals,
        load_indicator_set,
        parse_actuals,
        parse_indicator_set,
    )
    from kpi_engine.models import Actuals, IndicatorSet, Method, Tier
    from kpi_engine.results import (
        Evaluation,
        Explanation,
        Flag,
        GroupResult,
        IndicatorNotFoundError,
        IndicatorResult,
        Status,
    )
    from kpi_engine.rulepacks import RulePack, builtin_pack, load_pack
    from kpi_engine.targets import Target, parse_target


_LAZY = {
    "Actuals": "kpi_engine.models",
    "CompiledSet": "kpi_engine.compiler",
    "DefinitionError": "kpi_engine.errors",
    "Engine": "kpi_engine.engine",
    "Evaluation": "kpi_engine.results",
    "EvaluationError": "kpi_engine.errors",
    "Explanation": "kpi_engine.results",
    "Flag": "kpi_engine.results",
    "Formula": "kpi_engine.formula",
    "FormulaError": "kpi_engine.errors",
    "Grade": "kpi_engine.grading",
    "GroupResult": "kpi_engine.results",
    "IndicatorNotFoundError": "kpi_engine.results",
    "IndicatorResult": "kpi_engine.results",
    "IndicatorSet": "kpi_engine.models",
    "Issue": "kpi_engine.errors",
    "KpiEngineError": "kpi_engine.errors",
    "Method": "kpi_engine.models",
    "NATIONAL": "kpi_engine.grading",
    "RulePack": "kpi_engine.rulepacks",
    "SourceLocation": "kpi_engine.errors",
    "Status": "kpi_engine.results",
    "Target": "kpi_engine.targets",
    "Tier": "kpi_engine.models",
    "builtin_pack": "kpi_engine.rulepacks",
    "compile_formula": "kpi_engine.formula",
    "compile_set": "kpi_engine.compiler",
    "evaluate": "kpi_engine.engine",
    "lint": "kpi_engine.engine",
    "load_actuals": "kpi_engine.loading",
    "load_indicator_set": "kpi_engine.loading",
    "load_pack": "kpi_engine.rulepacks",
    "parse_actuals": "kpi_engine.loading",
    "parse_indicator_set": "kpi_engine.loading",
    "parse_target": "kpi_engine.targets",
}


def __getattr__(name: str) -> object:
    """Import a public name's module on first use, so start-up pays only for what it uses."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kpi_engine' has no attribute {name!r}")
    import importlib  # noqa: PLC0415 - only on first use of a name

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "NATIONAL",
    "Actuals",
    "CompiledSet",
    "DefinitionError",
    "Engine",
    "Evaluation",
    "EvaluationError",
    "Explanation",
    "Flag",
    "Formula",
    "FormulaError",
    "Grade",
    "GroupResult",
    "IndicatorNotFoundError",
    "IndicatorResult",
    "IndicatorSet",
    "Issue",
    "KpiEngineError",
    "Method",
    "RulePack",
    "SourceLocation",
    "Status",
    "Target",
    "Tier",
    "__version__",
    "builtin_pack",
    "compile_formula",
    "compile_set",
    "evaluate",
    "lint",
    "load_actuals",
    "load_indicator_set",
    "load_pack",
    "parse_actuals",
    "parse_indicator_set",
    "parse_target",
]
