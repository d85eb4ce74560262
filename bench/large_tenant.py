"""A large generated tenant for the speed benchmark: people, teams, channels; threads streamed by channel.

Deterministic from (people, messages, seed). The plan (people with departments and managers, the topics each
writes about, teams, channels and how many messages each channel gets) is small and built up front; the
messages are generated one channel at a time (`channel_messages`), each channel from its own random stream,
so any process can generate any channel and memory stays flat whatever the tenant's size.

The words come from the demo tenant's vocabulary (`bot/demo/vocabulary.py`): each of its 24 fields is an
*area*, each of their English and Finnish terms a *topic*, with a Zipf weight, so a few topics are common
and most are not; 120 made-up project codenames are the rare topics, each written about by three people
only (its *experts*, which the benchmark's queries check). Sentences are the vocabulary's questions, problems,
tips and chatter, around the topic's own word, with ticket numbers, builds and versions as the long tail.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

from bot.demo import vocabulary as v
from bot.demo.company import FINNISH_GIVEN, FINNISH_SURNAMES, INTERNATIONAL_GIVEN, INTERNATIONAL_SURNAMES
from bot.model import Channel, Message, Person, Reaction, Team, TeamMember

END = datetime(2026, 11, 1, tzinfo=UTC)  # the tenant's last day; the benchmark's clock stands here
DAYS = 730
TEAM_SIZE = 50  # people per team, on average
PRIVATE_TEAM_SHARE = 0.1
FINNISH_WRITERS = 0.3
RARE_TOPICS = 120
RARE_EXPERTS = 3
RARE_THREADS = 6  # threads about each rare topic, in its home channel, answered by its experts
CHATTER_SHARE = 0.15  # of a channel's threads, social chatter and announcements
DOMAIN = "bench.example"

_DEPARTMENTS: tuple[tuple[str, int], ...] = (
    (v.PLATFORM, 12),
    (v.DATA, 10),
    (v.SECURITY, 5),
    (v.CUSTOMER_SUCCESS, 12),
    (v.SALES, 12),
    (v.FINANCE, 6),
    (v.HR, 4),
    (v.MOBILE, 7),
    (v.WEB, 10),
    (v.DESIGN, 5),
    (v.LEGAL, 3),
    (v.OPERATIONS, 8),
    (v.MANAGEMENT, 2),
)
_SYLLABLES = (
    *("ka", "ro", "vi", "lu", "me", "tor", "san", "kel", "mir", "vex", "dal", "quo", "zen", "bri", "nu"),
    *("ost", "pha", "gri", "lom", "tes", "ul", "yra", "cor", "fin", "hal", "jup", "wen", "xa", "ber"),
)


@dataclass(frozen=True, slots=True)
class Topic:
    """Something people write about, as they write it."""

    name: str
    area: int  # index into vocabulary.TOPIC_VOCABULARY
    rare: bool
    weight: float
    finnish: bool = False


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    channel: Channel
    area: int
    messages: int
    private: bool
    members: tuple[int, ...]  # who writes here: the team's members (indices into TenantPlan.people)
    rare_topics: tuple[int, ...]  # indices into TenantPlan.topics


@dataclass
class TenantPlan:
    """Everything about the tenant but its messages."""

    people_count: int
    messages_count: int
    seed: int
    end: datetime = END
    people: list[Person] = field(default_factory=list)
    activity: list[float] = field(default_factory=list)  # how much each person writes (Zipf)
    finnish: list[bool] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    person_topics: list[tuple[int, ...]] = field(default_factory=list)
    writers: list[list[int]] = field(default_factory=list)  # per topic: the people who write about it
    teams: list[Team] = field(default_factory=list)
    members: list[TeamMember] = field(default_factory=list)
    channels: list[ChannelPlan] = field(default_factory=list)

    @cached_property
    def start(self) -> datetime:
        return self.end - timedelta(days=DAYS)

    def rare_topics(self) -> list[int]:
        return [index for index, topic in enumerate(self.topics) if topic.rare]

    def common_topics(self) -> list[int]:
        """Area topics written in English, most writers first."""
        area = [i for i, t in enumerate(self.topics) if not t.rare and not t.finnish]
        return sorted(area, key=lambda i: (-len(self.writers[i]), self.topics[i].name))

    def describe(self) -> dict[str, object]:
        return {
            "people": len(self.people),
            "messages": self.messages_count,
            "seed": self.seed,
            "teams": len(self.teams),
            "private_teams": sum(1 for t in self.teams if t.visibility == "private"),
            "channels": len(self.channels),
            "memberships": len(self.members),
            "topics": len(self.topics),
            "rare_topics": len(self.rare_topics()),
            "first_day": self.start.date().isoformat(),
            "last_day": self.end.date().isoformat(),
        }


def build_plan(people: int, messages: int, seed: int = 4) -> TenantPlan:
    """The tenant's people, topics, teams and channels: the same for the same arguments."""
    rng = random.Random(f"plan/{seed}/{people}/{messages}")
    plan = TenantPlan(people, messages, seed)
    _add_topics(plan, rng)
    _add_people(plan, rng)
    _add_teams(plan, rng)
    return plan


