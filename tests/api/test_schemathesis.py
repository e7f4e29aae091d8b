"""Schemathesis against the API as served: no 5xx, and every answer is one the document promises.

The OpenAPI document is loaded from `opsdesk.wsgi.application` at /api/v1/openapi.json
(schemathesis's WSGI loader: in-process, no network), and every generated request is
sent to that same application. The requests are made by two personas with a real
API token each, over the security tests' world (tests/security/world.py, built through
the services):

- the admin (a superuser), who may call every operation but the sales channel's;
- the telesales channel's integration user, for the operations only a sales channel
  calls (/orders, /hand-backs) and the customer operations an integration may use.

Path parameters are either generated or, half of the time, the id of a real object of
the world, so the fuzzing reaches the views' bodies and not only their 404s. Each
request runs in a savepoint that is rolled back, so every example sees the same world.

Checks: not_a_server_error, status_code_conformance, content_type_conformance,
response_headers_conformance, response_schema_conformance. Generation is positive
(requests the document allows), derandomized (the same examples on every run) and
bounded: MAX_EXAMPLES per operation.

Left out of the fuzzing: the provider webhooks (`/webhooks/...` and
`/payments/webhooks/{provider}`). They take no API token: a provider's signature or
shared secret is their only credential, so generated requests stop at the signature
check and only ever exercise the refusal path. Those refusals are covered where the
signatures can be made: tests/api/test_twilio_webhooks.py,
tests/api/test_whatsapp_webhook_view.py, tests/api/test_inbound_email_webhook.py and
tests/billing/test_api.py.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.world import World

SCHEMA_PATH = "/api/v1/openapi.json"
MAX_EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Signed by a provider, not called with a token: see the module docstring.
EXCLUDED_PREFIXES = ("/api/v1/webhooks/", "/api/v1/payments/webhooks/")
CHANNEL_OPERATIONS = {
    ("GET", "/api/v1/orders"),
    ("POST", "/api/v1/orders"),
    ("POST", "/api/v1/orders/bulk"),
    ("GET", "/api/v1/orders/{order_id}"),
    ("GET", "/api/v1/hand-backs"),
}
INTEGRATION_OPERATIONS = {("POST", "/api/v1/customers"), ("GET", "/api/v1/customers/{customer_id}")}


def _schema() -> Any:
    from opsdesk.wsgi import application

    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, application)


def _operations(schema: Any) -> list[Any]:
    ops = [result.ok() for result in schema.get_all_operations()]
    return [op for op in ops if not op.path.startswith(EXCLUDED_PREFIXES)]


def _is_channel_operation(op: Any) -> bool:
    return (op.method.upper(), op.path) in CHANNEL_OPERATIONS


def _strategy(op: Any, ids: dict[str, str]) -> Any:
    names = [p.name for p in op.path_parameters]
    known = {name: ids[name] for name in names if name in ids}
    generated = op.as_strategy()
    if not known:
        return generated
    return st.one_of(op.as_strategy(path_parameters=known), generated)


def _fuzz(op: Any, ids: dict[str, str], token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(op, ids))
    def run(case: Any) -> None:
        savepoint = transaction.savepoint()
        try:
            response = case.call(headers=headers)
        finally:
            transaction.savepoint_rollback(savepoint)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


def _fuzz_all(operations: list[Any], ids: dict[str, str], token: str) -> list[str]:
    failures = []
    for op in operations:
        try:
            _fuzz(op, ids, token)
        except (AssertionError, BaseExceptionGroup) as exc:  # report every failing operation
            failures.append(f"{op.method.upper()} {op.path}:\n{exc}")
    return failures


def test_the_admin_gets_no_server_error_and_only_documented_answers(api_world: World) -> None:
    from opsdesk.access.tokens import token_create

    _, token = token_create(api_world.users["admin"], "schemathesis")
    operations = [op for op in _operations(_schema()) if not _is_channel_operation(op)]
    assert len(operations) > 40, [op.path for op in operations]
    failures = _fuzz_all(operations, api_world.ids, token)
    assert not failures, "\n\n".join(failures)


def test_the_sales_channel_gets_no_server_error_and_only_documented_answers(
    api_world: World,
) -> None:
    operations = [
        op
        for op in _operations(_schema())
        if _is_channel_operation(op) or (op.method.upper(), op.path) in INTEGRATION_OPERATIONS
    ]
    assert len(operations) == len(CHANNEL_OPERATIONS) + 2, [op.path for op in operations]
    failures = _fuzz_all(operations, api_world.ids, api_world.token)
    assert not failures, "\n\n".join(failures)
