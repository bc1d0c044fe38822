"""Bounds on untrusted input: how big a file, a number, a text or a nesting may be, checked where
it is read (before it is read, for files).

Sets, actuals, rule packs and batch tables come from many hands, so every reader goes through
here: :func:`read_bytes` refuses a file over its cap before reading it (and caps the read of a
stream that cannot be measured, such as a FIFO), :func:`confined` keeps a file a set names inside
the set's folder, :func:`number_width` bounds how long a number may grow when written out, and
:func:`bad_character` finds text that would break a writer. Each bound is a module constant an
embedding application may raise (``kpi_engine.limits.MAX_NUMBER_DIGITS = 60``).
"""

from __future__ import annotations

import os
import stat
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # problems imports models, which imports this module
    from kpi_engine.errors import DefinitionError
    from kpi_engine.problems import Problems

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_FILE_BYTES",
    "MAX_NUMBER_DIGITS",
    "MAX_XLSX_RATIO",
    "MAX_XLSX_UNPACKED",
    "bad_character",
    "confined",
    "number_too_long",
    "number_width",
    "read_bytes",
]

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest definition file (set, actuals, rule pack) and evaluation JSON read, in bytes."""
MAX_BATCH_BYTES = 1024 * 1024 * 1024
"""Largest batch input file (CSV, JSON Lines, .xlsx), in bytes; rows are streamed."""
MAX_XLSX_UNPACKED = 512 * 1024 * 1024
"""Most bytes an .xlsx archive may unpack to, by its own directory (zip-bomb check)."""
MAX_XLSX_RATIO = 200
"""Highest compression ratio of any member of an .xlsx archive (zip-bomb check)."""
MAX_NUMBER_DIGITS = 40
"""Most digits a number read from input may have when written out in full (``1E+40`` has 41)."""

_CHUNK = 1024 * 1024


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
    """Whether ``value`` has more digits than :data:`MAX_NUMBER_DIGITS` when written out."""
    return number_width(value) > MAX_NUMBER_DIGITS


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


def _too_large(problems: Problems, limit: int, code: str) -> DefinitionError:
    return problems.error(
        code,
        f"文件超过 {limit} 字节，未读取（上限见 kpi_engine.limits）",
        f"the file is larger than {limit} bytes and was not read (limits: kpi_engine.limits)",
    )


def read_bytes(
    path: Path,
    limit: int | None = None,
    *,
    regular_only: bool = False,
    code: str = "file.too-large",
) -> bytes:
    """The bytes of ``path``, refused before reading when larger than ``limit``.

    A regular file is measured first; a stream (a FIFO, ``/dev/stdin``) cannot be, so at most
    ``limit + 1`` bytes are read from it. ``regular_only`` refuses streams, devices and folders
    without opening them (for files a set names). Problems raise
    :class:`~kpi_engine.errors.DefinitionError` (``file.unreadable``, ``file.too-large``,
    ``file.not-regular``).
    """
    from kpi_engine.problems import Problems  # noqa: PLC0415 - see the imports above

    limit = MAX_FILE_BYTES if limit is None else limit
    problems = Problems.in_file(str(path))
    try:
        mode = os.stat(path).st_mode
        if regular_only and not stat.S_ISREG(mode):
            raise problems.error(
                "file.not-regular",
                "不是普通文件（目录、设备或管道），未读取",
                "not a regular file (a folder, device or pipe); not read",
            )
        if stat.S_ISREG(mode) and os.stat(path).st_size > limit:
            raise _too_large(problems, limit, code)
        with path.open("rb") as handle:
            if stat.S_ISDIR(os.fstat(handle.fileno()).st_mode):  # pragma: no cover - open fails
                raise IsADirectoryError(21, "Is a directory")
            chunks: list[bytes] = []
            total = 0
            while total <= limit:
                chunk = handle.read(min(_CHUNK, limit + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
    except OSError as exc:
        problems.fail(
            "file.unreadable",
            f"无法读取文件：{exc.strerror or exc}",
            f"cannot read the file: {exc.strerror or exc}",
        )
    if total > limit:
        raise _too_large(problems, limit, code)
    return b"".join(chunks)


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
