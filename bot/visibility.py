"""Who may be shown to whom: the one visibility policy every output of Seula goes through.

A person may be shown to a viewer for a query when they allow being shown at all (they did not say "hide me",
and under the `opt-in` organization default they said "show me"), the query touches none of the topics they
hid, and, if they chose "only my team", the viewer is on their team. Pure: no I/O, no clock.

A team is the directory's `department` when both people have one (compared without case or surrounding
spaces); when either has none, it is the people reporting to the same manager. Departments are what Entra
ID holds for most organizations and what colleagues mean by "my team"; the shared manager covers
directories that leave departments empty. An unknown viewer (no directory record) is on nobody's team.

Messages have their own rule (`TeamAccess`): a viewer sees a message, as evidence or as ranking input, when
its Teams team is public or the viewer is a member of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.model import Message, Person
from bot.text import stem, terms

__all__ = [
    "VISIBILITY_DEFAULTS",
    "NameIndex",
    "PersonVisibility",
    "TeamAccess",
    "VisibilityDefault",
    "VisibilityPolicy",
    "hides_topic",
    "may_show",
    "recognisable",
    "same_team",
]

VisibilityDefault = Literal["visible", "opt-in"]
VISIBILITY_DEFAULTS: tuple[VisibilityDefault, ...] = ("visible", "opt-in")

# A query word meets a hidden topic's word when one is a prefix of the other and the shorter is this long:
# the same reach as the search's own prefix matching ("postgres" hides "postgresql" too). Hiding errs wide.
_PREFIX_MIN_CHARS = 5


@dataclass(frozen=True, slots=True)
class PersonVisibility:
    """One person's own choices: hidden from everyone, opted in, hidden topics (as written), team only."""

    hidden: bool = False
    opted_in: bool = False  # said "show me": needed under the opt-in default
    hidden_topics: tuple[str, ...] = ()
    team_only: bool = False


NO_CHOICES = PersonVisibility()


def same_team(a: Person, b: Person) -> bool:
    """True when `a` and `b` are on the same team: one manages the other, or same department, or manager."""
    if a.manager_id == b.id or b.manager_id == a.id:
        return True  # a person's own manager and reports are their team, whatever the departments
    department_a, department_b = _department(a), _department(b)
    if department_a and department_b:
        return department_a == department_b
    return a.manager_id is not None and a.manager_id == b.manager_id


def hides_topic(hidden_topics: Iterable[str], query_terms: Sequence[str]) -> bool:
    """True when the query touches a hidden topic: every word of the topic meets a word of the query."""
    wanted = [stem(term) for term in query_terms if term]  # stem() is idempotent: stems stay stems
    for topic in hidden_topics:
        topic_terms = terms(topic)
        if topic_terms and all(any(_meets(t, q) for q in wanted) for t in topic_terms):
            return True
    return False


def recognisable(choices: PersonVisibility, default: VisibilityDefault) -> bool:
    """True when the person allows being shown at all (may be named in a summary or recognised).

    Team-only people are recognisable (a summary goes to their own manager); callers naming a topic must
    still check `hides_topic`.
    """
    if choices.hidden:
        return False
    return default == "visible" or choices.opted_in


def may_show(
    person: Person | None,
    choices: PersonVisibility,
    default: VisibilityDefault,
    viewer: Person | None,
    query_terms: Sequence[str],
) -> bool:
    """True when `person` (their directory record, if held) may be shown to `viewer` for `query_terms`."""
    if not recognisable(choices, default):
        return False
    if choices.hidden_topics and hides_topic(choices.hidden_topics, query_terms):
        return False
    if choices.team_only:
        return person is not None and viewer is not None and same_team(person, viewer)
    return True


