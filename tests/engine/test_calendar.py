"""Business calendar: due dates, working hours, holidays, DST and config parsing.

Holiday facts used below (holidays 0.109, TR): 2026-10-29 (Thu) Republic Day;
Kurban Bayramı 2026-05-27..30 (Wed-Sat) with a half-day eve on 05-26 that is
not a holiday; Ramazan Bayramı 2026-03-20..22 (Fri-Sun); 2027-01-01 (Fri).
Berlin DST 2026: clocks go forward Sun 03-29, back Sun 10-25.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from opsdesk.engine.calendar import BusinessCalendar, _public_holidays

IST = ZoneInfo("Europe/Istanbul")
BER = ZoneInfo("Europe/Berlin")
UTC = dt.UTC

TR = BusinessCalendar()
BERLIN = BusinessCalendar(timezone="Europe/Berlin", country="DE", subdivision="BE")


def ist(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=IST)  # type: ignore[misc]


def ber(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BER)  # type: ignore[misc]


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --- holidays and business days ------------------------------------------------------------


def test_turkish_public_holidays_by_name() -> None:
    assert TR.holiday_name(dt.date(2026, 10, 29)) == "Republic Day"
    assert TR.holiday_name(dt.date(2026, 5, 27)) == "Eid al-Adha"
    assert TR.holiday_name(dt.date(2026, 3, 20)) == "Eid al-Fitr"
    # Half-day eves (arife) are working days.
    assert TR.holiday_name(dt.date(2026, 5, 26)) is None
    assert TR.holiday_name(dt.date(2026, 10, 28)) is None


def test_is_business_day() -> None:
    assert TR.is_business_day(dt.date(2026, 10, 28))  # Wednesday
    assert not TR.is_business_day(dt.date(2026, 10, 29))  # Republic Day
    assert not TR.is_business_day(dt.date(2026, 10, 31))  # Saturday
    assert [TR.is_business_day(dt.date(2026, 5, d)) for d in range(25, 30)] == [
        True,  # Mon
        True,  # Tue, Kurban Bayramı eve
        False,
        False,
        False,
    ]


def test_extra_holidays_are_company_closures() -> None:
    cal = BusinessCalendar(extra_holidays=(dt.date(2026, 6, 8),))
    assert not cal.is_business_day(dt.date(2026, 6, 8))
    assert cal.holiday_name(dt.date(2026, 6, 8)) == "Company closure"
    assert TR.is_business_day(dt.date(2026, 6, 8))


def test_subdivision_holidays() -> None:
    # Epiphany is a holiday in Bavaria only.
    bavaria = BusinessCalendar(timezone="Europe/Berlin", country="DE", subdivision="BY")
    assert not bavaria.is_business_day(dt.date(2026, 1, 6))
    assert BERLIN.is_business_day(dt.date(2026, 1, 6))


def test_holiday_sets_are_cached_per_year() -> None:
    TR.is_business_day(dt.date(2026, 7, 1))
    hits = _public_holidays.cache_info().hits
    TR.is_business_day(dt.date(2026, 7, 2))
    assert _public_holidays.cache_info().hits == hits + 1


def test_local_date_uses_calendar_timezone() -> None:
    assert TR.local_date(utc(2026, 6, 5, 22, 30)) == dt.date(2026, 6, 6)  # 01:30 in Istanbul
    assert TR.local_date(utc(2026, 6, 5, 20, 59)) == dt.date(2026, 6, 5)


def test_end_of_day_is_utc() -> None:
    assert TR.end_of_day(dt.date(2026, 6, 5)) == utc(2026, 6, 5, 15)
    assert TR.end_of_day(dt.date(2026, 6, 5)).tzinfo is UTC
    assert BERLIN.end_of_day(dt.date(2026, 3, 27)) == utc(2026, 3, 27, 17)  # CET
    assert BERLIN.end_of_day(dt.date(2026, 3, 30)) == utc(2026, 3, 30, 16)  # CEST


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        TR.local_date(dt.datetime(2026, 6, 5, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        TR.add_business_hours(dt.datetime(2026, 6, 5, 10), 1)


# --- add_business_days ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Weekends.
        (ist(2026, 6, 5, 15), 2, utc(2026, 6, 9, 15)),  # Fri 15:00 -> Tue 18:00
        (ist(2026, 6, 8, 10), 2, utc(2026, 6, 10, 15)),  # Mon 10:00 -> Wed 18:00
        (ist(2026, 6, 6, 11), 2, utc(2026, 6, 9, 15)),  # Sat -> Tue 18:00
        (ist(2026, 6, 8, 23, 59), 1, utc(2026, 6, 9, 15)),  # late Mon -> Tue
        # Republic Day (Thu 29 Oct): Fri is the 1st business day, Mon the 2nd.
        (ist(2026, 10, 28, 10), 1, utc(2026, 10, 30, 15)),
        (ist(2026, 10, 28, 10), 2, utc(2026, 11, 2, 15)),
        # Kurban Bayramı Wed 27 - Sat 30 May: the eve (Tue 26) still counts.
        (ist(2026, 5, 25, 10), 1, utc(2026, 5, 26, 15)),
        (ist(2026, 5, 25, 10), 2, utc(2026, 6, 1, 15)),
        (ist(2026, 5, 26, 10), 1, utc(2026, 6, 1, 15)),
        # Ramazan Bayramı Fri 20 - Sun 22 March.
        (ist(2026, 3, 19, 9, 30), 1, utc(2026, 3, 23, 15)),
        # New Year 2027 on a Friday, across the year boundary.
        (ist(2026, 12, 31, 12), 1, utc(2027, 1, 4, 15)),
        # Start given in UTC: Fri 22:30 UTC is already Saturday in Istanbul.
        (utc(2026, 6, 5, 22, 30), 2, utc(2026, 6, 9, 15)),
        (utc(2026, 6, 5, 20, 30), 2, utc(2026, 6, 9, 15)),  # Fri 23:30 local
        # Zero days: end of the start day if it is a business day, else of the next one.
        (ist(2026, 6, 8, 10), 0, utc(2026, 6, 8, 15)),
        (ist(2026, 6, 8, 20), 0, utc(2026, 6, 8, 15)),  # already past, still that day
        (ist(2026, 6, 6, 10), 0, utc(2026, 6, 8, 15)),  # Saturday -> Monday
        (ist(2026, 10, 29, 10), 0, utc(2026, 10, 30, 15)),  # holiday -> Friday
    ],
)
def test_add_business_days_istanbul(start: dt.datetime, days: int, due: dt.datetime) -> None:
    result = TR.add_business_days(start, days)
    assert result == due
    assert result.tzinfo is UTC


def test_add_business_days_skips_company_closures() -> None:
    cal = BusinessCalendar(extra_holidays=(dt.date(2026, 6, 8),))
    assert cal.add_business_days(ist(2026, 6, 5, 15), 2) == utc(2026, 6, 10, 15)


def test_add_business_days_over_berlin_dst_weekend() -> None:
    # Due Monday 18:00 CEST, which is 16:00 UTC (Friday's end was 17:00 UTC).
    assert BERLIN.add_business_days(ber(2026, 3, 27, 12), 1) == utc(2026, 3, 30, 16)
    assert BERLIN.add_business_days(ber(2026, 10, 23, 12), 1) == utc(2026, 10, 26, 17)


def test_add_business_days_rejects_negative() -> None:
    with pytest.raises(ValueError, match="days must be >= 0"):
        TR.add_business_days(ist(2026, 6, 8, 10), -1)


def test_business_days_between() -> None:
    # (Tue 27 Oct, Mon 2 Nov]: Wed, [Thu holiday], Fri, [weekend], Mon.
    assert TR.business_days_between(dt.date(2026, 10, 27), dt.date(2026, 11, 2)) == 3
    assert TR.business_days_between(dt.date(2026, 12, 31), dt.date(2027, 1, 4)) == 1
    assert TR.business_days_between(dt.date(2026, 6, 8), dt.date(2026, 6, 8)) == 0
    assert TR.business_days_between(dt.date(2026, 6, 10), dt.date(2026, 6, 8)) == 0


# --- working hours -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (ist(2026, 6, 8, 9), True),
        (ist(2026, 6, 8, 17, 59), True),
        (ist(2026, 6, 8, 18), False),
        (ist(2026, 6, 8, 8, 59), False),
        (ist(2026, 6, 6, 12), False),  # Saturday
        (ist(2026, 10, 29, 12), False),  # Republic Day
        (utc(2026, 6, 8, 6), True),  # 09:00 in Istanbul
    ],
)
def test_is_working_time(moment: dt.datetime, working: bool) -> None:
    assert TR.is_working_time(moment) is working


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (ist(2026, 6, 8, 11, 15), utc(2026, 6, 8, 8, 15)),  # inside: unchanged
        (ist(2026, 6, 8, 7), utc(2026, 6, 8, 6)),  # early morning -> 09:00 same day
        (ist(2026, 6, 8, 18), utc(2026, 6, 9, 6)),  # at closing -> next morning
        (ist(2026, 6, 5, 19), utc(2026, 6, 8, 6)),  # Friday evening -> Monday
        (ist(2026, 10, 28, 18, 30), utc(2026, 10, 30, 6)),  # over Republic Day
    ],
)
def test_next_working_moment(moment: dt.datetime, expected: dt.datetime) -> None:
    result = TR.next_working_moment(moment)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (ist(2026, 6, 8, 10), 3, utc(2026, 6, 8, 10)),  # same day, 13:00 local
        (ist(2026, 6, 8, 9), 9, utc(2026, 6, 8, 15)),  # exactly fills the day: 18:00, not 09:00
        (ist(2026, 6, 8, 9), 20, utc(2026, 6, 10, 8)),  # 9 + 9 + 2 -> Wed 11:00
        (ist(2026, 6, 9, 20), 1, utc(2026, 6, 10, 7)),  # overnight -> Wed 10:00
        (ist(2026, 6, 5, 16), 4, utc(2026, 6, 8, 8)),  # Fri 2h + Mon 2h -> Mon 11:00
        (ist(2026, 6, 6, 12), 1.5, utc(2026, 6, 8, 7, 30)),  # Saturday -> Mon 10:30
        (ist(2026, 6, 6, 12), 0, utc(2026, 6, 8, 6)),  # zero hours -> next working moment
        (ist(2026, 10, 28, 17), 3, utc(2026, 10, 30, 8)),  # Wed 1h, Thu holiday, Fri 11:00
        (ist(2026, 6, 8, 10), 0.25, utc(2026, 6, 8, 7, 15)),
    ],
)
def test_add_business_hours_istanbul(start: dt.datetime, hours: float, due: dt.datetime) -> None:
    result = TR.add_business_hours(start, hours)
    assert result == due
    assert result.tzinfo is UTC


def test_add_business_hours_over_berlin_dst_weekends() -> None:
    # Fri 17:00 CET + 2h -> Mon 10:00 CEST (08:00 UTC).
    assert BERLIN.add_business_hours(ber(2026, 3, 27, 17), 2) == utc(2026, 3, 30, 8)
    # Fri 17:00 CEST + 2h -> Mon 10:00 CET (09:00 UTC).
    assert BERLIN.add_business_hours(ber(2026, 10, 23, 17), 2) == utc(2026, 10, 26, 9)


def test_business_hours_are_real_elapsed_time_across_dst() -> None:
    # A night shift, every day: the 00:00-06:00 window lasts 5 real hours on the
    # spring-forward night and 7 on the fall-back night.
    night = BusinessCalendar(
        timezone="Europe/Berlin",
        country="DE",
        working_days=(0, 1, 2, 3, 4, 5, 6),
        day_start=dt.time(0, 0),
        day_end=dt.time(6, 0),
    )
    spring = ber(2026, 3, 29, 0)  # 23:00 UTC on the 28th
    assert night.add_business_hours(spring, 5) == utc(2026, 3, 29, 4)  # 06:00 CEST
    assert night.add_business_hours(spring, 5.5) == utc(2026, 3, 29, 22, 30)  # Mon 00:30 CEST
    autumn = ber(2026, 10, 25, 0)  # 22:00 UTC on the 24th
    assert night.add_business_hours(autumn, 6.5) == utc(2026, 10, 25, 4, 30)  # 05:30 CET
    assert night.add_business_hours(autumn, 7) == utc(2026, 10, 25, 5)  # 06:00 CET
    assert night.add_business_hours(autumn, 7.5) == utc(2026, 10, 25, 23, 30)  # Mon 00:30 CET


def test_add_business_hours_rejects_negative() -> None:
    with pytest.raises(ValueError, match="hours must be >= 0"):
        TR.add_business_hours(ist(2026, 6, 8, 10), -0.5)


# --- configuration -------------------------------------------------------------------------


def test_from_dict_round_trip() -> None:
    data = {
        "timezone": "Europe/Berlin",
        "country": "DE",
        "subdivision": "BE",
        "working_days": [0, 1, 2, 3],
        "day_start": "08:30",
        "day_end": "17:00",
        "extra_holidays": ["2026-12-24", "2026-12-31"],
    }
    cal = BusinessCalendar.from_dict(data)
    assert cal == BusinessCalendar(
        timezone="Europe/Berlin",
        country="DE",
        subdivision="BE",
        working_days=(0, 1, 2, 3),
        day_start=dt.time(8, 30),
        day_end=dt.time(17, 0),
        extra_holidays=(dt.date(2026, 12, 24), dt.date(2026, 12, 31)),
    )
    assert cal.to_dict() == data
    assert BusinessCalendar.from_dict(cal.to_dict()) == cal


def test_from_dict_defaults_and_normalisation() -> None:
    assert BusinessCalendar.from_dict({}) == BusinessCalendar()
    cal = BusinessCalendar.from_dict(
        {"working_days": [4, 0, 0], "extra_holidays": ["2026-06-09", "2026-06-08"]}
    )
    assert cal.working_days == (0, 4)
    assert cal.extra_holidays == (dt.date(2026, 6, 8), dt.date(2026, 6, 9))
    assert BusinessCalendar().to_dict() == {
        "timezone": "Europe/Istanbul",
        "country": "TR",
        "subdivision": None,
        "working_days": [0, 1, 2, 3, 4],
        "day_start": "09:00",
        "day_end": "18:00",
        "extra_holidays": [],
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"workdays": [0]}, "Unknown business calendar key 'workdays'"),
        ({"timezone": "Mars/Olympus"}, "Unknown timezone 'Mars/Olympus'"),
        ({"timezone": "../etc/passwd"}, "Unknown timezone"),
        ({"country": "XX"}, "Unknown country 'XX'"),
        ({"country": "tr"}, "Unknown country 'tr'"),
        ({"country": "TUR"}, "alpha-2"),
        ({"country": "DE", "subdivision": "ZZ"}, "Unknown subdivision 'ZZ' for country 'DE'"),
        ({"day_start": "9am"}, "day_start must be a time like '09:00'"),
        ({"day_start": "18:00", "day_end": "09:00"}, "must be before day_end"),
        ({"working_days": [0, 7]}, "working_days must be a non-empty list"),
        ({"working_days": []}, "working_days must be a non-empty list"),
        ({"working_days": "0-4"}, "working_days must be a list"),
        ({"extra_holidays": ["2026-13-01"]}, "extra_holidays entries must be ISO dates"),
        ({"timezone": 3}, "timezone must be a string"),
    ],
)
def test_from_dict_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        BusinessCalendar.from_dict(data)
