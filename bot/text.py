"""Text from Teams and Graph into clean words: HTML to text, tokens, stopwords, stems, terms and snippets.

`terms()` is what both the expertise index and a query go through, so a word in a message and the same word
in a question meet whatever their inflection: "Kubernetesin", "kubernetesissa" and "Kubernetes" are all
`kubernetes`. Stems are match keys, not labels to show anyone. Pure: no I/O.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser

__all__ = ["STOPWORDS", "html_to_text", "snippet", "stem", "terms", "tokenize"]

# --- HTML ----------------------------------------------------------------------------------------------

# Elements whose content is not the author's own words: quoted replies (<attachment> placeholders and
# <blockquote>), system events, and anything a browser would not show as text.
_DROPPED = frozenset(
    {
        "attachment", "blockquote", "systemeventmessage", "script", "style", "head", "title", "template",
        "noscript",
    }
)  # fmt: skip
_BLOCKS = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "tr", "table", "pre", "hr", "section", "article",
        "header", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "dl", "dt", "dd",
    }
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
_INVISIBLE = ("\u200b", "\ufeff")  # zero-width space and BOM that Teams' editor leaves in


class _TextExtractor(HTMLParser):
    """Collects the readable text of a chatMessage body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropped_depth = 0
        self._pre_depth = 0
        self._after_mention = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._dropped_depth += 1
            return
        if self._dropped_depth:
            return
        if tag == "at" and self._after_mention:
            # Teams writes two people mentioned side by side as adjacent <at> elements.
            self.parts.append(" ")
        if tag == "emoji" or (tag == "img" and (dict(attrs).get("itemtype") or "").endswith("/Emoji")):
            # A Unicode emoji is what the author typed; custom emoji and pictures are not words.
            self.parts.append(dict(attrs).get("alt") or "")
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in _CELLS:
            self.parts.append(" ")
        if tag == "pre":
            self._pre_depth += 1
        self._after_mention = False

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._dropped_depth = max(0, self._dropped_depth - 1)
            return
        if self._dropped_depth:
            return
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        self._after_mention = tag == "at"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:  # <systemEventMessage/> has nothing inside to drop
            return
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self._dropped_depth or not data:
            return
        # Outside <pre>, a newline in the source is only layout, as in a browser.
        self.parts.append(data if self._pre_depth else data.replace("\r", " ").replace("\n", " "))
        self._after_mention = False


def html_to_text(html: str) -> str:
    """Return the readable plain text of an HTML chatMessage body, one line per block."""
    if html.startswith("<p>") and html.endswith("</p>"):
        # Most Teams bodies are paragraphs of text and nothing else: each paragraph is a line, as below.
        paragraphs = html[3:-4].split("</p><p>")
        if not any("<" in paragraph for paragraph in paragraphs):
            lines = (_line(unescape(p) if "&" in p else p) for p in paragraphs)
            return "\n".join(line for line in lines if line)
    parser = _TextExtractor()
    if not _read_plain_markup(html, parser):
        parser = _TextExtractor()
        parser.feed(html)
        parser.close()
    return _lines("".join(parser.parts))


def _visible(text: str) -> str:
    """`text` without the invisible characters (`str.translate` would take longer than all the rest)."""
    for character in _INVISIBLE:
        if character in text:
            text = text.replace(character, "")
    return text


def _line(text: str) -> str:
    """A paragraph's text on one line, its whitespace collapsed (a newline inside one is only layout)."""
    return " ".join(_visible(text).split())


def _lines(text: str) -> str:
    """The text's non-blank lines, each with its whitespace collapsed."""
    text = _visible(text).replace("\r\n", "\n")
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# Plain markup: text, and tags with simple names and well-quoted attributes, as Teams writes its bodies. Read
# with regular expressions and handed to the same handlers, it gives what HTMLParser gives, several
# times faster; anything else (comments, scripts, a stray "<", unquoted attributes) goes to HTMLParser.
_PLAIN_MARKUP = re.compile(
    r"""
    (?P<data>[^<]+)
    | </(?P<end>[a-zA-Z][a-zA-Z0-9]*)\s*>
    | <(?P<start>[a-zA-Z][a-zA-Z0-9]*)
      (?P<attrs>(?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:\s*=\s*(?:"[^"<>]*"|'[^'<>]*'))?)*)
      \s*(?P<close>/?)>
    """,
    re.VERBOSE,
)
# The same tokens without groups and possessive throughout: a body that is not plain markup fails at once,
# never by backtracking.
_PLAIN_DOCUMENT = re.compile(
    r"""
    (?:
      [^<]++
      | </[a-zA-Z][a-zA-Z0-9]*+\s*+>
      | <[a-zA-Z][a-zA-Z0-9]*+
        (?:\s++[a-zA-Z_:][-a-zA-Z0-9_:.]*+(?:\s*+=\s*+(?:"[^"<>]*+"|'[^'<>]*+'))?+)*+
        \s*+/?>
    )*+
    """,
    re.VERBOSE,
)
_PLAIN_ATTRIBUTE = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"<>]*)"|'([^'<>]*)'))?""")
# Elements whose content HTMLParser reads as raw text in some Python version.
_RAW_TEXT = re.compile(
    r"<(?:script|style|textarea|title|xmp|iframe|noembed|noframes|noscript|plaintext)\b", re.IGNORECASE
)


