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
from bot.signals import (
    MIN_TOPIC_CHARS,
    Question,
    QuestionCorpus,
    TopicTrend,
    emerging_people,
    find_questions,
    is_question,
    thread_roots,
    topic_trends,
)
from bot.text import snippet, terms
from bot.visibility import VisibilityPolicy, hides_topic

MIN_GROUP = 3  # fewer people than this behind an aggregate would single someone out
PERIOD_DAYS = 30
DOMAIN_DAYS = 90  # the team's domain: what it wrote about over a quarter, not just this month
EMERGING_RECENT_DAYS = 84
EMERGING_EARLIER_DAYS = 280
LOOKBACK = timedelta(days=EMERGING_RECENT_DAYS + EMERGING_EARLIER_DAYS)  # the oldest message a summary reads
QUESTION_MIN_AGE = timedelta(days=2)  # a question is open once it has waited this long (find_questions)
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
    """The summary of `team` (the manager's reports) for the `period_days` before `now`, from every message
    of the last `LOOKBACK` in memory (the reference: `TeamSummaries` reads only the team's threads and the
    organization's digest, and gets the same summary).

    `hidden` are the people who may not be shown at all; `visibility` (everyone's choices) decides who may
    be named to this manager and for what (without it, everyone not hidden, for anything). Nothing from
    `unseen_teams` (private teams the manager is not in) is quoted or linked; their messages still count in
    the aggregates, which name no message.
    """
    digest = org_digest(messages, now, period_days)
    draft = draft_team_summary(
        manager_id, team, messages, digest, people, hidden, now, period_days, visibility
    )
    writing = [m for m in messages if m.is_people_writing and m.created_at < now]
    questions = find_questions(writing, now - timedelta(days=period_days), now, now, QUESTION_MIN_AGE)
    return draft.finish(questions, unseen_teams)


def summary_members(
    team: Iterable[str], people: Mapping[str, Person], hidden: frozenset[str]
) -> frozenset[str]:
    """The reports who count in the summary's aggregates and may be named: those who may be shown."""
    return frozenset(p for p in team if may_be_shown(people.get(p), hidden))


def draft_team_summary(
    manager_id: str,
    team: Iterable[str],
    team_messages: Sequence[Message],
    digest: OrgDigest,
    people: Mapping[str, Person],
    hidden: frozenset[str],
    now: datetime,
    period_days: int = PERIOD_DAYS,
    visibility: VisibilityPolicy | None = None,
) -> SummaryDraft:
    """Everything of the summary but its open questions, which need the organization's questions in the
    team's domain (`SummaryDraft.open_question_keys`, then `finish`).

    `team_messages` holds at least every thread a member wrote in during the last `LOOKBACK` (more does no
    harm: everything else comes from the organization's `digest`).
    """
    team_ids = frozenset(team)
    members = summary_members(team_ids, people, hidden)
    policy = visibility or VisibilityPolicy("visible", {}, people)
    build = _Builder(team_messages, digest, members, people, hidden, now, period_days, policy, manager_id)
    return SummaryDraft(manager_id, len(team_ids), build)


class SummaryDraft:
    """A summary waiting for its open questions (the one part that reads beyond the team's threads)."""

    def __init__(self, manager_id: str, team_size: int, build: _Builder) -> None:
        self._build = build
        self._base = TeamSummary(
            manager_id, team_size, build.since, build.now, small_team=len(build.members) < MIN_GROUP
        )

    def open_question_keys(self) -> list[tuple[str, str]]:
        """Questions that may be this team's open questions: unanswered when the digest was counted, from
        outside the team, sharing enough of its domain. Read them and their threads again (`find_questions`)
        before `finish`: they may have been answered, edited or deleted since."""
        return self._build.open_question_candidates()

    def finish(
        self, questions: Sequence[Question], unseen_teams: frozenset[str] = frozenset()
    ) -> TeamSummary:
        """The summary, with `questions` (found in the candidates' threads) as the open ones to choose from;
        nothing from `unseen_teams` (private teams the manager is not in) is quoted or linked."""
        build = self._build
        build.unseen_teams = unseen_teams
        if self._base.small_team:
            return replace(self._base, unanswered=build.unanswered(questions))
        emerging = build.emerging()
        return replace(
            self._base,
            topics=build.topics(),
            helps=build.help_flows(given=True),
            relies_on=build.help_flows(given=False),
            unanswered=build.unanswered(questions),
            emerging=emerging,
            recognitions=build.recognitions(exclude={v.person_id for v in emerging}),
        )


