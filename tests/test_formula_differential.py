"""Differential tests of the compiled formulas (issue 16, item 4): against simpleeval, the
reference interpreter, result for result with type and exponent; and against an independent
arithmetic on fractions.Fraction that rounds each operation as the Decimal context does."""

from __future__ import annotations

import ast
import decimal
import operator
from collections.abc import Callable
from decimal import Decimal as D
from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from kpi_engine import EvaluationError, compile_formula
from kpi_engine.formula import ARITHMETIC, Interpreter

FUNCTIONS_2 = ["min", "max", "percent", "sum", "avg", "coalesce"]
COMPARISONS = ["<", "<=", ">", ">=", "==", "!="]


def _atoms() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["x", "y", "0", "1", "2.5", "-3", "100", "0.001"]),
        st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False).map(str),
    )


def _numbers(extra: bool) -> st.SearchStrategy[str]:
    """Numeric expressions: + - * /, unary + and -, and the numeric functions; ``extra`` adds
    the forms only the simpleeval comparison takes (// % **, and/or/not on numbers)."""
    ops = ["+", "-", "*", "/"] + (["//", "%", "**"] if extra else [])

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        forms = [
            st.tuples(inner, st.sampled_from(ops), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda e: f"(-{e})"),
            inner.map(lambda e: f"(+{e})"),
            inner.map(lambda e: f"abs({e})"),
            st.tuples(st.sampled_from(FUNCTIONS_2), inner, inner).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"
            ),
            st.tuples(inner, inner, inner).map(lambda t: f"clamp({t[0]}, {t[1]}, {t[2]})"),
            st.tuples(inner, inner, inner).map(lambda t: f"safe_div({t[0]}, {t[1]}, {t[2]})"),
            st.tuples(inner, st.sampled_from(["0", "1", "2", "3"])).map(
                lambda t: f"round_half_up({t[0]}, {t[1]})"
            ),
            st.tuples(inner, st.sampled_from(COMPARISONS), inner, inner, inner).map(
                lambda t: f"({t[3]} if {t[0]} {t[1]} {t[2]} else {t[4]})"
            ),
        ]
        if extra:
            forms += [
                st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
                    lambda t: f"({t[0]} {t[1]} {t[2]})"
                ),
                inner.map(lambda e: f"(not {e})"),
            ]
        return st.one_of(*forms)

    return st.recursive(_atoms(), grow, max_leaves=10)


def _conditions(extra: bool) -> st.SearchStrategy[str]:
    number = _numbers(extra)
    single = st.tuples(number, st.sampled_from(COMPARISONS), number).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    )
    chained = st.tuples(
        number, st.sampled_from(COMPARISONS), number, st.sampled_from(COMPARISONS), number
    ).map(lambda t: f"({t[0]} {t[1]} {t[2]} {t[3]} {t[4]})")
    return st.one_of(number, single, chained)


def _exact(value: object) -> object:
    """A result with everything that tells results apart: a Decimal's sign, digits and exponent
    (``==`` takes 1.0 for 1 and 0 for -0), a bool as a bool (not 1)."""
    if isinstance(value, D):
        return ("Decimal", value.as_tuple())
    return (type(value).__name__, value)


def _outcome(interpreter: Interpreter, text: str, names: dict[str, object]) -> object:
    formula = compile_formula(text)
    try:
        return _exact(interpreter.evaluate(formula, names))  # type: ignore[arg-type]
    except EvaluationError as exc:
        return ("error", exc.code)


VALUES = st.sampled_from(
    [
        *(D(0), D("-0"), D(1), D("1.0"), D("-2.5"), D("1e30"), D("0.001"), D("7")),
        # 29 significant digits ending in 5: one more than the context keeps, a tie to round
        *(D("1234567890123456789012345678.5"), D("-0.12345678901234567890123456785")),
    ]
)
NAMES = st.one_of(VALUES, st.sampled_from([None, "t", True, False]))


@settings(max_examples=400, deadline=None)
@given(_conditions(extra=True), NAMES, NAMES)
def test_compiled_formulas_give_simpleevals_results_exactly(
    text: str, x: object, y: object
) -> None:
    """The same value with the same type and exponent, or the same error code, standalone and
    as the engine runs formulas (ARITHMETIC entered once around many)."""
    names = {"x": x, "y": y}
    reference = _outcome(Interpreter(reference=True), text, names)
    assert _outcome(Interpreter(), text, names) == reference, text
    with decimal.localcontext(ARITHMETIC):
        assert _outcome(Interpreter(own_context=False), text, names) == reference, text


# --- an independent arithmetic -----------------------------------------------------------------

PRECISION = ARITHMETIC.prec


class _RefusedError(Exception):
    """The reference finds the operation undefined (a zero divisor, clamp bounds crossed)."""


