"""The problems found while compiling one set, located in its YAML, and formulas checked there."""

from __future__ import annotations

from collections.abc import Iterable

from kpi_engine.errors import DefinitionError, FormulaError, Issue, SourceLocation, did_you_mean
from kpi_engine.formula import Formula, compile_formula
from kpi_engine.models import IndicatorSet, SourceMap

__all__ = ["Checks", "Path_"]

Path_ = tuple[str | int, ...]


class Checks:
    """Collects every problem of one set with its place in the YAML; raises them together."""

    def __init__(self, definition: IndicatorSet) -> None:
        self.smap = definition.source or SourceMap("<set>", {}, {})
        self.issues: list[Issue] = []

    def at(self, path: Path_, *, key: bool = False) -> SourceLocation:
        """Where ``path`` (its key when ``key``) is in the set's file."""
        return self.smap.locate(path, key=key)

    def add(self, code: str, zh: str, en: str, path: Path_, *, key: bool = False) -> None:
        """One problem at ``path``."""
        self.issues.append(Issue(code, zh, en, self.at(path, key=key)))

    def add_in_formula(self, code: str, zh: str, en: str, path: Path_, col: int) -> None:
        """One problem at column ``col`` (1-based) of the formula written at ``path``."""
        base = self.at(path)
        self.issues.append(
            Issue(code, zh, en, SourceLocation(base.file, base.line, base.col + col - 1))
        )

    def formula(self, text: str, path: Path_, known: Iterable[str], what: str) -> Formula | None:
        """``text`` compiled, each unknown name reported where it is written; None if invalid."""
        try:
            formula = compile_formula(text)
        except FormulaError as exc:
            self.add_in_formula(exc.code, exc.message, exc.message_en, path, exc.col)
            return None
        known = set(known)
        for name, col in formula.unknown_names(known):
            zh_hint, en_hint = did_you_mean(name, known)
            self.add_in_formula(
                "formula.unknown-name",
                f"{what}中的名称 '{name}' 未定义{zh_hint}",
                f"unknown name {name!r} in {what}{en_hint}",
                path,
                col,
            )
        return formula

    def raise_any(self) -> None:
        """Raise one DefinitionError carrying every problem, if there is any."""
        if self.issues:
            raise DefinitionError(self.issues)
