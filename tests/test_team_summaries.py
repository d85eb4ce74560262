"""The team summary use case and the bot's answers, on both engines: who gets one, audit, subscriptions."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import pytest

from bot.assistant import Assistant, Incoming
from bot.expert_finder import ExpertFinder
from bot.graph_import import import_json_lines
from bot.store import Store
from bot.summaries import SummaryRefused, TeamSummary
from bot.team_summaries import AUDIT_ACTION, TeamSummaries
from cards.strings import say
from cards.summary_card import SUBSCRIBE_VERB, UNSUBSCRIBE_VERB
from tests.graph_objects import START, generated_tenant

NOW = START  # the generated tenant's threads run up to here
USERS = [f"{i:08d}-0000-4000-8000-{7:012d}" for i in range(12)]
MANAGER, REPORT = USERS[0], USERS[1]  # everyone else reports to the first person


def clock() -> datetime:
    return NOW


@pytest.fixture
async def loaded(store: Store) -> Store:
    objects = generated_tenant(seed=7, threads_per_channel=40)
    await import_json_lines(store, io.StringIO("".join(json.dumps(o) + "\n" for o in objects)))
    return store


def summaries(store: Store, indirect: bool = False) -> TeamSummaries:
    return TeamSummaries(store, include_indirect_reports=indirect, clock=clock)


def assistant(store: Store) -> Assistant:
    finder = ExpertFinder(store, clock=clock)
    return Assistant(store, finder, summaries(store), 5, "en", clock=clock)


async def test_a_manager_gets_a_summary_of_their_reports_and_the_request_is_audited(loaded: Store) -> None:
    summary = await summaries(loaded).summarize(MANAGER)
    assert isinstance(summary, TeamSummary)
    assert summary.team_size == 11
    [(at, action, detail)] = await loaded.audit_entries(AUDIT_ACTION)
    assert (at, action, detail) == (NOW, AUDIT_ACTION, {"requester": MANAGER, "granted": True})


async def test_a_new_report_and_a_new_choice_show_in_the_next_summary(loaded: Store) -> None:
    use_case = summaries(loaded)
    first = await use_case.summarize(MANAGER)
    assert isinstance(first, TeamSummary)
    assert first.team_size == 11
    newcomer = replace((await loaded.people([REPORT]))[REPORT], id="newcomer", display_name="New Comer")
    await loaded.upsert_people([newcomer])
    second = await use_case.summarize(MANAGER)
    assert isinstance(second, TeamSummary)
    assert second.team_size == 12, "the directory is read again"
    assert await use_case.manages_someone(REPORT) is False
    await loaded.upsert_people([replace(newcomer, manager_id=REPORT)])
    assert await use_case.manages_someone(REPORT) is True


async def test_someone_who_manages_no_one_is_refused_and_that_is_audited_too(loaded: Store) -> None:
    refused = await summaries(loaded).summarize(REPORT)
    assert refused == SummaryRefused(REPORT, "manages_no_one")
    unknown = await summaries(loaded).summarize("not-in-the-directory")
    assert isinstance(unknown, SummaryRefused)
    entries = [detail for _, _, detail in await loaded.audit_entries(AUDIT_ACTION)]
    assert entries == [
        {"requester": REPORT, "granted": False, "reason": "manages_no_one"},
        {"requester": "not-in-the-directory", "granted": False, "reason": "manages_no_one"},
    ]


async def test_the_audit_log_holds_no_summary_content(loaded: Store) -> None:
    summary = await summaries(loaded).summarize(MANAGER)
    assert isinstance(summary, TeamSummary)
    logged = json.dumps([detail for _, _, detail in await loaded.audit_entries()])
    for person_id in USERS[1:]:
        assert person_id not in logged
    assert "kubernetes" not in logged


@pytest.mark.parametrize("language", ["en", "fi"])
async def test_the_bot_answers_a_manager_with_the_card_and_anyone_else_politely(
    loaded: Store, language: str
) -> None:
    bot = assistant(loaded)
    asked = "team summary" if language == "en" else "tiimin yhteenveto"
    reply = await bot.on_message(Incoming(asked, user_id=MANAGER))
    assert reply.card is not None
    assert reply.card["actions"][0]["verb"] == SUBSCRIBE_VERB
    refusal = await bot.on_message(Incoming(asked, user_id=REPORT))
    assert refusal.card is None
    assert refusal.text == say("fi" if language == "fi" else "en", "summary.refused")
    nobody = await bot.on_message(Incoming(asked, user_id=None))
    assert nobody.text == say("fi" if language == "fi" else "en", "identity.missing")


async def test_a_manager_subscribes_from_the_card_and_unsubscribes_again(loaded: Store) -> None:
    bot = assistant(loaded)
    reply = await bot.on_card_action(SUBSCRIBE_VERB, {"language": "fi"}, MANAGER, None)
    assert reply.text == say("fi", "summary.subscribed")
    assert await loaded.summary_subscriptions() == {MANAGER: "fi"}
    card = (await bot.on_message(Incoming("team summary", user_id=MANAGER))).card
    assert card is not None
    assert card["actions"][0]["verb"] == UNSUBSCRIBE_VERB
    reply = await bot.on_card_action(UNSUBSCRIBE_VERB, {"language": "en"}, MANAGER, None)
    assert reply.text == say("en", "summary.unsubscribed")
    assert await loaded.summary_subscriptions() == {}


async def test_only_the_person_pressing_subscribe_is_subscribed_and_only_if_they_manage_someone(
    loaded: Store,
) -> None:
    bot = assistant(loaded)
    reply = await bot.on_card_action(SUBSCRIBE_VERB, {"language": "en", "manager": MANAGER}, REPORT, None)
    assert reply.text == say("en", "summary.refused")
    assert await loaded.summary_subscriptions() == {}
    reply = await bot.on_card_action(SUBSCRIBE_VERB, {"language": "en"}, None, None)
    assert reply.text == say("en", "identity.missing")


@dataclass
class FakeOutbox:
    """The delivery outbox's planning side: one message per (kind, recipient, period), kept in a list."""

    planned: list[tuple[str, str, str, datetime, dict[str, object], str]] = field(default_factory=list)

    async def enqueue(
        self,
        kind: str,
        recipient_id: str,
        period: str,
        due_at: datetime,
        card: dict[str, object],
        summary_text: str,
    ) -> bool:
        if any(p[:3] == (kind, recipient_id, period) for p in self.planned):
            return False
        self.planned.append((kind, recipient_id, period, due_at, card, summary_text))
        return True


