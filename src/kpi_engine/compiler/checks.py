"""The problems found while compiling one set (the package's one collector, located in the set's
YAML), and formulas checked where they are written."""

from __future__ import annotations

from collections.abc import Collection

from kpi_engine.errors import FormulaError, Issue, SourceLocation, did_you_mean
from kpi_engine.formula import Formula, compile_formula
from kpi_engine.models import IndicatorSet, SourceMap
from kpi_engine.problems import Path_, Problems

__all__ = ["Checks", "Path_"]


class Checks(Problems):
    """Collects every problem of one set with its place in the YAML; raises them together."""

    __slots__ = ("as_published", "published")

    def __init__(self, definition: IndicatorSet) -> None:
        super().__init__(definition.source or SourceMap("<set>", {}, {}))
        self.as_published = definition.as_published
        self.published: list[Issue] = []
        """Inconsistencies of a table loaded as published: flags for the reviewer, not errors."""

    def inconsistent(self, code: str, zh: str, en: str, path: Path_) -> None:
        """A figure that contradicts another in the table (weights that do not add up): an error,
        or, for a table loaded as published, a finding kept for review."""
        if self.as_published:
            self.published.append(self.issue(code, zh, en, path))
        else:
            self.add(code, zh, en, path)

    def at(self, path: Path_, *, key: bool = False) -> SourceLocation:
        """Where ``path`` (its key when ``key``) is in the set's file."""
        return self.locate(path, key=key)

    def formula(self, text: str, path: Path_, known: Collection[str], what: str) -> Formula | None:
        """``text`` compiled, each unknown name reported where it is written; None if invalid."""
        try:
            formula = compile_formula(text)
        except FormulaError as exc:
            self.add_formula_error(exc, path)
            return None
        for name, col in formula.unknown_names(known):
            zh_hint, en_hint = did_you_mean(name, known)
            self.add(
                "formula.unknown-name",
                f"{what}中的名称 '{name}' 未定义{zh_hint}",
                f"unknown name {name!r} in {what}{en_hint}",
                path,
                col=col,
            )
        return formula
