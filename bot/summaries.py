"""A manager's team summary: what their reports write about, where the team helps and is helped, which
questions in its domain wait for an answer, and who is worth recognizing; never who posted how much.

Pure: no I/O, no clock (`now` is an argument). The signals come from `bot.signals`; this module adds the team
view: whose messages count as the team's, help flows between departments, and the privacy rules:

- only people who may be shown (`may_be_shown`) are ever named, quoted or linked, or members of an aggregate
  (a topic is the members' own words; a help flow counts no hidden person); a hidden person's messages still
  shape the threads around the members (whether a question was answered, an answer thanked) and the
  organization's word frequencies, which name no one; a message that names a hidden person is never quoted;
- a person is named (as an emerging voice or in recognition) only when the visibility policy lets the manager
  see them (a team-only person only when the manager is on their team), never for a topic they hid and never
  with an answer of theirs that touches one; with no topic left they are not named;
- an aggregate (a topic, a help flow) is shown only when at least `MIN_GROUP` distinct people make it up on
  the team's side and on the other;
- people are named only as recognition, with their own messages as evidence, never with counts or in rank
  order (the card lists them alphabetically);
- a team with fewer than `MIN_GROUP` people who may be shown gets only what singles no one out: the open
  questions in its domain.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.model import Message, Person
from bot.signals import TopicTrend, emerging_people, find_questions, is_question, thread_roots, topic_trends
from bot.text import snippet, terms
from bot.visibility import VisibilityPolicy, hides_topic

MIN_GROUP = 3  # fewer people than this behind an aggregate would single someone out
PERIOD_DAYS = 30
DOMAIN_DAYS = 90  # the team's domain: what it wrote about over a quarter, not just this month
EMERGING_RECENT_DAYS = 84
EMERGING_EARLIER_DAYS = 280
LOOKBACK = timedelta(days=EMERGING_RECENT_DAYS + EMERGING_EARLIER_DAYS)  # the oldest message a summary reads
MAX_TOPICS = 8
MAX_FLOWS = 4
MAX_QUESTIONS = 5
MAX_VOICES = 3
_EVIDENCE_PER_PERSON = 2
_SUBSTANTIAL_ANSWER_CHARS = 40
_APPRECIATING_REACTIONS = 2  # reactions from at least two colleagues on one answer
_THANKS = ("thank", "thanks", "thx", "kiitos", "kiitti", "kiitoksia", "kiitokset")
SNIPPET_CHARS = 150
_MIN_DOMAIN_OWNERSHIP = 0.3  # and a domain word is one the team writes most of the uses of
_QUESTION_DOMAIN_TERMS = 2  # a question is in the team's domain when it shares two of its words
_MIN_TOPIC_OWNERSHIP = 0.3
_MIN_QUESTIONS_PER_TOPIC = 3  # a team topic is something people asked about, in three questions or more
_MIN_LIFT = 1.5  # a team topic is a word the team uses clearly more than the organization does

RefusalReason = Literal["manages_no_one"]


@dataclass(frozen=True, slots=True)
class EvidenceLink:
    """One message shown as evidence or as an open question: where it is and what it says."""

    message_id: str
    channel_id: str
    url: str | None
    snippet: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "channel_id": self.channel_id,
            "url": self.url,
            "snippet": self.snippet,
            "created": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic the team wrote about, weighted this period and the one before (a team aggregate)."""

    label: str
    current: float
    previous: float

    @property
    def movement(self) -> Literal["new", "up", "steady", "down"]:
        if self.previous == 0:
            return "new"
        ratio = self.current / self.previous
        return "up" if ratio >= 1.25 else "down" if ratio <= 0.8 else "steady"


@dataclass(frozen=True, slots=True)
class HelpFlow:
    """Answers between the team and one other department in the period (a group aggregate)."""

    department: str
    answers: int
    team_people: int  # distinct people on the team's side; at least MIN_GROUP
    other_people: int  # distinct people in the other department; at least MIN_GROUP


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    """A question in the team's domain that nobody has answered (its asker is not named)."""

    question: EvidenceLink
    topics: tuple[str, ...]
    followers: int  # people who said they have the same question


@dataclass(frozen=True, slots=True)
class Voice:
    """A person named in recognition: what they helped with and their own messages that show it."""

    person_id: str
    name: str
    topics: tuple[str, ...]
    evidence: tuple[EvidenceLink, ...]