@dataclass(frozen=True, slots=True)
class OpenCandidate:
    """A question nobody had answered when the digest was counted: where it is, and its words."""

    channel_id: str
    message_id: str
    author_id: str
    created_at: datetime
    terms: frozenset[str]


@dataclass(frozen=True, slots=True)
class OrgDigest:
    """What a summary needs from beyond the team: the organization's word counts over the summary's windows,
    and its unanswered questions of the period, as of `at`.

    Counts, not messages: it names no one, so one digest serves every manager for a while
    (`TeamSummaries` keeps it a few hours). Windows are keyed by their length in days, all ending at `at`.
    """

    at: datetime
    period_days: int
    docs: Mapping[int, Counter[str]]  # window → messages using each word (everyone's writing)
    totals: Mapping[int, int]  # window → messages
    questions: Mapping[int, QuestionCorpus]  # window → messages in question threads (topic_trends' corpus)
    asked: Mapping[int, Counter[str]]  # window → question roots using each word
    open: tuple[OpenCandidate, ...]  # questions of the last period_days nobody had answered

    @staticmethod
    def windows(period_days: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """(word counts, question corpora, questions asked): the windows the summary reads."""
        return (period_days, DOMAIN_DAYS), (2 * period_days, 2 * DOMAIN_DAYS), (2 * period_days,)


class DigestCounter:
    """Counts an `OrgDigest` from the messages of its longest window, one at a time (so a store can stream
    them): first `question_thread` for every question thread root of the last `LOOKBACK` with a message in
    the window, then `add` for every person's message in the window."""

    def __init__(self, at: datetime, period_days: int = PERIOD_DAYS) -> None:
        self.at = at
        self.period_days = period_days
        doc_windows, question_windows, asked_windows = OrgDigest.windows(period_days)
        self._doc_since = {d: at - timedelta(days=d) for d in doc_windows}
        self._question_since = {d: at - timedelta(days=d) for d in question_windows}
        self._asked_since = {d: at - timedelta(days=d) for d in asked_windows}
        self._open_since = at - timedelta(days=period_days)
        self.since = at - timedelta(days=max(*doc_windows, *question_windows, *asked_windows))
        self._docs: dict[int, Counter[str]] = {d: Counter() for d in doc_windows}
        self._totals: dict[int, int] = dict.fromkeys(doc_windows, 0)
        self._questions = {d: QuestionCorpus() for d in question_windows}
        self._asked: dict[int, Counter[str]] = {d: Counter() for d in asked_windows}
        self._question_threads: set[tuple[str, str]] = set()
        self._open: dict[tuple[str, str], OpenCandidate] = {}
        self._repliers: dict[tuple[str, str], set[str]] = defaultdict(set)

    def question_thread(self, channel_id: str, root_id: str, subject: str | None, text: str) -> None:
        """A thread root of the last LOOKBACK: its thread counts in the question corpora if it asks."""
        if is_question(f"{subject or ''} {text}"):
            self._question_threads.add((channel_id, root_id))

    def add(
        self,
        channel_id: str,
        message_id: str,
        reply_to_id: str | None,
        author_id: str,
        created_at: datetime,
        subject: str | None,
        text: str,
    ) -> None:
        """A person's message (not deleted, written before `at`)."""
        if not self.since <= created_at < self.at:
            return
        words = frozenset(terms(f"{subject or ''} {text}"))
        for days, since in self._doc_since.items():
            if created_at >= since:
                self._totals[days] += 1
                self._docs[days].update(words)
        thread = (channel_id, reply_to_id or message_id)
        if thread in self._question_threads:
            long_words = {w for w in words if len(w) >= MIN_TOPIC_CHARS}  # topic_words, not tokenized again
            for days, since in self._question_since.items():
                if created_at >= since:
                    self._questions[days].add(long_words)
        if reply_to_id is None and is_question(f"{subject or ''} {text}"):
            for days, since in self._asked_since.items():
                if created_at >= since:
                    self._asked[days].update(words)
            if created_at >= self._open_since:
                self._open[thread] = OpenCandidate(channel_id, message_id, author_id, created_at, words)
        elif reply_to_id is not None and len(text.strip()) >= _SUBSTANTIAL_ANSWER_CHARS:
            self._repliers[thread].add(author_id)

    def digest(self) -> OrgDigest:
        open_questions = tuple(
            candidate
            for key, candidate in self._open.items()
            if not self._repliers.get(key, set()) - {candidate.author_id}
        )
        return OrgDigest(
            self.at,
            self.period_days,
            self._docs,
            self._totals,
            self._questions,
            self._asked,
            tuple(sorted(open_questions, key=lambda c: (c.created_at, c.channel_id, c.message_id))),
        )


def org_digest(messages: Iterable[Message], now: datetime, period_days: int = PERIOD_DAYS) -> OrgDigest:
    """The digest of messages held in memory (every message of the last LOOKBACK)."""
    counter = DigestCounter(now, period_days)
    writing = [m for m in messages if m.is_people_writing and m.created_at < now]
    for message in writing:
        if message.is_root and message.created_at >= now - LOOKBACK:
            counter.question_thread(message.channel_id, message.id, message.subject, message.text)
    for message in writing:
        counter.add(
            message.channel_id,
            message.id,
            message.reply_to_id,
            message.author_id or "",
            message.created_at,
            message.subject,
            message.text,
        )
    return counter.digest()


class _Builder:
    """The parts of one summary, over the team's threads, the organization's digest and the same privacy
    rules."""

    def __init__(
        self,
        messages: Sequence[Message],
        digest: OrgDigest,
        members: frozenset[str],
        people: Mapping[str, Person],
        hidden: frozenset[str],
        now: datetime,
        period_days: int,
        visibility: VisibilityPolicy,
        manager_id: str,
    ) -> None:
        if digest.period_days != period_days:
            raise ValueError(f"the digest counts {digest.period_days}-day periods, not {period_days}")
        self.unseen_teams: frozenset[str] = frozenset()
        # In (channel, id) order whatever the engine's collation: a label is the first common spelling met.
        self.writing = sorted(
            (m for m in messages if m.is_people_writing and m.created_at < now),
            key=lambda m: (m.channel_id, m.id),
        )
        self.digest = digest
        self.members = members
        self.people = people
        self.hidden = hidden
        self.visibility = visibility
        self.manager_id = manager_id
        self.now = now
        self.period_days = period_days
        self.since = now - timedelta(days=period_days)
        self.roots = thread_roots(self.writing)
        self.team_threads = frozenset(
            (m.channel_id, m.reply_to_id or m.id) for m in self.writing if m.author_id in members
        )
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
        self, wanted: set[str], days: int
    ) -> tuple[dict[str, set[str]], dict[str, float], dict[str, float]]:
        """For each wanted term in the last `days`: which members wrote it, how many times more the team uses
        it than the organization does (its share of the team's messages over its share of all), and which
        share of the messages using it are the team's.

        Threads the team took part in count only with the team's own messages: colleagues asking the team
        about its work is no sign that the words are everyone's. The organization's counts come from the
        digest, less the colleagues' messages in the team's threads."""
        since = self.now - timedelta(days=days)
        digest_since = self.digest.at - timedelta(days=days)
        authors: dict[str, set[str]] = defaultdict(set)
        team_docs: Counter[str] = Counter()
        left_out: Counter[str] = Counter()
        team_total = left_out_total = 0
        for message in self.writing:
            if message.author_id in self.members:
                if message.created_at < since:
                    continue
                found = self.terms_of(message) & wanted
                team_total += 1
                team_docs.update(found)
                for term in found:
                    authors[term].add(message.author_id or "")
            elif (
                digest_since <= message.created_at < self.digest.at
                and (message.channel_id, message.reply_to_id or message.id) in self.team_threads
            ):
                left_out_total += 1
                left_out.update(self.terms_of(message) & wanted)
        everyone = self.digest.docs[days]
        # At least the team's own: a digest counted a few hours ago may not hold the team's latest messages.
        total = max(self.digest.totals[days] - left_out_total, team_total)
        all_docs = {term: max(everyone[term] - left_out[term], team_docs[term]) for term in wanted}
        lift = {
            term: (team_docs[term] / team_total) / (all_docs[term] / total)
            for term in wanted
            if team_docs[term]
        }
        ownership = {term: team_docs[term] / all_docs[term] for term in wanted if team_docs[term]}
        return authors, lift, ownership

    def _trends(self, days: int, limit: int) -> list[TopicTrend]:
        trends = topic_trends(
            self.writing, self.members, self.now, days, limit=limit, corpus=self.digest.questions[2 * days]
        )
        return [t for t in trends if t.term not in self._hidden_terms]

    def topics(self) -> tuple[Topic, ...]:
        """The team's own topics this period: words it uses far more than the organization does, which
        at least MIN_GROUP members wrote about."""
        trends = self._trends(self.period_days, MAX_TOPICS * 5)
        authors, lift, ownership = self._distinctive({t.term for t in trends}, self.period_days)
        asked = self.digest.asked[2 * self.period_days]
        shared = [
            t
            for t in trends
            if len(authors[t.term]) >= MIN_GROUP
            and lift.get(t.term, 0.0) >= _MIN_LIFT
            and ownership.get(t.term, 0.0) >= _MIN_TOPIC_OWNERSHIP
            and asked[t.term] >= _MIN_QUESTIONS_PER_TOPIC
        ]
        return tuple(Topic(t.label, t.current, t.previous) for t in shared[:MAX_TOPICS])

    def _domain(self) -> dict[str, str]:
        """The team's domain: the words it wrote about distinctively over a quarter, stem → label."""
        trends = self._trends(DOMAIN_DAYS, 60)
        _, lift, ownership = self._distinctive({t.term for t in trends}, DOMAIN_DAYS)
        return {
            t.term: t.label
            for t in trends
            if lift.get(t.term, 0.0) >= _MIN_LIFT and ownership.get(t.term, 0.0) >= _MIN_DOMAIN_OWNERSHIP
        }

    # --- open questions ------------------------------------------------------------------------------

    def open_question_candidates(self) -> list[tuple[str, str]]:
        """The digest's unanswered questions that `unanswered` could keep: in the period and old enough,
        from outside the team, sharing enough of its domain."""
        until = self.now - QUESTION_MIN_AGE
        return [
            (c.channel_id, c.message_id)
            for c in self.digest.open
            if self.since <= c.created_at <= until
            and c.author_id not in self.members
            and sum(term in c.terms for term in self.domain) >= _QUESTION_DOMAIN_TERMS
        ]

    def unanswered(self, questions: Iterable[Question]) -> tuple[OpenQuestion, ...]:
        """Questions from outside the team, in its domain, that nobody answered: closest to the domain,
        most followed, newest first (`questions`: `find_questions` over the period)."""
        found = []
        for question in questions:
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
