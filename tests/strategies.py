"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

# Realistic magnitudes: score tables use at most a few decimals and values below 10^7.
amounts = st.decimals(
    min_value=Decimal(0), max_value=Decimal(10_000_000), places=2, allow_nan=False
)
positive_amounts = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal(10_000_000), places=2, allow_nan=False
)
signed_amounts = st.decimals(
    min_value=Decimal(-10_000_000), max_value=Decimal(10_000_000), places=2, allow_nan=False
)
weights = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2, allow_nan=False)
positive_weights = st.decimals(
    min_value=Decimal("0.5"), max_value=Decimal(100), places=1, allow_nan=False
)
percents = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2, allow_nan=False)


@st.composite
def flat_sets(
    draw: st.DrawFn, min_leaves: int = 1, max_leaves: int = 8
) -> tuple[str, dict[str, Any]]:
    """A YAML set of "≥" leaves whose actuals are inputs, and matching actuals.

    Returns (yaml text, actuals mapping).
    """
    n = draw(st.integers(min_leaves, max_leaves))
    leaf_weights = draw(st.lists(positive_weights, min_size=n, max_size=n))
    targets = draw(st.lists(positive_amounts, min_size=n, max_size=n))
    actual_values = draw(st.lists(amounts, min_size=n, max_size=n))
    scale = sum(leaf_weights, Decimal(0))
    lines = ["kpi_engine: 1", "id: gen", "title: 生成", f"scale: {scale}", "inputs:"]
    lines += [f"  x{i}: {{unit: 个}}" for i in range(n)]
    lines.append("indicators:")
    for i in range(n):
        lines.append(
            f"  - {{id: i{i}, name: 指标{i}, weight: {leaf_weights[i]}, "
            f'target: "≥ {targets[i]} 个", value: x{i}}}'
        )
    actuals = {"inputs": {f"x{i}": actual_values[i] for i in range(n)}}
    return "\n".join(lines) + "\n", actuals


_LEAF_KINDS = ("ge", "le", "eq", "range", "deduct", "qualitative", "execution")
_ACTUAL_KINDS = ("number", "missing", "text", "not_applicable")


@st.composite
def trees(draw: st.DrawFn, max_depth: int = 3) -> tuple[str, dict[str, Any]]:
    """A YAML set with nested groups (weights adding up), every kind of leaf, and actuals that
    mix numbers, missing values, text in numeric rows and not-applicable rows.

    Returns (yaml text, actuals mapping).
    """
    lines = ["kpi_engine: 1", "id: tree", "title: 生成的指标体系", "rules: []", "indicators:"]
    actuals: dict[str, Any] = {}
    counter = iter(range(10_000))

    def leaf(indent: str, weight: Decimal) -> None:
        i = next(counter)
        kind = draw(st.sampled_from(_LEAF_KINDS))
        t = draw(st.integers(1, 500))
        spec = {
            "ge": f'target: "≥ {t} 个"',
            "le": f'target: "≤ {t} 天"',
            "eq": 'target: "= 0 起"',
            "range": f'target: "[{t}, {t + 10}] %"',
            "deduct": f'target: "≤ {t}%", method: deduct, deduct: {{per: 1, minus: 0.5}}',
            "qualitative": "kind: qualitative, target: 按计划完成",
            "execution": "method: execution_rate, unit: '%'",
        }[kind]
        lines.append(
            f"{indent}- {{id: l{i}, name: 指标{i}, name_en: Row {i}, weight: {weight}, {spec}}}"
        )
        how = draw(st.sampled_from(_ACTUAL_KINDS))
        if how == "missing":
            return
        if how == "not_applicable":
            actuals[f"l{i}"] = {"not_applicable": True}
        elif kind == "qualitative":
            actuals[f"l{i}"] = {"tier": draw(st.sampled_from(["达成", "部分达成", "未达成"]))}
        elif how == "text":
            actuals[f"l{i}"] = {"actual": draw(st.sampled_from(["完成", "—", "1,234.5", "98%"]))}
        else:
            actuals[f"l{i}"] = {
                "actual": draw(amounts),
                "reason": draw(st.sampled_from(["", "偏差原因"])),
            }

    def node(indent: str, weight: Decimal, depth: int) -> None:
        if depth >= max_depth or not draw(st.booleans()):
            leaf(indent, weight)
            return
        i = next(counter)
        n = draw(st.integers(1, 3))
        parts = [Decimal(draw(st.integers(1, 20))) for _ in range(n)]
        total = sum(parts, Decimal(0))
        shares = [(weight * p / total).quantize(Decimal("0.01")) for p in parts[:-1]]
        shares.append(weight - sum(shares, Decimal(0)))
        if any(s <= 0 for s in shares):
            leaf(indent, weight)
            return
        lines.append(f"{indent}- id: g{i}")
        lines.append(f"{indent}  name: 指标组{i}")
        lines.append(f"{indent}  weight: {weight}")
        lines.append(f"{indent}  children:")
        for share in shares:
            node(indent + "    ", share, depth + 1)

    for weight in draw(
        st.lists(st.sampled_from([Decimal(10), Decimal(20), Decimal(30)]), min_size=1, max_size=4)
    ):
        node("  ", weight, 1)
    return "\n".join(lines) + "\n", {"indicators": actuals}
