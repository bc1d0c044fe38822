"""The expression language: exact Decimal arithmetic, a whitelist checked at compile time with
columns, missing values that never become zero, and no raw exception from evaluation."""

from __future__ import annotations

import contextlib
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_engine import EvaluationError, FormulaError, compile_formula
from kpi_engine.formula import MAX_DEPTH, Interpreter


def run(text: str, **names: D | None) -> object:
    return Interpreter().evaluate(compile_formula(text), names)


def test_literals_are_exact_decimals() -> None:
    """0.1 + 0.2 is exactly 0.3 (no float drift)."""
    assert run("0.1 + 0.2") == D("0.3")
    assert run("0.1 + 0.2 == 0.3") is True


def test_arithmetic_comparisons_and_conditionals() -> None:
    """The whole grammar in one go: + - * / // % **, comparisons, and/or/not, if-else."""
    assert run("spent / budget * 100", spent=D("722.38"), budget=D(760)) == D("95.05")
    assert run("7 // 2 + 7 % 2 + 2 ** 3") == D(12)
    assert run("x if x > 0 and not x > 10 else 0", x=D(5)) == D(5)
    assert run("-x + +x", x=D(3)) == D(0)


def test_chinese_names_are_allowed() -> None:
    """Auditors may name inputs in Chinese."""
    assert run("执行数 / 预算数", 执行数=D(9), 预算数=D(10)) == D("0.9")


@pytest.mark.parametrize(
    ("text", "needle", "col"),
    [
        ("a.__class__", "属性访问", 1),
        ("x + a[0]", "下标", 5),
        ("lambda: 1", "lambda", 1),
        ("[x for x in y]", "推导式", 1),
        ("f'{a}'", "f-字符串", 1),
        ("a << 2", "移位", 1),
        ("a & b", "位运算", 1),
        ("min(a, key=1)", "关键字参数", 8),
        ("min(*a)", "星号展开", 5),
        ("(1, 2)", "元组", 1),
        ("a in b", "in 比较", 1),
        ("None", "None", 1),
    ],
)
def test_forbidden_constructs_are_rejected_with_their_column(
    text: str, needle: str, col: int
) -> None:
    """Attribute access, subscripts, lambda, comprehensions, f-strings, shifts, keyword args…"""
    with pytest.raises(FormulaError) as info:
        compile_formula(text)
    assert info.value.code == "formula.forbidden"
    assert needle in info.value.message
    assert info.value.col == col


@pytest.mark.parametrize("text", ["a = 1", "x := 1", "a; b", "import os", "1 +"])
def test_statements_and_broken_syntax_are_syntax_errors(text: str) -> None:
    """Only one expression is allowed: assignments, walrus, statements fail to parse."""
    with pytest.raises(FormulaError) as info:
        compile_formula(text)
    assert info.value.code == "formula.syntax"


def test_unknown_function_gets_a_did_you_mean() -> None:
    """mni(…) → did you mean 'min'?"""
    with pytest.raises(FormulaError) as info:
        compile_formula("1 + mni(a, b)")
    assert info.value.code == "formula.unknown-function"
    assert "min" in info.value.message
    assert info.value.col == 5


def test_function_arity_is_checked_at_compile_time() -> None:
    """clamp needs three arguments."""
    with pytest.raises(FormulaError) as info:
        compile_formula("clamp(x, 1)")
    assert info.value.code == "formula.arity"


def test_a_function_name_used_as_a_value_is_rejected() -> None:
    """`min` without a call is an error, not a callable leaking into arithmetic."""
    with pytest.raises(FormulaError) as info:
        compile_formula("min + 1")
    assert info.value.code == "formula.bare-function"


def test_unknown_names_are_listed_with_their_character_columns() -> None:
    """Columns count characters, not UTF-8 bytes, so Chinese names line up."""
    f = compile_formula("预算 + 未知 * x")
    assert f.unknown_names({"预算"}) == [("未知", 6), ("x", 11)]


@pytest.mark.parametrize("text", ["0x10", "1j", "1e5j"])
def test_only_decimal_literals_are_accepted(text: str) -> None:
    """Hex and complex literals are refused."""
    with pytest.raises(FormulaError) as info:
        compile_formula(text)
    assert info.value.code == "formula.literal"


def test_nesting_depth_is_bounded() -> None:
    """A formula nested deeper than MAX_DEPTH is refused at compile time."""
    with pytest.raises(FormulaError) as info:
        compile_formula("-" * (MAX_DEPTH + 5) + "1")
    assert info.value.code == "formula.too-deep"


@pytest.mark.parametrize("text", ["(" * 300 + "1" + ")" * 300, "1+" * 3000 + "1", ""])
def test_huge_or_empty_formulas_are_refused(text: str) -> None:
    """Too long, too deeply parenthesised or empty: a FormulaError, never RecursionError."""
    with pytest.raises(FormulaError):
        compile_formula(text)


def test_missing_names_raise_value_missing_listing_them() -> None:
    """x + 1 with x missing is a missing value, never 1."""
    with pytest.raises(EvaluationError) as info:
        run("x + y + 1", x=None, y=D(1))
    assert info.value.code == "value.missing"
    assert info.value.missing == ("x",)


