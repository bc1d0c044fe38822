"""A score table ``kpi table`` wrote, read back: the set and actuals from its hidden sheet, and
what was typed over the visible form since applied on top (or listed when it cannot be).

Kept apart from :mod:`kpi_engine.importing`, which reads anyone's tables; this module never
touches openpyxl itself: it gets the sheet through the importer's reader.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from kpi_engine.loading import read_yaml

if TYPE_CHECKING:
    from kpi_engine.importing import _Sheet

__all__ = ["restore"]


def restore(
    lines: list[str], sheet: _Sheet, header_row: int, source: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(set data, actuals data) as written, with the form's edits applied."""
    from kpi_engine.importing import _TIER_KEYS, cell_figure  # noqa: PLC0415 - a cycle otherwise

    data, _, issues = read_yaml("\n".join(lines), f"{source}!kpi_engine")
    sheet.problems.extend(issues)
    set_data: dict[str, Any] = data["set"]
    actuals: dict[str, Any] = data.get("actuals") or {"kpi_actuals": 1}
    actuals.setdefault("set", set_data["id"])
    leaves = dict(_leaves(set_data["indicators"]))
    columns = {k: int(v) for k, v in data["columns"].items()}
    for at, was in data["rows"].items():
        row = int(at)
        now = {k: sheet.ws.cell(row=row, column=c).value for k, c in columns.items()}
        edited = [k for k in columns if not _same(was.get(k), now[k])]
        if not edited:
            continue
        entries: dict[str, Any] = actuals.setdefault("indicators", {})
        entry: dict[str, Any] = dict(entries.get(was["id"]) or {})
        leaf = leaves[was["id"]]
        for key in edited:
            col = columns[key]
            if key in ("target", "weight"):
                sheet.problem(
                    row, col, "import.edited",
                    "改动了指标体系本身（年度指标值或分值）：导入的仍是原指标体系，"
                    "请在 set.yaml 中修改",
                    "changes the set itself (target or weight): the set is kept as it was; "
                    "edit set.yaml",
                )  # fmt: skip
            elif key == "reason":
                text = " ".join(str(now[key] or "").split())
                if text:
                    entry["reason"] = text
                else:
                    entry.pop("reason", None)
            elif key == "score":
                figure = cell_figure(now[key])
                if figure is None:
                    sheet.problem(row, col, "import.score", "得分不是数字", "not a number")
                else:
                    entry["reported_score"] = figure[0]
            elif leaf.get("value") is not None:
                sheet.problem(
                    row, col, "import.edited",
                    "此值由公式从输入数据算出：请改 actuals.yaml 中的输入数据",
                    "this value is computed from inputs: change the inputs in actuals.yaml",
                )  # fmt: skip
            elif leaf.get("kind") == "qualitative":
                tier = str(now[key] or "").strip()
                if tier in _TIER_KEYS:
                    entry["tier"] = tier
                    entry.pop("score", None)
                else:
                    sheet.problem(row, col, "import.tier", "不是档次", "not a tier")
            else:
                figure = cell_figure(now[key], _format(sheet, row, col))
                entry.pop("not_applicable", None)
                entry["actual"] = figure[0] if figure else " ".join(str(now[key] or "").split())
        entries[was["id"]] = entry
    return set_data, actuals


def _format(sheet: _Sheet, row: int, col: int) -> str:
    return str(getattr(sheet.ws.cell(row=row, column=col), "number_format", "General"))


def _same(was: str | None, now: Any) -> bool:
    if was is None or now is None:
        return was is None and (now is None or str(now).strip() == "")
    if isinstance(now, int | float) and not isinstance(now, bool):
        try:
            return Decimal(was) == Decimal(repr(now))
        except InvalidOperation:
            return False
    return was == str(now)


def _leaves(nodes: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for node in nodes:
        if "children" in node:
            out += _leaves(node["children"])
        else:
            out.append((node["id"], node))
    return out
