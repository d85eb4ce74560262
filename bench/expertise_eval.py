"""Seula's expert finding measured on real Stack Exchange sites, against two baselines, in one run.

Run by hand from the repository root, never in the test suite (see bench/README.md):

    python -m bench.expertise_eval [--sites iot,cardano] [--cutoff-quantile 0.6] [--limit N] [--json]

For each site under ../shared/data/stackexchange/ (read in place, never copied):

1. The tenant. Everything created before the cutoff (midnight after the day by which `--cutoff-quantile` of
   the questions had been asked) becomes Graph v1.0 JSON Lines: one team and one channel per site; each
   question a root chatMessage (title as `subject`, HTML body as body); its answers, the comments on it and
   the comments on its answers replies in its thread; each up-vote cast before the cutoff a "like" from a
   pseudo-user of its own; every user created before the cutoff (or who wrote something) a `user`.
2. The queries. The titles of the questions asked on or after the cutoff, asked as their asker. Relevant:
   the accepted answerer and every answerer whose answer scored at least 2, less the asker and anyone with
   no message in the tenant; a query left with nobody relevant is dropped.
3. The systems. Seula's engine in process (`import_file` into a fresh SQLite store, then `ExpertFinder`
   with its clock at the cutoff, each title turned into a topic as `python app.py ask` does), and two
   baselines computed here: answer count (popularity) and BM25 over single posts summed per author.
4. The figures. MRR, P@1, nDCG@10 (binary) and R@5 per site and over all queries; the "rising" slice
   (the accepted answerer had at most 3 answers before the cutoff) with MRR and R@5 for the three systems
   and the expected value of a random order, computed exactly.
5. The demo tenant (unless `--no-demo`): recall@3 of each topic's experts for "who knows {topic}?" in English,
   in Finnish and by acronym, asked as a colleague in the topic's home team, and whether its rising people are
   marked rising.

`--check-cli N` also runs the real `python app.py import` and `python app.py ask - --json --as ASKER` on a
fresh store for the first N queries of each site and fails unless their top people and scores are those of
the in-process path (with the same wall clock), so the figures are what the command line would give.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ElementTree
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from bot.commands import WhoKnows, parse_command
from bot.demo import GROUND_TRUTH, write_demo_tenant
from bot.demo.tenant import DEFAULT_NOW
from bot.expert_finder import ExpertFinder
from bot.graph_import import import_file
from bot.store import Store
from bot.text import html_to_text

logger = logging.getLogger("bench.expertise_eval")

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPOSITORY.parent / "shared" / "data" / "stackexchange"
DEFAULT_SITES = ("iot", "cardano")

# Every id in a tenant is derived from this namespace, the site and the Stack Exchange id, so two runs write
# byte-identical tenants and a person keeps their id whatever the cutoff.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/seula/bench/expertise_eval")
TENANT_ID = str(uuid.uuid5(ID_NAMESPACE, "tenant"))
# Message ids: a post keeps its Stack Exchange id; a comment is offset past every post id, so the two kinds
# can never collide within the site's one channel.
COMMENT_ID_OFFSET = 1_000_000_000

UP_VOTE = "2"
QUESTION = "1"
ANSWER = "2"
RELEVANT_ANSWER_SCORE = 2
RISING_MAX_ANSWERS = 3
ENGINE_LIMIT = 1_000_000  # the whole ranking: `ask` would cut it at SEULA_MAX_EXPERTS (5, at most 8)
CLI_TOP = 5  # `ask` lists SEULA_MAX_EXPERTS people, 5 by default
CLI_SCORE_TOLERANCE = 1e-3

# The post-level BM25 baseline: the textbook parameters, Lucene's default English stop set, and tokens that
# are runs of letters and digits, lowercased. Nothing tuned.
BM25_K1 = 1.2
BM25_B = 0.75
_LUCENE_ENGLISH_STOP_SET = (
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these "
    "they this to was will with"
)
BM25_STOPWORDS = frozenset(_LUCENE_ENGLISH_STOP_SET.split())
_BM25_TOKEN = re.compile(r"[^\W_]+")

BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 4
GOAL_RATIO = 1.25

SYSTEMS = ("engine", "answer_count", "bm25_posts")
METRICS = ("mrr", "p@1", "ndcg@10", "r@5")
RISING_METRICS = ("mrr", "r@5")


class BenchError(RuntimeError):
    """The data or a run is not what the evaluation needs; the message says what."""


# --- The dump -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Post:
    """A question or an answer from Posts.xml."""

    id: int
    kind: Literal["question", "answer"]
    owner: int | None
    owner_name: str | None  # set when the owner's account is gone
    created: datetime
    score: int
    body_html: str
    title: str = ""
    tags: tuple[str, ...] = ()
    parent_id: int | None = None  # an answer's question
    accepted_answer_id: int | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    post_id: int
    owner: int | None
    owner_name: str | None
    created: datetime
    text: str


@dataclass(frozen=True, slots=True)
class Vote:
    id: int
    post_id: int
    created: datetime  # day precision in every public dump


@dataclass(frozen=True, slots=True)
class SiteUser:
    id: int
    name: str
    created: datetime
    about_me: str | None


@dataclass(frozen=True)
class SiteDump:
    """The parts of one site's dump the evaluation reads."""

    name: str
    questions: dict[int, Post]
    answers: dict[int, Post]
    comments: list[Comment]
    up_votes: list[Vote]
    users: dict[int, SiteUser]


