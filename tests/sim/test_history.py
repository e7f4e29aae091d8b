"""Calibration from history (opsdesk.sim.history, `simulate --from-history`): exact
figures for a hand-built week of onboarding cases."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command

from opsdesk.cases.models import Case, PlaybookVersion, TimelineEvent
from opsdesk.common import clock
from opsdesk.comms.models import Message
from opsdesk.customers.models import Customer
from opsdesk.playbook.loader import load_file
from opsdesk.sim.history import HistoryError, scenario_from_history
from opsdesk.sim.scenario import Scenario, load_scenario_file
from opsdesk.tasks.models import Task

pytestmark = pytest.mark.django_db

PLAYBOOK_FILE = Path(__file__).resolve().parents[2] / "playbooks" / "customer-onboarding.yaml"
ONBOARDING = load_file(PLAYBOOK_FILE)
IST = "Europe/Istanbul"  # UTC+3 all year
UTC = dt.UTC
M = dt.timedelta(minutes=1)
# Monday 9 November 2026, 00:00 in Istanbul: the window is the week before.
NOW = dt.datetime(2026, 11, 8, 21, 0, tzinfo=UTC)
WEEK_AGO = NOW - dt.timedelta(days=7)  # Monday 2 November, 00:00 in Istanbul
MONDAY_9 = dt.datetime(2026, 11, 2, 6, 0, tzinfo=UTC)  # 09:00 in Istanbul
TUESDAY_14 = dt.datetime(2026, 11, 3, 11, 30, tzinfo=UTC)  # 14:30 in Istanbul

_seq = itertools.count(1)


def make_case(
    version: Any, opened_at: dt.datetime, language: str, service_type: str | None = None
) -> Case:
    n = next(_seq)
    customer = Customer.objects.create(
        given_name=f"C{n}",
        family_name="Test",
        language=language,
        created_at=opened_at,
        updated_at=opened_at,
    )
    fields = {} if service_type is None else {"service_type": service_type}
    return Case.objects.create(
        number=f"ONB-2026-{n:06d}",
        customer=customer,
        playbook=version,
        state="intake",
        fields=fields,
        opened_at=opened_at,
        updated_at=opened_at,
    )


def sent(case: Case, channel: str, at: dt.datetime, status: str = "DELIVERED") -> Message:
    return Message.objects.create(
        customer=case.customer,
        case=case,
        channel=channel,
        direction="OUTBOUND",
        body="Hello",
        status=status,
        actor="system",
        created_at=at - M,  # queued a minute earlier: the delay counts from sent_at
        sent_at=at,
        updated_at=at,
    )


def row(case: Case, type_: str, at: dt.datetime, **payload: Any) -> None:
    TimelineEvent.objects.create(
        customer=case.customer, case=case, type=type_, actor="system", payload=payload, at=at
    )


def replied(case: Case, channel: str, at: dt.datetime, intent: str | None) -> None:
    row(case, "CUSTOMER_REPLIED", at, channel=channel, intent=intent, text="", payload="")


def task(
    case: Case, key: str, created: dt.datetime, minutes: float | None, status: str = "DONE"
) -> None:
    Task.objects.create(
        customer=case.customer,
        case=case,
        key=key,
        title=key or "Call back",
        status=status,
        created_at=created,
        completed_at=None if minutes is None else created + minutes * M,
    )


@pytest.fixture
def history(onboarding: Any, staff: Any) -> list[Case]:
    """Three cases on Monday 09:xx and one on Tuesday 14:xx (Istanbul), with their
    messages, answers and tasks; and cases that must not count."""
    c1 = make_case(onboarding, MONDAY_9 + 10 * M, "tr", "immigration")
    c2 = make_case(onboarding, MONDAY_9 + 20 * M, "tr", "immigration")
    c3 = make_case(onboarding, MONDAY_9 + 40 * M, "en", "insurance")
    c4 = make_case(onboarding, TUESDAY_14, "tr", "insurance")
    row(c4, "FIELD_SET", TUESDAY_14 + M, field="service_type", value="insurance")  # changed
    t = TUESDAY_14 + 60 * M
    # WhatsApp: 4 messages reached the customer, 2 answered after 30 and 90 minutes.
    sent(c1, "WHATSAPP", t)
    replied(c1, "WHATSAPP", t + 30 * M, "confirm")
    sent(c2, "WHATSAPP", t)
    replied(c2, "WHATSAPP", t + 90 * M, "reschedule")
    sent(c3, "WHATSAPP", t)
    sent(c3, "WHATSAPP", t + 60 * M)  # the first is unanswered when a second follows
    sent(c4, "WHATSAPP", t, status="FAILED")  # never reached the customer
    sent(c4, "SMS", t)  # unanswered
    # An email answer (no email was sent, so no EMAIL channel) and an unread one.
    replied(c3, "EMAIL", t + 200 * M, "confirm")
    replied(c4, "EMAIL", t + 10 * M, None)
    # Tasks: two completed (10 and 20 minutes); open and manual ones do not count.
    task(c1, "intake", t, 10)
    task(c2, "follow_up", t, 20)
    task(c3, "intake", t, None, status="OPEN")
    task(c4, "", t, 100)
    # Outside the window, and another playbook's case inside it.
    old = make_case(onboarding, WEEK_AGO - M, "de", "insurance")
    sent(old, "WHATSAPP", t)
    task(old, "intake", t, 500)
    other = PlaybookVersion.objects.create(
        key="other", version=1, title="Other", source="", sha256="", loaded_at=NOW
    )
    make_case(other, MONDAY_9, "de")
    return [c1, c2, c3, c4]


EXPECTED: dict[str, Any] = {
    "days": 28,
    "start": "2026-11-08T21:00:00+00:00",
    "seed": 0,
    "arrivals": {"by_hour": {0: {9: 3.0}, 1: {14: 1.0}}, "timezone": IST},
    "fields": {"service_type": {"immigration": 0.6667, "insurance": 0.3333}},
    "customer": {
        "language": {"tr": 0.75, "en": 0.25},
        "channels": {
            "SMS": {"reply_probability": 0.0},
            "WHATSAPP": {"reply_probability": 0.5, "mean_delay_minutes": 60.0},
        },
        "intents": {"confirm": 0.6667, "reschedule": 0.3333},
    },
    "agents": [
        {"team": "Istanbul", "count": 3, "languages": ["en", "tr"]},
        {"team": "Izmir", "count": 1, "languages": ["en"]},
    ],
    "handling": {"default": 15.0, "follow_up": 20.0, "intake": 10.0},
}


def test_the_figures_come_from_the_weeks_cases(history: list[Case]) -> None:
    data = scenario_from_history(
        "customer-onboarding", since=WEEK_AGO, until=NOW, timezone=IST, playbook=ONBOARDING
    )
    assert data == EXPECTED
    scenario = Scenario.model_validate(data)
    assert scenario.arrivals.by_hour == {0: {9: 3.0}, 1: {14: 1.0}}
    assert scenario.customer.channels["WHATSAPP"].reply_probability == 0.5


def test_rates_are_per_hour_of_the_window(history: list[Case]) -> None:
    # Two weeks hold two Monday 09:00 hours: three cases are 1.5 an hour.
    data = scenario_from_history(
        "customer-onboarding",
        since=NOW - dt.timedelta(days=14),
        until=NOW,
        timezone=IST,
    )
    assert data["arrivals"]["by_hour"] == {0: {9: 1.5}, 1: {14: 0.5}, 6: {23: 0.5}}
    assert "fields" not in data  # no playbook given: no choice fields to read
    # The case opened a minute before the week now counts: German, and its task.
    assert data["customer"]["language"] == {"tr": 0.6, "en": 0.2, "de": 0.2}
    assert data["handling"] == {"default": 176.67, "follow_up": 20.0, "intake": 255.0}
    # In UTC the Monday cases were opened at 06:xx.
    utc = scenario_from_history("customer-onboarding", since=WEEK_AGO, until=NOW, timezone="UTC")
    assert utc["arrivals"]["by_hour"] == {0: {6: 3.0}, 1: {11: 1.0}}


def test_no_case_in_the_window_is_an_error(history: list[Case]) -> None:
    with pytest.raises(HistoryError, match="no 'customer-onboarding' case was opened"):
        scenario_from_history(
            "customer-onboarding", since=NOW - dt.timedelta(days=3), until=NOW, timezone=IST
        )


@pytest.fixture
def at_now() -> Any:
    clock.set_now(NOW)
    yield
    clock.set_now(None)


def test_the_command_writes_the_scenario_and_runs(
    history: list[Case], at_now: None, tmp_path: Path
) -> None:
    out_yaml = tmp_path / "calibrated.yaml"
    out = io.StringIO()
    call_command(
        "simulate",
        str(PLAYBOOK_FILE),
        from_history=True,
        history_days=7,
        write_scenario=str(out_yaml),
        json=True,
        stdout=out,
    )
    assert yaml.safe_load(out_yaml.read_text(encoding="utf-8")) == EXPECTED
    assert out_yaml.read_text(encoding="utf-8").startswith("# Calibrated from")
    assert load_scenario_file(out_yaml).days == 28  # a manager can edit and reload it
    result = json.loads(out.getvalue())
    assert result["cases"]["arrived"] > 0


def test_compare_runs_with_a_calibrated_scenario(history: list[Case], at_now: None) -> None:
    out = io.StringIO()
    path = str(PLAYBOOK_FILE)
    call_command("simulate", path, from_history=True, compare=path, runs=2, json=True, stdout=out)
    assert json.loads(out.getvalue())["runs"] == 2


def test_no_history_exits_with_the_problem_and_writes_nothing(
    onboarding: Any, staff: Any, at_now: None, tmp_path: Path
) -> None:
    out_yaml = tmp_path / "calibrated.yaml"
    with pytest.raises(CommandError, match="no 'customer-onboarding' case was opened"):
        call_command(
            "simulate",
            str(PLAYBOOK_FILE),
            "--from-history",
            "--write-scenario",
            str(out_yaml),
            stdout=io.StringIO(),
        )
    assert not out_yaml.exists()


def test_without_from_history_a_scenario_is_needed() -> None:
    with pytest.raises(CommandError, match="give --scenario, or --from-history"):
        call_command("simulate", str(PLAYBOOK_FILE), stdout=io.StringIO())


def test_a_given_scenario_keeps_its_agents_and_other_keys(
    history: list[Case], at_now: None, tmp_path: Path
) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(
        """
