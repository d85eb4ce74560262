"""Evidence only from messages the asker could see: team visibility and membership, stored and obeyed."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.expert_finder import ExpertFinder
from bot.graph_import import import_json_lines
from bot.model import Team, TeamMember
from bot.store import Store
from bot.visibility import TeamAccess
from tests import graph_objects as g
from tests.conftest import TEST_SECRET_KEY

NOW = datetime(2026, 11, 28, tzinfo=UTC)
PUBLIC_TEAM, PRIVATE_TEAM = "11111111-0000-4000-8000-00000000000a", "22222222-0000-4000-8000-00000000000b"
PUBLIC_CHANNEL = "19:public0000000000000000000000000@thread.tacv2"
PRIVATE_CHANNEL = "19:private000000000000000000000000@thread.tacv2"
ANNA, BEN, CAROL, DAVE = g.ANNA, g.BEN, g.CAROL, g.DAVE
ERIK = ("e0000000-0000-4000-8000-000000000005", "Erik Lund")


def jsonl(objects: list[dict[str, Any]]) -> io.StringIO:
    return io.StringIO("".join(json.dumps(o) + "\n" for o in objects))


# --- the rule, pure --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "members_recorded", "viewer_is_member", "sees"),
    [
        ("public", False, False, True),
        ("public", True, False, True),  # anyone in the organization can read a public team's channels
        ("private", True, True, True),
        ("private", True, False, False),
        ("private", False, False, False),  # members unknown: no one outside is assumed to be in it
        ("hiddenMembership", True, False, False),
        ("someFutureValue", True, False, False),  # only `public` opens a team
        (None, False, False, True),  # never told anything about the team: as before (imports without it)
        (None, True, False, False),  # members known, visibility not: members only
        (None, True, True, True),
    ],
)
def test_a_team_is_seen_when_public_or_by_its_members(
    visibility: str | None, members_recorded: bool, viewer_is_member: bool, sees: bool
) -> None:
    access = TeamAccess(
        visibility={"t": visibility},
        with_members=frozenset({"t"}) if members_recorded else frozenset(),
        member_of=frozenset({"t"}) if viewer_is_member else frozenset(),
    )
    assert access.may_see("t") is sees
    assert access.unseen(["t"]) == (frozenset() if sees else frozenset({"t"}))


# --- the store -------------------------------------------------------------------------------------------


async def test_visibility_and_members_are_stored_and_replaced(store: Store) -> None:
    await store.upsert_teams([Team(PRIVATE_TEAM, "Legal", visibility="private")])
    await store.upsert_teams([Team(PRIVATE_TEAM, "Legal & Compliance")])  # a listing without visibility
    await store.add_team_members([TeamMember(PRIVATE_TEAM, ANNA[0]), TeamMember(PRIVATE_TEAM, CAROL[0])])
    access = await store.team_access(ANNA[0])
    assert access.visibility == {PRIVATE_TEAM: "private"}, "visibility is kept when a record lacks it"
    assert access.with_members == {PRIVATE_TEAM}
    assert access.member_of == {PRIVATE_TEAM}
    assert (await store.team_access(DAVE[0])).member_of == frozenset()
    assert (await store.team_access(None)).member_of == frozenset()

    assert await store.replace_team_members(PRIVATE_TEAM, [CAROL[0], DAVE[0]]) == 2
    assert (await store.team_access(ANNA[0])).member_of == frozenset(), "who left is dropped"
    assert (await store.team_access(DAVE[0])).member_of == {PRIVATE_TEAM}
    assert await store.remove_team_members([TeamMember(PRIVATE_TEAM, DAVE[0])]) == 1
    assert (await store.team_access(DAVE[0])).member_of == frozenset()


async def test_forgetting_a_person_removes_their_memberships_for_good(store: Store) -> None:
    await store.load_stop_list(TEST_SECRET_KEY.encode())
    await store.add_team_members([TeamMember(PRIVATE_TEAM, ANNA[0]), TeamMember(PUBLIC_TEAM, ANNA[0])])
    counts = await store.forget_person(ANNA[0])
    assert counts["team_memberships"] == 2
    assert (await store.team_access(ANNA[0])).member_of == frozenset()
    await store.add_team_members([TeamMember(PRIVATE_TEAM, ANNA[0])])
    await store.replace_team_members(PUBLIC_TEAM, [ANNA[0], BEN[0]])
    assert (await store.team_access(ANNA[0])).member_of == frozenset(), "an erased person is not re-added"
    assert (await store.team_access(BEN[0])).member_of == {PUBLIC_TEAM}


# --- the import path -------------------------------------------------------------------------------------


async def test_import_reads_team_visibility_and_members(store: Store) -> None:
    objects = [
        g.team(PRIVATE_TEAM, "Legal", visibility="private"),
        g.team_member(PRIVATE_TEAM, ANNA[0], ANNA[1], roles=("owner",)),
        {**g.team_member(PRIVATE_TEAM, CAROL[0]), "@odata.type": "#microsoft.graph.conversationMember"},
        {k: v for k, v in g.team_member(PRIVATE_TEAM, DAVE[0]).items() if k != "teamId"},
        {k: v for k, v in g.team_member(PRIVATE_TEAM, BEN[0]).items() if k != "userId"},
    ]
    report = await import_json_lines(store, jsonl(objects), source="members.jsonl")
    assert report.teams == 1
    assert report.team_members == 2
    assert report.error_count == 2
    assert "members.jsonl:4: a team member needs `teamId`" in report.errors[0]
    assert "members.jsonl:5: `userId` is missing" in report.errors[1]
    access = await store.team_access(CAROL[0])
    assert access.visibility[PRIVATE_TEAM] == "private"
    assert access.member_of == {PRIVATE_TEAM}


# --- the finder ------------------------------------------------------------------------------------------


def split_tenant(private_visibility: str | None = "private", members: bool = True) -> list[dict[str, Any]]:
    """Anna answers Kubernetes only in a private team; Ben only in a public one; Erik in both."""
    at = NOW - timedelta(days=20)
    objects: list[dict[str, Any]] = [g.user(pid, name) for pid, name in (ANNA, BEN, CAROL, DAVE, ERIK)]
    objects += [
        g.team(PUBLIC_TEAM, "Engineering", visibility="public"),
        g.team(PRIVATE_TEAM, "Platform core", visibility=private_visibility),
        g.channel(PUBLIC_CHANNEL, "General", PUBLIC_TEAM),
        g.channel(PRIVATE_CHANNEL, "Clusters", PRIVATE_TEAM),
    ]
    if members:
        objects += [g.team_member(PRIVATE_TEAM, pid) for pid, _ in (ANNA, CAROL, ERIK)]
    private = {"channel_id": PRIVATE_CHANNEL, "team_id": PRIVATE_TEAM}
    public = {"channel_id": PUBLIC_CHANNEL, "team_id": PUBLIC_TEAM}
    objects += [
        g.chat_message(
            1, CAROL, "<p>Our kubernetes pods keep restarting after the upgrade?</p>", at=at, **private
        ),
        g.chat_message(
            2,
            ANNA,
            "<p>SECRET-ANNA: the kubernetes liveness probe fails, raise its timeout in the deployment.</p>",
            reply_to=1,
            at=at + timedelta(hours=1),
            **private,
        ),
        g.chat_message(
            3,
            ERIK,
            "<p>SECRET-ERIK: kubernetes node pools for the core clusters are pinned to 1.30 for now.</p>",
            reply_to=1,
            at=at + timedelta(hours=2),
            **private,
        ),
        g.chat_message(10, DAVE, "<p>How do I deploy to kubernetes from our pipeline?</p>", at=at, **public),
        g.chat_message(
            11,
            BEN,
            "<p>Use the kubernetes deploy task with the service connection, it applies the manifests.</p>",
            reply_to=10,
            at=at + timedelta(hours=1),
            **public,
        ),
        g.chat_message(
            12,
            ERIK,
            "<p>And kubernetes namespaces per environment keep the pipeline deploys apart nicely.</p>",
            reply_to=10,
            at=at + timedelta(hours=2),
            **public,
        ),
    ]
    return objects


async def ask(finder: ExpertFinder, asker: str | None) -> tuple[dict[str, list[str]], int]:
    """Who is suggested for Kubernetes, with their evidence's channels, and the total."""
    answer = await finder.find("kubernetes", "who knows kubernetes", asker, 10)
    return {e.person_id: [ev.channel_id for ev in e.evidence] for e in answer.experts}, answer.total


