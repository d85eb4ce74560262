"""The answer to "who knows X": a few colleagues, why each is suggested, and one click to reach them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal
from urllib.parse import quote, urlencode

from bot.expertise import Evidence, ExpertMatch
from bot.model import Language, Person
from bot.presence import Availability
from cards.elements import (
    Element,
    action_set,
    card,
    column,
    column_set,
    container,
    escape_markdown,
    execute,
    open_url,
    plain_speech,
    safe_link,
    text_block,
)
from cards.strings import say

MORE_VERB = "seula.more"

_DOT_COLOR: dict[Availability, Literal["good", "warning", "attention"] | None] = {
    "available": "good",
    "busy": "attention",
    "do_not_disturb": "attention",
    "away": "warning",
    "be_right_back": "warning",
    "offline": None,
}

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def build_expert_card(
    query: str,
    topic: str,
    experts: list[ExpertMatch],
    language: Language,
    offset: int = 0,
    has_more: bool = False,
    availability: Mapping[str, Availability] | None = None,
) -> Element:
    """The expert card for `topic`; `offset` says how many people earlier cards already showed.

    `availability` (person id → availability, when presence is known) marks each person it names.
    """
    known = availability or {}
    shown_topic = escape_markdown(topic)
    if not experts:
        return _nobody_card(topic, language, offset)
    body: list[Element] = [
        text_block(
            say(language, "experts.title", topic=shown_topic), size="medium", weight="bolder", style="heading"
        ),
        text_block(say(language, "experts.subtitle"), is_subtle=True, spacing="none", size="small"),
    ]
    body.extend(_person_section(expert, topic, language, known.get(expert.person_id)) for expert in experts)
    actions = []
    if has_more:
        actions.append(
            execute(
                say(language, "experts.more"),
                MORE_VERB,
                {"query": query, "topic": topic, "offset": offset + len(experts), "language": language},
            )
        )
    elif offset:
        body.append(text_block(say(language, "experts.no_more"), is_subtle=True, size="small"))
    return card(
        body, actions=actions or None, speak=say(language, "experts.title", topic=plain_speech(topic))
    )


def _nobody_card(topic: str, language: Language, offset: int) -> Element:
    if offset:
        return card([text_block(say(language, "experts.no_more"))], speak=say(language, "experts.no_more"))
    title = say(language, "experts.none.title", topic=escape_markdown(topic))
    body = [
        text_block(title, size="medium", weight="bolder", style="heading"),
        text_block(say(language, "experts.none.body"), is_subtle=True),
    ]
    return card(body, speak=say(language, "experts.none.title", topic=plain_speech(topic)))


def chat_link(person: Person | None, person_id: str, message: str) -> str:
    """A Teams deep link that opens a 1:1 chat with the person, the first message already typed."""
    user = (person.user_principal_name or person.mail) if person else None
    params = {"users": user or f"8:orgid:{person_id}", "message": message}
    return "https://teams.microsoft.com/l/chat/0/0?" + urlencode(params, quote_via=quote)


def _person_section(
    expert: ExpertMatch, topic: str, language: Language, availability: Availability | None
) -> Element:
    person = expert.person
    # Button titles and the typed chat message are plain text: the name goes in as written, not escaped.
    first_name = expert.name.split()[0] if expert.name.split() else expert.name
    role = " · ".join(part for part in (person.job_title, person.department) if part) if person else ""
    header = column_set(
        [
            column(
                [
                    _name_line(expert.name, availability, language),
                    *(
                        [text_block(escape_markdown(role), is_subtle=True, spacing="none", size="small")]
                        if role
                        else []
                    ),
                    text_block(_why(expert, language), spacing="small", size="small"),
                    *(
                        [
                            text_block(
                                say(language, "experts.rising", topic=escape_markdown(topic)),
                                spacing="none",
                                size="small",
                                color="good",
                            )
                        ]
                        if expert.rising
                        else []
                    ),
                ]
            ),
            column(
                [
                    action_set(
                        [
                            open_url(
                                say(language, "experts.chat", first_name=first_name),
                                chat_link(
                                    person,
                                    expert.person_id,
                                    say(language, "experts.chat.message", first_name=first_name, topic=topic),
                                ),
                            )
                        ]
                    )
                ],
                width="auto",
                vertical_alignment="center",
            ),
        ]
    )
    evidence = [_evidence_block(item, language) for item in expert.evidence]
    return container([header, *evidence], separator=True, spacing="medium")


def _name_line(name: str, availability: Availability | None, language: Language) -> Element:
    """The person's name, with their availability beside it when it is known."""
    shown = text_block(escape_markdown(name), weight="bolder")
    if availability is None:
        return shown
    # The word, not only the colour: the dot's colour alone says nothing to a screen reader.
    mark = "○" if availability == "offline" else "●"
    status = text_block(
        f"{mark} {say(language, f'presence.{availability}')}",
        size="small",
        color=_DOT_COLOR[availability],
        is_subtle=availability == "offline" or None,
    )
    return column_set(
        [column([shown], width="auto"), column([status], width="stretch", vertical_alignment="center")]
    )


def _why(expert: ExpertMatch, language: Language) -> str:
    if expert.answers > 1:
        parts = [say(language, "experts.why.answers", answers=expert.answers)]
    elif expert.answers == 1:
        parts = [say(language, "experts.why.answer_one")]
    else:
        parts = [say(language, "experts.why.posts")]
    if expert.reactions == 1:
        parts.append(say(language, "experts.why.reaction_one"))
    elif expert.reactions:
        parts.append(say(language, "experts.why.reactions", reactions=expert.reactions))
    return " · ".join(parts)


def _evidence_block(item: Evidence, language: Language) -> Element:
    kind = say(language, "experts.evidence.answer" if item.is_answer else "experts.evidence.post")
    meta = [kind, _date(item.created_at, language)]
    if item.reactions == 1:
        meta.append(say(language, "experts.evidence.reaction_one"))
    elif item.reactions:
        meta.append(say(language, "experts.evidence.reactions", reactions=item.reactions))
    link = safe_link(item.url)
    return container(
        [
            text_block(f"“{escape_markdown(item.snippet)}”", size="small", max_lines=3, spacing="none"),
            text_block(" · ".join(meta), size="small", is_subtle=True, spacing="none"),
        ],
        spacing="small",
        style="emphasis",
        select_action=open_url(kind, link) if link else None,
    )


def _date(moment: datetime, language: Language) -> str:
    if language == "fi":
        return f"{moment.day}.{moment.month}.{moment.year}"
    return f"{moment.day} {_EN_MONTHS[moment.month - 1]} {moment.year}"
