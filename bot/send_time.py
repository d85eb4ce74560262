"""When a weekly message goes out: a weekday and hour on each person's own wall clock, whatever DST does."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def is_timezone(name: str) -> bool:
    """True for an IANA timezone name this machine knows (`Europe/Helsinki`), False for anything else."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def next_weekly_send_time(
    timezone: str | None, weekday: int, hour: int, now: datetime, default_timezone: str = "Europe/Helsinki"
) -> datetime:
    """The first moment at or after `now` that is `weekday` (Monday 0) at `hour`:00 in `timezone`, in UTC.

    An unknown or missing timezone falls back to `default_timezone`. On the night clocks go forward an hour
    that doesn't exist is taken at the same offset as the hour before (02:30 becomes 03:30 summer time); on
    the night they go back, the first of the two identical hours is used.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(timezone if timezone and is_timezone(timezone) else default_timezone)
    local_today = now.astimezone(zone).date()
    days_ahead = (weekday - local_today.weekday()) % 7
    for week in range(2):
        day = local_today + timedelta(days=days_ahead + 7 * week)
        # fold=0 picks the earlier of two repeated hours, and the pre-transition offset for a skipped one.
        moment = datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)
        if moment >= now:
            return moment
    raise AssertionError("unreachable: next week's send time is always after now")
