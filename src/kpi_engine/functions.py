"""The functions formulas may call: pure, deterministic and exact on Decimal.

A missing value (``None``) makes every function but ``coalesce`` raise :class:`MissingOperandError`,
which the formula layer turns into a ``missing_input`` status rather than a silent zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import cast

from kpi_engine.errors import EvaluationError, KpiEngineError

__all__ = [
    "FUNCTIONS",
    "Function",
    "MissingOperandError",
    "divide",
    "exact_sum",
    "number",
    "quantize_half_up",
    "round_half_up",
]

Value = Decimal | bool | str | None


class MissingOperandError(KpiEngineError):
    """An operand was a missing value; the formula cannot be computed.

    The engine turns it into a ``missing_input`` status; it never escapes ``Engine.evaluate``.
    """


def number(value: Value) -> Decimal:
    """``value`` as a Decimal, or the error a formula author should see."""
    if value is None:
        raise MissingOperandError
    if isinstance(value, bool) or not isinstance(value, Decimal):
        raise EvaluationError(
            "formula.type",
            f"需要数字，得到 {value!r}",
            f"expected a number, got {value!r}",
        )
    return value


_QUANTIZE_MAX = 1000
"""Numbers above 10**1000 are returned as they are by :func:`quantize_half_up`."""


def quantize_half_up(value: Decimal, places: int) -> Decimal:
    """四舍五入 ``value`` to ``places`` decimals (ROUND_HALF_UP, never Python's ``round()``).

    >>> quantize_half_up(Decimal("2.345"), 2), quantize_half_up(Decimal("2.5"), 0)
    (Decimal('2.35'), Decimal('3'))
    """
    if not value.is_finite() or value.adjusted() > _QUANTIZE_MAX:
        return value  # already whole to any places people read; never a gigabyte of zeros
    with localcontext(prec=max(28, value.adjusted() + places + 2)):
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


_EXACT = Context(prec=10_000, rounding=ROUND_HALF_UP, traps=[Inexact, Overflow, InvalidOperation])


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """Σ without rounding, so subtotals do not depend on the order of the rows.

    >>> exact_sum([Decimal(1) / 3, Decimal(2) / 3]) == exact_sum([Decimal(2) / 3, Decimal(1) / 3])
    True
    """
    with localcontext(_EXACT):
        return sum(values, Decimal(0))


def round_half_up(value: Value, places: Value = Decimal(0)) -> Decimal:
    """四舍五入 to ``places`` decimals (ROUND_HALF_UP, never banker's rounding)."""
    x, p = number(value), number(places)
    if p != p.to_integral_value() or not 0 <= p <= 12:
        raise EvaluationError(
            "formula.argument",
            "round_half_up 的位数须为 0 到 12 的整数",
            "round_half_up places must be a whole number from 0 to 12",
        )
    return quantize_half_up(x, int(p))


def _decimals(values: tuple[Value, ...]) -> tuple[Decimal, ...]:
    for v in values:  # a plain loop: a generator here costs more than the min itself
        if type(v) is not Decimal:
            return tuple(number(x) for x in values)
    return cast(tuple[Decimal, ...], values)


def _min(*values: Value) -> Decimal:
    if len(values) == 2:
        a, b = values
        if type(a) is Decimal and type(b) is Decimal:
            return a if a <= b else b  # min() of two, without building a tuple
    return min(_decimals(values))


def _max(*values: Value) -> Decimal:
    if len(values) == 2:
        a, b = values
        if type(a) is Decimal and type(b) is Decimal:
            return a if a >= b else b  # max() of two: the first wins a tie, as max() does
    return max(_decimals(values))


def _abs(value: Value) -> Decimal:
    return abs(number(value))


def _sum(*values: Value) -> Decimal:
    return sum((number(v) for v in values), Decimal(0))


def _avg(*values: Value) -> Decimal:
    return _sum(*values) / len(values)


def _clamp(value: Value, low: Value, high: Value) -> Decimal:
    x, lo, hi = number(value), number(low), number(high)
    if lo > hi:
        raise EvaluationError(
            "formula.argument",
            f"clamp 的下限 {lo} 大于上限 {hi}",
            f"clamp lower bound {lo} is above upper bound {hi}",
        )
    return min(max(x, lo), hi)


def _coalesce(*values: Value) -> Value:
    for v in values:
        if v is not None:
            return v
    return None


def divide(numerator: Value, denominator: Value) -> Decimal:
    """``numerator / denominator`` with a clear error for a zero denominator."""
    if type(numerator) is Decimal and type(denominator) is Decimal:
        a, b = numerator, denominator
    else:
        a, b = number(numerator), number(denominator)
    if b == 0:
        raise EvaluationError("formula.division-by-zero", "除数为零", "division by zero")
    return a / b


def _safe_div(numerator: Value, denominator: Value, default: Value) -> Decimal:
    b = number(denominator)
    if b == 0:
        return number(default)
    return number(numerator) / b


def _percent(part: Value, whole: Value) -> Decimal:
    return divide(part, whole) * 100


@dataclass(frozen=True, slots=True)
class Function:
    """A whitelisted function: its implementation, arity and documentation."""

    impl: Callable[..., Value]
    min_args: int
    max_args: int | None
    signature: str
    doc_zh: str
    doc_en: str


FUNCTIONS: dict[str, Function] = {
    "abs": Function(_abs, 1, 1, "abs(x)", "绝对值", "absolute value"),
    "avg": Function(_avg, 1, None, "avg(x, y, ...)", "算术平均值", "arithmetic mean"),
    "clamp": Function(
        _clamp, 3, 3, "clamp(x, lo, hi)", "把 x 限制在 [lo, hi] 内", "x limited to [lo, hi]"
    ),
    "coalesce": Function(
        _coalesce,
        1,
        None,
        "coalesce(x, y, ...)",
        "第一个有值（未缺失）的参数",
        "the first argument that is not missing",
    ),
    "max": Function(_max, 1, None, "max(x, y, ...)", "最大值", "largest value"),
    "min": Function(_min, 1, None, "min(x, y, ...)", "最小值", "smallest value"),
    "percent": Function(
        _percent,
        2,
        2,
        "percent(part, whole)",
        "百分比：part ÷ whole × 100",
        "percentage: part ÷ whole × 100",
    ),
    "round_half_up": Function(
        round_half_up,
        1,
        2,
        "round_half_up(x, places=0)",
        "四舍五入到 places 位小数",
        "round half up to `places` decimals",
    ),
    "safe_div": Function(
        _safe_div,
        3,
        3,
        "safe_div(a, b, default)",
        "a ÷ b；b 为 0 时取 default（须明确写出）",
        "a ÷ b, or `default` when b is 0 (stated explicitly)",
    ),
    "sum": Function(_sum, 1, None, "sum(x, y, ...)", "求和", "sum"),
}
"""Every function a formula may call, by name."""
