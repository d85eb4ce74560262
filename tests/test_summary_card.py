"""The team summary card: structure, charts with text fallbacks, both languages, size, inert people's text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.model import Language
from bot.summaries import (
    MAX_FLOWS,
    MAX_QUESTIONS,
    MAX_TOPICS,
    MAX_VOICES,
    SNIPPET_CHARS,
    EvidenceLink,
    HelpFlow,
    OpenQuestion,
    TeamSummary,
    Topic,
    Voice,
)
from cards.strings import say
from cards.summary_card import SUBSCRIBE_VERB, UNSUBSCRIBE_VERB, build_summary_card
from tests.test_summaries import summarize

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def link(n: int, text: str = "", url: str | None = None) -> EvidenceLink:
    return EvidenceLink(
        message_id=str(n),
        channel_id="19:c@thread.tacv2",
        # As long as Teams' own message links get: ids, tenant, creation time and parent.
        url=url
        or f"https://teams.microsoft.com/l/message/19%3A{'a' * 32}%40thread.tacv2/{n:013d}?groupId="
        f"{'b' * 36}&tenantId={'c' * 36}&createdTime={n:013d}&parentMessageId={n:013d}",
        snippet=text or "Ä" * SNIPPET_CHARS,
        created_at=NOW - timedelta(days=n % 28),
    )


def largest_summary() -> TeamSummary:
    """Every section as full as a summary ever gets, with the longest snippets."""
    voices = tuple(
        Voice(
            f"p{i}",
            f"Firstname{i} Very-Long-Surname{i}",
            ("kubernetes", "terraform state"),
            (link(i), link(i + 1)),
        )
        for i in range(MAX_VOICES)
    )
    return TeamSummary(
        manager_id="boss",
        team_size=15,
        since=NOW - timedelta(days=30),
        until=NOW,
        small_team=False,
        topics=tuple(Topic(f"topic-number-{i}", 40.5 - i, 30.25 + i) for i in range(MAX_TOPICS)),
        helps=tuple(HelpFlow(f"Department {i}", 20 - i, 5, 7) for i in range(MAX_FLOWS)),
        relies_on=tuple(HelpFlow(f"Other department {i}", 9 - i, 3, 4) for i in range(MAX_FLOWS)),
        unanswered=tuple(
            OpenQuestion(link(i), ("airflow", "dag", "backfill"), i) for i in range(MAX_QUESTIONS)
        ),
        emerging=voices,
        recognitions=voices,
    )


def elements(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node] if "type" in node else []
        return found + [e for value in node.values() for e in elements(value)]
    if isinstance(node, list):
        return [e for item in node for e in elements(item)]
    return []


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_card_shows_topics_and_help_as_charts_with_text_fallbacks(language: Language) -> None:
    card = build_summary_card(summarize(), language, subscribed=False)
    charts = [e for e in elements(card) if e["type"].startswith("Chart.")]
    assert [c["type"] for c in charts] == ["Chart.VerticalBar.Grouped"] * 2
    topics, help_chart = charts
    assert [series["legend"] for series in topics["data"]] == [
        say(language, "summary.topics.previous"),
        say(language, "summary.topics.current"),
    ]
    labels = [point["x"].casefold() for point in topics["data"][1]["values"]]
    assert {"airflow", "dag"} <= set(labels)
    for chart in charts:
        assert chart["fallback"]["type"] == "TextBlock"
        assert chart["fallback"]["text"].startswith("- ")
    assert help_chart["data"][0]["values"] == [{"x": "Sales", "y": 7}]
    assert card["version"] == "1.5"


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_card_names_people_in_recognition_with_linked_evidence(language: Language) -> None:
    text = json.dumps(build_summary_card(summarize(), language, subscribed=False), ensure_ascii=False)
    assert say(language, "summary.emerging.title") in text
    assert "**Dan Person**" in text
    assert "**Ben Person**" in text
    assert say(language, "summary.leaves_out") in text
    assert "https://teams.microsoft.com/l/message/" in text
    assert "backfill an airflow dag" in text


@pytest.mark.parametrize(("subscribed", "verb"), [(False, SUBSCRIBE_VERB), (True, UNSUBSCRIBE_VERB)])
def test_the_button_subscribes_or_unsubscribes_with_a_submit_fallback(subscribed: bool, verb: str) -> None:
    [action] = build_summary_card(summarize(), "fi", subscribed=subscribed)["actions"]
    assert action["type"] == "Action.Execute"
    assert action["verb"] == verb
    assert action["data"] == {"language": "fi", "verb": verb}, "no person id travels in the card"
    assert action["fallback"]["type"] == "Action.Submit"
    assert action["fallback"]["data"]["verb"] == verb


def test_a_small_team_card_explains_why_it_shows_only_open_questions() -> None:
    card = build_summary_card(summarize(team=("anna", "ben")), "en", subscribed=False)
    text = json.dumps(card, ensure_ascii=False)
    assert say("en", "summary.small_team") in text
    assert not [e for e in elements(card) if e["type"].startswith("Chart.")]
    assert say("en", "summary.emerging.title") not in text
    assert say("en", "summary.unanswered.title") in text


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_largest_card_stays_well_under_the_size_budget(language: Language) -> None:
    card = build_summary_card(largest_summary(), language, subscribed=True)
    size = len(json.dumps(card, ensure_ascii=False).encode())
    assert size < 24 * 1024, size


def test_peoples_text_is_inert_and_links_stay_in_microsoft_365() -> None:
    tricky = link(
        1, text="[click](https://evil.example) **bold** <at>Boss</at>", url="https://evil.example/x"
    )
    summary = TeamSummary(
        "boss",
        3,
        NOW - timedelta(days=30),
        NOW,
        small_team=True,
        unanswered=(OpenQuestion(tricky, ("a*b",), 0),),
    )
    text = json.dumps(build_summary_card(summary, "en", subscribed=False), ensure_ascii=False)
    assert "evil.example/x" not in text
    markdown = " ".join(e["text"] for e in elements(build_summary_card(summary, "en", False)) if "text" in e)
    assert r"\[click\]\(https://evil.example\)" in markdown
    assert r"a\*b" in markdown


def test_empty_sections_say_so_instead_of_disappearing() -> None:
    empty = TeamSummary("boss", 5, NOW - timedelta(days=30), NOW, small_team=False)
    text = json.dumps(build_summary_card(empty, "fi", subscribed=False), ensure_ascii=False)
    for key in ("summary.topics.none", "summary.help.none", "summary.unanswered.none", "summary.people.none"):
        assert say("fi", key) in text
