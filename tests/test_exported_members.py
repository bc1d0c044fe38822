"""The public API is exactly kpi_engine.__all__: sorted, complete, documented."""

from __future__ import annotations

import kpi_engine


def _isort_style(name: str) -> tuple[int, str]:
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions and dunders.
    if name.isupper():
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


def test_all_is_sorted() -> None:
    """__all__ is kept in sorted order (constants, classes, functions) so additions are easy to review."""
    assert kpi_engine.__all__ == sorted(kpi_engine.__all__, key=_isort_style)


def test_every_public_member_is_exported() -> None:
    """Every public name of the package (loaded lazily or not) is in __all__, and vice versa."""
    public = {
        name
        for name in dir(kpi_engine)
        if not name.startswith("_") and not isinstance(getattr(kpi_engine, name), type(kpi_engine))
    }
    assert public | {"__version__"} == set(kpi_engine.__all__)


def test_unknown_names_raise_attribute_error() -> None:
    """The lazy loader does not invent names."""
    import pytest

    with pytest.raises(AttributeError):
        _ = kpi_engine.no_such_name


def test_every_exported_member_has_a_docstring() -> None:
    """Developers read the API from its docstrings."""
    missing = [
        name
        for name in kpi_engine.__all__
        if name != "__version__"
        and not isinstance(getattr(kpi_engine, name), tuple)
        and not (getattr(kpi_engine, name).__doc__ or "").strip()
    ]
    assert missing == []
