"""Read a filled 绩效自评表 (.xlsx) into an indicator set and actuals.

A table ``kpi table`` wrote carries the set and actuals in a hidden sheet: they come back as they
were (ids, methods, parameters, English names…), with what was typed over the visible form since
(实际完成值, 得分, 偏差原因) applied on top. Anyone else's table is read as units fill the
national form: 项目名称 / 主管部门 / 实施单位, the funds block with its 其中 rows, 年度总体目标,
the indicator table under its 一级/二级/三级指标 header (several 年度绩效目标 blocks become groups
in their order) and the 总分 row; numbers may carry units ("43.2万元", "9分") or be Excel
percentages. Such a set is marked ``as_published``: the table's own inconsistencies become
flags for the reviewer. Every cell that is not understood is listed as ``sheet!cell: what was
there: why``; nothing is dropped silently. Needs the ``reports`` extra (openpyxl, through
:mod:`kpi_engine.workbooks`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from kpi_engine.errors import Issue
from kpi_engine.importing_own import restore
from kpi_engine.problems import Problems
from kpi_engine.scoring import in_tier_band
from kpi_engine.sheet_cells import TIER_KEYS, Sheet, cell_figure, text_of
from kpi_engine.targets import TargetSyntaxError, parse_target
from kpi_engine.workbooks import read_data_sheet, read_workbook

__all__ = ["Imported", "cell_figure", "import_score_table"]

DATA_SHEET = "kpi_engine"  # as reports.score_table_xlsx writes it
_HEADERS = {
    "target": ("年度指标值", "指标值", "目标值", "Target"),
    "actual": ("实际完成值", "实际值", "完成值", "Actual"),
    "weight": ("分值", "权重", "Weight"),
    "score": ("得分", "Score"),
    "reason": ("偏差原因", "原因分析", "改进措施", "Reasons"),
}
_META = {
    "项目名称": "project",
    "主管部门": "supervisor",
    "实施单位": "organization",
    "部门名称": "organization",
    "部门（单位）名称": "organization",
    "单位名称": "organization",
    "填报单位": "organization",
    "填报单位（盖章）": "organization",
}
_FUND_ROWS = (
    ("财政拨款", "appropriation"),
    ("上年结转", "carryover"),
    ("其他资金", "other"),
    ("资金总额", "total"),
    ("合计", "total"),
)
_FUND_COLUMNS = (
    ("年初预算", "budget_initial"),
    ("全年预算", "budget_adjusted"),
    ("全年执行", "spent"),
    ("分值", "weight"),
    ("执行率", "rate"),
    ("得分", "score"),
)
_AFTER_TOTAL = (
    "注",
    "说明",
    "权重说明",
    "备注",
    "填表",
    "联系",
    "审核",
    "负责人",
    "等级",
    "Note",
    "※",
)


@dataclass
class Imported:
    """What the importer produced: plain data for set.yaml and actuals.yaml, and its problems."""

    set_data: dict[str, Any]
    actuals_data: dict[str, Any]
    problems: list[Issue] = field(default_factory=list)


def _find(sheet: Sheet, words: tuple[str, ...], rows: range) -> tuple[int, dict[int, str]] | None:
    for r in rows:
        texts = sheet.row_texts(r)
        if any(any(w in t for w in words) for t in texts.values()):
            return r, texts
    return None


def import_score_table(path: Path, set_id: str | None = None) -> Imported:
    """The set and actuals in a filled score table; see the module docstring."""
    book = read_workbook(path)
    for ws in book.worksheets:
        if ws.sheet_state != "visible":
            continue
        sheet = Sheet(ws)
        found = _find(sheet, ("一级指标", "Level 1"), range(1, min(ws.max_row, 80) + 1))
        if found is None:
            continue
        carried = read_data_sheet(book, DATA_SHEET)
        if carried is not None:
            set_data, actuals = restore(carried, sheet, found[0], str(path))
            if set_id:
                set_data["id"] = actuals["set"] = set_id
            return Imported(_fresh(set_data), _fresh(actuals), sheet.problems)
        return _published(sheet, found, set_id or path.stem)
    raise Problems.in_file(str(path)).error(
        "import.no-header",
        "找不到含“一级指标”的表头行",
        "no header row with '一级指标' (first-level indicator) found",
    )


def _published(sheet: Sheet, found: tuple[int, dict[int, str]], set_id: str) -> Imported:
    """Anyone's table, read as the national form is filled."""
    header_row, header = found
    for c in header:
        sheet.used.add((header_row, c))
    set_data: dict[str, Any] = {"kpi_engine": 1, "id": set_id, "title": set_id}
    actuals: dict[str, Any] = {"kpi_actuals": 1, "set": set_id}
    _meta(sheet, header_row, set_data)
    funds = _find(sheet, ("年初预算数", "全年预算数", "全年执行数"), range(1, header_row))
    top: list[dict[str, Any]] = []
    indicators: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if funds is not None:
        execution = _funds(sheet, funds, header_row, inputs, values, indicators)
        if execution is not None:
            top.append(execution)
    _goals(sheet, header_row, set_data, actuals)
    end, total = _table(sheet, header_row, header, top, indicators)
    set_data["as_published"] = True
    set_data["rounding"] = {"places": 2, "apply": "indicator"}
    if total is not None and total[0] is not None:
        set_data["scale"] = total[0]
    if inputs:
        set_data["inputs"] = inputs
        if {"budget_adjusted", "spent"} <= set(inputs):
            set_data["derived"] = {
                "execution_rate": {"formula": "spent / budget_adjusted * 100", "unit": "%"}
            }
    set_data["indicators"] = top
    if values:
        actuals["inputs"] = values
    if total is not None and total[1] is not None:
        actuals["reported_total"] = total[1]
    actuals["indicators"] = indicators
    _after_total(sheet, end)
    sheet.leftovers(range(1, sheet.ws.max_row + 1))
    if not top:
        top.append({"id": "empty", "name": "（无可识别的指标）", "weight": 0})
    return Imported(_fresh(set_data), _fresh(actuals), sheet.problems)


