"""Who knows X over the expertise index in the store (both engines): who ranks first and why, learned
synonyms, rising people, load spreading, evidence."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count

from bot.expert_finder import ExpertFinder
from bot.expertise import Contribution, ExpertMatch, is_rising, newcomer_pace, still_around
from bot.model import Message, Person, Reaction, Team, TeamMember
from bot.store import Store

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CHANNEL = "19:general@thread.tacv2"

_ids: Iterator[int] = count(1)


def post(
    author: str,
    text: str,
    *,
    reply_to: Message | None = None,
    days_ago: float = 30,
    subject: str | None = None,
    channel: str = CHANNEL,
    likes: int = 0,
) -> Message:
    message_id = str(next(_ids))
    return Message(
        id=message_id,
        team_id="team",
        channel_id=channel,
        reply_to_id=reply_to.id if reply_to else None,
        author_id=author,
        author_name=author.title(),
        created_at=NOW - timedelta(days=days_ago),
        last_modified_at=None,
        deleted_at=None,
        subject=subject,
        text=text,
        web_url=f"https://teams.microsoft.com/l/message/{channel}/{message_id}",
        reactions=tuple(Reaction(f"fan{i}", "like") for i in range(likes)),
    )


def answered(asker: str, question: str, answerer: str, answer: str, days_ago: float = 30) -> list[Message]:
    root = post(asker, question, days_ago=days_ago + 0.1)
    return [root, post(answerer, answer, reply_to=root, days_ago=days_ago)]


async def index_of(
    store: Store,
    messages: list[Message],
    people: dict[str, Person] | None = None,
    hidden: tuple[str, ...] = (),
) -> ExpertFinder:
    """The messages written to the store and indexed; `hidden` people asked not to be suggested."""
    if people:
        await store.upsert_people(people.values())
    await store.upsert_messages(messages)
    for person_id in hidden:
        await store.set_hidden(person_id, True)
    finder = ExpertFinder(store, clock=lambda: NOW)
    await finder.refresh(force=True)
    return finder


async def search(finder: ExpertFinder, query: str, limit: int = 100) -> list[ExpertMatch]:
    return list((await finder.find(query, query, None, limit)).experts)


async def ranking(finder: ExpertFinder, query: str) -> list[str]:
    return [match.person_id for match in await search(finder, query)]


async def test_a_specialist_beats_a_prolific_generalist_on_the_specialists_topic(store: Store) -> None:
    messages = []
    for i in range(3):
        messages += answered(
            f"asker{i}",
            f"Helm chart upgrade fails {i}",
            "sari",
            "Roll back the Helm release with helm rollback.",
        )
    for i in range(40):
        messages.append(post("janne", f"Weekly notes {i}: budgets, lunch menu, and one line on helm too."))
    finder = await index_of(store, messages)
    assert (await ranking(finder, "helm"))[0] == "sari"


async def test_a_thread_counts_once_however_many_times_someone_replies_in_it(store: Store) -> None:
    root = post("asker", "How do I rotate the Key Vault secret used by the pipeline?")
    chatty = [post("chatty", f"Key Vault rotation, thought number {i}.", reply_to=root) for i in range(6)]
    messages = [root, *chatty]
    for i in range(2):
        messages += answered(
            f"asker{i}", f"Key Vault access policy question {i}", "steady", "Key Vault RBAC."
        )
    finder = await index_of(store, messages, hidden=("asker",))
    assert (await ranking(finder, "key vault"))[0] == "steady"


async def test_a_short_reply_does_not_borrow_the_threads_subject(store: Store) -> None:
    root = post("asker", "Terraform state lock stuck after a cancelled apply", subject="Terraform state lock")
    thanks = post("bystander", "Same here!", reply_to=root)
    finder = await index_of(store, [root, thanks])
    assert "bystander" not in await ranking(finder, "terraform state lock")


# --- learned synonyms -----------------------------------------------------------------------------------


async def test_a_numeronym_finds_the_people_who_write_the_whole_word(store: Store) -> None:
    messages = [
        post("sari", "Kubernetes upgrade done, the Kubernetes nodes are on 1.30 now."),
        post("sari", "Kubernetes ingress certificates renew through cert-manager."),
        post("someone", "Is the k8s staging cluster down?"),
        post("pekka", "Automatically generated reports go out on Mondays."),
    ]
    finder = await index_of(store, messages)
    assert finder.synonyms_of("k8s") == (("kubernetes",),)
    assert "sari" in await ranking(finder, "k8s")
    assert "someone" in await ranking(finder, "kubernetes")  # and back


async def test_a_numeronym_must_share_a_channel_with_its_word(store: Store) -> None:
    messages = [
        post("mei", "The a11y review of the login page is done.", channel="19:web@thread.tacv2"),
        post("pekka", "Exports run automatically at night.", channel="19:data@thread.tacv2"),
        post("pekka", "Backups also run automatically.", channel="19:data@thread.tacv2"),
    ]
    assert (await index_of(store, messages)).synonyms_of("a11y") == ()


async def test_an_acronym_finds_the_people_who_write_its_expansion_and_back(store: Store) -> None:
    messages = [
        post("pirjo", "Our Azure DevOps pipelines run on self-hosted agents."),
        post("pirjo", "Azure DevOps variable groups hold the secrets."),
        post("carlos", "The ADO service connection expired, renewing it."),
    ]
    finder = await index_of(store, messages)
    assert finder.synonyms_of("ado") == (("azur", "devops"),)
    assert "pirjo" in await ranking(finder, "who knows ADO?")
    assert "carlos" in await ranking(finder, "who knows Azure DevOps?")


async def test_words_that_merely_spell_an_acronym_are_no_expansion(store: Store) -> None:
    messages = [
        post("a", "The API is documented."),
        post("b", "ajastetut päivitykset ilmestyvät aamulla"),
        post("b", "ajastetut päivitykset ovat myöhässä"),
    ]
    assert (await index_of(store, messages)).synonyms_of("api") == ()


async def test_a_finnish_compound_finds_its_parts_written_apart(store: Store) -> None:
    messages = [post("outi", "Pilvipalveluiden arkkitehtuuri on minun alaani, kysy vain.")]
    finder = await index_of(store, messages)
    assert await ranking(finder, "kuka osaa pilvipalveluarkkitehtuurin?") == ["outi"]


# --- rising ---------------------------------------------------------------------------------------------


def answer_on(days_ago: float, reactions: int = 0) -> Contribution:
    return Contribution(NOW - timedelta(days=days_ago), reactions, is_answer=True)


def test_rising_means_recent_answers_growing_from_a_small_base() -> None:
    assert is_rising([answer_on(10), answer_on(40, reactions=2)], NOW)
    assert is_rising([answer_on(5), answer_on(20), answer_on(60), answer_on(300)], NOW)


def test_not_rising_without_recent_answers_or_with_a_large_base() -> None:
    assert not is_rising([answer_on(10)], NOW), "one answer is no trend"
    assert not is_rising([answer_on(10), answer_on(20)] + [answer_on(200 + i) for i in range(4)], NOW)
    assert not is_rising([answer_on(10), answer_on(20), answer_on(200, reactions=10)], NOW), "no growth"
    questions = [Contribution(NOW - timedelta(days=d), 0, is_answer=False) for d in (1, 2, 3)]
    assert not is_rising(questions, NOW), "asking is not answering"
    assert not is_rising([answer_on(-5), answer_on(-6)], NOW), "the future is not counted"


async def test_search_marks_the_person_rising_on_the_topic_and_not_the_long_time_expert(store: Store) -> None:
    messages = []
    for i in range(2):
        messages += answered(
            f"q{i}", f"DAX measure question {i}", "emma", "Use CALCULATE in the DAX measure.", 10
        )
    for i in range(8):
        messages += answered(
            f"r{i}", f"DAX time intelligence {i}", "tuula", "DAX SAMEPERIODLASTYEAR works.", 200
        )
    finder = await index_of(store, messages)
    rising = {match.person_id: match.rising for match in await search(finder, "DAX")}
    assert (rising["emma"], rising["tuula"]) == (True, False)


# --- still around, and a newcomer's pace ----------------------------------------------------------------


def test_still_around_halves_weekly_down_to_a_quarter() -> None:
    assert still_around(NOW, NOW) == 1.0
    assert still_around(NOW - timedelta(days=7), NOW) == 0.625
    assert 0.25 < still_around(NOW - timedelta(days=365), NOW) < 0.2501
    assert still_around(None, NOW) == 0.25


async def test_of_two_alike_the_one_who_wrote_lately_goes_first(store: Store) -> None:
    messages = answered(
        "q1", "Terraform state lock stuck", "anna", "Run terraform force-unlock with the lock id."
    )
    messages += answered(
        "q2", "Terraform state lock again", "bea", "Run terraform force-unlock with the lock id."
    )
    finder = await index_of(store, messages, hidden=("q1", "q2"))
    assert await ranking(finder, "terraform lock") == ["anna", "bea"]  # a tie: by name
    await store.upsert_messages([post("bea", "Lunch at noon today?", days_ago=1)])
    await finder.catch_up()
    assert await ranking(finder, "terraform lock") == ["bea", "anna"]


async def test_writing_lately_in_a_team_the_asker_cannot_see_does_not_count(store: Store) -> None:
    messages = answered(
        "q1", "Terraform state lock stuck", "anna", "Run terraform force-unlock with the lock id."
    )
    messages += answered(
        "q2", "Terraform state lock again", "bea", "Run terraform force-unlock with the lock id."
    )
    lately = replace(post("bea", "Board meeting notes", days_ago=1), team_id="board")
    await store.upsert_teams([Team(id="board", display_name="Board", visibility="private")])
    await store.add_team_members([TeamMember(team_id="board", person_id="bea")])
    finder = await index_of(store, [*messages, lately], hidden=("q1", "q2"))
    member = await finder.find("terraform lock", "terraform lock", "bea-colleague", 10)
    assert [m.person_id for m in member.experts] == ["anna", "bea"], "the board's messages are not seen"
    await store.add_team_members([TeamMember(team_id="board", person_id="chair")])
    seen = await finder.find("terraform lock", "terraform lock", "chair", 10)
    assert [m.person_id for m in seen.experts] == ["bea", "anna"]


def test_a_newcomers_pace_counts_only_for_a_small_base() -> None:
    assert newcomer_pace(answers=0, written_lately=0) == 1.0
    assert newcomer_pace(answers=3, written_lately=4) > newcomer_pace(answers=3, written_lately=1) > 1.0
    assert newcomer_pace(answers=4, written_lately=20) == 1.0


async def test_of_two_alike_a_newcomer_writing_this_week_goes_first(store: Store) -> None:
    def answers_on_terraform(person: str) -> list[Message]:
        return [
            message
            for i in range(4)
            for message in answered(f"t{i}{person}", f"Terraform drift {i}", person, "Plan shows it.", 30 + i)
        ]

    bicep = answered("q1", "Bicep module outputs", "aino", "Bicep outputs go in the outputs block.", 3)
    bicep += answered("q2", "Bicep module outputs?", "veera", "Bicep outputs go in the outputs block.", 3)
    askers = ("q1", "q2")
    established = await index_of(
        store, [*bicep, *answers_on_terraform("aino"), *answers_on_terraform("veera")], hidden=askers
    )
    assert await ranking(established, "bicep outputs") == ["aino", "veera"]  # a tie: by name


async def test_a_newcomer_writing_this_week_goes_first(store: Store) -> None:
    bicep = answered("q1", "Bicep module outputs", "aino", "Bicep outputs go in the outputs block.", 3)
    bicep += answered("q2", "Bicep module outputs?", "veera", "Bicep outputs go in the outputs block.", 3)
    earlier = [
        message
        for i in range(4)
        for message in answered(f"t{i}", f"Terraform drift {i}", "aino", "Plan shows it.", 30 + i)
    ]
    newcomer = await index_of(store, [*bicep, *earlier], hidden=("q1", "q2"))
    assert await ranking(newcomer, "bicep outputs") == ["veera", "aino"], "veera has answered once so far"


# --- load and evidence ----------------------------------------------------------------------------------


async def test_near_equal_people_suggested_less_this_week_go_first(store: Store) -> None:
    messages = answered("q1", "Power BI gateway offline", "anna", "Restart the Power BI gateway service.")
    messages += answered(
        "q2", "Power BI gateway offline again", "bea", "Restart the Power BI gateway service."
    )
    finder = await index_of(store, messages, hidden=("q1", "q2"))
    plain = await ranking(finder, "power bi gateway")
    assert sorted(plain) == ["anna", "bea"]
    for _ in range(5):
        await store.record_suggestions([plain[0]], "sharepoint", NOW - timedelta(days=1))
    assert await ranking(finder, "power bi gateway") == plain[::-1]


async def test_a_clearly_better_person_stays_first_however_often_suggested(store: Store) -> None:
    messages = []
    for i in range(4):
        messages += answered(f"q{i}", f"SAP cost center {i}", "maria", "Cost center via KS01 in SAP.")
    messages += answered("q9", "SAP login", "tuomas", "Reset it in SAP GUI.")
    finder = await index_of(store, messages)
    for _ in range(30):
        await store.record_suggestions(["maria"], "sap login", NOW - timedelta(days=1))
    assert (await ranking(finder, "sap cost center"))[0] == "maria"


async def test_evidence_is_one_to_three_of_the_persons_own_messages(store: Store) -> None:
    messages = []
    for i in range(5):
        messages += answered(
            f"q{i}", f"Grafana alert {i}", "pedro", f"Grafana alert rule number {i} goes here."
        )
    [match] = await search(await index_of(store, messages), "grafana alert", limit=1)
    assert 1 <= len(match.evidence) <= 3
    own = {m.id for m in messages if m.author_id == "pedro"}
    assert {item.message_id for item in match.evidence} <= own


async def test_profile_skills_weigh_in_but_never_stand_in_for_messages(store: Store) -> None:
    messages = answered("q1", "Figma variants?", "teemu", "Figma variants live in the component set.")
    messages += answered("q2", "Figma tokens?", "sofia", "Figma variants live in the component set.")
    people = {
        "sofia": Person(id="sofia", display_name="Sofia", skills=("Figma", "design systems")),
        "noora": Person(id="noora", display_name="Noora", skills=("Figma",)),  # says so, never wrote it
    }
    finder = await index_of(store, messages, people, hidden=("q1", "q2"))
    assert await ranking(finder, "figma variants") == ["sofia", "teemu"]
