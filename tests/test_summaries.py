"""The team summary as a pure function, on hand-built data: what it shows, and what it must never show."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.model import Message, Person, Reaction
from bot.summaries import MIN_GROUP, TeamSummary, build_team_summary, may_be_shown, reports_of
from bot.visibility import PersonVisibility, VisibilityPolicy

NOW = datetime(2026, 11, 28, tzinfo=UTC)
CHANNEL = "19:data@thread.tacv2"
BOSS = "boss"
TEAM = ("anna", "ben", "cara", "dan")  # Data; Dan is the rising one
SALES = ("xena", "yann", "zoe", "walt")
FINANCE = ("fred",)


def person(pid: str, department: str, manager: str | None = BOSS) -> Person:
    return Person(id=pid, display_name=f"{pid.title()} Person", department=department, manager_id=manager)


PEOPLE: dict[str, Person] = {
    BOSS: person(BOSS, "Data", manager=None),
    **{p: person(p, "Data") for p in TEAM},
    **{p: person(p, "Sales", manager="sales-boss") for p in SALES},
    **{p: person(p, "Finance", manager="cfo") for p in FINANCE},
}

_ids = itertools.count(1000)


def post(
    author: str,
    text: str,
    days_ago: float,
    reply_to: Message | None = None,
    reactions: tuple[str, ...] = (),
    subject: str | None = None,
    mentions: tuple[str, ...] = (),
) -> Message:
    at = NOW - timedelta(days=days_ago)
    message_id = str(next(_ids))
    return Message(
        id=message_id,
        team_id="team",
        channel_id=CHANNEL,
        reply_to_id=reply_to.id if reply_to else None,
        author_id=author,
        author_name=PEOPLE[author].display_name if author in PEOPLE else author,
        created_at=at,
        last_modified_at=at,
        deleted_at=None,
        subject=subject,
        text=text,
        web_url=f"https://teams.microsoft.com/l/message/{CHANNEL}/{message_id}",
        mentions=mentions,
        reactions=tuple(Reaction(r, "like") for r in reactions),
    )


def answer_text(topic: str, who: str) -> str:
    return f"For {topic} you should check the scheduler settings first, then rerun it ({who} explains)."


def tenant() -> list[Message]:
    """A month in which the Data team writes about airflow dags, helps Sales, and Dan starts answering."""
    messages: list[Message] = []
    # The team's own topic, this month and last: airflow dag (all three), dbt models (last month only).
    for days, author in itertools.product((3, 6, 9), ("anna", "ben", "cara")):
        messages.append(post(author, "Why did the airflow dag for the warehouse load run late?", days))
        messages.append(post(author, "Should the dbt models move to the new schema?", days + 30))
    messages.append(post("anna", "How do I upgrade kubernetes?", 4))  # one person: not a team topic
    messages.append(post("anna", "Which kubernetes version is next?", 5))
    # Everyone else asks about lunch, so airflow is distinctive for the team.
    for days, author in itertools.product(range(1, 29, 3), SALES + FINANCE):
        messages.append(post(author, "Is the lunch menu at the office cafe out yet?", days))
    # The team answers three Sales people's questions (a flow big enough to show) and Fred's (too small).
    for asker, answerer, days in (("xena", "anna", 10), ("yann", "ben", 11), ("zoe", "cara", 12)):
        question = post(asker, "How do we refresh the airflow dag for the sales report?", days)
        messages += [question, post(answerer, answer_text("the airflow dag", answerer), days - 0.5, question)]
    fred_question = post("fred", "Which airflow dag feeds the finance cube?", 14)
    messages += [fred_question, post("anna", answer_text("the finance cube", "anna"), 13.5, fred_question)]
    # Ben's answer is thanked: worth recognizing.
    thanked = post("walt", "Can someone explain the airflow dag retries?", 15)
    ben_answer = post(
        "ben", answer_text("airflow dag retries", "ben"), 14.8, thanked, reactions=("walt", "zoe")
    )
    messages += [thanked, ben_answer, post("walt", "Thanks Ben, that fixed it!", 14.5, thanked)]
    # Dan never answered before, and lately answers a lot.
    for n in range(7):
        question = post(SALES[n % 4], f"Question {n}: why is the airflow dag stuck in queued?", 20 + n * 5)
        messages += [
            question,
            post(
                "dan", answer_text("a queued airflow dag", "dan"), 19.5 + n * 5, question, reactions=("xena",)
            ),
        ]
    # Open questions: one in the team's domain, one not, one asked inside the team.
    messages.append(post("walt", "How do I backfill an airflow dag after a failed run?", 5))
    messages.append(post("walt", "Where is the lunch menu posted?", 5))
    messages.append(post("anna", "Does anyone know why the airflow dag webserver is slow?", 5))
    return messages


def summarize(
    messages: list[Message] | None = None,
    people: dict[str, Person] | None = None,
    hidden: frozenset[str] = frozenset(),
    team: tuple[str, ...] = TEAM,
    choices: dict[str, PersonVisibility] | None = None,
) -> TeamSummary:
    people = people or PEOPLE
    policy = VisibilityPolicy("visible", choices or {}, people)
    hidden = hidden | policy.unrecognisable()
    return build_team_summary(BOSS, team, messages or tenant(), people, hidden, NOW, visibility=policy)


def test_the_team_topics_are_what_at_least_three_of_them_wrote_about_with_their_movement() -> None:
    summary = summarize()
    labels = {t.label.casefold(): t for t in summary.topics}
    assert {"airflow", "dag"} <= labels.keys()
    assert labels["airflow"].current > 0
    assert "kubernetes" not in labels, "only Anna wrote about it: it would single her out"
    assert "lunch" not in labels, "everyone writes about lunch: not the team's topic"


def test_colleagues_asking_the_team_about_its_topic_in_its_threads_do_not_make_the_topic_everyones() -> None:
    messages = tenant()
    # Sales asks the team about airflow forty times more, in threads the team answers: that is the team's
    # work being asked about, not Sales writing about airflow.
    for n in range(40):
        question = post(SALES[n % 4], f"Could you look at airflow dag run {n} for us?", 1 + n / 2)
        messages += [
            question,
            post(TEAM[n % 3], answer_text("that airflow dag", "the team"), 0.5 + n / 2, question),
        ]
    labels = {t.label.casefold() for t in summarize(messages).topics}
    assert "airflow" in labels
    # The same questions in Sales's own threads, unanswered, do make airflow everyone's word.
    for n in range(40):
        messages.append(
            post(SALES[n % 4], f"Our airflow dag run {n} in the sales channel failed again?", 1 + n / 2)
        )
    assert "airflow" not in {t.label.casefold() for t in summarize(messages).topics}


def test_a_topic_the_team_wrote_less_about_is_quieter_and_a_new_one_is_new() -> None:
    three = ("anna", "ben", "cara")
    messages = [
        *(post(a, "How do I backfill an airflow dag?", d) for a in three for d in (3, 6)),
        *(post(a, "Where do the dbt models live?", 4) for a in three),
        *(post(a, "Where do the dbt models live?", d) for a in three for d in (33, 36, 39)),
        *(post(a, "Where is the lunch menu at the office cafe?", d) for a in SALES for d in range(1, 60, 2)),
    ]
    topics = {t.label.casefold(): t for t in summarize(messages).topics}
    assert topics["airflow"].movement == "new"
    assert topics["dbt"].movement == "down"
    assert topics["dbt"].previous > topics["dbt"].current > 0


def test_help_flows_are_shown_only_between_groups_of_at_least_three() -> None:
    summary = summarize()
    # Anna, Ben, Cara and Dan answered Xena, Yann, Zoe and Walt seven times; Fred alone is not shown.
    assert [(f.department, f.answers, f.team_people, f.other_people) for f in summary.helps] == [
        ("Sales", 7, 4, 4)
    ]
    assert MIN_GROUP == 3
    assert summary.relies_on == ()


def test_open_questions_are_from_outside_the_team_in_its_domain_and_unanswered() -> None:
    summary = summarize()
    snippets = [q.question.snippet for q in summary.unanswered]
    assert snippets == ["How do I backfill an airflow dag after a failed run?"]
    [question] = summary.unanswered
    assert (question.question.url or "").startswith("https://teams.microsoft.com/")
    assert {t.casefold() for t in question.topics} >= {"airflow", "dag"}


def test_nothing_from_a_private_team_the_manager_is_not_in_is_quoted_but_the_aggregates_stay() -> None:
    # Regression: open questions and evidence linked messages the manager could not open in Teams.
    people = PEOPLE
    policy = VisibilityPolicy("visible", {}, people)
    messages = tenant()
    shut_out = build_team_summary(
        BOSS,
        TEAM,
        messages,
        people,
        policy.unrecognisable(),
        NOW,
        visibility=policy,
        unseen_teams=frozenset({"team"}),
    )
    assert shut_out.unanswered == ()
    # People are named only with evidence the manager can open: with none, no one is named.
    assert (shut_out.emerging, shut_out.recognitions) == ((), ())
    assert shut_out.topics == summarize().topics, "aggregates name no message"


def test_a_rising_team_member_is_an_emerging_voice_with_their_answers_as_evidence() -> None:
    summary = summarize()
    [voice] = summary.emerging
    assert voice.person_id == "dan"
    assert voice.name == "Dan Person"
    assert voice.topics
    assert 1 <= len(voice.evidence) <= 2
    assert all("dan explains" in e.snippet for e in voice.evidence)


def test_a_thanked_answer_is_worth_recognizing() -> None:
    summary = summarize()
    assert "ben" in [v.person_id for v in summary.recognitions]
    ben = next(v for v in summary.recognitions if v.person_id == "ben")
    assert any("ben explains" in e.snippet for e in ben.evidence)
    assert "dan" not in [v.person_id for v in summary.recognitions], "already shown as emerging"


def test_people_are_listed_alphabetically_and_nothing_about_a_person_is_a_count() -> None:
    body = summarize().as_dict()
    for section in ("emerging", "recognitions"):
        names = [v["name"] for v in body[section]]
        assert names == sorted(names, key=str.casefold)
        for voice in body[section]:
            assert not _numbers(voice), f"a count per person in {section}: {voice}"
    assert not any(key in json.dumps(body) for key in ('"messages"', '"reactions"', '"score"', '"rank"'))


def test_a_hidden_member_is_never_named_quoted_or_counted() -> None:
    summary = summarize(hidden=frozenset({"dan"}))
    text = json.dumps(summary.as_dict())
    assert "dan" not in text.casefold()
    assert summary.emerging == ()


def test_a_message_naming_a_hidden_person_is_never_quoted() -> None:
    messages = [
        replace(m, text=m.text + " Ask Walt Person.") if "ben explains" in m.text else m for m in tenant()
    ]
    summary = summarize(messages, hidden=frozenset({"walt"}))
    assert "walt" not in json.dumps(summary.as_dict()).casefold()


def dan_also_answers_about_sensors() -> list[Message]:
    """Dan's answers on queued dags, and three on warehouse load sensors too."""
    messages = tenant()
    for n in range(3):
        question = post(SALES[n], f"Why does sensor {n} time out on the warehouse load?", 8 + n)
        text = "That sensor waits for the warehouse load: raise its timeout and its poke interval."
        messages += [question, post("dan", text, 7.5 + n, question, reactions=("xena", "zoe"))]
    return messages


