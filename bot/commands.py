"""What a person asked Seula, parsed into a typed command, in English or Finnish.

Matching is exact: a fixed phrase ("help", "piilota minut") must be the whole message, a who-knows form
("who knows X", "kuka osaa X") must start it, and a pasted question must look like one. Whatever else a
message says, even one containing "who", is `Unknown`. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from bot.language import choose_language
from bot.model import Language
from bot.text import STOPWORDS, tokenize

__all__ = [
    "Command",
    "ForgetMe",
    "Help",
    "HideMe",
    "HideTopic",
    "MyProfile",
    "SetAudience",
    "SetNudges",
    "ShowMe",
    "ShowTopic",
    "TeamSummary",
    "Unknown",
    "WhoKnows",
    "parse_command",
]


@dataclass(frozen=True, slots=True)
class WhoKnows:
    """Find people who know `topic` (the subject as the person wrote it); `query` is the whole message."""

    topic: str
    query: str
    language: Language


@dataclass(frozen=True, slots=True)
class Help:
    """Explain what Seula does."""

    language: Language


@dataclass(frozen=True, slots=True)
class TeamSummary:
    """A manager's summary of their own reports."""

    language: Language


@dataclass(frozen=True, slots=True)
class MyProfile:
    """What Seula holds about the asker, and why they are suggested."""

    language: Language


@dataclass(frozen=True, slots=True)
class HideMe:
    """Never suggest the asker to anyone."""

    language: Language


@dataclass(frozen=True, slots=True)
class ShowMe:
    """Undo HideMe: suggest the asker again."""

    language: Language


@dataclass(frozen=True, slots=True)
class HideTopic:
    """Never suggest the asker for `topic` (as written; matched by its stems, as search matches)."""

    topic: str
    language: Language


@dataclass(frozen=True, slots=True)
class ShowTopic:
    """Undo HideTopic for `topic`."""

    topic: str
    language: Language


@dataclass(frozen=True, slots=True)
class SetAudience:
    """Show the asker only to their own team (`team_only`), or to everyone their other choices allow."""

    team_only: bool
    language: Language


@dataclass(frozen=True, slots=True)
class ForgetMe:
    """Erase everything held about the asker."""

    language: Language


@dataclass(frozen=True, slots=True)
class SetNudges:
    """Turn the asker's weekly nudges on or off."""

    enabled: bool
    language: Language


@dataclass(frozen=True, slots=True)
class Unknown:
    """A message that is none of the above; `text` is what was said, mentions removed."""

    text: str
    language: Language


Command: TypeAlias = (
    WhoKnows
    | Help
    | TeamSummary
    | MyProfile
    | HideMe
    | ShowMe
    | HideTopic
    | ShowTopic
    | SetAudience
    | ForgetMe
    | SetNudges
    | Unknown
)


def _nudges_on(language: Language) -> SetNudges:
    return SetNudges(True, language)


def _nudges_off(language: Language) -> SetNudges:
    return SetNudges(False, language)


def _team_only(language: Language) -> SetAudience:
    return SetAudience(True, language)


def _everyone(language: Language) -> SetAudience:
    return SetAudience(False, language)


# --- Fixed phrases: the whole message, after normalisation -----------------------------------------------

