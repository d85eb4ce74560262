"""The weekly nudge: how a person's answers landed, their goal, questions to write about, their controls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.model import Language
from bot.nudge_records import GOAL_CHOICES_DAYS
from bot.nudges import ContentPrompt, FollowUp, Nudge
from cards.elements import (
    Element,
    action_set,
    card,
    container,
    escape_markdown,
    execute,
    fact_set,
    open_url,
    safe_link,
    text_block,
)
from cards.strings import say

WRITE_VERB = "seula.nudge.write"
SKIP_VERB = "seula.nudge.skip"
SNOOZE_VERB = "seula.nudge.snooze"
GOAL_VERB = "seula.nudge.goal"
STOP_VERB = "seula.nudge.stop"
NUDGE_VERBS = frozenset({WRITE_VERB, SKIP_VERB, SNOOZE_VERB, GOAL_VERB, STOP_VERB})

SNOOZE_INPUT = "snooze_until"
GOAL_INPUT = "goal_days"
REMIND_IN_DAYS = 3


def build_nudge_card(nudge: Nudge, prompt_ids: Sequence[int], now: datetime) -> Element:
    """The nudge card; `prompt_ids` are the stored ids of `nudge.prompts`, in order (for their buttons)."""
    if len(prompt_ids) != len(nudge.prompts):
        raise ValueError("every prompt needs its stored id")
    language = nudge.language
    body: list[Element] = [
        text_block(say(language, "nudge.title"), size="medium", weight="bolder", style="heading"),
        text_block(
            nudge_why(nudge),
            is_subtle=True,
            spacing="none",
            size="small",
        ),
        *_stats(nudge, now, language),
        text_block(_goal_text(nudge, language), spacing="medium"),
    ]
    if nudge.followups:
        body.append(text_block(say(language, "nudge.followups.title"), weight="bolder", spacing="large"))
        body += [_followup(followup, language) for followup in nudge.followups]
    if nudge.prompts:
        body += [
            text_block(say(language, "nudge.prompts.title"), weight="bolder", spacing="large"),
            text_block(say(language, "nudge.prompts.intro"), is_subtle=True, size="small", spacing="none"),
        ]
        body += [
            _prompt_section(prompt, prompt_id, language)
            for prompt, prompt_id in zip(nudge.prompts, prompt_ids, strict=True)
        ]
    else:
        body.append(text_block(say(language, "nudge.none"), spacing="medium"))
    body += _controls(nudge, now, language)
    body.append(text_block(say(language, "nudge.footer"), is_subtle=True, size="small", spacing="medium"))
    return card(body, speak=say(language, "nudge.title"))


def nudge_why(nudge: Nudge) -> str:
    """Why this person got a nudge, in their language."""
    return say(nudge.language, f"nudge.why.{nudge.reason}", answers=nudge.answers)


def nudge_summary(nudge: Nudge) -> str:
    """The plain-text line Teams shows in the notification (and where a card can't render)."""
    week = nudge.stats.this_week
    summary = say(nudge.language, "nudge.summary", answers=week.answers, reactions=week.reactions)
    if nudge.prompts:
        summary += " " + say(nudge.language, "nudge.summary.prompts")
    return summary


def build_reminder_card(question: str, url: str | None, language: Language) -> Element:
    """The reminder the person asked for with "I'll write it"."""
    link = safe_link(url)
    body = [
        text_block(say(language, "nudge.reminder.title"), size="medium", weight="bolder", style="heading"),
        text_block(f"“{escape_markdown(question)}”", max_lines=4),
        text_block(say(language, "nudge.reminder.body"), size="small", is_subtle=True),
    ]
    actions = [open_url(say(language, "nudge.prompt.open"), link)] if link else None
    return card(body, actions=actions, speak=say(language, "nudge.reminder.title"))


def reminder_summary(language: Language) -> str:
    return say(language, "nudge.reminder.title")


_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_day(moment: datetime, language: Language) -> str:
    """A date as people write it: `5 Dec 2026`, `5.12.2026`."""
    if language == "fi":
        return f"{moment.day}.{moment.month}.{moment.year}"
    return f"{moment.day} {_EN_MONTHS[moment.month - 1]} {moment.year}"


def _stats(nudge: Nudge, now: datetime, language: Language) -> list[Element]:
    week = nudge.stats.this_week
    facts = [
        (say(language, "nudge.stats.answers"), str(week.answers)),
        (say(language, "nudge.stats.reactions"), str(week.reactions)),
        (say(language, "nudge.stats.helped"), str(week.people_helped)),
        (say(language, "nudge.stats.reach"), str(week.reach)),
    ]
    return [
        text_block(say(language, "nudge.stats.title"), weight="bolder", spacing="medium"),
        fact_set(facts),
        _answers_chart(nudge, now, language),
        text_block(say(language, f"nudge.trend.{nudge.stats.trend}"), size="small", spacing="small"),
    ]


def _answers_chart(nudge: Nudge, now: datetime, language: Language) -> Element:
    """Answers per week as Teams' bar chart, with the same numbers as text where charts don't render."""
    weeks = nudge.stats.weeks
    labels = [
        say(
            language,
            "nudge.chart.week",
            week=(now - timedelta(days=7 * (len(weeks) - 1 - i))).isocalendar()[1],
        )
        for i in range(len(weeks))
    ]
    values = [week.answers for week in weeks]
    fallback = text_block(
        say(
            language,
            "nudge.chart.fallback",
            values=" · ".join(f"{label}: {value}" for label, value in zip(labels, values, strict=True)),
        ),
        size="small",
    )
    return {
        "type": "Chart.VerticalBar",
        "title": say(language, "nudge.chart.title"),
        "data": [{"x": label, "y": value} for label, value in zip(labels, values, strict=True)],
        "fallback": fallback,
    }


def _goal_text(nudge: Nudge, language: Language) -> str:
    goal = nudge.goal
    if goal.met:
        return say(language, "nudge.goal.met", days=goal.every_days, shared=goal.shared)
    return say(language, "nudge.goal.open", days=goal.every_days)


def _followup(followup: FollowUp, language: Language) -> Element:
    if followup.posted:
        status = say(language, "nudge.followup.posted")
        status += " · " + say(language, "nudge.followup.reactions", reactions=followup.reactions)
    else:
        status = say(language, "nudge.followup.open")
    link = safe_link(followup.posted_url) or safe_link(followup.url)
    label = say(language, "nudge.followup.see" if safe_link(followup.posted_url) else "nudge.prompt.open")
    return container(
        [
            text_block(f"“{escape_markdown(followup.text)}”", size="small", max_lines=2),
            text_block(status, size="small", is_subtle=not followup.posted, spacing="none"),
        ],
        spacing="small",
        style="emphasis",
        select_action=open_url(label, link) if link else None,
    )


def _prompt_section(prompt: ContentPrompt, prompt_id: int, language: Language) -> Element:
    meta = [say(language, "nudge.prompt.topic", topic=escape_markdown(prompt.topic))]
    if prompt.askers > 1:
        meta.append(say(language, "nudge.prompt.askers", askers=prompt.askers))
    if not prompt.answered:
        meta.append(say(language, "nudge.prompt.unanswered"))
    items: list[Element] = [
        text_block(f"“{escape_markdown(prompt.text)}”", max_lines=4),
        text_block(" · ".join(meta), size="small", is_subtle=True, spacing="none"),
    ]
    if prompt.outline:
        items.append(text_block(say(language, "nudge.prompt.outline"), size="small", spacing="small"))
        items += [
            text_block(f"- {escape_markdown(item.snippet)}", size="small", spacing="none", max_lines=2)
            for item in prompt.outline
        ]
    data = {"prompt": prompt_id, "language": language}
    actions = [
        execute(say(language, "nudge.prompt.write"), WRITE_VERB, {**data, "remind_days": REMIND_IN_DAYS}),
        execute(say(language, "nudge.prompt.skip"), SKIP_VERB, data),
    ]
    link = safe_link(prompt.url)
    if link:
        actions.insert(0, open_url(say(language, "nudge.prompt.open"), link))
    items.append(action_set(actions, spacing="small"))
    return container(items, separator=True, spacing="medium")


def _controls(nudge: Nudge, now: datetime, language: Language) -> list[Element]:
    data = {"language": language}
    snooze_default = (now + timedelta(days=14)).date()
    goal = {
        "type": "Input.ChoiceSet",
        "id": GOAL_INPUT,
        "label": say(language, "nudge.goal.label"),
        "style": "compact",
        "value": str(nudge.goal.every_days),
        "choices": [
            {"title": say(language, "nudge.goal.choice", days=days), "value": str(days)}
            for days in GOAL_CHOICES_DAYS
        ],
    }
    snooze = {
        "type": "Input.Date",
        "id": SNOOZE_INPUT,
        "label": say(language, "nudge.snooze.label"),
        "value": snooze_default.isoformat(),
        "min": (now + timedelta(days=1)).date().isoformat(),
        "max": (now + timedelta(days=365)).date().isoformat(),
    }
    return [
        container(
            [
                goal,
                action_set([execute(say(language, "nudge.goal.set"), GOAL_VERB, data)], spacing="small"),
                snooze,
                action_set(
                    [
                        execute(say(language, "nudge.snooze"), SNOOZE_VERB, data),
                        execute(say(language, "nudge.stop"), STOP_VERB, data),
                    ],
                    spacing="small",
                ),
            ],
            separator=True,
            spacing="large",
        )
    ]
