"""The expression language: parse, whitelist, compile and evaluate one formula.

The only module that imports ``simpleeval``. A formula is a single Python-like expression over
Decimal numbers: names, ``+ - * / // % **``, comparisons, ``and or not``, ``x if c else y`` and
calls to the functions in :data:`kpi_engine.functions.FUNCTIONS`. Everything else (attribute
access, subscripts, lambda, comprehensions, f-strings, shifts, keyword arguments, assignments,
starred arguments) is rejected when the formula is compiled, with the column of the offending
part. Number literals become Decimal from their text, so ``0.1 + 0.2 == 0.3`` holds.
"""

from __future__ import annotations

import ast
import decimal
import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

import simpleeval

from kpi_engine.errors import EvaluationError, FormulaError, did_you_mean
from kpi_engine.functions import FUNCTIONS, MissingOperandError, Value, divide, number

__all__ = [
    "ARITHMETIC",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Formula",
    "Interpreter",
    "compile_formula",
]

MAX_LENGTH = 2000
"""Longest formula accepted, in characters."""
MAX_DEPTH = 100
"""Deepest nesting of operations accepted."""

ARITHMETIC = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_UP,
    Emax=999_999,
    Emin=-999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
"""The Decimal context formulas and scores are computed in (28 significant digits)."""

_FORBIDDEN: dict[type[ast.AST], tuple[str, str]] = {
    ast.Attribute: ("属性访问", "attribute access"),
    ast.Subscript: ("下标", "subscripts"),
    ast.Slice: ("切片", "slices"),
    ast.Lambda: ("lambda 函数", "lambda"),
    ast.ListComp: ("推导式", "comprehensions"),
    ast.SetComp: ("推导式", "comprehensions"),
    ast.DictComp: ("推导式", "comprehensions"),
    ast.GeneratorExp: ("推导式", "comprehensions"),
    ast.JoinedStr: ("f-字符串", "f-strings"),
    ast.FormattedValue: ("f-字符串", "f-strings"),
    ast.LShift: ("移位运算", "shifts"),
    ast.RShift: ("移位运算", "shifts"),
    ast.BitAnd: ("位运算", "bitwise operators"),
    ast.BitOr: ("位运算", "bitwise operators"),
    ast.BitXor: ("位运算", "bitwise operators"),
    ast.Invert: ("位运算", "bitwise operators"),
    ast.MatMult: ("矩阵乘法", "matrix multiplication"),
    ast.keyword: ("关键字参数", "keyword arguments"),
    ast.NamedExpr: ("赋值表达式 :=", "assignment expressions (:=)"),
    ast.Starred: ("星号展开", "starred arguments"),
    ast.List: ("列表", "lists"),
    ast.Tuple: ("元组", "tuples"),
    ast.Dict: ("字典", "dicts"),
    ast.Set: ("集合", "sets"),
    ast.In: ("in 比较", "'in'"),
    ast.NotIn: ("in 比较", "'not in'"),
    ast.Is: ("is 比较", "'is'"),
    ast.IsNot: ("is 比较", "'is not'"),
    ast.Await: ("await", "await"),
}
_ALLOWED = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.Name,
    ast.Constant,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.USub,
    ast.UAdd,
    ast.Not,
    ast.And,
    ast.Or,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
)
_MAX_STRING = 1000


def _char_col(text: str, byte_offset: int | None) -> int:
    """1-based character column of a UTF-8 byte offset (ast counts bytes)."""
    if byte_offset is None:
        return 1
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")) + 1


def _binary(fn: Callable[[Decimal, Decimal], Decimal]) -> Callable[[Value, Value], Decimal]:
    def apply(a: Value, b: Value) -> Decimal:
        if type(a) is Decimal and type(b) is Decimal:  # the usual case, without two calls
            return fn(a, b)
        return fn(number(a), number(b))

    return apply