_PHRASES: tuple[tuple[Callable[[Language], Command], Language, tuple[str, ...]], ...] = (
    (Help, "en", (
        "help", "help me", "commands", "list commands", "show commands", "what can you do", "what do you do",
        "what can i ask", "what can i ask you", "how does this work", "how do you work", "how do i use this",
        "who are you", "what are you", "usage", "menu", "what is your name", "what's your name",
        "are you a bot", "who made you",
    )),
    (Help, "fi", (
        "apua", "ohje", "ohjeet", "ohjeita", "mitä osaat", "mitä sinä osaat", "mitä sä osaat",
        "mitä osaat tehdä", "mitä voit tehdä", "mitä teet", "mitä sinä teet", "komennot", "miten tämä toimii",
        "miten toimit", "kuka olet", "kuka sinä olet", "mikä olet", "mikä sinä olet", "oletko botti", "auta",
        "auta minua",
    )),
    (TeamSummary, "en", (
        "team summary", "summary", "my team", "my team summary", "my team's summary", "summary of my team",
        "summary for my team", "summarize my team", "summarise my team", "team report", "team overview",
        "show team summary", "show my team",
    )),
    (TeamSummary, "fi", (
        "yhteenveto", "tiimin yhteenveto", "tiimini yhteenveto", "tiimiyhteenveto", "yhteenveto tiimistä",
        "yhteenveto tiimistäni", "tiimikatsaus", "tiimini", "näytä tiimin yhteenveto",
    )),
    (MyProfile, "en", (
        "my profile", "profile", "show my profile", "about me", "my data", "show my data", "my topics",
        "why am i listed", "why am i suggested", "why was i suggested", "why am i recommended",
        "what am i listed for", "what do you know about me", "what do you know of me",
        "what do you have on me",
    )),
    (MyProfile, "fi", (
        "profiilini", "oma profiili", "profiili", "näytä profiilini", "tietoni", "näytä tietoni", "aiheeni",
        "miksi minut listataan", "miksi minut on listattu", "miksi minua ehdotetaan",
        "miksi minua suositellaan",
        "mitä tiedät minusta", "mitä sinä tiedät minusta", "mitä tiedät musta", "mitä tietoja minusta on",
    )),
    (HideMe, "en", (
        "hide me", "don't suggest me", "dont suggest me", "do not suggest me", "stop suggesting me",
        "never suggest me", "don't recommend me", "do not recommend me", "hide my profile", "exclude me",
        "opt out", "opt me out",
    )),
    (HideMe, "fi", (
        "piilota minut", "piilota mut", "älä ehdota minua", "älä ehdota mua", "älä suosittele minua",
        "piilota profiilini", "jättäydyn pois",
    )),
    (ShowMe, "en", (
        "show me", "show me again", "unhide me", "unhide", "suggest me again", "recommend me again",
        "start suggesting me", "include me", "opt in", "opt me in",
    )),
    (ShowMe, "fi", (
        "näytä minut", "näytä mut", "ehdota minua", "ehdota minua taas", "ehdota minua uudelleen",
        "palauta minut", "ota minut takaisin",
    )),
    (_team_only, "en", (
        "show me only to my team", "only show me to my team", "show me to my team only", "show me to my team",
        "only my team", "my team only", "team only", "only to my team", "suggest me only to my team",
        "only suggest me to my team", "hide me outside my team", "hide me from other teams",
    )),
    (_team_only, "fi", (
        "näytä minut vain tiimilleni", "näytä minut vain omalle tiimilleni", "näytä mut vain tiimilleni",
        "näytä minut tiimilleni", "vain tiimilleni", "vain omalle tiimilleni", "ehdota minua vain tiimilleni",
        "piilota minut muilta tiimeiltä",
    )),
    (_everyone, "en", (
        "show me to everyone", "show me to everybody", "show me to all", "suggest me to everyone",
        "visible to everyone", "show me to everyone again", "not only my team",
    )),
    (_everyone, "fi", (
        "näytä minut kaikille", "näytä mut kaikille", "ehdota minua kaikille", "näytä minut taas kaikille",
    )),
    (ForgetMe, "en", (
        "forget me", "forget everything about me", "delete my data", "delete all my data", "delete me",
        "delete everything about me", "erase my data", "erase me", "remove my data",
    )),
    (ForgetMe, "fi", (
        "unohda minut", "unohda mut", "unohda kaikki minusta", "poista tietoni", "poista minun tietoni",
        "poista kaikki tietoni", "poista tiedot minusta",
    )),
    (_nudges_on, "en", (
        "nudges on", "start nudges", "turn on nudges", "turn nudges on", "enable nudges", "resume nudges",
        "send nudges", "nudge me",
    )),
    (_nudges_off, "en", (
        "nudges off", "stop nudges", "turn off nudges", "turn nudges off", "disable nudges", "no more nudges",
        "stop nudging me", "don't nudge me", "do not nudge me",
    )),
    (_nudges_on, "fi", (
        "muistutukset päälle", "aloita muistutukset", "laita muistutukset päälle", "muistutukset käyttöön",
        "muistuta minua",
    )),
    (_nudges_off, "fi", (
        "muistutukset pois", "muistutukset pois päältä", "muistutukset pois käytöstä", "lopeta muistutukset",
        "laita muistutukset pois", "poista muistutukset", "älä muistuta", "älä muistuta minua",
        "ei muistutuksia",
    )),
)  # fmt: skip

