"""The people, teams and channels of the demo company, and who is an expert, a generalist or rising."""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Literal

from bot.demo.company import (
    COMPANY_CHANNELS,
    COMPANY_TEAM,
    DEPARTMENTS,
    DISABLED_ACCOUNTS,
    EXPERT_PROFILE_SHARE,
    FINNISH_GIVEN,
    FINNISH_SURNAMES,
    GENERALIST_SEATS,
    INTERESTS,
    INTERNATIONAL_GIVEN,
    INTERNATIONAL_SURNAMES,
    OFFICES,
    PAST_PROJECTS,
    PROFILE_SHARE,
    ChannelLanguage,
    ChannelSpec,
    DepartmentSpec,
)
from bot.demo.vocabulary import CUSTOMER_SUCCESS, DESIGN, MANAGEMENT, RISING_TOPICS, TOPIC_VOCABULARY

DOMAIN = "seulademo.onmicrosoft.com"
DAY_MS = 86_400_000
# Teams whose channels only their members see, so the demo shows evidence withheld from outsiders: the two
# whose channels the fewest outsiders write in (a private team's outside askers are its members too).
PRIVATE_DEPARTMENTS = frozenset({CUSTOMER_SUCCESS, DESIGN})


@dataclass(eq=False, slots=True)
class Employee:
    """A person in the demo company; instances compare by identity, one object per person."""

    id: str
    given_name: str
    surname: str
    display_name: str
    user_principal_name: str
    job_title: str
    department: str
    office_location: str
    preferred_language: str
    speaks_finnish: bool
    role: Literal["ceo", "head", "lead", "member"]
    manager: Employee | None = None
    account_enabled: bool = True
    left_at_ms: int | None = None
    about_me: str | None = None
    skills: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    responsibilities: tuple[str, ...] = ()
    past_projects: tuple[str, ...] = ()

    def active_at(self, ms: int) -> bool:
        return self.left_at_ms is None or ms < self.left_at_ms


@dataclass(eq=False, slots=True)
class DemoTeam:
    """A team in the demo tenant: one per department, plus the company-wide one."""

    id: str
    display_name: str
    description: str
    created_ms: int
    department: str | None  # None for the company-wide team
    channels: list[DemoChannel] = field(default_factory=list)
    visibility: str = "public"  # Graph's team visibility: public or private


@dataclass(eq=False, slots=True)
class DemoChannel:
    """A standard channel and the people who usually write in it."""

    id: str
    display_name: str
    description: str
    language: ChannelLanguage
    team: DemoTeam
    created_ms: int
    members: tuple[Employee, ...]  # who usually reads and writes here


@dataclass(slots=True)
class Organization:
    """The whole company: people in manager order, teams, channels, and the expertise planted in it."""

    people: list[Employee]
    teams: list[DemoTeam]
    channels: list[DemoChannel]
    departments: dict[str, list[Employee]]
    heads: dict[str, Employee]
    experts: dict[str, tuple[Employee, ...]]
    rising: dict[str, Employee]
    generalists: tuple[Employee, ...]
    company_team: DemoTeam

    def channel(self, team: DemoTeam, name: str) -> DemoChannel:
        return next(c for c in team.channels if c.display_name == name)

    def topic_channel(self, name: str) -> DemoChannel:
        return next(c for c in self.channels if c.display_name == name)


