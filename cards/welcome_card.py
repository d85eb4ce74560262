"""The welcome card sent when Seula is installed: what it does, what it reads, and how to opt out."""

from __future__ import annotations

from bot.model import Language
from cards.elements import Element, card, im_back, text_block
from cards.help_card import EXAMPLES
from cards.strings import say


def build_welcome_card(language: Language) -> Element:
    """The welcome card in `language`."""
    body = [
        text_block(say(language, "welcome.title"), size="large", weight="bolder", style="heading"),
        text_block(say(language, "welcome.body")),
        text_block(say(language, "welcome.reads.title"), weight="bolder", spacing="medium"),
        text_block(say(language, "welcome.reads"), spacing="none"),
        text_block(say(language, "welcome.optout.title"), weight="bolder", spacing="medium"),
        text_block(say(language, "welcome.optout"), spacing="none"),
    ]
    actions = [im_back(example, example) for example in EXAMPLES[language][:2]]
    return card(body, actions=actions, speak=say(language, "welcome.title"))
