"""Which language to answer in: Finnish or English, from the message itself, then the Teams locale."""

from __future__ import annotations

from bot.model import Language
from bot.text import tokenize

__all__ = ["choose_language", "detect_language"]

# Words that occur in one language's chat and not in the other's. Words both languages write are in
# neither set: "on" (English preposition, Finnish "is"), "me" (English "me", Finnish "we"), "he", "no", "sun".
_FINNISH_WORDS = frozenset(
    """
    ja tai että kun jos mutta niin kuin myös vain vielä nyt sitten siis kyllä joo ei en et emme eivät ole
    olen olet olla ovat oli onko onks se sen sitä siitä tämä tätä tässä minä mä minun mun minua minut minusta
    sinä sä sinun meidän meillä kuka ketä kenellä keneltä kenen kukaan mikä mitä missä mistä miksi miten
    kuinka milloin joku jollakin jotain jotakin mitään osaa osaako osaisi osaat tietää tietääkö tiedätkö
    tiedät tuntee voi voiko voisi voisiko auttaa apua ohje ohjeet kiitos kiitti moi hei moikka terve
    kanssa täällä yhteenveto tiimin tiimini piilota näytä unohda poista tietoni älä ehdota lopeta
    muistutukset päälle pois profiilini kokemusta asiantuntija kysyisin löytyykö pitää pitäisi tarvitsen
    """.split()  # noqa: SIM905 - a word list reads best as words
)
_ENGLISH_WORDS = frozenset(
    """
    the a an is are was were be been this that these those there here who what how why where which when
    does do did can could would should will know knows anyone anybody someone somebody about with for of to
    from and or but if my you your i it in at help please thanks thank hello hi hey has have expert
    experience team summary profile hide show forget delete data nudges stop start commands listed
    suggest find ask
    """.split()  # noqa: SIM905 - a word list reads best as words
)
# Endings only Finnish puts on words (cases, clitics); long words only, so "vista" or "koko" don't count.
_FINNISH_ENDINGS = ("ssa", "ssä", "sta", "stä", "llä", "ltä", "lle", "ksi", "kö", "ko", "kin", "kaan", "kään")
_FINNISH_LETTERS = frozenset("äö")


def detect_language(text: str) -> Language | None:
    """Return "fi" or "en" when the words of `text` tell, None when they don't (a bare topic, an emoji)."""
    finnish = english = 0
    for token in tokenize(text):
        if token in _ENGLISH_WORDS:
            english += 1
        elif (
            token in _FINNISH_WORDS
            or not _FINNISH_LETTERS.isdisjoint(token)
            or (len(token) >= 6 and token.endswith(_FINNISH_ENDINGS))
        ):
            finnish += 1
    if finnish > english:
        return "fi"
    if english > finnish:
        return "en"
    return None


def choose_language(text: str, locale: str | None, default: Language = "en") -> Language:
    """Return the message's language, else the Teams locale's ("fi-FI" → "fi"), else `default`."""
    detected = detect_language(text)
    if detected is not None:
        return detected
    primary = (locale or "").replace("_", "-").split("-", 1)[0].strip().lower()
    if primary == "fi":
        return "fi"
    if primary == "en":
        return "en"
    return default