def _meta(sheet: Sheet, header_row: int, set_data: dict[str, Any]) -> None:
    """Title, year and the 项目名称 / 主管部门 / 实施单位 (or 部门名称) cells above the funds, as
    label and value side by side or as ``label：value`` in one cell."""
    for r in range(1, header_row):
        texts = sheet.row_texts(r)
        cols = sorted(texts)
        for i, c in enumerate(cols):
            text = texts[c]
            label, _, rest = text.replace("：", ":").partition(":")
            key = _META.get(label.replace(" ", ""))
            if key is not None:
                sheet.raw(r, c)
                if rest.strip():
                    set_data.setdefault(key, rest.strip())
                elif i + 1 < len(cols) and texts[cols[i + 1]].rstrip("：:") not in _META:
                    set_data[key] = sheet.text(r, cols[i + 1])
                continue
            if "自评表" in text or "评价表" in text:
                sheet.raw(r, c)
                set_data["kind"] = "department" if "部门" in text else "project"
            year = re.search(r"(?<!\d)(\d{4})\s*年度?", text)
            if year and (len(text) <= 12 or "自评表" in text):
                sheet.raw(r, c)
                set_data["year"] = int(year.group(1))
    if "project" in set_data:
        set_data["title"] = set_data["project"]
    elif "organization" in set_data and set_data.get("kind") == "department":
        set_data["title"] = set_data["organization"]


