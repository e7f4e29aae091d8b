"""The customer link's fixtures: the service-order desk and an order whose visit
is booked for Tuesday 3 November 2026, 09:00–11:00 in Istanbul (06:00 UTC),
with the clock at Wednesday 28 October 2026, 10:00 in Istanbul."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.portal.helpers import confirm, install_desk, receive_order

VISIT = dt.datetime(2026, 11, 3, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def desk(db: Any) -> Any:
    return install_desk()


@pytest.fixture
def visit(desk: Any, frozen_clock: Any) -> Any:
    """The case, `scheduled`, its visit booked at VISIT."""
    case = confirm(receive_order(desk, "TS-1"), VISIT)
    assert case.state == "scheduled"
    return case
