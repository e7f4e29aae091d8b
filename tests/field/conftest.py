"""Field fixtures: three parts, a warehouse, two technicians with their vans."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from opsdesk.common.actors import Actor

ACTOR = Actor("user:maria")


@dataclass
class Field:
    warehouse: Any
    depot: Any  # a second warehouse
    ali: Any  # technician (ayse's agent)
    can: Any  # technician (john's agent)
    ali_van: Any
    can_van: Any
    filter: Any  # parts
    valve: Any
    modem: Any


@pytest.fixture
def field(staff: Any) -> Field:
    from opsdesk.field.services import location_create, part_create, technician_create

    ali = technician_create(
        staff.ayse,
        home_latitude=41.0082,
        home_longitude=28.9784,
        skills=["boiler", "fiber-splice"],
        actor=ACTOR,
    )
    can = technician_create(
        staff.john,
        home_latitude=40.9909,
        home_longitude=29.0303,
        skills=["boiler"],
        shift_start=dt.time(7, 0),
        shift_end=dt.time(15, 0),
        actor=ACTOR,
    )
    return Field(
        warehouse=location_create(
            kind="WAREHOUSE", name="Ikitelli", latitude=41.07, longitude=28.80, actor=ACTOR
        ),
        depot=location_create(
            kind="WAREHOUSE", name="Tuzla", latitude=40.82, longitude=29.30, actor=ACTOR
        ),
        ali=ali,
        can=can,
        ali_van=location_create(kind="VAN", name="Van 34 ALI 01", technician=ali, actor=ACTOR),
        can_van=location_create(kind="VAN", name="Van 34 CAN 02", technician=can, actor=ACTOR),
        filter=part_create(sku="FLT-10", name="Boiler filter", unit_price="85.50", actor=ACTOR),
        valve=part_create(sku="VLV-3", name="Gas valve", unit_price=Decimal("420.00"), actor=ACTOR),
        modem=part_create(
            sku="ONT-1", name="Fiber modem", unit_price="1250", currency="eur", actor=ACTOR
        ),
    )


@pytest.fixture
def work_order(field: Field, frozen_clock: Any) -> Any:
    from opsdesk.field.services import work_order_create

    start = dt.datetime(2026, 10, 30, 7, 0, tzinfo=dt.UTC)
    return work_order_create(
        latitude=41.04,
        longitude=29.00,
        address="Büyükdere Cd. 1, Şişli",
        window_start=start,
        window_end=start + dt.timedelta(hours=2),
        duration_minutes=45,
        required_skills=["boiler"],
        required_parts={"FLT-10": 1},
        actor=ACTOR,
    )