async def test_monthly_summaries_are_planned_once_a_month_for_each_subscriber(loaded: Store) -> None:
    await loaded.subscribe_summary(MANAGER, "fi", NOW)
    await loaded.subscribe_summary(REPORT, "en", NOW)  # since stopped managing anyone: nothing is sent
    outbox = FakeOutbox()
    use_case = summaries(loaded)
    assert await use_case.plan_monthly(outbox) == 1
    assert await use_case.plan_monthly(outbox) == 0, "a second run (or replica) this month plans nothing"
    [(kind, recipient, period, due_at, card, text)] = outbox.planned
    assert (kind, recipient, period, due_at) == ("summary", MANAGER, f"{NOW:%Y-%m}", NOW)
    assert card["actions"][0]["verb"] == UNSUBSCRIBE_VERB  # type: ignore[index]
    assert text == say("fi", "summary.monthly")
    vias = [
        (d["requester"], d["granted"], d.get("via")) for _, _, d in await loaded.audit_entries(AUDIT_ACTION)
    ]
    assert vias == [(MANAGER, True, "monthly"), (REPORT, False, "monthly")]


async def test_next_month_is_planned_again(loaded: Store) -> None:
    await loaded.subscribe_summary(MANAGER, "en", NOW)
    outbox = FakeOutbox()
    assert await summaries(loaded).plan_monthly(outbox) == 1
    later = TeamSummaries(loaded, include_indirect_reports=False, clock=lambda: NOW + timedelta(days=31))
    assert await later.plan_monthly(outbox) == 1
    assert [p[2] for p in outbox.planned] == [f"{NOW:%Y-%m}", f"{NOW + timedelta(days=31):%Y-%m}"]


async def test_under_the_opt_in_default_only_people_who_said_show_me_may_be_shown(loaded: Store) -> None:
    opt_in = TeamSummaries(loaded, include_indirect_reports=False, clock=clock, visibility_default="opt-in")
    nobody_consented = await opt_in.summarize(MANAGER)
    assert isinstance(nobody_consented, TeamSummary)
    assert nobody_consented.small_team, "no one said show me: no one may be shown or counted"
    for person_id in USERS[1:4]:
        await loaded.set_hidden(person_id, False)  # "show me": consent
    three_consented = await opt_in.summarize(MANAGER)
    assert isinstance(three_consented, TeamSummary)
    assert not three_consented.small_team
    named = {v.person_id for v in (*three_consented.emerging, *three_consented.recognitions)}
    assert named <= set(USERS[1:4])
