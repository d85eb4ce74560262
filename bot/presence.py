"""Whether the people on a card are available now: from a presence source, cached briefly, never in the way.

The expert card marks each person's availability when a source is configured (Microsoft Graph presence,
`bot/graph/presence.py`). An answer never waits for it longer than a short budget, and a source that fails
(no permission, throttled, down, slow) leaves the card without availability instead of failing the answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Literal, Protocol, get_args

logger = logging.getLogger(__name__)

Availability = Literal["available", "busy", "do_not_disturb", "away", "be_right_back", "offline"]
AVAILABILITIES: frozenset[Availability] = frozenset(get_args(Availability))


class PresenceUnavailable(RuntimeError):
    """A presence source could not say; the message names why, safe to log (no tokens, no people)."""


class PresenceSource(Protocol):
    """Where availability comes from (Graph presence): ids of people → the availability of those it knows."""

    async def availability(self, person_ids: Sequence[str]) -> Mapping[str, Availability]: ...


class PresenceLookup:
    """Availability for the people on a card, within `budget_seconds`, cached for `cache_seconds`.

    Never raises: a source that fails or is too slow gives an empty mapping, logged at warning once until it
    works again, and is not asked again for `cache_seconds` (a missing permission or an outage would
    otherwise cost every answer a request, or the whole budget).
    """

    def __init__(
        self,
        source: PresenceSource,
        budget_seconds: float = 1.5,
        cache_seconds: float = 60.0,
        max_cached: int = 5000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._budget_seconds = budget_seconds
        self._cache_seconds = cache_seconds
        self._max_cached = max_cached
        self._monotonic = monotonic
        # person id -> (availability, or None when the source did not know them; when it was read)
        self._cache: OrderedDict[str, tuple[Availability | None, float]] = OrderedDict()
        self._quiet_until = float("-inf")
        self._failing = False

    async def availability(self, person_ids: Sequence[str]) -> dict[str, Availability]:
        """The availability of those of `person_ids` the source knows; {} when it cannot say in time."""
        wanted = list(dict.fromkeys(person_ids))
        now = self._monotonic()
        missing = [p for p in wanted if not self._fresh(p, now)]
        if missing and now >= self._quiet_until:
            await self._fetch(missing)
        found: dict[str, Availability] = {}
        for person_id in wanted:
            cached = self._cache.get(person_id)
            if cached is not None and cached[0] is not None and self._fresh(person_id, now):
                found[person_id] = cached[0]
        return found

    def _fresh(self, person_id: str, now: float) -> bool:
        cached = self._cache.get(person_id)
        return cached is not None and now - cached[1] < self._cache_seconds

    async def _fetch(self, person_ids: list[str]) -> None:
        try:
            async with asyncio.timeout(self._budget_seconds):
                fetched = await self._source.availability(person_ids)
        except TimeoutError:
            self._failed(f"no answer within {self._budget_seconds:g} s")
            return
        except PresenceUnavailable as error:
            self._failed(str(error))
            return
        except Exception as error:  # an answer must never fail for its decoration
            self._failed(type(error).__name__)
            return
        if self._failing:
            logger.info("Availability is shown again")
            self._failing = False
        read_at = self._monotonic()
        for person_id in person_ids:
            value = fetched.get(person_id)
            self._cache[person_id] = (value if value in AVAILABILITIES else None, read_at)
            self._cache.move_to_end(person_id)
        while len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)

    def _failed(self, why: str) -> None:
        self._quiet_until = self._monotonic() + self._cache_seconds
        if self._failing:
            logger.debug("Availability still not shown: %s", why)
            return
        self._failing = True
        logger.warning("Availability is not shown on cards (next try in %g s): %s", self._cache_seconds, why)
