"""Cards are pure builders: structure, both languages, people's text made inert, links kept to Teams."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.expertise import Evidence, ExpertMatch
from bot.model import Language, Person
from bot.presence import Availability
from bot.visibility import PersonVisibility
from cards.elements import escape_markdown, safe_link
from cards.expert_card import MORE_VERB, build_expert_card, chat_link
from cards.help_card import build_help_card
from cards.profile_card import VISIBILITY_VERB, build_profile_card
from cards.strings import keys, translations
from cards.welcome_card import build_welcome_card

WHEN = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def expert(
    name: str = "Anna Virtanen",
    snippet: str = "Use helm upgrade",
    url: str | None = None,
    rising: bool = False,
) -> ExpertMatch:
    person = Person(id="a1", display_name=name, user_principal_name="anna@contoso.com", job_title="Engineer")
    evidence = Evidence(
        message_id="1",
        channel_id="19:c@thread.tacv2",
        url=url or "https://teams.microsoft.com/l/message/19:c@thread.tacv2/1?groupId=g",
        snippet=snippet,
        created_at=WHEN,
        reactions=3,
        is_answer=True,
    )
    return ExpertMatch(
        "a1", name, 12.5, (evidence,) * 3, answers=4, reactions=9, person=person, rising=rising
    )


def texts(card: dict[str, object]) -> str:
    return json.dumps(card, ensure_ascii=False)


def rendered_markdown(element: object) -> list[str]:
    """Every TextBlock's text: what Teams renders as markdown."""
    if isinstance(element, dict):
        found = [element["text"]] if element.get("type") == "TextBlock" else []
        return found + [t for value in element.values() for t in rendered_markdown(value)]
    if isinstance(element, list):
        return [t for item in element for t in rendered_markdown(item)]
    return []


def test_every_string_exists_in_both_languages() -> None:
    for key in keys():
        both = translations(key)
        assert set(both) == {"en", "fi"}, key
        assert all(text.strip() for text in both.values()), key


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_expert_card_shows_person_reason_evidence_and_chat(language: Language) -> None:
    card = build_expert_card("who knows helm", "helm", [expert()], language, has_more=True)
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"
    body = texts(card)
    assert "Anna Virtanen" in body
    assert "Engineer" in body
    assert ("4.3.2026" if language == "fi" else "4 Mar 2026") in body
    assert "https://teams.microsoft.com/l/chat/0/0?users=anna%40contoso.com" in body
    [more] = card["actions"]
    assert more["type"] == "Action.Execute"
    assert more["verb"] == MORE_VERB
    assert more["data"]["offset"] == 1


@pytest.mark.parametrize(("language", "mark"), [("en", "Rising on helm"), ("fi", "Nousussa aiheessa helm")])
def test_a_rising_person_carries_a_small_mark_in_both_languages(language: Language, mark: str) -> None:
    rising = texts(build_expert_card("who knows helm", "helm", [expert(rising=True)], language))
    steady = texts(build_expert_card("who knows helm", "helm", [expert()], language))
    assert mark in rising
    assert mark not in steady
    assert "↗" not in steady


@pytest.mark.parametrize(
    ("language", "availability", "shown", "color"),
    [
        ("en", "available", "● Available", "good"),
        ("fi", "available", "● Käytettävissä", "good"),
        ("en", "busy", "● Busy", "attention"),
        ("fi", "do_not_disturb", "● Älä häiritse", "attention"),
        ("en", "be_right_back", "● Be right back", "warning"),
        ("fi", "away", "● Poissa", "warning"),
        ("en", "offline", "○ Offline", None),
        ("fi", "offline", "○ Offline-tilassa", None),
    ],
)
def test_availability_is_marked_beside_the_name_in_both_languages(
    language: Language, availability: Availability, shown: str, color: str | None
) -> None:
    card = build_expert_card("q", "helm", [expert()], language, availability={"a1": availability})
    header = card["body"][2]["items"][0]["columns"][0]["items"][0]
    name, status = (column["items"][0] for column in header["columns"])
    assert name["text"] == "Anna Virtanen"
    assert name["weight"] == "bolder"
    assert status["text"] == shown
    assert status.get("color") == color


