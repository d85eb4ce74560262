"""The nudge card: stats with a chart and its text fallback, goal, prompts with actions, controls, size."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.model import Language, Person
from bot.nudges import ContentPrompt, FollowUp, GoalProgress, Nudge, NudgeStats, OutlineItem
from bot.signals import Contribution
from cards.nudge_card import (
    GOAL_INPUT,
    GOAL_VERB,
    NUDGE_VERBS,
    SKIP_VERB,
    SNOOZE_INPUT,
    SNOOZE_VERB,
    STOP_VERB,
    WRITE_VERB,
    build_nudge_card,
    nudge_summary,
    nudge_why,
)
from tests.test_cards import rendered_markdown

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
URL = "https://teams.microsoft.com/l/message/19:c@thread.tacv2/100?groupId=g"


def prompt(text: str = "How do I roll back a helm release?", url: str | None = URL) -> ContentPrompt:
    return ContentPrompt(
        channel_id="19:c@thread.tacv2",
        message_id="100",
        text=text,
        url=url,
        topic="helm",
        terms=frozenset({"helm"}),
        askers=3,
        answered=False,
        asked_at=NOW,
        outline=(OutlineItem("Run helm rollback <release> <revision>", URL),) * 3,
    )


def nudge(
    language: Language = "en", prompts: tuple[ContentPrompt, ...] = (prompt(),), shared: int = 2
) -> Nudge:
    weeks = tuple(
        Contribution(messages=i, answers=i, reactions=2 * i, people_helped=i, reach=1) for i in range(8)
    )
    return Nudge(
        recipient="anna",
        person=Person("anna", "Anna Virtanen"),
        week="2026-W48",
        reason="established",
        answers=12,
        language=language,
        stats=NudgeStats(weeks, "up"),
        goal=GoalProgress(14, shared, NOW if shared else None),
        prompts=prompts,
    )


def walk(element: Any) -> list[dict[str, Any]]:
    """Every object in the card, depth first."""
    if isinstance(element, dict):
        return [element] + [found for value in element.values() for found in walk(value)]
    if isinstance(element, list):
        return [found for item in element for found in walk(item)]
    return []


def of_type(card: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in walk(card) if e.get("type") == kind]


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_card_has_stats_a_chart_with_a_text_fallback_goal_prompts_and_controls(
    language: Language,
) -> None:
    card = build_nudge_card(nudge(language), [41], NOW)
    assert card["version"] == "1.5"
    facts = of_type(card, "FactSet")[0]["facts"]
    assert [f["value"] for f in facts] == ["7", "14", "7", "1"]
    [chart] = of_type(card, "Chart.VerticalBar")
    assert [point["y"] for point in chart["data"]] == list(range(8))
    assert chart["fallback"]["type"] == "TextBlock"
    assert "7" in chart["fallback"]["text"]
    assert len(of_type(card, "Input.Date")) == 1
    [choices] = of_type(card, "Input.ChoiceSet")
    assert choices["id"] == GOAL_INPUT
    assert choices["value"] == "14"
    assert of_type(card, "Input.Date")[0]["id"] == SNOOZE_INPUT
    executes = of_type(card, "Action.Execute")
    assert {a["verb"] for a in executes} == NUDGE_VERBS
    for action in executes:
        assert action["fallback"]["type"] == "Action.Submit"
        assert action["fallback"]["data"]["verb"] == action["verb"]
        assert action["data"]["language"] == language
    write = next(a for a in executes if a["verb"] == WRITE_VERB)
    assert write["data"]["prompt"] == 41
    assert write["data"]["remind_days"] > 0
    skip = next(a for a in executes if a["verb"] == SKIP_VERB)
    assert skip["data"]["prompt"] == 41
    # No button carries whose settings to change: the assistant changes only the presser's own.
    assert all("person" not in a["data"] and "user" not in a["data"] for a in executes)
    assert {SNOOZE_VERB, GOAL_VERB, STOP_VERB} <= {a["verb"] for a in executes}
    assert [a["url"] for a in of_type(card, "Action.OpenUrl")] == [URL]
    text = json.dumps(card, ensure_ascii=False)
    assert ("stop nudges" if language == "en" else "lopeta muistutukset") in text
    assert ("12 times" if language == "en" else "12 kertaa") in text


def test_the_card_stays_well_under_the_size_budget() -> None:
    long = prompt(text="x" * 400)
    card = build_nudge_card(nudge(prompts=(long, long, long)), [1, 2, 3], NOW)
    assert len(json.dumps(card, ensure_ascii=False).encode("utf-16-le")) < 28_000


def test_peoples_text_is_inert_and_links_stay_in_teams() -> None:
    evil = prompt(text="[click](https://evil.example) **bold** <at>Boss</at>", url="https://evil.example/x")
    card = build_nudge_card(nudge(prompts=(evil,)), [1], NOW)
    assert of_type(card, "Action.OpenUrl") == []
    assert not any("[click](" in text for text in rendered_markdown(card))
    assert "https://evil.example" not in json.dumps(of_type(card, "Action.OpenUrl"))


def test_without_prompts_or_a_share_the_card_says_so() -> None:
    card = build_nudge_card(nudge(prompts=(), shared=0), [], NOW)
    text = json.dumps(card, ensure_ascii=False)
    assert "No open questions" in text
    assert "Nothing yet" in text
    assert {a["verb"] for a in of_type(card, "Action.Execute")} == {SNOOZE_VERB, GOAL_VERB, STOP_VERB}


def test_the_notification_line_and_the_why_are_in_the_persons_language() -> None:
    assert nudge_summary(nudge("en")) == (
        "Your week in Seula: 7 answers and 14 reactions in the last 7 days. "
        "Colleagues asked about your topics, too."
    )
    assert nudge_summary(nudge("fi")).startswith("Viikkosi Seulassa: 7 vastausta")
    assert "12 kertaa" in nudge_why(nudge("fi"))


def test_the_card_follows_up_on_what_they_said_they_would_write() -> None:
    posted = FollowUp("How do I roll back a helm release?", URL, URL.replace("100", "300"), 4)
    waiting = FollowUp("Which helm plugin diffs releases?", URL, None, 0)
    card = build_nudge_card(replace(nudge(), followups=(posted, waiting)), [1], NOW)
    text = json.dumps(card, ensure_ascii=False)
    assert "You said you'd write about" in text
    assert "4 reactions so far" in text
    assert "Not posted yet" in text
    links = [e["selectAction"]["url"] for e in walk(card) if "selectAction" in e]
    assert links == [URL.replace("100", "300"), URL]


def test_every_prompt_needs_its_stored_id() -> None:
    with pytest.raises(ValueError, match="stored id"):
        build_nudge_card(nudge(), [], NOW)
