"""The nudge planner over small hand-built message sets: who gets one, the stats, goal and prompts."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from bot.expertise import Evidence, PersonTopic
from bot.model import Message, Person, Reaction
from bot.nudge_records import NudgeSettings, OfferedPrompt
from bot.nudges import NudgePlanner, QuotingRule, detect_outcomes, iso_week, plan_nudges, similar_askers
from bot.text import terms
from bot.visibility import PersonVisibility, VisibilityDefault, VisibilityPolicy, hides_topic

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday in ISO week 48
PUBLIC = "19:public@thread.tacv2"
PRIVATE = "19:private@thread.tacv2"
PEOPLE = {
    pid: Person(pid, name, department=dept, preferred_language=lang)
    for pid, name, dept, lang in (
        ("anna", "Anna Virtanen", "Platform", "fi-FI"),
        ("ben", "Ben Ahmed", "Sales", "en-US"),
        ("cai", "Cai Lindholm", "Finance", None),
        ("dora", "Dora Mäki", "Sales", None),
        ("eero", "Eero Niemi", "Legal", None),
        ("fred", "Fred Berg", "Legal", None),
    )
}
_ids = itertools.count(1)
ANSWER = "Run helm upgrade with --atomic so a failed kubernetes rollout rolls itself back cleanly."


def post(
    author: str,
    text: str,
    days_ago: float,
    reply_to: Message | None = None,
    reactors: tuple[str, ...] = (),
    channel: str = PUBLIC,
) -> Message:
    message_id = str(next(_ids))
    return Message(
        id=message_id,
        team_id="team",
        channel_id=reply_to.channel_id if reply_to else channel,
        reply_to_id=reply_to.id if reply_to else None,
        author_id=author,
        author_name=author,
        created_at=NOW - timedelta(days=days_ago),
        last_modified_at=None,
        deleted_at=None,
        subject=None,
        text=text,
        web_url=f"https://teams.microsoft.com/l/message/{message_id}",
        reactions=tuple(Reaction(user_id=r, reaction_type="like") for r in reactors),
    )


def topic(name: str) -> PersonTopic:
    evidence = Evidence("1", PUBLIC, None, name, NOW, 0, True)
    return PersonTopic(name, 1.0, evidence)


def anna_answers(count: int = 10) -> list[Message]:
    """Anna answering five colleagues' helm questions every eight days, as all year: an established voice."""
    messages = []
    for i in range(10):
        question = post("ben", f"Why does the helm release {i} fail?", 95 + 27 * i)
        messages += [question, post("anna", ANSWER, 94.9 + 27 * i, question)]
    for i in range(count):
        asker = ("ben", "cai", "dora", "eero", "fred")[i % 5]
        question = post(asker, f"How do I roll back a helm release number {i}?", 8 * i + 3)
        messages += [question, post("anna", ANSWER, 8 * i + 2.9, question, reactors=("ben", "cai"))]
    return messages


def policy(default: VisibilityDefault = "visible", **choices: PersonVisibility) -> VisibilityPolicy:
    return VisibilityPolicy(default, choices, PEOPLE)


def planner(messages: list[Message], visibility: VisibilityPolicy | None = None) -> NudgePlanner:
    return NudgePlanner(messages, PEOPLE, frozenset({PUBLIC}), NOW, visibility=visibility)


def candidates(
    messages: list[Message], visibility: VisibilityPolicy | None = None, **kw: object
) -> list[str]:
    options: dict[str, object] = {
        "settings": {},
        "nudged": frozenset(),
        "default_on": True,
    }
    options.update(kw)
    return [c.person.id for c in planner(messages, visibility).candidates(**options)]  # type: ignore[arg-type]


def test_the_week_is_the_iso_week_in_utc() -> None:
    assert iso_week(NOW) == "2026-W48"
    assert iso_week(datetime(2027, 1, 1, tzinfo=UTC)) == "2026-W53"


