"""The confirmation asked before "forget me" erases a person's data."""

from __future__ import annotations

from bot.model import Language
from cards.elements import Element, card, execute, text_block
from cards.strings import say

FORGET_VERB = "seula.forget"


def build_forget_card(language: Language) -> Element:
    """What forgetting erases and keeps, with one button to confirm."""
    body = [
        text_block(say(language, "forget.title"), size="medium", weight="bolder", style="heading"),
        text_block(say(language, "forget.body")),
    ]
    actions = [execute(say(language, "forget.confirm"), FORGET_VERB, {"confirm": True, "language": language})]
    return card(body, actions=actions, speak=say(language, "forget.title"))
