"""Parts, stock locations and technicians: created, or refused field by field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from opsdesk.common.errors import ValidationFailed
from opsdesk.field.models import Part, StockLocation, Technician
from opsdesk.field.services import location_create, part_create, technician_create
from tests.field.conftest import ACTOR

pytestmark = pytest.mark.django_db


def test_the_fixture_objects(field: Any) -> None:
    assert (field.modem.unit_price, field.modem.currency) == (Decimal("1250.00"), "EUR")
    assert Part.objects.get(sku="FLT-10").unit_price == Decimal("85.50")
    assert field.ali.pk.startswith("tech_") and field.ali_van.pk.startswith("stk_")
    assert field.ali.skills == ["boiler", "fiber-splice"]
    assert (field.ali.shift_start, field.ali.shift_end) == (dt.time(8), dt.time(18))
    assert (field.can.shift_start, field.can.shift_end) == (dt.time(7), dt.time(15))
    assert field.ali.van == field.ali_van
    assert field.warehouse.technician is None


def test_part_create_refuses_floats_and_bad_values(field: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        part_create(sku="FLT-10", name=" ", unit_price=9.99, currency="lira", actor=ACTOR)
    assert exc.value.errors == {
        "name": ["required"],
        "unit_price": ["a Decimal or a string such as '12.50', never a float"],
        "currency": ["a 3-letter ISO 4217 code such as TRY or EUR"],
    }
    with pytest.raises(ValidationFailed) as exc:
        part_create(sku="FLT-10", name="Again", unit_price="1.005", actor=ACTOR)
    assert exc.value.errors == {"unit_price": ["at most 2 decimal places"]}
    with pytest.raises(ValidationFailed) as exc:
        part_create(sku="FLT-10", name="Again", unit_price="1", actor=ACTOR)
    assert exc.value.errors == {"sku": ["a part with SKU FLT-10 exists"]}
    assert Part.objects.count() == 3


def test_location_create_refuses_bad_combinations(field: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        location_create(kind="WAREHOUSE", name="Ikitelli", latitude=100.0, actor=ACTOR)
    assert exc.value.errors == {
        "latitude": ["must be between -90 and 90, got 100.0"],
        "longitude": ["a number between -180 and 180"],
        "name": ["a stock location named 'Ikitelli' exists"],
    }
    with pytest.raises(ValidationFailed) as exc:
        location_create(
            kind="VAN", name="Second van", technician=field.ali, latitude=41.0, actor=ACTOR
        )
    assert exc.value.errors == {
        "latitude": ["a van has no fixed coordinates"],
        "technician": ["Ayşe Yılmaz already has a van"],
    }
    with pytest.raises(ValidationFailed) as exc:
        location_create(kind="SHED", name="Shed", actor=ACTOR)
    assert exc.value.errors == {"kind": ["one of WAREHOUSE, VAN"]}
    assert StockLocation.objects.count() == 4


def test_technician_create_refuses_bad_input(field: Any, staff: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        technician_create(
            staff.ayse,
            home_latitude=41.0,
            home_longitude=-200.0,
            skills=["boiler", 3],
            shift_start=dt.time(18),
            shift_end=dt.time(8),
            actor=ACTOR,
        )
    assert exc.value.errors == {
        "home_longitude": ["must be between -180 and 180, got -200.0"],
        "skills": ["skills are slugs (lowercase letters, digits, dashes); not 3"],
        "shift_end": ["must be after the shift start 18:00"],
        "agent": ["Ayşe Yılmaz is already a technician"],
    }
    assert Technician.objects.count() == 2
