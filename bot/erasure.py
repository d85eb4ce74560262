"""Forgetting people: the stop-list of erased people, held as keyed hashes so it never names anyone."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable


class StopList:
    """Who was erased, as HMAC-SHA256 of their Entra object id: checkable, never readable."""

    def __init__(self, key: bytes, hashes: Iterable[str] = ()) -> None:
        if len(key) < 16:
            raise ValueError("the erasure key must be at least 16 bytes")
        self._key = key
        self._hashes = set(hashes)

    def hash(self, person_id: str) -> str:
        """The keyed hash that stands for `person_id` on the stop-list."""
        return hmac.new(self._key, person_id.strip().lower().encode(), hashlib.sha256).hexdigest()

    def blocks(self, person_id: str | None) -> bool:
        """True when `person_id` was erased: nothing about them may be stored again."""
        return bool(person_id) and bool(self._hashes) and self.hash(person_id or "") in self._hashes

    def add(self, person_hash: str) -> None:
        self._hashes.add(person_hash)

    def __len__(self) -> int:
        return len(self._hashes)