days: 2
start: 2026-11-09T09:00:00+03:00
seed: 7
arrivals: {per_hour: 9, stop_after_days: 1}
fields: {service_type: immigration}
customer:
  language: {de: 1}
  documents: [Passport (all pages)]
agents: [{team: Night, count: 5, languages: [de]}]
handling: {default: 99}
handling_distribution: fixed
""",
        encoding="utf-8",
    )
    out_yaml = tmp_path / "calibrated.yaml"
    call_command(
        "simulate",
        str(PLAYBOOK_FILE),
        scenario=str(base),
        from_history=True,
        history_days=7,
        write_scenario=str(out_yaml),
        stdout=io.StringIO(),
    )
    data = yaml.safe_load(out_yaml.read_text(encoding="utf-8"))
    assert data["agents"] == [{"team": "Night", "count": 5, "languages": ["de"]}]
    assert (data["days"], data["seed"], data["handling_distribution"]) == (2, 7, "fixed")
    assert data["fields"] == {"service_type": "immigration"}
    assert data["arrivals"] == {"stop_after_days": 1, **EXPECTED["arrivals"]}
    assert data["customer"] == {"documents": ["Passport (all pages)"], **EXPECTED["customer"]}
    assert data["handling"] == EXPECTED["handling"]


def test_cases_that_came_with_orders_give_the_usual_order(service_desk: Any) -> None:
    from opsdesk.orders.models import ServiceOrder

    for n, customer_type in enumerate(["business", "residential", "business"]):
        case = make_case(service_desk.version, MONDAY_9 + n * M, "tr")
        ServiceOrder.objects.create(
            channel=service_desk.channel,
            external_ref=f"R-{n}",
            customer=case.customer,
            service_type="fiber_install",
            customer_type=customer_type,
            city="İstanbul",
            postcode=f"3471{n}",
            latitude=40.98,
            longitude=29.06 + n / 100,
            documents=[{"type": "id_card", "valid_until": "2030-01-01"}],
            status="ACCEPTED",
            case=case,
            received_at=case.opened_at,
            updated_at=case.opened_at,
        )
    make_case(service_desk.version, TUESDAY_14, "tr")  # 3 of 4 came with an order
    data = scenario_from_history("service-order", since=WEEK_AGO, until=NOW, timezone=IST)
    # The usual customer type, where the latest such order was and what it carried.
    usual = {
        "customer_type": "business",
        "city": "İstanbul",
        "postcode": "34712",
        "latitude": 40.98,
        "longitude": 29.08,
        "documents": [{"type": "id_card", "valid_until": "2030-01-01"}],
    }
    assert data["order"] == usual
    assert Scenario.model_validate(data).order == usual
