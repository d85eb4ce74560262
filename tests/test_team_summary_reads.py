"""What a team summary reads, on both engines: the team's own threads and the organization's digest instead
of a year of everyone's messages, with the same summary as reading everything; questions read again when
shown."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

from bot.assistant import Assistant
from bot.demo import RISING
from bot.demo.tenant import DEFAULT_NOW
from bot.expert_finder import ExpertFinder
from bot.signals import find_questions
from bot.store import Store
from bot.summaries import (
    LOOKBACK,
    PERIOD_DAYS,
    QUESTION_MIN_AGE,
    TeamSummary,
    build_team_summary,
    draft_team_summary,
    org_digest,
    reports_of,
)
from bot.team_summaries import DIGEST_KEPT_WARM, DIGEST_MAX_AGE, TeamSummaries
from bot.visibility import VisibilityPolicy
from tests.conftest import TEST_SECRET_KEY

NOW = DEFAULT_NOW


async def references(store: Store, bosses: list[str]) -> dict[str, TeamSummary]:
    """The summaries built the simple way: every message of the last LOOKBACK in memory, for each manager
    (`build_team_summary`'s own steps, so the organization's messages are counted once for all of them)."""
    people = await store.people()
    policy = VisibilityPolicy("visible", await store.visibility_choices(), people)
    hidden = policy.unrecognisable()
    messages = [m async for m in store.iter_messages(since=NOW - LOOKBACK)]
    digest = org_digest(messages, NOW)
    writing = [m for m in messages if m.is_people_writing and m.created_at < NOW]
    questions = find_questions(writing, NOW - timedelta(days=PERIOD_DAYS), NOW, NOW, QUESTION_MIN_AGE)
    found = {}
    for manager in bosses:
        team = reports_of(manager, people, False)
        draft = draft_team_summary(manager, team, messages, digest, people, hidden, NOW, visibility=policy)
        unseen = (await store.team_access(manager)).unseen({m.team_id for m in messages})
        found[manager] = draft.finish(questions, unseen)
    return found


async def managers(store: Store) -> list[str]:
    people = await store.people()
    return sorted({p.manager_id for p in people.values() if p.manager_id and p.manager_id in people})


async def test_every_managers_summary_is_the_one_reading_every_message_gives(demo: Store) -> None:
    summaries = TeamSummaries(demo, include_indirect_reports=False, clock=lambda: NOW)
    bosses = await managers(demo)
    assert len(bosses) >= 5
    expected = await references(demo, bosses)
    # The reference path is build_team_summary's (checked against it for one manager).
    people = await demo.people()
    first, messages = bosses[0], [m async for m in demo.iter_messages(since=NOW - LOOKBACK)]
    policy = VisibilityPolicy("visible", await demo.visibility_choices(), people)
    assert expected[first] == build_team_summary(
        first,
        reports_of(first, people, False),
        messages,
        people,
        policy.unrecognisable(),
        NOW,
        visibility=policy,
        unseen_teams=(await demo.team_access(first)).unseen({m.team_id for m in messages}),
    )
    rich = 0
    for manager in bosses:
        summary = await summaries.summarize(manager)
        assert isinstance(summary, TeamSummary)
        assert summary.as_dict() == expected[manager].as_dict(), manager
        rich += bool(summary.topics and summary.unanswered and summary.emerging)
    assert rich >= len(RISING) - 1, "the demo's managers see topics, open questions and emerging voices"


async def open_questions_of(demo: Store) -> tuple[str, TeamSummary]:
    summaries = TeamSummaries(demo, include_indirect_reports=False, clock=lambda: NOW)
    for manager in await managers(demo):
        summary = await summaries.summarize(manager)
        if isinstance(summary, TeamSummary) and len(summary.unanswered) >= 2:
            return manager, summary
    raise AssertionError("no demo team has two open questions")


async def test_a_question_deleted_or_answered_after_the_digest_was_counted_is_no_longer_shown(
    demo: Store,
) -> None:
    manager, before = await open_questions_of(demo)
    clock_now = [NOW]
    summaries = TeamSummaries(demo, include_indirect_reports=False, clock=lambda: clock_now[0])
    await summaries.summarize(manager)  # counts the digest now
    gone, answered = before.unanswered[0].question, before.unanswered[1].question
    found = await demo.messages_by_key(
        [(gone.channel_id, gone.message_id), (answered.channel_id, answered.message_id)]
    )
    asked = found[(answered.channel_id, answered.message_id)]
    later = NOW + timedelta(minutes=30)
    await demo.upsert_messages(
        [
            replace(found[(gone.channel_id, gone.message_id)], deleted_at=later, text="", reactions=()),
            replace(
                asked,
                id=f"{asked.id}9",
                reply_to_id=asked.id,
                author_id=next(iter(reports_of(manager, await demo.people(), False))),
                author_name="A colleague",
                created_at=later,
                subject=None,
                text="Here is how we do it: the runbook in the wiki has every step, with the commands.",
                mentions=(),
                reactions=(),
            ),
        ]
    )
    clock_now[0] = later + timedelta(minutes=1)
    kept = await summaries.digest()
    assert kept.at == NOW, "the digest is within DIGEST_MAX_AGE: kept, not counted again"
    after = await summaries.summarize(manager)
    assert isinstance(after, TeamSummary)
    shown = {q.question.message_id for q in after.unanswered}
    assert gone.message_id not in shown
    assert answered.message_id not in shown
    assert shown, "the other open questions are still shown"


async def test_the_digest_is_counted_once_for_many_summaries_and_again_when_too_old(demo: Store) -> None:
    clock_now = [NOW]
    summaries = TeamSummaries(demo, include_indirect_reports=False, clock=lambda: clock_now[0])
    assert not await summaries.refresh_digest(), "no one has used summaries: nothing is counted ahead"
    for manager in await managers(demo):
        await summaries.summarize(manager)
    first = await summaries.digest()
    assert first.at == NOW
    clock_now[0] = NOW + DIGEST_MAX_AGE - timedelta(minutes=30)
    assert await summaries.refresh_digest(), "counted ahead when the kept one is about to be too old"
    assert (await summaries.digest()).at == clock_now[0]
    clock_now[0] += DIGEST_MAX_AGE
    assert (await summaries.digest()).at == clock_now[0]
    # A week without a summary (and no subscriber): nothing is counted ahead any more.
    clock_now[0] += DIGEST_KEPT_WARM
    assert not await summaries.refresh_digest()


async def test_forget_me_lets_the_kept_digest_go_so_the_next_counts_without_the_person(demo: Store) -> None:
    await demo.load_stop_list(TEST_SECRET_KEY.encode())
    summaries = TeamSummaries(demo, include_indirect_reports=False, clock=lambda: NOW)
    assistant = Assistant(demo, ExpertFinder(demo, clock=lambda: NOW), summaries, 5, "en", clock=lambda: NOW)
    before = await summaries.digest()
    recent = [m async for m in demo.iter_messages(since=NOW - timedelta(days=30)) if m.is_people_writing]
    writers = Counter(m.author_id for m in recent if m.created_at < NOW)
    person, written = writers.most_common(1)[0]
    assert person is not None
    await assistant.forget(person)
    after = await summaries.digest()
    assert after is not before
    assert after.totals[30] == before.totals[30] - written


async def test_the_bot_counts_the_digest_in_a_child_process_with_the_same_result(demo: Store) -> None:
    here = await TeamSummaries(demo, include_indirect_reports=False, clock=lambda: NOW).digest()
    child = TeamSummaries(demo, include_indirect_reports=False, clock=lambda: NOW, count_in_child=True)
    assert await child.digest() == here
