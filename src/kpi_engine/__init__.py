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
from kpi_engine.version import __version__

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
