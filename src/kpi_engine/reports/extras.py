"""Optional dependencies of the report formats, with a clear message when one is missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from kpi_engine.errors import KpiEngineError

__all__ = ["MissingExtraError", "require"]


class MissingExtraError(KpiEngineError):
    """A report format needs the ``reports`` extra, which is not installed."""


def require(module: str) -> ModuleType:
    """Import an optional dependency or explain how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(
            "此格式需要安装可选依赖：python -m pip install 'kpi_engine[reports]'"
            f"（缺少 {module}）/ "
            f"this format needs the reports extra: python -m pip install 'kpi_engine[reports]' "
            f"(missing {module})"
        ) from None
