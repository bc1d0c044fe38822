"""Problems followed up (问题整改): last year's flags against this year's, for one unit.

A problem is the same problem in both years when the same rule flags the same subject. Raised
again, it becomes one ``followup.unresolved`` flag (上年问题未整改) carrying both years' messages
and evidence; raised last year only, it is listed as resolved.
"""

from __future__ import annotations

from collections.abc import Sequence

from kpi_engine.history.records import FollowUp, StoredFlag
from kpi_engine.results import Flag

__all__ = ["RULE", "follow_up"]

RULE = "followup.unresolved"


def follow_up(
    unit: str,
    year: int,
    flags: Sequence[StoredFlag],
    previous_year: int,
    previous: Sequence[StoredFlag],
) -> FollowUp:
    """Compare ``unit``'s flags of ``year`` with those of ``previous_year``."""
    now = {(f.rule, f.subject): f for f in flags if f.rule != RULE}
    before = {(f.rule, f.subject): f for f in previous if f.rule != RULE}
    unresolved = tuple(
        _unresolved(now[key], year, flag, previous_year)
        for key, flag in before.items()
        if key in now
    )
    resolved = tuple(flag for key, flag in before.items() if key not in now)
    return FollowUp(unit, year, previous_year, unresolved, resolved)


def _unresolved(flag: StoredFlag, year: int, earlier: StoredFlag, previous_year: int) -> Flag:
    evidence = {"rule": flag.rule}
    evidence |= {f"{previous_year}.{k}": v for k, v in earlier.evidence.items()}
    evidence |= {f"{year}.{k}": v for k, v in flag.evidence.items()}
    evidence |= {f"{previous_year}.message": earlier.message, f"{year}.message": flag.message}
    return Flag(
        RULE,
        "warning",
        flag.subject,
        f"上年问题未整改（{previous_year} 年已指出）：{flag.message}",
        f"last year's problem not rectified (found in {previous_year}): {flag.message_en}",
        evidence,
        "对照上年评价结果逐项整改，并在自评报告中说明整改措施和进度（评价结果应用）",
        "rectify last year's findings item by item and report the measures and progress",
        "上年问题未整改",
        "Last year's problems not rectified",
    )
