"""Retainers: one invoice per period started (catching up), the day kept from the start,
the priority tier's discount to the cent, nothing billed twice; the worker and the CLI."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from opsdesk.billing.models import Invoice, Retainer
from opsdesk.billing.services import add_months, retainer_create, retainers_bill_due
from opsdesk.common.actors import Actor
from opsdesk.common.errors import ValidationFailed
from opsdesk.customers.models import Customer
from opsdesk.runtime.worker import Worker
from tests.billing.conftest import AGENT

pytestmark = pytest.mark.django_db

D = Decimal
WORKER = Actor("worker")


def monthly(customer: Customer, **changes: Any) -> Retainer:
    values: dict[str, Any] = {
        "description": "Monthly concierge",
        "amount": D("100.00"),
        "currency": "EUR",
        "period": "MONTHLY",
        "starts_on": dt.date(2027, 1, 31),
        "tax_rate": D("0.20"),
    }
    values.update(changes)
    return retainer_create(customer, actor=AGENT, **values)


def periods(retainer: Retainer) -> list[dt.date]:
    return list(retainer.invoices.order_by("period_start").values_list("period_start", flat=True))


def test_the_day_is_kept_from_the_start_and_clamped_to_the_months_end() -> None:
    start = dt.date(2027, 1, 31)
    assert [add_months(start, n) for n in range(5)] == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
        dt.date(2027, 4, 30),
        dt.date(2027, 5, 31),
    ]
    assert add_months(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)  # a leap year


def test_monthly_catch_up_bills_each_started_period_once(customer: Customer) -> None:
    retainer = monthly(customer)
    assert (retainer.discount_percent, retainer.next_bill_on) == (0, dt.date(2027, 1, 31))

    invoices = retainers_bill_due(dt.date(2027, 4, 29), WORKER)
    assert [i.period_start for i in invoices] == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
    ]
    first = invoices[0]
    assert (first.tax, first.total, first.currency, first.source) == (
        D("20.00"),
        D("120.00"),
        "EUR",
        f"retainer:{retainer.pk}",
    )
    line = first.lines.get()
    assert (line.description, line.quantity, line.unit_price, line.amount, line.tax) == (
        "Monthly concierge, 31.01.2027–27.02.2027",
        1,
        D("100.00"),
        D("100.00"),
        D("20.00"),
    )
    retainer.refresh_from_db()
    assert retainer.next_bill_on == dt.date(2027, 4, 30)

    # The period starting on the day itself is due that day: 30 April makes the fourth.
    assert retainers_bill_due(dt.date(2027, 4, 29), WORKER) == []
    assert [i.period_start for i in retainers_bill_due(dt.date(2027, 4, 30), WORKER)] == [
        dt.date(2027, 4, 30)
    ]
    assert retainers_bill_due(dt.date(2027, 4, 30), WORKER) == []  # a rerun bills nothing
    assert periods(retainer) == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
        dt.date(2027, 4, 30),
    ]
    retainer.refresh_from_db()
    assert retainer.next_bill_on == dt.date(2027, 5, 31)


def test_quarterly_bills_one_invoice_a_quarter(customer: Customer) -> None:
    retainer = monthly(customer, period="QUARTERLY", amount=D("900.00"), tax_rate=D("0"))
    invoices = retainers_bill_due(dt.date(2027, 12, 31), WORKER)
    assert [(i.period_start, i.total) for i in invoices] == [
        (dt.date(2027, 1, 31), D("900.00")),
        (dt.date(2027, 4, 30), D("900.00")),
        (dt.date(2027, 7, 31), D("900.00")),
        (dt.date(2027, 10, 31), D("900.00")),
    ]
    retainer.refresh_from_db()
    assert retainer.next_bill_on == dt.date(2028, 1, 31)


def test_a_repeat_clients_discount_is_applied_to_the_cent(customer: Customer) -> None:
    Customer.objects.filter(pk=customer.pk).update(priority_tier="repeat")
    customer.refresh_from_db()
    retainer = monthly(customer, amount=D("123.45"), starts_on=dt.date(2027, 3, 1))
    assert retainer.discount_percent == 10
    (invoice,) = retainers_bill_due(dt.date(2027, 3, 1), WORKER)
    line = invoice.lines.get()
    # 123.45 less 10% is 111.105: 111.11 half up; 20% tax of it is 22.222: 22.22.
    assert (line.unit_price, line.tax, invoice.tax, invoice.total) == (
        D("111.11"),
        D("22.22"),
        D("22.22"),
        D("133.33"),
    )
    corporate = monthly(customer, discount_percent=0)  # given explicitly: no default
    assert corporate.discount_percent == 0


def test_an_inactive_retainer_bills_nothing(customer: Customer) -> None:
    retainer = monthly(customer)
    Retainer.objects.filter(pk=retainer.pk).update(active=False)
    assert retainers_bill_due(dt.date(2027, 6, 30), WORKER) == []
    assert Invoice.objects.count() == 0


def test_a_period_cannot_be_billed_twice(customer: Customer) -> None:
    retainer = monthly(customer)
    (invoice,) = retainers_bill_due(dt.date(2027, 1, 31), WORKER)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(
            number="INV-2027-999999",
            customer=customer,
            currency="EUR",
            total=D("1.00"),
            issued_at=invoice.issued_at,
            issued_by="test",
            retainer=retainer,
            period_start=dt.date(2027, 1, 31),
        )


def test_bad_retainer_is_refused_by_field(customer: Customer) -> None:
    with pytest.raises(ValidationFailed) as exc:
        retainer_create(
            customer,
            description=" ",
            amount=D("-1"),
            currency="eur",
            period="WEEKLY",
            starts_on=dt.date(2027, 1, 1),
            tax_rate=D("1.5"),
            discount_percent=101,
            actor=AGENT,
        )
    assert exc.value.errors == {
        "description": ["1-200 characters"],
        "amount": ["a positive amount, at most 2 decimals"],
        "currency": ["an ISO 4217 code such as EUR"],
        "tax_rate": ["a fraction from 0 to 1, e.g. 0.20"],
        "period": ["MONTHLY or QUARTERLY"],
        "discount_percent": ["a whole number from 0 to 100"],
    }
    assert Retainer.objects.count() == 0


def test_the_worker_bills_once_a_day(customer: Customer, frozen_clock: Any) -> None:
    monthly(customer, starts_on=dt.date(2026, 10, 1))
    worker = Worker()
    worker.run_once()
    assert Invoice.objects.count() == 1  # 1 October; 28 October is the clock's day
    worker.run_once()
    Worker().run_once()  # a restart, or a second worker: nothing twice
    assert Invoice.objects.count() == 1
    frozen_clock.set_now(dt.datetime(2026, 11, 1, 0, 5, tzinfo=dt.UTC))
    worker.run_once()
    assert list(
        Invoice.objects.order_by("period_start").values_list("period_start", flat=True)
    ) == [
        dt.date(2026, 10, 1),
        dt.date(2026, 11, 1),
    ]


def bill(*args: str) -> str:
    out = io.StringIO()
    call_command("retainers", "bill", *args, stdout=out)  # returns: the exit code is 0
    return out.getvalue()


def test_cli_prints_each_invoice_and_exits_0(customer: Customer) -> None:
    monthly(customer)
    out = bill("--date", "2027-02-28").splitlines()
    numbers = list(Invoice.objects.order_by("period_start").values_list("number", flat=True))
    assert out == [
        f"{numbers[0]} Mehmet Kaya 2027-01-31 120.00 EUR",
        f"{numbers[1]} Mehmet Kaya 2027-02-28 120.00 EUR",
        "2 invoice(s) issued as of 2027-02-28",
    ]
    assert bill("--date", "2027-02-28") == "0 invoice(s) issued as of 2027-02-28\n"


def test_cli_bad_date_exits_1_and_bills_nothing(customer: Customer) -> None:
    monthly(customer)
    with pytest.raises(CommandError) as exc:
        bill("--date", "2027-02-30")
    # `opsdesk` prints a CommandError and exits with its returncode.
    assert (str(exc.value), exc.value.returncode) == (
        "--date: a date YYYY-MM-DD, got '2027-02-30'",
        1,
    )
    assert Invoice.objects.count() == 0


def test_each_retainer_invoice_is_emailed_with_its_pdf(customer: Customer) -> None:
    from django.core.files.storage import default_storage

    from opsdesk.comms.models import Message
    from opsdesk.runtime.models import OutboxItem

    monthly(customer)
    invoices = retainers_bill_due(dt.date(2027, 2, 28), WORKER)
    assert len(invoices) == 2
    sent = Message.objects.filter(customer=customer, subject__startswith="Invoice ").order_by(
        "subject"
    )
    assert [(m.channel, m.to_address, m.subject, m.status) for m in sent] == [
        ("EMAIL", "mehmet@example.com", f"Invoice {i.number}", "QUEUED") for i in invoices
    ]
    for message, invoice in zip(sent, invoices, strict=True):
        assert f"{invoice.total:.2f} EUR" in message.body
        (attachment,) = message.attachments
        assert attachment["name"] == f"{invoice.number}.pdf"
        with default_storage.open(attachment["storage_path"]) as f:
            assert f.read(5) == b"%PDF-"
        assert OutboxItem.objects.filter(kind="message.send", message=message).count() == 1


def test_a_customer_without_email_gets_the_invoice_but_no_message(customer: Customer) -> None:
    from opsdesk.comms.models import Message

    Customer.objects.filter(pk=customer.pk).update(email="")
    customer.refresh_from_db()
    monthly(customer)
    assert len(retainers_bill_due(dt.date(2027, 1, 31), WORKER)) == 1
    assert not Message.objects.filter(subject__startswith="Invoice ").exists()


@pytest.mark.parametrize(
    "starts_on",
    [dt.date(1, 1, 1), dt.date(2025, 10, 26), dt.date(2036, 11, 5), dt.date(9999, 12, 31)],
)
def test_a_start_far_back_or_far_ahead_is_refused(
    customer: Customer, frozen_clock: Any, starts_on: dt.date
) -> None:
    # The clock's day is 28 October 2026: a start before 27 October 2025 would bill a
    # year and more of periods at once; years ahead could run past year 9999.
    with pytest.raises(ValidationFailed) as exc:
        monthly(customer, starts_on=starts_on)
    assert exc.value.errors == {"starts_on": ["from 366 days ago to 10 years ahead"]}
    assert Retainer.objects.count() == 0


def test_the_window_edges_are_accepted(customer: Customer, frozen_clock: Any) -> None:
    first = monthly(customer, starts_on=dt.date(2025, 10, 27))  # 366 days before
    last = monthly(customer, starts_on=dt.date(2036, 11, 4))  # 3,660 days after
    assert (first.next_bill_on, last.next_bill_on) == (dt.date(2025, 10, 27), dt.date(2036, 11, 4))
