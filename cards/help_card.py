"""The help card: what Seula does, the commands it understands, examples to click, and how to opt out."""

from __future__ import annotations

from bot.model import Language
from cards.elements import Element, card, im_back, text_block
from cards.strings import say

EXAMPLES: dict[Language, tuple[str, ...]] = {
    "en": ("who knows kubernetes", "does anyone know about GDPR?", "help"),
    "fi": ("kuka osaa kubernetes", "kuka tietää tietosuojasta", "apua"),
}


def build_help_card(
    language: Language, commands: list[tuple[str, str]], not_understood: bool = False
) -> Element:
    """The help card; `commands` are (title, description) pairs in the user's language."""
    body: list[Element] = []
    if not_understood:
        body.append(text_block(say(language, "help.unknown"), weight="bolder"))
    body += [
        text_block(say(language, "help.title"), size="medium", weight="bolder", style="heading"),
        text_block(say(language, "help.body")),
        text_block(say(language, "help.commands"), weight="bolder", spacing="medium"),
        *(
            text_block(f"**{title}**: {description}", spacing="none", size="small")
            for title, description in commands
        ),
        text_block(say(language, "help.privacy"), is_subtle=True, size="small", spacing="medium"),
    ]
    actions = [im_back(example, example) for example in EXAMPLES[language][:2]]
    return card(body, actions=actions, speak=say(language, "help.title"))
