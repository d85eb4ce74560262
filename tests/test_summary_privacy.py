"""Over many generated small tenants: a hidden person never appears anywhere in a summary or its card."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from bot.model import Message, Person, Reaction
from bot.summaries import build_team_summary, reports_of
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


@st.composite
def tenants(draw: st.DrawFn) -> tuple[dict[str, Person], list[Message], frozenset[str]]:
    """A boss with a few reports (one of them a lead with reports of their own), colleagues elsewhere,
    threads on a handful of topics over most of a year, thanks by name, @mentions and reactions."""
    reports = draw(st.integers(min_value=3, max_value=8))
    others = draw(st.integers(min_value=1, max_value=5))
    people = {BOSS: Person(id=BOSS, display_name="Pomo Esihenkilö", department="A")}
    for i in range(reports + others):
        manager = BOSS if i < reports else "elsewhere"
        if i == reports - 1 and reports > 2:
            manager = "p00"  # an indirect report
        people[f"p{i:02d}"] = Person(
            id=f"p{i:02d}",
            display_name=name_of(i),
            department="A" if i < reports else draw(st.sampled_from(["B", "C"])),
            manager_id=manager,
        )
    ids = sorted(p for p in people if p != BOSS)
    hidden = frozenset(draw(st.sets(st.sampled_from(ids), min_size=1, max_size=max(1, len(ids) // 3))))
    messages: list[Message] = []
    for thread in range(draw(st.integers(min_value=8, max_value=40))):
        root_author = draw(st.sampled_from(ids))
        # The team asks about its own work, others mostly about theirs, with one topic in common.
        topic = draw(st.sampled_from(WORDS[:3] if people[root_author].department == "A" else WORDS[2:]))
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
    return people, messages, hidden


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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tenants(), st.booleans(), st.sampled_from(["en", "fi"]))
def test_hidden_people_never_appear_in_the_summary_or_its_card(
    tenant: tuple[dict[str, Person], list[Message], frozenset[str]], indirect: bool, language: str
) -> None:
    people, messages, hidden = tenant
    team = reports_of(BOSS, people, include_indirect=indirect)
    summary = build_team_summary(BOSS, team, messages, people, hidden, NOW)
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
