"""A person's own view ("what do you know about me", "why am I listed"): topics, evidence, suggestions."""

from __future__ import annotations

from bot.expertise import PersonTopic
from bot.model import Language
from cards.elements import Element, card, container, escape_markdown, open_url, safe_link, text_block
from cards.strings import say


def build_profile_card(
    topics: list[PersonTopic],
    suggested: list[tuple[str, int]],
    hidden: bool,
    language: Language,
) -> Element:
    """The person's own view of what Seula holds and does with it."""
    body: list[Element] = [
        text_block(say(language, "profile.title"), size="medium", weight="bolder", style="heading"),
        text_block(say(language, "profile.intro" if topics else "profile.none"), is_subtle=True),
    ]
    for topic in topics:
        link = safe_link(topic.evidence.url)
        body.append(
            container(
                [
                    text_block(f"**{escape_markdown(topic.name)}**", spacing="none"),
                    text_block(f"“{escape_markdown(topic.evidence.snippet)}”", size="small", max_lines=2),
                ],
                separator=True,
                select_action=open_url(topic.name, link) if link else None,
            )
        )
    body.append(text_block(say(language, "profile.suggested.title"), weight="bolder", spacing="medium"))
    if suggested:
        body += [
            text_block(
                say(language, "profile.suggested.item", topic=escape_markdown(name), times=times),
                spacing="none",
            )
            for name, times in suggested[:8]
        ]
    else:
        body.append(text_block(say(language, "profile.suggested.none"), is_subtle=True, spacing="none"))
    body.append(
        text_block(say(language, "profile.hidden" if hidden else "profile.visible"), spacing="medium")
    )
    return card(body, speak=say(language, "profile.title"))
