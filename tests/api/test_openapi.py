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


def _secured_operations(doc: dict) -> list[tuple[str, str]]:
    return [
        (method, path)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if operation.get("security")
    ]


def test_every_secured_operation_documents_the_401_it_gives(client: Client) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    secured = _secured_operations(doc)
    assert len(secured) > 50  # the whole API, not an empty document
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    for method, path in secured:
        documented = doc["paths"][path][method]["responses"].get("401")
        assert documented is not None, f"{method.upper()} {path} does not document 401"
        assert documented["content"]["application/json"]["schema"] == error_ref
        # Authentication runs before the view: any id in the path gets the same 401.
        url = path.replace("{", "").replace("}", "")
        answer = getattr(client, method)(url, content_type="application/json")
        assert answer.status_code == 401, (method, path, answer.status_code)
        assert answer.json() == {"detail": "Unauthorized"}