def _compare(fn: Callable[[Decimal, Decimal], bool]) -> Callable[[Value, Value], bool]:
    def apply(a: Value, b: Value) -> bool:
        if type(a) is Decimal and type(b) is Decimal:  # the usual case first
            return fn(a, b)
        if a is None or b is None:
            raise MissingOperandError
        if isinstance(a, str) or isinstance(b, str):
            if fn is operator.eq:
                return a == b
            if fn is operator.ne:
                return a != b
            raise EvaluationError(
                "formula.type", "文本不能比较大小", "text cannot be compared by size"
            )
        return fn(number(a), number(b))

    return apply


def _floordiv(a: Decimal, b: Decimal) -> Decimal:
    if b == 0:
        raise EvaluationError("formula.division-by-zero", "除数为零", "division by zero")
    return a // b


def _mod(a: Decimal, b: Decimal) -> Decimal:
    if b == 0:
        raise EvaluationError("formula.division-by-zero", "除数为零", "division by zero")
    return a % b


def _not(a: Value) -> bool:
    if a is None:
        raise MissingOperandError
    return not a


def _neg(a: Value) -> Decimal:
    return -number(a)


def _pos(a: Value) -> Decimal:
    return +number(a)


_OPERATORS: dict[type[ast.AST], Callable[..., Value]] = {
    ast.Add: _binary(operator.add),
    ast.Sub: _binary(operator.sub),
    ast.Mult: _binary(operator.mul),
    ast.Div: divide,
    ast.FloorDiv: _binary(_floordiv),
    ast.Mod: _binary(_mod),
    ast.Pow: _binary(operator.pow),
    ast.USub: _neg,
    ast.UAdd: _pos,
    ast.Not: _not,
    ast.Eq: _compare(operator.eq),
    ast.NotEq: _compare(operator.ne),
    ast.Lt: _compare(operator.lt),
    ast.LtE: _compare(operator.le),
    ast.Gt: _compare(operator.gt),
    ast.GtE: _compare(operator.ge),
}
_FUNCTIONS = {name: fn.impl for name, fn in FUNCTIONS.items()}


def _fail(text: str, node: ast.AST | None, code: str, zh: str, en: str) -> FormulaError:
    col = _char_col(text, getattr(node, "col_offset", None)) if node is not None else 1
    return FormulaError(code, zh, en, col)


@dataclass(frozen=True, slots=True)
class Formula:
    """A checked, compiled formula. Create with :func:`compile_formula`."""

    text: str
    names: frozenset[str]
    """Every variable the formula reads."""
    tree: ast.expr = field(repr=False, compare=False)
    name_columns: tuple[tuple[str, int], ...] = field(repr=False, compare=False, default=())
    spans: tuple[tuple[int, int, str], ...] = field(repr=False, compare=False, default=())
    """Byte spans of the variables in the text, for :meth:`substitute`."""
    run: Callable[[Mapping[str, Value]], Value] = field(
        repr=False, compare=False, default=lambda names: None
    )
    """The checked tree compiled to closures: same results and errors as simpleeval, faster."""

    def unknown_names(self, known: Collection[str]) -> list[tuple[str, int]]:
        """Names not in ``known``, each with its 1-based column, in order of appearance."""
        return [(name, col) for name, col in self.name_columns if name not in known]

    def substitute(self, values: Mapping[str, Value]) -> str:
        """The formula text with each variable replaced by its value (for explanations)."""
        if not self.spans:
            return self.text
        raw = self.text.encode("utf-8")
        out: list[bytes] = []
        last = 0
        for start, end, name in self.spans:
            value = values.get(name)
            out.append(raw[last:start])
            out.append(("缺失" if value is None else str(value)).encode("utf-8"))
            last = end
        out.append(raw[last:])
        return b"".join(out).decode("utf-8")