def load_site(directory: Path) -> SiteDump:
    """Read Posts, Comments, Votes and Users of one Stack Exchange dump."""
    questions: dict[int, Post] = {}
    answers: dict[int, Post] = {}
    for row in _rows(directory / "Posts.xml"):
        kind = row.get("PostTypeId")
        if kind not in (QUESTION, ANSWER):
            continue  # tag wikis and moderator nominations are not conversation
        post = Post(
            id=int(row["Id"]),
            kind="question" if kind == QUESTION else "answer",
            owner=_optional_int(row.get("OwnerUserId")),
            owner_name=row.get("OwnerDisplayName"),
            created=_se_datetime(row["CreationDate"]),
            score=int(row.get("Score") or 0),
            body_html=row.get("Body") or "",
            title=row.get("Title") or "",
            tags=tuple(re.findall(r"<([^<>]+)>", row.get("Tags") or "")),
            parent_id=_optional_int(row.get("ParentId")),
            accepted_answer_id=_optional_int(row.get("AcceptedAnswerId")),
        )
        (questions if post.kind == "question" else answers)[post.id] = post
    comments = [
        Comment(
            id=int(row["Id"]),
            post_id=int(row["PostId"]),
            owner=_optional_int(row.get("UserId")),
            owner_name=row.get("UserDisplayName"),
            created=_se_datetime(row["CreationDate"]),
            text=row.get("Text") or "",
        )
        for row in _rows(directory / "Comments.xml")
    ]
    up_votes = [
        Vote(id=int(row["Id"]), post_id=int(row["PostId"]), created=_se_datetime(row["CreationDate"]))
        for row in _rows(directory / "Votes.xml")
        if row.get("VoteTypeId") == UP_VOTE
    ]
    users = {
        int(row["Id"]): SiteUser(
            id=int(row["Id"]),
            name=row.get("DisplayName") or f"user{row['Id']}",
            created=_se_datetime(row["CreationDate"]),
            about_me=row.get("AboutMe"),
        )
        for row in _rows(directory / "Users.xml")
    }
    if not questions:
        raise BenchError(f"{directory / 'Posts.xml'} holds no questions")
    too_big = [post_id for post_id in (*questions, *answers) if post_id >= COMMENT_ID_OFFSET]
    if too_big:
        raise BenchError(f"post id {too_big[0]} would collide with comment ids; raise COMMENT_ID_OFFSET")
    return SiteDump(directory.name, questions, answers, comments, up_votes, users)


def choose_cutoff(dump: SiteDump, quantile: float) -> datetime:
    """Midnight (UTC) after the day by which `quantile` of the site's questions had been asked."""
    asked = sorted(question.created for question in dump.questions.values())
    index = min(len(asked) - 1, max(0, math.ceil(quantile * len(asked)) - 1))
    day = asked[index].date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _rows(path: Path) -> Iterable[dict[str, str]]:
    if not path.is_file():
        raise BenchError(f"missing {path}")
    for _, element in ElementTree.iterparse(path):
        if element.tag == "row":
            yield dict(element.attrib)
            element.clear()


def _optional_int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def _se_datetime(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)  # the dumps write UTC without a zone


# --- The tenant ----------------------------------------------------------------------------------------


def person_id(site: str, user_id: int) -> str:
    """The pseudo Entra object id of a Stack Exchange user."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{site}/user/{user_id}"))


def anonymous_id(site: str, kind: str, item_id: int) -> str:
    """A pseudo person for a post or comment whose account is gone: one per item, never relevant."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{site}/anonymous/{kind}/{item_id}"))