def _add_topics(plan: TenantPlan, rng: random.Random) -> None:
    seen: set[str] = set()
    names: list[tuple[str, int, bool]] = []
    for area, vocabulary in enumerate(v.TOPIC_VOCABULARY):
        for name, finnish in [(t, False) for t in vocabulary.terms] + [
            (t, True) for t in vocabulary.terms_fi
        ]:
            if name.casefold() not in seen:
                seen.add(name.casefold())
                names.append((name, area, finnish))
    rng.shuffle(names)
    # Zipf over the area topics: the first few are everywhere, the tail is written by a handful.
    for rank, (name, area, finnish) in enumerate(names):
        plan.topics.append(Topic(name, area, rare=False, weight=1.0 / (rank + 1), finnish=finnish))
    codenames: set[str] = set()
    # The search lets a query word meet words sharing its first five letters: no two codenames may.
    prefixes = {name.casefold()[:5] for name in seen}
    while len(codenames) < RARE_TOPICS:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(3)).capitalize()
        if word.casefold()[:5] not in prefixes:
            prefixes.add(word.casefold()[:5])
            codenames.add(word)
    for name in sorted(codenames):
        area = rng.randrange(len(v.TOPIC_VOCABULARY))
        plan.topics.append(Topic(name, area, rare=True, weight=0.0))


def _add_people(plan: TenantPlan, rng: random.Random) -> None:
    departments = [name for name, _ in _DEPARTMENTS]
    department_weights = [weight for _, weight in _DEPARTMENTS]
    areas_of: dict[str, list[int]] = {name: [] for name in departments}
    for area, vocabulary in enumerate(v.TOPIC_VOCABULARY):
        for department in set(vocabulary.expert_departments):
            areas_of[department].append(area)
    area_topics: dict[int, list[int]] = {}
    for index, topic in enumerate(plan.topics):
        if not topic.rare:
            area_topics.setdefault(topic.area, []).append(index)
    common = [i for i, t in enumerate(plan.topics) if not t.rare]
    common_weights = [plan.topics[i].weight for i in common]
    plan.writers = [[] for _ in plan.topics]
    for index in range(plan.people_count):
        finnish_name = rng.random() < 0.75
        given = rng.choice(FINNISH_GIVEN if finnish_name else INTERNATIONAL_GIVEN)
        surname = rng.choice(FINNISH_SURNAMES if finnish_name else INTERNATIONAL_SURNAMES)
        department = rng.choices(departments, department_weights)[0]
        handle = f"{given}.{surname}.{index}".casefold().replace("'", "")
        plan.people.append(
            Person(
                id=_guid(rng),
                display_name=f"{given} {surname}",
                user_principal_name=f"{handle}@{DOMAIN}",
                mail=f"{handle}@{DOMAIN}",
                job_title="Specialist",
                department=department,
                office_location=rng.choice(("Helsinki", "Tampere", "Oulu", "Remote")),
                preferred_language="fi-FI" if finnish_name else "en-US",
            )
        )
        plan.activity.append(rng.paretovariate(1.2))  # a few people write much of what is written
        plan.finnish.append(finnish_name and rng.random() < FINNISH_WRITERS / 0.75)
        own_areas = areas_of[department] or list(area_topics)
        chosen: set[int] = set()
        for _ in range(rng.randint(2, 4)):
            if rng.random() < 0.8:
                pool = area_topics[rng.choice(own_areas)]
                chosen.add(rng.choices(pool, [plan.topics[i].weight for i in pool])[0])
            else:
                chosen.add(rng.choices(common, common_weights)[0])
        plan.person_topics.append(tuple(sorted(chosen)))
    for rare in plan.rare_topics():
        # Each rare topic's experts: three people who write it besides their own topics.
        for person in rng.sample(range(plan.people_count), min(RARE_EXPERTS, plan.people_count)):
            plan.person_topics[person] = (*plan.person_topics[person], rare)
    for writer, topics in enumerate(plan.person_topics):
        for topic_index in topics:
            plan.writers[topic_index].append(writer)


