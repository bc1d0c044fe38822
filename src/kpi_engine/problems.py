"""The one collector of definition problems: each problem is one call, located for you.

A checker (the YAML loader, the set compiler, the rule-pack compiler) holds a :class:`Problems`
for the document it reads. Each problem is named by its code, its Chinese and English text and
*where* it is: a path into the parsed data, located through the document's
:class:`~kpi_engine.models.SourceMap` (``key=True`` for the key's own position, ``col=`` for a
column inside a formula written at that path), or a place already known. Everything found is
raised together as one :class:`~kpi_engine.errors.DefinitionError`, sorted by place, so an author
fixes a whole file in one pass::

    >>> from kpi_engine.errors import SourceMap
    >>> from kpi_engine.errors import SourceLocation
    >>> smap = SourceMap("set.yaml", {("a",): SourceLocation("set.yaml", 2, 4)},
    ...                  {("a",): SourceLocation("set.yaml", 2, 1)})
    >>> problems = Problems(smap)
    >>> problems.add("x.two", "二", "two", ("a",), col=3)
    >>> problems.add("x.one", "一", "one", ("a",), key=True)
    >>> problems.raise_if_any()
    Traceback (most recent call last):
    ...
    kpi_engine.errors.DefinitionError: set.yaml:2:1: x.one: one
    set.yaml:2:6: x.two: two
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

from kpi_engine.errors import DefinitionError, FormulaError, Issue, SourceLocation, SourceMap

__all__ = ["Path_", "Problems", "Where"]

Path_ = tuple[str | int, ...]
"""A path into parsed data: mapping keys and list indexes."""
Where = Path_ | SourceLocation
"""Where a problem is: a path located through the source map, or a place already known."""


class Problems:
    """Collects located :class:`~kpi_engine.errors.Issue` records; raises them all at once."""

    __slots__ = ("_issues", "located", "smap")

    def __init__(
        self, smap: SourceMap, issues: Iterable[Issue] = (), *, located: bool = True
    ) -> None:
        self.smap = smap
        self.located = located
        """False for data built in Python: its problems have no place (``code: message``)."""
        self._issues: list[Issue] = list(issues)

    @classmethod
    def in_file(cls, file: str) -> Problems:
        """A collector for a file that has no source map (yet): every path is at ``file:1:1``."""
        return cls(SourceMap(file, {}, {}))

    @classmethod
    def unlocated(cls) -> Problems:
        """A collector for data with no source text (built in Python): problems carry no place."""
        return cls(SourceMap("", {}, {}), located=False)

    def locate(self, where: Where = (), *, key: bool = False, col: int = 1) -> SourceLocation:
        """The place of ``where`` (its key when ``key``), moved to column ``col`` of its text."""
        base = where if isinstance(where, SourceLocation) else self.smap.locate(where, key=key)
        return base.at_column(col)

    def issue(
        self, code: str, zh: str, en: str, where: Where = (), *, key: bool = False, col: int = 1
    ) -> Issue:
        """The located record, not collected (for a checker that still rewords or drops some)."""
        if not self.located:
            return Issue(code, zh, en)
        return Issue(code, zh, en, self.locate(where, key=key, col=col))

    def add(
        self, code: str, zh: str, en: str, where: Where = (), *, key: bool = False, col: int = 1
    ) -> None:
        """Collect one problem: code, Chinese and English text, and where it is."""
        self._issues.append(self.issue(code, zh, en, where, key=key, col=col))

    def add_formula_error(self, exc: FormulaError, path: Path_) -> None:
        """Collect a formula that does not compile, at its column inside the text at ``path``."""
        self._issues.append(exc.issue.located(self.locate(path, col=exc.col)))

    def extend(self, issues: Iterable[Issue]) -> None:
        """Collect records located elsewhere (another file's DefinitionError, another checker)."""
        self._issues.extend(issues)

    def fail(
        self, code: str, zh: str, en: str, where: Where = (), *, key: bool = False, col: int = 1
    ) -> NoReturn:
        """Collect one problem that stops the reading, and raise everything collected."""
        self.add(code, zh, en, where, key=key, col=col)
        raise DefinitionError(self._issues) from None

    def error(
        self, code: str, zh: str, en: str, where: Where = (), *, key: bool = False, col: int = 1
    ) -> DefinitionError:
        """Collect one problem that stops the reading, and the error to raise for everything
        collected (``raise problems.error(...)``, where control flow should show the raise)."""
        self.add(code, zh, en, where, key=key, col=col)
        return DefinitionError(self._issues)

    def raise_if_any(self) -> None:
        """Raise everything collected as one DefinitionError, if anything was."""
        if self._issues:
            raise DefinitionError(self._issues) from None

    @property
    def issues(self) -> list[Issue]:
        """What has been collected so far, in the order found (a copy)."""
        return list(self._issues)
