"""Small, typed builders for the Adaptive Card 1.5 elements Seula uses; `None` properties are left out."""

from __future__ import annotations

import re
from typing import Any, Literal

Element = dict[str, Any]
Action = dict[str, Any]

CARD_VERSION = "1.5"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]()#+\-!>~|<])")
_LEADING_NUMBER = re.compile(r"^(\d+)\.")  # "1. x" at the start of a TextBlock would render as a list
# Adaptive Cards expand {{DATE(...)}} and {{TIME(...)}} inside TextBlocks: an invisible joiner keeps it text.
_CARD_FUNCTION = re.compile(r"\{(?=\{)")
# Cards link only to Teams: evidence is always a Teams message, the chat button a Teams deep link.
_ALLOWED_LINK = re.compile(r"^https://(teams\.microsoft\.com|teams\.cloud\.microsoft)(/|$)", re.I)


def card(body: list[Element], actions: list[Action] | None = None, speak: str | None = None) -> Element:
    """A full-width Adaptive Card as Teams renders it."""
    return _compact(
        {
            "type": "AdaptiveCard",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": CARD_VERSION,
            "body": body,
            "actions": actions or None,
            "speak": speak,
            "msteams": {"width": "Full"},
        }
    )


def text_block(
    text: str,
    *,
    size: Literal["small", "default", "medium", "large"] | None = None,
    weight: Literal["lighter", "default", "bolder"] | None = None,
    is_subtle: bool | None = None,
    wrap: bool = True,
    spacing: Literal["none", "small", "default", "medium", "large"] | None = None,
    max_lines: int | None = None,
    style: Literal["heading"] | None = None,
    color: Literal["default", "accent", "good", "warning", "attention"] | None = None,
) -> Element:
    return _compact(
        {
            "type": "TextBlock",
            "text": text,
            "color": color,
            "size": size,
            "weight": weight,
            "isSubtle": is_subtle,
            "wrap": wrap,
            "spacing": spacing,
            "maxLines": max_lines,
            "style": style,
        }
    )


def container(
    items: list[Element],
    *,
    separator: bool | None = None,
    spacing: str | None = None,
    style: str | None = None,
    select_action: Action | None = None,
) -> Element:
    return _compact(
        {
            "type": "Container",
            "items": items,
            "separator": separator,
            "spacing": spacing,
            "style": style,
            "selectAction": select_action,
        }
    )


def column_set(columns: list[Element], spacing: str | None = None) -> Element:
    return _compact({"type": "ColumnSet", "columns": columns, "spacing": spacing})


def column(items: list[Element], width: str = "stretch", vertical_alignment: str | None = None) -> Element:
    return _compact(
        {"type": "Column", "width": width, "items": items, "verticalContentAlignment": vertical_alignment}
    )


def action_set(actions: list[Action], spacing: str | None = None) -> Element:
    return _compact({"type": "ActionSet", "actions": actions, "spacing": spacing})


def fact_set(facts: list[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in facts]}


def open_url(title: str, url: str) -> Action:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def im_back(title: str, value: str) -> Action:
    """A button that sends `value` as if the user had typed it (Teams `imBack`)."""
    return {"type": "Action.Submit", "title": title, "data": {"msteams": {"type": "imBack", "value": value}}}


def execute(title: str, verb: str, data: dict[str, Any]) -> Action:
    """A Universal Action (`adaptiveCard/action` invoke), falling back to Submit on older clients."""
    payload = {**data, "verb": verb}
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": payload,
        "fallback": {"type": "Action.Submit", "title": title, "data": payload},
    }


def escape_markdown(text: str) -> str:
    """Text from people, made inert in a TextBlock: no markdown, links, mentions or functions of its own."""
    flat = _MARKDOWN_SPECIALS.sub(r"\\\1", " ".join(text.split()))
    return _CARD_FUNCTION.sub("{\u2060", _LEADING_NUMBER.sub(r"\1\\.", flat))


def plain_speech(text: str) -> str:
    """Text for a card's `speak` (SSML): no tags or entities of its own."""
    return " ".join(text.replace("<", " ").replace(">", " ").replace("&", " and ").split())


def safe_link(url: str | None) -> str | None:
    """`url` if it points at Teams or Microsoft 365, else None: a card never links anywhere else."""
    if url and _ALLOWED_LINK.match(url) and not any(c in url for c in " <>\"'()"):
        return url
    return None


def _compact(element: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in element.items() if value is not None}
