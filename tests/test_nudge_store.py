"""The store's nudge tables on both engines: settings, one nudge a week, prompts, outcomes, erasure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.model import ConversationRecord
from bot.nudge_records import NudgeSettings, PlannedPrompt, PromptOutcome
from bot.store import Store
from tests.conftest import TEST_SECRET_KEY

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEEK = "2026-W48"
QUESTION = PlannedPrompt("19:c@thread.tacv2", "100", frozenset({"helm", "kubernetes"}))
OTHER_QUESTION = PlannedPrompt("19:c@thread.tacv2", "200", frozenset({"ingress"}))


async def test_nudge_settings_change_one_field_at_a_time(store: Store) -> None:
    assert await store.nudge_settings_of("anna") == NudgeSettings()
    await store.update_nudge_settings("anna", enabled=False)
    await store.update_nudge_settings("anna", goal_days=28)
    await store.update_nudge_settings("anna", snoozed_until=NOW + timedelta(days=10))
    settings = await store.nudge_settings_of("anna")
    assert settings == NudgeSettings(enabled=False, snoozed_until=NOW + timedelta(days=10), goal_days=28)
    assert settings.is_snoozed(NOW)
    assert not settings.is_snoozed(NOW + timedelta(days=11))
    assert await store.nudge_settings() == {"anna": settings}


async def test_a_week_is_claimed_once_and_its_prompts_kept(store: Store) -> None:
    ids = await store.record_nudge("anna", WEEK, "sent", NOW, [QUESTION, OTHER_QUESTION])
    assert ids is not None
    assert len(set(ids)) == 2
    # A rerun, or a second replica, finds the week claimed and sends nothing.
    assert await store.record_nudge("anna", WEEK, "sent", NOW, [QUESTION]) is None
    assert await store.nudged_people(WEEK) == {"anna"}
    assert await store.nudged_people("2026-W49") == frozenset()
    assert await store.offered_questions() == {
        "anna": {(QUESTION.channel_id, "100"), (OTHER_QUESTION.channel_id, "200")}
    }


async def test_a_person_decides_only_their_own_prompts(store: Store) -> None:
    ids = await store.record_nudge("anna", WEEK, "sent", NOW, [QUESTION, OTHER_QUESTION])
    assert ids is not None
    assert not await store.decide_prompt("bob", ids[0], "dismissed", NOW)
    assert await store.decide_prompt("anna", ids[0], "accepted", NOW, remind_at=NOW + timedelta(days=3))
    assert await store.decide_prompt("anna", ids[1], "dismissed", NOW)
    open_prompts = await store.open_prompts()
    assert [(p.id, p.status, p.remind_at, p.terms) for p in open_prompts] == [
        (ids[0], "accepted", NOW + timedelta(days=3), QUESTION.terms)
    ]


async def test_outcomes_are_totals_over_everyone(store: Store) -> None:
    anna = await store.record_nudge("anna", WEEK, "sent", NOW, [QUESTION, OTHER_QUESTION])
    bob = await store.record_nudge("bob", WEEK, "sent", NOW, [QUESTION])
    await store.record_nudge("carol", WEEK, "planned", NOW, [])  # never sent: not counted
    assert anna
    assert bob
    await store.decide_prompt("anna", anna[0], "accepted", NOW)
    await store.decide_prompt("anna", anna[1], "dismissed", NOW)
    await store.record_prompt_outcomes(
        [
            PromptOutcome(anna[0], "19:c@thread.tacv2", "300", NOW + timedelta(days=2), 4),
            PromptOutcome(bob[0], "19:c@thread.tacv2", "301", NOW + timedelta(days=3), 1),
        ]
    )
    outcomes = (await store.nudge_outcomes()).as_dict()
    assert outcomes == {
        "nudges": 2,
        "people_nudged": 2,
        "prompts_offered": 3,
        "prompts_accepted": 1,
        "prompts_dismissed": 1,
        "posted": 2,
        "posted_after_accepting": 1,
        "reactions_on_posts": 5,
    }


async def test_reachable_people_have_a_personal_conversation(store: Store) -> None:
    for conversation_id, kind, user in (("a:1", "personal", "anna"), ("19:x", "channel", None)):
        await store.save_conversation(
            ConversationRecord(
                conversation_id, kind, "https://smba.trafficmanager.net/emea/", {}, NOW, None, user
            )
        )
    assert await store.personal_conversation_people() == {"anna"}


async def test_forgetting_a_person_erases_their_nudges(store: Store) -> None:
    await store.load_stop_list(TEST_SECRET_KEY.encode())
    await store.update_nudge_settings("anna", goal_days=7)
    await store.record_nudge("anna", WEEK, "sent", NOW, [QUESTION])
    counts = await store.forget_person("anna")
    assert counts["nudges"] == 3
    assert await store.nudge_settings() == {}
    assert await store.nudged_people(WEEK) == frozenset()
    assert await store.offered_questions() == {}
    # Nothing about them is stored again.
    await store.update_nudge_settings("anna", enabled=True)
    assert await store.record_nudge("anna", "2026-W49", "sent", NOW, [QUESTION]) is None
    assert await store.nudge_settings() == {}


async def test_claiming_a_nudge_records_it_once_and_renders_its_card(store: Store) -> None:
    from bot.expert_finder import ExpertFinder
    from bot.nudger import Nudger
    from tests.test_nudge_card import nudge

    nudger = Nudger(store, ExpertFinder(store, clock=lambda: NOW), True, "en", clock=lambda: NOW)
    card = await nudger.claim(nudge())
    assert card is not None
    [write] = [
        a for a in _walk(card) if a.get("type") == "Action.Execute" and a["verb"] == "seula.nudge.write"
    ]
    [offered] = await store.open_prompts()
    assert write["data"]["prompt"] == offered.id
    assert await nudger.claim(nudge()) is None, "a second claim in the same week sends nothing"
    assert await store.nudged_people(WEEK) == {"anna"}


@dataclass
class FakeOutbox:
    """The delivery side's outbox, as far as nudges use it: (kind, recipient, period) is queued once."""

    queued: dict[tuple[str, str, str], tuple[datetime, dict[str, object], str]] = field(default_factory=dict)

    async def enqueue(
        self,
        kind: str,
        recipient_id: str,
        period: str,
        due_at: datetime,
        card: dict[str, object],
        summary_text: str,
    ) -> bool:
        key = (kind, recipient_id, period)
        if key in self.queued:
            return False
        self.queued[key] = (due_at, card, summary_text)
        return True