def test_people_who_answer_colleagues_are_eligible_and_others_not() -> None:
    messages = anna_answers()
    assert candidates(messages) == ["anna"]  # ben only asked
    assert candidates(anna_answers(9)) == []  # nine answers in twelve weeks are not yet a voice


def test_disabled_opted_out_snoozed_and_already_nudged_people_are_left_out() -> None:
    messages = anna_answers()
    assert candidates(messages, nudged=frozenset({"anna"})) == []
    assert candidates(messages, settings={"anna": NudgeSettings(enabled=False)}) == []
    snoozed = NudgeSettings(snoozed_until=NOW + timedelta(days=3))
    assert candidates(messages, settings={"anna": snoozed}) == []
    woke_up = NudgeSettings(snoozed_until=NOW - timedelta(days=1))
    assert candidates(messages, settings={"anna": woke_up}) == ["anna"]
    disabled = {**PEOPLE, "anna": Person("anna", "Anna Virtanen", account_enabled=False)}
    assert NudgePlanner(messages, disabled, frozenset({PUBLIC}), NOW).candidates({}, frozenset(), True) == []


def test_a_persons_own_visibility_choices_do_not_stop_their_nudges() -> None:
    """A nudge is private and about its recipient: "hide me" hides them from others; "stop nudges" stops
    the nudge."""
    messages = anna_answers()
    hidden = PersonVisibility(hidden=True, hidden_topics=("helm",), team_only=True)
    assert candidates(messages, policy(anna=hidden)) == ["anna"]
    assert candidates(messages, policy("opt-in")) == ["anna"]  # never said "show me"
    assert candidates(messages, policy(anna=hidden), settings={"anna": NudgeSettings(enabled=False)}) == []


def test_opt_in_sends_only_to_those_who_asked_for_nudges() -> None:
    messages = anna_answers()
    assert candidates(messages, default_on=False) == []
    assert candidates(messages, default_on=False, settings={"anna": NudgeSettings(enabled=True)}) == ["anna"]


def test_a_rising_person_is_eligible_with_the_reason() -> None:
    messages = []
    for i in range(6):
        question = post("ben", f"What is the best way to tune postgres vacuum {i}?", 10 + i)
        messages += [
            question,
            post("cai", "Set autovacuum_vacuum_scale_factor lower on big tables.", 9.9 + i, question),
        ]
    found = planner([*messages, *anna_answers()]).candidates({}, frozenset(), True)
    # Cai's six answers are all recent, none before: rising. Anna has long answered at her rate.
    assert [(c.person.id, c.reason, c.answers) for c in found] == [
        ("anna", "established", 10),
        ("cai", "rising", 6),
    ]


def test_stats_weeks_trend_and_goal_progress() -> None:
    messages = anna_answers()
    p = planner(messages)
    nudge = p.plan(p.candidates({}, frozenset(), True)[0], [topic("helm")])
    assert nudge.week == "2026-W48"
    assert nudge.language == "fi"
    assert len(nudge.stats.weeks) == 8
    assert nudge.stats.this_week.answers == 1
    assert nudge.stats.this_week.reactions == 2
    assert nudge.stats.this_week.reach == 2  # Ben (Sales) and Cai (Finance) are outside Platform
    assert nudge.stats.trend == "steady"  # four answers in the last four weeks, three in the four before
    assert (nudge.goal.every_days, nudge.goal.shared, nudge.goal.met) == (14, 2, True)
    assert nudge.goal.last_shared == NOW - timedelta(days=2.9)
    longer = p.plan(p.candidates({"anna": NudgeSettings(goal_days=28)}, frozenset(), True)[0], [])
    assert longer.goal.shared == 4
    busier = planner([*messages, *(post("anna", ANSWER, 1 + i / 10, messages[0]) for i in range(4))])
    assert busier.plan(busier.candidates({}, frozenset(), True)[0], []).stats.trend == "up"


