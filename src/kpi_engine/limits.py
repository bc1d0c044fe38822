"""Bounds on untrusted input: how big a file, a number, a text or a nesting may be, checked where
it is read (before it is read, for files).

Sets, actuals, rule packs and batch tables come from many hands, so every reader goes through
here: :func:`read_bytes` refuses a file over its cap before reading it (and caps the read of a
stream that cannot be measured, such as a FIFO), :func:`open_capped` does the same for files read
as a stream (batch tables), :func:`confined` keeps a file a set names inside the set's folder,
:func:`number_width` bounds how long a number may grow when written out, and
:func:`bad_character` finds text that would break a writer.

Every bound is a field of one immutable record, :class:`Limits`; :data:`DEFAULT_LIMITS` holds the
defaults. An embedding application that must raise one passes its own record where it reads
(``load_indicator_set(path, limits=...)``, ``batch.read_rows(..., limits=...)``), or wraps a
block in :func:`using` (evaluation reads the limits in force)::

    >>> from kpi_engine.limits import DEFAULT_LIMITS, Limits, current, using
    >>> wider = Limits(max_number_digits=60)
    >>> with using(wider):
    ...     current().max_number_digits
    60
    >>> current() is DEFAULT_LIMITS
    True
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import os
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from kpi_engine.errors import DefinitionError
from kpi_engine.problems import Problems

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "bad_character",
    "confined",
    "current",
    "measure",
    "number_too_long",
    "number_width",
    "open_capped",
    "read_bytes",
    "too_large",
    "using",
]

_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Every bound the engine puts on untrusted input, in one immutable record.

    The defaults suit a person's sets and an office's tables; raise one with
    ``dataclasses.replace(DEFAULT_LIMITS, max_file_bytes=...)`` or ``Limits(max_file_bytes=...)``.
    Error messages name the field that was hit (``Limits.max_file_bytes``).
    """

    max_file_bytes: int = 32 * _MIB
    """Largest definition file (set, actuals, rule pack) and evaluation JSON read, in bytes."""
    max_batch_bytes: int = 1024 * _MIB
    """Largest batch input file (CSV, JSON Lines, .xlsx) or .xlsx to import, in bytes."""
    max_line_bytes: int = _MIB
    """Longest line of a batch CSV or JSON Lines file; a longer line is an error record."""
    max_fields: int = 10_000
    """Most fields (columns) in a batch table's header."""
    max_xlsx_unpacked: int = 512 * _MIB
    """Most bytes an .xlsx archive may unpack to, by its own directory (zip-bomb check)."""
    max_xlsx_ratio: int = 200
    """Highest compression ratio of a large member of an .xlsx archive (zip-bomb check)."""
    max_xlsx_members: int = 10_000
    """Most members an .xlsx archive may list (a workbook has a few dozen)."""
    max_xlsx_rows: int = 1_048_576
    """Most rows of a sheet read (Excel's own limit)."""
    max_xlsx_columns: int = 16_384
    """Most columns of a sheet read (Excel's own limit)."""
    max_merged_cells: int = 1_000_000
    """Most cells all merged ranges of a workbook may cover together (each becomes an object)."""
    max_number_digits: int = 40
    """Most digits a number read from input may have when written out in full (``1E+40`` has 41)."""
    max_shown_digits: int = 80
    """Widest a number is written out in any output; wider ones are shown with an exponent."""
    max_target_chars: int = 200
    """Longest target text (``≥ 95%``) read; longer texts are refused before any pattern runs."""
    max_nodes: int = 50_000
    """Most YAML nodes a document may build again through aliases (``*a``): a genuine large set
    does not count against it, a "billion laughs" file does."""

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{field.name} must be a positive integer, not {value!r}")


DEFAULT_LIMITS = Limits()
"""The limits in force unless an application passes others."""

_CURRENT: contextvars.ContextVar[Limits] = contextvars.ContextVar(
    "kpi_engine_limits", default=DEFAULT_LIMITS
)


def current() -> Limits:
    """The limits in force here: :data:`DEFAULT_LIMITS` unless inside :func:`using`."""
    return _CURRENT.get()


@contextlib.contextmanager
def using(limits: Limits | None) -> Iterator[Limits]:
    """Put ``limits`` in force for the block (None: keep those in force); per thread and task."""
    if limits is None:
        yield current()
        return
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a kpi_engine.limits.Limits, not {type(limits).__name__}")
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)


_CHUNK = _MIB


def number_width(value: Decimal) -> int:
    """How many digits ``value`` has when written without an exponent (0 for NaN/infinity).

    >>> number_width(Decimal("1E+3")), number_width(Decimal("0.005")), number_width(Decimal(12))
    (4, 4, 2)
    """
    if not value.is_finite():
        return 0
    text = str(value)  # C-fast, and exact unless it chose an exponent: the common case
    if "E" not in text:
        return len(text) - (text[0] == "-") - ("." in text)
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if exponent >= 0:
        return len(digits) + exponent
    return max(len(digits), -exponent + 1)


def number_too_long(value: Decimal) -> bool:
    """Whether ``value`` has more digits than ``Limits.max_number_digits`` when written out."""
    return number_width(value) > current().max_number_digits


def bad_character(text: str) -> int | None:
    """The index of the first control character (other than tab and newline) or lone surrogate
    in ``text``, or None. Such text breaks XML writers (DOCX, XLSX) and terminals.

    >>> bad_character("ok\\tfine\\n"), bad_character("a\\x00b"), bad_character("\\ud800")
    (None, 1, 0)
    """
    if text.isprintable():
        return None
    for i, char in enumerate(text):
        if char in "\t\n":
            continue
        if unicodedata.category(char) in ("Cc", "Cs"):
            return i
    return None


