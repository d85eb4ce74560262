"""A person's own view ("what do you know about me", "why am I listed"): topics, evidence, suggestions."""

from __future__ import annotations

from typing import Any

from bot.expertise import PersonTopic
from bot.model import Language
from bot.visibility import PersonVisibility
from cards.elements import (
    Action,
    Element,
    action_set,
    card,
    column,
    column_set,
    container,
    escape_markdown,
    execute,
    open_url,
    safe_link,
    text_block,
)
from cards.strings import say

VISIBILITY_VERB = "seula.visibility"
_BUTTON_TOPIC_CHARS = 40


def build_profile_card(
    topics: list[PersonTopic],
    suggested: list[tuple[str, int]],
    choices: PersonVisibility,
    language: Language,
    opt_in_default: bool = False,
) -> Element:
    """The person's own view of what Seula holds and does with it, with their choices and how to undo each.

    `opt_in_default` says the organization suggests only people who said "show me".
    """
    body: list[Element] = [
        text_block(say(language, "profile.title"), size="medium", weight="bolder", style="heading"),
        text_block(say(language, "profile.intro" if topics else "profile.none"), is_subtle=True),
    ]
    for topic in topics:
        link = safe_link(topic.evidence.url)
        body.append(
            container(
                [
                    text_block(f"**{escape_markdown(topic.name)}**", spacing="none"),
                    text_block(f"“{escape_markdown(topic.evidence.snippet)}”", size="small", max_lines=2),
                ],
                separator=True,
                select_action=open_url(topic.name, link) if link else None,
            )
        )
    body.append(text_block(say(language, "profile.suggested.title"), weight="bolder", spacing="medium"))
    if suggested:
        body += [
            text_block(
                say(language, "profile.suggested.item", topic=escape_markdown(name), times=times),
                spacing="none",
            )
            for name, times in suggested[:8]
        ]
    else:
        body.append(text_block(say(language, "profile.suggested.none"), is_subtle=True, spacing="none"))
    body += _choices(choices, language, opt_in_default)
    return card(body, speak=say(language, "profile.title"))


def _choices(choices: PersonVisibility, language: Language, opt_in_default: bool) -> list[Element]:
    """The person's visibility choices, each with a button that undoes it."""
    rows: list[Element] = [
        text_block(say(language, "profile.choices.title"), weight="bolder", spacing="medium")
    ]
    if choices.hidden:
        rows.append(
            _choice_row(say(language, "profile.hidden"), _undo(language, "profile.undo.hidden", "show"))
        )
    elif opt_in_default and not choices.opted_in:
        rows.append(
            _choice_row(say(language, "profile.not_opted_in"), _undo(language, "profile.undo.hidden", "show"))
        )
    if choices.team_only:
        rows.append(
            _choice_row(
                say(language, "profile.team_only"), _undo(language, "profile.undo.team_only", "everyone")
            )
        )
    for topic in choices.hidden_topics:
        label = topic if len(topic) <= _BUTTON_TOPIC_CHARS else topic[: _BUTTON_TOPIC_CHARS - 1] + "…"
        rows.append(
            _choice_row(
                say(language, "profile.hidden_topic", topic=escape_markdown(topic)),
                execute(
                    say(language, "profile.undo.topic", topic=label),
                    VISIBILITY_VERB,
                    {"choice": "show_topic", "topic": topic, "language": language},
                ),
            )
        )
    if not (choices.hidden or (opt_in_default and not choices.opted_in)):
        rows.append(text_block(say(language, "profile.visible"), spacing="small", size="small"))
    return rows


def _undo(language: Language, title: str, choice: str) -> Action:
    data: dict[str, Any] = {"choice": choice, "language": language}
    return execute(say(language, title), VISIBILITY_VERB, data)


def _choice_row(text: str, undo: Action) -> Element:
    return column_set(
        [
            column([text_block(text, size="small")], vertical_alignment="center"),
            column([action_set([undo])], width="auto", vertical_alignment="center"),
        ],
        spacing="small",
    )
