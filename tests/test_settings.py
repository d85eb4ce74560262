"""Settings: strict parsing that names the bad variable, safe defaults, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

APP_ID = "0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"
TENANT = "50612dbb-0237-4969-b378-8d42590f9c00"


def test_defaults_run_the_embedded_demo_on_loopback() -> None:
    settings = load_settings(environ={})
    assert settings.port == 3978
    assert settings.database_url == "sqlite:///data/seula.db"
    assert settings.bind_host == "127.0.0.1"
    assert not settings.auth_enabled
    assert settings.demo_enabled


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"PRESENCE_BUDGET_SECONDS": "soon"}, "PRESENCE_BUDGET_SECONDS"),
        ({"PRESENCE_BUDGET_SECONDS": "30"}, "PRESENCE_BUDGET_SECONDS"),
        ({"PRESENCE_BUDGET_SECONDS": "nan"}, "PRESENCE_BUDGET_SECONDS"),
        ({"PRESENCE_CACHE_SECONDS": "1"}, "PRESENCE_CACHE_SECONDS"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"SEULA_DEMO_TENANT": "maybe"}, "SEULA_DEMO_TENANT"),
        ({"SEULA_DEFAULT_LANGUAGE": "sv"}, "SEULA_DEFAULT_LANGUAGE"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
        ({"ALLOWED_TENANT_IDS": "contoso"}, "ALLOWED_TENANT_IDS"),
        ({"MicrosoftAppId": "not-a-guid"}, "MicrosoftAppId"),
        ({"MicrosoftAppType": "MultiTenant"}, "MicrosoftAppType"),
        ({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "s"}, "MicrosoftAppTenantId"),
        ({"MicrosoftAppId": APP_ID, "MicrosoftAppTenantId": TENANT}, "MicrosoftAppPassword"),
        ({"MicrosoftAppPassword": "s"}, "MicrosoftAppId"),
        ({"GRAPH_BASE_URL": "http://graph.example.com/v1.0"}, "GRAPH_BASE_URL"),
        ({"GRAPH_TOKEN": "t"}, "GRAPH_TOKEN"),
        ({"SEULA_MAX_EXPERTS": "0"}, "SEULA_MAX_EXPERTS"),
        ({"SEULA_VISIBILITY_DEFAULT": "hidden"}, "SEULA_VISIBILITY_DEFAULT"),
        ({"DELIVERY_MAX_RPS": "0"}, "DELIVERY_MAX_RPS"),
        ({"DELIVERY_CONCURRENCY": "100"}, "DELIVERY_CONCURRENCY"),
        ({"DELIVERY_MAX_ATTEMPTS": "many"}, "DELIVERY_MAX_ATTEMPTS"),
        ({"TEAMS_SERVICE_URL": "http://smba.example.com/"}, "TEAMS_SERVICE_URL"),
        ({"NUDGE_WEEKDAY": "someday"}, "NUDGE_WEEKDAY"),
        ({"NUDGE_HOUR": "24"}, "NUDGE_HOUR"),
        ({"DEFAULT_TIMEZONE": "Europe/Atlantis"}, "DEFAULT_TIMEZONE"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(environ=environ)


def test_the_visibility_default_is_visible_or_opt_in() -> None:
    assert load_settings(environ={}).visibility_default == "visible"
    assert load_settings(environ={"SEULA_VISIBILITY_DEFAULT": "Opt-In"}).visibility_default == "opt-in"


def test_credentials_turn_authentication_on_and_open_the_port() -> None:
    settings = load_settings(
        environ={"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "s3cret", "MicrosoftAppTenantId": TENANT}
    )
    assert settings.auth_enabled
    assert settings.bind_host == "0.0.0.0"


def test_a_managed_identity_needs_no_password() -> None:
    settings = load_settings(
        environ={
            "MicrosoftAppId": APP_ID,
            "MicrosoftAppType": "userassignedmsi",
            "MicrosoftAppTenantId": TENANT,
        }
    )
    assert settings.bot_app_type == "UserAssignedMSI"


def test_graph_credentials_turn_the_demo_off_unless_forced() -> None:
    graph = {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": APP_ID, "AZURE_CLIENT_SECRET": "x"}
    assert not load_settings(environ=graph).demo_enabled
    assert load_settings(environ={**graph, "SEULA_DEMO_TENANT": "on"}).demo_enabled


def test_a_static_graph_token_is_accepted_for_loopback_only() -> None:
    settings = load_settings(environ={"GRAPH_TOKEN": "t", "GRAPH_BASE_URL": "http://127.0.0.1:8765/v1.0"})
    assert settings.graph_configured


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=4000\nSEULA_MAX_EXPERTS=7\n", encoding="utf-8")
    settings = load_settings(environ={"PORT": "5000"}, dotenv_path=dotenv)
    assert (settings.port, settings.max_experts) == (5000, 7)


def test_secrets_are_masked_when_settings_are_shown() -> None:
    settings = load_settings(
        environ={
            "MicrosoftAppId": APP_ID,
            "MicrosoftAppPassword": "bot-pa55",
            "MicrosoftAppTenantId": TENANT,
            "AZURE_CLIENT_SECRET": "graph-pa55",
            "DATABASE_URL": "postgresql://seula:db-pa55@db:5432/seula",
        }
    )
    shown = str(settings.redacted())
    assert "pa55" not in shown
    assert "postgresql://seula:***@db:5432/seula" in shown


def test_the_weekly_send_time_settings_are_parsed() -> None:
    settings = load_settings(
        environ={"NUDGE_WEEKDAY": "Friday", "NUDGE_HOUR": "14", "DEFAULT_TIMEZONE": "Asia/Tokyo"}
    )
    assert (settings.nudge_weekday, settings.nudge_hour, settings.default_timezone) == (4, 14, "Asia/Tokyo")
    assert load_settings(environ={}).nudge_weekday == 0  # mon
