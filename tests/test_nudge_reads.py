"""What the weekly nudge plan reads, on both engines: everyone's contributions counted from narrow rows, the
question window's threads once, and the candidates' own messages a batch at a time, instead of a year of
everyone's messages; with the same nudges as planning over every message."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot import nudger as nudger_module
from bot.demo.tenant import DEFAULT_NOW
from bot.expert_finder import ExpertFinder
from bot.expertise import PersonTopic
from bot.model import Message, Person, Reaction
from bot.nudge_records import OfferedPrompt
from bot.nudger import HISTORY, Nudger, count_contributions, count_contributions_in_child
from bot.nudges import Nudge, NudgePlanner, contribution_counter, plan_nudges
from bot.processes import in_child_process
from bot.signals import YearOfContributions
from bot.store import Store

NOW = DEFAULT_NOW


async def reference(store: Store, finder: ExpertFinder, now: datetime) -> list[Nudge]:
    """The week's nudges planned the simple way: every message of the year before `now` in memory."""
    messages = [m async for m in store.iter_messages(since=now - HISTORY)]
    people = await store.people()
    public = await store.public_channel_ids()
    planner = NudgePlanner(messages, people, public, now, "en", await finder.visibility())
    settings, nudged = await store.nudge_settings(), await store.nudged_people(planner.week)
    candidates = planner.candidates(settings, nudged, True)
    topics = {c.person.id: await finder.topics_of(c.person.id, limit=8) for c in candidates}
    accepted: dict[str, list[OfferedPrompt]] = defaultdict(list)
    for prompt in await store.open_prompts():
        accepted[prompt.person_id].append(prompt)
    team_ids = {m.team_id for m in messages}
    unseen = {c.person.id: (await store.team_access(c.person.id)).unseen(team_ids) for c in candidates}
    return plan_nudges(planner, candidates, topics, await store.offered_questions(), accepted, unseen)


