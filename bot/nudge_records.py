"""Plain records of weekly nudges as the store keeps them: settings, prompts offered, outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DEFAULT_GOAL_DAYS = 14  # share something every two weeks
GOAL_CHOICES_DAYS = (7, 14, 28)


@dataclass(frozen=True, slots=True)
class NudgeSettings:
    """A person's own nudge settings; None means the default (NUDGES_DEFAULT, a two-week goal)."""

    enabled: bool | None = None
    snoozed_until: datetime | None = None
    goal_days: int | None = None

    def is_enabled(self, default_on: bool) -> bool:
        return default_on if self.enabled is None else self.enabled

    def is_snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > now

    @property
    def goal(self) -> int:
        return self.goal_days if self.goal_days in GOAL_CHOICES_DAYS else DEFAULT_GOAL_DAYS


@dataclass(frozen=True, slots=True)
class PlannedPrompt:
    """A question to offer as a content prompt: where it is and the topic words that matched."""

    channel_id: str
    message_id: str
    terms: frozenset[str]


@dataclass(frozen=True, slots=True)
class OfferedPrompt:
    """A prompt a nudge offered, what the person decided, and what came of it."""

    id: int
    person_id: str
    week: str
    channel_id: str
    message_id: str
    terms: frozenset[str]
    status: str  # offered, accepted, dismissed
    offered_at: datetime
    remind_at: datetime | None = None
    outcome_channel_id: str | None = None
    outcome_message_id: str | None = None
    outcome_reactions: int = 0


@dataclass(frozen=True, slots=True)
class PromptOutcome:
    """The person's later post on a prompt's topic, and the reactions it has."""

    prompt_id: int
    channel_id: str
    message_id: str
    at: datetime
    reactions: int


@dataclass(frozen=True, slots=True)
class NudgeOutcomes:
    """What nudges led to, summed over everyone: for admins, never per person."""

    nudges: int
    people_nudged: int
    prompts_offered: int
    prompts_accepted: int
    prompts_dismissed: int
    posted: int
    posted_after_accepting: int
    reactions_on_posts: int

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}
