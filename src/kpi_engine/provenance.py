"""Provenance: what an evaluation came from, so any report can be traced and reproduced."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping

from pydantic import BaseModel

from kpi_engine.models import (
    Actuals,
)
from kpi_engine.version import __version__

__all__ = ["Provenance", "digest"]


class Provenance(Mapping[str, str]):
    """What an evaluation came from: engine version, set and actuals digests, rule packs.

    The actuals' digest is worked out when first read: a batch that writes only totals does not
    hash every unit's actuals.
    """

    __slots__ = ("_actuals", "_items", "_packs", "_set")

    def __init__(self, set_digest: str, packs: str, actuals: Actuals) -> None:
        self._set, self._packs, self._actuals = set_digest, packs, actuals
        self._items: dict[str, str] | None = None

    def _resolved(self) -> dict[str, str]:
        if self._items is None:
            self._items = {
                "engine": f"kpi_engine {__version__}",
                "set_sha256": self._set,
                "actuals_sha256": digest(self._actuals),
                "rule_packs": self._packs,
            }
        return self._items

    def __getitem__(self, key: str) -> str:
        return self._resolved()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._resolved())

    def __len__(self) -> int:
        return 4

    def __repr__(self) -> str:
        return repr(self._resolved())

    def __reduce__(self) -> tuple[type[dict[str, str]], tuple[dict[str, str]]]:
        return dict, (self._resolved(),)  # a plain mapping once it leaves this process


def digest(model: BaseModel) -> str:
    """SHA-256 of a model's canonical JSON: the same content gives the same digest, whatever
    the formatting or key order of the file it came from.

    Fields left at their defaults are left out, so writing a default explicitly, or a later
    release adding an optional field, does not change the digest of the same content.
    """
    canonical = json.dumps(
        model.model_dump(mode="json", exclude_defaults=True),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