def _decimal_literals(text: str, tree: ast.AST) -> None:
    """Replace number constants by Decimals read from their source text."""
    raw = text.encode("utf-8")
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and not isinstance(node.value, bool | str):
            if not isinstance(node.value, int | float):
                raise _fail(
                    text,
                    node,
                    "formula.literal",
                    f"不支持的常量 {node.value!r}",
                    f"unsupported constant {node.value!r}",
                )
            literal = raw[node.col_offset : node.end_col_offset].decode("utf-8")
            try:
                number = Decimal(literal)
            except decimal.InvalidOperation:
                raise _fail(
                    text,
                    node,
                    "formula.literal",
                    f"只支持十进制数字，不支持 {literal}",
                    f"only decimal numbers are supported, not {literal}",
                ) from None
            if number and not ARITHMETIC.Emin <= number.adjusted() <= ARITHMETIC.Emax:
                raise _fail(
                    text,
                    node,
                    "formula.literal",
                    f"数字 {literal} 超出范围",
                    f"the number {literal} is out of range",
                )
            node.value = number  # type: ignore[assignment]


def _check(text: str, tree: ast.expr) -> list[tuple[str, int]]:
    """Whitelist, depth and arity checks; returns the variables read with their columns."""
    names: list[tuple[str, int]] = []
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    callees: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _fail(
                text,
                node,
                "formula.too-deep",
                f"公式嵌套超过 {MAX_DEPTH} 层",
                f"the formula is nested more than {MAX_DEPTH} levels deep",
            )
        if type(node) in _FORBIDDEN:
            zh, en = _FORBIDDEN[type(node)]
            raise _fail(
                text, node, "formula.forbidden", f"公式中不允许使用{zh}", f"{en} are not allowed"
            )
        if not isinstance(node, _ALLOWED):
            name = type(node).__name__
            raise _fail(
                text,
                node,
                "formula.forbidden",
                f"公式中不允许使用 {name}",
                f"{name} is not allowed",
            )
        if isinstance(node, ast.Constant):
            if node.value is None:
                raise _fail(
                    text,
                    node,
                    "formula.forbidden",
                    "公式中不允许使用 None（缺失值请用 coalesce 处理）",
                    "None is not allowed (handle missing values with coalesce)",
                )
            if isinstance(node.value, str) and len(node.value) > _MAX_STRING:
                raise _fail(
                    text,
                    node,
                    "formula.too-long",
                    "文本常量过长",
                    "text constant is too long",
                )
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise _fail(
                    text,
                    node,
                    "formula.forbidden",
                    "只能直接调用内置函数",
                    "only built-in functions can be called, by name",
                )
            if node.keywords:
                zh, en = _FORBIDDEN[ast.keyword]
                raise _fail(
                    text,
                    node.keywords[0],
                    "formula.forbidden",
                    f"公式中不允许使用{zh}",
                    f"{en} are not allowed",
                )
            callees.add(id(node.func))
            spec = FUNCTIONS.get(node.func.id)
            if spec is None:
                raise _fail(
                    text,
                    node.func,
                    "formula.unknown-function",
                    f"未知函数 '{node.func.id}'{did_you_mean(node.func.id, FUNCTIONS)[0]}",
                    f"unknown function {node.func.id!r}{did_you_mean(node.func.id, FUNCTIONS)[1]}",
                )
            count = len(node.args)
            if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
                raise _fail(
                    text,
                    node,
                    "formula.arity",
                    f"函数用法应为 {spec.signature}，此处给了 {count} 个参数",
                    f"use {spec.signature}; {count} argument(s) given",
                )
        elif isinstance(node, ast.Name) and id(node) not in callees:
            if node.id in FUNCTIONS:
                raise _fail(
                    text,
                    node,
                    "formula.bare-function",
                    f"函数 '{node.id}' 必须调用，如 {FUNCTIONS[node.id].signature}",
                    f"function {node.id!r} must be called, as {FUNCTIONS[node.id].signature}",
                )
            names.append((node.id, _char_col(text, node.col_offset)))
        # Push children in reverse so names come out in reading order.
        for child in reversed(list(ast.iter_child_nodes(node))):
            stack.append((child, depth + 1))
    return names


def compile_formula(text: str) -> Formula:
    """Parse and check a formula. Raises :class:`FormulaError` with a column on any problem.

    >>> f = compile_formula("spent / budget * 100")
    >>> sorted(f.names)
    ['budget', 'spent']
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("formula.empty", "公式为空", "the formula is empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            "formula.too-long",
            f"公式超过 {MAX_LENGTH} 个字符",
            f"the formula is longer than {MAX_LENGTH} characters",
        )
    source = text.strip()
    try:
        module = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        col = exc.offset or 1
        detail = exc.msg
        raise FormulaError(
            "formula.syntax",
            f"公式语法错误（只允许单个表达式）：{detail}",
            f"syntax error (a single expression is expected): {detail}",
            col,
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError(
            "formula.too-deep", "公式嵌套过深或无法解析", "the formula is too deeply nested"
        ) from None
    names = _check(source, module.body)
    _decimal_literals(source, module)
    return Formula(
        text=source,
        names=frozenset(name for name, _ in names),
        tree=module.body,
        name_columns=tuple(dict.fromkeys(names)),
        spans=tuple(
            sorted(
                (node.col_offset, node.end_col_offset or node.col_offset, node.id)
                for node in ast.walk(module.body)
                if isinstance(node, ast.Name) and node.id not in FUNCTIONS
            )
        ),
        run=_compiled(module.body),
    )


Closure = Callable[[Mapping[str, Value]], Value]

_INLINE: dict[type[ast.AST], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Pow: "**",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
"""Operators whose fast path on two Decimals is the Python operator itself (as in ``_binary``
and ``_compare``); anything else goes through its ``_OPERATORS`` function."""


class _Source:
    """Python source for one checked formula, built from the tree (never from the user's text):
    names become ``n['name']`` lookups, constants and helpers are referred to by generated
    names, so the only text taken from the formula is an identifier inside a string literal."""

    def __init__(self) -> None:
        self.scope: dict[str, object] = {"_T": type, "_D": Decimal}
        self.temps = 0

    def ref(self, value: object) -> str:
        name = f"_g{len(self.scope)}"
        self.scope[name] = value
        return name

    def temp(self) -> str:
        self.temps += 1
        return f"_t{self.temps}"

    def operand(self, node: ast.expr) -> tuple[str, str]:
        """(expression that computes it once, expression to read it again)."""
        text = self.expr(node)
        if isinstance(node, ast.Name | ast.Constant):
            return text, text  # a lookup: cheap and without side effects to repeat
        t = self.temp()
        return f"({t} := {text})", t

    def fast(self, op: type[ast.AST], left: ast.expr, right: ast.expr) -> str:
        """``a op b`` when both are Decimal, else the operator's function: the closures' paths."""
        slow = self.ref(_OPERATORS[op])
        (a, a_again), (b, b_again) = self.operand(left), self.operand(right)
        if op is ast.Div:
            # divide(): a zero (or -0) denominator takes the slow path and its error.
            test = f"(_T({a}) is _D) & (_T({b}) is _D) and {b_again}"
            return f"({a_again} / {b_again} if {test} else {slow}({a_again}, {b_again}))"
        symbol = _INLINE.get(op)
        if symbol is None:
            return f"{slow}({a}, {b})"
        test = f"(_T({a}) is _D) & (_T({b}) is _D)"
        return f"({a_again} {symbol} {b_again} if {test} else {slow}({a_again}, {b_again}))"

    def expr(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return self.ref(node.value)
        if isinstance(node, ast.Name):
            return f"n[{node.id!r}]"
        if isinstance(node, ast.BinOp):
            return self.fast(type(node.op), node.left, node.right)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            return self.fast(type(node.ops[0]), node.left, node.comparators[0])
        if isinstance(node, ast.UnaryOp):
            unary = self.ref(_OPERATORS[type(node.op)])
            operand = self.expr(node.operand)
            if isinstance(node.op, ast.USub | ast.UAdd):
                t, sign = self.temp(), "-" if isinstance(node.op, ast.USub) else "+"
                return f"({sign}{t} if _T({t} := {operand}) is _D else {unary}({t}))"
            return f"{unary}({operand})"
        if isinstance(node, ast.BoolOp):
            # all_of/any_of return the value that decided, as Python's and/or do.
            joiner = " and " if isinstance(node.op, ast.And) else " or "
            return "(" + joiner.join(self.expr(v) for v in node.values) + ")"
        if isinstance(node, ast.IfExp):
            test, body, orelse = self.expr(node.test), self.expr(node.body), self.expr(node.orelse)
            return f"({body} if {test} else {orelse})"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            function = self.ref(_FUNCTIONS[node.func.id])
            return f"{function}({', '.join(self.expr(a) for a in node.args)})"
        return f"{self.ref(_closure(node))}(n)"  # chained comparisons keep their closure


def _compiled(node: ast.expr) -> Closure:
    """The checked tree as one Python function (the closures' semantics, operator by operator,
    without a call per node); the closures themselves where CPython cannot compile the source
    (a formula nested past its parser's limits)."""
    if isinstance(node, ast.Name):  # a leaf reading one input: no source to compile
        return cast(Closure, operator.itemgetter(node.id))
    if isinstance(node, ast.Constant):
        return _closure(node)
    source = _Source()
    try:
        text = f"def formula(n):\n    return {source.expr(node)}\n"
        code = compile(text, "<formula>", "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return _closure(node)
    scope: dict[str, object] = {"__builtins__": {}, **source.scope}
    exec(code, scope)
    return cast(Closure, scope["formula"])


def _closure(node: ast.expr) -> Closure:
    """Compile a checked node into nested closures with simpleeval's exact semantics.

    Only node types the whitelist admits reach here, so no user text is ever passed to
    ``eval``/``exec``; simpleeval stays the reference (see the differential tests).
    """
    if isinstance(node, ast.Constant):
        value = cast(Value, node.value)  # Decimal, bool or str after the checks
        return lambda names: value
    if isinstance(node, ast.Name):
        key = node.id
        return lambda names: names[key]
    if isinstance(node, ast.BinOp):
        binary = _OPERATORS[type(node.op)]
        left, right = _closure(node.left), _closure(node.right)
        return lambda names: binary(left(names), right(names))
    if isinstance(node, ast.UnaryOp):
        unary = _OPERATORS[type(node.op)]
        operand = _closure(node.operand)
        return lambda names: unary(operand(names))
    if isinstance(node, ast.BoolOp):
        parts = tuple(_closure(v) for v in node.values)
        if isinstance(node.op, ast.And):

            def all_of(names: Mapping[str, Value]) -> Value:
                result: Value = False
                for part in parts:
                    result = part(names)
                    if not result:
                        break
                return result

            return all_of

        def any_of(names: Mapping[str, Value]) -> Value:
            result: Value = False
            for part in parts:
                result = part(names)
                if result:
                    break
            return result

        return any_of
    if isinstance(node, ast.Compare):
        first = _closure(node.left)
        chain = tuple(
            (_OPERATORS[type(op)], _closure(c))
            for op, c in zip(node.ops, node.comparators, strict=True)
        )

        if len(chain) == 1:  # a single comparison needs no loop
            ((test, comparator),) = chain
            return lambda names: test(first(names), comparator(names))

        def compare(names: Mapping[str, Value]) -> Value:
            right = first(names)
            result: Value = True
            for test, comparator in chain:
                if not result:
                    break
                left, right = right, comparator(names)
                result = test(left, right)
            return result

        return compare
    if isinstance(node, ast.IfExp):
        test, body, orelse = _closure(node.test), _closure(node.body), _closure(node.orelse)
        return lambda names: body(names) if test(names) else orelse(names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        function = _FUNCTIONS[node.func.id]
        args = tuple(_closure(a) for a in node.args)
        if len(args) == 1:
            (only,) = args
            return lambda names: function(only(names))
        if len(args) == 2:  # the common min(a, b) / percent(a, b): no generator per call
            first, second = args
            return lambda names: function(first(names), second(names))
        return lambda names: function(*[a(names) for a in args])
    raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover


class Interpreter:
    """Evaluates compiled formulas. Not thread-safe: make one per thread or evaluation.

    By default formulas run as compiled closures; ``reference=True`` runs them through simpleeval,
    the reference interpreter the closures are tested against.
    """

    def __init__(self, *, reference: bool = False, own_context: bool = True) -> None:
        # The engine enters ARITHMETIC once per evaluation; entering it per formula costs more
        # than evaluating most formulas.
        self._own_context = own_context
        self._eval = (
            simpleeval.SimpleEval(operators=_OPERATORS, functions=_FUNCTIONS, names={})
            if reference
            else None
        )
        self._fast = not reference and not own_context

    def _run(self, formula: Formula, names: Mapping[str, Value]) -> Value:
        if self._eval is not None:
            self._eval.names = names
            value: Value = self._eval.eval(formula.text, previously_parsed=formula.tree)
            return value
        return formula.run(names)

    def evaluate(self, formula: Formula, names: Mapping[str, Value]) -> Value:
        """The formula's value, or :class:`EvaluationError` (never any other exception).

        A missing name (bound to ``None``) that the result depends on raises an error with code
        ``value.missing`` listing the missing names.
        """
        result = self.evaluate_known(formula, names)
        if result is None:
            missing = tuple(sorted(n for n in formula.names if names.get(n) is None))
            raise EvaluationError(
                "value.missing",
                f"缺少数据：{'、'.join(missing)}",
                f"missing data: {', '.join(missing)}",
                missing=missing,
            )
        return result

    def evaluate_known(self, formula: Formula, names: Mapping[str, Value]) -> Value | None:
        """Like :meth:`evaluate`, but ``None`` when the result depends on a missing name.

        For callers to whom missing data is an everyday answer rather than an error (a rule whose
        condition needs a figure nobody supplied simply does not apply).
        """
        try:
            if self._fast:
                result = formula.run(names)  # the engine's path: compiled, context already set
            elif self._own_context:
                with decimal.localcontext(ARITHMETIC):
                    result = self._run(formula, names)
            else:
                result = self._run(formula, names)
        except EvaluationError:
            raise
        except MissingOperandError:
            result = None
        except decimal.Overflow:
            raise EvaluationError(
                "formula.overflow", "计算结果超出范围", "the result is out of range"
            ) from None
        except decimal.DivisionByZero:
            raise EvaluationError(
                "formula.division-by-zero", "除数为零", "division by zero"
            ) from None
        except decimal.InvalidOperation:
            raise EvaluationError(
                "formula.invalid", "无效的运算（如负数开方）", "invalid operation"
            ) from None
        except (RecursionError, MemoryError):  # pragma: no cover - bounded by MAX_DEPTH
            raise EvaluationError(
                "formula.too-deep", "公式过于复杂", "formula too complex"
            ) from None
        except Exception as exc:
            raise EvaluationError(
                "formula.failed",
                f"公式无法计算：{type(exc).__name__}",
                f"the formula could not be evaluated: {type(exc).__name__}: {exc}",
            ) from None
        if result is None:
            return None
        if type(result) is Decimal and not result.is_finite():
            raise EvaluationError(
                "formula.not-finite", "计算结果不是有限数", "the result is not a finite number"
            )
        return result