async def test_a_due_nudge_is_claimed_then_queued_once_for_the_persons_send_time(store: Store) -> None:
    from bot.expert_finder import ExpertFinder
    from bot.nudger import Nudger
    from tests.test_nudge_card import nudge

    nudger = Nudger(store, ExpertFinder(store, clock=lambda: NOW), True, "en", clock=lambda: NOW)
    outbox = FakeOutbox()
    due = NOW + timedelta(hours=3)
    assert await nudger.enqueue(nudge(), outbox, due)
    assert not await nudger.enqueue(nudge(), outbox, due), "the week is claimed: never queued twice"
    [(key, (due_at, card, summary))] = outbox.queued.items()
    assert key == ("nudge", "anna", WEEK)
    assert due_at == due
    assert card["type"] == "AdaptiveCard"
    assert summary.startswith("Your week in Seula")


def _walk(element: object) -> list[dict[str, object]]:
    if isinstance(element, dict):
        return [element, *(found for value in element.values() for found in _walk(value))]
    if isinstance(element, list):
        return [found for item in element for found in _walk(item)]
    return []


async def test_reminders_go_once_only_to_those_who_accepted_and_have_not_posted(store: Store) -> None:
    from bot.expert_finder import ExpertFinder
    from bot.model import Channel, Message, Person
    from bot.nudger import Nudger

    await store.upsert_people(
        [Person("anna", "Anna Virtanen", preferred_language="fi-FI"), Person("bob", "Bob")]
    )
    await store.upsert_channels([Channel(QUESTION.channel_id, "team", "Kubernetes")])
    asked = NOW - timedelta(days=10)
    await store.upsert_messages(
        [
            Message(
                "100", "team", QUESTION.channel_id, None, "carol", "Carol", asked, asked, None, None,
                "How do I roll back a helm release?", "https://teams.microsoft.com/l/message/x/100",
            )
        ]
    )  # fmt: skip
    anna = await store.record_nudge("anna", WEEK, "sent", NOW - timedelta(days=5), [QUESTION])
    bob = await store.record_nudge("bob", WEEK, "sent", NOW - timedelta(days=5), [QUESTION])
    assert anna
    assert bob
    await store.decide_prompt("anna", anna[0], "accepted", NOW - timedelta(days=4), NOW - timedelta(days=1))
    await store.decide_prompt("bob", bob[0], "accepted", NOW - timedelta(days=4), NOW - timedelta(days=1))
    await store.update_nudge_settings("bob", enabled=False)  # he stopped nudges since
    nudger = Nudger(store, ExpertFinder(store, clock=lambda: NOW), True, "en", clock=lambda: NOW)
    outbox = FakeOutbox()
    assert await nudger.enqueue_reminders(outbox, NOW) == 1
    [((kind, person, period), (_, card, summary))] = outbox.queued.items()
    assert (kind, person, period) == ("nudge-reminder", "anna", f"prompt-{anna[0]}")
    assert "How do I roll back a helm release?" in str(card)
    assert summary.startswith("Muistutus")
    assert await nudger.enqueue_reminders(outbox, NOW) == 0, "a reminder goes once"