def test_prompts_come_from_real_open_questions_in_the_persons_topics() -> None:
    messages = anna_answers()
    unanswered = post("dora", "How should we run a helm upgrade of the batch jobs safely?", 6)
    recurring = post("eero", "Why does helm upgrade hang on the kubernetes ingress?", 8)
    plus_one = post("dora", "+1 same here", 7.9, recurring)
    off_topic = post("dora", "Who knows the travel expense policy?", 5)
    answered_once = post("cai", "Is there a helm lint step in the pipeline?", 9)
    answer = post(
        "ben", "Yes, the pipeline runs helm lint on every merge request already.", 8.9, answered_once
    )
    own = post("anna", "How do I pin a helm chart version in our umbrella chart?", 4)
    private = post("dora", "How do we rotate helm repository credentials?", 4, channel=PRIVATE)
    p = planner([*messages, unanswered, recurring, plus_one, off_topic, answered_once, answer, own, private])
    [candidate] = p.candidates({}, frozenset(), True)
    nudge = p.plan(candidate, [topic("helm"), topic("kubernetes")])
    ids = [prompt.message_id for prompt in nudge.prompts]
    # Unanswered first; a recurring one (a "+1") before a single asker; never their own, never private,
    # never off topic, never one answered for one person.
    assert set(ids) == {unanswered.id, recurring.id}
    first = next(prompt for prompt in nudge.prompts if prompt.message_id == recurring.id)
    assert first.askers == 2
    assert ids[0] == recurring.id
    assert first.url == recurring.web_url
    assert first.outline
    assert all("helm upgrade" in item.snippet for item in first.outline[:1])
    assert all(item.url and "message" in item.url for item in first.outline)


def test_a_question_in_a_private_team_the_recipient_is_not_in_is_no_prompt_for_them() -> None:
    # Regression: prompts linked questions from private teams to people who could not open them.
    messages = [
        *anna_answers(),
        post("dora", "How should we run a helm upgrade of the batch jobs safely?", 6),
    ]
    p = planner(messages)
    [candidate] = p.candidates({}, frozenset(), True)
    assert p.plan(candidate, [topic("helm")]).prompts, "a member (or a public team) gets the prompt"
    assert p.plan(candidate, [topic("helm")], unseen_teams=frozenset({"team"})).prompts == ()


def test_questions_already_offered_or_replied_to_are_not_offered_again() -> None:
    messages = anna_answers()
    open_question = post("dora", "How should we set helm chart resource limits?", 6)
    replied = post("eero", "What helm values does the ingress chart take?", 6)
    anna_reply = post("anna", "short", 5.9, replied)
    p = planner([*messages, open_question, replied, anna_reply])
    [candidate] = p.candidates({}, frozenset(), True)
    [nudge] = plan_nudges(
        p, [candidate], {"anna": [topic("helm")]}, {"anna": frozenset({(PUBLIC, open_question.id)})}
    )
    assert nudge.prompts == ()


def test_outcome_is_the_persons_later_post_on_the_topic_with_its_reactions() -> None:
    question = post("dora", "How should we set helm chart resource limits?", 10)
    unrelated = post("anna", "Lunch at noon?", 5)
    later = post(
        "anna",
        "A write-up on helm resource limits for batch jobs: start from requests.",
        4,
        reactors=("ben", "cai", "anna"),
    )
    prompt = OfferedPrompt(
        id=7,
        person_id="anna",
        week="2026-W47",
        channel_id=PUBLIC,
        message_id=question.id,
        terms=frozenset({"helm"}),
        status="accepted",
        offered_at=NOW - timedelta(days=6),
    )
    [outcome] = detect_outcomes([prompt], [question, unrelated, later], frozenset({PUBLIC}))
    assert (outcome.prompt_id, outcome.message_id, outcome.reactions) == (7, later.id, 2)
    # A reply in the question's own thread counts first; an unchanged outcome is not reported again.
    in_thread = post("anna", "Set requests to the p95 and limits at twice that.", 3, question)
    [outcome] = detect_outcomes([prompt], [question, later, in_thread], frozenset({PUBLIC}))
    assert outcome.message_id == in_thread.id
    known = replace(prompt, outcome_message_id=in_thread.id, outcome_reactions=0)
    assert detect_outcomes([known], [question, later, in_thread], frozenset({PUBLIC})) == []