def test_a_voice_is_never_listed_for_a_topic_they_hid_nor_with_an_answer_touching_it() -> None:
    messages = dan_also_answers_about_sensors()
    [before] = summarize(messages).emerging
    hidden = before.topics[0]  # a word of his dag answers, which the sensor answers don't use
    [dan] = summarize(messages, choices={"dan": PersonVisibility(hidden_topics=(hidden,))}).emerging
    assert dan.person_id == "dan"
    assert hidden not in dan.topics
    assert dan.topics, "his other topics remain"
    assert dan.evidence
    assert not any(hidden in e.snippet.casefold() for e in dan.evidence)


def test_a_voice_with_no_topic_left_once_hidden_ones_go_is_not_named() -> None:
    summary = summarize(choices={"dan": PersonVisibility(hidden_topics=("queued",))})
    assert "dan" not in json.dumps(summary.as_dict()).casefold()
    assert summary.topics == summarize().topics, "aggregates over the team are unchanged"


@pytest.mark.parametrize(
    ("boss_department", "dan_department", "named"),
    [
        ("Data", "Data", True),
        # Dan's own manager is on his team whatever the departments (visibility.same_team).
        ("Management", "Data", True),
        (None, None, True),
    ],
)
def test_a_team_only_member_is_named_to_their_own_manager(
    boss_department: str | None, dan_department: str | None, named: bool
) -> None:
    people = {
        **PEOPLE,
        BOSS: replace(PEOPLE[BOSS], department=boss_department),
        "dan": replace(PEOPLE["dan"], department=dan_department),
    }
    summary = summarize(people=people, choices={"dan": PersonVisibility(team_only=True)})
    assert ("dan" in [v.person_id for v in summary.emerging]) is named
    assert not summary.small_team, "team-only people still count towards the team's aggregates"


