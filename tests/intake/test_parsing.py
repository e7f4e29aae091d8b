"""parse_sheet: an email body read into the intake form (no database)."""

from __future__ import annotations

from opsdesk.intake.parsing import parse_sheet
from opsdesk.playbook.loader import load
from tests.intake.conftest import PLAYBOOK

PB = load(PLAYBOOK)


def test_labels_and_names_case_insensitive() -> None:
    body = (
        "Hello,\n"
        "TYPE OF SERVICE: Visa help\n"
        "travel date (from): 01.12.2026\n"
        "Return_Date: 10/12/2026\n"
        "travellers: 2,5\n"
        "- Notes: window seat: please\n"
        "Thanks, Mehmet\n"
    )
    assert parse_sheet(PB, body) == {
        "service_type": "visa_help",
        "departure": "2026-12-01",
        "return_date": "2026-12-10",
        "travellers": "2.5",
        "notes": "window seat: please",
    }


def test_choices_match_the_value_or_spaces_for_underscores() -> None:
    assert parse_sheet(PB, "service_type: AIRPORT_TRANSFER") == {"service_type": "airport_transfer"}
    assert parse_sheet(PB, "Service type: airport transfer") == {"service_type": "airport_transfer"}


def test_iso_dates() -> None:
    assert parse_sheet(PB, "departure: 2026-12-01") == {"departure": "2026-12-01"}


def test_unknown_and_unreadable_lines_are_skipped() -> None:
    body = (
        "Budget: 2000 EUR\n"  # no such field
        "Type of service: a cruise\n"  # not a choice
        "Departure: next Friday\n"  # not a date
        "Return date: 31.02.2027\n"  # no such day
        "Travellers: many\n"  # not a number
        "> Notes: quoted from our mail\n"  # a quoted line
        "no colon here\n"
    )
    assert parse_sheet(PB, body) == {}


def test_the_first_readable_line_wins() -> None:
    body = "Departure: soon\nDeparture: 02.12.2026\nDeparture: 03.12.2026\n"
    assert parse_sheet(PB, body) == {"departure": "2026-12-02"}


def test_crlf_and_empty_body() -> None:
    assert parse_sheet(PB, "Notes: aisle\r\n") == {"notes": "aisle"}
    assert parse_sheet(PB, "") == {}
