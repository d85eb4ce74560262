"""bot.language: Finnish or English from the words, then the locale, then the default."""

from __future__ import annotations

import pytest

from bot.language import choose_language, detect_language
from bot.model import Language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("who knows kubernetes", "en"),
        ("Does anyone know how to rotate the secrets?", "en"),
        ("help", "en"),
        ("hello there", "en"),
        ("who knows Jyväskylä", "en"),  # a Finnish place name in an English question
        ("kuka osaa kubernetes", "fi"),
        ("Miten saan klusterin pystyyn?", "fi"),
        ("Onko meillä ohjeita VPN:n käyttöön?", "fi"),
        ("apua", "fi"),
        ("moi", "fi"),
        ("tiimin yhteenveto", "fi"),
        ("Kubernetesissa", "fi"),  # a Finnish case ending
        ("päivitys", "fi"),  # ä
        ("kubernetes", None),  # a bare topic
        ("tietoturva", None),
        ("deployment pipelines", None),
        ("?", None),
        ("👍", None),
        ("", None),
    ],
)
def test_detect_language(text: str, language: Language | None) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("text", "locale", "default", "language"),
    [
        ("kuka osaa kubernetes", "en-US", "en", "fi"),  # the message first
        ("who knows kubernetes", "fi-FI", "fi", "en"),
        ("kubernetes", "fi-FI", "en", "fi"),  # then the locale
        ("kubernetes", "fi", "en", "fi"),
        ("kubernetes", "FI_fi", "en", "fi"),
        ("kubernetes", "en-GB", "fi", "en"),
        ("kubernetes", "sv-FI", "fi", "fi"),  # Swedish isn't spoken here: the default
        ("kubernetes", "sv-FI", "en", "en"),
        ("kubernetes", None, "fi", "fi"),
        ("kubernetes", "", "en", "en"),
    ],
)
def test_choose_language(text: str, locale: str | None, default: Language, language: Language) -> None:
    assert choose_language(text, locale, default) == language


def test_choose_language_defaults_to_english() -> None:
    assert choose_language("kubernetes", None) == "en"