def test_without_availability_the_name_stands_alone() -> None:
    for availability in (None, {}, {"someone-else": "busy"}):
        card = build_expert_card("q", "helm", [expert()], "en", availability=availability)
        header = card["body"][2]["items"][0]["columns"][0]["items"][0]
        assert header == {"type": "TextBlock", "text": "Anna Virtanen", "weight": "bolder", "wrap": True}
        assert "●" not in texts(card)
        assert "○" not in texts(card)


def test_people_text_cannot_inject_markdown_or_links() -> None:
    card = build_expert_card(
        "who knows [x](https://evil.example)",
        "[x](https://evil.example)",
        [
            expert(
                name="**Boss** [click](https://evil.example)",
                snippet="<at>all</at> [win](https://evil.example)",
            )
        ],
        "en",
    )
    shown = "\n".join(rendered_markdown(card))
    assert "](" not in shown.replace("\\](", "")
    assert "**Boss**" not in shown
    assert "\\[click\\]" in shown


def test_evidence_links_only_open_teams() -> None:
    card = build_expert_card("q", "helm", [expert(url="https://evil.example/phish")], "en")
    assert "evil.example" not in texts(card)
    assert safe_link("https://teams.microsoft.com/l/message/19:a@thread.tacv2/1") is not None
    assert safe_link("https://teams.microsoft.com.evil.example/x") is None
    assert safe_link("javascript:alert(1)") is None


def test_escape_markdown_keeps_words() -> None:
    assert escape_markdown("  C# and   *nix_tools ") == "C\\# and \\*nix\\_tools"


def test_chat_link_falls_back_to_the_object_id() -> None:
    link = chat_link(None, "a1b2", "Hi!")
    assert link == "https://teams.microsoft.com/l/chat/0/0?users=8%3Aorgid%3Aa1b2&message=Hi%21"


def test_a_full_card_stays_far_below_teams_message_limit() -> None:
    long = "kubernetes " * 40
    card = build_expert_card(
        "q",
        "kubernetes",
        [expert(snippet=long[:200]) for _ in range(8)],
        "fi",
        has_more=True,
        availability={"a1": "do_not_disturb"},
    )
    assert len(texts(card).encode("utf-8")) < 28_000


def test_nobody_found_says_so_and_suggests_what_to_try() -> None:
    card = build_expert_card("who knows zymurgy", "zymurgy", [], "en")
    assert "couldn't find anyone" in texts(card)
    assert "actions" not in card


@pytest.mark.parametrize("language", ["en", "fi"])
def test_help_and_welcome_say_how_to_opt_out(language: Language) -> None:
    help_card = texts(build_help_card(language, [("who knows", "Find people")]))
    welcome = texts(build_welcome_card(language))
    opt_out = "hide me" if language == "en" else "piilota minut"
    assert opt_out in help_card
    assert opt_out in welcome


# --- injection: people's text and queries can't add markdown, functions, structure or foreign links ------

_SPECIALS = set("\\`*_[]()#+-!>~|<")


def unescaped_specials(text: str) -> list[str]:
    """Markdown characters in `text` that are not backslash-escaped."""
    found, escaped = [], False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _SPECIALS:
            found.append(char)
    return found


@given(st.text())
def test_escaped_text_has_no_live_markdown_or_card_functions(text: str) -> None:
    escaped = escape_markdown(text)
    assert unescaped_specials(escaped) == []
    assert "{{" not in escaped
    assert not re.match(r"\d+\.", escaped), "a leading '1.' would render as a list"
    assert "\n" not in escaped


