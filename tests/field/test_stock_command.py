"""`opsdesk stock receive|transfer|levels`: what it prints, and clear refusals
that exit non-zero and write nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsdesk.field.models import StockLevel, StockMove
from opsdesk.field.selectors import location_stock, stock_balance_ok

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("stock", *args, stdout=out)
    return out.getvalue()


def test_receive_transfer_and_levels(field: Any, frozen_clock: Any) -> None:
    assert run("levels") == "no stock\n"
    assert run("receive", "Ikitelli", "FLT-10", "12", "--note", "PO 4711") == (
        "received 12 of FLT-10 into Ikitelli\n"
    )
    assert run("receive", field.depot.pk, "ONT-1", "3") == "received 3 of ONT-1 into Tuzla\n"
    assert run("transfer", "Ikitelli", "Van 34 ALI 01", "FLT-10", "5") == (
        "moved 5 of FLT-10 from Ikitelli to Van 34 ALI 01 (TRANSFER)\n"
    )
    assert run("transfer", field.ali_van.pk, "Ikitelli", "FLT-10", "1") == (
        "moved 1 of FLT-10 from Van 34 ALI 01 to Ikitelli (RETURNED)\n"
    )
    assert run("levels").splitlines() == [
        "Ikitelli       FLT-10       8  Boiler filter",
        "Tuzla          ONT-1        3  Fiber modem",
        "Van 34 ALI 01  FLT-10       4  Boiler filter",
    ]
    assert run("levels", "Tuzla") == "Tuzla  ONT-1       3  Fiber modem\n"
    assert StockMove.objects.get(note="PO 4711").actor.startswith("cli")
    assert stock_balance_ok()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("receive", "Nowhere", "FLT-10", "1"), "location: no stock location with id or name"),
        (("receive", "Ikitelli", "FLT-10", "two"), "quantity: a whole number above 0, got 'two'"),
        (("receive", "Ikitelli", "FLT-10", "0"), "quantity: a whole number above 0, got '0'"),
        (("receive", "Ikitelli", "NOPE", "1"), "nothing written:\n  sku: no part with SKU 'NOPE'"),
        (
            ("transfer", "Ikitelli", "Ikitelli", "FLT-10", "1"),
            "nothing written:\n  to_location: must differ from the location",
        ),
        (
            ("transfer", "Ikitelli", "Van 34 CAN 02", "FLT-10", "3"),
            "nothing written: not enough stock: Ikitelli has 2 of FLT-10, 3 asked (1 missing)",
        ),
        (("levels", "Nowhere"), "location: no stock location with id or name 'Nowhere'"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    field: Any, frozen_clock: Any, args: tuple[str, ...], message: str
) -> None:
    run("receive", "Ikitelli", "FLT-10", "2")
    before = (list(StockLevel.objects.values_list("pk", "quantity")), StockMove.objects.count())
    with pytest.raises(CommandError) as exc:
        run(*args)
    assert message in str(exc.value)
    assert (
        list(StockLevel.objects.values_list("pk", "quantity")),
        StockMove.objects.count(),
    ) == before
    assert location_stock(field.warehouse) == {"FLT-10": 2}


def test_the_console_command_exits_non_zero(field: Any) -> None:
    # Through the real entry point: CommandError becomes a message and exit status 1.
    from opsdesk.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["stock", "receive", "Ikitelli", "FLT-10", "-3"])
    assert exc.value.code == 1