def _add_teams(plan: TenantPlan, rng: random.Random) -> None:
    by_department: dict[str, list[int]] = {}
    for index, person in enumerate(plan.people):
        by_department.setdefault(person.department or "", []).append(index)
    head_of: dict[str, int] = {}
    managers: dict[int, int] = {}
    ceo = 0
    team_members: list[list[int]] = []
    team_departments: list[str] = []
    for department, people in sorted(by_department.items()):
        head_of[department] = people[0]
        if people[0] != ceo:
            managers[people[0]] = ceo
        size = max(1, round(len(people) / TEAM_SIZE))
        for number in range(size):
            group = people[number::size]
            team_members.append(group)
            team_departments.append(department)
            for member in group[1:]:
                managers[member] = group[0]
            if group[0] != head_of[department]:
                managers[group[0]] = head_of[department]
    plan.people = [
        _with_manager(person, plan.people[managers[index]].id if index in managers else None)
        for index, person in enumerate(plan.people)
    ]
    area_of_department: dict[str, list[int]] = {}
    for area, vocabulary in enumerate(v.TOPIC_VOCABULARY):
        for department in set(vocabulary.expert_departments):
            area_of_department.setdefault(department, []).append(area)
    shares: list[float] = []
    specs: list[tuple[Channel, int, bool, tuple[int, ...]]] = []
    for number, (group, department) in enumerate(zip(team_members, team_departments, strict=True)):
        private = rng.random() < PRIVATE_TEAM_SHARE
        team = Team(
            id=_guid(rng),
            display_name=f"{department} {number + 1}",
            description=f"{department} team {number + 1}",
            visibility="private" if private else "public",
        )
        plan.teams.append(team)
        plan.members.extend(TeamMember(team.id, plan.people[p].id) for p in group)
        areas = area_of_department.get(department) or [rng.randrange(len(v.TOPIC_VOCABULARY))]
        names = ["General", *sorted({v.TOPIC_VOCABULARY[a].channel for a in rng.sample(areas, len(areas))})]
        for name in names[: rng.randint(2, 4)]:
            area = next((a for a in areas if v.TOPIC_VOCABULARY[a].channel == name), rng.choice(areas))
            channel = Channel(id=f"19:{_hex(rng, 32)}@thread.tacv2", team_id=team.id, display_name=name)
            specs.append((channel, area, private, tuple(group)))
            shares.append(len(group) * rng.uniform(0.4, 1.6))
    # A few memberships beyond one's own team, as people join other teams' channels.
    for joiner in plan.people:
        if rng.random() < 0.3:
            plan.members.append(TeamMember(rng.choice(plan.teams).id, joiner.id))
    counts = _apportion(plan.messages_count, shares)
    public = [i for i, spec in enumerate(specs) if not spec[2]] or list(range(len(specs)))
    homes: dict[int, list[int]] = {}
    for rare in plan.rare_topics():
        homes.setdefault(public[rng.randrange(len(public))], []).append(rare)
    for index, ((channel, area, private, writers), count) in enumerate(zip(specs, counts, strict=True)):
        plan.channels.append(ChannelPlan(channel, area, count, private, writers, tuple(homes.get(index, ()))))


def _with_manager(person: Person, manager_id: str | None) -> Person:
    return Person(
        id=person.id,
        display_name=person.display_name,
        user_principal_name=person.user_principal_name,
        mail=person.mail,
        job_title=person.job_title,
        department=person.department,
        office_location=person.office_location,
        preferred_language=person.preferred_language,
        manager_id=manager_id,
    )


def _apportion(total: int, shares: Sequence[float]) -> list[int]:
    """`total` split in proportion to `shares`, summing exactly (largest remainders)."""
    whole = sum(shares)
    exact = [total * share / whole for share in shares]
    counts = [int(x) for x in exact]
    order = sorted(range(len(shares)), key=lambda i: counts[i] - exact[i])
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _guid(rng: random.Random) -> str:
    h = _hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


# --- the words ---------------------------------------------------------------------------------------------


def _plain(template: str, link: str) -> str:
    """A vocabulary sentence with its emoji and link written out; mentions are filled in per message."""
    for name, (_, alt, _) in v.EMOJI.items():
        template = template.replace(f"{{e:{name}}}", alt)
    return template.replace("{link}", link)


