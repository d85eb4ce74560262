"""The demo company on paper: departments, their teams and channels, job titles, names and hobbies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.demo.vocabulary import (
    CUSTOMER_SUCCESS,
    DATA,
    DESIGN,
    FINANCE,
    HR,
    LEGAL,
    MANAGEMENT,
    MOBILE,
    OPERATIONS,
    PLATFORM,
    SALES,
    SECURITY,
    WEB,
)

ChannelLanguage = Literal["fi", "en", "mixed"]


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    name: str
    description: str
    language: ChannelLanguage


@dataclass(frozen=True, slots=True)
class DepartmentSpec:
    name: str
    team: str
    team_description: str
    size: int
    finnish_share: float
    head_title: str
    lead_titles: tuple[str, ...]
    member_titles: tuple[str, ...]
    skills: tuple[str, ...]
    responsibilities: tuple[str, ...]
    channels: tuple[ChannelSpec, ...]


def _general(description: str, language: ChannelLanguage) -> ChannelSpec:
    return ChannelSpec("General", description, language)


DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec(
        name=PLATFORM,
        team="Platform Engineering",
        team_description="Cloud platform, Kubernetes, CI/CD and on-call.",
        size=44,
        finnish_share=0.55,
        head_title="Head of Platform Engineering",
        lead_titles=("Team Lead, Cloud Infrastructure", "Team Lead, SRE"),
        member_titles=(
            "Platform Engineer",
            "Senior Platform Engineer",
            "Site Reliability Engineer",
            "DevOps Engineer",
            "Cloud Architect",
        ),
        skills=("Kubernetes", "Terraform", "Azure", "Linux", "Go", "Python", "Helm", "Prometheus", "Bash"),
        responsibilities=("AKS clusters", "CI/CD platform", "On-call rotation", "Landing zone", "Monitoring"),
        channels=(
            _general("Platform team announcements and everything else.", "en"),
            ChannelSpec("Kubernetes", "AKS clusters, Helm charts and everything k8s.", "en"),
            ChannelSpec("Infra as Code", "Terraform, Bicep and our module registry.", "en"),
            ChannelSpec("CI/CD", "Azure DevOps pipelines, agents and releases.", "en"),
            ChannelSpec("Monitoring & Incidents", "Alerts, dashboards, on-call and postmortems.", "mixed"),
        ),
    ),
    DepartmentSpec(
        name=DATA,
        team="Data & Analytics",
        team_description="Data platform, reporting and databases.",
        size=30,
        finnish_share=0.65,
        head_title="Director, Data & Analytics",
        lead_titles=("Team Lead, Data Engineering",),
        member_titles=(
            "Data Engineer",
            "Senior Data Engineer",
            "Data Analyst",
            "BI Developer",
            "Analytics Engineer",
            "Database Administrator",
        ),
        skills=(
            "SQL",
            "Python",
            "Power BI",
            "dbt",
            "Databricks",
            "Spark",
            "PostgreSQL",
            "Excel",
            "Statistics",
        ),
        responsibilities=("Data platform", "Reporting", "Data quality", "Databases", "Data catalogue"),
        channels=(
            _general("Data & Analytics -tiimin yhteinen kanava.", "mixed"),
            ChannelSpec("Data pipelines", "ADF, Databricks, dbt and Airflow.", "en"),
            ChannelSpec("Power BI", "Raportit, DAX ja Power BI -palvelu.", "mixed"),
            ChannelSpec("Tietokannat", "PostgreSQL ja muut tietokannat.", "mixed"),
        ),
    ),
    DepartmentSpec(
        name=SECURITY,
        team="Security",
        team_description="Tietoturva, riskienhallinta ja pääsynhallinta.",
        size=18,
        finnish_share=0.7,
        head_title="CISO",
        lead_titles=(),
        member_titles=(
            "Security Specialist",
            "Security Engineer",
            "Tietoturva-asiantuntija",
            "Identity & Access Engineer",
            "SOC Analyst",
        ),
        skills=("Security", "Entra ID", "Defender", "ISO 27001", "Risk management", "Sentinel", "OAuth"),
        responsibilities=(
            "ISMS",
            "Vulnerability management",
            "Access reviews",
            "Security awareness",
            "Incident response",
        ),
        channels=(
            _general("Security-tiimin yleiskanava.", "mixed"),
            ChannelSpec("Tietoturva", "Tietoturvakysymykset, ISO 27001 ja poikkeamat.", "fi"),
            ChannelSpec("Identity & Access", "Entra ID, OAuth, SSO and app registrations.", "en"),
        ),
    ),
    DepartmentSpec(
        name=CUSTOMER_SUCCESS,
        team="Customer Success",
        team_description="Asiakastuki ja asiakkuuksien hoito.",
        size=36,
        finnish_share=0.8,
        head_title="VP, Customer Success",
        lead_titles=("Support Team Lead", "Team Lead, Customer Success"),
        member_titles=(
            "Customer Success Manager",
            "Support Specialist",
            "Asiakastukiasiantuntija",
            "Technical Support Engineer",
            "Onboarding Specialist",
        ),
        skills=("Zendesk", "Customer onboarding", "Asiakaspalvelu", "Excel", "Training"),
        responsibilities=(
            "Tier 2 support",
            "Key accounts",
            "Knowledge base",
            "Customer onboarding",
            "Renewals",
        ),
        channels=(
            _general("Customer Success -tiimin yleiskanava.", "mixed"),
            ChannelSpec("Asiakastuki", "Tiketit, eskaloinnit ja tukiprosessit.", "fi"),
        ),
    ),
    DepartmentSpec(
        name=SALES,
        team="Myynti / Sales",
        team_description="Myynti, tarjoukset ja asiakkuudet.",
        size=30,
        finnish_share=0.8,
        head_title="Myyntijohtaja",
        lead_titles=("Sales Team Lead",),
        member_titles=(
            "Account Executive",
            "Account Manager",
            "Asiakkuuspäällikkö",
            "Sales Development Representative",
            "Solution Consultant",
        ),
        skills=("Negotiation", "Dynamics 365", "Public sector sales", "Neuvottelutaito", "Presentations"),
        responsibilities=(
            "Public sector customers",
            "Nordic accounts",
            "Partner channel",
            "Tarjoukset",
            "Lead qualification",
        ),
        channels=(
            _general("Myynnin yleiskanava.", "mixed"),
            ChannelSpec("CRM", "Dynamics 365, ennusteet ja tarjoukset.", "mixed"),
        ),
    ),
    DepartmentSpec(
        name=FINANCE,
        team="Talous / Finance",
        team_description="Taloushallinto, laskutus ja hankinnat.",
        size=20,
        finnish_share=0.9,
        head_title="CFO",
        lead_titles=(),
        member_titles=(
            "Controller",
            "Kirjanpitäjä",
            "Financial Analyst",
            "Ostopäällikkö",
            "Laskutusasiantuntija",
            "Business Controller",
        ),
        skills=("SAP", "Excel", "Kirjanpito", "Budgeting", "Power BI", "IFRS"),
        responsibilities=("Kuukausisulku", "Ostoreskontra", "Myyntireskontra", "Budjetointi", "Hankinnat"),
        channels=(
            _general("Talouden yleiskanava.", "fi"),
            ChannelSpec("SAP", "SAP S/4HANA, Fiori and transaction help.", "mixed"),
            ChannelSpec("Laskutus", "Laskutus, verkkolaskut ja perintä.", "fi"),
            ChannelSpec("Hankinnat", "Hankintapyynnöt, toimittajat ja kilpailutukset.", "fi"),
        ),
    ),
    DepartmentSpec(
        name=HR,
        team="HR / Henkilöstö",
        team_description="Henkilöstöasiat, palkat ja rekrytointi.",
        size=14,
        finnish_share=0.95,
        head_title="Henkilöstöjohtaja",
        lead_titles=(),
        member_titles=(
            "HR-asiantuntija",
            "HR Business Partner",
            "Palkanlaskija",
            "Rekrytointiasiantuntija",
            "HR Coordinator",
        ),
        skills=("Työoikeus", "Palkanlaskenta", "Recruiting", "Coaching", "Teamtailor"),
        responsibilities=(
            "Palkanlaskenta",
            "Rekrytointi",
            "Työhyvinvointi",
            "Perehdytys",
            "Työterveyshuolto",
        ),
        channels=(
            _general("HR:n yleiskanava.", "fi"),
            ChannelSpec("Palkanlaskenta", "Palkat, lomat, matkalaskut ja kulut.", "fi"),
            ChannelSpec("Rekrytointi", "Avoimet paikat, haastattelut ja perehdytys.", "fi"),
        ),
    ),
    DepartmentSpec(
        name=MOBILE,
        team="Mobile",
        team_description="iOS and Android apps.",
        size=22,
        finnish_share=0.5,
        head_title="Head of Mobile",
        lead_titles=(),
        member_titles=(
            "iOS Developer",
            "Android Developer",
            "Senior Mobile Developer",
            "Mobile QA Engineer",
            "Release Manager",
        ),
        skills=("Swift", "Kotlin", "SwiftUI", "Jetpack Compose", "Fastlane", "Firebase"),
        responsibilities=("iOS app", "Android app", "Release train", "Push notifications", "Mobile QA"),
        channels=(
            _general("Mobile team general chat.", "en"),
            ChannelSpec("Mobile dev", "Swift, Kotlin and everything in the apps.", "en"),
            ChannelSpec("Releases", "TestFlight, Play Console and the release train.", "en"),
        ),
    ),
    DepartmentSpec(
        name=WEB,
        team="Web Frontend",
        team_description="Customer portal and web apps.",
        size=28,
        finnish_share=0.55,
        head_title="Head of Web Development",
        lead_titles=("Frontend Team Lead",),
        member_titles=(
            "Frontend Developer",
            "Senior Frontend Developer",
            "Full Stack Developer",
            "QA Engineer",
            "Web Developer",
        ),
        skills=("React", "TypeScript", "CSS", "Node.js", "Accessibility", "Playwright", "GraphQL"),
        responsibilities=(
            "Customer portal",
            "Component library",
            "Web performance",
            "E2E tests",
            "Frontend tooling",
        ),
        channels=(
            _general("Web team general chat.", "en"),
            ChannelSpec("React & TypeScript", "React, TypeScript, tooling and tests.", "en"),
            ChannelSpec("Saavutettavuus", "Saavutettavuus ja WCAG.", "mixed"),
        ),
    ),
    DepartmentSpec(
        name=DESIGN,
        team="Design",
        team_description="UX, UI ja brändi.",
        size=14,
        finnish_share=0.7,
        head_title="Design Director",
        lead_titles=(),
        member_titles=(
            "UX Designer",
            "UI Designer",
            "Service Designer",
            "Senior Product Designer",
            "UX Researcher",
        ),
        skills=(
            "Figma",
            "User research",
            "Käyttäjätutkimus",
            "Prototyping",
            "Illustration",
            "Service design",
        ),
        responsibilities=("Design system", "User research", "Brand", "Customer portal UX", "Mobile UX"),
        channels=(
            _general("Designin yleiskanava.", "mixed"),
            ChannelSpec("Design system", "Figma libraries, tokens and components.", "en"),
        ),
    ),
    DepartmentSpec(
        name=LEGAL,
        team="Legal & Compliance",
        team_description="Sopimukset, tietosuoja ja compliance.",
        size=10,
        finnish_share=0.95,
        head_title="General Counsel",
        lead_titles=(),
        member_titles=(
            "Lakimies",
            "Legal Counsel",
            "Compliance Specialist",
            "Tietosuoja-asiantuntija",
            "Contract Manager",
        ),
        skills=("Sopimusoikeus", "GDPR", "Compliance", "Negotiation", "Tietosuoja"),
        responsibilities=(
            "Asiakassopimukset",
            "Tietosuoja",
            "Compliance",
            "Toimittajasopimukset",
            "Whistleblowing",
        ),
        channels=(
            _general("Legalin yleiskanava.", "fi"),
            ChannelSpec("Tietosuoja", "Tietosuoja, GDPR ja rekisteröityjen pyynnöt.", "fi"),
            ChannelSpec("Sopimukset", "Sopimusluonnokset, NDA:t ja ehdot.", "fi"),
        ),
    ),
    DepartmentSpec(
        name=OPERATIONS,
        team="IT & Operations",
        team_description="IT-tuki, laitteet ja toimisto.",
        size=26,
        finnish_share=0.85,
        head_title="IT-päällikkö",
        lead_titles=("Team Lead, IT Service Desk",),
        member_titles=(
            "IT-tukihenkilö",
            "IT Specialist",
            "System Administrator",
            "Microsoft 365 Administrator",
            "IT-asiantuntija",
        ),
        skills=("Microsoft 365", "Intune", "Windows", "macOS", "Networking", "PowerShell"),
        responsibilities=("Service desk", "Laitehallinta", "Microsoft 365", "Toimisto", "Lisenssit"),
        channels=(
            _general("IT & Operations -tiimin yleiskanava.", "mixed"),
            ChannelSpec("IT-tuki", "Kysy IT-tuelta: Microsoft 365, laitteet, VPN ja tulostimet.", "fi"),
            ChannelSpec("Toimisto", "Toimiston asiat: avaimet, parkki, neuvotteluhuoneet.", "fi"),
        ),
    ),
)
COMPANY_TEAM = "Revontuli"
COMPANY_CHANNELS = (
    _general("Koko Revontulen yhteinen kanava.", "mixed"),
    ChannelSpec("Kahvihuone", "Vapaata keskustelua: lounaat, kakut ja kissakuvat.", "fi"),
    ChannelSpec("Tiedotteet", "Yhtiön tiedotteet ja infot.", "mixed"),
)
# Five people who post and react everywhere but seldom answer: the trap for activity-based ranking.
GENERALIST_SEATS: tuple[tuple[str, str], ...] = (
    (MANAGEMENT, "Viestintäpäällikkö"),
    (OPERATIONS, "Office Manager"),
    (HR, "Employee Experience Specialist"),
    (SALES, "Account Executive"),
    (CUSTOMER_SUCCESS, "Customer Success Manager"),
)
DISABLED_ACCOUNTS = 3


def _words(text: str) -> tuple[str, ...]:
    """Names written as one string: long lists of short words read better that way."""
    return tuple(text.split())


FINNISH_GIVEN = _words(
    """
    Aino Anna Anni Elina Emilia Emma Hanna Heidi Jenni Johanna Kaisa Katja Laura Liisa Maija Maria
    Marika Minna Noora Oona Päivi Riikka Sanna Satu Sari Suvi Tiina Veera Venla Kirsi Pirjo Tuula
    Hilla Ilona Saara Elsa Anna-Liisa Tuija Outi Antti Eero Jari Jukka Juha Janne Joonas Kalle
    Lauri Markku Matti Mikko Niko Olli Pekka Petri Sami Teemu Timo Tuomas Ville Aleksi Jussi Heikki
    Ilkka Kimmo Otto Eetu Arttu Risto Harri Veli-Matti Tapio Onni Elias Jere Marko Pasi Henri Johan
    Mikael
    """
)
FINNISH_SURNAMES = _words(
    """
    Virtanen Korhonen Mäkinen Nieminen Mäkelä Hämäläinen Laine Heikkinen Koskinen Järvinen Lehtonen
    Lehtinen Saarinen Salminen Heinonen Niemi Heikkilä Kinnunen Salonen Turunen Salo Laitinen
    Tuominen Rantanen Karjalainen Jokinen Mattila Savolainen Lahtinen Ahonen Pitkänen Räsänen
    Leinonen Hiltunen Miettinen Kallio Väisänen Aaltonen Jääskeläinen Peltonen Ojala Manninen
    Kettunen Toivonen Rautio Hyvönen Koivisto Partanen Vainio Aalto Kivelä Ylönen Lindqvist Sjöberg
    Holmström Grönroos Backman Lindholm Öhman Åström Kärkkäinen Seppälä Tikkanen
    """
)
INTERNATIONAL_GIVEN = _words(
    """
    Daniel Priya Lukas Sofia Ahmed Wei Olga Mateo Hannah Ravi Elena James Tomás Aisha Marek Julia
    Kenji Fatima Ben Sven Ingrid Kristjan Liis Dmitri Mei Carlos Isabel Oliver Noah Grace Arjun
    Nadia Pedro Yusuf Emily Jonas Marta Viktor Chloe Samuel
    """
)
INTERNATIONAL_SURNAMES = _words(
    """
    Okafor Raman Becker Rossi Hassan Chen García Schmidt Patel Popescu Smith Novak Costa Khan
    Kowalski Müller Tanaka Nguyen Andersson Larsen Tamm Kask Lin Fernández Silva Brown Murphy
    Sharma Haddad Oliveira Yilmaz O'Brien Svensson Dubois Jensen Horvat Walker Moreau Kim Eriksen
    """
)
OFFICES = (("Helsinki", 60), ("Tampere", 18), ("Oulu", 10), ("Remote", 12))
INTERESTS = {
    "en": (
        "running",
        "sauna",
        "photography",
        "cross-country skiing",
        "board games",
        "climbing",
        "cooking",
        "floorball",
        "sailing",
        "birdwatching",
        "jazz",
        "gardening",
        "cycling",
        "chess",
    ),
    "fi": (
        "juoksu",
        "sauna",
        "valokuvaus",
        "hiihto",
        "lautapelit",
        "kiipeily",
        "ruoanlaitto",
        "salibandy",
        "purjehdus",
        "lintubongaus",
        "jazz",
        "puutarhanhoito",
        "pyöräily",
        "sienestys",
        "suunnistus",
        "avantouinti",
    ),
}
PAST_PROJECTS = (
    "Pilvisiirto 2024",
    "Asiakasportaali 2.0",
    "ERP-uudistus",
    "Data platform migration",
    "Mobile app redesign",
    "ISO 27001 -sertifiointi",
    "Verkkolaskutuksen käyttöönotto",
    "Intune rollout",
    "Design system v2",
    "CRM migration to Dynamics 365",
    "Nordic expansion",
    "Zendesk käyttöönotto",
)
PROFILE_SHARE = 0.28
EXPERT_PROFILE_SHARE = 0.45
