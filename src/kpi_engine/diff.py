"""Compare two evaluations (year on year, or before and after a rule change), row by row.

Works on the JSON contract (``kpi evaluate --format json``), so evaluations made by different
versions or on different machines can be compared.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from kpi_engine.display import MISSING, figure, fixed, with_unit
from kpi_engine.errors import Lang
from kpi_engine.limits import Limits, current, read_bytes
from kpi_engine.problems import Problems

__all__ = ["diff_rows", "diff_text", "read_evaluation"]


def read_evaluation(path: Path, *, limits: Limits | None = None) -> dict[str, Any]:
    """An evaluation's JSON as written by ``kpi evaluate --format json``: measured before it is
    read and read with a byte cap (``Limits.max_file_bytes``, as any definition file)."""
    raw = read_bytes(path, (limits or current()).max_file_bytes)
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except RecursionError:
        raise Problems.in_file(str(path)).error(
            "diff.unreadable",
            "无法读取评价结果：JSON 嵌套过深",
            "cannot read the evaluation: the JSON is nested too deeply",
        ) from None
    except ValueError as exc:  # not UTF-8, or not JSON
        raise Problems.in_file(str(path)).error(
            "diff.unreadable",
            f"无法读取评价结果：{exc}",
            f"cannot read the evaluation: {exc}",
        ) from None
    if not isinstance(data, dict) or "indicators" not in data:
        raise Problems.in_file(str(path)).error(
            "diff.not-evaluation",
            "不是 kpi evaluate --format json 的输出",
            "not the output of kpi evaluate --format json",
        )
    return data


def _total(evaluation: dict[str, Any], places: int) -> str:
    """The total, or the range an incomplete total can lie in (``64.00–94.00``)."""
    low = fixed(_num(evaluation.get("total")), places)
    span = evaluation.get("total_range")
    if isinstance(span, list) and len(span) == 2 and span[1] is not None:
        return f"{low}–{fixed(_num(span[1]), places)}"
    return low


def _grade(evaluation: dict[str, Any], lang: Lang) -> str:
    """The grade, ``待定（中至优）`` while an incomplete total could reach several, or —."""
    key, range_key = ("grade", "grade_range") if lang == "zh" else ("grade_en", "grade_range_en")
    grade = evaluation.get(key) or evaluation.get("grade")
    span = evaluation.get(range_key) or evaluation.get("grade_range")
    if grade:
        return str(grade)
    if isinstance(span, list) and len(span) == 2:
        low, high = span
        return f"待定（{low}至{high}）" if lang == "zh" else f"pending ({low} to {high})"
    return MISSING


def _num(text: Any) -> Decimal | None:
    return None if text is None else Decimal(str(text))


def _places(evaluation: dict[str, Any]) -> int:
    places = evaluation.get("places")
    return places if isinstance(places, int) else 2


def _actual(row: dict[str, Any], places: int) -> str:
    """The actual as the score table shows it: computed fractions to the set's places, with unit."""
    actual = row.get("actual")
    if actual is None:
        return MISSING
    try:
        value = Decimal(str(actual))
    except ArithmeticError:  # text such as 按计划完成, shown as reported
        return str(actual)
    return with_unit(figure(value, places), row.get("unit"))


def diff_rows(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Indicators whose score, status or actual changed (or that exist on one side only)."""
    a = {r["id"]: r for r in before["indicators"]}
    b = {r["id"]: r for r in after["indicators"]}
    rows = []
    for key in [*a, *(k for k in b if k not in a)]:
        x, y = a.get(key), b.get(key)
        if (
            x is not None
            and y is not None
            and all(x.get(f) == y.get(f) for f in ("score", "status", "actual", "weight", "target"))
        ):
            continue
        sx = _num(x.get("score")) if x else None
        sy = _num(y.get("score")) if y else None
        rows.append(
            {
                "id": key,
                "name": (y or x or {}).get("name", key),
                "before": x,
                "after": y,
                "delta": sy - sx if sx is not None and sy is not None else None,
            }
        )
    return rows


def diff_text(before: dict[str, Any], after: dict[str, Any], lang: Lang = "zh") -> str:
    """The changes as text: one line per changed indicator, then total and grade."""

    def t(zh: str, en: str) -> str:
        return zh if lang == "zh" else en

    rows = diff_rows(before, after)
    px, py = _places(before), _places(after)
    places = max(px, py)
    lines = []
    for row in rows:
        x, y = row["before"], row["after"]
        if x is None:
            score = fixed(_num(y.get("score")), py)
            lines.append(
                t(
                    f"+ {row['name']}（新增）得分 {score}",
                    f"+ {row['name']} (new) score {score}",
                )
            )
        elif y is None:
            score = fixed(_num(x.get("score")), px)
            lines.append(
                t(
                    f"- {row['name']}（删除）原得分 {score}",
                    f"- {row['name']} (removed) was {score}",
                )
            )
        else:
            delta = row["delta"]
            change = "" if delta is None else f" ({fixed(delta, places, sign=True)})"
            status = "" if x["status"] == y["status"] else f" [{x['status']} → {y['status']}]"
            lines.append(
                f"~ {row['name']}: {_actual(x, px)} → {_actual(y, py)}; "
                + t("得分", "score")
                + f" {fixed(_num(x.get('score')), px)} → {fixed(_num(y.get('score')), py)}"
                + f"{change}{status}"
            )
    tx, ty = _num(before.get("total")), _num(after.get("total"))
    gx, gy = _grade(before, lang), _grade(after, lang)
    if tx != ty or gx != gy or before.get("total_range") != after.get("total_range"):
        delta = "" if tx is None or ty is None else f" ({fixed(ty - tx, places, sign=True)})"
        lines.append(
            t("总分", "Total")
            + f" {_total(before, px)} → {_total(after, py)}{delta}; "
            + t("等级", "grade")
            + f" {gx} → {gy}"
        )
    if not lines:
        return t("两次评价没有差异。\n", "No differences.\n")
    return "\n".join(lines) + "\n"