def test_no_prompt_without_something_of_theirs_to_start_from_and_nothing_private_in_outlines() -> None:
    messages = anna_answers()
    # Shares only "helm" with what Anna wrote: she has nothing close to build a post from.
    loose = post("dora", "Which helm dashboards does finance use for budgets?", 6)
    # Close to an answer she wrote only in a private channel: that answer may not be quoted.
    private_question = post(
        "eero", "Should we pin the postgres operator version before upgrades?", 6, channel=PRIVATE
    )
    close = post("eero", "How do we pin the postgres operator version?", 6)
    private_answer = post(
        "anna",
        "Pin the postgres operator version in the umbrella chart, never float it.",
        5.9,
        private_question,
    )
    p = planner([*messages, loose, private_question, close, private_answer])
    [candidate] = p.candidates({}, frozenset(), True)
    nudge = p.plan(candidate, [topic("helm"), topic("postgres")])
    assert nudge.prompts == ()


def test_the_next_nudge_follows_up_on_what_the_person_said_they_would_write() -> None:
    messages = anna_answers()
    question = post("dora", "How should we run a helm upgrade of the batch jobs safely?", 20)
    their_post = post(
        "anna", "Helm upgrades for batch jobs: run them with --atomic and --wait.", 10, reactors=("ben",)
    )
    skipped = post("eero", "Which helm plugin diffs releases?", 20)
    p = planner([*messages, question, their_post, skipped])
    [candidate] = p.candidates({}, frozenset(), True)

    def offered(message: Message, status: str, outcome: Message | None = None) -> OfferedPrompt:
        return OfferedPrompt(
            id=int(message.id),
            person_id="anna",
            week="2026-W46",
            channel_id=PUBLIC,
            message_id=message.id,
            terms=frozenset({"helm"}),
            status=status,
            offered_at=NOW - timedelta(days=15),
            outcome_channel_id=outcome.channel_id if outcome else None,
            outcome_message_id=outcome.id if outcome else None,
            outcome_reactions=1 if outcome else 0,
        )

    nudge = p.plan(
        candidate,
        [topic("helm")],
        accepted=[offered(question, "accepted", their_post), offered(skipped, "offered")],
    )
    [followup] = nudge.followups
    assert followup.text == question.text
    assert followup.posted
    assert (followup.posted_url, followup.reactions) == (their_post.web_url, 1)


def test_much_the_same_question_asked_twice_is_one_prompt_with_both_askers() -> None:
    first = post("dora", "How should we run a helm upgrade of the batch jobs safely?", 6)
    again = post("eero", "How do we run a helm upgrade of batch jobs safely?", 9)
    p = planner([*anna_answers(), first, again])
    [candidate] = p.candidates({}, frozenset(), True)
    [prompt] = p.plan(candidate, [topic("helm")]).prompts
    assert prompt.message_id == first.id
    assert prompt.askers == 2


def prompt_ids(
    messages: list[Message], visibility: VisibilityPolicy, topics: tuple[str, ...] = ("helm",)
) -> list[str]:
    p = planner(messages, visibility)
    [candidate] = p.candidates({}, frozenset(), True)
    return [prompt.message_id for prompt in p.plan(candidate, [topic(t) for t in topics]).prompts]


def test_a_question_asked_by_someone_who_opted_out_is_no_ones_prompt() -> None:
    question = post("dora", "How should we run a helm upgrade of the batch jobs safely?", 6)
    messages = [*anna_answers(), question]
    assert prompt_ids(messages, policy(dora=PersonVisibility(hidden=True))) == []
    assert prompt_ids(messages, policy()) == [question.id]