_FIXED: dict[str, tuple[Callable[[Language], Command], Language]] = {
    phrase: (build, language) for build, language, phrases in _PHRASES for phrase in phrases
}


# --- Hide me from X / show me for X: per-topic visibility, the topic after the form -------------------------

_HIDE_TOPIC_EN = (
    r"(?:hide me|don'?t suggest me|do not suggest me|stop suggesting me|never suggest me|exclude me|"
    r"don'?t recommend me|do not recommend me) (?:from|for|on|about|in)(?: the topic| topic)?"
)
_SHOW_TOPIC_EN = (
    r"(?:show me|unhide me|suggest me|include me)(?: again)? (?:for|on|about|in)(?: the topic| topic)?|"
    r"unhide me from|unhide(?: the topic| topic)?"
)
_TOPIC_WORD_FI = r"(?:aiheesta|aiheessa|aiheelta|aiheelle|asiassa|asiasta|aiheen)"
_HIDE_TOPIC_FI = (
    rf"(?:piilota minut|piilota mut|älä ehdota minua|älä ehdota mua|älä suosittele minua) {_TOPIC_WORD_FI}"
)
_SHOW_TOPIC_FI = rf"(?:näytä minut|näytä mut|ehdota minua)(?: taas| uudelleen| jälleen)? {_TOPIC_WORD_FI}"


# --- Who knows X: a form that starts the message, then the topic -------------------------------------------