def test_a_team_under_three_people_gets_only_the_open_questions() -> None:
    summary = summarize(team=("anna", "ben"))
    assert summary.small_team
    assert (summary.topics, summary.helps, summary.emerging, summary.recognitions) == ((), (), (), ())
    assert summary.team_size == 2


def test_hidden_people_count_towards_the_small_team_rule() -> None:
    summary = summarize(hidden=frozenset({"anna", "ben"}))
    assert summary.small_team
    assert summary.team_size == len(TEAM)


def test_reports_are_direct_unless_indirect_ones_are_asked_for() -> None:
    people = {
        **PEOPLE,
        "lead": person("lead", "Data"),
        "junior": person("junior", "Data", manager="lead"),
        "gone": replace(person("gone", "Data"), account_enabled=False),
    }
    direct = reports_of(BOSS, people, include_indirect=False)
    assert direct == {*TEAM, "lead"}
    assert reports_of(BOSS, people, include_indirect=True) == {*TEAM, "lead", "junior"}
    assert reports_of("anna", people, include_indirect=True) == frozenset()


def test_a_reporting_cycle_ends() -> None:
    people = {"a": person("a", "X", manager="b"), "b": person("b", "X", manager="a")}
    assert reports_of("a", people, include_indirect=True) == {"b"}


@pytest.mark.parametrize("enabled", [True, False])
def test_who_may_be_shown(enabled: bool) -> None:
    someone = replace(PEOPLE["anna"], account_enabled=enabled)
    assert may_be_shown(someone, frozenset()) is enabled
    assert may_be_shown(someone, frozenset({"anna"})) is False
    assert may_be_shown(None, frozenset()) is False


def _numbers(value: Any) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [value]
    if isinstance(value, dict):
        return [n for key, v in value.items() if key not in ("created",) for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []
