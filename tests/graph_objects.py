"""Builders of Microsoft Graph v1.0 objects, shaped like the verbatim examples in ../shared/fixtures/graph."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
TEAM = "fbe2bf47-16c8-47cf-b4a5-4b9b187c508b"
CHANNEL = "19:4a95f7d8db4c4e7fae857bcebe0623e6@thread.tacv2"
START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def user(id: str, name: str, **extra: Any) -> dict[str, Any]:
    first, _, last = name.partition(" ")
    return {
        "@odata.type": "#microsoft.graph.user",
        "id": id,
        "displayName": name,
        "givenName": first,
        "surname": last,
        "userPrincipalName": f"{first.lower()}.{last.lower()}@contoso.com",
        "mail": f"{first.lower()}.{last.lower()}@contoso.com",
        "jobTitle": extra.pop("jobTitle", "Engineer"),
        "department": extra.pop("department", "Platform"),
        "accountEnabled": extra.pop("accountEnabled", True),
        **extra,
    }


def team(id: str = TEAM, name: str = "Platform Engineering", visibility: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"@odata.type": "#microsoft.graph.team", "id": id, "displayName": name}
    obj["description"] = None
    if visibility is not None:
        obj["visibility"] = visibility
    return obj


def team_member(team_id: str, user_id: str, name: str = "", roles: tuple[str, ...] = ()) -> dict[str, Any]:
    """A team's member as `GET /teams/{id}/members` lists it, with the `teamId` an export adds."""
    return {
        "@odata.type": "#microsoft.graph.aadUserConversationMember",
        "id": f"MCMj{team_id}##{user_id}",
        "roles": list(roles),
        "displayName": name,
        "userId": user_id,
        "email": None,
        "tenantId": TENANT,
        "teamId": team_id,
    }


def channel(id: str = CHANNEL, name: str = "Kubernetes", team_id: str = TEAM) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.channel",
        "id": id,
        "displayName": name,
        "membershipType": "standard",
        "teamId": team_id,
    }


def chat_message(
    id: int,
    author: tuple[str, str],
    html: str,
    reply_to: int | None = None,
    subject: str | None = None,
    reactions: list[str] | None = None,
    at: datetime | None = None,
    deleted: bool = False,
    channel_id: str = CHANNEL,
    team_id: str = TEAM,
) -> dict[str, Any]:
    created = at or START + timedelta(minutes=id)
    stamp = created.isoformat().replace("+00:00", "Z")
    return {
        "@odata.type": "#microsoft.graph.chatMessage",
        "id": str(id),
        "replyToId": str(reply_to) if reply_to is not None else None,
        "etag": str(id),
        "messageType": "message",
        "createdDateTime": stamp,
        "lastModifiedDateTime": stamp,
        "lastEditedDateTime": None,
        "deletedDateTime": stamp if deleted else None,
        "subject": subject,
        "summary": None,
        "chatId": None,
        "importance": "normal",
        "locale": "en-us",
        "webUrl": f"https://teams.microsoft.com/l/message/{channel_id}/{id}?groupId={team_id}&tenantId={TENANT}",
        "policyViolation": None,
        "eventDetail": None,
        "from": {
            "application": None,
            "device": None,
            "user": {
                "@odata.type": "#microsoft.graph.teamworkUserIdentity",
                "id": author[0],
                "displayName": author[1],
                "userIdentityType": "aadUser",
                "tenantId": TENANT,
            },
        },
        "body": {"contentType": "html", "content": "" if deleted else html},
        "channelIdentity": {"teamId": team_id, "channelId": channel_id},
        "attachments": [],
        "mentions": [],
        "reactions": [
            {
                "reactionType": "like",
                "displayName": "Like",
                "reactionContentUrl": None,
                "createdDateTime": stamp,
                "user": {
                    "application": None,
                    "device": None,
                    "user": {
                        "@odata.type": "#microsoft.graph.teamworkUserIdentity",
                        "id": reactor,
                        "displayName": None,
                        "userIdentityType": "aadUser",
                        "tenantId": TENANT,
                    },
                },
            }
            for reactor in reactions or []
        ],
    }