def _funds(
    sheet: Sheet,
    found: tuple[int, dict[int, str]],
    stop: int,
    inputs: dict[str, Any],
    values: dict[str, Any],
    indicators: dict[str, Any],
) -> dict[str, Any] | None:
    """The funds block: amounts as inputs (其中 rows with their ``fund`` part) and the execution
    row with the table's printed rate kept as its reported actual."""
    row, header = found
    columns: dict[str, int] = {}
    for c, text in header.items():
        for word, key in _FUND_COLUMNS:
            if word in text and key not in columns:
                columns[key] = c
                sheet.raw(row, c)
    for c, text in header.items():
        if "资金" in text or "预算情况" in text:
            sheet.raw(row, c)
    printed: dict[str, Any] = {}
    for r in range(row + 1, stop):
        texts = sheet.row_texts(r)
        label_cols = [c for c in texts if c < min(columns.values(), default=1)]
        label = "".join(texts[c] for c in label_cols)
        part = next((key for word, key in _FUND_ROWS if word in label), None)
        if part is None:
            break
        for c in label_cols:
            sheet.raw(r, c)
        _amounts(sheet, r, (part, label), columns, inputs, values)
        for key in ("weight", "rate", "score"):
            if key in columns and sheet.peek(r, columns[key]) in ("—", "-", "/"):
                sheet.raw(r, columns[key])
            elif key in columns and part == "total" and sheet.peek(r, columns[key]):
                figure = sheet.figure(r, columns[key])
                if figure is None:
                    sheet.problem(r, columns[key], "import.amount", "不是数字", "not a number")
                else:
                    printed[key] = figure[0]
            elif key in columns and key == "rate" and sheet.peek(r, columns[key]):
                sheet.raw(r, columns[key])  # a 其中 row's rate follows from its amounts
    return _execution(printed, inputs, indicators)


_AMOUNT_LABELS = {
    "budget_initial": "年初预算数",
    "budget_adjusted": "全年预算数",
    "spent": "全年执行数",
}


def _amounts(
    sheet: Sheet,
    r: int,
    row: tuple[str, str],
    columns: dict[str, int],
    inputs: dict[str, Any],
    values: dict[str, Any],
) -> None:
    """One row of amounts: the total's as role inputs, a 其中 row's with its ``fund`` part."""
    part, label = row
    for key, word in _AMOUNT_LABELS.items():
        if key not in columns or not sheet.peek(r, columns[key]):
            continue
        figure = sheet.figure(r, columns[key])
        if figure is None:
            sheet.problem(r, columns[key], "import.amount", "不是金额", "not an amount")
            continue
        entry: dict[str, Any] = {"label": word, "unit": "万元"}
        if part == "total":
            entry["role"] = key
        else:
            entry["fund"] = {"part": part, "column": key}
            entry["label"] = label.removeprefix("其中").lstrip("：:") + word
        name = key if part == "total" else f"{part}_{key}"
        inputs[name] = entry
        values[name] = figure[0]


def _execution(
    printed: dict[str, Any], inputs: dict[str, Any], indicators: dict[str, Any]
) -> dict[str, Any] | None:
    """The 预算执行率 row the funds block prints, if it has a 分值."""
    if "weight" not in printed:
        return None
    entry = {}
    if "score" in printed:
        entry["reported_score"] = printed["score"]
    leaf: dict[str, Any] = {
        "id": "execution",
        "name": "预算执行率",
        "weight": printed["weight"],
        "method": "execution_rate",
        "target": "≥ 100%",
    }
    if {"budget_adjusted", "spent"} <= set(inputs):
        leaf["value"] = "execution_rate"
    if "rate" in printed:
        entry["actual"] = printed["rate"]  # checked against the amounts' rate when both exist
    if entry:
        indicators["execution"] = entry
    return leaf


def _goals(
    sheet: Sheet, header_row: int, set_data: dict[str, Any], actuals: dict[str, Any]
) -> None:
    """年度总体目标: the 预期目标 and 实际完成情况 cells under their headings."""
    found = _find(sheet, ("预期目标",), range(1, header_row))
    if found is None:
        return
    row, texts = found
    expected = next(c for c, t in texts.items() if "预期目标" in t)
    achieved = next((c for c, t in texts.items() if "实际完成" in t), None)
    for c, t in texts.items():
        if "目标" in t or "实际完成" in t or "任务" in t:
            sheet.raw(row, c)
    if sheet.peek(row + 1, expected):
        set_data["goals"] = sheet.text(row + 1, expected)
    if achieved is not None and sheet.peek(row + 1, achieved):
        actuals["goals_achieved"] = sheet.text(row + 1, achieved)


