"""The stream's signals: contributions and their reception, rising people, open questions, topics."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.model import Message, Person, Reaction
from bot.signals import (
    Contribution,
    ContributionCounter,
    contributions,
    emerging_people,
    find_questions,
    is_question,
    team_key,
    topic_trends,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PEOPLE = {
    "aino": Person("aino", "Aino Virtanen", department="Platform"),
    "ben": Person("ben", "Ben Ahmed", department="Platform"),
    "cai": Person("cai", "Cai Lindholm", department="Sales"),
    "dora": Person("dora", "Dora Mäki", department="Finance"),
    "eero": Person("eero", "Eero Niemi", manager_id="boss"),
}
_ids = itertools.count(1)


def post(
    author: str,
    text: str,
    days_ago: float,
    reply_to: Message | None = None,
    reactors: tuple[str, ...] = (),
    channel: str = "19:general@thread.tacv2",
) -> Message:
    message_id = str(next(_ids))
    return Message(
        id=message_id,
        team_id="team",
        channel_id=reply_to.channel_id if reply_to else channel,
        reply_to_id=reply_to.id if reply_to else None,
        author_id=author,
        author_name=PEOPLE[author].display_name if author in PEOPLE else author,
        created_at=NOW - timedelta(days=days_ago),
        last_modified_at=None,
        deleted_at=None,
        subject=None,
        text=text,
        web_url=f"https://teams.microsoft.com/l/message/x/{message_id}",
        reactions=tuple(Reaction(user_id=r, reaction_type="like") for r in reactors),
    )


ANSWER = "Use a PodDisruptionBudget and drain the nodes one at a time, the pods move over cleanly."


def test_an_answer_counts_for_the_answerer_with_the_people_it_helped_and_reached() -> None:
    question = post("cai", "How do we upgrade the Kubernetes nodes without downtime?", 3)
    answer = post("aino", ANSWER, 2.9, reply_to=question, reactors=("cai", "dora", "ben", "aino"))
    own_follow_up = post("cai", "Thanks, that worked!", 2.8, reply_to=question)
    got = contributions([question, answer, own_follow_up], PEOPLE, NOW - timedelta(days=7), NOW)

    # Aino's own reaction is no reception; Cai and Dora are outside Platform, Ben is a teammate.
    assert got["aino"] == Contribution(messages=1, answers=1, reactions=3, people_helped=1, reach=2)
    # Replying in one's own thread is not answering anyone.
    assert got["cai"] == Contribution(messages=2, answers=0, reactions=0, people_helped=0, reach=0)


def test_system_bot_and_deleted_messages_are_not_anyones_contribution() -> None:
    question = post("cai", "How do I rotate the storage keys?", 3)
    from_bot = Message(**{**_fields(post("ben", ANSWER, 2, reply_to=question)), "from_application": True})
    deleted = Message(**{**_fields(post("aino", ANSWER, 2, reply_to=question)), "deleted_at": NOW})
    got = contributions([question, from_bot, deleted], PEOPLE, NOW - timedelta(days=7), NOW)
    assert set(got) == {"cai"}


def test_weekly_contributions_put_each_message_in_its_week_oldest_first() -> None:
    question = post("cai", "Where are the Terraform state files kept?", 22)
    messages = [question]
    for days_ago in (1, 2, 8, 15.5):
        messages.append(post("aino", ANSWER, days_ago, reply_to=question))
    counter = ContributionCounter(PEOPLE, NOW, weeks=4)
    counter.add_messages(messages)
    weeks = counter.result().weekly
    assert [week.answers for week in weeks["aino"]] == [0, 1, 1, 2]
    # The question itself is 22 days old: the oldest of the four weeks.
    assert [week.messages for week in weeks["cai"]] == [1, 0, 0, 0]


def test_team_is_the_department_else_the_managers_reports() -> None:
    assert team_key(PEOPLE["aino"]) == team_key(Person("x", "X", department=" platform "))
    assert team_key(PEOPLE["eero"]) == "manager:boss"
    assert team_key(Person("y", "Y")) is None
    assert team_key(None) is None


def _answers(author: str, days: list[float]) -> list[Message]:
    out = []
    for days_ago in days:
        question = post("dora", "How do I read the cost report for our subscription?", days_ago + 0.1)
        out += [question, post(author, ANSWER, days_ago, reply_to=question, reactors=("dora",))]
    return out


def test_a_newcomer_who_started_answering_lately_is_rising_and_a_steady_expert_is_not() -> None:
    newcomer = _answers("ben", [5, 10, 20, 30, 40, 50])
    # The expert answers at the same steady pace all year: more answers lately than Ben, but no growth.
    expert = _answers("aino", [float(d) for d in range(3, 360, 12)])
    occasional = _answers("cai", [100, 200, 300, 10])
    rising = emerging_people(newcomer + expert + occasional, PEOPLE, NOW)
    assert [e.person_id for e in rising] == ["ben"]
    assert rising[0].recent.answers == 6
    assert rising[0].earlier.answers == 0


def test_a_disabled_account_is_never_rising() -> None:
    people = {**PEOPLE, "ben": Person("ben", "Ben Ahmed", department="Platform", account_enabled=False)}
    assert emerging_people(_answers("ben", [5, 10, 20, 30, 40, 50]), people, NOW) == []


@pytest.mark.parametrize(
    "text",
    [
        "How do I renew the certificate?",
        "Does anyone have the VPN profile for macOS",
        "Osaako joku neuvoa verkkolaskujen kanssa",
        "Tietääkö kukaan, missä SAP-tunnukset haetaan",
        "Onko tähän ohjetta",
        "Quick question: the build cache keeps missing",
        "Kuka tietää parhaiten pilvipalveluarkkitehtuurista",
        "Käyttääkö joku Terraformia Azuressa",
        "Löytyykö tälle valmis pohja",
        "Toimiiko VPN teillä tänään",
        "Ovatko tunnukset jo tulleet",
    ],
)
def test_questions_are_recognised_in_english_and_finnish(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "Koko talon info torstaina",
        "Joko huomenna tai perjantaina, kerron myöhemmin",
        "Sähkökatko B-siivessä klo 14–15",
        "Verkko on huoltokatkon takia alhaalla",
        "Taulukko päivitetty, kiitos kaikille",
        "Kukaan ei ole vielä varannut salia",
        "Mikään ei muuttunut tässä versiossa",
    ],
)
def test_finnish_words_ending_like_the_question_clitic_are_not_questions(text: str) -> None:
    """Regression: the first word's -ko/-kö was read as the question clitic, so "Koko talon info
    torstaina" (the whole building's info on Thursday) counted as a question; -kaan/-kään likewise."""
    assert not is_question(text)


