"""Seula's settings: one strict object, read once from the environment and an optional `.env` file."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot.model import Language
from bot.send_time import is_timezone
from bot.visibility import VISIBILITY_DEFAULTS, VisibilityDefault

T = TypeVar("T")

BotAppType = Literal["SingleTenant", "UserAssignedMSI"]
DemoMode = Literal["auto", "on", "off"]
NudgesDefault = Literal["on", "opt-in"]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and what it expects."""


@dataclass(frozen=True)
class Setting:
    """Documentation of one environment variable: its name, default and meaning."""

    env: str
    default: str
    description: str


def _setting(env: str, default: str, description: str) -> Any:
    return field(metadata={"setting": Setting(env, default, description)})


@dataclass(frozen=True)
class Settings:
    """Every setting Seula reads, already parsed and checked."""

    port: int = _setting("PORT", "3978", "TCP port the bot serves `/api/messages` and `/healthz` on.")
    host: str | None = _setting(
        "HOST",
        "",
        "Address to bind. Empty: all interfaces when Bot Framework credentials are set, "
        "otherwise 127.0.0.1 only (an unauthenticated bot must not be reachable from the network).",
    )
    database_url: str = _setting(
        "DATABASE_URL",
        "sqlite:///data/seula.db",
        "Where Seula keeps its store: `sqlite:///path/to/file.db` (embedded default, relative to the "
        "working directory) or `postgresql://user:password@host:5432/dbname` for production.",
    )
    data_dir: Path = _setting(
        "SEULA_DATA_DIR", "data", "Folder for local files: the generated demo tenant and app packages."
    )
    secret_key: str | None = _setting(
        "SEULA_SECRET_KEY",
        "",
        "At least 32 random characters keying the stop-list of erased people. Empty: one is generated into "
        "SEULA_DATA_DIR/secret.key on first start; set it (the same on every replica) in production.",
    )
    demo_tenant: DemoMode = _setting(
        "SEULA_DEMO_TENANT",
        "auto",
        "`auto`: load the generated demo tenant on first start when no Graph credentials are set; "
        "`on`: always load it into an empty store; `off`: never.",
    )
    default_language: Language = _setting(
        "SEULA_DEFAULT_LANGUAGE",
        "en",
        "Language (`en` or `fi`) when neither the message nor the locale tells.",
    )
    log_level: str = _setting("LOG_LEVEL", "INFO", "Python logging level: DEBUG, INFO, WARNING or ERROR.")
    allowed_tenant_ids: frozenset[str] = _setting(
        "ALLOWED_TENANT_IDS",
        "",
        "Comma-separated Entra tenant ids whose activities are served; others get 403. Empty: any tenant.",
    )
    bot_app_id: str | None = _setting(
        "MicrosoftAppId",
        "",
        "The Azure Bot's Microsoft App ID (Entra app or managed identity client id). Set it, and every "
        "request to `/api/messages` must carry a valid Bot Framework token.",
    )
    bot_app_password: str | None = _setting(
        "MicrosoftAppPassword", "", "Client secret of the bot's Entra app (SingleTenant)."
    )
    bot_app_type: BotAppType = _setting(
        "MicrosoftAppType", "SingleTenant", "`SingleTenant` or `UserAssignedMSI` (managed identity)."
    )
    bot_app_tenant_id: str | None = _setting(
        "MicrosoftAppTenantId", "", "The Entra tenant id the bot is registered in."
    )
    graph_base_url: str = _setting(
        "GRAPH_BASE_URL",
        "https://graph.microsoft.com/v1.0",
        "Microsoft Graph root: change it for national clouds or a local Graph-compatible server.",
    )
    graph_token: str | None = _setting(
        "GRAPH_TOKEN",
        "",
        "A static bearer token for a Graph-compatible server on loopback (tests, demos). Refused for any "
        "other host.",
    )
    azure_tenant_id: str | None = _setting(
        "AZURE_TENANT_ID", "", "Entra tenant whose Microsoft Graph data Seula reads (azure-identity's name)."
    )
    azure_client_id: str | None = _setting(
        "AZURE_CLIENT_ID", "", "Graph app's client id; with a managed identity, the user-assigned identity."
    )
    azure_client_secret: str | None = _setting("AZURE_CLIENT_SECRET", "", "Graph app's client secret.")
    azure_client_certificate_path: Path | None = _setting(
        "AZURE_CLIENT_CERTIFICATE_PATH", "", "PEM/PFX certificate for the Graph app, instead of a secret."
    )
    graph_teams: frozenset[str] = _setting(
        "GRAPH_TEAMS", "", "Comma-separated team (group) ids to read. Empty: every team in the organization."
    )
    graph_teams_excluded: frozenset[str] = _setting(
        "GRAPH_TEAMS_EXCLUDED", "", "Comma-separated team ids never read, even when GRAPH_TEAMS names them."
    )
    graph_channels_excluded: frozenset[str] = _setting(
        "GRAPH_CHANNELS_EXCLUDED", "", "Comma-separated channel ids (`19:…@thread.tacv2`) never read."
    )
    graph_private_channels: bool = _setting(
        "GRAPH_PRIVATE_CHANNELS",
        "off",
        "`on` also reads private and shared channels; `off` (default) reads standard channels only.",
    )
    retention_days: int = _setting(
        "RETENTION_DAYS",
        "730",
        "Messages older than this many days are deleted with their reactions, hourly (0 keeps everything).",
    )
    sync_interval_hours: int = _setting(
        "SYNC_INTERVAL_HOURS",
        "24",
        "Hours between delta rounds per channel when the bot syncs on its own (Graph asks for at most one "
        "poll a day; 1–168). `python app.py sync` runs a round now regardless.",
    )
    graph_max_rps: int = _setting(
        "GRAPH_MAX_RPS",
        "20",
        "Requests per second Seula sends to Graph in all (Graph allows 20 for messages).",
    )
    graph_channel_rps: int = _setting(
        "GRAPH_CHANNEL_RPS", "4", "Requests per second on one team or channel (Graph's limit is 4)."
    )
    presence_budget_seconds: float = _setting(
        "PRESENCE_BUDGET_SECONDS",
        "1.5",
        "With Graph configured, the expert card marks each person's availability (Teams presence; needs the "
        "optional `Presence.Read.All` permission): an answer waits at most this long for it, then goes out "
        "without (0–5; 0 turns availability off).",
    )
    presence_cache_seconds: float = _setting(
        "PRESENCE_CACHE_SECONDS",
        "60",
        "How long a person's availability is reused before Graph is asked again, and how long Seula waits "
        "before asking again after presence failed (5–3600).",
    )
    max_experts: int = _setting("SEULA_MAX_EXPERTS", "5", "How many people an answer lists (1–8).")
    visibility_default: VisibilityDefault = _setting(
        "SEULA_VISIBILITY_DEFAULT",
        "visible",
        "`visible`: everyone may be suggested until they say hide me; `opt-in`: people are suggested only "
        "after they say show me.",
    )
    delivery_max_rps: int = _setting(
        "DELIVERY_MAX_RPS",
        "30",
        "Proactive messages (nudges, summaries) per second, in all (Teams allows a bot 30 per tenant; 1–50).",
    )
    delivery_concurrency: int = _setting(
        "DELIVERY_CONCURRENCY", "8", "Proactive messages in flight at once (1–64)."
    )
    delivery_max_attempts: int = _setting(
        "DELIVERY_MAX_ATTEMPTS",
        "5",
        "Attempts at a proactive message that fails with an unexpected error before it is given up (1–20). "
        "Throttling (429) and gateway errors (412, 502, 504, timeouts) are retried longer.",
    )
    teams_service_url: str = _setting(
        "TEAMS_SERVICE_URL",
        "https://smba.trafficmanager.net/teams",
        "Bot Framework service URL for opening a 1:1 chat with someone Seula has no conversation with, "
        "when no conversation in their tenant tells a better one.",
    )
    nudge_weekday: int = _setting(
        "NUDGE_WEEKDAY",
        "mon",
        "Weekday the weekly nudge is sent on, in each person's own timezone (mon–sun).",
    )
    nudge_hour: int = _setting(
        "NUDGE_HOUR", "9", "Hour of the day (0–23, local to each person) the weekly nudge is sent at."
    )
    default_timezone: str = _setting(
        "DEFAULT_TIMEZONE",
        "Europe/Helsinki",
        "IANA timezone for people whose Teams client hasn't reported one yet.",
    )
    nudges_default: NudgesDefault = _setting(
        "NUDGES_DEFAULT",
        "on",
        "`on`: people with established or rising expertise get a weekly nudge until they say `stop nudges`; "
        "`opt-in`: only those who said `start nudges` get one.",
    )
    summary_include_indirect_reports: bool = _setting(
        "SUMMARY_INCLUDE_INDIRECT_REPORTS",
        "off",
        "`on`: a manager's team summary also covers their reports' reports; `off` (default): direct reports "
        "only.",
    )

    @property
    def auth_enabled(self) -> bool:
        """True when Bot Framework credentials are configured and inbound tokens are checked."""
        return bool(self.bot_app_id)

    @property
    def bind_host(self) -> str:
        """The address the server listens on."""
        if self.host:
            return self.host
        return "0.0.0.0" if self.auth_enabled else "127.0.0.1"

    @property
    def graph_configured(self) -> bool:
        """True when Seula has a way to call Microsoft Graph."""
        return bool(self.graph_token or (self.azure_tenant_id and self.azure_client_id))

    @property
    def demo_enabled(self) -> bool:
        """True when an empty store should be filled with the demo tenant."""
        return self.demo_tenant == "on" or (self.demo_tenant == "auto" and not self.graph_configured)

    def redacted(self) -> dict[str, str]:
        """The settings as text, with secrets masked: safe to log."""
        secret = {"bot_app_password", "graph_token", "azure_client_secret", "secret_key"}
        shown: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in secret and value:
                shown[f.metadata["setting"].env] = "***"
            elif f.name == "database_url":
                shown["DATABASE_URL"] = _redact_url(str(value))
            else:
                shown[f.metadata["setting"].env] = "" if value is None else str(value)
        return shown