@dataclass(frozen=True)
class _AreaWords:
    how: tuple[str, ...]
    problems: tuple[str, ...]
    tips: tuple[str, ...]


def _area_words(language: str) -> list[_AreaWords]:
    words = []
    for area in v.TOPIC_VOCABULARY:
        link = area.links[0][1] if area.links else f"https://{DOMAIN}/wiki"
        fi = language == "fi"
        words.append(
            _AreaWords(
                how=area.how_fi if fi else area.how_en,
                problems=tuple(_plain(s, link) for s in (area.problems_fi if fi else area.problems_en)),
                tips=tuple(_plain(s, link) for s in (area.tips_fi if fi else area.tips_en)),
            )
        )
    return words


_WORDS = {language: _area_words(language) for language in ("en", "fi")}
_FRAMES = {language: tuple(_plain(f, "") for f in v.QUESTION_FRAMES[language]) for language in ("en", "fi")}
_ABOUT = {
    "en": (
        "We use {t} for this.",
        "This is with {t}.",
        "Has anyone here worked with {t}?",
        "It's about our {t} setup.",
        "Context: {t} in staging.",
    ),
    "fi": (
        "Meillä on käytössä {t}.",
        "Kyse on {t}-ympäristöstä.",
        "Onko kellään kokemusta: {t}?",
        "Aihe: {t}.",
    ),
}
_ANSWER = {
    "en": ("With {t} this works: {tip}", "{tip} Same goes for {t}.", "We do this with {t}. {tip}", "{tip}"),
    "fi": ("{t}: {tip}", "{tip} Sama pätee myös {t}-puolella.", "Teemme tämän näin ({t}). {tip}", "{tip}"),
}
# Threads about a rare topic (an internal project) talk about it, not about the area's well-known tools.
_RARE_QUESTIONS = {
    "en": (
        "Does anyone know how {t} works?",
        "Who owns {t}? I need access for a customer case.",
        "Is {t} down again? Requests have been timing out since lunch.",
        "Where is the {t} documentation these days?",
    ),
    "fi": (
        "Osaako joku auttaa, miten {t} toimii?",
        "Kuka omistaa {t}-projektin? Tarvitsen pääsyn asiakastapausta varten.",
        "Onko {t} taas nurin? Pyynnöt ovat aikakatkaistuneet lounaasta asti.",
    ),
}
_RARE_ANSWERS = {
    "en": (
        "{t} needs the service account from the platform team before the first deploy.",
        "For {t} you request access in the portal, it takes a day or two.",
        "The {t} dashboards are in the shared workspace, ping me if you can't see them.",
        "We migrated {t} to the new cluster last sprint, the old endpoint is read-only now.",
        "{t} exports run nightly at 02:00 and a failed run is retried once.",
        "I maintain {t}. Open an issue in its repo and tag me.",
        "The {t} config lives in the infra repo under environments/prod.",
        "Restart the {t} worker and clear its cache, that usually fixes it.",
    ),
    "fi": (
        "{t} tarvitsee palvelutilin platform-tiimiltä ennen ensimmäistä julkaisua.",
        "Pääsy {t}-projektiin pyydetään portaalista, ja se kestää päivän tai kaksi.",
        "{t}-dashboardit ovat jaetussa työtilassa, pingaa jos et näe niitä.",
        "Siirsimme {t}-palvelun uuteen klusteriin viime sprintissä.",
        "Ylläpidän {t}-projektia. Tee issue repoon ja tägää minut.",
    ),
}
_SHORT = {
    language: tuple(_plain(s, "") for s in (*v.THANKS[language], *v.PLUS_ONES[language]))
    for language in ("en", "fi")
}
_CHATTER = {
    language: tuple(_plain(s, "") for s in v.CHATTER[language])
    + tuple(_plain(body, "") for _, body in v.ANNOUNCEMENTS[language])
    for language in ("en", "fi")
}
_CHATTER_REPLIES = {
    language: tuple(_plain(s, "") for s in v.CHATTER_REPLIES[language]) for language in ("en", "fi")
}
_OPENERS = v.ANSWER_OPENERS
_CLOSERS = {
    language: tuple(_plain(s, f"https://{DOMAIN}/wiki") for s in v.ANSWER_CLOSERS[language])
    for language in ("en", "fi")
}
_SUBJECTS = v.QUESTION_SUBJECTS
_TAILS = (
    "Ticket INC-{n5}.",
    "Build {n4} failed on agent-{n2}.",
    "Running v{n1}.{n2}.{n1}.",
    "See PR #{n4}.",
    "Logs in /var/log/app-{n2}.log",
    "Tracked in JIRA PLAT-{n4}.",
)