def _read_plain_markup(html: str, parser: _TextExtractor) -> bool:
    """Feed `html` to `parser`'s handlers if it is plain markup; False (having fed nothing) if it is not."""
    if _RAW_TEXT.search(html) or not _PLAIN_DOCUMENT.fullmatch(html):
        return False
    for data, end, start, attributes, close in _PLAIN_MARKUP.findall(html):
        if data:
            parser.handle_data(unescape(data) if "&" in data else data)
        elif end:
            parser.handle_endtag(end.lower())
        else:
            attrs = [
                (name.lower(), unescape(value) if value else value) for name, value in _attributes(attributes)
            ]
            if close:
                parser.handle_startendtag(start.lower(), attrs)
            else:
                parser.handle_starttag(start.lower(), attrs)
    return True


def _attributes(text: str) -> list[tuple[str, str | None]]:
    if not text:
        return []
    return [(m[1], m[2] if m[2] is not None else m[3]) for m in _PLAIN_ATTRIBUTE.finditer(text)]


# --- Tokens --------------------------------------------------------------------------------------------

# A token is a run of Unicode letters and digits, lowercased. Kept inside one token, so tech names survive:
#   - a dot or apostrophe between letters/digits: node.js, asp.net, 3.11, don't
#   - a leading dot at the start of a word: .net (not the dots of "...", which follow a non-space)
#   - a trailing "++" or "#": c++, c#, f#
#   - a Finnish case ending after a colon: k8s:stä, SAP:n (stem() removes it)
# Everything else separates tokens: hyphens ("Kubernetes-klusteri" is two words, as Finnish compounds of a
# name need), slashes (CI/CD), underscores, @, and spaces ("power bi" and "iso 27001" are two tokens each).
_WORD = re.compile(
    r"""
    (?:(?<![^\s(\[{"'“‘«/])\.)?
    [^\W_]+
    (?:[.'][^\W_]+)*
    (?:\+\+|\#)?
    (?::[^\W\d_]{1,5}(?![^\W_]))?
    """,
    re.VERBOSE,
)


def _prepared(text: str) -> str:
    # NFC so a decomposed "ä" (a + combining diaeresis) is one letter; one apostrophe so "don’t" is "don't".
    # On a text already in NFC (snippet() passes one) neither changes its length, so match positions hold.
    return unicodedata.normalize("NFC", text).replace("’", "'")


def _words(text: str) -> Iterator[re.Match[str]]:
    return _WORD.finditer(_prepared(text))


def tokenize(text: str) -> list[str]:
    """Return the lowercase word tokens of `text` (tech names like c#, c++, .net, node.js, k8s kept whole)."""
    return [match.group().lower() for match in _words(text)]


