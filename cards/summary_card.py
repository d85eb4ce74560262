"""A manager's team summary: team topics and help between teams as charts (with text fallbacks), open
questions, emerging voices and recognitions with their evidence, and what the summary leaves out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.model import Language
from bot.summaries import EvidenceLink, HelpFlow, TeamSummary, Topic, Voice
from cards.elements import (
    Element,
    card,
    container,
    escape_markdown,
    execute,
    open_url,
    safe_link,
    text_block,
)
from cards.strings import say

SUBSCRIBE_VERB = "seula.summary.subscribe"
UNSUBSCRIBE_VERB = "seula.summary.unsubscribe"

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def build_summary_card(summary: TeamSummary, language: Language, subscribed: bool) -> Element:
    """The team summary card; its button subscribes to it monthly, or stops that when `subscribed`."""
    body: list[Element] = [
        text_block(say(language, "summary.title"), size="medium", weight="bolder", style="heading"),
        text_block(
            say(
                language,
                "summary.subtitle",
                people=summary.team_size,
                since=_date(summary.since, language),
                until=_date(summary.until, language),
            ),
            is_subtle=True,
            size="small",
            spacing="none",
        ),
    ]
    if summary.small_team:
        body.append(text_block(say(language, "summary.small_team"), spacing="medium"))
    else:
        body += _topics_section(summary.topics, language)
        body += _help_section(summary.helps, summary.relies_on, language)
    body += _questions_section(summary, language)
    if not summary.small_team:
        body += _people_section(summary.emerging, summary.recognitions, language)
    body.append(
        text_block(say(language, "summary.leaves_out"), is_subtle=True, size="small", spacing="large")
    )
    verb, title = (
        (UNSUBSCRIBE_VERB, say(language, "summary.unsubscribe"))
        if subscribed
        else (SUBSCRIBE_VERB, say(language, "summary.subscribe"))
    )
    return card(
        body, actions=[execute(title, verb, {"language": language})], speak=say(language, "summary.title")
    )


def _heading(text: str) -> Element:
    return container([text_block(text, weight="bolder")], separator=True, spacing="large")


def _topics_section(topics: tuple[Topic, ...], language: Language) -> list[Element]:
    section = [_heading(say(language, "summary.topics.title"))]
    if not topics:
        return [*section, text_block(say(language, "summary.topics.none"), is_subtle=True, spacing="none")]
    lines = "\n".join(
        f"- {escape_markdown(t.label)}: {say(language, f'summary.movement.{t.movement}')}" for t in topics
    )
    series = (("summary.topics.previous", "previous"), ("summary.topics.current", "current"))
    chart = _grouped_bars(
        say(language, "summary.topics.chart"),
        say(language, "summary.topics.axis"),
        [
            (say(language, key), [(t.label, round(getattr(t, attribute), 1)) for t in topics])
            for key, attribute in series
        ],
        fallback=text_block(lines, spacing="none"),
    )
    return [*section, chart]


def _help_section(
    helps: tuple[HelpFlow, ...], relies_on: tuple[HelpFlow, ...], language: Language
) -> list[Element]:
    section = [_heading(say(language, "summary.help.title"))]
    if not helps and not relies_on:
        return [*section, text_block(say(language, "summary.help.none"), is_subtle=True, spacing="none")]
    lines = [
        say(language, "summary.help.given.item", department=escape_markdown(f.department), answers=f.answers)
        for f in helps
    ] + [
        say(
            language,
            "summary.help.received.item",
            department=escape_markdown(f.department),
            answers=f.answers,
        )
        for f in relies_on
    ]
    departments = list(dict.fromkeys([f.department for f in helps] + [f.department for f in relies_on]))
    given = {f.department: f.answers for f in helps}
    received = {f.department: f.answers for f in relies_on}
    chart = _grouped_bars(
        say(language, "summary.help.title"),
        say(language, "summary.help.axis"),
        [
            (say(language, "summary.help.given"), [(d, given.get(d, 0)) for d in departments]),
            (say(language, "summary.help.received"), [(d, received.get(d, 0)) for d in departments]),
        ],
        fallback=text_block("\n".join(f"- {line}" for line in lines), spacing="none"),
    )
    return [*section, chart]


def _questions_section(summary: TeamSummary, language: Language) -> list[Element]:
    section = [_heading(say(language, "summary.unanswered.title"))]
    if not summary.unanswered:
        return [
            *section,
            text_block(say(language, "summary.unanswered.none"), is_subtle=True, spacing="none"),
        ]
    for question in summary.unanswered:
        meta = [
            ", ".join(escape_markdown(t) for t in question.topics),
            _date(question.question.created_at, language),
        ]
        if question.followers:
            meta.append(say(language, "summary.unanswered.followers", followers=question.followers))
        section.append(
            _quote(question.question, " · ".join(m for m in meta if m), "summary.unanswered.open", language)
        )
    return section


def _people_section(
    emerging: tuple[Voice, ...], recognitions: tuple[Voice, ...], language: Language
) -> list[Element]:
    section: list[Element] = []
    for key, voices, item in (
        ("summary.emerging.title", emerging, "summary.emerging.item"),
        ("summary.recognitions.title", recognitions, "summary.recognitions.item"),
    ):
        section.append(_heading(say(language, key)))
        if not voices:
            section.append(text_block(say(language, "summary.people.none"), is_subtle=True, spacing="none"))
        for voice in voices:
            topics = _joined([escape_markdown(t) for t in voice.topics], language)
            section.append(
                text_block(
                    say(language, item, name=escape_markdown(voice.name), topics=topics), spacing="medium"
                )
            )
            section += [
                _quote(e, _date(e.created_at, language), "summary.evidence", language) for e in voice.evidence
            ]
    return section


def _quote(link: EvidenceLink, meta: str, action_key: str, language: Language) -> Element:
    url = safe_link(link.url)
    return container(
        [
            text_block(f"“{escape_markdown(link.snippet)}”", size="small", max_lines=3, spacing="none"),
            text_block(meta, size="small", is_subtle=True, spacing="none"),
        ],
        spacing="small",
        style="emphasis",
        select_action=open_url(say(language, action_key), url) if url else None,
    )


def _grouped_bars(
    title: str, axis: str, series: list[tuple[str, list[tuple[str, float]]]], fallback: Element
) -> dict[str, Any]:
    """Teams' grouped vertical bar chart; clients without charts render `fallback` instead."""
    return {
        "type": "Chart.VerticalBar.Grouped",
        "title": title,
        "yAxisTitle": axis,
        "colorSet": "categorical",
        "data": [
            {"legend": legend, "values": [{"x": x, "y": y} for x, y in values]} for legend, values in series
        ],
        "fallback": fallback,
    }


def _joined(items: list[str], language: Language) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {say(language, 'summary.and')} {items[-1]}"


def _date(moment: datetime, language: Language) -> str:
    if language == "fi":
        return f"{moment.day}.{moment.month}.{moment.year}"
    return f"{moment.day} {_EN_MONTHS[moment.month - 1]} {moment.year}"
