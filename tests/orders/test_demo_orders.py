"""The service-order demo data: every stage of the SOP is there once the demo is seeded."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from opsdesk.cases.models import Case
from opsdesk.cases.playbooks import playbook_install
from opsdesk.orders.demo import ORDERS, seed_service_orders
from opsdesk.orders.models import HandBack, ServiceOrder

pytestmark = pytest.mark.django_db
PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "service-order.yaml"
NOW = dt.datetime(2026, 11, 20, 13, 0, tzinfo=dt.UTC)  # a Friday afternoon


def test_the_demo_orders_reach_every_stage(frozen_clock: Any) -> None:
    playbook_install(PLAYBOOK.read_text())
    frozen_clock.set_now(NOW)
    tokens = seed_service_orders("pw-demo-123", NOW)
    assert set(tokens) == {"telesales", "partner-portal", "email-desk"}
    assert ServiceOrder.objects.count() == len(ORDERS)
    statuses = Counter(ServiceOrder.objects.values_list("status", flat=True))
    assert statuses == {"ACCEPTED": 11, "HANDED_BACK": 2, "EXCEPTION": 2, "INELIGIBLE": 2}
    states = Counter(Case.objects.values_list("state", flat=True))
    assert states == {
        "closed": 1,
        "scheduled": 4,
        "lost": 1,
        "retention": 2,
        "confirming": 5,
    }
    assert HandBack.objects.count() == 4
    by_ref = dict(ServiceOrder.objects.values_list("external_ref", "case__state"))
    assert by_ref == {
        "TS-24001": "closed",  # confirmed, visited, rated 5 with a comment
        "TS-24002": "scheduled",
        "PP-8812": "scheduled",  # "Evet, cuma 14:00 olur"
        "TS-24003": "scheduled",
        "TS-24004": "scheduled",  # rejected, won back by retention
        "PP-8813": "lost",
        "EM-301": "retention",  # no answer: handed back, with retention
        "TS-24005": "retention",
        "PP-8814": "confirming",  # a question nobody could read for sure: an agent's task
        "PP-8815": "confirming",
        "EM-302": "confirming",
        "TS-24006": "confirming",
        "TS-24007": "confirming",
        "TS-24008": None,  # exceptions queue
        "PP-8816": None,
        "TS-24009": None,  # ineligible
        "PP-8817": None,
    }
