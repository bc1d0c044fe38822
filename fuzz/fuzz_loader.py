"""Coverage-guided fuzzing of the YAML loader and set compiler with atheris (optional).

    python -m pip install atheris
    python fuzz/fuzz_loader.py fuzz/corpus-loader -max_total_time=300

Seed the corpus with the shipped sets (``cp indicator_sets/*/set.yaml fuzz/corpus-loader/``).
Loading, compiling and resolving rule packs may only fail with a DefinitionError whose every
issue has a location; anything else is a crash.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from kpi_engine.engine import Engine
    from kpi_engine.errors import DefinitionError
    from kpi_engine.loading import parse_indicator_set


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    try:
        Engine(parse_indicator_set(text, "fuzz.yaml"))
    except DefinitionError as exc:
        if not exc.issues or any(issue.location is None for issue in exc.issues):
            raise AssertionError(f"unlocated issues: {exc.issues!r}") from None


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
