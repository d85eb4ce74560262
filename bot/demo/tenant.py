"""A deterministic demo tenant: a Finnish company's people, teams, channels and a year of messages.

The output goes through the same importer as real Graph data, so every object has the shape Graph v1.0
returns, with one addition: a channel and a team member carry `teamId`, which Graph's channel and
conversationMember objects lack (the importer needs to know the team, and Graph only tells it by the URL the
object was listed under).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bot.demo.conversations import Draft, Thread, plan_conversations
from bot.demo.organization import DemoChannel, DemoTeam, Employee, Organization, build_organization
from bot.demo.vocabulary import EMOJI, TOPIC_VOCABULARY

DEMO_TENANT_ID = "3b7e9d4a-6c21-4f8e-a5d0-7f1c2e9b8a64"
DEFAULT_SEED = 2026
DEFAULT_NOW = datetime(2026, 11, 1, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TOKEN = re.compile(r"(\{m\}|\{link\}|\{e:[a-z_]+\})")


@dataclass(frozen=True, slots=True)
class DemoTopic:
    """A field of expertise in the demo tenant and the people who, by construction, know it."""

    key: str
    name: str
    name_fi: str
    channel: str
    terms: tuple[str, ...]
    experts: tuple[str, ...]  # user ids, most active first
    rising: tuple[str, ...]  # user ids who start answering in the last three months


@dataclass(frozen=True, slots=True)
class DemoGroundTruth:
    """What the demo tenant was built to show, for tests, evaluations and docs."""

    topics: tuple[DemoTopic, ...]
    rising: tuple[str, ...]
    generalists: tuple[str, ...]
    display_names: Mapping[str, str]


def demo_ground_truth(seed: int = DEFAULT_SEED, now: datetime | None = None) -> DemoGroundTruth:
    """The experts, rising people and generalists of the tenant `generate_demo_tenant(seed, now)` yields."""
    return _ground_truth(build_organization(seed, _now_ms(now)))


def generate_demo_tenant(seed: int = DEFAULT_SEED, now: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Yield Graph v1.0 objects (users first, then teams/channels info, then chatMessages) in import order."""
    now_ms = _now_ms(now)
    org = build_organization(seed, now_ms)
    threads = plan_conversations(org, seed, now_ms, DEMO_TENANT_ID)
    for person in org.people:
        yield _user(person)
    for team in org.teams:
        yield _team(team)
    members = _team_members(org, threads)
    for team, people in members.items():
        for person in people:
            yield _member(team, person)
    for channel in org.channels:
        yield _channel(channel)
    # Only members can react in a private team's channels.
    closed = {team: {p.id for p in people} for team, people in members.items() if team.visibility != "public"}
    for thread in threads:
        root_id = str(thread.root.created_ms)
        reactors = closed.get(thread.channel.team)
        yield _message(thread.root, thread.channel, root_id, is_root=True, reactors=reactors)
        for reply in thread.replies:
            yield _message(reply, thread.channel, root_id, is_root=False, reactors=reactors)


def write_demo_tenant(path: Path, seed: int = DEFAULT_SEED, now: datetime | None = None) -> int:
    """Write the tenant as JSON Lines (one object a line, UTF-8, ensure_ascii=False); return lines written."""
    lines = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for obj in generate_demo_tenant(seed, now):
            out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
            lines += 1
    return lines


def _now_ms(now: datetime | None) -> int:
    moment = DEFAULT_NOW if now is None else now
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware, e.g. datetime(2026, 11, 1, tzinfo=UTC)")
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _ground_truth(org: Organization) -> DemoGroundTruth:
    topics = tuple(
        DemoTopic(
            key=topic.key,
            name=topic.name,
            name_fi=topic.name_fi,
            channel=topic.channel,
            terms=topic.terms + topic.terms_fi,
            experts=tuple(e.id for e in org.experts[topic.key]),
            rising=(org.rising[topic.key].id,) if topic.key in org.rising else (),
        )
        for topic in TOPIC_VOCABULARY
    )
    return DemoGroundTruth(
        topics=topics,
        rising=tuple(org.rising[key].id for key in sorted(org.rising)),
        generalists=tuple(g.id for g in org.generalists),
        display_names={p.id: p.display_name for p in org.people},
    )


# --- Graph shapes ---


