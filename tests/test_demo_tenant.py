"""The demo tenant: deterministic, Graph-shaped, realistic in size, and built so that expertise shows."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from msgraph.generated.models.channel import Channel
from msgraph.generated.models.chat_message import ChatMessage
from msgraph.generated.models.team import Team
from msgraph.generated.models.user import User

from bot.demo import (
    DEMO_TENANT_ID,
    GENERALISTS,
    RISING,
    TOPICS,
    demo_ground_truth,
    generate_demo_tenant,
    write_demo_tenant,
)
from bot.demo.vocabulary import PLUS_ONES

NOW = datetime(2026, 11, 1, tzinfo=UTC)
TAGS = re.compile(r"<at [^>]*>.*?</at>|<[^>]+>")
# Finnish text has ä or ö, or at least one of the little words English never uses.
FINNISH = re.compile(
    r"[äöÄÖ]|\b(ja|ei|kiitos|kiitti|mutta|joku|osaako|moi|jos|niin|myös|vain|sama|mukana|jee|tervetuloa|kuka"
    r"|onko|meillä|kun)\b",
    re.IGNORECASE,
)

Obj = dict[str, Any]


@pytest.fixture(scope="module")
def tenant() -> list[Obj]:
    return list(generate_demo_tenant())


@pytest.fixture(scope="module")
def messages(tenant: list[Obj]) -> list[Obj]:
    return [o for o in tenant if o["@odata.type"] == "#microsoft.graph.chatMessage"]


@pytest.fixture(scope="module")
def threads(messages: list[Obj]) -> dict[str, tuple[Obj, list[Obj]]]:
    """Root id to (root, replies)."""
    roots: dict[str, tuple[Obj, list[Obj]]] = {m["id"]: (m, []) for m in messages if m["replyToId"] is None}
    for m in messages:
        if m["replyToId"] is not None:
            roots[m["replyToId"]][1].append(m)
    return roots


def text_of(message: Obj) -> str:
    return TAGS.sub(" ", message["body"]["content"])


def by_type(tenant: list[Obj], kind: str) -> list[Obj]:
    return [o for o in tenant if o["@odata.type"] == f"#microsoft.graph.{kind}"]


@pytest.fixture(scope="module")
def topic_answers(threads: dict[str, tuple[Obj, list[Obj]]]) -> dict[str, dict[str, list[Obj]]]:
    """Topic key to user id to the replies they wrote in threads whose root names one of the topic's terms."""
    patterns = {
        topic.key: re.compile(
            r"(?<!\w)(" + "|".join(re.escape(term) for term in topic.terms) + r")(?!\w)", re.IGNORECASE
        )
        for topic in TOPICS
    }
    answers: dict[str, dict[str, list[Obj]]] = {topic.key: defaultdict(list) for topic in TOPICS}
    for root, replies in threads.values():
        if root["from"] is None:
            continue
        root_text = text_of(root)
        asker = root["from"]["user"]["id"]
        for key, pattern in patterns.items():
            if not pattern.search(root_text):
                continue
            seen: set[str] = set()
            for reply in replies:
                author = reply["from"]["user"]["id"]
                if author != asker and author not in seen:
                    seen.add(author)
                    answers[key][author].append(reply)
    return answers