# Function words of English and Finnish, and the words of asking itself (who, know, anyone, osaa, joku,
# help, please, kiitos): none of them names a topic. Both languages share one set because a message or a
# query may mix them. Left out on purpose: "go", "c" and "r" (languages). "it" is in, so the topic "IT"
# is lost: lowercased, the two can't be told apart.
STOPWORDS: frozenset[str] = frozenset(
    """
    a about above after again against ago all almost also although always am among an and another any
    anybody anyone anyone's anything anyway anywhere are aren't around as ask asked asking at away be
    because been before being below besides between both but by can can't cannot could couldn't did didn't
    do does doesn't doing don't done down during each either else etc even ever every everybody everyone
    everything few for from further get gets getting got had hadn't has hasn't have haven't having he he'd
    he'll he's hello help helped helping helps her here here's hers herself hey hi him himself his hmm how
    how's however i i'd i'll i'm i've if in instead into is isn't it it's its itself just know knowing
    knowledge known knows knew let let's like lot lots many may maybe me might mine more most much must my
    myself need needed needs neither never no nobody none nor not nothing now of off often oh ok okay on
    once one only onto or other others otherwise our ours ourselves out over own per perhaps please pls
    plz question questions quite rather re really same shall she she'd she'll she's should shouldn't since
    so some somebody someone something sometimes somewhere soon still such sure than thank thanks thx that
    that's the their theirs them themselves then there there's these they they'd they'll they're they've
    thing things this those though through thus to today tomorrow too toward towards under until up upon
    us use used uses using very via want wanted wants was wasn't way we we'd we'll we're we've well were
    weren't what what's whatever when whenever where where's whether which while who who's whoever whom
    whose why will with within without won't would wouldn't yeah yes yesterday yet you you'd you'll
    you're you've your yours yourself yourselves
    e.g i.e eg ie vs btw fyi asap lol http https www

    ja tai sekä mutta vaan että kun jos koska vaikka niin kuin myös vain jo vielä nyt sitten siis kyllä
    joo juu ei en et emme ette eivät älä ole olen olet olemme olette ovat oli olin olit olimme olitte
    olivat olla ollut olleet olisi olisin olisit olisimme olisitte olisivat on onko onks ollaan oo oon
    minä mä mie minun mun minua mua minut minulla mulla minulle mulle minulta multa minusta musta minuun
    muhun sinä sä sinun sun sinua sua sinut sinulla sulla sinulle sulle sinulta sulta sinusta susta hän
    häntä hänen hänet hänellä hänelle häneltä hänestä me meidän meitä meillä meille meiltä meistä te
    teidän teitä teillä teille teiltä teistä he heidän heitä heillä heille heiltä heistä se sen sitä siitä
    siinä sille sillä siihen siltä ne niiden niitä niistä niissä niille niillä niihin tämä tän tämän tätä
    tässä tästä tähän tälle tällä täältä nämä näiden näitä näissä näistä näille tuo tuon tuota tuossa
    tuosta tuohon tuolla nuo noita
    kuka kenen kenet ketä kenellä keneltä kenelle kehen kenestä ken ketkä keitä keiltä keillä mikä minkä
    mitä missä mistä mihin millä mille miltä mitkä miksi miks miten mites kuinka milloin kumpi millainen
    millaista millaisia paljonko montako mitäs mikäs
    joku jonkun jotakuta jollakin jollain jollekin joltakin joltain jostain jostakin jotain jotakin jokin
    jonkin johonkin jossain jossakin jollakulla kukaan kenenkään ketään kenelläkään keneltäkään
    kenellekään kellään mikään minkään mitään missään mistään mihinkään millään kaikki kaikkien kaikkea
    kaikille jokainen muut muita muiden
    osaa osaan osaat osaamme osaatte osaavat osata osaako osaisi osaisiko osaatko osaisitko tietää tiedän
    tiedät tietääkö tietäisi tietäisikö tiedätkö tiedetään tietäisin tuntee tunnen tunnetko tunteeko
    tuntisi voi voin voit voisi voisin voisit voisiko voiko voinko voitko voisitko voidaan vois auttaa
    auta autan auttaisi auttakaa autatko apua kiitos kiitti kiitoksia kiitoksii moi moro hei heippa terve
    moikka huomenta pitää pitäisi pitääkö pitäisikö täytyy tarvitsen tarvitsisin tarvitaan tarvitsee saa
    saan saako saanko saada saisi kannattaa kannattaako kannattaisi löytyy löytyykö löytyisikö toimii
    toimiiko tehdä teen tekee tehdään kuuluu kysymys kysyä kysyisin kysyn
    täällä tänne siellä tuolla tänään huomenna eilen aina usein ehkä melko tosi kovin hyvin paljon vähän
    enemmän eniten ihan sit eli esim jne yms tms ym mm koskien liittyen kanssa ilman mukaan kautta yli
    alla ennen jälkeen aikana takia vuoksi välillä kohtaan osalta suhteen
    """.split()  # noqa: SIM905 - a word list reads best as words
)


# --- Stems ---------------------------------------------------------------------------------------------

_VOWELS = "aeiouyäöå"
_CONSONANTS = "bcdfghjklmnpqrstvwxzß"
_ANY = ""
_MIN_STEM = 4  # a shorter stem is too likely to be another word: "speed" must not become "spe"


@dataclass(frozen=True, slots=True)
class _Rule:
    """Replace `suffix` by `replacement` when what stays is long enough and ends in one of `after`."""

    suffix: str
    replacement: str = ""
    after: str = _ANY
    min_stem: int = _MIN_STEM
    undouble: bool = False  # running → runn → run
    not_after: tuple[str, ...] = ()  # endings of what stays that veto the rule