_ANYONE = r"(?:any ?one|any ?body|some ?one|some ?body)"
_WHO_KNOWS_EN = (
    r"who(?: here| else)? knows how to",
    r"who(?: here| else)? (?:knows|understands)(?: (?:a lot|anything|something|much|most|the most|best))?"
    r"(?: (?:about|of|on|regarding))?",
    rf"(?:does |do )?{_ANYONE}(?: here| else)? knows? how to",
    rf"(?:does |do )?{_ANYONE}(?: here| else)? knows?(?: (?:anything|something|much|a lot))?"
    r"(?: (?:about|of|regarding))?",
    rf"(?:is there |are there )?(?:{_ANYONE}|people|colleagues)(?: here)? (?:who|that) knows?"
    r"(?: (?:anything|something|much|a lot))?(?: (?:about|of))?",
    rf"do you know (?:{_ANYONE}|who)(?: who| that)? knows?(?: about| of)?",
    rf"(?:who|{_ANYONE})(?: here| else)? (?:can|could|would be able to) help(?: me| us)? (?:with|on|in)",
    rf"(?:can|could) (?:{_ANYONE}|you)(?: here)? help(?: me| us)? (?:with|on|in)",
    r"(?:i |we )?(?:need|want|would like) (?:some )?help (?:with|on|in)",
    r"help(?: me| us)? (?:with|on)",
    r"who(?:'s| is| are)(?: (?:a|an|the|our|your))? "
    r"(?:experts?|specialists?|gurus?|go-?to person|go to person|best person|right person|person) "
    r"(?:on|in|at|for|with|about|to ask about)",
    r"who(?:'s| is| are) (?:good|great|experienced|skilled) (?:at|with|in)",
    r"who(?:'s| is) (?:responsible|in charge) (?:for|of)",
    r"who (?:has|have)(?: (?:any|some|the most|much|a lot of))? (?:experience|expertise|knowledge|skills?) "
    r"(?:with|in|of|on|using|about|regarding)",
    rf"(?:does |do )?{_ANYONE}(?: here)? (?:have|has)(?: (?:any|some))? (?:experience|expertise|knowledge) "
    r"(?:with|in|of|on|using|about)",
    rf"(?:has|have) {_ANYONE}(?: here)?(?: ever)? "
    r"(?:used|worked with|worked on|tried|set up|configured|deployed)",
    r"(?:are there )?(?:any )?experts? (?:on|in|for|at|with)",
    r"find(?: me)?(?: (?:a|an|the|some))? (?:experts?|specialists?|someone|somebody|people|person) "
    r"(?:on|in|for|at|with|who knows(?: about)?|that knows(?: about)?)",
    r"show me(?: (?:the|some))? (?:experts?|people|person|someone|specialists?) (?:on|in|for|at|with|about)",
    r"who (?:should|can|could|do|would) (?:i|we) (?:ask|talk to|contact|reach out to|turn to)"
    r"(?: (?:about|regarding|for|on|with))?",
    r"who to (?:ask|contact|talk to)(?: (?:about|regarding|for|on))?",
    r"who (?:works|worked|has worked|is working) (?:on|with)",
)
_WHO_KNOWS_FI = (
    r"kuka(?: täällä| meistä| teistä)? (?:osaa|osaisi|voisi|voi|pystyy|pystyisi|vois) auttaa"
    r"(?: (?:minua|meitä|mua))?",
    r"kuka(?: täällä| meistä| teistä)? (?:osaa|osaisi|tietää|tietäisi|tuntee|tuntisi|hallitsee|ymmärtää)"
    r"(?: (?:jotain|jotakin|paljon|eniten|parhaiten|mitään))?(?: (?:aiheesta|asiasta))?",
    r"(?:kenellä|kellä)(?: täällä)? (?:on|olisi|ois)(?: (?:eniten|paljon|hyvää))? "
    r"(?:kokemusta|osaamista|tietoa|tietämystä|asiantuntemusta|ymmärrystä)(?: (?:aiheesta|asiasta))?",
    r"(?:onko|olisiko|löytyykö|löytyisikö)(?: täällä)? (?:kellään|kenelläkään|jollakin|jollain|jollakulla)"
    r"(?: täällä)? (?:kokemusta|osaamista|tietoa|tietämystä|asiantuntemusta)(?: (?:aiheesta|asiasta))?",
    r"(?:onko|löytyykö|löytyisikö)(?: täällä| talossa)? (?:ketään|joku|jotakuta|asiantuntijaa|osaajaa)"
    r"(?: täällä| talossa)?(?: joka (?:osaa|tietää|tuntee))?",
    r"(?:osaako|tietääkö|tunteeko|osaisiko|tietäisikö|hallitseeko|ymmärtääkö) (?:kukaan|joku)"
    r"(?: täällä| teistä)?(?: (?:mitään|jotain|jotakin))?(?: (?:aiheesta|asiasta))?",
    r"kuka on(?: (?:meidän|talon|paras|hyvä))? (?:asiantuntija|ekspertti|expertti|osaaja|guru|spesialisti)"
    r"(?: (?:aiheessa|asiassa|alalla))?",
    r"keneltä (?:kysyisin|kysyn|voisin kysyä|voin kysyä|kannattaa kysyä|kannattaisi kysyä|pitäisi kysyä|"
    r"kysyä|saisin apua|saan apua)(?: (?:apua|neuvoa|lisää))?(?: (?:aiheesta|asiasta|aiheeseen|asiaan))?",
    r"kenen (?:puoleen|kanssa) (?:kääntyisin|voisin kääntyä|kannattaa kääntyä|puhuisin|kannattaa puhua)"
    r"(?: (?:aiheesta|asiasta|asiassa))?",
    r"kuka (?:on )?(?:tehnyt|työskennellyt|käyttänyt|työskentelee|tekee|käyttää)",
    r"(?:tarvitsen|tarvitsisin|tarvitaan|kaipaan|kaipaisin) (?:apua|neuvoa|tukea)",
    r"apua",
)


def _form(prefix: str) -> re.Pattern[str]:
    # "kuka voisi auttaa X:n kanssa", "tarvitsen apua X:n kanssa": Finnish may close the form after the topic.
    return re.compile(rf"(?:{prefix}) (?P<topic>.+?)(?: kanssa)?", re.IGNORECASE)