def test_two_runs_write_identical_bytes(tenant: list[Obj], tmp_path: Path) -> None:
    path = tmp_path / "demo.jsonl"
    lines = write_demo_tenant(path)
    expected = hashlib.sha256()
    for obj in tenant:
        expected.update(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
    assert lines == len(tenant)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == expected.hexdigest()
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert first["@odata.type"] == "#microsoft.graph.user"


def test_the_seed_and_now_change_the_tenant() -> None:
    assert demo_ground_truth(seed=7).topics != demo_ground_truth().topics
    assert demo_ground_truth(now=NOW) == demo_ground_truth()


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next(generate_demo_tenant(now=datetime(2026, 11, 1)))  # noqa: DTZ001 - the naive datetime is the point


def test_counts_are_in_the_expected_ranges(
    tenant: list[Obj], threads: dict[str, tuple[Obj, list[Obj]]]
) -> None:
    assert 280 <= len(by_type(tenant, "user")) <= 320
    assert 11 <= len(by_type(tenant, "team")) <= 14
    assert 36 <= len(by_type(tenant, "channel")) <= 44
    messages = by_type(tenant, "chatMessage")
    assert 15_000 <= len(messages) <= 25_000
    assert 4_000 <= len(threads) <= 9_000


def test_objects_come_in_import_order(tenant: list[Obj]) -> None:
    order = {"user": 0, "team": 1, "aadUserConversationMember": 2, "channel": 3, "chatMessage": 4}
    kinds = [order[o["@odata.type"].rsplit(".", 1)[1]] for o in tenant]
    assert kinds == sorted(kinds)


def test_most_teams_are_public_and_private_ones_hold_everyone_who_writes_there(
    tenant: list[Obj], messages: list[Obj]
) -> None:
    teams = by_type(tenant, "team")
    private = {t["id"] for t in teams if t["visibility"] == "private"}
    assert 2 == len(private) < len(teams) - 8
    members: dict[str, set[str]] = defaultdict(set)
    for member in by_type(tenant, "aadUserConversationMember"):
        members[member["teamId"]].add(member["userId"])
    assert set(members) == {t["id"] for t in teams}, "every team lists its members"
    users = {u["id"] for u in by_type(tenant, "user")}
    assert any(members[t["id"]] == users for t in teams), "the company-wide team holds everyone"
    for message in messages:
        team = message["channelIdentity"]["teamId"]
        author = (message["from"] or {}).get("user") or {}  # system events have no sender
        assert author.get("id", "") in members[team] | {""}, "only members write in a team's channels"
        for reaction in message["reactions"]:
            assert reaction["user"]["user"]["id"] in members[team]
    for team_id in private:
        assert len(members[team_id]) < len(users) // 2, "a private team is closed to most of the company"


def test_every_reply_answers_a_root_in_the_same_channel(messages: list[Obj]) -> None:
    roots = {m["id"]: m for m in messages if m["replyToId"] is None}
    for reply in (m for m in messages if m["replyToId"] is not None):
        root = roots[reply["replyToId"]]
        assert reply["channelIdentity"] == root["channelIdentity"]
        assert reply["createdDateTime"] > root["createdDateTime"]
        assert f"parentMessageId={root['id']}" in reply["webUrl"]


def test_channels_belong_to_teams_and_messages_to_channels(tenant: list[Obj], messages: list[Obj]) -> None:
    teams = {t["id"] for t in by_type(tenant, "team")}
    channels = {c["id"]: c["teamId"] for c in by_type(tenant, "channel")}
    assert set(channels.values()) <= teams
    assert all(re.fullmatch(r"19:[0-9a-f]{32}@thread\.tacv2", channel) for channel in channels)
    for message in messages:
        identity = message["channelIdentity"]
        assert channels[identity["channelId"]] == identity["teamId"]


def test_message_ids_are_unique_creation_timestamps(messages: list[Obj]) -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert len({m["id"] for m in messages}) == len(messages)
    for message in messages[::50]:
        created = datetime.fromisoformat(message["createdDateTime"])
        modified = datetime.fromisoformat(message["lastModifiedDateTime"])
        assert message["id"] == str((created - epoch) // timedelta(milliseconds=1))
        assert message["etag"] == str((modified - epoch) // timedelta(milliseconds=1))
        assert NOW - timedelta(days=366) <= created <= modified < NOW


def test_the_manager_tree_has_one_root_and_sensible_spans(tenant: list[Obj]) -> None:
    users = {u["id"]: u for u in by_type(tenant, "user")}
    roots = [u for u in users.values() if "manager" not in u]
    assert len(roots) == 1
    reports = Counter(u["manager"]["id"] for u in users.values() if "manager" in u)
    assert set(reports) <= set(users)
    assert all(5 <= count <= 30 for count in reports.values()), reports
    for user in users.values():  # every chain ends at the CEO without a loop
        seen: set[str] = set()
        while "manager" in user:
            assert user["id"] not in seen
            seen.add(user["id"])
            user = users[user["manager"]["id"]]
        assert user is roots[0]


def test_users_look_like_a_real_tenant(tenant: list[Obj]) -> None:
    users = by_type(tenant, "user")
    assert len({u["userPrincipalName"] for u in users}) == len(users)
    assert all(u["userPrincipalName"].endswith("@seulademo.onmicrosoft.com") for u in users)
    assert {u["preferredLanguage"] for u in users} == {"fi-FI", "en-US"}
    assert 2 <= sum(not u["accountEnabled"] for u in users) <= 5
    filled = sum(bool(u["aboutMe"] or u["skills"]) for u in users) / len(users)
    assert 0.2 <= filled <= 0.45


def test_experts_answer_their_topic_more_than_any_generalist(
    topic_answers: dict[str, dict[str, list[Obj]]],
) -> None:
    for topic in TOPICS:
        by_person = topic_answers[topic.key]
        busiest_generalist = max(len(by_person.get(g, [])) for g in GENERALISTS)
        for expert in topic.experts:
            assert len(by_person.get(expert, [])) > busiest_generalist, topic.key


def test_generalists_are_the_most_active_writers(messages: list[Obj]) -> None:
    authors = Counter(m["from"]["user"]["id"] for m in messages if m["from"] is not None)
    assert {person for person, _ in authors.most_common(len(GENERALISTS))} == set(GENERALISTS)


def test_rising_people_answer_mostly_in_the_last_three_months(
    topic_answers: dict[str, dict[str, list[Obj]]],
) -> None:
    window = (NOW - timedelta(days=90)).isoformat().replace("+00:00", "Z")
    assert 3 <= len(RISING) <= 5
    for topic in TOPICS:
        for person in topic.rising:
            replies = topic_answers[topic.key].get(person, [])
            recent = sum(reply["createdDateTime"] >= window for reply in replies)
            assert recent >= 8, topic.key
            assert recent > 2 * (len(replies) - recent), topic.key
            assert any(reply["reactions"] for reply in replies)


def test_both_languages_are_written(messages: list[Obj]) -> None:
    written = [m for m in messages if m["from"] is not None and m["body"]["content"]]
    finnish = sum(bool(FINNISH.search(text_of(m))) for m in written) / len(written)
    assert 0.25 <= finnish <= 0.45


def test_some_questions_go_unanswered_or_get_only_plus_ones(
    threads: dict[str, tuple[Obj, list[Obj]]],
) -> None:
    plus_ones = {phrase for phrases in PLUS_ONES.values() for phrase in phrases}
    questions = [
        (root, replies) for root, replies in threads.values() if root["from"] and "?" in text_of(root)
    ]
    unanswered = [root for root, replies in questions if not replies]
    only_plus_ones = [
        root
        for root, replies in questions
        if replies and all(text_of(r).strip() in plus_ones for r in replies)
    ]
    assert len(unanswered) >= 100
    assert len(only_plus_ones) >= 20


def test_messages_carry_what_teams_writes(messages: list[Obj]) -> None:
    bodies = "".join(m["body"]["content"] for m in messages)
    for fragment in ('<at id="0">', "<code>", "<pre ", '<a href="', "&nbsp;", "<emoji ", "<br>", "<p>"):
        assert fragment in bodies, fragment
    assert sum(m["body"]["contentType"] == "text" for m in messages) >= 500
    assert sum(m["lastEditedDateTime"] is not None for m in messages) >= 100
    assert sum(m["subject"] is not None for m in messages) >= 500
    deleted = [m for m in messages if m["deletedDateTime"] is not None]
    assert len(deleted) >= 30
    assert all(m["body"]["content"] == "" and not m["mentions"] for m in deleted)
    events = [m for m in messages if m["messageType"] == "systemEventMessage"]
    assert len(events) >= 10
    assert all(m["from"] is None and m["eventDetail"]["@odata.type"] for m in events)
    reactors = {r["user"]["user"]["id"] for m in messages for r in m["reactions"]}
    assert len(reactors) >= 200


def test_mentions_match_the_body(messages: list[Obj]) -> None:
    mentioning = [m for m in messages if m["mentions"]]
    assert len(mentioning) >= 500
    for message in mentioning:
        mention = message["mentions"][0]
        assert f'<at id="0">{mention["mentionText"]}</at>' in message["body"]["content"]
        assert mention["mentioned"]["user"]["tenantId"] == DEMO_TENANT_ID


def test_a_sample_parses_with_the_graph_sdk(tenant: list[Obj], messages: list[Obj]) -> None:
    factory = JsonParseNodeFactory()

    def parse(obj: Obj, model: Any) -> Any:
        node = factory.get_root_parse_node("application/json", json.dumps(obj, ensure_ascii=False).encode())
        return node.get_object_value(model)

    for user in by_type(tenant, "user")[::25]:
        parsed = parse(user, User)
        assert parsed.id == user["id"]
        assert parsed.manager is None or parsed.manager.id == user["manager"]["id"]
    assert parse(by_type(tenant, "team")[0], Team).display_name
    assert parse(by_type(tenant, "channel")[0], Channel).membership_type is not None

    special = [
        next(m for m in messages if m["messageType"] == "systemEventMessage"),
        next(m for m in messages if m["deletedDateTime"] is not None),
        next(m for m in messages if m["body"]["contentType"] == "text"),
        next(m for m in messages if m["mentions"] and m["reactions"]),
    ]
    for message in special + messages[::400]:  # the SDK parses ~200 messages a second: a sample is enough
        parsed = parse(message, ChatMessage)
        assert parsed.id == message["id"]
        assert parsed.channel_identity.channel_id == message["channelIdentity"]["channelId"]
        if message["from"] is None:
            assert parsed.event_detail is not None
            continue
        assert parsed.from_.user.id == message["from"]["user"]["id"]
        assert [m.mentioned.user.id for m in parsed.mentions or []] == [
            m["mentioned"]["user"]["id"] for m in message["mentions"]
        ]
        assert [(r.reaction_type, r.user.user.id) for r in parsed.reactions or []] == [
            (r["reactionType"], r["user"]["user"]["id"]) for r in message["reactions"]
        ]


def test_ground_truth_names_real_users(tenant: list[Obj]) -> None:
    users = {u["id"] for u in by_type(tenant, "user") if u["accountEnabled"]}
    assert 20 <= len(TOPICS) <= 25
    for topic in TOPICS:
        assert 1 <= len(topic.experts) <= 3
        assert set(topic.experts) <= users
        assert 15 <= len(topic.terms) <= 40
    experts = {e for topic in TOPICS for e in topic.experts}
    assert set(RISING) <= users - experts
    assert set(GENERALISTS) <= users - experts - set(RISING)
