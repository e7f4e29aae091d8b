"""The customer's data export: everything about them, nothing about anyone else."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from opsdesk.privacy.export import customer_data
from opsdesk.privacy.models import AuditEntry
from tests.privacy.conftest import EMAIL, enrich
from tests.privacy.dump import everything
from tests.security.world import OTHER_FAMILY, OTHER_NAME, World


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ids_of(customer_id: str) -> set[str]:
    """The public ids of every row that points at the customer (directly)."""
    from django.apps import apps

    out = set()
    for model in apps.get_models():
        names = {f.attname for f in model._meta.concrete_fields}
        if "customer_id" in names and isinstance(model._meta.pk.attname, str):
            for pk in model._default_manager.filter(customer_id=customer_id).values_list(
                "pk", flat=True
            ):
                if isinstance(pk, str):
                    out.add(pk)
    return out


def test_the_export_holds_everything_about_the_customer(world: World) -> None:
    enrich(world)
    c = world.customer
    data = customer_data(c)
    text = json.dumps(data, ensure_ascii=False)
    assert data["customer"]["id"] == c.pk
    assert data["customer"]["email"] == EMAIL
    for pk in _ids_of(c.pk):
        assert pk in text, pk  # every row with a public id that names the customer
    assert {x["number"] for x in data["cases"]} == set(c.cases.values_list("number", flat=True))
    (ticket,) = [x for x in data["cases"] if x["id"] == world.case.pk]
    assert {e["type"] for e in ticket["timeline"]} >= {"CASE_OPENED", "QUOTE_SENT"}
    assert ticket["appointments"] and ticket["appointments"][0]["status"] == "BOOKED"
    assert any("Mehmet Demir called" in m["body"] for m in data["messages"])
    assert {t["title"] for t in data["tasks"]} >= {"Call Mehmet Demir back"}
    assert set(data["tasks"][0]) == {
        "id",
        "case_id",
        "title",
        "description",
        "status",
        "due_at",
        "created_at",
        "completed_at",
        "checklist",
    }
    assert data["quotes"][0]["total"] == "600.00" and data["quotes"][0]["lines"]
    assert data["invoices"][0]["total"] == "600.00"
    assert data["feedback"][0]["comment"] == "Quick and tidy"
    assert data["service_orders"][0]["address"] == "Bağdat Cad. 10, Kadıköy"
    assert {wo["address"] for wo in data["work_orders"]} >= {"Bağdat Cad. 10, Kadıköy"}
    assert len(data["contacts"]) == 1 and len(data["documents"]) == 2
    assert all(d["file"].startswith("files/documents/") for d in data["documents"])


def test_the_export_holds_nothing_of_another_customer(world: World) -> None:
    enrich(world)
    other = world.other_customer
    text = json.dumps(customer_data(world.customer), ensure_ascii=False)
    for value in (other.pk, OTHER_NAME, OTHER_FAMILY, other.phone, "Çankaya", "zeynep-id"):
        assert value not in text, value
    for pk in _ids_of(other.pk):
        assert pk not in text, pk
    for case in other.cases.all():
        assert case.pk not in text and case.number not in text
    # ... and the other way round.
    text = json.dumps(customer_data(other), ensure_ascii=False)
    for value in ("Mehmet", "Demir", world.customer.pk, world.customer.phone, EMAIL):
        assert value not in text, value


def _zip(content: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    return json.loads(files.pop("data.json")), files


def test_admin_downloads_the_zip_and_it_is_audited_once(world: World) -> None:
    enrich(world)
    c = world.customer.pk
    response = _client(world.users["admin"]).post(f"/customers/{c}/privacy/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f'filename="{c}-data-20261028.zip"' in response["Content-Disposition"]
    data, files = _zip(b"".join(response.streaming_content))
    assert data["customer"]["id"] == c and data["problems"] == []
    assert sorted(files) == sorted(d["file"] for d in data["documents"])
    assert all(body.startswith(b"%PDF-") for body in files.values())
    (entry,) = AuditEntry.objects.all()
    assert (entry.username, entry.action, entry.customer_id, entry.surface, entry.format) == (
        "root",
        "data_export",
        c,
        "ui",
        "zip",
    )


@pytest.mark.parametrize("persona", ["manager", "agent", "other_agent", "technician"])
def test_only_admins_export(world: World, persona: str) -> None:
    c = world.customer.pk
    client, admin = _client(world.users[persona]), _client(world.users["admin"])
    before = everything()
    response = client.post(f"/customers/{c}/privacy/export/")
    assert response.status_code == (404 if persona in ("other_agent", "technician") else 403)
    assert Client().post(f"/customers/{c}/privacy/export/").status_code == 302
    assert admin.get(f"/customers/{c}/privacy/export/").status_code == 405
    assert everything() == before


def test_the_cli_writes_the_zip(world: World, tmp_path: Path) -> None:
    c = world.customer.pk
    out = tmp_path / "mehmet.zip"
    stdout = io.StringIO()
    call_command("privacy", "export", c, str(out), stdout=stdout)
    assert stdout.getvalue() == f"{c}: written to {out}\n"
    data, files = _zip(out.read_bytes())
    assert data["customer"]["id"] == c and len(files) == 1
    (entry,) = AuditEntry.objects.all()
    assert (entry.action, entry.surface, entry.route) == ("data_export", "cli", "privacy export")
    assert entry.username.startswith("cli:")


def test_the_cli_refuses_bad_input_and_writes_nothing(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no customer 'cus_nobody'"):
        call_command("privacy", "export", "cus_nobody", str(tmp_path / "x.zip"))
    taken = tmp_path / "taken.zip"
    taken.write_bytes(b"mine")
    with pytest.raises(CommandError, match="exists"):
        call_command("privacy", "export", world.customer.pk, str(taken))
    with pytest.raises(CommandError, match="not a directory"):
        call_command("privacy", "export", world.customer.pk, str(tmp_path / "no" / "x.zip"))
    assert taken.read_bytes() == b"mine"
    assert not (tmp_path / "x.zip").exists()
    assert AuditEntry.objects.count() == 0


def test_a_missing_stored_file_is_reported(world: World, tmp_path: Path) -> None:
    from django.core.files.storage import default_storage

    default_storage.delete(world.ids["document_file"])
    out = tmp_path / "m.zip"
    stderr = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("privacy", "export", world.customer.pk, str(out), stderr=stderr)
    assert exc.value.returncode == 2
    assert "is missing" in stderr.getvalue()
    data, files = _zip(out.read_bytes())
    assert len(data["problems"]) == 1 and files == {}
