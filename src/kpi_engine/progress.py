"""Progress of long work (``kpi batch``) on a terminal: a bar with the total, rate and time left.

The only module that imports tqdm (the ``progress`` extra). The bar is drawn only when the stream
is a terminal, so piped or redirected output — and standard output, which it never touches —
stays clean; without tqdm a terminal gets a plain count instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, TextIO

__all__ = ["Progress", "count_lines", "progress"]


class Progress(Protocol):
    """Something to tell how far the work has got."""

    def update(self, done: int) -> None:
        """``done`` units finished so far."""

    def close(self) -> None:
        """The work is over (finished or not): leave the terminal clean."""


class _Silent:
    def update(self, done: int) -> None:
        pass

    def close(self) -> None:
        pass


class _Count:
    """A count every 200 units, for a terminal without tqdm installed."""

    def __init__(self, stream: TextIO, unit: str) -> None:
        self.stream, self.unit, self.done = stream, unit, 0

    def update(self, done: int) -> None:
        self.done = done
        if done % 200 == 0:
            self.stream.write(f"\r{done} {self.unit}")
            self.stream.flush()

    def close(self) -> None:
        if self.done >= 200:
            self.stream.write("\n")
            self.stream.flush()


class _Bar:
    def __init__(
        self, stream: TextIO, total: int | None, unit: str, label: str, every: float
    ) -> None:
        from tqdm import tqdm  # noqa: PLC0415 - the extra, loaded only for a terminal

        self.bar = tqdm(
            total=total,
            unit=f" {unit}",
            desc=label,
            file=stream,
            dynamic_ncols=True,
            leave=False,
            mininterval=every,
            miniters=1 if every == 0 else None,
        )
        self.done = 0

    def update(self, done: int) -> None:
        if self.bar.total is not None and done > self.bar.total:
            self.bar.total = done  # the count was an estimate (a CSV cell holding a line break)
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        self.bar.close()


def progress(
    stream: TextIO,
    total: int | None,
    unit: str,
    label: str = "",
    *,
    enabled: bool = True,
    every: float = 0.1,
) -> Progress:
    """A progress display on ``stream`` when it is a terminal and ``enabled``, else nothing.

    ``total`` may be an estimate or ``None`` (the bar then shows the count and rate only);
    the bar is redrawn at most every ``every`` seconds.
    """
    if not enabled or not stream.isatty():
        return _Silent()
    try:
        return _Bar(stream, total, unit, label, every)
    except ImportError:
        return _Count(stream, unit)


def count_lines(path: Path) -> int | None:
    """Units in a CSV or JSON Lines file (or a folder of them), by counting lines: a fast
    estimate for the bar's total. ``None`` when there is an .xlsx or anything unreadable."""
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    total = 0
    for file in files:
        suffix = file.suffix.lower()
        if suffix == ".xlsx":
            return None
        if suffix not in {".csv", ".jsonl"}:
            continue
        try:
            with file.open("rb") as handle:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
                size = handle.tell()
                if size:
                    handle.seek(size - 1)
                    lines += handle.read(1) != b"\n"  # a last line without its newline
        except OSError:
            return None
        total += max(lines - (suffix == ".csv"), 0)  # a CSV's first line is its header
    return total