async def test_due_nudges_are_queued_once_for_reachable_people_at_their_local_time(store: Store) -> None:
    import io
    import json

    from bot.expert_finder import ExpertFinder
    from bot.graph_import import import_json_lines
    from bot.nudger import Nudger
    from tests.graph_objects import ANNA
    from tests.test_cli import recent_tenant

    await import_json_lines(store, io.StringIO("".join(json.dumps(o) + "\n" for o in recent_tenant())))
    now = datetime.now(UTC)
    await store.save_conversation(
        ConversationRecord(
            "a:anna", "personal", "https://smba.trafficmanager.net/emea/", {}, now, None, ANNA[0]
        )
    )
    await store.record_timezone(ANNA[0], "Europe/Helsinki", now)
    nudger = Nudger(store, ExpertFinder(store, clock=lambda: now), True, "en", clock=lambda: now)
    outbox = FakeOutbox()
    # Today at midnight local time has always come: due now.
    run = await nudger.enqueue_due(outbox, now.weekday(), 0, "Europe/Helsinki", now)
    assert (run.queued, run.unreachable) == (1, 0)
    [(kind, person, week)] = outbox.queued
    assert (kind, person) == ("nudge", ANNA[0])
    due_at = outbox.queued[(kind, person, week)][0]
    assert due_at <= now
    assert (await nudger.enqueue_due(outbox, now.weekday(), 0, "Europe/Helsinki", now)).queued == 0


async def test_the_15_minute_job_plans_a_week_again_only_when_someone_new_is_due(store: Store) -> None:
    import io
    import json

    from bot.expert_finder import ExpertFinder
    from bot.graph_import import import_json_lines
    from bot.nudger import Nudger
    from tests.graph_objects import ANNA, BEN
    from tests.test_cli import recent_tenant

    await import_json_lines(store, io.StringIO("".join(json.dumps(o) + "\n" for o in recent_tenant())))
    now = datetime.now(UTC)
    reads = []
    year_of_contributions = store.iter_written

    def counted(*args: datetime):  # type: ignore[no-untyped-def]
        reads.append(args)
        return year_of_contributions(*args)

    store.iter_written = counted  # type: ignore[method-assign]

    async def install(person: tuple[str, str]) -> None:
        conversation = f"a:{person[0]}"
        await store.save_conversation(
            ConversationRecord(conversation, "personal", "https://smba.example/", {}, now, None, person[0])
        )

    nudger = Nudger(store, ExpertFinder(store, clock=lambda: now), True, "en", clock=lambda: now)
    outbox = FakeOutbox()
    # No one can be reached yet: the first run of the week plans anyway (and counts Anna as unreachable).
    assert (await nudger.enqueue_due(outbox, now.weekday(), 0, "UTC", now)).unreachable == 1
    planned_once = len(reads)
    assert planned_once >= 1
    assert (await nudger.enqueue_due(outbox, now.weekday(), 0, "UTC", now)).queued == 0
    assert len(reads) == planned_once, "no one new is due: the year is not counted again"
    await install(BEN)  # Ben's send time has come too, though he is no candidate: planned once
    assert (await nudger.enqueue_due(outbox, now.weekday(), 0, "UTC", now)).queued == 0
    assert len(reads) > planned_once
    planned_twice = len(reads)
    await nudger.enqueue_due(outbox, now.weekday(), 0, "UTC", now)
    assert len(reads) == planned_twice
    await install(ANNA)  # Anna installs Seula mid-week: she gets this week's nudge at the next run
    assert (await nudger.enqueue_due(outbox, now.weekday(), 0, "UTC", now)).queued == 1
    assert [person for _, person, _ in outbox.queued] == [ANNA[0]]


async def test_a_reminder_is_dropped_when_its_asker_hid_since_or_the_person_hid_its_topic(
    store: Store,
) -> None:
    from bot.expert_finder import ExpertFinder
    from bot.model import Channel, Message, Person
    from bot.nudger import Nudger

    await store.upsert_people(
        [Person("anna", "Anna Virtanen"), Person("bob", "Bob"), Person("carol", "Carol")]
    )
    await store.upsert_channels([Channel(QUESTION.channel_id, "team", "Kubernetes")])
    asked = NOW - timedelta(days=10)
    await store.upsert_messages(
        [
            Message(
                "100", "team", QUESTION.channel_id, None, "carol", "Carol", asked, asked, None, None,
                "How do I roll back a helm release?", "https://teams.microsoft.com/l/message/x/100",
            ),
            Message(
                "200", "team", QUESTION.channel_id, None, "dave", "Dave", asked, asked, None, None,
                "Which ingress controller should we pick?", "https://teams.microsoft.com/l/message/x/200",
            ),
        ]
    )  # fmt: skip
    anna = await store.record_nudge("anna", WEEK, "sent", NOW - timedelta(days=5), [QUESTION])
    bob = await store.record_nudge("bob", WEEK, "sent", NOW - timedelta(days=5), [OTHER_QUESTION])
    assert anna
    assert bob
    for person, [prompt] in (("anna", anna), ("bob", bob)):
        await store.decide_prompt(
            person, prompt, "accepted", NOW - timedelta(days=4), NOW - timedelta(days=1)
        )
    await store.set_hidden("carol", True)  # anna's question's asker said "hide me" since
    await store.hide_topic("bob", "ingress")  # bob hid the topic of his
    nudger = Nudger(store, ExpertFinder(store, clock=lambda: NOW), True, "en", clock=lambda: NOW)
    outbox = FakeOutbox()
    assert await nudger.enqueue_reminders(outbox, NOW) == 0
    assert outbox.queued == {}
    assert await store.due_reminders(NOW) == [], "dropped, not left to be sent later"
