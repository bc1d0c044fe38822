"""Optional dependencies of the report formats, with a clear message when one is missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from kpi_engine.errors import MissingExtraError

__all__ = ["MissingExtraError", "require"]


def require(module: str) -> ModuleType:
    """Import an optional dependency or explain how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(module) from None
