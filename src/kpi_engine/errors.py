"""Errors raised by kpi_engine, and the located issues they carry.

Everything the package raises derives from one base, so an embedding application can catch
``KpiEngineError`` and know nothing else escapes. Where an error behaves like a built-in one it
derives from that too (ours first, the built-in second), so ``except ValueError`` keeps working::

    KpiEngineError
    ├── DefinitionError         an indicator set, actuals or rule file is invalid; carries
    │                           every Issue
    ├── FormulaError            one formula is invalid (kpi_engine.formula.compile_formula)
    ├── EvaluationError         one formula or score could not be computed from the data given;
    │                           the engine turns it into an indicator status, it never escapes
    │                           Engine.evaluate
    ├── MissingOperandError     a formula operand is a missing value (kpi_engine.functions); the
    │                           engine turns it into a missing_input status, it never escapes
    │                           Engine.evaluate
    ├── TargetSyntaxError       also a ValueError: a target text cannot be read
    │                           (kpi_engine.targets.parse_target)
    ├── IndicatorNotFoundError  also a LookupError: no indicator with that id
    │                           (kpi_engine.results.Evaluation.indicator)
    ├── OutputError             also an OSError: an output cannot be written where asked (not a
    │                           regular file, no folder, read-only, disk full); carries an Issue
    ├── HistoryError            the history store cannot do what was asked (kpi_engine.history:
    │                           no unit or year, no such evaluation, unusable database)
    └── MissingExtraError       also an ImportError: an optional library (openpyxl, Jinja2,
                                python-docx) is not installed; names the extra to install

Bad *data* in one indicator (a missing input, a zero target, text where a number belongs) is not an
exception: it becomes a status on that indicator's result plus a flag, and the rest still
evaluates.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

Lang = Literal["zh", "en"]

__all__ = [
    "DefinitionError",
    "EvaluationError",
    "FormulaError",
    "Issue",
    "KpiEngineError",
    "Lang",
    "MissingExtraError",
    "OutputError",
    "SourceLocation",
    "SourceMap",
    "did_you_mean",
]


def did_you_mean(word: str, choices: Iterable[str]) -> tuple[str, str]:
    """A "did you mean" hint for a misspelt name, in Chinese and English (empty if none is close).

    >>> did_you_mean("wieght", ["weight", "target"])
    ("，是否想写 'weight'？", "; did you mean 'weight'?")
    """
    match = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    if not match:
        return "", ""
    return f"，是否想写 '{match[0]}'？", f"; did you mean {match[0]!r}?"


@dataclass(frozen=True, slots=True, order=True)
class SourceLocation:
    """A place in a source file: 1-based line and column, as editors count them."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def at_column(self, col: int) -> SourceLocation:
        """Where the ``col``-th (1-based) character of a text that starts here stands.

        A formula's own column (as :class:`FormulaError` counts it) becomes a column in the file:

        >>> SourceLocation("set.yaml", 7, 14).at_column(5)
        SourceLocation(file='set.yaml', line=7, col=18)
        """
        return SourceLocation(self.file, self.line, self.col + col - 1)


