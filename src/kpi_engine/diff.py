"""Compare two evaluations (year on year, or before and after a rule change), row by row.

Works on the JSON contract (``kpi evaluate --format json``), so evaluations made by different
versions or on different machines can be compared. :func:`compare` gives the changes as data (the
stable shape ``kpi diff --format json`` writes, described in docs/cli.md): indicators and groups
added, removed or changed, the total, the grade and the flags; :func:`diff_text` says the same
in Chinese or English. Rows are matched by id, and rows whose id changed by their (unique) name,
so a set whose ids were renamed still compares row by row; two evaluations of different sets
(their digests differ) carry a warning.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from kpi_engine.display import MISSING, figure, fixed, with_unit
from kpi_engine.errors import Lang
from kpi_engine.limits import Limits, current, read_bytes
from kpi_engine.problems import Problems
from kpi_engine.results import SEVERITY_WORDS, Status

__all__ = ["DIFF_FORMAT", "compare", "diff_json", "diff_rows", "diff_text", "read_evaluation"]

DIFF_FORMAT = 1
"""Version of the ``kpi diff --format json`` shape; raised only when a key changes meaning or
goes away (new keys may be added)."""

INDICATOR_FIELDS = ("name", "weight", "target", "method", "actual", "tier", "status", "score")
"""What is compared on an indicator, in the order the text reports it."""
GROUP_FIELDS = ("name", "weight", "score")


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


Change = dict[str, Any]


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


# --- matching ---------------------------------------------------------------------------------


def _match(
    before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> list[tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]]:
    """Pairs (before, after, matched_by) in the order of ``after`` then removed rows.

    By id first; what is left on both sides by name, when the name is unique on each side (a
    renamed id keeps its row, while two rows both called 满意度 are never guessed between).
    """
    by_id = {r["id"]: r for r in before}
    left_before = [r for r in before if r["id"] not in {x["id"] for x in after}]
    left_after = [r for r in after if r["id"] not in by_id]

    def unique_names(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.get("name", "")] = counts.get(r.get("name", ""), 0) + 1
        return {r["name"]: r for r in rows if r.get("name") and counts[r["name"]] == 1}

    old_names, new_names = unique_names(left_before), unique_names(left_after)
    renamed = {id(new_names[name]): old for name, old in old_names.items() if name in new_names}
    taken = {id(r) for r in renamed.values()}
    pairs: list[tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]] = []
    for row in after:
        if row["id"] in by_id:
            pairs.append((by_id[row["id"]], row, "id"))
        elif id(row) in renamed:
            pairs.append((renamed[id(row)], row, "name"))
        else:
            pairs.append((None, row, None))
    pairs += [(r, None, None) for r in left_before if id(r) not in taken]
    return pairs


def _changes(
    before: list[dict[str, Any]], after: list[dict[str, Any]], fields: tuple[str, ...]
) -> list[Change]:
    out: list[Change] = []
    for x, y, matched_by in _match(before, after):
        changed = {
            f: {"before": x.get(f), "after": y.get(f)}
            for f in fields
            if x is not None and y is not None and x.get(f) != y.get(f)
        }
        if x is not None and y is not None and not changed and x["id"] == y["id"]:
            continue
        kind: Literal["added", "removed", "changed"] = (
            "added" if x is None else "removed" if y is None else "changed"
        )
        row = y if y is not None else x
        assert row is not None  # one side always exists
        sx = _num(x.get("score")) if x else None
        sy = _num(y.get("score")) if y else None
        out.append(
            {
                "change": kind,
                "id": row["id"],
                "id_before": x["id"] if x else None,
                "id_after": y["id"] if y else None,
                "matched_by": matched_by,
                "name": row.get("name", row["id"]),
                "name_en": row.get("name_en"),
                "fields": changed,
                "score_before": x.get("score") if x else None,
                "score_after": y.get("score") if y else None,
                "score_delta": str(sy - sx) if sx is not None and sy is not None else None,
            }
        )
    return out


def _flag_changes(
    before: list[dict[str, Any]], after: list[dict[str, Any]], renamed: dict[str, str]
) -> list[Change]:
    """Flags added, removed or reworded, matched by rule and subject (renamed ids followed)."""

    def key(flag: dict[str, Any], ids: dict[str, str]) -> tuple[str, str | None]:
        subject = flag.get("subject")
        return flag.get("rule", ""), ids.get(subject, subject) if subject else subject

    def side(flag: dict[str, Any]) -> dict[str, Any]:
        return {
            "severity": flag.get("severity"),
            "message": flag.get("message"),
            "message_en": flag.get("message_en"),
        }

    old = [(key(f, renamed), f) for f in before]
    new = [(key(f, {}), f) for f in after]
    same = [(k, f) for k, f in new if any(k == j and side(f) == side(g) for j, g in old)]
    for k, f in same:  # equal flags cancel one for one
        old.remove(next((j, g) for j, g in old if j == k and side(g) == side(f)))
        new.remove((k, f))
    out: list[Change] = []
    for k, f in new:
        match = next(((j, g) for j, g in old if j == k), None)
        if match is not None:
            old.remove(match)
        out.append(
            {
                "change": "added" if match is None else "changed",
                "rule": k[0],
                "subject": k[1],
                "before": side(match[1]) if match else None,
                "after": side(f),
            }
        )
    out += [
        {"change": "removed", "rule": k[0], "subject": k[1], "before": side(f), "after": None}
        for k, f in old
    ]
    return out


def _set_of(evaluation: dict[str, Any]) -> dict[str, Any]:
    provenance = evaluation.get("provenance") or {}
    return {
        "set": evaluation.get("set"),
        "title": evaluation.get("title"),
        "set_sha256": provenance.get("set_sha256"),
        "actuals_sha256": provenance.get("actuals_sha256"),
        "engine": provenance.get("engine"),
    }


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The changes from ``before`` to ``after`` as data: the ``kpi diff --format json`` shape.

    Figures are the evaluations' own decimal strings (exact); ``score_delta`` and the total's
    ``delta`` are their exact differences.
    """
    a, b = _set_of(before), _set_of(after)
    same_set = (
        None if not (a["set_sha256"] and b["set_sha256"]) else a["set_sha256"] == b["set_sha256"]
    )
    warnings = []
    if same_set is False:
        warnings.append(
            {
                "code": "diff.different-sets",
                "message": (
                    f"两次评价所用的指标体系不同（{a['set']} {a['set_sha256'][:12]} → "
                    f"{b['set']} {b['set_sha256'][:12]}）：指标按 id 对应，id 改变的按名称对应，"
                    "分值、指标值或评分方法的变化也会改变得分"
                ),
                "message_en": (
                    f"the two evaluations come from different indicator sets ({a['set']} "
                    f"{a['set_sha256'][:12]} → {b['set']} {b['set_sha256'][:12]}): rows are "
                    "matched by id, or by name where the id changed, and changed weights, "
                    "targets or methods change scores too"
                ),
            }
        )
    indicators = _changes(before["indicators"], after["indicators"], INDICATOR_FIELDS)
    groups = _changes(before.get("groups") or [], after.get("groups") or [], GROUP_FIELDS)
    renamed = {
        c["id_before"]: c["id_after"] for c in indicators + groups if c["matched_by"] == "name"
    }
    total = None
    if before.get("total") != after.get("total") or before.get("total_range") != after.get(
        "total_range"
    ):
        tx, ty = _num(before.get("total")), _num(after.get("total"))
        total = {
            "before": before.get("total"),
            "after": after.get("total"),
            "delta": str(ty - tx) if tx is not None and ty is not None else None,
            "range_before": before.get("total_range"),
            "range_after": after.get("total_range"),
        }
    grade = None
    grade_keys = ("grade", "grade_en", "grade_range", "grade_range_en")
    if any(before.get(k) != after.get(k) for k in ("grade", "grade_range")):
        grade = {f"{k}_before": before.get(k) for k in grade_keys} | {
            f"{k}_after": after.get(k) for k in grade_keys
        }
    return {
        "kpi_diff": DIFF_FORMAT,
        "before": a,
        "after": b,
        "same_set": same_set,
        "warnings": warnings,
        "indicators": indicators,
        "groups": groups,
        "total": total,
        "grade": grade,
        "flags": _flag_changes(before.get("flags") or [], after.get("flags") or [], renamed),
    }


