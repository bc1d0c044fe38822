"""What a user installs: the wheel and sdist carry py.typed, the licence and full metadata."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_metadata_has_classifiers_keywords_and_the_licence_file() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    classifiers = set(project["classifiers"])
    assert {
        "Typing :: Typed",
        "Natural Language :: Chinese (Simplified)",
        "Natural Language :: English",
        "Programming Language :: Python :: 3.11",
        "Environment :: Console",
    } <= classifiers
    # PEP 639: a licence expression replaces the licence classifiers.
    assert not [c for c in classifiers if c.startswith("License ::")]
    assert (ROOT / "src" / "kpi_engine" / "py.typed").is_file()


def test_changelog_keeps_a_changelog_shape() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    assert "## [Unreleased]" in text
    assert "### Added" in text


@pytest.mark.slow
def test_wheel_and_sdist_carry_py_typed_and_the_licence(tmp_path: Path) -> None:
    """Built as a user's installer builds them (no network: the build backend is a dev extra)."""
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "-q", "-o", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "kpi_engine/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "kpi_engine/reports/templates/report.html.j2" in names
    assert "kpi_engine/__main__.py" in names
    metadata = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        .decode("utf-8")
    )
    assert "License-Expression: MIT" in metadata
    assert "Classifier: Typing :: Typed" in metadata
    assert "Provides-Extra: progress" in metadata
    sdist = next(tmp_path.glob("*.tar.gz"))
    with tarfile.open(sdist) as archive:
        members = {m.split("/", 1)[1] for m in archive.getnames() if "/" in m}
    assert {"LICENSE", "CHANGELOG.md", "src/kpi_engine/py.typed", "pyproject.toml"} <= members