@dataclass(frozen=True, slots=True)
class TeamSummary:
    """What a manager sees about their own team."""

    manager_id: str
    team_size: int
    since: datetime
    until: datetime
    small_team: bool  # fewer than MIN_GROUP people who may be shown: only open questions are given
    topics: tuple[Topic, ...] = ()
    helps: tuple[HelpFlow, ...] = ()  # the team answering other departments
    relies_on: tuple[HelpFlow, ...] = ()  # other departments answering the team
    unanswered: tuple[OpenQuestion, ...] = ()
    emerging: tuple[Voice, ...] = ()
    recognitions: tuple[Voice, ...] = ()
    kind: Literal["summary"] = field(default="summary", init=False)

    def as_dict(self) -> dict[str, Any]:
        """The summary as `app.py summary --json` prints it."""

        def flow(f: HelpFlow) -> dict[str, Any]:
            return {
                "department": f.department,
                "answers": f.answers,
                "team_people": f.team_people,
                "other_people": f.other_people,
            }

        def voice(v: Voice) -> dict[str, Any]:
            return {
                "id": v.person_id,
                "name": v.name,
                "topics": list(v.topics),
                "evidence": [e.as_dict() for e in v.evidence],
            }

        return {
            "manager": self.manager_id,
            "team_size": self.team_size,
            "period": {"since": self.since.isoformat(), "until": self.until.isoformat()},
            "small_team": self.small_team,
            "topics": [
                {"label": t.label, "current": t.current, "previous": t.previous, "movement": t.movement}
                for t in self.topics
            ],
            "helps": [flow(f) for f in self.helps],
            "relies_on": [flow(f) for f in self.relies_on],
            "unanswered": [
                {**q.question.as_dict(), "topics": list(q.topics), "followers": q.followers}
                for q in self.unanswered
            ],
            "emerging": [voice(v) for v in self.emerging],
            "recognitions": [voice(v) for v in self.recognitions],
        }


@dataclass(frozen=True, slots=True)
class SummaryRefused:
    """The requester manages no one: there is no team to summarize for them."""

    manager_id: str
    reason: RefusalReason
    kind: Literal["refused"] = field(default="refused", init=False)


def may_be_shown(person: Person | None, hidden: frozenset[str]) -> bool:
    """Whether a person may be named, quoted or counted in a summary: the one place this is decided."""
    return person is not None and person.account_enabled and person.id not in hidden


def reports_of(manager_id: str, people: Mapping[str, Person], include_indirect: bool) -> frozenset[str]:
    """The manager's reports with an active account (and, if asked, their reports' reports, all the way)."""
    by_manager: dict[str, list[str]] = defaultdict(list)
    for person in people.values():
        if person.manager_id:
            by_manager[person.manager_id].append(person.id)
    found: set[str] = set()
    frontier = [manager_id]
    while frontier:
        next_level = []
        for boss in frontier:
            for report in by_manager.get(boss, ()):
                if report not in found and report != manager_id:
                    found.add(report)
                    next_level.append(report)
        frontier = next_level if include_indirect else []
    return frozenset(p for p in found if people[p].account_enabled)


def build_team_summary(
    manager_id: str,
    team: Iterable[str],
    messages: Sequence[Message],
    people: Mapping[str, Person],
    hidden: frozenset[str],
    now: datetime,
    period_days: int = PERIOD_DAYS,
    visibility: VisibilityPolicy | None = None,
    unseen_teams: frozenset[str] = frozenset(),
) -> TeamSummary:
    """The summary of `team` (the manager's reports) for the `period_days` before `now`.

    `hidden` are the people who may not be shown at all; `visibility` (everyone's choices) decides who may
    be named to this manager and for what (without it, everyone not hidden, for anything). Nothing from
    `unseen_teams` (private teams the manager is not in) is quoted or linked; their messages still count in
    the aggregates, which name no message.
    """
    team_ids = frozenset(team)
    members = frozenset(p for p in team_ids if may_be_shown(people.get(p), hidden))
    since = now - timedelta(days=period_days)
    base = TeamSummary(manager_id, len(team_ids), since, now, small_team=len(members) < MIN_GROUP)
    policy = visibility or VisibilityPolicy("visible", {}, people)
    build = _Builder(messages, members, people, hidden, now, period_days, policy, manager_id, unseen_teams)
    if base.small_team:
        return replace(base, unanswered=build.unanswered())
    emerging = build.emerging()
    return replace(
        base,
        topics=build.topics(),
        helps=build.help_flows(given=True),
        relies_on=build.help_flows(given=False),
        unanswered=build.unanswered(),
        emerging=emerging,
        recognitions=build.recognitions(exclude={v.person_id for v in emerging}),
    )