async def test_an_outsider_never_gets_evidence_from_a_private_teams_channel(store: Store) -> None:
    await import_json_lines(store, jsonl(split_tenant()))
    finder = ExpertFinder(store, clock=lambda: NOW)
    for outsider in (DAVE[0], BEN[0], None):  # None: `ask` without --as, the admin's view
        experts, total = await ask(finder, outsider)
        assert ANNA[0] not in experts, "whose only matching messages are unseen is not suggested"
        assert experts.get(ERIK[0]) == [PUBLIC_CHANNEL], "evidence only from what the asker can see"
        assert all(channel == PUBLIC_CHANNEL for channels in experts.values() for channel in channels)
        assert total == len(experts), "the total counts no one suggested only from unseen messages"
        assert all(experts.values()), "every suggestion carries evidence"


async def test_a_member_gets_the_private_teams_evidence(store: Store) -> None:
    await import_json_lines(store, jsonl(split_tenant()))
    finder = ExpertFinder(store, clock=lambda: NOW)
    experts, _ = await ask(finder, CAROL[0])
    assert experts[ANNA[0]] == [PRIVATE_CHANNEL]
    assert set(experts[ERIK[0]]) == {PRIVATE_CHANNEL, PUBLIC_CHANNEL}
    answer = await finder.find("kubernetes", "who knows kubernetes", CAROL[0], 10)
    snippets = " ".join(ev.snippet for e in answer.experts for ev in e.evidence)
    assert "SECRET-ANNA" in snippets


