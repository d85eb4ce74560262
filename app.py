"""Seula's composition root and command line: `python app.py [serve|ask|sync|stats|nudges|summary|…]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TextIO

import aiohttp
from aiohttp import web

from bot.bootstrap import (
    Services,
    load_demo_tenant_if_empty,
    open_graph_sync,
    open_services,
    purge_expired,
    utc_now,
)
from bot.commands import WhoKnows, parse_command
from bot.delivery import Delivery, DeliveryOptions
from bot.expert_finder import ExpertAnswer
from bot.graph.client import GraphError
from bot.graph_import import import_file, import_json_lines
from bot.manifest_package import ManifestError, build_app_package
from bot.model import Language
from bot.nudges import Nudge
from bot.settings import Settings, SettingsError, load_settings
from bot.signals import Contribution
from bot.store import StoreError
from bot.summaries import SummaryRefused, TeamSummary
from bot.teams.proactive import TeamsSender
from bot.web import create_app
from cards.nudge_card import nudge_why
from cards.strings import say

logger = logging.getLogger("seula")

EXIT_USAGE = 2
EXIT_REFUSED = 3  # the request is understood but not allowed (a team summary for someone who manages no one)
EXIT_CONFIG = 78  # EX_CONFIG: a setting is wrong


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(dotenv_path=Path(".env"))
    except SettingsError as error:
        print(f"seula: configuration error: {error}", file=sys.stderr)  # noqa: T201 - before logging exists
        return EXIT_CONFIG
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # it announces its dialect on every open
    try:
        if args.command in (None, "serve"):
            serve(settings)
            return 0
        return asyncio.run(_run_command(settings, args))
    except (StoreError, ManifestError) as error:
        logger.error("%s", error)
        return 1


def serve(settings: Settings) -> None:
    """Serve the bot until interrupted."""
    if not settings.auth_enabled:
        logger.warning(
            "No Bot Framework credentials (MicrosoftAppId): requests are NOT authenticated, "
            "so Seula listens on %s only. Set the credentials before exposing it.",
            settings.bind_host,
        )

    async def application() -> web.Application:
        resources = AsyncExitStack()
        services = await resources.enter_async_context(open_services(settings))
        # Closed after the app's jobs stop (on_cleanup runs after cleanup_ctx), so sends in flight finish.
        session = await resources.enter_async_context(aiohttp.ClientSession())
        sender = TeamsSender(services.store, session, settings, utc_now)
        delivery = Delivery(services.store, sender, DeliveryOptions.from_settings(settings), utc_now)
        app = create_app(services, delivery)

        async def close_services(_: web.Application) -> None:
            await resources.aclose()

        app.on_cleanup.append(close_services)
        return app

    logger.info(
        "Seula serving on http://%s:%d (settings: %s)", settings.bind_host, settings.port, settings.redacted()
    )
    web.run_app(application(), host=settings.bind_host, port=settings.port, print=None)


async def _run_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "manifest":
        bot_id = args.bot_id or settings.bot_app_id
        if not bot_id:
            logger.error("the app package needs the bot's id: set MicrosoftAppId or pass --bot-id")
            return EXIT_USAGE
        path = build_app_package(bot_id, Path(args.out) if args.out else settings.data_dir / "seula-app.zip")
        if args.json:
            _print_json({"package": str(path)})
        else:
            _print(f"App package written to {path}")
        return 0
    async with open_services(settings) as services:
        if args.command == "import":
            return await _import(services, args.file, args.json)
        if args.command == "stats":
            return await _stats(services, args.json)
        if args.command == "ask":
            return await _ask(services, args.query, args.as_user, args.json)
        if args.command == "sync":
            return await _sync(services, args.json)
        if args.command == "nudges":
            return await _nudges(services, args)
        if args.command == "summary":
            return await _summary(services, args.manager, args.json, args.language)
        if args.command == "forget":
            counts = await services.assistant.forget(args.person)
            if args.json:
                _print_json({"erased": counts})
            else:
                _print("Erased: " + ", ".join(f"{count} {kind}" for kind, count in counts.items()))
            return 0
    raise AssertionError(f"unhandled command {args.command}")


async def _import(services: Services, file: str, as_json: bool) -> int:
    if file == "-":
        report = await import_json_lines(services.store, sys.stdin, source="stdin")
    else:
        path = Path(file)
        if not path.is_file():  # noqa: ASYNC240 - one stat before any work starts
            logger.error("no such file: %s", path)
            return EXIT_USAGE
        report = await import_file(services.store, path)
    if as_json:
        _print_json(report.as_dict())
    else:
        _print(
            f"Imported {report.people} people, {report.teams} teams, {report.channels} channels, "
            f"{report.messages} messages; {report.error_count} errors."
        )
        for problem in report.errors:
            _print(f"  {problem}")
    return 1 if report.error_count and not (report.people or report.messages) else 0


async def _stats(services: Services, as_json: bool) -> int:
    stats = await services.store.stats()
    index = services.store.expertise
    indexed = (await index.corpus()).documents
    waiting = await index.pending()
    body = {
        **stats.counts(),
        "conversations": stats.conversations,
        "database": services.store.engine_name,
        "index": {"messages": indexed, "waiting": waiting, "building": await index.building()},
        "sync": [
            {
                "team": s.team,
                "team_id": s.team_id,
                "channel": s.channel,
                "channel_id": s.channel_id,
                "last_sync": s.last_sync.isoformat() if s.last_sync else None,
                "messages": s.messages,
                "state": s.state,
                "rounds": s.rounds,
                "pages": s.pages,
                "resuming": s.resuming,
                "last_error": s.last_error,
            }
            for s in stats.sync
        ],
    }
    if as_json:
        _print_json(body)
    else:
        _print(
            f"{stats.people} people, {stats.teams} teams, {stats.channels} channels, "
            f"{stats.roots} posts, {stats.replies} replies ({stats.deleted} deleted, "
            f"{stats.system_and_bots} from the system or apps), "
            f"{stats.reactions} reactions; {indexed} messages in the expertise index, {waiting} waiting"
        )
    return 0


async def _ask(services: Services, query: str, as_user: str | None, as_json: bool) -> int:
    await load_demo_tenant_if_empty(services.settings, services.store)
    queries: TextIO | list[str] = sys.stdin if query == "-" else [query]
    for line in queries:
        text = line.strip()
        if not text:
            continue
        command = parse_command(text)
        # A query that isn't phrased as a question is taken as the topic itself.
        topic = command.topic if isinstance(command, WhoKnows) else text
        answer = await services.finder.find(topic, text, as_user, services.settings.max_experts)
        if as_json:
            _print_json(_answer_json(answer))
        else:
            _print_answer(answer)
        sys.stdout.flush()
    return 0


async def _sync(services: Services, as_json: bool) -> int:
    settings = services.settings
    if not settings.graph_configured:
        logger.error(
            "Graph is not configured: set AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret or certificate"
        )
        return EXIT_USAGE

    def progress(line: str) -> None:
        (sys.stderr if as_json else sys.stdout).write(line + "\n")

    try:
        async with open_graph_sync(settings, services.store, progress) as sync:
            report = await sync.run(force=True)
        purged = await purge_expired(settings, services.store, utc_now())
        if purged:
            progress(f"Retention: deleted {purged} messages older than {settings.retention_days} days")
    except GraphError as error:
        logger.error("Sync failed: %s", error)
        return 1
    if as_json:
        _print_json(report.as_dict())
    else:
        _print(
            f"Synced {report.channels_synced} of {report.channels} channels in {report.teams} teams: "
            f"{report.messages} messages in {report.pages} pages, {report.people} people; "
            f"{report.requests} requests, {report.retries} retries ({report.throttled} throttled), "
            f"{report.seconds:.1f} s."
        )
        for problem in report.problems:
            _print(f"  ! {problem}")
    return 0


async def _nudges(services: Services, args: argparse.Namespace) -> int:
    await load_demo_tenant_if_empty(services.settings, services.store)
    if args.outcomes:
        await services.nudger.update_outcomes()
        outcomes = (await services.nudger.outcomes()).as_dict()
        if args.json:
            _print_json({"outcomes": outcomes})
        else:
            _print(
                "Nudge outcomes (all people together): " + ", ".join(f"{k} {v}" for k, v in outcomes.items())
            )
        return 0
    if not args.dry_run:
        return await _send_nudges(services, args.json)
    planned = await services.nudger.plan()
    if args.json:
        _print_json({"nudges": [_nudge_json(p.nudge, p.reachable) for p in planned]})
        return 0
    _print(f"{len(planned)} nudges due this week ({sum(p.reachable for p in planned)} reachable):")
    for p in planned:
        nudge = p.nudge
        week = nudge.stats.this_week
        reach = "reachable" if p.reachable else "not installed"
        _print(
            f"- {nudge.person.display_name} ({nudge.reason}; {reach}): "
            f"{week.answers} answers, {week.reactions} reactions this week, trend {nudge.stats.trend}"
        )
        for prompt in nudge.prompts:
            _print(f"     ? {prompt.text}")
    return 0


async def _send_nudges(services: Services, as_json: bool) -> int:
    """Queue the nudges (and reminders) due now in the outbox and send what is due, as the bot's jobs do."""
    settings = services.settings
    async with aiohttp.ClientSession() as session:
        sender = TeamsSender(services.store, session, settings, utc_now)
        delivery = Delivery(services.store, sender, DeliveryOptions.from_settings(settings), utc_now)
        run = await services.nudger.enqueue_due(
            delivery, settings.nudge_weekday, settings.nudge_hour, settings.default_timezone
        )
        report = await delivery.run_due()
    if as_json:
        _print_json({"nudges": run.as_dict(), "delivery": report.as_dict()})
    else:
        _print(
            f"Queued {run.queued} nudges and {run.reminders} reminders; {run.not_due} not due yet, "
            f"{run.unreachable} people not reachable yet. Delivery: {report.as_dict()}"
        )
    return 0