def too_large(problems: Problems, limit: int, field: str, code: str) -> DefinitionError:
    """The error for a file over ``Limits.<field>`` (``limit`` bytes), naming how to raise it."""
    return problems.error(
        code,
        f"文件超过 {limit} 字节，未读取（上限为 kpi_engine.limits.Limits.{field}，"
        "可在嵌入应用中调高；命令行请拆分文件）",
        f"the file is larger than {limit} bytes and was not read (the limit is "
        f"kpi_engine.limits.Limits.{field}; raise it in an embedding application, or split "
        "the file)",
    )


def _unreadable(problems: Problems, exc: OSError) -> DefinitionError:
    return problems.error(
        "file.unreadable",
        f"无法读取文件：{exc.strerror or exc}",
        f"cannot read the file: {exc.strerror or exc}",
    )


def measure(
    path: Path, limit: int, field: str, code: str = "file.too-large", *, regular_only: bool = False
) -> int:
    """``path``'s mode (``os.stat``), refused when it is a folder, over ``limit`` bytes (the
    bound ``Limits.<field>``) or, with ``regular_only``, not a regular file: before anything is
    opened. A stream's size cannot be known here; read it through :func:`open_capped`."""

    problems = Problems.in_file(str(path))
    try:
        info = os.stat(path)
    except OSError as exc:
        raise _unreadable(problems, exc) from None
    if (regular_only and not stat.S_ISREG(info.st_mode)) or stat.S_ISDIR(info.st_mode):
        raise problems.error(
            "file.not-regular",
            "不是普通文件（目录、设备或管道），未读取",
            "not a regular file (a folder, device or pipe); not read",
        )
    if stat.S_ISREG(info.st_mode) and info.st_size > limit:
        raise too_large(problems, limit, field, code)
    return info.st_mode


def read_bytes(
    path: Path,
    limit: int | None = None,
    *,
    regular_only: bool = False,
    code: str = "file.too-large",
    field: str = "max_file_bytes",
) -> bytes:
    """The bytes of ``path``, refused before reading when larger than ``limit`` (by default
    ``Limits.max_file_bytes`` of the limits in force; ``field`` names the bound in messages).

    A regular file is measured first; a stream (a FIFO, ``/dev/stdin``) cannot be, so at most
    ``limit + 1`` bytes are read from it. ``regular_only`` refuses streams, devices and folders
    without opening them (for files a set names). Problems raise
    :class:`~kpi_engine.errors.DefinitionError` (``file.unreadable``, ``file.too-large``,
    ``file.not-regular``).
    """
    with open_capped(path, limit, regular_only=regular_only, code=code, field=field) as handle:
        return handle.read()


class _Capped(io.RawIOBase):
    """A binary stream that refuses to give more than ``limit`` bytes: over it, reading raises
    the ``too large`` error (a FIFO or device that could not be measured before)."""

    def __init__(self, raw: BinaryIO, path: Path, limit: int, field: str, code: str) -> None:
        super().__init__()
        self._raw, self._path, self._limit = raw, path, limit
        self._field, self._code = field, code
        self._total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self._limit + 1 - self._total, _CHUNK)
        try:
            data = self._raw.read(max(want, 1))
        except OSError as exc:
            raise _unreadable(Problems.in_file(str(self._path)), exc) from None
        self._total += len(data)
        if self._total > self._limit:
            raise too_large(Problems.in_file(str(self._path)), self._limit, self._field, self._code)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def open_capped(
    path: Path,
    limit: int | None = None,
    *,
    regular_only: bool = False,
    code: str = "file.too-large",
    field: str = "max_file_bytes",
) -> io.BufferedReader:
    """``path`` opened for reading in binary, measured first (a regular file over ``limit`` is
    refused before it is opened) and capped as it is read (a stream over ``limit`` raises as
    soon as it passes it). ``limit`` defaults to the ``field`` of the limits in force.

    The handle is a context manager; problems raise :class:`~kpi_engine.errors.DefinitionError`
    (``file.unreadable``, ``file.not-regular``, ``code``).
    """

    bound = int(getattr(current(), field)) if limit is None else limit
    measure(path, bound, field, code, regular_only=regular_only)
    try:
        raw = path.open("rb", buffering=0)
    except OSError as exc:
        raise _unreadable(Problems.in_file(str(path)), exc) from None
    return io.BufferedReader(_Capped(raw, path, bound, field, code), _CHUNK)


def confined(
    base: Path, name: str, problems: Problems, where: tuple[str | int, ...]
) -> Path | None:
    """``name`` (a file a set refers to) inside ``base``, the set's folder; None (and a problem
    at ``where``) when it is absolute, climbs out with ``..`` or is a symlink that leaves."""
    relative = Path(name)
    outside = (
        relative.is_absolute()
        or relative.drive
        or ".." in relative.parts
        or name.startswith("~")
        or "\\" in name
    )
    if not outside:
        try:
            root = base.resolve(strict=True)
            target = (base / relative).resolve(strict=False)
        except (OSError, RuntimeError):
            outside = True
        else:
            outside = not target.is_relative_to(root)
    if outside:
        problems.add(
            "file.outside-folder",
            f"'{name}' 不在指标体系所在的文件夹内：只能引用该文件夹中的文件"
            "（不能用绝对路径、.. 或指向外部的链接）",
            f"{name!r} is outside the set's folder: a set may only name files in its own folder "
            "(no absolute paths, .., or links that leave it)",
            where,
        )
        return None
    return base / relative