def voter_id(site: str, vote_id: int) -> str:
    """The pseudo reactor of one up-vote: votes are anonymous in the dump, so each vote gets its own."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{site}/vote/{vote_id}"))


def comment_message_id(comment_id: int) -> str:
    return str(COMMENT_ID_OFFSET + comment_id)


@dataclass(frozen=True, slots=True)
class AuthoredText:
    """A message in the tenant as the post-level BM25 baseline sees it."""

    author: str
    text: str


@dataclass
class History:
    """Who wrote what before the cutoff: what the baselines and the relevance filter need."""

    messages: Counter[str] = field(default_factory=Counter)  # any message in the tenant
    answers: Counter[str] = field(default_factory=Counter)
    documents: list[AuthoredText] = field(default_factory=list)

    @property
    def people(self) -> frozenset[str]:
        return frozenset(self.messages)


@dataclass(frozen=True, slots=True)
class Channel:
    site: str
    team_id: str
    id: str


@dataclass(frozen=True)
class Tenant:
    """One site before its cutoff, as Graph objects, with what the baselines read from the same data."""

    site: str
    cutoff: datetime
    objects: list[dict[str, Any]]
    history: History
    counts: dict[str, int]


def build_tenant(dump: SiteDump, cutoff: datetime, with_tags: bool, with_about_me: bool) -> Tenant:
    """Turn everything in `dump` created before `cutoff` into Graph v1.0 objects."""
    site = dump.name
    team_id = str(uuid.uuid5(ID_NAMESPACE, f"{site}/team"))
    channel_id = f"19:{uuid.uuid5(ID_NAMESPACE, f'{site}/channel').hex}@thread.tacv2"
    channel = Channel(site, team_id, channel_id)
    history = History()
    names = {user.id: user.name for user in dump.users.values()}

    def author(owner: int | None, owner_name: str | None, kind: str, item_id: int) -> tuple[str, str]:
        if owner is not None:
            return person_id(site, owner), names.get(owner, owner_name or f"user{owner}")
        return anonymous_id(site, kind, item_id), owner_name or "Anonymous"

    votes: dict[int, list[Vote]] = defaultdict(list)
    for vote in dump.up_votes:
        if vote.created < cutoff:
            votes[vote.post_id].append(vote)
    questions = {q.id: q for q in dump.questions.values() if q.created < cutoff}
    answers = sorted(
        (a for a in dump.answers.values() if a.created < cutoff and a.parent_id in questions),
        key=lambda a: (a.created, a.id),
    )
    thread_of = {q.id: q.id for q in questions.values()} | {a.id: a.parent_id or 0 for a in answers}

    def reactions(post_id: int) -> list[tuple[str, datetime]]:
        return [(voter_id(site, vote.id), vote.created) for vote in votes[post_id]]

    messages: list[dict[str, Any]] = []
    for question in sorted(questions.values(), key=lambda q: (q.created, q.id)):
        who = author(question.owner, question.owner_name, "post", question.id)
        body = question.body_html
        if with_tags and question.tags:
            body += "<p>" + " ".join(f"#{tag}" for tag in question.tags) + "</p>"
        messages.append(
            chat_message(
                channel,
                message_id=str(question.id),
                reply_to=None,
                author=who,
                created=question.created,
                body=body,
                subject=question.title,
                url=f"https://{site}.stackexchange.com/q/{question.id}",
                reactors=reactions(question.id),
            )
        )
        history.messages[who[0]] += 1
        history.documents.append(
            AuthoredText(who[0], f"{question.title}\n{html_to_text(question.body_html)}")
        )
    for answer in answers:
        who = author(answer.owner, answer.owner_name, "post", answer.id)
        messages.append(
            chat_message(
                channel,
                message_id=str(answer.id),
                reply_to=str(answer.parent_id),
                author=who,
                created=answer.created,
                body=answer.body_html,
                url=f"https://{site}.stackexchange.com/a/{answer.id}",
                reactors=reactions(answer.id),
            )
        )
        history.messages[who[0]] += 1
        history.answers[who[0]] += 1
        history.documents.append(AuthoredText(who[0], html_to_text(answer.body_html)))
    comments = 0
    for comment in sorted(dump.comments, key=lambda c: (c.created, c.id)):
        root = thread_of.get(comment.post_id)
        if comment.created >= cutoff or root is None:
            continue  # later, or on a tag wiki or a post the tenant does not hold
        who = author(comment.owner, comment.owner_name, "comment", comment.id)
        messages.append(
            chat_message(
                channel,
                message_id=comment_message_id(comment.id),
                reply_to=str(root),
                author=who,
                created=comment.created,
                body=comment.text,
                content_type="text",  # comments are plain text (with a little Markdown) in the dump
                url=f"https://{site}.stackexchange.com/questions/{root}#comment{comment.id}_{comment.post_id}",
            )
        )
        history.messages[who[0]] += 1
        history.documents.append(AuthoredText(who[0], comment.text))
        comments += 1

    writers = {
        owner
        for owner in (
            *(q.owner for q in questions.values()),
            *(a.owner for a in answers),
            *(c.owner for c in dump.comments if c.created < cutoff),
        )
        if owner is not None
    }
    users = [
        user_object(site, user, with_about_me)
        for user in sorted(dump.users.values(), key=lambda u: u.id)
        if user.created < cutoff or user.id in writers
    ]
    objects = [
        {"@odata.type": "#microsoft.graph.team", "id": team_id, "displayName": f"{site}.stackexchange.com"},
        {
            "@odata.type": "#microsoft.graph.channel",
            "id": channel_id,
            "displayName": "General",
            "membershipType": "standard",
            "teamId": team_id,
        },
        *users,
        *messages,
    ]
    counts = {
        "users": len(users),
        "questions": len(questions),
        "answers": len(answers),
        "comments": comments,
        "reactions": sum(len(votes[post_id]) for post_id in thread_of),
        "people_with_messages": len(history.messages),
    }
    return Tenant(site, cutoff, objects, history, counts)


def user_object(site: str, user: SiteUser, with_about_me: bool) -> dict[str, Any]:
    """A Graph `user` for a Stack Exchange account."""
    obj: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.user",
        "id": person_id(site, user.id),
        "displayName": user.name,
        "userPrincipalName": f"se{user.id}@{site}.stackexchange.example",
        "accountEnabled": True,
    }
    if with_about_me and user.about_me:
        obj["aboutMe"] = user.about_me
    return obj


def chat_message(
    channel: Channel,
    *,
    message_id: str,
    reply_to: str | None,
    author: tuple[str, str],
    created: datetime,
    body: str,
    content_type: Literal["html", "text"] = "html",
    subject: str | None = None,
    url: str | None = None,
    reactors: Sequence[tuple[str, datetime]] = (),
) -> dict[str, Any]:
    """A channel `chatMessage` as Graph returns it."""
    stamp = _graph_datetime(created)
    return {
        "@odata.type": "#microsoft.graph.chatMessage",
        "id": message_id,
        "replyToId": reply_to,
        "etag": message_id,
        "messageType": "message",
        "createdDateTime": stamp,
        "lastModifiedDateTime": stamp,
        "lastEditedDateTime": None,
        "deletedDateTime": None,
        "subject": subject,
        "summary": None,
        "chatId": None,
        "importance": "normal",
        "locale": "en-us",
        "webUrl": url,
        "policyViolation": None,
        "eventDetail": None,
        "from": {"application": None, "device": None, "user": _identity(*author)},
        "body": {"contentType": content_type, "content": body},
        "channelIdentity": {"teamId": channel.team_id, "channelId": channel.id},
        "attachments": [],
        "mentions": [],
        "reactions": [
            {
                "reactionType": "like",
                "displayName": "Like",
                "reactionContentUrl": None,
                "createdDateTime": _graph_datetime(at),
                "user": {"application": None, "device": None, "user": _identity(reactor, None)},
            }
            for reactor, at in reactors
        ],
    }


def _identity(user_id: str, name: str | None) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.teamworkUserIdentity",
        "id": user_id,
        "displayName": name,
        "userIdentityType": "aadUser",
        "tenantId": TENANT_ID,
    }


def _graph_datetime(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_tenant(tenant: Tenant, path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for obj in tenant.objects:
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")


# --- The queries ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A later question's title, who asked it, and who answered it well."""

    site: str
    question_id: int
    title: str
    asker: str | None
    relevant: frozenset[str]
    accepted: str | None  # the accepted answerer, when relevant
    accepted_prior_answers: int | None
    candidates: int  # everyone with a message in the tenant, less the asker: the pool a random order draws

    @property
    def rising(self) -> bool:
        """The accepted answerer had at most RISING_MAX_ANSWERS answers before the cutoff."""
        return self.accepted is not None and (self.accepted_prior_answers or 0) <= RISING_MAX_ANSWERS


def build_queries(dump: SiteDump, tenant: Tenant) -> tuple[list[Query], dict[str, int]]:
    """The questions asked on or after the cutoff that someone with history answered well; and the drops."""
    site, history = dump.name, tenant.history
    known = history.people
    answers_to: dict[int, list[Post]] = defaultdict(list)
    for answer in dump.answers.values():
        if answer.parent_id is not None:
            answers_to[answer.parent_id].append(answer)
    dropped: Counter[str] = Counter()
    queries = []
    for question in sorted(dump.questions.values(), key=lambda q: (q.created, q.id)):
        if question.created < tenant.cutoff:
            continue
        asker = person_id(site, question.owner) if question.owner is not None else None
        accepted_post = dump.answers.get(question.accepted_answer_id or -1)
        accepted = (
            person_id(site, accepted_post.owner)
            if accepted_post is not None and accepted_post.owner is not None
            else None
        )
        scored = {
            person_id(site, a.owner)
            for a in answers_to[question.id]
            if a.owner is not None and a.score >= RELEVANT_ANSWER_SCORE
        }
        wanted = scored | ({accepted} if accepted else set())
        if not wanted:
            dropped["nobody answered well"] += 1
            continue
        relevant = frozenset(p for p in wanted if p != asker and p in known)
        if not relevant:
            dropped["only the asker or newcomers answered well"] += 1
            continue
        if not question.title.strip():
            dropped["no title"] += 1
            continue
        kept_accepted = accepted if accepted in relevant else None
        queries.append(
            Query(
                site=site,
                question_id=question.id,
                title=" ".join(question.title.split()),
                asker=asker,
                relevant=relevant,
                accepted=kept_accepted,
                accepted_prior_answers=history.answers[kept_accepted] if kept_accepted else None,
                candidates=len(known - {asker}) if asker else len(known),
            )
        )
    return queries, dict(dropped)


# --- The systems ---------------------------------------------------------------------------------------


def ask_topic(title: str) -> str:
    """The topic `python app.py ask` searches for this text (see app.py `_ask`)."""
    command = parse_command(title)
    return command.topic if isinstance(command, WhoKnows) else title


@dataclass(frozen=True)
class EngineRun:
    rankings: list[list[str]]
    topics: list[str]
    terms: list[tuple[str, ...]]
    scores: list[list[float]]
    seconds: dict[str, float]


async def run_engine(
    tenant_path: Path, database_url: str, queries: Sequence[Query], clock: Callable[[], datetime]
) -> EngineRun:
    """Import the tenant into a fresh store and rank everyone for each query, as `ask --as ASKER` would."""
    started = time.perf_counter()
    store = await Store.open(database_url)
    try:
        # As `open_services` does; a fresh store has erased nobody, so any key gives the same (empty) list.
        await store.load_stop_list(b"seula-bench-expertise-eval")
        report = await import_file(store, tenant_path)
        if report.error_count:
            raise BenchError(f"the tenant did not import cleanly: {report.as_dict()}")
        imported = time.perf_counter()
        finder = ExpertFinder(store, clock=clock)
        await finder.refresh(force=True)
        indexed = time.perf_counter()
        rankings, topics, query_terms, scores = [], [], [], []
        for query in queries:
            topic = ask_topic(query.title)
            answer = await finder.find(topic, query.title, query.asker, ENGINE_LIMIT)
            rankings.append([expert.person_id for expert in answer.experts])
            scores.append([expert.score for expert in answer.experts])
            topics.append(topic)
            query_terms.append(answer.terms)
        done = time.perf_counter()
    finally:
        await store.close()
    return EngineRun(
        rankings,
        topics,
        query_terms,
        scores,
        {
            "import": round(imported - started, 3),
            "index": round(indexed - imported, 3),
            "queries": round(done - indexed, 3),
        },
    )


def rank_by_answer_count(history: History, asker: str | None) -> list[str]:
    """Everyone with history, most answers before the cutoff first (ties: more messages, then id)."""
    people = [p for p in history.messages if p != asker]
    return sorted(people, key=lambda p: (-history.answers[p], -history.messages[p], p))


def bm25_tokens(text: str) -> list[str]:
    return [t for t in _BM25_TOKEN.findall(text.lower()) if t not in BM25_STOPWORDS]


class PostBM25:
    """BM25 over single posts (question title + body, answer body, comment text), summed per author."""

    def __init__(self, documents: Sequence[AuthoredText]) -> None:
        self._authors = [d.author for d in documents]
        self._lengths: list[int] = []
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc_id, document in enumerate(documents):
            tokens = bm25_tokens(document.text)
            self._lengths.append(len(tokens))
            for token, count in Counter(tokens).items():
                self._postings[token].append((doc_id, count))
        self._average = sum(self._lengths) / len(self._lengths) if self._lengths else 1.0

    def rank(self, query: str, asker: str | None) -> list[str]:
        """Authors of matching posts by their posts' summed BM25 scores, best first, without the asker."""
        n = len(self._lengths)
        by_author: dict[str, float] = defaultdict(float)
        for term in dict.fromkeys(bm25_tokens(query)):
            postings = self._postings.get(term, [])
            idf = math.log(1 + (n - len(postings) + 0.5) / (len(postings) + 0.5))
            for doc_id, tf in postings:
                norm = BM25_K1 * (1 - BM25_B + BM25_B * self._lengths[doc_id] / self._average)
                by_author[self._authors[doc_id]] += idf * tf * (BM25_K1 + 1) / (tf + norm)
        by_author.pop(asker or "", None)
        return sorted(by_author, key=lambda p: (-by_author[p], p))


# --- The metrics ---------------------------------------------------------------------------------------


def first_relevant_rank(ranking: Sequence[str], relevant: frozenset[str]) -> int | None:
    return next((rank for rank, p in enumerate(ranking, start=1) if p in relevant), None)


def score_ranking(ranking: Sequence[str], relevant: frozenset[str]) -> dict[str, float]:
    """MRR, P@1, nDCG@10 (binary gains) and R@5 of one ranking."""
    first = first_relevant_rank(ranking, relevant)
    dcg = sum(1 / math.log2(i + 2) for i, p in enumerate(ranking[:10]) if p in relevant)
    return {
        "mrr": 1 / first if first else 0.0,
        "p@1": 1.0 if first == 1 else 0.0,
        "ndcg@10": dcg / _ideal_dcg(len(relevant)),
        "r@5": len(relevant.intersection(ranking[:5])) / len(relevant),
    }


def expected_random(pool: int, relevant: int) -> dict[str, float]:
    """The expected metrics of a uniformly random order of `pool` people of whom `relevant` are relevant."""
    if pool <= 0 or relevant <= 0:
        return dict.fromkeys(METRICS, 0.0)
    # P(the first relevant person is at rank r) = C(pool - r, relevant - 1) / C(pool, relevant)
    total = math.comb(pool, relevant)
    mrr = sum(math.comb(pool - r, relevant - 1) / total / r for r in range(1, pool - relevant + 2))
    share = relevant / pool
    gain = sum(share / math.log2(i + 2) for i in range(min(10, pool)))
    return {"mrr": mrr, "p@1": share, "ndcg@10": gain / _ideal_dcg(relevant), "r@5": min(5, pool) / pool}


def _ideal_dcg(relevant: int) -> float:
    return sum(1 / math.log2(i + 2) for i in range(min(10, relevant)))


def mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else float("nan")


def standard_error(values: Sequence[float]) -> float:
    if len(values) < 2:
        return float("nan")
    centre = mean(values)
    return math.sqrt(sum((v - centre) ** 2 for v in values) / (len(values) - 1) / len(values))


def bootstrap_ratio(numerator: Sequence[float], denominator: Sequence[float]) -> tuple[float, float]:
    """A 95% interval of mean(numerator) / mean(denominator) over paired, resampled queries (seeded)."""
    rng = random.Random(BOOTSTRAP_SEED)
    n = len(numerator)
    ratios = []
    for _ in range(BOOTSTRAP_SAMPLES):
        picks = [rng.randrange(n) for _ in range(n)]
        below = sum(denominator[i] for i in picks)
        if below:
            ratios.append(sum(numerator[i] for i in picks) / below)
    ratios.sort()
    return ratios[int(0.025 * len(ratios))], ratios[math.ceil(0.975 * len(ratios)) - 1]


@dataclass(frozen=True)
class QueryResult:
    query: Query
    topic: str
    terms: tuple[str, ...]
    rankings: dict[str, list[str]]  # system → people, best first

    def metrics(self, system: str) -> dict[str, float]:
        return score_ranking(self.rankings[system], self.query.relevant)

    def rising_metrics(self, system: str) -> dict[str, float]:
        # On the rising slice only the rising person counts: is *they* found?
        assert self.query.accepted is not None
        return score_ranking(self.rankings[system], frozenset({self.query.accepted}))

    def random_metrics(self) -> dict[str, float]:
        return expected_random(self.query.candidates, len(self.query.relevant))

    def random_rising_metrics(self) -> dict[str, float]:
        return expected_random(self.query.candidates, 1)


def summarise(results: Sequence[QueryResult]) -> dict[str, Any]:
    """Macro averages over `results`, and over its rising slice, for every system and random."""
    rising = [r for r in results if r.query.rising]
    all_systems: dict[str, dict[str, float]] = {
        system: {m: mean(r.metrics(system)[m] for r in results) for m in METRICS} for system in SYSTEMS
    }
    for system in SYSTEMS:
        all_systems[system]["mrr_se"] = standard_error([r.metrics(system)["mrr"] for r in results])
    all_systems["random"] = {m: mean(r.random_metrics()[m] for r in results) for m in METRICS}
    rising_systems: dict[str, dict[str, float]] = {
        system: {m: mean(r.rising_metrics(system)[m] for r in rising) for m in RISING_METRICS}
        for system in SYSTEMS
    }
    rising_systems["random"] = {m: mean(r.random_rising_metrics()[m] for r in rising) for m in RISING_METRICS}
    return {
        "queries": len(results),
        "metrics": all_systems,
        "rising": {"queries": len(rising), "metrics": rising_systems},
    }