def _round_places(q: Fraction, places: int) -> Fraction:
    """q to ``places`` decimals, halves away from zero (ROUND_HALF_UP)."""
    scale = Fraction(10) ** places
    n, rest = divmod(abs(q) * scale, 1)
    n += rest >= Fraction(1, 2)
    return Fraction(n if q >= 0 else -n) / scale


def _round(q: Fraction) -> Fraction:
    """q to the context's significant digits, halves away from zero: what one Decimal operation
    in ARITHMETIC gives for an exact result q."""
    if q == 0:
        return q
    a = abs(q)
    exponent = len(str(a.numerator)) - len(str(a.denominator))  # 10**(e-1) <= a < 10**(e+1)
    while Fraction(10) ** exponent <= a:
        exponent += 1
    while Fraction(10) ** (exponent - 1) > a:
        exponent -= 1
    # now 10**(exponent-1) <= a < 10**exponent: keep PRECISION digits
    return _round_places(q, PRECISION - exponent)


def _reference(node: ast.expr, names: dict[str, Fraction]) -> Fraction | bool:
    if isinstance(node, ast.Constant):
        return Fraction(ast.get_source_segment(_SOURCE, node) or "0")
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.UnaryOp):
        value = _number(node.operand, names)
        return _round(-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.BinOp):
        a, b = _number(node.left, names), _number(node.right, names)
        if isinstance(node.op, ast.Add):
            return _round(a + b)
        if isinstance(node.op, ast.Sub):
            return _round(a - b)
        if isinstance(node.op, ast.Mult):
            return _round(a * b)
        if b == 0:
            raise _RefusedError
        return _round(a / b)
    if isinstance(node, ast.Compare):
        tests: dict[type[ast.cmpop], Callable[[Fraction, Fraction], bool]] = {
            ast.Lt: operator.lt,
            ast.LtE: operator.le,
            ast.Gt: operator.gt,
            ast.GtE: operator.ge,
            ast.Eq: operator.eq,
            ast.NotEq: operator.ne,
        }
        left = _number(node.left, names)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _number(comparator, names)  # a chain stops at its first false link
            if not tests[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        test = _reference(node.test, names)
        return _reference(node.body if test else node.orelse, names)
    assert isinstance(node, ast.Call)
    assert isinstance(node.func, ast.Name)
    args = [_number(a, names) for a in node.args]
    name = node.func.id
    if name == "abs":
        return _round(abs(args[0]))
    if name == "min":
        return min(args)
    if name in ("max", "coalesce"):
        return max(args) if name == "max" else args[0]
    if name == "sum":
        return _round(_round(Fraction(0) + args[0]) + args[1])  # from Decimal(0), one at a time
    if name == "avg":
        total = _round(_round(Fraction(0) + args[0]) + args[1])
        return _round(total / 2)
    if name == "percent":
        if args[1] == 0:
            raise _RefusedError
        return _round(_round(args[0] / args[1]) * 100)
    if name == "safe_div":
        return args[2] if args[1] == 0 else _round(args[0] / args[1])
    if name == "clamp":
        if args[1] > args[2]:
            raise _RefusedError
        return min(max(args[0], args[1]), args[2])
    assert name == "round_half_up"
    return _round_places(args[0], int(args[1]))


def _number(node: ast.expr, names: dict[str, Fraction]) -> Fraction:
    value = _reference(node, names)
    assert not isinstance(value, bool)  # the grammar compares only at the top or in a test
    return value


_SOURCE = ""


TIE = D("1234567890123456789012345678.5")


@settings(max_examples=400, deadline=None)
@given(_conditions(extra=False), VALUES, VALUES)
@example("(+x)", TIE, D(0))  # ties, which tell ROUND_HALF_UP from the default HALF_EVEN
@example("(x * 1)", TIE, D(0))
@example("(y - x)", TIE, D(0))
@example("(-y)", D(0), D("-0.12345678901234567890123456785"))
def test_compiled_arithmetic_agrees_with_an_exact_fraction_reference(text: str, x: D, y: D) -> None:
    """Each operation is the exact result rounded once to 28 significant digits, half up (and
    round_half_up to its places): the arithmetic itself is checked, not only the compilation."""
    global _SOURCE  # noqa: PLW0603 - the literal's own text, as the compiler reads it
    _SOURCE = text
    try:
        expected: object = _reference(
            ast.parse(text, mode="eval").body, {"x": Fraction(x), "y": Fraction(y)}
        )
    except _RefusedError:
        expected = "refused"
    try:
        result = Interpreter().evaluate(compile_formula(text), {"x": x, "y": y})
    except EvaluationError:
        assert expected == "refused", text
        return
    if isinstance(expected, bool):
        assert result is expected, text
    else:
        assert isinstance(result, D), text
        assert Fraction(result) == expected, text