def _rules() -> tuple[_Rule, ...]:
    # One table for both languages: the stemmer can't know a word's language, so every rule must be safe
    # on the other language's words too, or at least strip their inflections the same way.
    cases = ("ssa", "ssä", "sta", "stä", "lla", "llä", "lta", "ltä", "lle", "ksi")
    plural_cases = (*cases, "hin", "den", "tten")
    return (
        # Finnish plural of an i-final noun: klusteri → klustereissa, klustereita, klustereiden.
        *(_Rule("ei" + ending) for ending in (*plural_cases, "ta", "tä")),
        # Plural i, or the i a consonant-final name takes: pilvipalveluissa, Kubernetesissa, SAPissa.
        # Four letters of ending are Finnish beyond doubt, so a three-letter name may remain.
        *(_Rule("i" + ending, min_stem=3) for ending in plural_cases),
        # -us/-ys nouns take -kse- before an ending: sopimukset, sopimuksen, vastauksia → sopimus, vastaus.
        _Rule("kset", "s", after="uyoö"),
        _Rule("kse", "s", after="uyoö"),
        _Rule("ita"),
        _Rule("itä"),
        _Rule("ien"),
        _Rule("jen", after=_VOWELS),  # palvelujen
        _Rule("ja", after=_VOWELS),  # palveluja
        _Rule("jä", after=_VOWELS),
        *(_Rule(ending) for ending in cases),  # tietoturvasta, Azuressa
        _Rule("ia"),  # klusteria, Terraformia
        _Rule("iä"),  # Postgresiä
        _Rule("ta", after=_CONSONANTS),  # Kubernetesta
        _Rule("tä", after=_CONSONANTS),
        *(_Rule(vowel + "n", after=vowel) for vowel in "aeiouyäö"),  # illative: Jiraan, Azureen
        _Rule("n", after=_VOWELS),  # genitive: tietoturvan, Kubernetesin → kubernetesi
        # Plural: pilvipalvelut. Not after a consonant and a or e, nor "ea": English wallet, testnet, format
        # and the -ate verbs (delegated, created) keep their t. Finnish -Cet plurals (palvelimet) don't meet
        # their base form by losing it anyway, and -Cat plurals (ohjelmat) still meet it as a prefix variant.
        _Rule("t", after=_VOWELS, not_after=("ea", *(c + v for c in _CONSONANTS for v in "ae"))),
        _Rule("a", after=_VOWELS),  # partitive: tietoturvaa, pilvipalvelua
        _Rule("ä", after=_VOWELS),
        _Rule("nsa"),  # possessives: tiiminsä, tiimimme, tiiminne
        _Rule("nsä"),
        _Rule("mme"),
        _Rule("nne"),
        # An i after a consonant is the joint of a name and its ending (kubernetesi-n) or an i-final noun
        # (klusteri): dropping it makes both meet their other forms.
        _Rule("i", after=_CONSONANTS),
        # English, lightly.
        _Rule("ies", "y", min_stem=3),  # policies
        _Rule("sses", "ss", min_stem=2),  # classes
        _Rule("ches", "ch", min_stem=2),  # branches
        _Rule("shes", "sh", min_stem=2),  # crashes
        _Rule("xes", "x", min_stem=2),  # boxes
        _Rule("che", "ch", min_stem=2),  # cache meets caches and caching
        _Rule("s", after="abcdefghjklmnopqrtvwxyzäö", min_stem=3),  # not status, class, analysis
        _Rule("ing", undouble=True),  # deploying, planning
        _Rule("ied", "y", min_stem=3),  # applied
        _Rule("ed", undouble=True),  # deployed, planned
    )


_RULES = _rules()

# What may follow a name: an English plural, or a Finnish ending with the vowel a name takes before it.
_ENDING = (
    r"(?:'?s|es|(?:i|aa|ää|ee|ii)?"
    r"(?:n|a|ä|t|ta|tä|ssa|ssä|sta|stä|lla|llä|lta|ltä|lle|ksi|hin|in|en|den|ja|jä)?)"
)

# Names that the rules would cut wrongly ("kubernetes" is no plural, "plugin" no genitive, "sapin" can't be
# told from "login"), so they and their inflected forms keep them whole.
_KEPT = re.compile(
    r"(kubernetes|postgres|jenkins|devops|windows|macos|pandas|redis|python|kotlin|linkedin|plugin|login|"
    rf"admin|sap|sql|dax|aws|gcp|api|kpi|okr|crm|erp){_ENDING}"
)

# An acronym written in capitals with a Finnish ending or English plural in lowercase: SAPin, APIa, DAXissa,
# OKRs, .NETiä. The case tells where the name ends, which the lowercase "sapin" could not.
_ACRONYM = re.compile(rf"(\.?[A-Z][A-Z0-9.]*[A-Z0-9#+]){_ENDING}")