def settings_documentation() -> list[Setting]:
    """Every setting in declaration order: the README's settings table is checked against this."""
    return [f.metadata["setting"] for f in fields(Settings)]


def load_settings(environ: Mapping[str, str] | None = None, dotenv_path: Path | None = None) -> Settings:
    """Read and check every setting; raise SettingsError naming the first bad variable."""
    values: dict[str, str] = {}
    if dotenv_path is not None and dotenv_path.is_file():
        values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def raw(name: str) -> str:
        setting = _by_field[name]
        return values.get(setting.env, setting.default).strip()

    def parse(name: str, parser: Callable[[str], T]) -> T:
        setting = _by_field[name]
        try:
            return parser(raw(name))
        except (ValueError, TypeError) as error:
            raise SettingsError(f"{setting.env}={raw(name)!r} is invalid: {error}") from None

    settings = Settings(
        port=parse("port", _port),
        host=raw("host") or None,
        database_url=parse("database_url", _database_url),
        data_dir=Path(raw("data_dir") or "data"),
        secret_key=parse("secret_key", _optional_secret),
        demo_tenant=parse("demo_tenant", _choice("auto", "on", "off")),
        default_language=parse("default_language", _choice("en", "fi")),
        log_level=parse("log_level", _choice("DEBUG", "INFO", "WARNING", "ERROR", upper=True)),
        allowed_tenant_ids=parse("allowed_tenant_ids", _guid_set),
        bot_app_id=parse("bot_app_id", _optional_guid),
        bot_app_password=raw("bot_app_password") or None,
        bot_app_type=parse("bot_app_type", _choice("SingleTenant", "UserAssignedMSI", fold=True)),
        bot_app_tenant_id=parse("bot_app_tenant_id", _optional_guid),
        graph_base_url=parse("graph_base_url", _https_or_loopback_url),
        graph_token=raw("graph_token") or None,
        azure_tenant_id=parse("azure_tenant_id", _optional_guid),
        azure_client_id=parse("azure_client_id", _optional_guid),
        azure_client_secret=raw("azure_client_secret") or None,
        azure_client_certificate_path=_optional_path(raw("azure_client_certificate_path")),
        graph_teams=parse("graph_teams", _guid_set),
        graph_teams_excluded=parse("graph_teams_excluded", _guid_set),
        graph_channels_excluded=parse("graph_channels_excluded", _id_set),
        graph_private_channels=parse("graph_private_channels", _on_off),
        retention_days=parse("retention_days", _int_between(0, 36500)),
        sync_interval_hours=parse("sync_interval_hours", _int_between(1, 168)),
        graph_max_rps=parse("graph_max_rps", _int_between(1, 200)),
        graph_channel_rps=parse("graph_channel_rps", _int_between(1, 4)),
        presence_budget_seconds=parse("presence_budget_seconds", _seconds_between(0, 5)),
        presence_cache_seconds=parse("presence_cache_seconds", _seconds_between(5, 3600)),
        max_experts=parse("max_experts", _int_between(1, 8)),
        visibility_default=parse("visibility_default", _choice(*VISIBILITY_DEFAULTS, fold=True)),
        delivery_max_rps=parse("delivery_max_rps", _int_between(1, 50)),
        delivery_concurrency=parse("delivery_concurrency", _int_between(1, 64)),
        delivery_max_attempts=parse("delivery_max_attempts", _int_between(1, 20)),
        teams_service_url=parse("teams_service_url", _https_or_loopback_url),
        nudge_weekday=parse("nudge_weekday", _weekday),
        nudge_hour=parse("nudge_hour", _int_between(0, 23)),
        default_timezone=parse("default_timezone", _timezone),
        nudges_default=parse("nudges_default", _choice("on", "opt-in")),
        summary_include_indirect_reports=parse("summary_include_indirect_reports", _on_off),
    )
    _check_combinations(settings)
    return settings