def diff_json(before: dict[str, Any], after: dict[str, Any]) -> str:
    """:func:`compare` as JSON text (``kpi diff --format json``)."""
    return json.dumps(compare(before, after), ensure_ascii=False, indent=2) + "\n"


def diff_rows(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Indicators whose score, status or actual changed (or that exist on one side only)."""
    pairs = {
        (c["id_before"], c["id_after"]): c
        for c in _changes(before["indicators"], after["indicators"], INDICATOR_FIELDS)
    }
    a = {r["id"]: r for r in before["indicators"]}
    b = {r["id"]: r for r in after["indicators"]}
    return [
        {
            "id": c["id"],
            "name": c["name"],
            "before": a.get(c["id_before"]) if c["id_before"] else None,
            "after": b.get(c["id_after"]) if c["id_after"] else None,
            "delta": _num(c["score_delta"]),
        }
        for c in pairs.values()
    ]


# --- text -------------------------------------------------------------------------------------


def _status(value: Any, lang: Lang) -> str:
    try:
        status = Status(value)
    except ValueError:  # a status a later release added: shown as written
        return str(value)
    return status.text(lang)


class _Writer:
    """The text of one comparison in one language."""

    def __init__(self, before: dict[str, Any], after: dict[str, Any], lang: Lang) -> None:
        self.before, self.after, self.lang = before, after, lang
        self.px, self.py = _places(before), _places(after)
        self.places = max(self.px, self.py)

    def t(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def name(self, change: Change) -> str:
        return str((self.lang == "en" and change["name_en"]) or change["name"])

    def scores(self, change: Change) -> str:
        """``10.00 → 9.70 (-0.30)``: each side to its set's places, the change signed."""
        old = fixed(_num(change["score_before"]), self.px)
        new = fixed(_num(change["score_after"]), self.py)
        d = _num(change["score_delta"])
        shown = "" if not d else f" ({fixed(d, self.places, sign=True)})"  # no (+0.00)
        return f"{old} → {new}{shown}"

    def renamed(self, change: Change) -> str:
        if change["matched_by"] != "name":
            return ""
        ids = f"{change['id_before']} → {change['id_after']}"
        return self.t(f"（id {ids}，按名称对应）", f" (id {ids}, matched by name)")

    def indicator(self, c: Change) -> str:
        t, name = self.t, self.name(c)
        if c["change"] == "added":
            score = fixed(_num(c["score_after"]), self.py)
            return t(f"+ {name}（新增）得分 {score}", f"+ {name} (new) score {score}")
        if c["change"] == "removed":
            score = fixed(_num(c["score_before"]), self.px)
            return t(f"- {name}（删除）原得分 {score}", f"- {name} (removed) was {score}")
        x = next(r for r in self.before["indicators"] if r["id"] == c["id_before"])
        y = next(r for r in self.after["indicators"] if r["id"] == c["id_after"])
        fields = c["fields"]
        parts = []  # the actual only when it changed: a reweighted row shows just its weight
        if "tier" in fields:  # a qualitative row: its tier is its actual
            parts.append(f"{x.get('tier') or MISSING} → {y.get('tier') or MISSING}")
        elif "actual" in fields:
            parts.append(f"{_actual(x, self.px)} → {_actual(y, self.py)}")
        parts.append(t("得分 ", "score ") + self.scores(c))
        for key, zh, en in (
            ("weight", "分值", "weight"),
            ("target", "指标值", "target"),
            ("method", "评分方法", "method"),
            ("name", "名称", "name"),
        ):
            if key in fields:
                old, new = (fields[key][side] for side in ("before", "after"))
                parts.append(f"{t(zh, en)} {old or MISSING} → {new or MISSING}")
        status = ""
        if "status" in fields:
            status = f" [{_status(x['status'], self.lang)} → {_status(y['status'], self.lang)}]"
        return f"~ {name}{self.renamed(c)}: " + "; ".join(parts) + status

    def group(self, c: Change) -> str:
        t, name = self.t, self.name(c)
        if c["change"] == "added":
            return t(f"+ 指标组 {name}（新增）", f"+ group {name} (new)")
        if c["change"] == "removed":
            return t(f"- 指标组 {name}（删除）", f"- group {name} (removed)")
        parts = [t("小计 ", "subtotal ") + self.scores(c)]
        if "weight" in c["fields"]:
            w = c["fields"]["weight"]
            parts.append(t("分值", "weight") + f" {w['before']} → {w['after']}")
        return t("~ 指标组 ", "~ group ") + f"{name}{self.renamed(c)}: " + "; ".join(parts)

    def total(self, data: dict[str, Any]) -> str:
        total = data["total"]
        d = _num(total["delta"]) if total else None
        change = "" if d is None else f" ({fixed(d, self.places, sign=True)})"
        before, after = self.before, self.after
        return (
            self.t("总分", "Total")
            + f" {_total(before, self.px)} → {_total(after, self.py)}{change}; "
            + self.t("等级", "grade")
            + f" {_grade(before, self.lang)} → {_grade(after, self.lang)}"
        )

    def flag(self, f: Change) -> str:
        t = self.t

        def said(side: dict[str, Any]) -> str:
            return str(side[t("message", "message_en")] or side["message"])

        severity = (f["after"] or f["before"])["severity"]
        tag = "[" + t(*SEVERITY_WORDS.get(severity, (severity, severity))) + "] "
        if f["change"] == "added":
            return t("+ 问题 ", "+ flag ") + tag + said(f["after"])
        if f["change"] == "removed":
            return t("- 问题 ", "- flag ") + tag + said(f["before"])
        return t("~ 问题 ", "~ flag ") + tag + f"{said(f['before'])} → {said(f['after'])}"


def diff_text(before: dict[str, Any], after: dict[str, Any], lang: Lang = "zh") -> str:
    """The changes as text: a warning when the sets differ, one line per changed indicator,
    group subtotals, total and grade, then flags added, removed or reworded."""
    data = compare(before, after)
    w = _Writer(before, after, lang)
    lines = [w.t("注意：", "Note: ") + x[w.t("message", "message_en")] for x in data["warnings"]]
    lines += [w.indicator(c) for c in data["indicators"]]
    lines += [w.group(c) for c in data["groups"]]
    if data["total"] is not None or data["grade"] is not None:
        lines.append(w.total(data))
    lines += [w.flag(f) for f in data["flags"]]
    if not lines:
        return w.t("两次评价没有差异。\n", "No differences.\n")
    return "\n".join(lines) + "\n"
