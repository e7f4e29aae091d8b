"""The pages a person sees when there is nothing to show: 404 (here) and 503
(tests/runtime/test_unavailable.py), both a card under the brand."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_unknown_address_shows_the_not_found_card(staff: Any) -> None:
    client = Client()
    client.force_login(staff.ayse.user)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<title>Not found · opsdesk</title>" in page
    assert '<h1 class="brand-large">opsdesk</h1>' in page
    assert (
        '<div class="card stack"><h2>Not found</h2>'
        "<p>There is nothing here, or you may not see it.</p>"
        '<p><a href="/tasks/">Back to my tasks</a></p></div>'
    ) in page
