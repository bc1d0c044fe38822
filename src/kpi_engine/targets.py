"""Targets (年度指标值) written the way auditors write them, parsed into operator, number and unit.

Accepted forms include ``≥ 500 人``, ``>=500``, ``≤ 90 万元``, ``= 0 起``, ``100%`` (a bare number
means "≥"), ``[95, 100] %``, ``95%-100%``, full-width ``≥５００人`` and ``＞``, and Chinese wording
such as ``不低于 95%``, ``不超过 90 万元``, ``500 人以上``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from kpi_engine.errors import KpiEngineError
from kpi_engine.limits import current, number_too_long

__all__ = ["Op", "Target", "TargetSyntaxError", "normalize_unit", "parse_target"]


class Op(StrEnum):
    """How the actual is compared with the target."""

    GE = "≥"
    LE = "≤"
    EQ = "="
    RANGE = "range"


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed target. For ``RANGE`` the bounds are ``low`` and ``high``; else ``value``."""

    op: Op
    value: Decimal
    unit: str | None
    text: str
    high: Decimal | None = None
    strict: bool = False
    """Written as ``>`` or ``<``; scored like ``≥``/``≤`` (reaching the value earns full marks)."""
    implicit: bool = False
    """Written without a comparison (a bare ``30`` or ``20 天``): the direction was inferred."""

    @property
    def low(self) -> Decimal:
        """Lower bound of a range (the value itself otherwise)."""
        return self.value

    def __str__(self) -> str:
        unit = f" {self.unit}" if self.unit and self.unit != "%" else (self.unit or "")
        if self.op is Op.RANGE:
            return f"[{self.value}, {self.high}]{unit}"
        return f"{self.op.value} {self.value}{unit}"


class TargetSyntaxError(KpiEngineError, ValueError):
    """The target text could not be understood; carries Chinese and English messages.

    Also a ``ValueError``, so callers that catch that keep working.
    """

    def __init__(self, message: str, message_en: str) -> None:
        self.message = message
        self.message_en = message_en
        super().__init__(message_en)


_WORD_OPS = [
    # Longest phrases first so that 大于等于 is not read as 大于.
    ("大于或等于", ">="),
    ("小于或等于", "<="),
    ("大于等于", ">="),
    ("小于等于", "<="),
    ("不低于", ">="),
    ("不少于", ">="),
    ("不小于", ">="),
    ("不高于", "<="),
    ("不超过", "<="),
    ("不多于", "<="),
    ("不大于", "<="),
    ("至少", ">="),
    ("达到", ">="),
    ("至多", "<="),
    ("等于", "="),
    ("大于", ">"),
    ("高于", ">"),
    ("超过", ">"),
    ("多于", ">"),
    ("小于", "<"),
    ("低于", "<"),
    ("少于", "<"),
]
_SYMBOL_OPS = {
    "≥": ">=",
    "≧": ">=",
    "⩾": ">=",
    "≤": "<=",
    "≦": "<=",
    "⩽": "<=",
    "=>": ">=",
    "=<": "<=",
    "==": "=",
}
_SUFFIX_OPS = [("及以上", ">="), ("以上", ">="), ("及以下", "<="), ("以下", "<="), ("以内", "<=")]
_NUM = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_SINGLE = re.compile(rf"^(>=|<=|>|<|=)?\s*({_NUM})\s*(.*?)$")
_RANGE = re.compile(
    rf"^\[?\s*({_NUM})\s*([^\d,\[\]~\-至—–]*?)\s*(?:,|~|-|至|—|–|－)\s*({_NUM})\s*([^\d\]]*?)\s*\]?\s*([^\d]*)$"
)
_OP_OF = {">=": Op.GE, ">": Op.GE, "<=": Op.LE, "<": Op.LE, "=": Op.EQ}


def normalize_unit(unit: str | None) -> str | None:
    """Canonical unit text: NFKC (so ％ is %), trimmed, 百分比 (as some systems print it) as %;
    empty means none."""
    if unit is None:
        return None
    unit = unicodedata.normalize("NFKC", unit).strip()
    if unit == "百分比":
        return "%"
    return unit or None


def _number(text: str) -> Decimal:
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex admits only valid numbers
        raise TargetSyntaxError(f"'{text}' 不是数字", f"{text!r} is not a number") from None
    if number_too_long(number):
        raise TargetSyntaxError(
            "目标值的数字位数过多（上限见 kpi_engine.limits.Limits.max_number_digits）",
            "the target's number has too many digits "
            "(see kpi_engine.limits.Limits.max_number_digits)",
        )
    return number


def _check_unit(unit: str | None, original: str) -> str | None:
    unit = normalize_unit(unit)
    if unit and re.search(r"[\d<>=≥≤]", unit):
        raise TargetSyntaxError(
            f"无法识别目标值 '{original}'：单位 '{unit}' 中含有数字或比较符",
            f"cannot read target {original!r}: the unit {unit!r} contains digits or operators",
        )
    return unit


def parse_target(text: str | Decimal) -> Target:
    """Parse a target written as text (or given as a number, which means "≥ number")."""
    if isinstance(text, Decimal):
        return Target(Op.GE, text, None, str(text), implicit=True)
    original = text
    # A target in words belongs to a qualitative indicator: refuse it before any pattern runs.
    longest = current().max_target_chars
    if len(text) > longest:
        raise TargetSyntaxError(
            f"目标值超过 {longest} 个字符（kpi_engine.limits.Limits.max_target_chars）；"
            "文字目标请用定性指标",
            f"the target is longer than {longest} characters "
            "(kpi_engine.limits.Limits.max_target_chars); "
            "use a qualitative indicator for a target in words",
        )
    s = unicodedata.normalize("NFKC", text).strip()
    for symbol, ascii_op in _SYMBOL_OPS.items():
        s = s.replace(symbol, ascii_op)
    for word, ascii_op in _WORD_OPS:
        if s.startswith(word):
            s = ascii_op + s[len(word) :]
            break
    for word, ascii_op in _SUFFIX_OPS:
        if s.endswith(word) and not s.startswith(("<", ">", "=")):
            s = ascii_op + s[: -len(word)]
            break
    s = s.strip()
    if not s:
        raise TargetSyntaxError("目标值为空", "the target is empty")
    single = _SINGLE.match(s)
    if single and not re.search(r"\d", single.group(3)):
        op_text, number, unit = single.groups()
        op = _OP_OF[op_text] if op_text else Op.GE
        return Target(
            op,
            _number(number),
            _check_unit(unit, original),
            original,
            strict=op_text in (">", "<"),
            implicit=not op_text,
        )
    ranged = _RANGE.match(s)
    if ranged:
        low_text, unit_low, high_text, unit_high, unit_after = ranged.groups()
        units = {u for u in map(normalize_unit, (unit_low, unit_high, unit_after)) if u}
        if len(units) > 1:
            raise TargetSyntaxError(
                f"无法识别目标值 '{original}'：区间两端单位不一致",
                f"cannot read target {original!r}: the two ends have different units",
            )
        low, high = _number(low_text), _number(high_text)
        if low > high:
            raise TargetSyntaxError(
                f"目标区间 '{original}' 的下限大于上限",
                f"the target range {original!r} has its lower bound above its upper bound",
            )
        unit = _check_unit(units.pop() if units else None, original)
        return Target(Op.RANGE, low, unit, original, high=high)
    raise TargetSyntaxError(
        f"无法识别目标值 '{original}'：应写作如 '≥ 500 人'、'≤ 90 万元'、'= 0 起'、'[95, 100] %'",
        f"cannot read target {original!r}: write it like '≥ 500 人', '≤ 90 万元', '= 0 起' "
        "or '[95, 100] %'",
    )
