"""`opsdesk import orders FILE --channel KEY`: CSV files in, a summary and the rejected rows out."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.customers.models import Customer
from opsdesk.orders import text as order_text
from opsdesk.orders.models import HandBack, ServiceOrder

HEADER = (
    "external_ref,given_name,family_name,phone,language,service_type,customer_type,"
    "address,city,postcode,latitude,longitude,documents,notes"
)


def row(ref: str, phone: str, **changes: str) -> str:
    values = {
        "external_ref": ref,
        "given_name": "Mehmet",
        "family_name": "Demir",
        "phone": phone,
        "language": "tr",
        "service_type": "fiber_install",
        "customer_type": "residential",
        "address": "Bağdat Cad. 10",
        "city": "İstanbul",
        "postcode": "34710",
        "latitude": "40.98",
        "longitude": "29.06",
        "documents": "id_card:2030-01-01",
        "notes": "",
    }
    values.update(changes)
    return ",".join(values[c] for c in HEADER.split(","))


def run(path: Path, *extra: str, channel: str = "telesales") -> tuple[str, str, str | None]:
    """stdout, stderr and the error that makes the command exit 1 (None: exit 0)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "import", "orders", str(path), "--channel", channel, *extra, stdout=out, stderr=err
        )
    except CommandError as exc:
        assert exc.returncode == 1
        return out.getvalue(), err.getvalue(), str(exc)
    return out.getvalue(), err.getvalue(), None


def counts() -> tuple[int, ...]:
    return (
        ServiceOrder.objects.count(),
        Customer.objects.count(),
        Case.objects.count(),
        TimelineEvent.objects.count(),
    )


def test_a_comma_file_is_imported_and_a_second_run_writes_nothing(
    service_desk: Any, frozen_clock: Any, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    lines = [HEADER, row("CSV-1", "+90 532 100 00 01"), row("CSV-2", "+90 532 100 00 02")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, _, error = run(path, "--progress")
    assert (out, error) == (f"{path}: 2 row(s): 2 created, 0 duplicate(s), 0 rejected\n", None)
    o = ServiceOrder.objects.get(external_ref="CSV-1")
    assert (o.status, o.team.name, o.latitude, o.documents) == (
        "ACCEPTED",
        "Istanbul COBO",
        40.98,
        [{"type": "id_card", "valid_until": "2030-01-01"}],
    )
    assert TimelineEvent.objects.filter(type="ORDER_RECEIVED").first().actor == (
        "import:channel-telesales"
    )

    before = counts()
    out, err, error = run(path, "--progress")
    assert (out, error) == (f"{path}: 2 row(s): 0 created, 2 duplicate(s), 0 rejected\n", None)
    assert "orders: 100%" in err and "2/2" in err  # the progress bar, on stderr
    assert counts() == before


def test_a_semicolon_file_with_a_bom_reports_rejected_rows_by_line_and_exits_1(
    service_desk: Any, frozen_clock: Any, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    semicolon = HEADER.replace(",", ";")
    business = row(
        "CSV-3",
        "+90 532 100 00 03",
        customer_type="business",
        documents='"id_card:2030-01-01;tax_certificate:2027-06-30"',
    ).replace(",", ";")
    multiline = (
        row("CSV-4", "+90 532 100 00 04", notes='"Ring twice,\nthird floor"')
        .replace(",", ";")
        .replace("Ring twice;", "Ring twice,")
    )
    bad_number = row("CSV-5", "+90 532 100 00 05", latitude="north").replace(",", ";")
    bad_domain = row("CSV-6", "", service_type="plumbing").replace(",", ";")
    text = "\n".join([semicolon, business, multiline, bad_number, "", bad_domain]) + "\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    out, _, error = run(path)
    assert error == "2 row(s) rejected (listed above); the other rows are stored"
    assert out.splitlines() == [
        f"{path}: 4 row(s): 2 created, 0 duplicate(s), 2 rejected",
        "line 5 (CSV-5): latitude: a number, e.g. 40.98",
        "line 7 (CSV-6): phone: give a phone number or an email address to reach the customer;"
        " service_type: must be one of fiber_install, modem_swap, tv_setup",
    ]
    assert set(ServiceOrder.objects.values_list("external_ref", flat=True)) == {"CSV-3", "CSV-4"}
    o = ServiceOrder.objects.get(external_ref="CSV-3")
    assert (o.status, o.team.name, o.priority) == ("ACCEPTED", "Business Desk", "HIGH")
    assert o.documents == [
        {"type": "id_card", "valid_until": "2030-01-01"},
        {"type": "tax_certificate", "valid_until": "2027-06-30"},
    ]
    assert ServiceOrder.objects.get(external_ref="CSV-4").notes == "Ring twice,\nthird floor"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"external_ref,given_name,surname,service_type,colour\n",
            "bad header: unknown column(s) surname, colour; the columns are external_ref, "
            "given_name, family_name, service_type, customer_type, phone, whatsapp, email, "
            "language, address, city, postcode, latitude, longitude, documents, notes and "
            "fields.<name> for the playbook's fields; missing required column(s) family_name",
        ),
        (b"", "the file is empty: the first line must name the columns"),
        (
            "external_ref,given_name\nX,Şule\n".encode("cp1254"),
            "not UTF-8 text (byte 26 cannot be read); save it as UTF-8",
        ),
    ],
)
def test_a_file_that_cannot_be_read_writes_nothing(
    service_desk: Any, frozen_clock: Any, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(content)
    before = counts()
    assert run(path) == ("", "", f"{path}: {message}")
    assert counts() == before


def test_a_missing_file_or_an_unknown_channel_stops_before_writing(
    service_desk: Any, frozen_clock: Any, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.csv"
    assert run(missing) == ("", "", f"{missing}: No such file or directory")
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "\n" + row("CSV-8", "+90 532 100 00 08") + "\n", encoding="utf-8")
    assert run(path, channel="fax") == ("", "", "no sales channel 'fax' (see `opsdesk channel`)")
    assert ServiceOrder.objects.count() == 0


def test_rows_go_to_intake_in_batches(
    service_desk: Any, frozen_clock: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    sizes: list[int] = []
    real = order_text.orders_receive

    def spy(channel: Any, rows: Any, actor: Any, progress: Any = None) -> Any:
        sizes.append(len(rows))
        return real(channel, rows, actor, progress=progress)

    monkeypatch.setattr(order_text, "MAX_BATCH", 2)
    monkeypatch.setattr(order_text, "orders_receive", spy)
    path = tmp_path / "orders.csv"
    rows = [row(f"CSV-{10 + i}", f"+90 532 100 00 {10 + i}") for i in range(5)]
    path.write_text("\n".join([HEADER, *rows]), encoding="utf-8")
    out, _, error = run(path)
    assert (sizes, error) == ([2, 2, 1], None)
    assert out == f"{path}: 5 row(s): 5 created, 0 duplicate(s), 0 rejected\n"
    assert HandBack.objects.count() == 0
