"""A one-message card: used where Teams wants a card but Seula has only a sentence to say."""

from __future__ import annotations

from cards.elements import Element, card, text_block


def build_notice_card(text: str) -> Element:
    """A card holding one paragraph of (trusted, Seula-written) markdown."""
    return card([text_block(text)], speak=text)