_by_field: dict[str, Setting] = {f.name: f.metadata["setting"] for f in fields(Settings)}


def _check_combinations(settings: Settings) -> None:
    if settings.bot_app_id:
        if not settings.bot_app_tenant_id:
            raise SettingsError(
                "MicrosoftAppTenantId is required when MicrosoftAppId is set "
                "(new multi-tenant bot registrations can no longer be created)."
            )
        if settings.bot_app_type == "SingleTenant" and not settings.bot_app_password:
            raise SettingsError(
                "MicrosoftAppPassword is required when MicrosoftAppType=SingleTenant "
                "(or set MicrosoftAppType=UserAssignedMSI for a managed identity)."
            )
    elif settings.bot_app_password:
        raise SettingsError("MicrosoftAppPassword is set but MicrosoftAppId is empty: set both or neither.")
    if settings.graph_token and not _is_loopback(urlsplit(settings.graph_base_url).hostname or ""):
        raise SettingsError(
            "GRAPH_TOKEN is only accepted with a loopback GRAPH_BASE_URL (127.0.0.1, ::1 or localhost); "
            "use the AZURE_* credentials for Microsoft Graph."
        )


def _port(value: str) -> int:
    return _int_between(1, 65535)(value)


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"expected a whole number from {low} to {high}") from None
        if not low <= number <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return number

    return parse


