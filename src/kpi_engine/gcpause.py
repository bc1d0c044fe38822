"""No cyclic garbage collection while a large structure is built.

Reading a set builds a graph of objects that all stay alive until it is done (YAML nodes, source
maps, models, compiled leaves); each collection of the oldest generation walks the whole graph
built so far, so a set of 10,000 indicators cost more than ten times one of 1,000. Refcounting
still frees everything that is not a cycle; the collector runs again as soon as the outermost
pause ends. Nesting and threads are safe: only the pause that found the collector on turns it
back on.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

__all__ = ["gc_paused", "without_gc"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """A ``with`` block run without the cyclic collector."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def without_gc(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """``function`` run without the cyclic collector (see :func:`gc_paused`)."""

    @functools.wraps(function)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with gc_paused():
            return function(*args, **kwargs)

    return paused