def _graph_time(ms: int) -> str:
    """Graph's timestamp form: UTC, milliseconds with trailing zeros dropped ("…:36.26Z", "…:36Z")."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    fraction = f"{ms % 1000:03d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def _user(person: Employee) -> dict[str, Any]:
    user: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.user",
        "id": person.id,
        "accountEnabled": person.account_enabled,
        "displayName": person.display_name,
        "givenName": person.given_name,
        "surname": person.surname,
        "userPrincipalName": person.user_principal_name,
        "mail": person.user_principal_name,
        "jobTitle": person.job_title,
        "department": person.department,
        "officeLocation": person.office_location,
        "preferredLanguage": person.preferred_language,
        "aboutMe": person.about_me,
        "skills": list(person.skills),
        "interests": list(person.interests),
        "responsibilities": list(person.responsibilities),
        "pastProjects": list(person.past_projects),
    }
    if person.manager is not None:
        user["manager"] = {
            "@odata.type": "#microsoft.graph.user",
            "id": person.manager.id,
            "displayName": person.manager.display_name,
        }
    return user


def _team(team: DemoTeam) -> dict[str, Any]:
    general = team.channels[0].id
    return {
        "@odata.type": "#microsoft.graph.team",
        "id": team.id,
        "createdDateTime": _graph_time(team.created_ms),
        "displayName": team.display_name,
        "description": team.description,
        "internalId": general,
        "classification": None,
        "specialization": "none",
        "visibility": team.visibility,
        "webUrl": f"https://teams.microsoft.com/l/team/{quote(general, safe='')}/conversations"
        f"?groupId={team.id}&tenantId={DEMO_TENANT_ID}",
        "isArchived": False,
        "tenantId": DEMO_TENANT_ID,
    }


def _team_members(org: Organization, threads: list[Thread]) -> dict[DemoTeam, list[Employee]]:
    """Each team's members: its department (everyone, for the company team) and whoever wrote in its
    channels, since only members can post there; in a public team also whoever reacted (anyone may join)."""
    members: dict[DemoTeam, dict[str, Employee]] = {
        team: {p.id: p for p in (org.departments.get(team.department, []) if team.department else org.people)}
        for team in org.teams
    }
    for thread in threads:
        team = members[thread.channel.team]
        for draft in (thread.root, *thread.replies):
            reactors = [r[0] for r in draft.reactions] if thread.channel.team.visibility == "public" else []
            for person in (draft.author, *reactors):
                if person is not None:
                    team.setdefault(person.id, person)
    return {team: sorted(people.values(), key=lambda p: p.id) for team, people in members.items()}


def _member(team: DemoTeam, person: Employee) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.aadUserConversationMember",
        "id": f"{team.id}##{person.id}",
        "roles": ["owner"] if person.role == "head" and person.department == team.department else [],
        "displayName": person.display_name,
        "userId": person.id,
        "email": person.user_principal_name,
        "tenantId": DEMO_TENANT_ID,
        "teamId": team.id,  # not in Graph's conversationMember: the importer needs the team
    }


def _channel(channel: DemoChannel) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.channel",
        "id": channel.id,
        "createdDateTime": _graph_time(channel.created_ms),
        "displayName": channel.display_name,
        "description": channel.description,
        "membershipType": "standard",
        "tenantId": DEMO_TENANT_ID,
        "webUrl": f"https://teams.microsoft.com/l/channel/{quote(channel.id, safe='')}/"
        f"{quote(channel.display_name, safe='')}?groupId={channel.team.id}&tenantId={DEMO_TENANT_ID}",
        "teamId": channel.team.id,  # not in Graph's channel object: the importer needs the team
    }


def _identity(person: Employee, *, with_name: bool = True) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.teamworkUserIdentity",
        "id": person.id,
        "displayName": person.display_name if with_name else None,
        "userIdentityType": "aadUser",
        "tenantId": DEMO_TENANT_ID,
    }


def _message(
    draft: Draft, channel: DemoChannel, root_id: str, *, is_root: bool, reactors: set[str] | None = None
) -> dict[str, Any]:
    """A chatMessage; `reactors`, if given, are the only people whose reactions are kept."""
    message_id = str(draft.created_ms)
    deleted = draft.deleted_ms is not None
    reactions = [] if deleted else [r for r in draft.reactions if reactors is None or r[0].id in reactors]
    modified_ms = max(
        draft.created_ms,
        draft.edited_ms or 0,
        draft.deleted_ms or 0,
        max((at_ms for *_, at_ms in reactions), default=0),
    )
    if draft.author is None:
        body = {"contentType": "html", "content": "<systemEventMessage/>"}
    elif deleted:
        body = {"contentType": "html", "content": ""}  # Graph empties the body of a deleted message
    elif draft.plain:
        body = {"contentType": "text", "content": _plain_body(draft)}
    else:
        body = {"contentType": "html", "content": _html_body(draft)}
    mentioned = draft.mention if draft.mention is not None and not deleted else None
    return {
        "@odata.type": "#microsoft.graph.chatMessage",
        "id": message_id,
        "replyToId": None if is_root else root_id,
        "etag": str(modified_ms),
        "messageType": "message" if draft.author is not None else "systemEventMessage",
        "createdDateTime": _graph_time(draft.created_ms),
        "lastModifiedDateTime": _graph_time(modified_ms),
        "lastEditedDateTime": _graph_time(draft.edited_ms) if draft.edited_ms is not None else None,
        "deletedDateTime": _graph_time(draft.deleted_ms) if draft.deleted_ms is not None else None,
        "subject": draft.subject if is_root else None,
        "summary": None,
        "chatId": None,
        "importance": draft.importance,
        "locale": "en-us",
        "webUrl": f"https://teams.microsoft.com/l/message/{quote(channel.id, safe='')}/{message_id}"
        f"?groupId={channel.team.id}&tenantId={DEMO_TENANT_ID}&createdTime={message_id}&parentMessageId={root_id}",
        "channelIdentity": {"teamId": channel.team.id, "channelId": channel.id},
        "onBehalfOf": None,
        "policyViolation": None,
        "eventDetail": draft.event_detail,
        "from": None
        if draft.author is None
        else {"application": None, "device": None, "user": _identity(draft.author)},
        "body": body,
        "attachments": [],
        "mentions": []
        if mentioned is None
        else [
            {
                "id": 0,
                "mentionText": mentioned.display_name,
                "mentioned": {
                    "application": None,
                    "device": None,
                    "conversation": None,
                    "tag": None,
                    "user": _identity(mentioned),
                },
            }
        ],
        "reactions": [
            {
                "reactionType": reaction_type,
                "displayName": display,
                "reactionContentUrl": None,
                "createdDateTime": _graph_time(at_ms),
                "user": {"application": None, "device": None, "user": _identity(person, with_name=False)},
            }
            for person, reaction_type, display, at_ms in reactions
        ],
    }


def _html_body(draft: Draft) -> str:
    paragraphs = [
        "<br>".join(_inline_html(line, draft) for line in paragraph.split("\n"))
        for paragraph in draft.text.split("\n\n")
    ]
    parts = [f"<p>{paragraphs[0]}</p>"]
    if draft.code is not None:
        language, code = draft.code
        parts.append(f'<pre class="language-{language}"><code>{html.escape(code, quote=False)}</code></pre>')
    parts.extend(f"<p>{paragraph}</p>" for paragraph in paragraphs[1:])
    # Teams puts a no-break space after a mention and before an emoji, and Graph returns it as &nbsp;.
    return "".join(parts).replace("</at> ", "</at>&nbsp;").replace(" <emoji", "&nbsp;<emoji")


def _inline_html(text: str, draft: Draft) -> str:
    out: list[str] = []
    for index, piece in enumerate(_TOKEN.split(text)):
        if index % 2 == 0:
            spans = piece.split("`")
            out.extend(
                f"<code>{html.escape(span, quote=False)}</code>"
                if odd % 2
                else html.escape(span, quote=False)
                for odd, span in enumerate(spans)
            )
        elif piece == "{m}" and draft.mention is not None:
            out.append(f'<at id="0">{html.escape(draft.mention.display_name, quote=False)}</at>')
        elif piece == "{link}" and draft.link is not None:
            title, url = draft.link
            href = html.escape(url)
            out.append(
                f'<a href="{href}" rel="noreferrer noopener" target="_blank" title="{href}">'
                f"{html.escape(title, quote=False)}</a>"
            )
        elif piece.startswith("{e:"):
            emoji_id, alt, title = EMOJI[piece[3:-1]]
            out.append(f'<emoji id="{emoji_id}" alt="{alt}" title="{title}"></emoji>')
    return "".join(out)


def _plain_body(draft: Draft) -> str:
    text = _TOKEN.sub(
        lambda match: EMOJI[match.group(0)[3:-1]][1] if match.group(0).startswith("{e:") else "", draft.text
    )
    return text.replace("`", "")


GROUND_TRUTH = demo_ground_truth()
TOPICS: tuple[DemoTopic, ...] = GROUND_TRUTH.topics
RISING: tuple[str, ...] = GROUND_TRUTH.rising
GENERALISTS: tuple[str, ...] = GROUND_TRUTH.generalists
