"""Erasure: the person's data is gone from every table; ids, states, amounts and
the audit log stay; refusals and a second erasure change nothing."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client

from opsdesk.billing.models import Invoice, Payment, Quote
from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.common.actors import Actor
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.customers.models import Customer, Document
from opsdesk.feedback import models as feedback
from opsdesk.privacy.models import AuditEntry
from opsdesk.privacy.services import customer_erase
from tests.privacy.conftest import close_cases, enrich
from tests.privacy.dump import everything, find
from tests.security.world import OTHER_FAMILY, OTHER_NAME, World


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _admin(world: World) -> Actor:
    return Actor.of_user(world.users["admin"])


def _files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _erase(world: World, reason: str = "KVKK request 2026/17") -> Any:
    with _Commit():  # the files go after commit
        return customer_erase(world.customer, _admin(world), reason)


def test_nothing_of_the_person_is_left_anywhere(world: World) -> None:
    old = enrich(world)
    # The audit log names the customer by id: views before erasure stay.
    _client(world.users["agent"]).get(f"/customers/{world.customer.pk}/")
    assert (
        len(find(old)) > 10
    )  # the scan sees the copies (a scan that finds nothing proves nothing)
    close_cases(world.customer.pk)
    c = world.customer.pk
    other = world.other_customer.pk
    cases = _cases(c)
    money = _money(c)
    audit_before = list(AuditEntry.objects.order_by("id").values())
    events_before = list(
        TimelineEvent.objects.filter(customer_id=c).order_by("id").values("id", "type", "at")
    )
    files_before = _files()
    mine = {d.file.name for d in Document.objects.filter(customer_id=c) if d.file}
    assert len(mine) == 2 and mine <= files_before
    others_before = _everything_of_other(other)

    result = _erase(world)

    assert not result.already
    assert find(old) == []  # the generic scan: every model's text and JSON columns
    customer = Customer.objects.get(pk=c)
    assert customer.full_name == f"Erased customer #{c}"
    assert (customer.phone, customer.email, customer.whatsapp) == ("", "", False)
    # Kept: ids, case numbers and states, amounts, every audit entry and timeline row.
    assert {
        x.pk: (x.number, x.state, x.status) for x in Case.objects.filter(customer_id=c)
    } == cases
    assert _money(c) == money
    assert money["invoices"][0]["total"] == Decimal("600.00")
    assert list(AuditEntry.objects.order_by("id").values())[: len(audit_before)] == audit_before
    erased = AuditEntry.objects.exclude(id__in=[a["id"] for a in audit_before]).get()
    assert (erased.action, erased.customer_id, erased.username) == ("erase", c, "root")
    events = list(
        TimelineEvent.objects.filter(customer_id=c).order_by("id").values("id", "type", "at")
    )
    assert events[: len(events_before)] == events_before
    last = TimelineEvent.objects.filter(customer_id=c).latest("id")
    assert (last.type, last.actor, last.payload) == (
        "CUSTOMER_ERASED",
        "user:root",
        {"reason": "KVKK request 2026/17"},
    )
    # The stored files are gone; the other customer's stays.
    assert _files() == files_before - mine
    assert set(result.files) == mine
    assert Document.objects.filter(customer_id=other).exclude(file="").count() == 1
    assert feedback.Testimonial.objects.get(customer_id=c).published is False
    # Nothing of the other customer changed.
    assert _everything_of_other(other) == others_before
    assert find([OTHER_NAME, OTHER_FAMILY])  # still there


def _cases(c: str) -> dict[str, Any]:
    return {x.pk: (x.number, x.state, x.status) for x in Case.objects.filter(customer_id=c)}


def _money(c: str) -> dict[str, Any]:
    return {
        "quotes": list(
            Quote.objects.filter(customer_id=c).order_by("id").values("id", "number", "total")
        ),
        "invoices": list(
            Invoice.objects.filter(customer_id=c).order_by("id").values("id", "number", "total")
        ),
        "payments": list(
            Payment.objects.filter(quote__customer_id=c).order_by("id").values("id", "amount")
        ),
    }


def _everything_of_other(customer_id: str) -> dict[str, Any]:
    rows = everything()
    return {
        label: [r for r in table if customer_id in str(r)]
        for label, table in rows.items()
        if label != "privacy.AuditEntry"
    }


def test_a_second_erasure_changes_nothing(world: World) -> None:
    close_cases(world.customer.pk)
    _erase(world)
    before = everything()
    result = _erase(world, "asked again")
    assert result.already and result.rows == {} and result.files == []
    assert everything() == before


def test_an_open_case_refuses_and_nothing_changes(world: World) -> None:
    enrich(world)
    files = _files()
    before = everything()
    with pytest.raises(Conflict, match=r"open case\(s\) \(SO-2026-000001, TCD-2026-000001\)"):
        _erase(world)
    with pytest.raises(ValidationFailed):
        _erase(world, "  ")
    assert everything() == before
    assert _files() == files


@pytest.mark.parametrize("persona", ["manager", "agent", "other_agent", "technician"])
def test_only_admins_erase(world: World, persona: str) -> None:
    close_cases(world.customer.pk)
    c = world.customer.pk
    client = _client(world.users[persona])
    before, files = everything(), _files()
    url = f"/customers/{c}/privacy/erase/"
    expected = 404 if persona in ("other_agent", "technician") else 403
    assert client.get(url).status_code == expected
    assert client.post(url, {"confirm": c, "reason": "mine"}).status_code == expected
    assert Client().post(url, {"confirm": c, "reason": "mine"}).status_code == 302
    assert everything() == before
    assert _files() == files


def test_the_admin_confirms_with_the_customer_id(world: World) -> None:
    close_cases(world.customer.pk)
    c = world.customer.pk
    admin = _client(world.users["admin"])
    url = f"/customers/{c}/privacy/erase/"
    page = admin.get(url)
    assert page.status_code == 200 and "Type the customer" in page.content.decode()
    before = everything()
    wrong = admin.post(url, {"confirm": "yes", "reason": "KVKK request"})
    assert wrong.status_code == 422
    assert f"type the customer&#x27;s id, {c}" in wrong.content.decode()
    no_reason = admin.post(url, {"confirm": c, "reason": ""})
    assert no_reason.status_code == 422
    assert everything() == before
    with _Commit():
        done = admin.post(url, {"confirm": c, "reason": "KVKK request"})
    assert done.status_code == 302 and done["Location"] == f"/customers/{c}/audit/"
    assert Customer.objects.get(pk=c).given_name == "Erased customer"
    assert admin.get(url).content.decode().count("already been erased") == 1


def test_the_admin_sees_the_open_case_refusal(world: World) -> None:
    c = world.customer.pk
    admin = _client(world.users["admin"])
    before = everything()
    response = admin.post(f"/customers/{c}/privacy/erase/", {"confirm": c, "reason": "KVKK"})
    assert response.status_code == 409
    assert "close them before erasing" in response.content.decode()
    assert everything() == before


class _Commit:
    """Runs on-commit callbacks (file deletion) inside the test's transaction."""

    def __enter__(self) -> None:
        from django.test import TestCase

        self._cm = TestCase.captureOnCommitCallbacks(execute=True)
        self._cm.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._cm.__exit__(*exc)


def test_the_cli_erases_with_yes_only(world: World) -> None:
    c = world.customer.pk
    before = everything()
    with pytest.raises(CommandError, match="--yes"):
        call_command("privacy", "erase", c, "--reason", "KVKK")
    with pytest.raises(CommandError, match="open case"):
        call_command("privacy", "erase", c, "--reason", "KVKK", "--yes")
    with pytest.raises(CommandError, match="no customer"):
        call_command("privacy", "erase", "cus_nobody", "--reason", "KVKK", "--yes")
    assert everything() == before
    close_cases(c)
    out = io.StringIO()
    with _Commit():
        call_command("privacy", "erase", c, "--reason", "KVKK", "--yes", stdout=out)
    assert out.getvalue().startswith(f"{c}: erased (")
    entry = AuditEntry.objects.get(action="erase")
    assert entry.surface == "cli" and entry.username.startswith("cli:")
    assert TimelineEvent.objects.filter(customer_id=c).latest("id").actor.startswith("cli")
    again = io.StringIO()
    call_command("privacy", "erase", c, "--reason", "KVKK", "--yes", stdout=again)
    assert again.getvalue() == f"{c}: already erased, nothing changed\n"