def _seconds_between(low: float, high: float) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            seconds = float(value)
        except ValueError:
            raise ValueError(f"expected seconds from {low:g} to {high:g}") from None
        if not low <= seconds <= high:  # also refuses NaN
            raise ValueError(f"expected seconds from {low:g} to {high:g}")
        return seconds

    return parse


def _choice(*options: str, upper: bool = False, fold: bool = False) -> Callable[[str], Any]:
    def parse(value: str) -> str:
        candidate = value.upper() if upper else value
        for option in options:
            if candidate == option or (fold and candidate.lower() == option.lower()):
                return option
        raise ValueError(f"expected one of {', '.join(options)}")

    return parse


def _optional_guid(value: str) -> str | None:
    if not value:
        return None
    if not _GUID.match(value):
        raise ValueError("expected a GUID like 00000000-0000-0000-0000-000000000000")
    return value.lower()


def _guid_set(value: str) -> frozenset[str]:
    ids = [part.strip() for part in value.split(",") if part.strip()]
    return frozenset(guid for guid in (_optional_guid(i) for i in ids) if guid)


def _optional_secret(value: str) -> str | None:
    if value and len(value) < 32:
        raise ValueError("expected at least 32 characters (for example: openssl rand -hex 32)")
    return value or None


def _id_set(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def _on_off(value: str) -> bool:
    lowered = value.lower()
    if lowered in {"on", "true", "1", "yes"}:
        return True
    if lowered in {"off", "false", "0", "no", ""}:
        return False
    raise ValueError("expected on or off")


def _optional_path(value: str) -> Path | None:
    return Path(value) if value else None


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(value: str) -> int:
    """`mon`…`sun` (or the full English name) as Python's weekday number (Monday is 0)."""
    key = value.lower()
    for number, name in enumerate(_WEEKDAYS):
        if key in (name, name[:3]):
            return number
    raise ValueError("expected one of mon, tue, wed, thu, fri, sat, sun")


def _timezone(value: str) -> str:
    if not is_timezone(value):
        raise ValueError("expected an IANA timezone name like Europe/Helsinki")
    return value


def _database_url(value: str) -> str:
    scheme = value.split(":", 1)[0].lower()
    if scheme.split("+", 1)[0] not in {"sqlite", "postgresql", "postgres"}:
        raise ValueError("expected sqlite:///path/to/file.db or postgresql://user@host:5432/db")
    return value


def _https_or_loopback_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return value.rstrip("/")
    if parts.scheme == "http" and _is_loopback(parts.hostname or ""):
        return value.rstrip("/")
    raise ValueError("expected an https:// URL (http:// only for a loopback host)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url
