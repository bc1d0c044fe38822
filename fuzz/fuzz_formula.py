"""Coverage-guided fuzzing of the formula sandbox with atheris (optional, not part of CI).

    python -m pip install atheris
    python fuzz/fuzz_formula.py -max_total_time=300

Any exception other than FormulaError (compiling) or EvaluationError (evaluating), or a
non-finite result, is a crash that atheris reports with the input that caused it.
"""

from __future__ import annotations

import sys
from decimal import Decimal

import atheris

with atheris.instrument_imports():
    from kpi_engine.errors import EvaluationError, FormulaError
    from kpi_engine.formula import Interpreter, compile_formula

VALUES = [Decimal(0), Decimal(3), Decimal("-2.5"), Decimal("1e999"), None, "t"]


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    text = fdp.ConsumeUnicodeNoSurrogates(300)
    try:
        formula = compile_formula(text)
    except FormulaError:
        return
    names = {name: VALUES[fdp.ConsumeIntInRange(0, len(VALUES) - 1)] for name in formula.names}
    try:
        result = Interpreter().evaluate(formula, names)
    except EvaluationError:
        return
    if isinstance(result, Decimal) and not result.is_finite():
        raise AssertionError(f"non-finite result {result!r} from {text!r}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