@pytest.mark.parametrize("reference", [False, True])
def test_evaluate_known_answers_none_for_missing_data_and_raises_the_rest(reference: bool) -> None:
    """Missing data is None (no exception to build); a real failure is still an EvaluationError."""
    interpreter = Interpreter(reference=reference)
    assert interpreter.evaluate_known(compile_formula("x > 1"), {"x": None}) is None
    assert interpreter.evaluate_known(compile_formula("x > 1"), {"x": D(2)}) is True
    assert interpreter.evaluate_known(compile_formula("coalesce(x, 0) + 1"), {"x": None}) == 1
    with pytest.raises(EvaluationError) as info:
        interpreter.evaluate_known(compile_formula("1 / x"), {"x": D(0)})
    assert info.value.code == "formula.division-by-zero"


def test_coalesce_supplies_a_stated_default_for_missing_values() -> None:
    """coalesce(x, 0) is how an author says a missing value counts as 0."""
    assert run("coalesce(x, 0) + 1", x=None) == D(1)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1 / 0", "formula.division-by-zero"),
        ("1 // 0", "formula.division-by-zero"),
        ("1 % 0", "formula.division-by-zero"),
        ("9 ** 9 ** 9", "formula.overflow"),
        ("(-1) ** 0.5", "formula.invalid"),
        ("'a' + 1", "formula.type"),
        ("'a' < 'b'", "formula.type"),
        ("clamp(1, 5, 2)", "formula.argument"),
    ],
)
def test_evaluation_failures_are_evaluation_errors(text: str, code: str) -> None:
    """Division by zero, overflow, invalid operations and type errors each have a code."""
    with pytest.raises(EvaluationError) as info:
        run(text)
    assert info.value.code == code


def test_substitute_shows_the_values_used() -> None:
    """Explanations show the formula with numbers in place of names."""
    f = compile_formula("spent / 预算 * 100")
    assert f.substitute({"spent": D("722.38"), "预算": D(760)}) == "722.38 / 760 * 100"
    assert f.substitute({"spent": None, "预算": D(1)}) == "缺失 / 1 * 100"


@given(st.text(max_size=60))
def test_compiling_arbitrary_text_raises_only_formula_errors(text: str) -> None:
    """Any text either compiles or raises FormulaError."""
    with contextlib.suppress(FormulaError):
        compile_formula(text)


_atoms = st.one_of(
    st.sampled_from(["x", "y", "0", "1", "2.5", "-3", "100"]),
    st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False).map(str),
)


def _expressions() -> st.SearchStrategy[str]:
    ops = ["+", "-", "*", "/", "//", "%", "**", "<", ">=", "==", "and", "or"]
    return st.recursive(
        _atoms,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(ops), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda e: f"(-{e})"),
            inner.map(lambda e: f"(not {e})"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
            st.tuples(st.sampled_from(["min", "max", "sum", "avg", "coalesce"]), inner, inner).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"
            ),
            inner.map(lambda e: f"abs({e})"),
        ),
        max_leaves=12,
    )


@given(
    _expressions(), st.sampled_from([D(0), D(1), D("-2.5"), None]), st.sampled_from([D(3), None])
)
def test_evaluating_generated_formulas_gives_a_value_or_an_evaluation_error(
    text: str, x: D | None, y: D | None
) -> None:
    """Never another exception type, whatever the operands."""
    formula = compile_formula(text)
    try:
        result = Interpreter().evaluate(formula, {"x": x, "y": y})
    except EvaluationError:
        return
    assert isinstance(result, D | bool | str)
    if isinstance(result, D):
        assert result.is_finite()


_names = st.sampled_from([D(0), D(1), D("-2.5"), D("1e30"), D("0.001"), None, "t", True])


@given(_expressions(), _names, _names)
def test_compiled_closures_agree_with_simpleeval(text: str, x: object, y: object) -> None:
    """Differential: the compiled closures give simpleeval's value, or the same error code."""
    formula = compile_formula(text)
    names = {"x": x, "y": y}

    def outcome(interpreter: Interpreter) -> tuple[str, object]:
        try:
            return ("value", interpreter.evaluate(formula, names))  # type: ignore[arg-type]
        except EvaluationError as exc:
            return ("error", exc.code)

    assert outcome(Interpreter()) == outcome(Interpreter(reference=True))


@pytest.mark.parametrize(
    "text",
    [
        "1 < 2 < 3",
        "1 < 3 < 2",
        "x and y",
        "x or y",
        "0 or y",
        "x if y else 5",
        "not x",
        "-x + 1",
        "min(x, 2) ** 2",
        "'t' == 't'",
        "coalesce(x, y, 1)",
    ],
)
def test_compiled_and_reference_agree_on_chained_and_lazy_forms(text: str) -> None:
    """Chained comparisons, short-circuits and conditionals behave identically."""
    for x, y in [(D(0), D(1)), (D(2), None), (None, D(3)), (D(1), D(0))]:
        names = {"x": x, "y": y}
        formula = compile_formula(text)
        results = []
        for interpreter in (Interpreter(), Interpreter(reference=True)):
            try:
                results.append(interpreter.evaluate(formula, names))
            except EvaluationError as exc:
                results.append(exc.code)
        assert results[0] == results[1]