def _contribution_json(c: Contribution) -> dict[str, int]:
    return {
        "messages": c.messages,
        "answers": c.answers,
        "reactions": c.reactions,
        "people_helped": c.people_helped,
        "reach": c.reach,
    }


def _nudge_json(nudge: Nudge, reachable: bool) -> dict[str, Any]:
    goal = nudge.goal
    return {
        "recipient": nudge.recipient,
        "name": nudge.person.display_name,
        "reachable": reachable,
        "week": nudge.week,
        "language": nudge.language,
        "why": {"reason": nudge.reason, "answers_12_weeks": nudge.answers, "text": nudge_why(nudge)},
        "stats": {
            **_contribution_json(nudge.stats.this_week),
            "trend": nudge.stats.trend,
            "weeks": [_contribution_json(week) for week in nudge.stats.weeks],
            "goal": {
                "every_days": goal.every_days,
                "shared": goal.shared,
                "met": goal.met,
                "last_shared": goal.last_shared.isoformat() if goal.last_shared else None,
            },
        },
        "prompts": [
            {
                "text": prompt.text,
                "url": prompt.url,
                "topic": prompt.topic,
                "askers": prompt.askers,
                "answered": prompt.answered,
                "asked": prompt.asked_at.isoformat(),
                "outline": [{"snippet": item.snippet, "url": item.url} for item in prompt.outline],
            }
            for prompt in nudge.prompts
        ],
        "followups": [
            {
                "text": f.text,
                "url": f.url,
                "posted": f.posted,
                "post_url": f.posted_url,
                "reactions": f.reactions,
            }
            for f in nudge.followups
        ],
    }