def new_guid(rng: random.Random) -> str:
    """A version-4 GUID drawn from `rng`, so the same seed gives the same ids."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_organization(seed: int, now_ms: int) -> Organization:
    """Build the company for `seed`: the same seed and `now_ms` always give the same organization."""
    return _OrganizationBuilder(random.Random(f"seula-demo:{seed}:organization"), now_ms).build()


class _OrganizationBuilder:
    def __init__(self, rng: random.Random, now_ms: int) -> None:
        self.rng = rng
        self.now_ms = now_ms
        self.people: list[Employee] = []
        self.names: set[str] = set()
        self.upns: set[str] = set()
        self.departments: dict[str, list[Employee]] = {}
        self.heads: dict[str, Employee] = {}
        self.generalists: list[Employee] = []

    def build(self) -> Organization:
        ceo = self._person(MANAGEMENT, "CEO", "ceo", None, finnish_share=1.0)
        self.departments[MANAGEMENT] = [ceo]
        self.heads[MANAGEMENT] = ceo
        for title in ("Johdon assistentti", "Viestintäpäällikkö"):
            self.departments[MANAGEMENT].append(
                self._person(MANAGEMENT, title, "member", ceo, finnish_share=1.0)
            )
        for spec in DEPARTMENTS:
            self._department(spec, ceo)
        self._mark_generalists()
        experts, rising = self._assign_expertise()
        self._disable_accounts(experts, rising)
        self._write_profiles(experts)
        teams, channels, company = self._teams()
        return Organization(
            people=self.people,
            teams=teams,
            channels=channels,
            departments=self.departments,
            heads=self.heads,
            experts=experts,
            rising=rising,
            generalists=tuple(self.generalists),
            company_team=company,
        )

    def _department(self, spec: DepartmentSpec, ceo: Employee) -> None:
        rng = self.rng
        head = self._person(spec.name, spec.head_title, "head", ceo, spec.finnish_share)
        leads = [
            self._person(spec.name, title, "lead", head, spec.finnish_share) for title in spec.lead_titles
        ]
        members_total = spec.size - 1 - len(leads)
        # The head keeps an even share of the members; leads split the rest, so nobody manages more than ~15.
        managers = [head] * members_total
        if leads:
            head_direct = members_total // (len(leads) + 1)
            managers = [head] * head_direct + [
                leads[i % len(leads)] for i in range(members_total - head_direct)
            ]
        seats = [title for department, title in GENERALIST_SEATS if department == spec.name]
        members = []
        for index, manager in enumerate(managers):
            title = seats[index] if index < len(seats) else rng.choice(spec.member_titles)
            members.append(self._person(spec.name, title, "member", manager, spec.finnish_share))
        self.departments[spec.name] = [head, *leads, *members]
        self.heads[spec.name] = head

    def _person(
        self,
        department: str,
        title: str,
        role: Literal["ceo", "head", "lead", "member"],
        manager: Employee | None,
        finnish_share: float,
    ) -> Employee:
        rng = self.rng
        speaks_finnish = rng.random() < finnish_share
        given_pool, surname_pool = (
            (FINNISH_GIVEN, FINNISH_SURNAMES)
            if speaks_finnish
            else (INTERNATIONAL_GIVEN, INTERNATIONAL_SURNAMES)
        )
        while True:
            given, surname = rng.choice(given_pool), rng.choice(surname_pool)
            if f"{given} {surname}" not in self.names:
                break
        display = f"{given} {surname}"
        self.names.add(display)
        upn_base = f"{_ascii(given)}.{_ascii(surname)}"
        upn, n = f"{upn_base}@{DOMAIN}", 2
        while upn in self.upns:
            upn, n = f"{upn_base}{n}@{DOMAIN}", n + 1
        self.upns.add(upn)
        # Most Finnish speakers run Teams in Finnish; some keep English, as in real tenants.
        language = "fi-FI" if speaks_finnish and rng.random() < 0.85 else "en-US"
        person = Employee(
            id=new_guid(rng),
            given_name=given,
            surname=surname,
            display_name=display,
            user_principal_name=upn,
            job_title=title,
            department=department,
            office_location=_weighted(rng, OFFICES),
            preferred_language=language,
            speaks_finnish=speaks_finnish,
            role=role,
            manager=manager,
        )
        self.people.append(person)
        return person

    def _mark_generalists(self) -> None:
        for department, title in GENERALIST_SEATS:
            self.generalists.append(
                next(p for p in self.departments[department] if p.job_title == title and p.role == "member")
            )

    def _free_member(self, department: str, taken: set[str]) -> Employee:
        generalist_ids = {g.id for g in self.generalists}
        candidates = [
            p
            for p in self.departments[department]
            if p.role == "member" and p.id not in taken and p.id not in generalist_ids
        ]
        chosen = self.rng.choice(candidates)
        taken.add(chosen.id)
        return chosen

    def _assign_expertise(self) -> tuple[dict[str, tuple[Employee, ...]], dict[str, Employee]]:
        taken: set[str] = set()
        experts = {
            topic.key: tuple(self._free_member(department, taken) for department in topic.expert_departments)
            for topic in TOPIC_VOCABULARY
        }
        rising = {key: self._free_member(department, taken) for key, department in RISING_TOPICS}
        return experts, rising

    def _disable_accounts(
        self, experts: dict[str, tuple[Employee, ...]], rising: dict[str, Employee]
    ) -> None:
        special = {p.id for group in experts.values() for p in group} | {p.id for p in rising.values()}
        special |= {g.id for g in self.generalists}
        candidates = [p for p in self.people if p.role == "member" and p.id not in special]
        for person in self.rng.sample(candidates, DISABLED_ACCOUNTS):
            person.account_enabled = False
            person.left_at_ms = self.now_ms - self.rng.randint(40, 200) * DAY_MS

    def _write_profiles(self, experts: dict[str, tuple[Employee, ...]]) -> None:
        """Fill the self-written profile fields for the minority who do, experts a little more often."""
        rng = self.rng
        expertise = {p.id: key for key, group in experts.items() for p in group}
        specs = {spec.name: spec for spec in DEPARTMENTS}
        vocab = {topic.key: topic for topic in TOPIC_VOCABULARY}
        for person in self.people:
            topic_key = expertise.get(person.id)
            if rng.random() >= (EXPERT_PROFILE_SHARE if topic_key else PROFILE_SHARE):
                continue
            spec = specs.get(person.department)
            pool = list(spec.skills) if spec else ["Leadership", "Strategy", "Johtaminen"]
            skills = rng.sample(pool, k=min(len(pool), rng.randint(2, 4)))
            if topic_key:
                skills = [*vocab[topic_key].terms[:3], *skills]
            language = "fi" if person.preferred_language == "fi-FI" else "en"
            interests = rng.sample(INTERESTS[language], k=rng.randint(1, 3))
            person.skills = tuple(dict.fromkeys(skills))
            person.interests = tuple(interests)
            if spec and rng.random() < 0.6:
                person.responsibilities = tuple(rng.sample(spec.responsibilities, k=rng.randint(1, 3)))
            if rng.random() < 0.4:
                person.past_projects = tuple(rng.sample(PAST_PROJECTS, k=rng.randint(1, 2)))
            if rng.random() < 0.7:
                ask = ", ".join(person.skills[:3])
                hobbies = ", ".join(interests)
                person.about_me = (
                    f"{person.job_title}, {person.department}. Kysy minulta: {ask}. Vapaa-ajalla: {hobbies}."
                    if language == "fi"
                    else f"{person.job_title} in {person.department}. Ask me about {ask}. "
                    f"Outside work: {hobbies}."
                )

    def _teams(self) -> tuple[list[DemoTeam], list[DemoChannel], DemoTeam]:
        rng = self.rng
        span_start = self.now_ms - 365 * DAY_MS
        teams: list[DemoTeam] = []
        channels: list[DemoChannel] = []
        everyone = tuple(self.people)
        company = DemoTeam(
            new_guid(rng),
            COMPANY_TEAM,
            "Koko Revontulen yhteinen tiimi: tiedotteet, kahvihuone ja yleinen keskustelu.",
            span_start - rng.randint(1500, 1800) * DAY_MS,
            None,
        )
        layout: list[tuple[DemoTeam, tuple[ChannelSpec, ...], tuple[Employee, ...]]] = [
            (company, COMPANY_CHANNELS, everyone)
        ]
        for department in DEPARTMENTS:
            team = DemoTeam(
                new_guid(rng),
                department.team,
                department.team_description,
                span_start - rng.randint(400, 1500) * DAY_MS,
                department.name,
                visibility="private" if department.name in PRIVATE_DEPARTMENTS else "public",
            )
            layout.append((team, department.channels, tuple(self.departments[department.name])))
        for team, channel_specs, members in layout:
            teams.append(team)
            for spec in channel_specs:
                created = (
                    team.created_ms
                    if spec.name == "General"
                    else team.created_ms + rng.randint(1, 300) * DAY_MS
                )
                channel = DemoChannel(
                    id=f"19:{rng.getrandbits(128):032x}@thread.tacv2",
                    display_name=spec.name,
                    description=spec.description,
                    language=spec.language,
                    team=team,
                    created_ms=min(created, span_start - DAY_MS),
                    members=members,
                )
                team.channels.append(channel)
                channels.append(channel)
        return teams, channels, company


def _ascii(name: str) -> str:
    """The mail-safe form of a name: Mäkinen becomes makinen, O'Brien obrien."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == "-")


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    total = sum(weight for _, weight in choices)
    point = rng.random() * total
    for value, weight in choices:
        point -= weight
        if point < 0:
            return value
    return choices[-1][0]