class _Writer:
    """Message text from one random stream."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def fill(self, template: str, mention: str) -> str:
        return template.replace("{m}", mention) if "{m}" in template else template

    def tail(self) -> str:
        r = self._rng
        if r.random() >= 0.3:
            return ""
        tail = r.choice(_TAILS)
        return " " + tail.format(
            n1=r.randint(1, 9), n2=r.randint(10, 99), n4=r.randint(1000, 9999), n5=r.randint(10000, 99999)
        )

    def question(self, language: str, area: int, topic: str, mention: str) -> str:
        r = self._rng
        words = _WORDS[language][area]
        greeting = r.choice(v.GREETINGS[language]) if r.random() < 0.4 else ""
        about = r.choice(_ABOUT[language]).format(t=topic)
        body = r.choice(_FRAMES[language]).replace("{how}", r.choice(words.how))
        if r.random() < 0.6:
            body = f"{r.choice(words.problems)} {body}"
        text = f"{greeting}{body} {about}" if r.random() < 0.5 else f"{greeting}{about} {body}"
        return self.fill(text, mention) + self.tail()

    def rare_question(self, language: str, topic: str) -> str:
        return self._rng.choice(_RARE_QUESTIONS[language]).format(t=topic) + self.tail()

    def rare_answer(self, language: str, topic: str) -> str:
        return self._rng.choice(_RARE_ANSWERS[language]).format(t=topic)

    def answer(self, language: str, area: int, topic: str, mention: str) -> str:
        r = self._rng
        tips = _WORDS[language][area].tips
        tip = r.choice(tips) if r.random() < 0.6 else f"{r.choice(tips)} {r.choice(tips)}"
        text = r.choice(_OPENERS[language]) + r.choice(_ANSWER[language]).format(t=topic, tip=tip)
        if r.random() < 0.2:
            text += " " + r.choice(_CLOSERS[language])
        return self.fill(text, mention) + self.tail()

    def short(self, language: str, mention: str) -> str:
        return self.fill(self._rng.choice(_SHORT[language]), mention)

    def chatter(self, language: str, mention: str) -> str:
        return self.fill(self._rng.choice(_CHATTER[language]), mention)

    def chatter_reply(self, language: str, mention: str) -> str:
        return self.fill(self._rng.choice(_CHATTER_REPLIES[language]), mention)

    def subject(self, language: str, topic: str) -> str | None:
        if self._rng.random() >= 0.3:
            return None
        return self._rng.choice(_SUBJECTS[language]).replace("{term}", topic)


# --- the messages ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Draft:
    at: float  # seconds since the tenant's start
    author: int
    text: str
    root: int  # index of the thread's root draft, or -1 for a root
    subject: str | None = None
    mentions: tuple[int, ...] = ()
    reactors: tuple[int, ...] = ()
    reaction: str = "like"


def channel_messages(plan: TenantPlan, index: int) -> list[Message]:
    """Channel `index`'s messages, oldest first: roots and their replies, with reactions and mentions."""
    spec = plan.channels[index]
    rng = random.Random(f"channel/{plan.seed}/{plan.people_count}/{plan.messages_count}/{index}")
    writer = _Writer(rng)
    members = spec.members
    member_weights = [plan.activity[p] for p in members]
    area_topics = [i for i, t in enumerate(plan.topics) if t.area == spec.area and not t.rare]
    area_weights = [plan.topics[i].weight for i in area_topics]
    span = DAYS * 86_400.0
    last_second = span - 1.0  # a late thread's replies stop at the tenant's end: nothing is dated after it
    drafts: list[_Draft] = []
    remaining = spec.messages
    # At most a third of a channel's threads are about its rare topics, however small the tenant.
    rare_queue = [t for t in spec.rare_topics for _ in range(RARE_THREADS)][: spec.messages // 6]
    while remaining > 0:
        rare = bool(rare_queue) and remaining > 1
        replies = min(remaining - 1, max(int(rare), int(rng.expovariate(1 / 2.2))))
        remaining -= 1 + replies
        at = rng.random() * span
        asker = rng.choices(members, member_weights)[0]
        language = "fi" if plan.finnish[asker] else "en"
        root = len(drafts)
        kind = rng.random()
        if not rare and kind < CHATTER_SHARE:
            drafts.append(_Draft(at, asker, writer.chatter(language, _first(plan, rng, members)), -1))
            for _ in range(replies):
                at = min(at + rng.expovariate(1 / 1800), last_second)
                author = rng.choices(members, member_weights)[0]
                text = writer.chatter_reply(
                    "fi" if plan.finnish[author] else "en", plan.people[asker].display_name
                )
                drafts.append(_Draft(at, author, text, root))
            continue
        if rare:
            topic = rare_queue.pop()
        elif rng.random() < 0.3 and plan.person_topics[asker]:
            topic = rng.choice(plan.person_topics[asker])
        else:
            topic = rng.choices(area_topics, area_weights)[0]
        experts = [p for p in plan.writers[topic] if p != asker]
        if spec.private:
            allowed = set(members)
            experts = [p for p in experts if p in allowed]
        pinged = rng.choice(experts) if experts and rng.random() < 0.2 else None
        name = plan.topics[topic].name
        drafts.append(
            _Draft(
                at,
                asker,
                writer.rare_question(language, name)
                if rare
                else writer.question(language, spec.area, name, _name(plan, pinged)),
                -1,
                subject=writer.subject(language, name),
                mentions=(pinged,) if pinged is not None else (),
            )
        )
        for number in range(replies):
            at = min(at + rng.expovariate(1 / 5400), last_second)
            if number > 0 and rng.random() < 0.25:
                author = asker if rng.random() < 0.5 else rng.choices(members, member_weights)[0]
                text = writer.short("fi" if plan.finnish[author] else "en", _name(plan, drafts[-1].author))
                drafts.append(_Draft(at, author, text, root))
                continue
            author = (
                rng.choice(experts)
                if experts and (rare or rng.random() < 0.8)
                else rng.choices(members, member_weights)[0]
            )
            language = "fi" if plan.finnish[author] else "en"
            text = (
                writer.rare_answer(language, name)
                if rare
                else writer.answer(language, spec.area, name, _name(plan, asker))
            )
            reactors = tuple(
                {rng.choices(members, member_weights)[0] for _ in range(int(rng.expovariate(1 / 1.5)))}
            )
            drafts.append(
                _Draft(at, author, text, root, reactors=reactors, reaction=rng.choice(v.ANSWER_REACTIONS)[0])
            )
    return _messages(plan, spec, drafts)


def _messages(plan: TenantPlan, spec: ChannelPlan, drafts: list[_Draft]) -> list[Message]:
    order = sorted(range(len(drafts)), key=lambda i: drafts[i].at)
    start_ms = int(plan.start.timestamp() * 1000)
    ids: list[str] = [""] * len(drafts)
    last = 0
    for i in order:
        ms = max(start_ms + int(drafts[i].at * 1000), last + 1)  # Teams' ids are epoch milliseconds
        ids[i] = str(ms)
        last = ms
    team = spec.channel.team_id
    channel = spec.channel.id
    people = plan.people
    messages: list[Message] = []
    for i in order:
        draft = drafts[i]
        created = datetime.fromtimestamp(int(ids[i]) / 1000, UTC)
        root_id = ids[draft.root] if draft.root >= 0 else None
        author = people[draft.author]
        messages.append(
            Message(
                id=ids[i],
                team_id=team,
                channel_id=channel,
                reply_to_id=root_id,
                author_id=author.id,
                author_name=author.display_name,
                created_at=created,
                last_modified_at=created,
                deleted_at=None,
                subject=draft.subject,
                text=draft.text,
                web_url=f"https://teams.microsoft.com/l/message/{channel}/{ids[i]}?groupId={team}"
                f"&parentMessageId={root_id or ids[i]}",
                mentions=tuple(people[p].id for p in draft.mentions),
                reactions=tuple(
                    Reaction(people[p].id, draft.reaction, created + timedelta(minutes=5))
                    for p in draft.reactors
                    if p != draft.author
                ),
            )
        )
    return messages


def _name(plan: TenantPlan, person: int | None) -> str:
    return plan.people[person].display_name.split()[0] if person is not None else "@team"


def _first(plan: TenantPlan, rng: random.Random, members: Sequence[int]) -> str:
    return _name(plan, rng.choice(members))


def iter_channels(plan: TenantPlan) -> Iterator[int]:
    """The channel indices in writing order."""
    return iter(range(len(plan.channels)))
