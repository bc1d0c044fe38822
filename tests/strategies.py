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