def _table(
    sheet: Sheet,
    header_row: int,
    header: dict[int, str],
    top: list[dict[str, Any]],
    indicators: dict[str, Any],
) -> tuple[int, tuple[Decimal | None, Decimal | None] | None]:
    """The indicator rows; returns the 总分 row (or the last row) and its (分值, 得分)."""
    levels = sorted(c for c, t in header.items() if "级指标" in t or t.startswith("Level"))
    cols: dict[str, int] = {}
    reasons: list[int] = []
    for key, words in _HEADERS.items():
        for c, text in sorted(header.items()):
            if c in levels or not any(w in text for w in words):
                continue
            if key == "reason":
                reasons.append(c)
            elif key not in cols and c not in cols.values():
                cols[key] = c
    blocks: dict[str, dict[str, Any]] = {}
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    wholes: dict[tuple[str, ...], str] = {}  # the last weighted row under each group path
    count = 0
    for r in range(header_row + 1, sheet.ws.max_row + 1):
        first = " ".join(sheet.peek(r, c) for c in range(1, levels[0] + 1))
        if first.replace(" ", "").startswith(("总分", "合计", "Total")):
            return r, _total_row(sheet, r, levels[0], cols)
        block = " ".join(sheet.text(r, c) for c in range(1, levels[0]) if sheet.peek(r, c))
        if not any(sheet.peek(r, c) for c in range(levels[0], sheet.ws.max_column + 1)):
            continue
        row = _row(sheet, r, levels, cols, reasons)
        if row is None:
            continue
        count += 1
        path, leaf, entry = row
        leaf["id"] = f"i{count:02d}"
        if "part_of" in leaf:
            whole = wholes.get((block, *path))
            if whole is None:
                del leaf["part_of"]  # nothing above it to be part of: a row at no weight
            else:
                leaf["part_of"] = whole
        else:
            wholes[(block, *path)] = leaf["id"]
        if entry:
            indicators[leaf["id"]] = entry
        under = top
        if block and block not in ("绩效指标", "Indicators"):
            group = blocks.get(block)
            if group is None:
                group = {"id": f"b{len(blocks) + 1:02d}", "name": block, "weight": Decimal(0)}
                group["children"] = []
                blocks[block] = group
                top.append(group)
            group["weight"] += leaf["weight"]
            under = group["children"]
            path = (block, *path)
        _place(under, groups, path, leaf, skip=1 if under is not top else 0)
    return sheet.ws.max_row, None


def _total_row(
    sheet: Sheet, r: int, first_level: int, cols: dict[str, int]
) -> tuple[Decimal | None, Decimal | None]:
    """The 总分 row's printed (分值, 得分); its 等级 follows from the total: read, not kept."""
    for c in range(1, first_level + 1):
        sheet.raw(r, c)
    weight = sheet.figure(r, cols["weight"]) if "weight" in cols else None
    score = sheet.figure(r, cols["score"]) if "score" in cols else None
    for c, text in sheet.row_texts(r).items():
        if "等级" in text or "Grade" in text:
            sheet.raw(r, c)
    return (weight[0] if weight else None, score[0] if score else None)