async def _summary(services: Services, manager: str, as_json: bool, language: Language) -> int:
    await load_demo_tenant_if_empty(services.settings, services.store)
    summary = await services.summaries.summarize(manager)
    if isinstance(summary, SummaryRefused):
        reason = say(language, "summary.refused")
        if as_json:
            _print_json({"refused": reason})
        else:
            _print(reason)
        return EXIT_REFUSED
    if as_json:
        _print_json(summary.as_dict())
    else:
        _print_summary(summary, language)
    return 0


def _print_summary(summary: TeamSummary, language: Language) -> None:
    """The summary as plain text: the same content as the card, for a terminal."""
    period = f"{summary.since:%Y-%m-%d} – {summary.until:%Y-%m-%d}"
    _print(f"{say(language, 'summary.title')} ({summary.team_size}, {period})")
    if summary.small_team:
        _print(say(language, "summary.small_team"))
    sections: list[tuple[str, list[str]]] = [
        (
            "summary.topics.title",
            [f"{t.label}: {say(language, f'summary.movement.{t.movement}')}" for t in summary.topics],
        ),
        (
            "summary.help.title",
            [f"→ {f.department}: {f.answers}" for f in summary.helps]
            + [f"← {f.department}: {f.answers}" for f in summary.relies_on],
        ),
        (
            "summary.unanswered.title",
            [f"{q.question.snippet}\n    {q.question.url}" for q in summary.unanswered],
        ),
        ("summary.emerging.title", [f"{v.name}: {', '.join(v.topics)}" for v in summary.emerging]),
        ("summary.recognitions.title", [f"{v.name}: {', '.join(v.topics)}" for v in summary.recognitions]),
    ]
    for key, lines in sections:
        if summary.small_team and key != "summary.unanswered.title":
            continue
        _print(f"\n{say(language, key)}")
        for line in lines or ["-"]:
            _print(f"  - {line}")
    _print(f"\n{say(language, 'summary.leaves_out')}")