class VisibilityPolicy:
    """The policy over everyone's choices at one moment: what every card, answer and summary asks."""

    def __init__(
        self,
        default: VisibilityDefault,
        choices: Mapping[str, PersonVisibility],
        people: Mapping[str, Person],
    ) -> None:
        self.default = default
        self._choices = dict(choices)
        self._people = people

    def choices_of(self, person_id: str) -> PersonVisibility:
        """The person's own choices (all defaults when they made none)."""
        return self._choices.get(person_id, NO_CHOICES)

    def may_show(self, person_id: str, viewer_id: str | None, query_terms: Sequence[str]) -> bool:
        """True when `person_id` may be shown to `viewer_id` (None: unknown) for a query of `query_terms`."""
        viewer = self._people.get(viewer_id) if viewer_id else None
        return may_show(
            self._people.get(person_id), self.choices_of(person_id), self.default, viewer, query_terms
        )

    def recognisable(self, person_id: str) -> bool:
        """True when the person allows being shown at all (manager summaries, recognition)."""
        return recognisable(self.choices_of(person_id), self.default)

    def excluded(
        self, candidates: Iterable[str], viewer_id: str | None, query_terms: Sequence[str]
    ) -> frozenset[str]:
        """The `candidates` that may not be shown to `viewer_id` for this query."""
        if self.default == "visible" and not self._choices:
            return frozenset()
        return frozenset(c for c in candidates if not self.may_show(c, viewer_id, query_terms))

    def unrecognisable(self) -> frozenset[str]:
        """Everyone known (in the directory or with choices) who does not allow being shown at all."""
        if self.default == "visible":
            return frozenset(p for p, c in self._choices.items() if c.hidden)
        return frozenset(p for p in {*self._people, *self._choices} if not self.recognisable(p))


class NameIndex:
    """The display names of some people, to tell whether a message names one of them. Pure.

    A message names a person when it @mentions them or its text holds their whole display name (without
    case); names shorter than 3 characters are too ambiguous to look for.
    """

    def __init__(self, people: Iterable[Person]) -> None:
        listed = list(people)
        self._ids = frozenset(p.id for p in listed)
        # Indexed by the name's first word, so a text is checked only for names whose first word it holds.
        self._by_first_word: dict[str, list[str]] = {}
        for person in listed:
            name = " ".join(person.display_name.split()).casefold()
            words = _WORD.findall(name)
            if len(name) >= 3 and words:
                self._by_first_word.setdefault(words[0], []).append(name)

    @classmethod
    def of(cls, ids: Iterable[str], people: Mapping[str, Person]) -> NameIndex:
        """The index of the `ids` with a directory record in `people`."""
        return cls([people[p] for p in ids if p in people])

    def names_anyone(self, message: Message) -> bool:
        """True when the message @mentions one of the people or holds one of their names."""
        if any(person in self._ids for person in message.mentions):
            return True
        return self.names_in(f"{message.subject or ''} {message.text}")

    def names_in(self, text: str) -> bool:
        """True when `text` holds one of the people's whole display names."""
        if not self._by_first_word:
            return False
        folded = " ".join(text.split()).casefold()
        words = set(_WORD.findall(folded))
        return any(
            name in folded
            for word in words & self._by_first_word.keys()
            for name in self._by_first_word[word]
        )


_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class TeamAccess:
    """Which Teams teams' messages one viewer may see, from what the store holds about the teams.

    A team's standard channels are open to everyone in the organization when the team is `public`, and to
    its members only otherwise (`private`, `hiddenMembership`, or any value Graph may add). A team Seula was
    never told the visibility of counts as public only while no membership of it is recorded either: that
    is data imported without either (older exports, the benchmark's) or teams read before migration 0009,
    which the next Graph pass fills in. Once someone's membership is known, the team is members-only until
    Graph says it is public.
    """

    visibility: Mapping[str, str | None]  # by team (group) id, as recorded
    with_members: frozenset[str]  # teams whose membership is recorded
    member_of: frozenset[str]  # the viewer's own teams

    def may_see(self, team_id: str) -> bool:
        """True when the viewer may see messages in `team_id`'s standard channels."""
        visibility = self.visibility.get(team_id)
        if visibility == "public" or team_id in self.member_of:
            return True
        return visibility is None and team_id not in self.with_members

    def unseen(self, team_ids: Iterable[str]) -> frozenset[str]:
        """Those of `team_ids` whose messages the viewer may not see."""
        return frozenset(team for team in team_ids if not self.may_see(team))

    def all_unseen(self) -> frozenset[str]:
        """Every team whose messages the viewer may not see (only teams the store knows of can be closed)."""
        return self.unseen({*self.visibility, *self.with_members})


def _department(person: Person) -> str:
    return " ".join((person.department or "").split()).casefold()


def _meets(topic_term: str, query_term: str) -> bool:
    if topic_term == query_term:
        return True
    shorter, longer = sorted((topic_term, query_term), key=len)
    return len(shorter) >= _PREFIX_MIN_CHARS and longer.startswith(shorter)