_WHO_KNOWS: tuple[tuple[re.Pattern[str], Language], ...] = (
    *((_form(prefix), "en") for prefix in _WHO_KNOWS_EN),
    *((_form(prefix), "fi") for prefix in _WHO_KNOWS_FI),
    # The topic inside the form: "who is our SAP expert", "kuka on tietoturva-asiantuntija".
    (
        re.compile(
            r"who(?:'s| is| are)(?: (?:a|an|the|our|your))? (?P<topic>.+?) "
            r"(?:experts?|specialists?|gurus?|person|people|guy|wizard)",
            re.IGNORECASE,
        ),
        "en",
    ),
    (
        re.compile(
            r"kuka on(?: (?:meidän|talon|paras|hyvä))? (?P<topic>.+?)[- ]"
            r"(?:asiantuntija|ekspertti|expertti|osaaja|guru|spesialisti)",
            re.IGNORECASE,
        ),
        "fi",
    ),
)

_TOPIC_NOUN = re.compile(r" (?:topic|aihe)$", re.IGNORECASE)  # "hide me from the kubernetes topic"
_TOPIC_CHOICES: tuple[tuple[re.Pattern[str], Callable[[str, Language], Command], Language], ...] = (
    (_form(_HIDE_TOPIC_EN), HideTopic, "en"),
    (_form(_SHOW_TOPIC_EN), ShowTopic, "en"),
    (_form(_HIDE_TOPIC_FI), HideTopic, "fi"),
    (_form(_SHOW_TOPIC_FI), ShowTopic, "fi"),
)

# Words that say what kind of help is asked for, not about what: a topic of only these names nothing.
_ASKING_WORDS = frozenset(
    """
    expert experts expertise experience experienced specialist specialists guru gurus person people colleague
    colleagues advice
    asiantuntija asiantuntijaa asiantuntijat asiantuntijoita ekspertti eksperttiä expertti osaaja osaajaa
    osaajia kokemusta kokemus osaamista tietoa tietämystä asiantuntemusta aiheesta asiasta neuvoa tukea
    """.split()  # noqa: SIM905 - a word list reads best as words
)

# --- Pasted questions -----------------------------------------------------------------------------------

_QUESTION_WORDS_EN = frozenset(
    """
    how what why where which when who can could is are do does did should would will has have
    """.split()  # noqa: SIM905 - a word list reads best as words
)
_QUESTION_WORDS_FI = frozenset(
    """
    miten mites mitä miksi miks missä mistä mihin millä mikä mitkä kuinka milloin kuka kenellä keneltä kenen
    millainen millaista paljonko onko onks voiko voinko voisiko saako saanko pitääkö pitäisikö kannattaako
    löytyykö toimiiko osaako tietääkö
    """.split()  # noqa: SIM905 - a word list reads best as words
)
_MIN_WORDS_EN = 4  # "are you there?", "how are you?" are not questions for colleagues
_MIN_WORDS_FI = 3  # Finnish says more in fewer words: "miten konfiguroin SSO:n?"

# --- Normalisation ----------------------------------------------------------------------------------------