def system_event(
    id: int, at: datetime, initiator: str, channel_id: str = CHANNEL, team_id: str = TEAM
) -> dict[str, Any]:
    """A system event as Graph lists it (`from` null, `eventDetail`): somebody added a member."""
    event = chat_message(id, ("", ""), "<systemEventMessage/>", at=at, channel_id=channel_id, team_id=team_id)
    return {
        **event,
        "messageType": "systemEventMessage",
        "from": None,
        "eventDetail": {
            "@odata.type": "#microsoft.graph.membersAddedEventMessageDetail",
            "visibleHistoryStartDateTime": "0001-01-01T00:00:00Z",
            "members": [
                {"id": initiator, "userIdentityType": "aadUser", "tenantId": TENANT, "displayName": None}
            ],
            "initiator": {
                "application": None,
                "device": None,
                "user": {"id": initiator, "displayName": None, "userIdentityType": "aadUser"},
            },
        },
    }


def app_message(
    id: int,
    at: datetime,
    reactions: list[str],
    reply_to: int | None = None,
    channel_id: str = CHANNEL,
    team_id: str = TEAM,
) -> dict[str, Any]:
    """A bot's message (`from.application`, an Adaptive Card attachment) that people reacted to."""
    message = chat_message(
        id,
        ("", ""),
        "",
        reply_to=reply_to,
        reactions=reactions,
        at=at,
        channel_id=channel_id,
        team_id=team_id,
    )
    return {
        **message,
        "from": {
            "application": {
                "@odata.type": "#microsoft.graph.teamworkApplicationIdentity",
                "id": "a8c4d5a2-0d3b-4f7a-9d33-3c1f9d1d0b11",
                "displayName": "Polly",
                "applicationIdentityType": "bot",
            },
            "device": None,
            "user": None,
        },
        "body": {"contentType": "html", "content": '<attachment id="card1"></attachment>'},
        "attachments": [
            {
                "id": "card1",
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": '{"type":"AdaptiveCard","body":[{"type":"TextBlock","text":"Poll: lunch?"}]}',
                "name": None,
                "thumbnailUrl": None,
                "teamsAppId": "a8c4d5a2-0d3b-4f7a-9d33-3c1f9d1d0b11",
            }
        ],
    }


ANNA = ("a0000000-0000-4000-8000-000000000001", "Anna Virtanen")
BEN = ("b0000000-0000-4000-8000-000000000002", "Ben Carter")
CAROL = ("c0000000-0000-4000-8000-000000000003", "Carol Nieminen")
DAVE = ("d0000000-0000-4000-8000-000000000004", "Dave Okafor")


def small_tenant() -> list[dict[str, Any]]:
    """Four people, one channel: Anna answers Kubernetes questions, Ben answers Terraform ones."""
    objects: list[dict[str, Any]] = [
        user(ANNA[0], ANNA[1], jobTitle="Platform Engineer"),
        user(BEN[0], BEN[1], jobTitle="Cloud Architect"),
        user(CAROL[0], CAROL[1], department="Sales"),
        user(DAVE[0], DAVE[1], department="Finance"),
        team(),
        channel(),
    ]
    questions = [
        (
            100,
            CAROL,
            "Pods keep restarting",
            "<p>Our <b>kubernetes</b> pods keep restarting after deploy, any idea?</p>",
        ),
        (200, DAVE, "Helm chart values", "<p>How do I override helm chart values in kubernetes?</p>"),
        (
            300,
            CAROL,
            "Terraform state",
            "<p>Where should terraform state live for our Azure subscriptions?</p>",
        ),
    ]
    for root, asker, subject, html in questions:
        objects.append(chat_message(root, asker, html, subject=subject))
    objects += [
        chat_message(
            101,
            ANNA,
            "<p>Check the liveness probe; <code>kubectl describe pod</code> shows why the "
            "kubernetes scheduler restarts it.</p>",
            reply_to=100,
            reactions=[CAROL[0], DAVE[0], BEN[0]],
        ),
        chat_message(102, CAROL, "<p>Thanks Anna, that was it!</p>", reply_to=100),
        chat_message(
            201,
            ANNA,
            "<p>Use <code>helm upgrade -f values.yaml</code>; kubernetes picks up the new release.</p>",
            reply_to=200,
            reactions=[DAVE[0]],
        ),
        chat_message(
            301,
            BEN,
            "<p>Keep terraform state in an Azure storage account with locking.</p>",
            reply_to=300,
            reactions=[CAROL[0]],
        ),
        chat_message(400, BEN, "<p>Kubernetes meetup next week, anyone going?</p>", subject="Meetup"),
    ]
    return objects


