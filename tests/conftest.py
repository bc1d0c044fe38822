"""Shared fixtures and the Hypothesis profiles (``ci`` is deterministic and used when CI is set)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from kpi_engine import IndicatorSet, parse_indicator_set

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=150,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
# The quick loop while editing (README, Development): a sample of each property, not a search.
settings.register_profile("quick", deadline=None, max_examples=15)
# A longer search before a release or after touching the engine: HYPOTHESIS_PROFILE=long
settings.register_profile(
    "long", deadline=None, max_examples=2000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "indicator_sets"
DEMO = SETS / "project-demo-2024"


EXTRA_PACK = """\
kpi_rulepack: 1
id: extra
title: 额外检查
rules:
  - id: extra.any_row
    problem: 额外问题
    problem_en: Extra
    severity: error
    scope: indicator
    when: weight > 0
    message: "“{name}”：额外检查"
    message_en: "{name}: extra check"
"""
"""A rule pack that flags every weighted row as an error: shows whether extra packs were applied."""


def make_set(body: str, source: str = "t.yaml") -> IndicatorSet:
    """Parse a set from an indented YAML snippet (header added unless present)."""
    text = textwrap.dedent(body).lstrip("\n")
    if not text.startswith("kpi_engine:"):
        text = "kpi_engine: 1\nid: t\ntitle: 测试\n" + text
    return parse_indicator_set(text, source)


@pytest.fixture
def demo_dir() -> Path:
    """The shipped project self-evaluation example."""
    return DEMO
