"""Explain one score step by step, and work out what actual would have changed it.

"Needed for full marks" inverts the scoring rule: the least (or most) actual that earns the weight.
"Needed for the next grade" finds the score this indicator would have to reach for the total to
cross the next grade's minimum, if that is possible by this indicator alone, and inverts the rule
for it. Both are checked by feeding the figure back into the engine (tests).
"""

from __future__ import annotations

from decimal import Decimal

from kpi_engine.compiler import CompiledLeaf
from kpi_engine.display import fixed, show, show_figures, with_unit
from kpi_engine.errors import Lang
from kpi_engine.grading import Grade
from kpi_engine.methods import Needed
from kpi_engine.results import Evaluation, IndicatorResult, Status

__all__ = ["Needed", "explain_text", "needed_for_full", "needed_for_score", "next_grade"]


def needed_for_full(leaf: CompiledLeaf) -> Needed | None:
    """What earns full marks under the leaf's rule (None for custom formulas)."""
    return leaf.scorer.needed_for_full()


def needed_for_score(leaf: CompiledLeaf, score: Decimal) -> Needed | None:
    """The actual that earns at least ``score`` (0 < score < w) under the leaf's rule, if the rule
    can be inverted; full-marks rules (threshold, bands) need the full-marks actual."""
    return leaf.scorer.needed_for_score(score)


def next_grade(evaluation: Evaluation, grades: tuple[Grade, ...]) -> Grade | None:
    """The grade above the evaluation's, if any."""
    if evaluation.grade is None:
        return None
    index = [g.label for g in grades].index(evaluation.grade.label)
    return grades[index - 1] if index > 0 else None


def _score_for_next_grade(
    evaluation: Evaluation, result: IndicatorResult, grades: tuple[Grade, ...]
) -> tuple[Grade, Decimal] | None:
    upper = next_grade(evaluation, grades)
    if upper is None or evaluation.total is None or result.score is None:
        return None
    applicable = sum((r.applicable_weight for r in evaluation.indicators), Decimal(0))
    # The total is Σs × scale ÷ applicable; the grade needs total ÷ scale × 100 ≥ upper.min.
    needed_sum = upper.min * applicable / 100
    current_sum = evaluation.total * applicable / evaluation.scale
    gain = needed_sum - current_sum
    score = result.score + gain
    if gain <= 0 or score > result.weight:
        return None
    return upper, score


def _path(evaluation: Evaluation, r: IndicatorResult, lang: Lang) -> list[str]:
    """The groups above ``r``, named in ``lang`` (English names where the set gives them)."""
    if lang == "zh":
        return list(r.path)
    groups = {g.id: g for g in evaluation.groups}
    return [
        (groups[gid].name_en or name) if gid in groups else name
        for gid, name in zip(r.group_ids, r.path, strict=False)
    ]


def explain_text(
    evaluation: Evaluation,
    leaf: CompiledLeaf,
    grades: tuple[Grade, ...],
    lang: Lang = "zh",
) -> str:
    """The step-by-step explanation of one indicator's score, as text."""
    r = evaluation.indicator(leaf.id)
    e = r.explanation

    def t(zh: str, en: str) -> str:
        return zh if lang == "zh" else en

    places = evaluation.places
    name = r.name if lang == "zh" or not r.name_en else r.name_en
    lines = [f"{name}（{r.id}）" if lang == "zh" else f"{name} ({r.id})"]
    if r.path:
        lines.append(t("所属：", "In: ") + " / ".join(_path(evaluation, r, lang)))
    lines.append(
        t("分值 ", "Weight ")
        + show(r.weight)
        + t("；年度指标值 ", "; target ")
        + (r.target_text or "—")
    )
    step = 1
    for used in e.used:
        label = used.label_in(lang)
        why = used.problem_in(lang)
        value = with_unit(show(used.value), used.unit) if used.value is not None else "—"
        if why:
            value += f"（{why}）" if lang == "zh" else f" ({why})"
        how = f" = {used.formula} = {show_figures(used.substituted or '')}" if used.formula else ""
        lines.append(f"{step}. {label} ({used.name}){how} → {value}")
        step += 1
    if e.value_formula:
        lines.append(f"{step}. A = {e.value_formula} = {show_figures(e.value_substituted or '')}")
        step += 1
    if r.status is not Status.OK:
        lines.append(
            f"{step}. "
            + t("未计分：", "Not scored: ")
            + ((r.problem if lang == "zh" else r.problem_en) or "")
        )
        return "\n".join(lines) + "\n"
    lines.append(f"{step}. " + t("计分规则：", "Rule: ") + show_figures(e.rule(lang)))
    lines.append(f"{step + 1}. " + show_figures(e.calculation))
    score = fixed(r.score or Decimal(0), places)
    lines.append(t("得分：", "Score: ") + f"{score} / {show(r.weight)}")
    if r.score is not None and r.score < r.weight:
        full = needed_for_full(leaf)
        if full is not None:
            lines.append(full.sentence(r.unit, lang))
        upgrade = _score_for_next_grade(evaluation, r, grades)
        if upgrade is not None:
            grade, needed = upgrade
            figure = needed_for_score(leaf, needed)
            label = grade.label if lang == "zh" else grade.label_en
            if figure is not None:
                need = figure.text(r.unit, lang)
                lines.append(
                    t(
                        f"总分升到“{label}”（其他指标不变）需本项得分 ≥ {show(needed)}，"
                        f"即实际值 {need}",
                        f"For the total to reach {label} (others unchanged) this needs a score "
                        f"≥ {show(needed)}, i.e. an actual {need}",
                    )
                )
    return "\n".join(lines) + "\n"
