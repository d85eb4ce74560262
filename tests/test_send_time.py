"""Weekly send times on each person's wall clock, across daylight saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.send_time import is_timezone, next_weekly_send_time

MON, SUN = 0, 6


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Helsinki is UTC+3 in summer and UTC+2 in winter: 09:00 local moves an hour in UTC, not on the wall.
        (utc(2026, 10, 16, 12), utc(2026, 10, 19, 6)),  # the last Monday of summer time
        (utc(2026, 10, 23, 12), utc(2026, 10, 26, 7)),  # the first Monday after clocks went back
        (utc(2026, 3, 20, 12), utc(2026, 3, 23, 7)),  # the last Monday of winter time
        (utc(2026, 3, 27, 12), utc(2026, 3, 30, 6)),  # the first Monday after clocks went forward
        (utc(2026, 10, 26, 7), utc(2026, 10, 26, 7)),  # exactly at the time: now
        (utc(2026, 10, 26, 7, 0, 1), utc(2026, 11, 2, 7)),  # just after: next week
    ],
)
def test_monday_nine_in_helsinki_across_dst(now: datetime, expected: datetime) -> None:
    assert next_weekly_send_time("Europe/Helsinki", MON, 9, now) == expected


def test_an_hour_that_does_not_exist_is_taken_an_hour_later() -> None:
    # 2026-03-29 03:00-04:00 doesn't happen in Helsinki: 03:00 at winter offset is 04:00 summer time.
    assert next_weekly_send_time("Europe/Helsinki", SUN, 3, utc(2026, 3, 28)) == utc(2026, 3, 29, 1)


def test_an_hour_that_happens_twice_is_taken_the_first_time() -> None:
    assert next_weekly_send_time("Europe/Helsinki", SUN, 3, utc(2026, 10, 24)) == utc(2026, 10, 25, 0)


def test_each_person_gets_their_own_wall_clock() -> None:
    now = utc(2026, 11, 27, 12)
    assert next_weekly_send_time("America/New_York", MON, 9, now) == utc(2026, 11, 30, 14)
    assert next_weekly_send_time("Asia/Kolkata", MON, 9, now) == utc(2026, 11, 30, 3, 30)


@pytest.mark.parametrize("unknown", [None, "", "Mars/Olympus_Mons", "../../etc/passwd"])
def test_an_unknown_timezone_falls_back_to_the_default(unknown: str | None) -> None:
    now = utc(2026, 11, 27, 12)
    assert next_weekly_send_time(unknown, MON, 9, now, "Europe/Helsinki") == utc(2026, 11, 30, 7)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_weekly_send_time("Europe/Helsinki", MON, 9, datetime(2026, 11, 27))  # noqa: DTZ001


def test_timezone_names_are_checked() -> None:
    assert is_timezone("Europe/Helsinki")
    assert not is_timezone("Europe/Nowhere")
    assert not is_timezone("/etc/localtime")
