"""docs/openapi.json is the document the API serves."""

from __future__ import annotations

import json
from pathlib import Path

from django.test import Client

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_committed_openapi_document_is_current(client: Client) -> None:
    served = client.get("/api/v1/openapi.json").json()
    assert json.loads(DOC.read_text()) == served, (
        "docs/openapi.json is stale: opsdesk export_openapi > docs/openapi.json"
    )