def _answer_json(answer: ExpertAnswer) -> dict[str, Any]:
    return {
        "query": answer.query,
        "topic": answer.topic,
        "terms": list(answer.terms),
        "experts": [
            {
                "id": expert.person_id,
                "name": expert.name,
                "score": expert.score,
                "job_title": expert.person.job_title if expert.person else None,
                "department": expert.person.department if expert.person else None,
                "answers": expert.answers,
                "reactions": expert.reactions,
                "evidence": [
                    {
                        "message_id": item.message_id,
                        "channel_id": item.channel_id,
                        "url": item.url,
                        "snippet": item.snippet,
                        "created": item.created_at.isoformat(),
                        "reactions": item.reactions,
                        "is_answer": item.is_answer,
                    }
                    for item in expert.evidence
                ],
            }
            for expert in answer.experts
        ],
    }


def _print_answer(answer: ExpertAnswer) -> None:
    if not answer.experts:
        _print(f"Nobody has written about {answer.topic!r} yet.")
        return
    _print(f"People who know about {answer.topic!r}:")
    for rank, expert in enumerate(answer.experts, start=1):
        role = (
            ", ".join(p for p in (expert.person.job_title, expert.person.department) if p)
            if expert.person
            else ""
        )
        _print(f"{rank}. {expert.name}" + (f" ({role})" if role else "") + f"  score {expert.score:.2f}")
        for item in expert.evidence:
            _print(f"     - {item.snippet}")


def _print(text: str) -> None:
    sys.stdout.write(text + "\n")


def _print_json(body: Any) -> None:
    sys.stdout.write(json.dumps(body, ensure_ascii=False) + "\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python app.py", description="Seula finds the colleagues who know.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("serve", help="serve the bot on PORT (the default command)")
    ask = commands.add_parser("ask", help='answer "who knows X" exactly as the bot would')
    ask.add_argument(
        "query", help='the question, e.g. "who knows kubernetes"; "-" reads one query a line from stdin'
    )
    ask.add_argument("--as", dest="as_user", metavar="USER", help="ask as this person (Entra object id)")
    ask.add_argument("--json", action="store_true", help="print one JSON object per query")
    imp = commands.add_parser("import", help="load Microsoft Graph objects from a JSON Lines file")
    imp.add_argument("file", help='the JSON Lines file ("-" for stdin)')
    imp.add_argument("--json", action="store_true", help="print the import report as JSON")
    stats = commands.add_parser("stats", help="what the store holds")
    stats.add_argument("--json", action="store_true", help="print JSON")
    sync = commands.add_parser("sync", help="run one ingestion pass from Microsoft Graph now, then exit")
    sync.add_argument(
        "--json", action="store_true", help="print the summary as JSON (progress goes to stderr)"
    )
    nudges = commands.add_parser("nudges", help="this week's nudges (see --dry-run) or their outcomes")
    nudges.add_argument(
        "--dry-run",
        action="store_true",
        help="print this week's nudges for everyone due one, sending nothing",
    )
    nudges.add_argument(
        "--outcomes", action="store_true", help="print what nudges led to, totals over everyone (for admins)"
    )
    nudges.add_argument("--json", action="store_true", help="print JSON")
    forget = commands.add_parser(
        "forget", help="erase everything held about a person, as their 'forget me' does"
    )
    forget.add_argument("person", help="the person's Entra object id")
    forget.add_argument("--json", action="store_true", help="print what was erased as JSON")
    summary = commands.add_parser(
        "summary", help="the team summary a manager would get (exit status 3 if they manage no one)"
    )
    summary.add_argument("--manager", required=True, help="the manager's Entra object id")
    summary.add_argument("--json", action="store_true", help="print JSON")
    summary.add_argument("--language", choices=("en", "fi"), default="en", help="language of the text")
    manifest = commands.add_parser("manifest", help="write the Teams app package (zip) for upload")
    manifest.add_argument("--bot-id", help="the bot's Microsoft App ID (default: MicrosoftAppId)")
    manifest.add_argument("--out", help="where to write the zip (default: SEULA_DATA_DIR/seula-app.zip)")
    manifest.add_argument("--json", action="store_true", help="print JSON")
    return parser


if __name__ == "__main__":
    sys.exit(main())
