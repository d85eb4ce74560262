"""What Seula says back: turns a person's message or card action into a reply. No Teams SDK here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeGuard

from bot.commands import (
    ForgetMe,
    Help,
    HideMe,
    HideTopic,
    MyProfile,
    SetAudience,
    SetNudges,
    ShowMe,
    ShowTopic,
    TeamSummary,
    Unknown,
    WhoKnows,
    parse_command,
)
from bot.expert_finder import ExpertAnswer, ExpertFinder
from bot.language import choose_language
from bot.manifest_package import MANIFEST_COMMANDS
from bot.model import Language
from bot.nudger import Nudger
from bot.presence import Availability, PresenceLookup
from bot.store import Store
from bot.summaries import SummaryRefused
from bot.team_summaries import TeamSummaries
from cards.elements import Element, escape_markdown
from cards.expert_card import MORE_VERB, build_expert_card
from cards.forget_card import FORGET_VERB, build_forget_card
from cards.help_card import build_help_card
from cards.nudge_card import (
    GOAL_INPUT,
    GOAL_VERB,
    NUDGE_VERBS,
    SKIP_VERB,
    SNOOZE_INPUT,
    SNOOZE_VERB,
    STOP_VERB,
    WRITE_VERB,
    format_day,
)
from cards.profile_card import VISIBILITY_VERB, build_profile_card
from cards.strings import say
from cards.summary_card import SUBSCRIBE_VERB, UNSUBSCRIBE_VERB, build_summary_card
from cards.welcome_card import build_welcome_card

logger = logging.getLogger(__name__)

SUGGESTIONS_SHOWN = timedelta(days=30)


@dataclass(frozen=True)
class Incoming:
    """A message from a person, as the Teams edge hands it over."""

    text: str
    locale: str | None = None
    user_id: str | None = None  # Entra object id
    value: Mapping[str, Any] | None = None  # data of an Action.Submit


@dataclass(frozen=True)
class Reply:
    """What to send back: a card, or plain text (markdown) when a card would be too much."""

    text: str | None = None
    card: Element | None = None


class Assistant:
    """Seula's conversation: commands in, replies out."""

    def __init__(
        self,
        store: Store,
        finder: ExpertFinder,
        summaries: TeamSummaries,
        max_experts: int,
        default_language: Language,
        clock: Callable[[], datetime],
        nudger: Nudger | None = None,
        presence: PresenceLookup | None = None,
    ) -> None:
        self._clock = clock
        self._presence = presence  # None: no presence source (the demo), cards show no availability
        self._store = store
        self._finder = finder
        # Without one given, nudges follow NUDGES_DEFAULT's default (on); the composition root passes its own.
        self._nudger = nudger or Nudger(store, finder, True, default_language, clock)
        self._summaries = summaries
        self._max_experts = max_experts
        self._default_language = default_language

    def language_for(self, text: str, locale: str | None) -> Language:
        """The language to answer in: the message's, then the Teams locale's, then the default."""
        return choose_language(text, locale, default=self._default_language)

    async def on_message(self, incoming: Incoming) -> Reply:
        """Answer a message typed (or sent by a card button) in a chat or channel."""
        if incoming.value and isinstance(incoming.value.get("verb"), str):
            # Clients without Universal Actions send Action.Execute as a plain submit.
            return await self.on_card_action(
                str(incoming.value["verb"]), incoming.value, incoming.user_id, incoming.locale
            )
        command = parse_command(incoming.text, incoming.locale)
        language = command.language
        match command:
            case WhoKnows(topic=topic, query=query):
                answer = await self._finder.find(topic, query, incoming.user_id, self._max_experts)
                return await self._answer(answer, language)
            case Help():
                return Reply(card=self._help(language))
            case HideMe() | ShowMe() | HideTopic() | ShowTopic() | SetAudience():
                if not incoming.user_id:
                    return Reply(text=say(language, "identity.missing"))
                return Reply(text=await self._choose(incoming.user_id, command, language))
            case TeamSummary():
                if not incoming.user_id:
                    return Reply(text=say(language, "identity.missing"))
                return await self._team_summary(incoming.user_id, language)
            case MyProfile():
                if not incoming.user_id:
                    return Reply(text=say(language, "identity.missing"))
                return await self._profile(incoming.user_id, language)
            case ForgetMe():
                if not incoming.user_id:
                    return Reply(text=say(language, "identity.missing"))
                return Reply(card=build_forget_card(language))
            case SetNudges(enabled=enabled):
                if not incoming.user_id:
                    return Reply(text=say(language, "identity.missing"))
                await self._nudger.set_enabled(incoming.user_id, enabled)
                return Reply(text=say(language, "nudge.done.start" if enabled else "nudge.done.stop"))
            case Unknown():
                return Reply(card=self._help(language, not_understood=True))

    async def on_card_action(
        self, verb: str, data: Mapping[str, Any], user_id: str | None, locale: str | None
    ) -> Reply:
        """Answer a card button (`Action.Execute` verb, or its submit fallback)."""
        language: Language = "fi" if data.get("language") == "fi" else "en"
        if data.get("language") not in ("en", "fi"):
            language = self.language_for("", locale)
        if verb == MORE_VERB:
            topic, query, offset = data.get("topic"), data.get("query"), data.get("offset")
            if isinstance(topic, str) and topic.strip() and isinstance(offset, int) and 0 <= offset <= 100:
                answer = await self._finder.find(
                    topic, query if isinstance(query, str) else topic, user_id, self._max_experts, offset
                )
                return await self._answer(answer, language)
        if verb in NUDGE_VERBS:
            # Only the person pressing the button changes their own nudges: never an id from the card's data.
            if not user_id:
                return Reply(text=say(language, "identity.missing"))
            reply = await self._nudge_action(verb, data, user_id, language)
            if reply is not None:
                return reply
        if verb == VISIBILITY_VERB:
            # Like forgetting, a choice applies to the person pressing the button, never to an id in the data.
            choice = _choice_from_card(data, language)
            if choice is not None:
                if not user_id:
                    return Reply(text=say(language, "identity.missing"))
                await self._choose(user_id, choice, language)
                return await self._profile(user_id, language)
        if verb == FORGET_VERB and data.get("confirm") is True:
            # Only the person pressing the button is forgotten: never an id carried in the card's data.
            if not user_id:
                return Reply(text=say(language, "identity.missing"))
            await self.forget(user_id)
            return Reply(text=say(language, "forget.done"))
        if verb in (SUBSCRIBE_VERB, UNSUBSCRIBE_VERB):
            # Only the person pressing the button is (un)subscribed: never an id carried in the card's data.
            if not user_id:
                return Reply(text=say(language, "identity.missing"))
            if verb == UNSUBSCRIBE_VERB:
                await self._summaries.unsubscribe(user_id)
                return Reply(text=say(language, "summary.unsubscribed"))
            if await self._summaries.subscribe(user_id, language):
                return Reply(text=say(language, "summary.subscribed"))
            return Reply(text=say(language, "summary.refused"))
        logger.warning("Unknown or malformed card action %r", verb[:64])
        return Reply(text=say(language, "action.unknown"))

    async def _nudge_action(
        self, verb: str, data: Mapping[str, Any], user_id: str, language: Language
    ) -> Reply | None:
        """A button on the weekly nudge; None when its data is malformed."""
        prompt = data.get("prompt")
        if verb == WRITE_VERB and _is_int(prompt) and _is_int(days := data.get("remind_days")):
            accepted = await self._nudger.accept(user_id, prompt, days)
            return Reply(
                text=say(language, "nudge.done.write", days=days) if accepted else say(language, "nudge.gone")
            )
        if verb == SKIP_VERB and _is_int(prompt):
            dismissed = await self._nudger.dismiss(user_id, prompt)
            return Reply(text=say(language, "nudge.done.skip" if dismissed else "nudge.gone"))
        if verb == SNOOZE_VERB:
            until = _parse_day(data.get(SNOOZE_INPUT))
            if until is None or not await self._nudger.snooze(user_id, until):
                return Reply(text=say(language, "nudge.bad_date"))
            return Reply(text=say(language, "nudge.done.snooze", date=format_day(until, language)))
        if verb == GOAL_VERB:
            days_text = data.get(GOAL_INPUT)
            if (
                isinstance(days_text, str)
                and days_text.isdigit()
                and await self._nudger.set_goal(user_id, int(days_text))
            ):
                return Reply(text=say(language, "nudge.done.goal", days=int(days_text)))
            return None
        if verb == STOP_VERB:
            await self._nudger.set_enabled(user_id, False)
            return Reply(text=say(language, "nudge.done.stop"))
        return None

    async def forget(self, person_id: str) -> dict[str, int]:
        """Erase everything held about a person (the bot's "forget me" and `app.py forget`)."""
        counts = await self._store.forget_person(person_id)
        await self._finder.refresh(force=True)
        self._summaries.drop_digest()  # its word counts held their messages' words
        logger.info("Erased a person's data: %s", counts)
        return counts

    def welcome(self, language: Language) -> Reply:
        """The greeting sent when Seula is installed."""
        return Reply(card=build_welcome_card(language))

    async def _choose(
        self,
        person_id: str,
        command: HideMe | ShowMe | HideTopic | ShowTopic | SetAudience,
        language: Language,
    ) -> str:
        """Apply a visibility choice at once (the index's policy is rebuilt now); return the confirmation."""
        reply: str
        match command:
            case HideMe():
                await self._store.set_hidden(person_id, True)
                reply = say(language, "hidden.done")
            case ShowMe():
                await self._store.set_hidden(person_id, False)
                reply = say(language, "shown.done")
            case HideTopic(topic=topic):
                await self._store.hide_topic(person_id, topic)
                reply = say(language, "hidden_topic.done", topic=escape_markdown(topic))
            case ShowTopic(topic=topic):
                shown = await self._store.show_topic(person_id, topic)
                key = "shown_topic.done" if shown else "shown_topic.not_hidden"
                reply = say(language, key, topic=escape_markdown(topic))
            case SetAudience(team_only=True):
                await self._store.set_team_only(person_id, True)
                reply = say(language, "team_only.done")
            case SetAudience(team_only=False):
                # "Show me to everyone" is also a "show me": the person asked to be found.
                await self._store.set_team_only(person_id, False)
                await self._store.set_hidden(person_id, False)
                reply = say(language, "everyone.done")
        await self._finder.refresh(force=True)
        return reply

    async def _profile(self, person_id: str, language: Language) -> Reply:
        topics = await self._finder.topics_of(person_id)
        since = self._clock() - SUGGESTIONS_SHOWN
        suggested = [(topic, times) for topic, times, _ in await self._store.suggestions_of(person_id, since)]
        policy = await self._finder.visibility()
        card = build_profile_card(
            topics,
            suggested,
            policy.choices_of(person_id),
            language,
            opt_in_default=policy.default == "opt-in",
        )
        return Reply(card=card)

    async def _team_summary(self, requester_id: str, language: Language) -> Reply:
        summary = await self._summaries.summarize(requester_id)
        if isinstance(summary, SummaryRefused):
            return Reply(text=say(language, "summary.refused"))
        subscribed = await self._summaries.is_subscribed(requester_id)
        return Reply(card=build_summary_card(summary, language, subscribed))

    async def _answer(self, answer: ExpertAnswer, language: Language) -> Reply:
        # Kept so a person can see where they were suggested ("what do you know about me"); not who asked.
        people = [e.person_id for e in answer.experts]
        await self._store.record_suggestions(people, answer.topic, self._clock())
        # Within its short budget, and never an error: the card goes out without availability instead.
        availability = await self._presence.availability(people) if self._presence and people else None
        return self._expert_reply(answer, language, availability)

    def _expert_reply(
        self, answer: ExpertAnswer, language: Language, availability: Mapping[str, Availability] | None
    ) -> Reply:
        card = build_expert_card(
            answer.query,
            answer.topic,
            list(answer.experts),
            language,
            offset=answer.offset,
            has_more=answer.has_more,
            availability=availability,
        )
        return Reply(card=card)

    def _help(self, language: Language, not_understood: bool = False) -> Element:
        commands = [(c.title, c.description) for c in MANIFEST_COMMANDS if c.language == language]
        return build_help_card(language, commands, not_understood=not_understood)

    @staticmethod
    def _not_yet(feature: str, language: Language) -> Reply:
        return Reply(text=say(language, "not_yet", feature=say(language, feature)))


def _is_int(value: object) -> TypeGuard[int]:
    return type(value) is int


def _parse_day(value: object) -> datetime | None:
    """An `Input.Date` value (YYYY-MM-DD) as the start of that day in UTC."""
    if not isinstance(value, str):
        return None
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _choice_from_card(data: Mapping[str, Any], language: Language) -> ShowMe | ShowTopic | SetAudience | None:
    """The undo a profile card button asks for, or None when its data is malformed."""
    choice, topic = data.get("choice"), data.get("topic")
    if choice == "show":
        return ShowMe(language)
    if choice == "everyone":
        return SetAudience(False, language)
    if choice == "show_topic" and isinstance(topic, str) and 0 < len(topic.strip()) <= 200:
        return ShowTopic(topic, language)
    return None