def _step(token: str) -> str:
    """Strip one ending from `token`, or return it unchanged when none applies."""
    head, colon, tail = token.partition(":")
    if colon and head and tail.isalpha():
        return head  # k8s:n, SQL:ssä: Finnish writes the ending of a name after a colon
    if token.endswith("'s") and len(token) > 2:
        return token[:-2]
    if token.endswith("'") and len(token) > 1:
        return token[:-1]
    kept = _KEPT.fullmatch(token)
    if kept:
        return kept.group(1)
    if not token.isalpha():
        return token  # c#, c++, node.js, k8s, 27001 stay as they are
    for rule in _RULES:
        if not token.endswith(rule.suffix):
            continue
        base = token[: len(token) - len(rule.suffix)]
        if len(base) < rule.min_stem or (rule.after and base[-1] not in rule.after):
            continue
        if base.endswith(rule.not_after):
            continue
        if rule.undouble and len(base) > 3 and base[-1] == base[-2] and base[-1] in "bdgkmnprt":
            base = base[:-1]  # not l, s or z: "installing" is "install", "planning" is "plan"
        return base + rule.replacement
    return token


@functools.lru_cache(maxsize=1 << 16)  # words follow Zipf's law: a small cache answers most calls
def stem(token: str) -> str:
    """Return the match key of one token: Finnish case endings and English inflections removed."""
    # Given as written (not lowercased), an acronym loses its ending too: SAPin → sap. Idempotent, so a
    # stem given again (a stored query term) stays what it is.
    acronym = _ACRONYM.fullmatch(token)
    current = (acronym.group(1) if acronym else token).lower()
    while True:  # to a fixed point, so every form of a word ends at the same key whatever its path
        stripped = _step(current)
        if stripped == current:
            break
        current = stripped
    # English drops a silent final e before -ed and -ing (stake, staked, staking; configure, configured), so
    # the base form drops it too; only where nothing else would strip the rest, which keeps stem idempotent
    # and "pipeline" from becoming a Finnish genitive ("pipelin").
    if len(current) > _MIN_STEM and current[-1] == "e" and current[-2] in _CONSONANTS:
        shorter = current[:-1]
        if _step(shorter) == shorter:
            return shorter
    return current


def terms(text: str) -> list[str]:
    """Return the stems of the topic words in `text` (tokens minus stopwords, stemmed); index and query."""
    found = []
    for match in _words(text):
        word = match.group()
        if word.lower() not in STOPWORDS:
            found.append(stem(word))
    return found


# --- Snippets ------------------------------------------------------------------------------------------

_ELLIPSIS = "…"
_MAX_ANCHORS = 50  # candidate windows tried; a message with more matches than this has plenty to show


def snippet(text: str, query_terms: Sequence[str], max_chars: int = 200) -> str:
    """Return an excerpt of `text` of at most `max_chars`, around the part that matches most query terms."""
    flat = " ".join(unicodedata.normalize("NFC", text).split())
    if len(flat) <= max_chars:
        return flat
    if max_chars <= 1:
        return _ELLIPSIS[:max_chars]
    # stem() is idempotent, so raw query words and already stemmed terms both work here.
    wanted = {stem(term) for term in query_terms if term}
    hits = [(m.start(), m.end(), key) for m in _words(flat) if (key := stem(m.group())) in wanted]
    start = 0
    if hits:
        lead = max_chars // 3  # some context before the match reads better than starting on it
        best = -1
        for anchor, _, _ in hits[:_MAX_ANCHORS]:
            window = max(0, min(anchor - lead, len(flat) - max_chars))
            covered = len({key for s, e, key in hits if s >= window and e <= window + max_chars})
            if covered > best:
                best, start = covered, window
    return _cut(flat, start, max_chars)


def _cut(flat: str, start: int, max_chars: int) -> str:
    """Return up to `max_chars` of `flat` from about `start`, cut between words, with … where cut."""
    if start > 0 and flat[start - 1] != " ":
        space = flat.find(" ", start)
        start = space + 1 if 0 <= space < start + max_chars // 2 else start  # a giant word is cut anyway
    prefix = _ELLIPSIS if start > 0 else ""
    budget = max_chars - len(prefix)
    if len(flat) - start <= budget:
        return prefix + flat[start:]
    end = start + budget - len(_ELLIPSIS)
    space = flat.rfind(" ", start, end + 1)
    if space > start:
        end = space
    return prefix + flat[start:end].rstrip() + _ELLIPSIS