def test_under_opt_in_only_questions_from_people_who_said_show_me_are_prompts() -> None:
    question = post("dora", "How should we run a helm upgrade of the batch jobs safely?", 6)
    messages = [*anna_answers(), question]
    assert prompt_ids(messages, policy("opt-in")) == []
    assert prompt_ids(messages, policy("opt-in", dora=PersonVisibility(opted_in=True))) == [question.id]


def test_a_team_only_or_topic_hiding_asker_is_still_recognisable_so_their_question_is_a_prompt() -> None:
    """Team only and hidden topics are about being suggested as an expert; quoting a question names no one
    as an expert, and the asker allows being shown at all."""
    question = post("dora", "How should we run a helm upgrade of the batch jobs safely?", 6)
    choices = PersonVisibility(team_only=True, hidden_topics=("helm",))
    assert prompt_ids([*anna_answers(), question], policy(dora=choices)) == [question.id]


def test_a_question_that_names_a_hidden_person_is_no_ones_prompt() -> None:
    named = post("dora", "Eero Niemi said to ask: how do we run a helm upgrade of the batch jobs?", 6)
    mentioned = replace(
        post("cai", "@Eero how do we roll back a helm upgrade of the cron jobs cleanly?", 6),
        mentions=("eero",),
    )
    messages = [*anna_answers(), named, mentioned]
    assert prompt_ids(messages, policy(eero=PersonVisibility(hidden=True))) == []
    assert set(prompt_ids(messages, policy())) == {named.id, mentioned.id}


def test_no_prompt_on_a_topic_the_recipient_hid() -> None:
    """Someone who said "hide me from kubernetes" is not nudged to write about Kubernetes either."""
    about_kubernetes = post("dora", "How should we run a helm upgrade on the kubernetes batch cluster?", 6)
    messages = [*anna_answers(), about_kubernetes]
    assert prompt_ids(messages, policy()) == [about_kubernetes.id]
    # The question touches the hidden topic, even through another of their topics (helm).
    hides_kubernetes = policy(anna=PersonVisibility(hidden_topics=("Kubernetes",)))
    assert prompt_ids(messages, hides_kubernetes) == []
    # Their topic itself is hidden: no prompt on it, whatever the question says.
    about_helm = post("eero", "How should we run a helm upgrade of the batch jobs safely?", 6)
    assert (
        prompt_ids([*anna_answers(), about_helm], policy(anna=PersonVisibility(hidden_topics=("helm",))))
        == []
    )
    assert prompt_ids([*messages, about_helm], policy(anna=PersonVisibility(hidden_topics=("postgres",))))


def test_no_follow_up_on_a_question_whose_asker_hid_since_or_on_a_topic_the_recipient_hid() -> None:
    question = post("dora", "How should we run a helm upgrade of the batch jobs safely?", 20)
    accepted = OfferedPrompt(
        id=1,
        person_id="anna",
        week="2026-W46",
        channel_id=PUBLIC,
        message_id=question.id,
        terms=frozenset({"helm"}),
        status="accepted",
        offered_at=NOW - timedelta(days=15),
    )

    def followups(visibility: VisibilityPolicy) -> int:
        p = planner([*anna_answers(), question], visibility)
        [candidate] = p.candidates({}, frozenset(), True)
        return len(p.plan(candidate, [topic("helm")], accepted=[accepted]).followups)

    assert followups(policy()) == 1
    assert followups(policy(dora=PersonVisibility(hidden=True))) == 0
    assert followups(policy(anna=PersonVisibility(hidden_topics=("helm upgrade",)))) == 0


def test_the_quoting_rule_is_the_one_reminders_use() -> None:
    question = post("dora", "How should we run a helm upgrade of the batch jobs safely?", 20)
    assert QuotingRule(policy(), PEOPLE).may_quote(question, "anna")
    assert not QuotingRule(policy(dora=PersonVisibility(hidden=True)), PEOPLE).may_quote(question, "anna")
    hides_helm = policy(anna=PersonVisibility(hidden_topics=("helm",)))
    assert not QuotingRule(hides_helm, PEOPLE).may_quote(question, "anna")
    assert QuotingRule(hides_helm, PEOPLE).may_quote(question, "ben")


