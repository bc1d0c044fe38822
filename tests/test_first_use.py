"""First use stays cheap (issue 16, item 5) without changing what the models say about
themselves: descriptions from field docstrings, schemas built on first use."""

from __future__ import annotations

import subprocess
import sys

from pydantic import BaseModel
from pydantic._internal._docs_extraction import extract_docstrings_from_cls

from kpi_engine import models


def _models() -> list[type[BaseModel]]:
    return [
        cls
        for cls in vars(models).values()
        if isinstance(cls, type)
        and issubclass(cls, BaseModel)
        and cls.__module__ == models.__name__
    ]


def test_every_field_is_described_by_its_docstring_as_pydantic_would_read_it() -> None:
    described = 0
    for model in _models():
        docs = extract_docstrings_from_cls(model, use_inspect=True)
        for name, field in model.model_fields.items():
            assert field.description == docs.get(name), (model.__name__, name)
            described += field.description is not None
    assert described > 20  # the models are documented field by field


def test_importing_kpi_engine_builds_no_validator_for_actuals() -> None:
    code = (
        "import kpi_engine.engine, kpi_engine.models as m; "
        "print(m.Actuals.__pydantic_complete__, m.RulePackDef.__pydantic_complete__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