def _row(
    sheet: Sheet, r: int, levels: list[int], cols: dict[str, int], reasons: list[int]
) -> tuple[tuple[str, ...], dict[str, Any], dict[str, Any]] | None:
    """One indicator row as (group path, leaf, actuals entry), or None (problem recorded)."""
    names = [sheet.text(r, c) for c in levels]
    path = [n for i, n in enumerate(names) if n and (i == 0 or n != names[i - 1])]
    weight_figure = sheet.figure(r, cols["weight"]) if "weight" in cols else None
    weight = weight_figure[0] if weight_figure else None
    part = bool(path) and weight is None and path[-1].startswith("其中")
    if part:
        weight = Decimal(0)  # an unweighted 其中 sub-row: a part of the row above (part_of)
    if not path or weight is None:
        col = cols.get("weight", levels[0]) if path else levels[-1]
        why = ("缺少分值", "no weight") if path else ("缺少指标名称", "no indicator name")
        zh, en = f"{why[0]}，该行未导入", f"{why[1]}: the row is not imported"
        sheet.problem(r, col, "import.row", zh, en)
        for c in (*cols.values(), *reasons):
            sheet.raw(r, c)
        return None
    leaf: dict[str, Any] = {"id": "", "name": path[-1], "weight": weight}
    if part:
        leaf["part_of"] = ""  # the id of the row above, filled in by the caller
    entry: dict[str, Any] = {}
    target = _target(sheet, r, cols["target"]) if "target" in cols else ""
    if target.endswith("※"):  # our score table marks an assumed target so: keep it assumed
        target = target[:-1].rstrip()
        leaf["assumed"] = ["target"]
    score_figure = sheet.figure(r, cols["score"]) if "score" in cols else None
    score = score_figure[0] if score_figure else None
    if score is None and "score" in cols and sheet.peek(r, cols["score"]):
        sheet.problem(r, cols["score"], "import.score", "得分不是数字", "the score is not a number")
    qualitative = False
    if target:
        try:
            parse_target(target)
        except TargetSyntaxError:
            qualitative = True
        leaf["target"] = target
    actual_text = sheet.peek(r, cols["actual"]) if "actual" in cols else ""
    if qualitative or actual_text in TIER_KEYS:
        leaf["kind"] = "qualitative"
        _tier(sheet, r, cols, (weight, score), entry)
    elif actual_text:
        figure = sheet.figure(r, cols["actual"])
        if figure is None:
            entry["actual"] = actual_text  # e.g. "≥266米" restating the target: flagged on review
        else:
            entry["actual"] = figure[0]
            if figure[1] and not target:
                leaf["unit"] = figure[1]
    if score is not None:
        entry["reported_score"] = score
    reason = "；".join(sheet.text(r, c) for c in reasons if sheet.peek(r, c))
    if reason:
        entry["reason"] = reason
    return tuple(path[:-1]), leaf, entry


def _tier(
    sheet: Sheet,
    r: int,
    cols: dict[str, int],
    points: tuple[Decimal, Decimal | None],
    entry: dict[str, Any],
) -> None:
    """A qualitative row's tier, with the assessor's score when it lies in the tier's band."""
    actual_text = sheet.peek(r, cols["actual"]) if "actual" in cols else ""
    weight, score = points
    if actual_text in TIER_KEYS:
        sheet.raw(r, cols["actual"])
        entry["tier"] = actual_text
        if score is not None and in_tier_band(weight, TIER_KEYS[actual_text], score):
            entry["score"] = score
    elif actual_text:
        why = "定性指标的实际完成值不是档次（达成/部分达成/未达成）"
        en = "a qualitative row's actual is not a tier"
        sheet.problem(r, cols["actual"], "import.tier", why, en)


def _target(sheet: Sheet, r: int, col: int) -> str:
    """The target as text: a number cell becomes ``98%`` (a percentage) or ``500 人``."""
    raw = sheet.raw(r, col)
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        figure = sheet.figure(r, col)
        if figure is not None:
            number, unit = figure
            text = format(number.normalize(), "f")
            return f"{text}{unit}" if unit == "%" else f"{text} {unit}" if unit else text
    return text_of(raw)


def _place(
    top: list[dict[str, Any]],
    groups: dict[tuple[str, ...], dict[str, Any]],
    path: tuple[str, ...],
    leaf: dict[str, Any],
    skip: int = 0,
) -> None:
    """Put a leaf under its groups (created on first sight), summing weights upwards; the first
    ``skip`` names of the path are a block already holding ``top``."""
    children = top
    for depth in range(skip + 1, len(path) + 1):
        key = path[:depth]
        group = groups.get(key)
        if group is None:
            group = {"id": f"g{len(groups) + 1:02d}", "name": key[-1], "weight": Decimal(0)}
            group["children"] = []
            groups[key] = group
            children.append(group)
        group["weight"] += leaf["weight"]
        children = group["children"]
    children.append(leaf)


def _after_total(sheet: Sheet, end: int) -> None:
    """Notes, the grade and signatures under the 总分 row are the form's, not data."""
    for r in range(end + 1, sheet.ws.max_row + 1):
        for c, text in sheet.row_texts(r).items():
            if text.startswith(_AFTER_TOTAL) or "等级" in text:
                sheet.raw(r, c)


def _fresh(value: Any) -> Any:
    """A copy sharing no object, so the YAML written has no anchors or aliases."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    if isinstance(value, Decimal):
        return Decimal(str(value))
    return value