# --- The command line check ----------------------------------------------------------------------------


def check_cli(tenant_path: Path, workdir: Path, queries: Sequence[Query]) -> dict[str, Any]:
    """Run `app.py import` and `app.py ask - --json --as ASKER`, and compare with the in-process path."""
    database_url = f"sqlite:///{workdir / 'cli.db'}"
    env = {**os.environ, "DATABASE_URL": database_url, "SEULA_DEMO_TENANT": "off", "LOG_LEVEL": "WARNING"}
    env["SEULA_DATA_DIR"] = str(workdir / "data")
    app = [sys.executable, str(REPOSITORY / "app.py")]
    subprocess.run(
        [*app, "import", str(tenant_path), "--json"],
        env=env,
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    by_asker: dict[str | None, list[Query]] = defaultdict(list)
    for query in queries:
        by_asker[query.asker].append(query)
    cli: dict[int, list[tuple[str, float]]] = {}
    for asker, asked in by_asker.items():
        command = [*app, "ask", "-", "--json", *(["--as", asker] if asker else [])]
        done = subprocess.run(
            command,
            env=env,
            cwd=workdir,
            check=True,
            capture_output=True,
            text=True,
            input="".join(q.title + "\n" for q in asked),
        )
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        if len(lines) != len(asked):
            raise BenchError(f"`ask -` printed {len(lines)} answers for {len(asked)} queries")
        for query, line in zip(asked, lines, strict=True):
            cli[query.question_id] = [(e["id"], e["score"]) for e in line["experts"]]
    # The same store, read in process with the same (wall) clock the command line used.
    run = asyncio.run(run_engine(tenant_path, f"sqlite:///{workdir / 'inproc.db'}", queries, _utc_now))
    mismatches = []
    for query, ranking, scores in zip(queries, run.rankings, run.scores, strict=True):
        ours = list(zip(ranking[:CLI_TOP], scores[:CLI_TOP], strict=True))
        theirs = cli[query.question_id]
        same = len(ours) == len(theirs) and all(
            a == b and abs(x - y) <= CLI_SCORE_TOLERANCE for (a, x), (b, y) in zip(ours, theirs, strict=True)
        )
        if not same:
            mismatches.append({"question_id": query.question_id, "in_process": ours, "cli": theirs})
    return {"queries": len(queries), "mismatches": mismatches}


# --- The demo tenant -----------------------------------------------------------------------------------

DEMO_TOP = 3
# Short names the demo's people use for a topic (its own term lists hold them): the learned synonyms must
# lead these to the topic's experts.
DEMO_ACRONYMS = {"kubernetes": "k8s", "terraform": "IaC", "azure_devops": "ADO", "accessibility": "a11y"}


def demo_queries() -> list[tuple[str, str, frozenset[str]]]:
    """(topic key, question, experts) for each topic asked in English, in Finnish, and by acronym."""
    queries = []
    for topic in GROUND_TRUTH.topics:
        experts = frozenset(topic.experts)
        queries.append((topic.key, f"who knows {topic.name}?", experts))
        queries.append((topic.key, f"kuka osaa {topic.name_fi}?", experts))
        if topic.key in DEMO_ACRONYMS:
            queries.append((topic.key, f"who knows {DEMO_ACRONYMS[topic.key]}?", experts))
    return queries


def demo_askers(path: Path) -> dict[str, str]:
    """For each topic, a colleague in its home team who is not one of its experts or rising people.

    The questions are asked as them, not anonymously: an unknown asker sees public teams only, and the
    demo's private teams (Customer Success, Design) hold topics too. What is measured is the ranking.
    """
    with path.open(encoding="utf-8") as lines:
        objects = [
            json.loads(line)
            for line in lines
            if any(kind in line for kind in ('ConversationMember"', 'channel"'))
        ]
    team_of = {
        o["displayName"]: o["teamId"] for o in objects if o["@odata.type"] == "#microsoft.graph.channel"
    }
    members: dict[str, list[str]] = defaultdict(list)
    for o in objects:
        if o["@odata.type"] == "#microsoft.graph.aadUserConversationMember":
            members[o["teamId"]].append(o["userId"])
    askers = {}
    for topic in GROUND_TRUTH.topics:
        known = {*topic.experts, *topic.rising}
        askers[topic.key] = min(p for p in members[team_of[topic.channel]] if p not in known)
    return askers


async def run_demo(workdir: Path) -> dict[str, Any]:
    """Recall@3 of the demo tenant's experts, and which rising people are marked rising on their topic."""
    path = workdir / "demo.jsonl"
    write_demo_tenant(path, now=DEFAULT_NOW)
    store = await Store.open(f"sqlite:///{workdir / 'demo.db'}")
    try:
        await store.load_stop_list(b"seula-bench-expertise-eval")
        await import_file(store, path)
        finder = ExpertFinder(store, clock=lambda: DEFAULT_NOW)
        askers = demo_askers(path)
        rows = []
        for key, question, experts in demo_queries():
            answer = await finder.find(ask_topic(question), question, askers[key], DEMO_TOP)
            top = [expert.person_id for expert in answer.experts]
            found = len(experts.intersection(top))
            rows.append(
                {
                    "topic": key,
                    "question": question,
                    "recall": found / min(DEMO_TOP, len(experts)),
                    "top": [expert.name for expert in answer.experts],
                    "rising_marked": [expert.name for expert in answer.experts if _is_rising(expert)],
                }
            )
        rising_topics = [t for t in GROUND_TRUTH.topics if t.rising]
        rising_found = 0
        for topic in rising_topics:
            answer = await finder.find(topic.name, topic.name, askers[topic.key], ENGINE_LIMIT)
            marked = {expert.person_id for expert in answer.experts if _is_rising(expert)}
            rising_found += bool(marked.intersection(topic.rising))
        marks = 0
        for topic in GROUND_TRUTH.topics:
            top5 = await finder.find(topic.name, topic.name, askers[topic.key], 5)
            marks += sum(_is_rising(expert) for expert in top5.experts)
    finally:
        await store.close()
    return {
        "recall@3": mean(row["recall"] for row in rows),
        "queries": len(rows),
        "misses": [row for row in rows if row["recall"] < 1],
        "rising_topics": len(rising_topics),
        "rising_marked_on_their_topic": rising_found,
        "marked_rising_in_top5": marks,
    }


def _is_rising(expert: Any) -> bool:
    return bool(getattr(expert, "rising", False))


def _utc_now() -> datetime:
    return datetime.now(UTC)


# --- The run -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteRun:
    site: str
    cutoff: datetime
    tenant_counts: dict[str, int]
    dropped: dict[str, int]
    results: list[QueryResult]
    seconds: dict[str, float]
    cli_check: dict[str, Any] | None


def evaluate_site(directory: Path, arguments: argparse.Namespace, workdir: Path) -> SiteRun:
    """Build the tenant and the queries of one site and rank with every system."""
    started = time.perf_counter()
    dump = load_site(directory)
    cutoff = choose_cutoff(dump, arguments.cutoff_quantile)
    tenant = build_tenant(dump, cutoff, arguments.tags, arguments.about_me)
    queries, dropped = build_queries(dump, tenant)
    if arguments.limit is not None:
        queries = queries[: arguments.limit]
    if not queries:
        raise BenchError(f"{dump.name}: no queries after the cutoff {cutoff:%Y-%m-%d}")
    site_dir = workdir / dump.name
    site_dir.mkdir(parents=True, exist_ok=True)
    tenant_path = site_dir / "tenant.jsonl"
    write_tenant(tenant, tenant_path)
    built = time.perf_counter()
    engine = asyncio.run(
        run_engine(tenant_path, f"sqlite:///{site_dir / 'seula.db'}", queries, clock=lambda: cutoff)
    )
    bm25 = PostBM25(tenant.history.documents)
    results = [
        QueryResult(
            query=query,
            topic=topic,
            terms=query_terms,
            rankings={
                "engine": ranking,
                "answer_count": rank_by_answer_count(tenant.history, query.asker),
                "bm25_posts": bm25.rank(query.title, query.asker),
            },
        )
        for query, topic, query_terms, ranking in zip(
            queries, engine.topics, engine.terms, engine.rankings, strict=True
        )
    ]
    cli_check = None
    if arguments.check_cli:
        cli_check = check_cli(tenant_path, site_dir, queries[: arguments.check_cli])
    return SiteRun(
        site=dump.name,
        cutoff=cutoff,
        tenant_counts=tenant.counts,
        dropped=dropped,
        results=results,
        seconds={
            "tenant": round(built - started, 3),
            **engine.seconds,
            "total": round(time.perf_counter() - started, 3),
        },
        cli_check=cli_check,
    )


def report_json(runs: Sequence[SiteRun], arguments: argparse.Namespace) -> dict[str, Any]:
    """Everything: settings, per site and overall figures, the goal, and every query's ranks."""
    everything = [result for run in runs for result in run.results]
    overall = summarise(everything)
    best = max(("answer_count", "bm25_posts"), key=lambda s: overall["metrics"][s]["mrr"])
    best_baseline = overall["metrics"][best]["mrr"]
    engine_mrr = overall["metrics"]["engine"]["mrr"]
    low, high = bootstrap_ratio(
        [r.metrics("engine")["mrr"] for r in everything], [r.metrics(best)["mrr"] for r in everything]
    )
    return {
        "settings": {
            "sites": [run.site for run in runs],
            "cutoff_quantile": arguments.cutoff_quantile,
            "limit": arguments.limit,
            "tags_in_text": arguments.tags,
            "about_me": arguments.about_me,
            "relevant_answer_score": RELEVANT_ANSWER_SCORE,
            "rising_max_answers": RISING_MAX_ANSWERS,
            "bm25": {"k1": BM25_K1, "b": BM25_B, "stopwords": sorted(BM25_STOPWORDS)},
        },
        "sites": {
            run.site: {
                "cutoff": run.cutoff.isoformat(),
                "tenant": run.tenant_counts,
                "dropped_queries": run.dropped,
                "seconds": run.seconds,
                "cli_check": run.cli_check,
                **summarise(run.results),
            }
            for run in runs
        },
        "overall": overall,
        "goal": {
            "engine_mrr": engine_mrr,
            "best_baseline": best,
            "best_baseline_mrr": best_baseline,
            "ratio": engine_mrr / best_baseline if best_baseline else None,
            "ratio_ci95": [low, high],
            "target_ratio": GOAL_RATIO,
            "met": engine_mrr >= GOAL_RATIO * best_baseline,
        },
        "queries": [
            {
                "site": r.query.site,
                "question_id": r.query.question_id,
                "title": r.query.title,
                "topic": r.topic,
                "terms": list(r.terms),
                "asker": r.query.asker,
                "relevant": sorted(r.query.relevant),
                "accepted": r.query.accepted,
                "accepted_prior_answers": r.query.accepted_prior_answers,
                "rising": r.query.rising,
                "candidates": r.query.candidates,
                "first_relevant_rank": {
                    s: first_relevant_rank(r.rankings[s], r.query.relevant) for s in SYSTEMS
                },
                "top5": {s: r.rankings[s][:5] for s in SYSTEMS},
            }
            for r in everything
        ],
    }


def print_table(report: Mapping[str, Any]) -> None:
    """The figures as fixed-width tables."""
    rows: list[tuple[str, Mapping[str, Any]]] = [
        *((site, body) for site, body in report["sites"].items()),
        ("overall", report["overall"]),
    ]
    for site, body in report["sites"].items():
        print(
            f"{site}: cutoff {body['cutoff'][:10]}, tenant {body['tenant']}, "
            f"{body['queries']} queries (dropped {body['dropped_queries']}), {body['seconds']['total']:.1f} s"
        )
        check = body.get("cli_check")
        if check is not None:
            verdict = "match" if not check["mismatches"] else f"{len(check['mismatches'])} MISMATCHES"
            print(f"  app.py import + ask - --json --as on {check['queries']} queries: {verdict}")
    print()
    header = f"{'site':<9}{'n':>5}  {'system':<14}{'mrr':>9}{'±se':>7}" + "".join(
        f"{m:>9}" for m in METRICS[1:]
    )
    print(header)
    print("-" * len(header))
    for site, body in rows:
        for system in (*SYSTEMS, "random"):
            values = body["metrics"][system]
            error = f"{values['mrr_se']:>7.3f}" if "mrr_se" in values else ""
            print(
                f"{site:<9}{body['queries']:>5}  {system:<14}{values['mrr']:>9.3f}{error:>7}"
                + "".join(f"{values[m]:>9.3f}" for m in METRICS[1:])
            )
        print()
    print(f"Rising slice: the accepted answerer had at most {RISING_MAX_ANSWERS} answers before the cutoff;")
    print("only they count as relevant.")
    header = f"{'site':<9}{'n':>5}  {'system':<14}" + "".join(f"{m:>9}" for m in RISING_METRICS)
    print(header)
    print("-" * len(header))
    for site, body in rows:
        rising = body["rising"]
        for system in (*SYSTEMS, "random"):
            values = rising["metrics"][system]
            print(
                f"{site:<9}{rising['queries']:>5}  {system:<14}"
                + "".join(f"{values[m]:>9.3f}" for m in RISING_METRICS)
            )
        print()
    goal = report["goal"]
    low, high = goal["ratio_ci95"]
    print(
        f"Goal: engine MRR {goal['engine_mrr']:.3f} vs {goal['best_baseline']} "
        f"{goal['best_baseline_mrr']:.3f} = {goal['ratio']:.2f}x (95% paired bootstrap {low:.2f}–{high:.2f}; "
        f"target {goal['target_ratio']}x): {'MET' if goal['met'] else 'NOT MET'}"
    )
    demo = report.get("demo")
    if demo:
        print(
            f"Demo tenant: recall@{DEMO_TOP} {demo['recall@3']:.3f} over {demo['queries']} questions; rising "
            f"people marked on their topic {demo['rising_marked_on_their_topic']}/{demo['rising_topics']}, "
            f"{demo['marked_rising_in_top5']} marks in all topics' top 5"
        )
        for miss in demo["misses"]:
            print(f"  miss {miss['recall']:.2f}: {miss['question']} -> {', '.join(miss['top'])}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.expertise_eval", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sites", default=",".join(DEFAULT_SITES), help="comma-separated site folders")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding the site folders")
    parser.add_argument(
        "--cutoff-quantile", type=float, default=0.6, help="share of questions asked before the cutoff day"
    )
    parser.add_argument("--limit", type=int, help="evaluate only the first N queries of each site")
    parser.add_argument("--tags", action="store_true", help="append each question's tags to its body")
    parser.add_argument("--about-me", action="store_true", help="give users their (undated) AboutMe")
    parser.add_argument(
        "--check-cli",
        type=int,
        default=0,
        metavar="N",
        help="also run app.py import/ask on the first N queries of each site and compare",
    )
    parser.add_argument("--json", action="store_true", help="print everything as one JSON object")
    parser.add_argument("--workdir", type=Path, help="where tenants and stores go (default: a temp dir)")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo tenant's recall@3")
    arguments = parser.parse_args(argv)
    if not 0 < arguments.cutoff_quantile < 1:
        parser.error("--cutoff-quantile must be between 0 and 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sites = [s.strip() for s in arguments.sites.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="seula-eval-") as scratch:
        workdir = arguments.workdir or Path(scratch)
        try:
            runs = [evaluate_site(arguments.data / site, arguments, workdir) for site in sites]
        except BenchError as error:
            print(f"expertise_eval: {error}", file=sys.stderr)
            return 1
        demo = None if arguments.no_demo else asyncio.run(run_demo(workdir))
    report = report_json(runs, arguments)
    report["demo"] = demo
    if arguments.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print_table(report)
    failed_checks = [run.site for run in runs if run.cli_check and run.cli_check["mismatches"]]
    return 1 if failed_checks else 0


if __name__ == "__main__":
    sys.exit(main())
