"""What reads beyond one person at scale: team summaries (the organization's digest, then managers'
summaries) and the weekly nudge plan, on a bench store.

The store is one `bench/expertise_speed.py` generated and kept (the tenant's clock stands at its last day):

    python -m bench.expertise_speed --people 10000 --messages 1000000 --engines sqlite \\
        --workdir /tmp/bench --keep --seed 41 --load-only
    python -m bench.org_reads --database-url sqlite:////tmp/bench/p10000_m1000000_s41.db
    python -m bench.org_reads --database-url ... --managers 10 --json
    python -m bench.org_reads --database-url ... --read-year   # also time the old read of a year
    python -m bench.org_reads --database-url ... --nudges      # also time the week's nudge plan

It times `TeamSummaries.digest` (counted once, kept DIGEST_MAX_AGE) and `summarize` for the managers with the
most reports (at least `--min-reports`), with process CPU and peak RSS. `--read-year` also times what each
summary used to read before the digest: every message of the last LOOKBACK, with reactions, into memory.
`--nudges` times `Nudger.plan` (everyone's nudge for the week; the expertise index is built first if the
store has none, and that is timed apart).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from bench.large_tenant import END
from bot.expert_finder import ExpertFinder
from bot.nudger import Nudger
from bot.store import Store
from bot.summaries import LOOKBACK, TeamSummary
from bot.team_summaries import TeamSummaries


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(
    database_url: str, managers: int, min_reports: int, read_year: bool, nudges: bool
) -> dict[str, Any]:
    store = await Store.open(database_url)
    try:
        people = await store.people()
        reports = Counter(p.manager_id for p in people.values() if p.manager_id)
        chosen = [m for m, n in reports.most_common() if n >= min_reports][:managers]
        summaries = TeamSummaries(store, include_indirect_reports=False, clock=lambda: END)
        results: dict[str, Any] = {"people": len(people), "rss_start_mb": round(peak_rss_mb())}
        if read_year:
            started, cpu = time.perf_counter(), time.process_time()
            year = [m async for m in store.iter_messages(since=END - LOOKBACK)]
            results["read_year"] = {
                "messages": len(year),
                "seconds": round(time.perf_counter() - started, 2),
                "cpu_seconds": round(time.process_time() - cpu, 2),
                "peak_rss_mb": round(peak_rss_mb()),
            }
            del year
        started, cpu = time.perf_counter(), time.process_time()
        digest = await summaries.digest()
        results["digest"] = {
            "seconds": round(time.perf_counter() - started, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2),
            "messages_30_days": digest.totals[30],
            "messages_90_days": digest.totals[90],
            "open_questions": len(digest.open),
            "peak_rss_mb": round(peak_rss_mb()),
        }
        timings: list[float] = []
        rows = []
        for manager in chosen:
            started, cpu = time.perf_counter(), time.process_time()
            summary = await summaries.summarize(manager)
            seconds = time.perf_counter() - started
            assert isinstance(summary, TeamSummary)
            timings.append(seconds)
            rows.append(
                {
                    "manager": manager,
                    "reports": reports[manager],
                    "seconds": round(seconds, 3),
                    "cpu_seconds": round(time.process_time() - cpu, 3),
                    "topics": len(summary.topics),
                    "unanswered": len(summary.unanswered),
                    "emerging": len(summary.emerging),
                    "recognitions": len(summary.recognitions),
                    "help_flows": len(summary.helps) + len(summary.relies_on),
                }
            )
        results["summaries"] = rows
        results["summary_seconds"] = {
            "p50": round(statistics.median(timings), 3) if timings else None,
            "max": round(max(timings), 3) if timings else None,
        }
        if nudges:
            finder = ExpertFinder(store, clock=lambda: END)
            started = time.perf_counter()
            await finder.refresh()
            index_seconds = time.perf_counter() - started
            nudger = Nudger(store, finder, True, "en", clock=lambda: END)
            started, cpu = time.perf_counter(), time.process_time()
            planned = await nudger.plan(END)
            results["nudge_plan"] = {
                "index_seconds": round(index_seconds, 1),
                "nudges": len(planned),
                "prompts": sum(len(p.nudge.prompts) for p in planned),
                "seconds": round(time.perf_counter() - started, 1),
                "cpu_seconds": round(time.process_time() - cpu, 1),
                "peak_rss_mb": round(peak_rss_mb()),  # of the whole run: the plan's, unless the digest's
            }
        results["peak_rss_mb"] = round(peak_rss_mb())
        return results
    finally:
        await store.close()


def print_report(results: dict[str, Any]) -> None:
    if "read_year" in results:
        year = results["read_year"]
        print(
            f"read a year (before the digest): {year['messages']:,} messages in {year['seconds']} s, "
            f"peak RSS {year['peak_rss_mb']} MB"
        )
    digest = results["digest"]
    print(
        f"digest: {digest['seconds']} s ({digest['cpu_seconds']} s CPU), "
        f"{digest['messages_90_days']:,} messages in 90 days, {digest['open_questions']:,} open questions, "
        f"peak RSS {digest['peak_rss_mb']} MB"
    )
    for row in results["summaries"]:
        print(
            f"  {row['manager']}: {row['reports']} reports, {row['seconds']} s; topics {row['topics']}, "
            f"open {row['unanswered']}, emerging {row['emerging']}, recognitions {row['recognitions']}, "
            f"help flows {row['help_flows']}"
        )
    if "nudge_plan" in results:
        plan = results["nudge_plan"]
        print(
            f"nudge plan: {plan['nudges']:,} nudges with {plan['prompts']:,} prompts in {plan['seconds']} s "
            f"({plan['cpu_seconds']} s CPU; the index's refresh before it {plan['index_seconds']} s); "
            f"peak RSS by then {plan['peak_rss_mb']} MB"
        )
    timing = results["summary_seconds"]
    print(f"summary p50 {timing['p50']} s, max {timing['max']} s; peak RSS {results['peak_rss_mb']} MB")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="a store bench/expertise_speed.py kept")
    parser.add_argument("--managers", type=int, default=5, help="how many managers' summaries to time")
    parser.add_argument("--min-reports", type=int, default=6)
    parser.add_argument("--read-year", action="store_true", help="also time the old read of a year")
    parser.add_argument("--nudges", action="store_true", help="also time the week's nudge plan")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = asyncio.run(
        measure(args.database_url, args.managers, args.min_reports, args.read_year, args.nudges)
    )
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