_MENTION = re.compile(r"<at\b[^<>]{0,200}>[^<]{0,200}</at>|(?<!\w)@seula\b", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
_LEADING = re.compile(
    r"(?:@?seula|hey|hi|hello|moi|moikka|hei|heippa|terve|moro|morjens|please|pls|plz|ok|okay|so)\b[\s,.:;!-]*",
    re.IGNORECASE,
)
_TRAILING_POLITE = re.compile(
    r"(?:^|[\s,])(?:please|pls|plz|thanks|thank you|thx|kiitos|kiitti|kiitoksia|kiitos paljon)$",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = " ,.!;:…?？"
_QUESTION_MARKS = frozenset("?？")
# A Finnish case ending written after a colon, as Finnish does for names: k8s:stä, SAP:n, Power BI:ssä.
_COLON_ENDING = re.compile(r"(?<=[^\W_]):[^\W\d_]{1,5}\b")
_ARTICLE = re.compile(r"(?:the|an|a) (?=\S)", re.IGNORECASE)  # "help with the VPN" is about "VPN"
_INVISIBLE = str.maketrans("", "", "\u200b\u200c\u200d\u2060\ufeff")


def _clean(text: str) -> str:
    """Return `text` without leftover mentions or tags, with single spaces."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = _TAG.sub(" ", _MENTION.sub(" ", text))
    return " ".join(text.split())


def _core(cleaned: str) -> tuple[str, bool]:
    """Return the message without greetings, politeness and closing punctuation, and whether it asked (?)."""
    core = cleaned.replace("’", "'")
    while (leading := _LEADING.match(core)) and leading.end() < len(core):
        core = core[leading.end() :]
    asked = False
    while True:
        before = core
        stripped = core.rstrip(_TRAILING_PUNCTUATION)
        asked = asked or not _QUESTION_MARKS.isdisjoint(core[len(stripped) :])
        core = stripped
        polite = _TRAILING_POLITE.search(core)
        if polite and polite.start() > 0:
            core = core[: polite.start()]
        if core == before:
            return core, asked


def _trim(phrase: str) -> str:
    """Return `phrase` without quotes, punctuation or emoji around it (keeping .net, c#, c++ and brackets)."""
    start, end = 0, len(phrase)
    while start < end and not (phrase[start].isalnum() or phrase[start] in ".#(["):
        start += 1
    while end > start and not (phrase[end - 1].isalnum() or phrase[end - 1] in "+#)]"):
        end -= 1
    return phrase[start:end]


def _topic(raw: str, language: Language) -> str:
    """Return the topic as the person wrote it, minus colon endings, a leading article and punctuation."""
    topic = _trim(" ".join(_COLON_ENDING.sub("", raw).split()))
    article = _ARTICLE.match(topic) if language == "en" else None
    return topic[article.end() :] if article else topic


def _names_something(phrase: str) -> bool:
    """True when `phrase` has a word that could be a topic."""
    return any(token not in STOPWORDS and token not in _ASKING_WORDS for token in tokenize(phrase))


def _question_topic(core: str) -> str:
    """Return the words of a pasted question that could be its topic, as written, in order."""
    words = (_trim(_COLON_ENDING.sub("", word)) for word in core.split(" "))
    return " ".join(word for word in words if word and _names_something(word))


def _pasted_question(core: str, asked: bool, cleaned: str, locale: str | None) -> WhoKnows | None:
    """Return a WhoKnows for a question pasted as it was asked, or None if `core` doesn't look like one."""
    words = core.split(" ")
    first = _trim(words[0]).lower()
    language: Language
    if first in _QUESTION_WORDS_FI and len(words) >= _MIN_WORDS_FI:
        language = "fi"
    elif first in _QUESTION_WORDS_EN and len(words) >= _MIN_WORDS_EN:
        language = "en"
    elif asked and len(words) >= _MIN_WORDS_EN:
        language = choose_language(cleaned, locale)
    else:
        return None
    topic = _question_topic(core)
    return WhoKnows(topic, cleaned, language) if topic else None


def parse_command(text: str, locale: str | None = None) -> Command:
    """Return the command `text` expresses (the bot's own @mention already removed), else Unknown."""
    cleaned = _clean(text)
    if cleaned and _QUESTION_MARKS.issuperset(cleaned.replace(" ", "")):
        return Help(choose_language(cleaned, locale))
    core, asked = _core(cleaned)
    if not core:
        return Unknown(cleaned, choose_language(cleaned, locale))
    fixed = _FIXED.get(core.lower())
    if fixed is not None:
        build, language = fixed
        return build(language)
    for choice, build_choice, language in _TOPIC_CHOICES:
        match = choice.fullmatch(core)
        if match:
            topic = _topic(_TOPIC_NOUN.sub("", match.group("topic")), language)
            return build_choice(topic, language) if _names_something(topic) else Unknown(cleaned, language)
    for pattern, language in _WHO_KNOWS:
        match = pattern.fullmatch(core)
        if match:
            topic = _topic(match.group("topic"), language)
            # The form was used but names nothing ("who knows what"): not a search worth running.
            return (
                WhoKnows(topic, cleaned, language) if _names_something(topic) else Unknown(cleaned, language)
            )
    question = _pasted_question(core, asked, cleaned, locale)
    return question or Unknown(cleaned, choose_language(cleaned, locale))
