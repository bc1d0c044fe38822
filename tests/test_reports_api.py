"""The public renderers are exactly kpi_engine.reports.__all__: sorted, complete, documented, typed."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import kpi_engine
from kpi_engine import reports

from .test_exported_members import _isort_style

DEMO = Path(__file__).resolve().parent.parent / "indicator_sets" / "project-demo-2024"

RENDERERS = {
    "render_text": "kpi_engine.reports.evaluation_text",
    "render_markdown": "kpi_engine.reports.evaluation_markdown",
    "render_flags": "kpi_engine.reports.evaluation_text",
    "build_report": "kpi_engine.reports.report_document",
    "render_report_markdown": "kpi_engine.reports.report_markdown",
    "render_report_html": "kpi_engine.reports.report_html",
    "render_report_docx": "kpi_engine.reports.report_docx",
    "render_score_table": "kpi_engine.reports.score_table_xlsx",
}


def test_all_is_sorted() -> None:
    """__all__ is in ruff's order (classes, then functions), so additions are easy to review."""
    assert reports.__all__ == sorted(reports.__all__, key=_isort_style)


def test_every_public_member_is_exported() -> None:
    """Every public name of kpi_engine.reports (but its submodules) is in __all__, and vice versa."""
    public = {
        name
        for name in dir(reports)
        if not name.startswith("_")
        and not inspect.ismodule(getattr(reports, name))
        and name != "annotations"  # from __future__
    }
    assert public == set(reports.__all__)


def test_every_renderer_is_public_documented_and_typed() -> None:
    """Each format has a public function with a docstring and a full signature."""
    assert set(RENDERERS) <= set(reports.__all__)
    for name in reports.__all__:
        member = getattr(reports, name)
        assert (member.__doc__ or "").strip(), name
        if inspect.isfunction(member):
            hints = inspect.get_annotations(member)
            assert "return" in hints, name
            assert set(inspect.signature(member).parameters) <= set(hints), name


def test_the_public_renderers_give_what_the_modules_give() -> None:
    """The public names render exactly what the format modules render."""
    import importlib

    s = kpi_engine.load_indicator_set(DEMO)
    e = kpi_engine.evaluate(s, kpi_engine.load_actuals(DEMO / "actuals.yaml"))
    document = reports.build_report(s, e)
    for name, args in (
        ("render_text", (e, "en")),
        ("render_markdown", (e,)),
        ("render_report_markdown", (document,)),
        ("render_report_html", (document,)),
    ):
        inner = getattr(importlib.import_module(RENDERERS[name]), name)
        assert getattr(reports, name)(*args) == inner(*args), name
    assert reports.render_report_docx(document)[:2] == b"PK"
    assert reports.render_score_table(s, e, "en")[:2] == b"PK"
    assert reports.render_flags(e.flags, "zh")[0] == "发现的问题："


def test_missing_extra_error_is_the_one_in_the_tree() -> None:
    """Callers of the renderers can catch the error from kpi_engine.reports or kpi_engine.errors."""
    from kpi_engine.errors import KpiEngineError, MissingExtraError

    assert reports.MissingExtraError is MissingExtraError
    assert issubclass(reports.MissingExtraError, KpiEngineError)


@pytest.mark.parametrize("name", ["render_report_html", "render_report_docx", "render_score_table"])
def test_a_renderer_loads_its_library_only_when_called(name: str) -> None:
    """Importing the name does not import Jinja2, python-docx or openpyxl; calling it does."""
    code = (
        f"import sys; from kpi_engine.reports import {name}; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] "
        "in {'jinja2', 'docx', 'openpyxl'})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []


def test_an_english_report_states_the_goals_in_english_when_the_set_gives_them() -> None:
    """goals_en fills the English report's Performance goals; the Chinese report keeps goals."""
    from kpi_engine import evaluate, parse_indicator_set

    text = (
        "kpi_engine: 1\nid: g\ntitle: 目标\ngoals: 全年培训 500 人\n"
        "goals_en: Train 500 people in the year\n"
        'indicators:\n  - {id: a, name: 培训人数, weight: 100, target: "≥ 500 人"}\n'
    )
    s = parse_indicator_set(text)
    e = evaluate(s, {"indicators": {"a": {"actual": 500}}})
    english = reports.render_report_markdown(reports.build_report(s, e, "en"))
    chinese = reports.render_report_markdown(reports.build_report(s, e, "zh"))
    assert "Train 500 people in the year" in english
    assert "全年培训 500 人" not in english
    assert "全年培训 500 人" in chinese