async def test_membership_learned_later_opens_and_closes_a_team_without_a_rebuild(store: Store) -> None:
    await import_json_lines(store, jsonl(split_tenant()))
    finder = ExpertFinder(store, clock=lambda: NOW)
    assert ANNA[0] not in (await ask(finder, DAVE[0]))[0]
    await store.add_team_members([TeamMember(PRIVATE_TEAM, DAVE[0])])  # Dave joins (a Teams event)
    assert ANNA[0] in (await ask(finder, DAVE[0]))[0]
    await store.remove_team_members([TeamMember(PRIVATE_TEAM, DAVE[0])])
    assert ANNA[0] not in (await ask(finder, DAVE[0]))[0]


async def test_a_team_of_unknown_visibility_is_closed_once_its_members_are_known(store: Store) -> None:
    await import_json_lines(store, jsonl(split_tenant(private_visibility=None, members=False)))
    finder = ExpertFinder(store, clock=lambda: NOW)
    assert ANNA[0] in (await ask(finder, DAVE[0]))[0], "nothing known about the team: shown as before"
    await store.add_team_members([TeamMember(PRIVATE_TEAM, CAROL[0])])
    assert ANNA[0] not in (await ask(finder, DAVE[0]))[0], "members known, visibility not: members only"
    assert ANNA[0] in (await ask(finder, CAROL[0]))[0]
    await store.upsert_teams([Team(PRIVATE_TEAM, "Platform core", visibility="public")])
    assert ANNA[0] in (await ask(finder, DAVE[0]))[0]