def generated_tenant(
    seed: int = 7,
    channels: int = 3,
    threads_per_channel: int = 110,
    people: int = 12,
    apps_and_events: bool = False,
) -> list[dict[str, Any]]:
    """A deterministic tenant big enough to page: users (with profiles and managers), two teams, channels.

    `apps_and_events` adds to each channel's last thread a system event, a bot's post and a bot's reply, each
    of the bot's with reactions, as real channels have them.
    """
    import random

    rng = random.Random(seed)
    users = [(f"{i:08d}-0000-4000-8000-{seed:012d}", f"Person{i} Tester{i}") for i in range(people)]
    objects: list[dict[str, Any]] = []
    for index, (user_id, name) in enumerate(users):
        extra: dict[str, Any] = {
            "skills": ["kubernetes", "terraform"][: index % 3],
            "aboutMe": f"I am {name}",
        }
        if index:
            extra["manager"] = {"@odata.type": "#microsoft.graph.user", "id": users[0][0]}
        objects.append(user(user_id, name, **extra))
    teams = [
        ("11111111-0000-4000-8000-000000000001", "Platform"),
        ("22222222-0000-4000-8000-000000000002", "Data"),
    ]
    objects += [team(team_id, team_name) for team_id, team_name in teams]
    topics = ["kubernetes helm", "terraform state", "postgres vacuum", "power bi dax", "gdpr requests"]
    message_id = 1_700_000_000_000
    for c in range(channels):
        team_id = teams[c % 2][0]
        channel_id = f"19:{seed:04d}{c:028d}@thread.tacv2"
        objects.append(channel(channel_id, f"Channel {c}", team_id))
        for t in range(threads_per_channel):
            topic = topics[(c + t) % len(topics)]
            asker = users[rng.randrange(people)]
            message_id += rng.randrange(60_000, 9_000_000)
            root = message_id
            at = START - timedelta(days=400) + timedelta(days=t * 4, hours=c)
            objects.append(
                chat_message(
                    root,
                    asker,
                    f"<p>How do I fix {topic}?</p>",
                    subject=topic.title(),
                    at=at,
                    channel_id=channel_id,
                    team_id=team_id,
                )
            )
            for r in range(rng.randrange(0, 6)):
                message_id += rng.randrange(1000, 100_000)
                helper = users[rng.randrange(people)]
                reactors = [u[0] for u in rng.sample(users, rng.randrange(0, 4))]
                objects.append(
                    chat_message(
                        message_id,
                        helper,
                        f"<p>Answer {r} about <b>{topic}</b></p>",
                        reply_to=root,
                        reactions=reactors,
                        at=at + timedelta(hours=r + 1),
                        channel_id=channel_id,
                        team_id=team_id,
                    )
                )
        if apps_and_events:
            reactors = [u[0] for u in users[:2]]
            at = START - timedelta(days=400) + timedelta(days=threads_per_channel * 4, hours=c)
            objects += [
                system_event(message_id + 1, at, users[0][0], channel_id, team_id),
                app_message(message_id + 2, at, reactors, channel_id=channel_id, team_id=team_id),
                app_message(
                    message_id + 3, at, reactors, reply_to=root, channel_id=channel_id, team_id=team_id
                ),
            ]
            message_id += 3
    return objects
