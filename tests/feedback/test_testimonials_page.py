"""The testimonials page (/testimonials/): managers see the kept testimonials, publish
and withdraw them, download them as CSV; agents are refused."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from django.test import Client

from opsdesk.cases.models import Case
from opsdesk.feedback import models as fm
from opsdesk.feedback.services import feedback_submit
from tests.feedback.helpers import AGENT


def signed_in(agent: Any) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def kept(case: Case, comment: str = "=Great service") -> Any:
    feedback = feedback_submit(case.pk, 5, comment, True, "WEB", AGENT)
    return fm.Testimonial.objects.get(feedback=feedback)


def test_a_manager_sees_and_publishes_testimonials(case: Case, staff: Any) -> None:
    testimonial = kept(case, "Everything went smoothly")
    client = signed_in(staff.manager)
    response = client.get("/testimonials/")
    assert response.status_code == 200
    page = response.content.decode()
    row = re.search(rf'<tr id="testimonial-{testimonial.pk}">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = [
        re.sub(r"<[^>]+>|\s+", " ", c).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]
    assert cells[:4] == ["Deniz Aksoy", "5/5", "Everything went smoothly", case.number]
    assert "Publish" in cells[5]
    assert 'href="/testimonials/"' in page  # the nav link

    done = client.post(f"/testimonials/{testimonial.pk}/publish/", {"published": "1"})
    assert done.status_code == 302
    testimonial.refresh_from_db()
    assert testimonial.published is True
    after = client.get("/testimonials/").content.decode()
    assert "Deniz Aksoy&#x27;s testimonial published." in after
    assert "Unpublish" in after

    client.post(f"/testimonials/{testimonial.pk}/publish/", {"published": "0"})
    testimonial.refresh_from_db()
    assert (testimonial.published, testimonial.published_at) == (False, None)


def test_the_csv_export_lists_every_testimonial_without_formulas(case: Case, staff: Any) -> None:
    kept(case)
    response = signed_in(staff.manager).get("/testimonials.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["customer", "rating", "text", "case", "date", "published"],
        ["Deniz Aksoy", "5", "'=Great service", case.number, "2026-10-28", "no"],
    ]


def test_agents_are_refused_and_change_nothing(case: Case, staff: Any) -> None:
    testimonial = kept(case)
    client = signed_in(staff.ayse)
    assert client.get("/testimonials/").status_code == 403
    assert client.get("/testimonials.csv").status_code == 403
    assert (
        client.post(f"/testimonials/{testimonial.pk}/publish/", {"published": "1"}).status_code
        == 403
    )
    testimonial.refresh_from_db()
    assert testimonial.published is False
    assert 'href="/testimonials/"' not in client.get("/tasks/").content.decode()
    # Signed out: to the sign-in page.
    assert Client().get("/testimonials/").status_code == 302