def skeleton(element: object) -> object:
    """The card's structure: element and action types, nothing people wrote."""
    if isinstance(element, dict):
        return (element.get("type"), tuple(skeleton(v) for k, v in sorted(element.items()) if k != "data"))
    if isinstance(element, list):
        return tuple(skeleton(item) for item in element)
    return None


def urls(element: object) -> list[str]:
    if isinstance(element, dict):
        found = [element["url"]] if isinstance(element.get("url"), str) else []
        return found + [u for value in element.values() for u in urls(value)]
    if isinstance(element, list):
        return [u for item in element for u in urls(item)]
    return []


hostile = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "**Boss** [click](https://evil.example)",
            "{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
            "1. first",
            '{"type": "Action.OpenUrl", "url": "https://evil.example"}',
            "<at>everyone</at>",
            "\u202eevil\u0000",
        ]
    ),
)


@settings(max_examples=60)
@given(name=hostile, snippet=hostile, topic=hostile, url=hostile | st.just("https://evil.sharepoint.com/x"))
def test_hostile_names_snippets_and_topics_change_no_structure_and_no_link(
    name: str, snippet: str, topic: str, url: str
) -> None:
    benign = build_expert_card("q", "helm", [expert(url=url)], "en", has_more=True)
    card = build_expert_card(
        topic, topic or "x", [expert(name=name, snippet=snippet, url=url)], "en", has_more=True
    )
    assert skeleton(card) == skeleton(benign)
    for link in urls(card):
        assert link.startswith("https://teams.microsoft.com/"), link
    for text in rendered_markdown(card):
        assert "{{" not in text


def test_links_to_other_microsoft_hosts_are_dropped_too() -> None:
    for url in (
        "https://evil.sharepoint.com/sites/x",
        "https://login.microsoftonline.com/x",
        "https://teams.microsoft.com@evil.example/",
        "https://teams.microsoft.com:8443/x",
        "http://teams.microsoft.com/l/message/1",
    ):
        assert safe_link(url) is None, url
    assert safe_link("https://teams.cloud.microsoft/l/message/19:a@thread.tacv2/1") is not None


def test_button_titles_and_the_typed_chat_message_use_the_name_as_written() -> None:
    card = texts(build_expert_card("q", "helm", [expert(name="Anna-Maria Virtanen")], "en"))
    assert "Chat with Anna-Maria" in card, "an action title is plain text: no markdown escapes"
    assert "Hi%20Anna-Maria%21" in card


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_profile_card_shows_each_choice_with_an_undo_button(language: Language) -> None:
    choices = PersonVisibility(
        hidden_topics=("kubernetes", "**x** [y](https://evil.example)"), team_only=True
    )
    card = build_profile_card([], [], choices, language)
    shown = "\n".join(rendered_markdown(card))
    assert "\\*\\*x\\*\\*" in shown
    undo = [a for a in action_list(card) if a.get("verb") == VISIBILITY_VERB]
    assert sorted(a["data"]["choice"] for a in undo) == ["everyone", "show_topic", "show_topic"]
    assert all(set(a["data"]) <= {"choice", "topic", "language", "verb"} for a in undo), "no person id"


def test_the_profile_card_says_when_opt_in_keeps_someone_hidden() -> None:
    waiting = texts(build_profile_card([], [], PersonVisibility(), "en", opt_in_default=True))
    assert "agreed" in waiting
    consented = texts(build_profile_card([], [], PersonVisibility(opted_in=True), "en", opt_in_default=True))
    assert "agreed" not in consented
    assert "Show me again" in texts(build_profile_card([], [], PersonVisibility(hidden=True), "en"))


def action_list(element: object) -> list[dict[str, object]]:
    if isinstance(element, dict):
        found = [element] if str(element.get("type", "")).startswith("Action.") else []
        return found + [a for value in element.values() for a in action_list(value)]
    if isinstance(element, list):
        return [a for item in element for a in action_list(item)]
    return []