class _Builder:
    """The parts of one summary, over the same messages and the same privacy rules."""

    def __init__(
        self,
        messages: Sequence[Message],
        members: frozenset[str],
        people: Mapping[str, Person],
        hidden: frozenset[str],
        now: datetime,
        period_days: int,
        visibility: VisibilityPolicy,
        manager_id: str,
        unseen_teams: frozenset[str] = frozenset(),
    ) -> None:
        self.unseen_teams = unseen_teams
        self.writing = [m for m in messages if m.is_people_writing and m.created_at < now]
        self.members = members
        self.people = people
        self.hidden = hidden
        self.visibility = visibility
        self.manager_id = manager_id
        self.now = now
        self.period_days = period_days
        self.since = now - timedelta(days=period_days)
        self.roots = thread_roots(self.writing)
        self._terms: dict[tuple[str, str], frozenset[str]] = {}
        self._hidden_names = tuple(
            people[p].display_name.casefold()
            for p in hidden
            if p in people and len(people[p].display_name) >= 3
        )
        # A word of a hidden person's name is never a topic, even when colleagues write it often.
        self._hidden_terms = frozenset(
            t for p in hidden if p in people for t in terms(people[p].display_name)
        )
        self._thanked = self._thanked_threads()
        self.domain = self._domain()

    # --- privacy -------------------------------------------------------------------------------------

    def quotable(self, message: Message) -> bool:
        """A message may be quoted when the manager could open it, its author may be shown and it names no
        hidden person."""
        if message.team_id in self.unseen_teams:
            return False
        if not may_be_shown(self.people.get(message.author_id or ""), self.hidden):
            return False
        if any(person in self.hidden for person in message.mentions):
            return False
        text = f"{message.subject or ''} {message.text}".casefold()
        return not any(name in text for name in self._hidden_names)

    # --- topics --------------------------------------------------------------------------------------

    def terms_of(self, message: Message) -> frozenset[str]:
        key = (message.channel_id, message.id)
        found = self._terms.get(key)
        if found is None:
            found = self._terms[key] = frozenset(terms(f"{message.subject or ''} {message.text}"))
        return found

    def _distinctive(
        self, wanted: set[str], since: datetime
    ) -> tuple[dict[str, set[str]], dict[str, float], dict[str, float]]:
        """For each wanted term in the window: which members wrote it, how many times more the team uses
        it than the organization does (its share of the team's messages over its share of all), and which
        share of the messages using it are the team's.

        Threads the team took part in count only with the team's own messages: colleagues asking the team
        about its work is no sign that the words are everyone's."""
        team_threads = {
            (m.channel_id, m.reply_to_id or m.id) for m in self.writing if m.author_id in self.members
        }
        authors: dict[str, set[str]] = defaultdict(set)
        team_docs: Counter[str] = Counter()
        all_docs: Counter[str] = Counter()
        team_total = total = 0
        for message in self.writing:
            if message.created_at < since:
                continue
            ours = message.author_id in self.members
            if not ours and (message.channel_id, message.reply_to_id or message.id) in team_threads:
                continue
            found = self.terms_of(message) & wanted
            total += 1
            all_docs.update(found)
            if ours:
                team_total += 1
                team_docs.update(found)
                for term in found:
                    authors[term].add(message.author_id or "")
        lift = {
            term: (team_docs[term] / team_total) / (all_docs[term] / total)
            for term in wanted
            if team_docs[term]
        }
        ownership = {term: team_docs[term] / all_docs[term] for term in wanted if team_docs[term]}
        return authors, lift, ownership

    def _trends(self, days: int, limit: int) -> list[TopicTrend]:
        trends = topic_trends(self.writing, self.members, self.now, days, limit=limit)
        return [t for t in trends if t.term not in self._hidden_terms]

    def topics(self) -> tuple[Topic, ...]:
        """The team's own topics this period: words it uses far more than the organization does, which
        at least MIN_GROUP members wrote about."""
        trends = self._trends(self.period_days, MAX_TOPICS * 5)
        authors, lift, ownership = self._distinctive({t.term for t in trends}, self.since)
        asked = self._asked_about({t.term for t in trends}, self.now - timedelta(days=2 * self.period_days))
        shared = [
            t
            for t in trends
            if len(authors[t.term]) >= MIN_GROUP
            and lift.get(t.term, 0.0) >= _MIN_LIFT
            and ownership.get(t.term, 0.0) >= _MIN_TOPIC_OWNERSHIP
            and asked[t.term] >= _MIN_QUESTIONS_PER_TOPIC
        ]
        return tuple(Topic(t.label, t.current, t.previous) for t in shared[:MAX_TOPICS])

    def _asked_about(self, wanted: set[str], since: datetime) -> Counter[str]:
        """How many questions (thread roots) since `since` use each wanted term: a topic is something
        people ask about, not a word that runs through answers (code, "shows", "add")."""
        asked: Counter[str] = Counter()
        for message in self.writing:
            if (
                message.is_root
                and message.created_at >= since
                and is_question(f"{message.subject or ''} {message.text}")
            ):
                asked.update(self.terms_of(message) & wanted)
        return asked

    def _domain(self) -> dict[str, str]:
        """The team's domain: the words it wrote about distinctively over a quarter, stem → label."""
        trends = self._trends(DOMAIN_DAYS, 60)
        _, lift, ownership = self._distinctive(
            {t.term for t in trends}, self.now - timedelta(days=DOMAIN_DAYS)
        )
        return {
            t.term: t.label
            for t in trends
            if lift.get(t.term, 0.0) >= _MIN_LIFT and ownership.get(t.term, 0.0) >= _MIN_DOMAIN_OWNERSHIP
        }

    # --- open questions ------------------------------------------------------------------------------

    def unanswered(self) -> tuple[OpenQuestion, ...]:
        """Questions from outside the team, in its domain, that nobody answered: closest to the domain,
        most followed, newest first."""
        found = []
        for question in find_questions(self.writing, self.since, self.now, self.now):
            message = question.message
            if question.answered or message.author_id in self.members or not self.quotable(message):
                continue
            shared = [term for term in self.domain if term in question.terms]
            if len(shared) < _QUESTION_DOMAIN_TERMS:
                continue
            topics = tuple(self.domain[t] for t in shared[:3])
            found.append(OpenQuestion(_link(message, shared), topics, question.followers))
        found.sort(key=lambda q: (-len(q.topics), -q.followers, -q.question.created_at.timestamp()))
        return tuple(found[:MAX_QUESTIONS])

    # --- help between departments --------------------------------------------------------------------

    def help_flows(self, given: bool) -> tuple[HelpFlow, ...]:
        """Answers the team gave other departments (`given`) or received from them, in the period,
        by department, where at least MIN_GROUP people stand on each side."""
        team_departments = {self.people[m].department for m in self.members if self.people[m].department}
        answers: Counter[str] = Counter()
        ours: dict[str, set[str]] = defaultdict(set)
        theirs: dict[str, set[str]] = defaultdict(set)
        for reply, root in self._answers(self.since):
            answerer, asker = reply.author_id or "", root.author_id or ""
            member, other = (answerer, asker) if given else (asker, answerer)
            if member not in self.members or other in self.members or other in self.hidden:
                continue
            person = self.people.get(other)
            if person is None or not person.department or person.department in team_departments:
                continue
            answers[person.department] += 1
            ours[person.department].add(member)
            theirs[person.department].add(other)
        shown = [
            HelpFlow(department, count, len(ours[department]), len(theirs[department]))
            for department, count in answers.items()
            if len(ours[department]) >= MIN_GROUP and len(theirs[department]) >= MIN_GROUP
        ]
        shown.sort(key=lambda f: (-f.answers, f.department))
        return tuple(shown[:MAX_FLOWS])

    def _answers(self, since: datetime, author: str | None = None) -> list[tuple[Message, Message]]:
        """(answer, its thread's root): substantial replies in someone else's thread since `since`."""
        found = []
        for message in self.writing:
            if message.is_root or message.created_at < since or (author and message.author_id != author):
                continue
            if len(message.text) < _SUBSTANTIAL_ANSWER_CHARS:
                continue
            root = self.roots.get((message.channel_id, message.reply_to_id or ""))
            if root is not None and root.author_id not in (None, message.author_id):
                found.append((message, root))
        return found

    # --- people worth recognizing --------------------------------------------------------------------

    def _thanked_threads(self) -> frozenset[tuple[str, str]]:
        """Threads where the asker came back to thank someone."""
        found = set()
        for message in self.writing:
            root = (
                self.roots.get((message.channel_id, message.reply_to_id or ""))
                if message.reply_to_id
                else None
            )
            if root is None or root.author_id != message.author_id:
                continue
            words = message.text.casefold().replace(",", " ").replace("!", " ").split()
            if any(word.startswith(_THANKS) for word in words[:6]):
                found.add((message.channel_id, root.id))
        return frozenset(found)

    def _appreciation(self, answer: Message, root: Message) -> int:
        """How clearly colleagues appreciated an answer: reactions from others, and the asker's thanks."""
        reactors = {r.user_id for r in answer.reactions if r.user_id != answer.author_id}
        return len(reactors) + (2 if (answer.channel_id, root.id) in self._thanked else 0)

    def _voice(self, person_id: str, answers: list[tuple[Message, Message]]) -> Voice | None:
        """A person named with what they helped with and their best appreciated answers, if quotable.

        None when the policy does not let the manager see them, or nothing is left once the topics they hid
        are: an answer touching one is no evidence (it would show them on that topic) and no topic of theirs.
        """
        if not self.visibility.may_show(person_id, self.manager_id, ()):
            return None  # team only, and the manager is not on their team
        hidden_topics = self.visibility.choices_of(person_id).hidden_topics
        shown = [
            (a, r)
            for a, r in answers
            if self.quotable(a)
            and not (
                hidden_topics and hides_topic(hidden_topics, sorted(self.terms_of(a) | self.terms_of(r)))
            )
        ]
        if not shown:
            return None
        shown.sort(key=lambda pair: (-self._appreciation(*pair), -pair[0].created_at.timestamp()))
        words: Counter[str] = Counter()
        for answer, root in shown:
            words.update((self.terms_of(answer) | self.terms_of(root)) & self.domain.keys())
        allowed = [
            term
            for term, _ in words.most_common()
            if not (hidden_topics and hides_topic(hidden_topics, [term, *terms(self.domain[term])]))
        ]
        focus = allowed[:2]
        if not focus:
            return None  # nothing in the team's domain to recognize them for
        evidence = tuple(_link(answer, focus) for answer, _ in shown[:_EVIDENCE_PER_PERSON])
        return Voice(
            person_id, self.people[person_id].display_name, tuple(self.domain[t] for t in focus), evidence
        )

    def emerging(self) -> tuple[Voice, ...]:
        """Team members who have lately started answering colleagues, with their answers as evidence."""
        rising = emerging_people(
            self.writing, self.people, self.now, EMERGING_RECENT_DAYS, EMERGING_EARLIER_DAYS
        )
        since = self.now - timedelta(days=EMERGING_RECENT_DAYS)
        ids = [e.person_id for e in rising if e.person_id in self.members][:MAX_VOICES]
        voices = [self._voice(pid, self._answers(since, pid)) for pid in ids]
        return _alphabetical(voices)

    def recognitions(self, exclude: set[str]) -> tuple[Voice, ...]:
        """Team members whose answers this period colleagues thanked them for or reacted to."""
        appreciated: dict[str, list[tuple[Message, Message]]] = defaultdict(list)
        for answer, root in self._answers(self.since):
            author = answer.author_id or ""
            if (
                author in self.members
                and author not in exclude
                and self._appreciation(answer, root) >= _APPRECIATING_REACTIONS
                and self.terms_of(answer) & self.domain.keys()  # an answer about the team's work
            ):
                appreciated[author].append((answer, root))
        # When more qualify than fit, the most clearly appreciated are kept; the card lists them
        # alphabetically, never in that order.
        strongest = sorted(
            appreciated, key=lambda pid: (-max(self._appreciation(*pair) for pair in appreciated[pid]), pid)
        )[:MAX_VOICES]
        return _alphabetical([self._voice(pid, appreciated[pid]) for pid in strongest])


def _alphabetical(voices: Iterable[Voice | None]) -> tuple[Voice, ...]:
    return tuple(sorted((v for v in voices if v is not None), key=lambda v: (v.name.casefold(), v.person_id)))


def _link(message: Message, focus: Sequence[str] = ()) -> EvidenceLink:
    text = " ".join(part for part in (message.subject, message.text) if part)
    return EvidenceLink(
        message.id,
        message.channel_id,
        message.web_url,
        snippet(text, focus, SNIPPET_CHARS),
        message.created_at,
    )