# --- over generated tenants: what a nudge quotes obeys the visibility policy ----------------------------

_SUBJECTS = (
    "helm upgrade",
    "kubernetes ingress",
    "helm chart values",
    "kubernetes rollout",
    "postgres backup",
)
_COLLEAGUES = ("ben", "cai", "dora", "eero", "fred")


@st.composite
def choices_and_questions(
    draw: st.DrawFn,
) -> tuple[VisibilityPolicy, list[Message]]:
    """Everyone's choices (hidden, opted in, team only, hidden topics) and questions colleagues asked on a
    handful of subjects, some naming or @mentioning a colleague."""
    default: VisibilityDefault = draw(st.sampled_from(["visible", "opt-in"]))
    choices = {
        pid: PersonVisibility(
            hidden=draw(st.booleans()),
            opted_in=draw(st.booleans()),
            hidden_topics=tuple(draw(st.sets(st.sampled_from(["kubernetes", "helm chart", "postgres"])))),
            team_only=draw(st.booleans()),
        )
        for pid in draw(st.sets(st.sampled_from(("anna", *_COLLEAGUES))))
    }
    questions = []
    for i in range(draw(st.integers(min_value=1, max_value=12))):
        asker = draw(st.sampled_from(_COLLEAGUES))
        named = draw(st.lists(st.sampled_from(_COLLEAGUES), max_size=1))
        names = " ".join(f"{PEOPLE[p].display_name} said to ask here." for p in named)
        text = f"How should we handle the {draw(st.sampled_from(_SUBJECTS))} for batch jobs {i}? {names}"
        message = post(asker, text, draw(st.floats(min_value=1, max_value=80)))
        questions.append(replace(message, mentions=tuple(p for p in named if draw(st.booleans()))))
    return VisibilityPolicy(default, choices, PEOPLE), questions


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(choices_and_questions())
def test_a_nudge_never_quotes_the_unrecognisable_nor_a_topic_its_recipient_hid(
    drawn: tuple[VisibilityPolicy, list[Message]],
) -> None:
    visibility, questions = drawn
    messages = [*anna_answers(), *questions]
    p = planner(messages, visibility)
    [candidate] = p.candidates({}, frozenset(), True)  # her own choices never stop her nudge
    nudge = p.plan(candidate, [topic("helm"), topic("kubernetes"), topic("postgres")])
    target(float(len(nudge.prompts)))
    by_id = {m.id: m for m in messages}
    hidden_topics = visibility.choices_of("anna").hidden_topics
    hidden_names = [PEOPLE[p].display_name.casefold() for p in visibility.unrecognisable() if p in PEOPLE]
    for prompt in nudge.prompts:
        question = by_id[prompt.message_id]
        assert visibility.recognisable(question.author_id or "")
        assert not any(
            visibility.choices_of(p).hidden or not visibility.recognisable(p) for p in question.mentions
        )
        assert not any(name in question.text.casefold() for name in hidden_names)
        assert not hides_topic(hidden_topics, terms(question.text)), (hidden_topics, question.text)
        assert not hides_topic(hidden_topics, terms(prompt.topic))


@given(
    st.lists(
        st.tuples(
            st.frozensets(st.sampled_from("abcdefghij"), min_size=1, max_size=7), st.sampled_from("xyz")
        ),
        max_size=25,
    )
)
def test_similar_askers_are_those_comparing_every_pair_of_questions_finds(
    questions: list[tuple[frozenset[str], str]],
) -> None:
    tellings, askers = [t for t, _ in questions], [a for _, a in questions]
    every_pair = [
        len(
            {
                askers[j]
                for j, other in enumerate(tellings)
                if j != i
                and askers[j] != askers[i]
                and len(telling & other) >= 2
                and len(telling & other) * 2 >= max(len(telling), len(other))
            }
        )
        for i, telling in enumerate(tellings)
    ]
    assert similar_askers(tellings, askers) == every_pair
