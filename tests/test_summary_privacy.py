"""Over many generated small tenants: a hidden person never appears anywhere in a summary or its card, a
team-only person is named only to a manager on their team, and nobody is named for a topic they hid."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from bot.model import Message, Person, Reaction
from bot.summaries import TeamSummary, build_team_summary, reports_of
from bot.text import terms
from bot.visibility import PersonVisibility, VisibilityPolicy, hides_topic
from cards.summary_card import build_summary_card

NOW = datetime(2026, 11, 28, tzinfo=UTC)
BOSS = "boss"
WORDS = (
    "airflow dag backfill",
    "dbt models schema",
    "kubernetes helm chart",
    "invoice approval flow",
    "lunch menu today",
)


def name_of(index: int) -> str:
    return f"Nimi{index:02d} Sukunimi{index:02d}"


def token_of(index: int) -> str:
    """A word only this person ever writes: if it shows up, their message was quoted."""
    return f"merkki{index:02d}"


Tenant = tuple[dict[str, Person], list[Message], VisibilityPolicy]


@st.composite
def tenants(draw: st.DrawFn) -> Tenant:
    """A boss with a few reports (one of them a lead with reports of their own), colleagues elsewhere,
    threads on a handful of topics over most of a year, thanks by name, @mentions and reactions; some people
    hidden, some team only, some hiding topics (the boss is on the team's department, or has none)."""
    reports = draw(st.integers(min_value=3, max_value=8))
    others = draw(st.integers(min_value=1, max_value=5))
    boss_department = draw(st.sampled_from(["A", None]))
    people = {BOSS: Person(id=BOSS, display_name="Pomo Esihenkilö", department=boss_department)}
    for i in range(reports + others):
        manager = BOSS if i < reports else "elsewhere"
        if i == reports - 1 and reports > 2:
            manager = "p00"  # an indirect report
        people[f"p{i:02d}"] = Person(
            id=f"p{i:02d}",
            display_name=name_of(i),
            department=(
                draw(st.sampled_from(["A", None])) if i < reports else draw(st.sampled_from(["B", "C"]))
            ),
            manager_id=manager,
        )
    ids = sorted(p for p in people if p != BOSS)
    hidden = frozenset(draw(st.sets(st.sampled_from(ids), min_size=1, max_size=max(1, len(ids) // 3))))
    choices = {p: PersonVisibility(hidden=True) for p in hidden}
    for p in ids:
        if p not in hidden and draw(st.booleans()):
            choices[p] = PersonVisibility(
                team_only=draw(st.booleans()),
                hidden_topics=tuple(draw(st.sets(st.sampled_from(["airflow", "kubernetes", "dbt models"])))),
            )
    messages: list[Message] = []
    for thread in range(draw(st.integers(min_value=8, max_value=40))):
        root_author = draw(st.sampled_from(ids))
        # The team asks about its own work, others mostly about theirs, with one topic in common.
        topic = draw(st.sampled_from(WORDS[:3] if int(root_author[1:]) < reports else WORDS[2:]))
        days = draw(
            st.one_of(st.floats(min_value=2.5, max_value=30), st.floats(min_value=2.5, max_value=300))
        )
        thread_id = f"t{thread}"
        messages.append(_message(thread_id, None, root_author, f"How do I fix the {topic}?", days, draw, ids))
        for reply in range(draw(st.integers(min_value=0, max_value=5))):
            author = draw(st.sampled_from(ids))
            text = f"For the {topic} you should restart the worker and check the logs carefully."
            messages.append(
                _message(f"{thread_id}r{reply}", thread_id, author, text, days - 0.1 * (reply + 1), draw, ids)
            )
    return people, messages, VisibilityPolicy("visible", choices, people)


def _message(
    message_id: str,
    reply_to: str | None,
    author: str,
    text: str,
    days_ago: float,
    draw: st.DrawFn,
    ids: list[str],
) -> Message:
    index = int(author[1:])
    named = draw(st.lists(st.sampled_from(ids), max_size=2))
    # Colleagues thank each other by name, with or without an @mention.
    thanks = " ".join(f"Thanks {name_of(int(p[1:]))}!" for p in named)
    mentioned = tuple(p for p in named if draw(st.booleans()))
    at = NOW - timedelta(days=days_ago)
    return Message(
        id=message_id,
        team_id="team",
        channel_id="19:c@thread.tacv2",
        reply_to_id=reply_to,
        author_id=author,
        author_name=name_of(index),
        created_at=at,
        last_modified_at=at,
        deleted_at=None,
        subject=None,
        text=f"{text} {thanks} {token_of(index)}",
        web_url=f"https://teams.microsoft.com/l/message/19:c@thread.tacv2/{message_id}",
        mentions=mentioned,
        reactions=tuple(
            Reaction(p, "like") for p in draw(st.lists(st.sampled_from(ids), max_size=4, unique=True))
        ),
    )


def summarize(tenant: Tenant, indirect: bool, messages: list[Message] | None = None) -> TeamSummary:
    people, all_messages, policy = tenant
    team = reports_of(BOSS, people, include_indirect=indirect)
    return build_team_summary(
        BOSS, team, all_messages if messages is None else messages, people, policy.unrecognisable(), NOW,
        visibility=policy,
    )  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tenants(), st.booleans(), st.sampled_from(["en", "fi"]))
def test_hidden_people_never_appear_in_the_summary_or_its_card(
    tenant: Tenant, indirect: bool, language: str
) -> None:
    hidden = tenant[2].unrecognisable()
    summary = summarize(tenant, indirect)
    sections = ("topics", "helps", "relies_on", "unanswered", "emerging", "recognitions")
    # Steer generation towards tenants whose summaries have something in them, where a leak could happen.
    for section in sections:
        target(float(len(getattr(summary, section))), label=section)
    card = build_summary_card(summary, "fi" if language == "fi" else "en", subscribed=False)
    shown = (
        json.dumps(summary.as_dict(), ensure_ascii=False) + json.dumps(card, ensure_ascii=False)
    ).casefold()
    for person_id in hidden:
        index = int(person_id[1:])
        assert f'"{person_id}"' not in shown
        assert f"/{person_id}" not in shown
        for word in (*name_of(index).casefold().split(), token_of(index)):
            assert word not in shown, f"{person_id} ({word}) appears in the summary"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tenants(), st.booleans())
def test_people_are_named_only_as_their_choices_allow_the_manager(tenant: Tenant, indirect: bool) -> None:
    _, messages, policy = tenant
    summary = summarize(tenant, indirect)
    voices = (*summary.emerging, *summary.recognitions)
    target(float(len(voices)), label="voices")
    target(float(sum(bool(policy.choices_of(v.person_id).hidden_topics) for v in voices)), label="hiders")
    by_id = {m.id: m for m in messages}
    for voice in voices:
        assert policy.may_show(voice.person_id, BOSS, ()), f"{voice.person_id} is team only, not the boss's"
        hidden_topics = policy.choices_of(voice.person_id).hidden_topics
        assert voice.topics
        for topic in voice.topics:
            assert not hides_topic(hidden_topics, terms(topic)), (voice.person_id, topic, hidden_topics)
        for evidence in voice.evidence:
            assert not hides_topic(hidden_topics, terms(by_id[evidence.message_id].text))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tenants(), st.booleans())
def test_hiding_the_topic_a_person_is_named_for_takes_it_off_their_entry(
    tenant: Tenant, indirect: bool
) -> None:
    """Whoever a summary names, for whatever topic: once they hide that topic, they are not named for it."""
    people, messages, policy = tenant
    summary = summarize(tenant, indirect)
    voices = (*summary.emerging, *summary.recognitions)
    target(float(len(voices)), label="voices")
    by_id = {m.id: m for m in messages}
    for voice in voices:
        hidden_topic = voice.topics[0]
        choices = {p: policy.choices_of(p) for p in people}
        mine = choices[voice.person_id]
        choices[voice.person_id] = replace(mine, hidden_topics=(*mine.hidden_topics, hidden_topic))
        again = summarize((people, messages, VisibilityPolicy("visible", choices, people)), indirect)
        for named in (*again.emerging, *again.recognitions):
            if named.person_id == voice.person_id:
                assert hidden_topic not in named.topics
                for evidence in named.evidence:
                    assert not hides_topic((hidden_topic,), terms(by_id[evidence.message_id].text))
