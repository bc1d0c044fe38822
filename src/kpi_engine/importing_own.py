"""A score table ``kpi table`` wrote, read back: the set and actuals from its hidden sheet, and
what was typed over the visible form since applied on top (or listed when it cannot be).

Kept apart from :mod:`kpi_engine.importing`, which reads anyone's tables; both read cells through
:mod:`kpi_engine.sheet_cells`, and this module never touches openpyxl itself.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from kpi_engine.loading import read_yaml
from kpi_engine.sheet_cells import TIER_KEYS, Sheet, cell_figure

__all__ = ["restore"]


def restore(
    lines: list[str], sheet: Sheet, header_row: int, source: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(set data, actuals data) as written, with the form's edits applied."""

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
                if tier in TIER_KEYS:
                    entry["tier"] = tier
                    entry.pop("score", None)
                else:
                    sheet.problem(row, col, "import.tier", "不是档次", "not a tier")
            else:
                figure = cell_figure(now[key], _format(sheet, row, col))
                entry.pop("not_applicable", None)
                entry["actual"] = figure[0] if figure else " ".join(str(now[key] or "").split())
        entries[was["id"]] = entry
    _form(sheet, data, actuals, {(int(at), c) for at in data["rows"] for c in columns.values()})
    return set_data, actuals


def _form(
    sheet: Sheet, data: dict[str, Any], actuals: dict[str, Any], tracked: set[tuple[int, int]]
) -> None:
    """The rest of the form: a figure typed over a cell showing an input (or the achievement
    beside the goals) is read; any other change, or anything written outside the form, is
    listed."""

    cells: dict[str, str | None] = data.get("cells", {})
    links: dict[str, dict[str, str]] = data.get("links", {})
    ws = sheet.ws
    for ref, was in cells.items():
        cell = ws[ref]
        if _same(was, cell.value):
            continue
        link = links.get(ref, {})
        if "input" in link:
            figure = cell_figure(cell.value, _format(sheet, cell.row, cell.column))
            if figure is not None or cell.value is None:
                inputs = actuals.setdefault("inputs", {})
                value = figure[0] if figure else None
                entry = inputs.get(link["input"])
                if isinstance(entry, dict):  # {value, source, note}: keep where it came from
                    entry["value"] = value
                else:
                    inputs[link["input"]] = value
                continue
        elif link.get("actuals") == "goals_achieved":
            text = " ".join(str(cell.value or "").split())
            if text:
                actuals["goals_achieved"] = text
            else:
                actuals.pop("goals_achieved", None)
            continue
        sheet.problem(
            cell.row, cell.column, "import.edited",
            "改动了表中由指标体系或计算得出的内容：导入的仍是原值，请改 YAML",
            "changes what the set or the evaluation wrote: the original is kept; edit the YAML",
        )  # fmt: skip
    for line in ws.iter_rows():
        for cell in line:
            if (
                cell.coordinate not in cells
                and (cell.row, cell.column) not in tracked
                and cell.value is not None
                and str(cell.value).strip()
                and sheet.at(cell.row, cell.column) == (cell.row, cell.column)
            ):
                sheet.problem(
                    cell.row, cell.column, "import.cell",
                    "不属于本表的内容，未读入", "not part of the form: not read",
                )  # fmt: skip


def _format(sheet: Sheet, row: int, col: int) -> str:
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