class SourceMap:
    """Where each value (and each mapping key) of a loaded document stands in its file.

    Paths are tuples of mapping keys and list indexes, as in the parsed data. ``locate`` falls back
    to the nearest enclosing node, so every issue gets some location.
    """

    __slots__ = ("file", "keys", "values")

    def __init__(
        self,
        file: str,
        values: dict[tuple[str | int, ...], SourceLocation],
        keys: dict[tuple[str | int, ...], SourceLocation],
    ) -> None:
        self.file = file
        self.values = values
        self.keys = keys

    def locate(self, path: tuple[str | int, ...], *, key: bool = False) -> SourceLocation:
        """The location of the node at ``path`` (its key when ``key``), or of its nearest parent."""
        if key and path in self.keys:
            return self.keys[path]
        probe = path
        while probe:
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), SourceLocation(self.file, 1, 1))


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem, in both languages, with a stable machine-readable code: THE problem record.

    ``message`` is Chinese (the auditors' language); ``message_en`` the English text. A problem
    found in a definition carries its ``location``; one that has no place in a file yet (a formula
    compiled on its own, a figure read from a table, a value that cannot be computed) is built
    without one and may be :meth:`located` later. ``FormulaError.issue`` and
    ``EvaluationError.issue`` give the record of those exceptions; a checker collects located
    records with :class:`kpi_engine.problems.Problems`.
    """

    code: str
    message: str
    message_en: str
    location: SourceLocation | None = None

    def text(self, lang: Lang = "zh") -> str:
        """The message in the requested language."""
        return self.message if lang == "zh" else self.message_en

    def format(self, lang: Lang = "zh", default_source: str | None = None) -> str:
        """``file:line:col: code: message`` — the form compilers and linters use.

        A problem with no place in a file (a name given on the command line) is ``code: message``,
        or ``default_source: code: message`` when the caller names where it came from.
        """
        where = str(self.location) if self.location else default_source
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.code}: {self.text(lang)}"

    def located(self, where: SourceLocation | None) -> Issue:
        """The same problem at ``where``."""
        return replace(self, location=where)

    def reworded(self, message: str, message_en: str) -> Issue:
        """The same problem (code and place) said differently, e.g. with a better hint."""
        return replace(self, message=message, message_en=message_en)


def _sort_key(issue: Issue) -> tuple[str, int, int, str]:
    loc = issue.location
    if loc is None:
        return ("", 0, 0, issue.code)
    return (loc.file, loc.line, loc.col, issue.code)


class KpiEngineError(Exception):
    """Base class of every exception kpi_engine raises."""


class DefinitionError(KpiEngineError):
    """A definition (indicator set, actuals, rule pack) is invalid.

    All problems found are collected before raising, so an author can fix a whole file in one
    pass. ``issues`` is sorted by file, line and column.
    """

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(sorted(set(issues), key=_sort_key))
        super().__init__(self.report("en"))

    def report(self, lang: Lang = "zh") -> str:
        """Every issue on its own line as ``file:line:col: code: message``."""
        return "\n".join(issue.format(lang) for issue in self.issues)

    @property
    def codes(self) -> tuple[str, ...]:
        """The issue codes in report order (handy in tests and for filtering)."""
        return tuple(issue.code for issue in self.issues)


class FormulaError(KpiEngineError):
    """A formula cannot be compiled; ``col`` is the 1-based column inside the formula text."""

    def __init__(self, code: str, message: str, message_en: str, col: int = 1) -> None:
        self.code = code
        self.message = message
        self.message_en = message_en
        self.col = col
        super().__init__(f"{code}: {message_en} (column {col})")

    @property
    def issue(self) -> Issue:
        """This error as a problem record, with no location: ``col`` counts inside the formula.

        :meth:`kpi_engine.problems.Problems.add_formula_error` turns it into a place in a file.
        """
        return Issue(self.code, self.message, self.message_en)


class EvaluationError(KpiEngineError):
    """A value or score could not be computed from the data (division by zero, text, overflow).

    ``code`` is stable (e.g. ``formula.division-by-zero``); ``missing`` names inputs that were
    absent, when that is the cause.
    """

    def __init__(
        self, code: str, message: str, message_en: str, missing: tuple[str, ...] = ()
    ) -> None:
        self.code = code
        self.message = message
        self.message_en = message_en
        self.missing = missing
        super().__init__(f"{code}: {message_en}")

    @property
    def issue(self) -> Issue:
        """This error as a problem record (no location: it concerns data, not a place in a file)."""
        return Issue(self.code, self.message, self.message_en)

    def text(self, lang: Lang = "zh") -> str:
        """The message in the requested language."""
        return self.message if lang == "zh" else self.message_en


class OutputError(KpiEngineError, OSError):
    """An output cannot be written where the user asked: ``issue`` says why, with its code
    (``output.not-regular``, ``output.no-folder``, ``output.unwritable``); the command exits 2.
    The temporary file is already removed and any earlier file at that place is unchanged."""

    def __init__(self, issue: Issue) -> None:
        self.issue = issue
        super().__init__(issue.format("en"))

    def __str__(self) -> str:
        return self.issue.format("en")


class MissingExtraError(KpiEngineError, ImportError):
    """An optional library is not installed; the message names the extra that brings it.

    Raised when a module behind one of the optional doors is imported without its library
    (``kpi_engine.workbooks`` without openpyxl, the HTML report without Jinja2, the Word report
    without python-docx). ``library`` is the distribution to install, ``extra`` the kpi_engine
    extra that brings it.
    """

    def __init__(self, library: str, extra: str = "reports") -> None:
        self.library = library
        self.extra = extra
        install = f"python -m pip install 'kpi_engine[{extra}]'"
        self.message = f"此功能需要安装可选依赖：{install}（缺少 {library}）"
        self.message_en = f"this needs the {extra} extra: {install} (missing {library})"
        super().__init__(f"{self.message} / {self.message_en}", name=library)

    def text(self, lang: Lang = "zh") -> str:
        """The message in the requested language."""
        return self.message if lang == "zh" else self.message_en
