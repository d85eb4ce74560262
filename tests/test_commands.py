"""bot.commands: what people type, parsed into commands, in English and Finnish."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands import (
    Command,
    ForgetMe,
    Help,
    HideMe,
    MyProfile,
    SetNudges,
    ShowMe,
    TeamSummary,
    Unknown,
    WhoKnows,
    parse_command,
)


def who(topic: str, language: str = "en") -> tuple[str, str]:
    """Expected WhoKnows, by topic and language (the query is always the message itself)."""
    return (topic, language)


CASES: list[tuple[str, Command | tuple[str, str]]] = [
    # English who-knows forms
    ("who knows kubernetes", who("kubernetes")),
    ("who knows about Kubernetes?", who("Kubernetes")),
    ("Who knows how to configure SSO?", who("configure SSO")),
    ("anyone know terraform?", who("terraform")),
    ("does anyone know about SAP HANA", who("SAP HANA")),
    ("does anyone know how to rotate secrets", who("rotate secrets")),
    ("does somebody know Power BI", who("Power BI")),
    ("who can help me with DAX", who("DAX")),
    ("who can help with the VPN", who("VPN")),
    ("who is an expert on GDPR", who("GDPR")),
    ("who is the expert in accessibility", who("accessibility")),
    ("who's an expert at React", who("React")),
    ("who has experience with Databricks", who("Databricks")),
    ("who has experience in pricing", who("pricing")),
    ("experts on ISO 27001", who("ISO 27001")),
    ("expert in C#", who("C#")),
    ("find an expert on .NET", who(".NET")),
    ("find expert for node.js", who("node.js")),
    ("who should I ask about invoicing", who("invoicing")),
    ("who is our SAP expert", who("SAP")),
    ("who knows c++?", who("c++")),
    ("who knows R", who("R")),
    ("who knows “Power BI”?", who("Power BI")),
    ("help me with kubernetes", who("kubernetes")),  # the bot can't help itself: it finds who can
    # English pasted questions: the topic is the question's content words
    (
        "How do I configure conditional access for guest users?",
        who("configure conditional access guest users"),
    ),
    (
        "What is the best way to migrate from Jenkins to GitHub Actions?",
        who("best migrate Jenkins GitHub Actions"),
    ),
    ("Our ingress returns 502 after the upgrade?", who("ingress returns 502 upgrade")),
    # Finnish who-knows forms: the topic as typed, minus a colon ending
    ("kuka osaa kubernetes", who("kubernetes", "fi")),
    ("kuka osaa Kubernetesia?", who("Kubernetesia", "fi")),
    ("kuka tietää k8s:stä", who("k8s", "fi")),
    ("kuka tietää jotain k8s:stä", who("k8s", "fi")),
    ("kuka tietää Kubernetesin", who("Kubernetesin", "fi")),
    ("kuka tuntee SAPin", who("SAPin", "fi")),
    ("kenellä on kokemusta Terraformista", who("Terraformista", "fi")),
    ("kenellä on kokemusta k8s:stä?", who("k8s", "fi")),
    ("kuka on asiantuntija tietoturvassa", who("tietoturvassa", "fi")),
    ("kuka on tietoturva-asiantuntija", who("tietoturva", "fi")),
    ("kuka on SAP:n asiantuntija", who("SAP", "fi")),
    ("osaako joku Power BI:tä", who("Power BI", "fi")),
    ("tietääkö joku Kafkasta", who("Kafkasta", "fi")),
    ("tietääkö kukaan mitään DAX:sta", who("DAX", "fi")),
    ("kuka voisi auttaa Azure AD:n kanssa", who("Azure AD", "fi")),
    ("kuka voisi auttaa minua Kubernetesin kanssa", who("Kubernetesin", "fi")),
    ("keneltä kysyisin laskutuksesta", who("laskutuksesta", "fi")),
    # Finnish pasted questions
    ("Miten saan Kubernetes-klusterin pystyyn Azuressa?", who("Kubernetes-klusterin pystyyn Azuressa", "fi")),
    ("Onko meillä ohjeita VPN:n käyttöön?", who("ohjeita VPN käyttöön", "fi")),
    ("Voiko Teamsissa ajastaa viestejä?", who("Teamsissa ajastaa viestejä", "fi")),
    # Leftovers around the command
    ("<at>Seula</at> who knows kubernetes", who("kubernetes")),
    ("@Seula who knows kubernetes please", who("kubernetes")),
    ("hey, who knows kubernetes?", who("kubernetes")),
    ("  who   knows\n kubernetes  ", who("kubernetes")),
    ("who knows kubernetes 🙏", who("kubernetes")),
    ("moi, kuka osaa Azurea?", who("Azurea", "fi")),
    ("hei kuka osaa SQL:ää kiitos", who("SQL", "fi")),
    ("WHO KNOWS KUBERNETES", who("KUBERNETES")),
    # Help
    ("help", Help("en")),
    ("Help!", Help("en")),
    ("help me", Help("en")),
    ("what can you do?", Help("en")),
    ("commands", Help("en")),
    ("are you a bot?", Help("en")),
    ("apua", Help("fi")),
    ("ohje", Help("fi")),
    ("ohjeet", Help("fi")),
    ("mitä osaat?", Help("fi")),
    # Team summary
    ("team summary", TeamSummary("en")),
    ("summary of my team", TeamSummary("en")),
    ("tiimin yhteenveto", TeamSummary("fi")),
    ("tiimini yhteenveto", TeamSummary("fi")),
    ("yhteenveto", TeamSummary("fi")),
    # My profile
    ("my profile", MyProfile("en")),
    ("why am I listed?", MyProfile("en")),
    ("what do you know about me", MyProfile("en")),
    ("profiilini", MyProfile("fi")),
    ("miksi minut listataan", MyProfile("fi")),
    ("mitä tiedät minusta?", MyProfile("fi")),
    # Hide, show, forget
    ("hide me", HideMe("en")),
    ("don't suggest me", HideMe("en")),
    ("don’t suggest me", HideMe("en")),
    ("piilota minut", HideMe("fi")),
    ("älä ehdota minua", HideMe("fi")),
    ("show me", ShowMe("en")),
    ("näytä minut", ShowMe("fi")),
    ("forget me", ForgetMe("en")),
    ("delete my data", ForgetMe("en")),
    ("unohda minut", ForgetMe("fi")),
    ("poista tietoni", ForgetMe("fi")),
    # Nudges
    ("nudges on", SetNudges(True, "en")),
    ("nudges off", SetNudges(False, "en")),
    ("stop nudges", SetNudges(False, "en")),
    ("start nudges", SetNudges(True, "en")),
    ("muistutukset päälle", SetNudges(True, "fi")),
    ("muistutukset pois", SetNudges(False, "fi")),
    ("lopeta muistutukset", SetNudges(False, "fi")),
    # Not commands
    ("who", Unknown("who", "en")),
    ("whoever wrote this", Unknown("whoever wrote this", "en")),
    ("I know who knows", Unknown("I know who knows", "en")),
    ("knows who", Unknown("knows who", "en")),
    ("kukaan", Unknown("kukaan", "fi")),
    ("kuka", Unknown("kuka", "fi")),
    ("who knows", Unknown("who knows", "en")),
    ("who knows?", Unknown("who knows?", "en")),
    ("who knows about", Unknown("who knows about", "en")),
    ("who knows what", Unknown("who knows what", "en")),  # the form, naming nothing
    ("who is an expert?", Unknown("who is an expert?", "en")),
    ("kuka on asiantuntija", Unknown("kuka on asiantuntija", "fi")),
    ("kuka tietää jotain", Unknown("kuka tietää jotain", "fi")),
    ("whoknows", Unknown("whoknows", "en")),
    ("hello there", Unknown("hello there", "en")),
    ("how are you?", Unknown("how are you?", "en")),
    ("the meeting is at who knows when", Unknown("the meeting is at who knows when", "en")),
    ("who knows IT", Unknown("who knows IT", "en")),  # "it" is a stopword: IT and it can't be told apart
    ("thanks", Unknown("thanks", "en")),
    ("<at>Seula</at>", Unknown("", "en")),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[text for text, _ in CASES])
def test_parse_command(text: str, expected: Command | tuple[str, str]) -> None:
    parsed = parse_command(text)
    if isinstance(expected, tuple):
        topic, language = expected
        assert isinstance(parsed, WhoKnows)
        assert (parsed.topic, parsed.language) == (topic, language)
        assert parsed.query == " ".join(text.replace("<at>Seula</at>", "").replace("@Seula", "").split())
    else:
        assert parsed == expected


def test_the_locale_decides_when_the_words_do_not() -> None:
    assert parse_command("?", "fi-FI") == Help("fi")
    assert parse_command("kubernetes", "fi-FI") == Unknown("kubernetes", "fi")
    assert parse_command("kubernetes", "en-US") == Unknown("kubernetes", "en")
    assert parse_command("Kubernetes ingress 502 virhe?", "en-US") == WhoKnows(
        "Kubernetes ingress 502 virhe", "Kubernetes ingress 502 virhe?", "en"
    )


def test_a_matched_form_decides_the_language_over_the_locale() -> None:
    assert parse_command("who knows tietoturva", "fi-FI") == WhoKnows(
        "tietoturva", "who knows tietoturva", "en"
    )
    assert parse_command("kuka osaa kubernetes", "en-US") == WhoKnows(
        "kubernetes", "kuka osaa kubernetes", "fi"
    )
    assert parse_command("help", "fi-FI") == Help("en")


@pytest.mark.parametrize(
    "text",
    [
        "who knows " + "kubernetes " * 400,
        "a" * 5000,
        "who " * 1000,
        "?" * 3000 + "x",
        " ," * 3000,
        "<at" * 1000,
        "<at>" * 1000 + "x",
        "kuka on " + "a-" * 2000,
        "kuka voisi auttaa " + "x " * 2000 + "kanssa",
        "who is the " + "very " * 1000 + "expert person",
        "k8s:stä " * 500,
        "please " * 800 + "help",
    ],
    ids=lambda text: f"{text[:20]!r}x{len(text)}",
)
def test_long_input_parses_quickly(text: str) -> None:
    started = time.perf_counter()
    assert isinstance(parse_command(text), Command)
    assert time.perf_counter() - started < 1.0


@given(st.text(), st.sampled_from([None, "en-US", "fi-FI", "sv-SE", ""]))
def test_parse_command_always_returns_a_command(text: str, locale: str | None) -> None:
    parsed = parse_command(text, locale)
    assert isinstance(parsed, Command)
    assert parsed.language in ("en", "fi")
    if isinstance(parsed, WhoKnows):
        assert parsed.topic
        assert parsed.topic == parsed.topic.strip()


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_who_knows_with_anything_after_it_has_a_topic_or_is_unknown(tail: str) -> None:
    parsed = parse_command(f"who knows {tail}")
    assert isinstance(parsed, WhoKnows | Unknown)
    if isinstance(parsed, WhoKnows):
        assert parsed.topic