@pytest.mark.parametrize(
    "text",
    ["Welcome to the team, Aino!", "Tervetuloa taloon!", "TIL: kubectl explain shows every field.", ""],
)
def test_announcements_and_tips_are_not_questions(text: str) -> None:
    assert not is_question(text)


def test_a_question_is_open_until_someone_else_answers_with_more_than_a_plus_one() -> None:
    plus_ones = post("cai", "How do we get a test tenant for Teams apps?", 10, reactors=("ben",))
    followers = [post("dora", "+1, same question here", 9, reply_to=plus_ones)]
    followers.append(
        post("cai", "Anyone? Still looking for this one, we are blocked on it.", 8, reply_to=plus_ones)
    )
    answered = post("dora", "Where do I find the travel policy?", 10)
    reply = post(
        "ben", "It is on the intranet under HR, policies, travel: the 2026 version.", 9, reply_to=answered
    )
    too_fresh = post("eero", "Who can approve a new SaaS subscription?", 1)
    not_a_question = post("aino", "Release 4.2 is out, notes in the wiki.", 10)
    messages = [plus_ones, *followers, answered, reply, too_fresh, not_a_question]

    found = {q.message.id: q for q in find_questions(messages, NOW - timedelta(days=30), NOW, NOW)}
    assert set(found) == {plus_ones.id, answered.id}
    assert not found[plus_ones.id].answered
    assert found[plus_ones.id].followers == 2  # Dora's +1 and Ben's reaction; the asker's own bump is not
    assert found[answered.id].answered
    assert "tenant" in found[plus_ones.id].terms


def test_a_groups_topics_come_from_its_question_threads_with_the_period_before() -> None:
    messages = []
    for days_ago in (3, 5, 9, 40):
        question = post("cai", "How do I roll back a Helm release in Kubernetes?", days_ago + 0.5)
        messages += [
            question,
            post(
                "aino",
                "Run helm rollback with the revision; Kubernetes does the rest.",
                days_ago,
                reply_to=question,
            ),
        ]
    for days_ago in (4, 6):
        messages.append(
            post("aino", "Welcome aboard everyone, coffee and pulla in the kitchen at two!", days_ago)
        )
        question = post("ben", "Which invoice template should we use for Finnish customers?", days_ago)
        messages += [
            question,
            post(
                "dora",
                "The e-invoice template, it includes the operator code.",
                days_ago - 0.1,
                reply_to=question,
            ),
        ]

    trends = {t.label: t for t in topic_trends(messages, ["aino"], NOW, period_days=30)}
    assert {"helm", "Kubernetes", "rollback"} <= set(trends)  # as Aino wrote them
    kubernetes = trends["Kubernetes"]
    assert kubernetes.current > kubernetes.previous > 0
    # Aino's chatter and other people's invoices are not her group's topics.
    assert not {"coffee", "pulla", "invoice", "welcome"} & {label.lower() for label in trends}


def _fields(message: Message) -> dict[str, object]:
    return {name: getattr(message, name) for name in Message.__slots__}