async def test_every_nudge_is_the_one_planning_over_every_message_gives(
    demo: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small batches, so candidates' messages are read in several and a batch's end falls between people.
    monkeypatch.setattr(nudger_module, "PLAN_BATCH", 7)
    finder = ExpertFinder(demo, clock=lambda: NOW)
    # Each person's topics are an input to both plans: looked up once (a third of a demo plan's time).
    topics_of, kept = finder.topics_of, {}

    async def kept_topics(person_id: str, limit: int = 8) -> list[PersonTopic]:
        if (person_id, limit) not in kept:
            kept[(person_id, limit)] = await topics_of(person_id, limit=limit)
        return kept[(person_id, limit)]

    monkeypatch.setattr(finder, "topics_of", kept_topics)
    last_week = NOW - timedelta(days=7)
    planned = await reference(demo, finder, last_week)
    assert len(planned) > 2 * 7
    assert sum(len(n.prompts) for n in planned) > len(planned), "the demo's nudges come with prompts"

    # Last week's nudges were sent; each recipient promised to write about their first prompt. One wrote it
    # (an answer in the question's thread), and one question has been deleted since.
    nudger = Nudger(demo, finder, True, "en", clock=lambda: NOW)
    for nudge in planned:
        await nudger.claim(nudge, last_week)
    first: dict[str, OfferedPrompt] = {}
    for prompt in sorted(await demo.open_prompts(), key=lambda p: p.id):
        first.setdefault(prompt.person_id, prompt)
    for prompt in first.values():
        remind_at = last_week + timedelta(days=3)
        await demo.decide_prompt(prompt.person_id, prompt.id, "accepted", last_week, remind_at)
    written, deleted = list(first.values())[:2]
    found = await demo.messages_by_key(
        [(written.channel_id, written.message_id), (deleted.channel_id, deleted.message_id)]
    )
    question = found[(written.channel_id, written.message_id)]
    answer = replace(
        question,
        id=f"{question.id}7",
        reply_to_id=question.id,
        author_id=written.person_id,
        author_name="The expert",
        subject=None,
        text="Here is how we do it, step by step, with the settings that worked for us last time.",
        created_at=NOW - timedelta(days=2),
        reactions=(Reaction("someone-else", "like"),),
    )
    gone = replace(
        found[(deleted.channel_id, deleted.message_id)], deleted_at=NOW - timedelta(days=1), text=""
    )
    # And the one who wrote it added a line to a thread of their own from months ago: no share, since the
    # thread is theirs (the plan knows it from their own messages).
    own_thread = replace(
        question,
        id="9000001",
        author_id=written.person_id,
        subject="Release notes",
        text="The quarter's release notes are in the wiki.",
        created_at=NOW - timedelta(days=100),
        reactions=(),
    )
    added = replace(own_thread, id="9000002", reply_to_id=own_thread.id, created_at=NOW - timedelta(hours=5))
    await demo.upsert_messages([answer, gone, own_thread, added])
    assert await nudger.update_outcomes(NOW) >= 1

    planned = [p.nudge for p in await nudger.plan()]
    assert planned == await reference(demo, finder, NOW)
    followups = [f for n in planned for f in n.followups]
    assert followups, "this week's nudges follow up on last week's promises"
    assert any(f.posted for f in followups)
    assert deleted.person_id not in {n.recipient for n in planned if any(f.posted for f in n.followups)}


def person(id: str, department: str) -> Person:
    return Person(id=id, display_name=id.title(), department=department)


def written(id: str, author: str | None, at: datetime, reply_to: str | None = None, **kw: object) -> Message:
    values: dict[str, object] = {
        "id": id,
        "team_id": "team-1",
        "channel_id": "19:general@thread.tacv2",
        "reply_to_id": reply_to,
        "author_id": author,
        "author_name": (author or "system").title(),
        "created_at": at,
        "last_modified_at": at,
        "deleted_at": None,
        "subject": None,
        "text": "How do we rotate the signing keys without downtime, and who owns the runbook?",
        "web_url": None,
    }
    values.update(kw)
    return Message(**values)  # type: ignore[arg-type]


async def test_contributions_counted_from_the_stores_rows_are_those_counted_from_the_messages(
    store: Store,
) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    since = now - HISTORY
    day = timedelta(days=1)
    await store.upsert_people(
        [person("anna", "Platform"), person("ben", "Platform"), person("cai", "Finance"), person("dee", "HR")]
    )
    like = "like"
    await store.upsert_messages(
        [
            # Anna answers Ben and Cai this month; Cai reacts twice to one answer (one reactor), Dee once.
            written("1", "ben", now - 20 * day),
            written(
                "2", "anna", now - 19 * day, "1", reactions=(Reaction("dee", like), Reaction("anna", "+1"))
            ),
            written("3", "cai", now - 10 * day),
            written(
                "4", "anna", now - 9 * day, "3", reactions=(Reaction("cai", like), Reaction("cai", "<3"))
            ),
            # Her reply in her own thread, and replies whose root is too old, deleted, or a system event.
            written("5", "anna", now - 8 * day),
            written("6", "anna", now - 7 * day, "5"),
            written("7", "ben", since - 3 * day),
            written("8", "anna", since + 3 * day, "7"),
            written("9", "dee", now - 30 * day, deleted_at=now - 29 * day, text=""),
            written("10", "anna", now - 28 * day, "9"),
            written("11", None, now - 27 * day, message_type="systemEventMessage"),
            written("12", "anna", now - 26 * day, "11"),
            # Earlier: Anna answered Dee once; a bot's reply and a deleted answer count for no one.
            written("13", "dee", now - 200 * day),
            written("14", "anna", now - 199 * day, "13", reactions=(Reaction("ben", like),)),
            written("15", "ben", now - 198 * day, "13", from_application=True),
            written("16", "ben", now - 197 * day, "13", deleted_at=now - 190 * day, text=""),
            # Not yet: after `now`.
            written("17", "ben", now + day, "3", reactions=(Reaction("anna", like),)),
        ]
    )
    people = await store.people()
    from_rows = contribution_counter(people, now)
    async for author, created, starter in store.iter_written(since, now):
        from_rows.written(author, created, starter)
    async for author, created, reactor in store.iter_reactions_received(since, now):
        from_rows.reacted(author, created, reactor)
    from_messages = contribution_counter(people, now)
    from_messages.add_messages([m async for m in store.iter_messages(since=since)])
    year = from_rows.result()
    assert year == from_messages.result()
    anna = year.recent["anna"]
    assert (anna.messages, anna.answers, anna.reactions, anna.people_helped, anna.reach) == (6, 2, 2, 2, 2)
    earlier = year.earlier["anna"]
    assert (earlier.messages, earlier.answers, earlier.reactions) == (2, 1, 1)  # to Dee, liked by Ben
    assert year.recent["ben"].messages == 1
    assert year.recent["ben"].answers == 0
    assert [week.answers for week in year.weekly["anna"]][-3:] == [1, 1, 0]


async def test_the_bot_counts_contributions_in_a_child_process_with_the_same_result(demo: Store) -> None:
    here = await count_contributions(demo, await demo.people(), NOW)

    async def not_here() -> YearOfContributions:
        raise AssertionError("counted in this process: the child process failed")

    url = demo.connection_url()
    child = await in_child_process("Counting", count_contributions_in_child, (url, NOW), not_here)
    assert child == here
    assert len(here.recent) > 100
