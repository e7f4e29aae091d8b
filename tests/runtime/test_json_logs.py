"""OPSDESK_LOG_FORMAT=json: one JSON object a line, with the request and the case."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from opsdesk.common import logcontext
from opsdesk.common.logcontext import case_context, logging_config
from opsdesk.comms.adapters.base import SendResult
from opsdesk.runtime.worker import Worker
from tests.runtime.test_worker import onboard

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The JSON configuration, writing to a buffer; the settings' one after."""
    logging.config.dictConfig(logging_config("json", "INFO"))
    buffer = io.StringIO()
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    logging.config.dictConfig(settings.LOGGING)


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


@pytest.mark.django_db
def test_a_request_logs_the_id_it_answers_with(json_logs: io.StringIO) -> None:
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    rid = response["X-Request-ID"]
    assert len(rid) == 32
    [line] = [x for x in lines(json_logs) if x["logger"] == "django.request"]
    assert line["request_id"] == rid
    assert line["level"] == "WARNING"
    assert line["message"] == "Not Found: /no/such/page/"
    assert line["timestamp"].endswith("+00:00")
    assert "case_id" not in line
    assert logcontext.request_id.get() is None  # reset when the response closed


@pytest.mark.django_db
def test_a_sane_incoming_request_id_is_kept(json_logs: io.StringIO) -> None:
    response = Client().get("/no/such/page/", HTTP_X_REQUEST_ID="lb-7f3a.91:2")
    assert response["X-Request-ID"] == "lb-7f3a.91:2"
    assert [x["request_id"] for x in lines(json_logs)] == ["lb-7f3a.91:2"]


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["two words", "x" * 65, "<script>", "-leading-dash"])
def test_an_odd_incoming_request_id_is_replaced(incoming: str) -> None:
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


def test_log_lines_inside_a_case_context_name_the_case(json_logs: io.StringIO) -> None:
    log = logging.getLogger("opsdesk.probe")
    with case_context("case_0123456789abcdef"):
        log.info("deciding", extra={"event": "timer.reminder"})
    log.info("after")
    inside, after = lines(json_logs)
    assert inside == {
        "timestamp": inside["timestamp"],
        "level": "INFO",
        "logger": "opsdesk.probe",
        "message": "deciding",
        "case_id": "case_0123456789abcdef",
        "event": "timer.reminder",
    }
    assert "case_id" not in after


@pytest.mark.django_db
def test_deciding_and_sending_run_in_the_case_context(
    onboarding: Any, staff: Any, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opsdesk.cases import services
    from opsdesk.runtime import outbox

    seen: list[tuple[str, str | None]] = []
    decide = services.decide

    def spying_decide(*args: Any, **kwargs: Any) -> Any:
        seen.append(("decide", logcontext.case_id.get()))
        return decide(*args, **kwargs)

    class SpyingAdapter:
        name = "spy"
        resend_safe = True

        def send(self, message: Any) -> SendResult:
            seen.append(("send", logcontext.case_id.get()))
            return SendResult(provider_message_id=f"spy-{message.idempotency_key}")

    monkeypatch.setattr(services, "decide", spying_decide)
    monkeypatch.setattr(outbox, "get_adapter", lambda channel: SpyingAdapter())
    customer = onboard()
    case_id = customer.cases.get().pk
    assert seen == [("decide", case_id)]
    Worker().run_once()
    assert seen[1:] == [("send", case_id)] * 3
    assert logcontext.case_id.get() is None


def test_the_setting_switches_the_format_of_every_logger(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsdesk.settings",
        "OPSDESK_ALLOW_INSECURE_KEY": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'logs.sqlite3'}",
        "OPSDESK_LOG_FORMAT": "json",
    }
    code = "import logging; logging.getLogger('opsdesk.probe').warning('hello %s', 'there')"
    result = subprocess.run(
        [sys.executable, "-m", "opsdesk.cli", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(x) for x in result.stderr.splitlines()]
    assert {k: v for k, v in line.items() if k != "timestamp"} == {
        "level": "WARNING",
        "logger": "opsdesk.probe",
        "message": "hello there",
    }


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="OPSDESK_LOG_FORMAT must be 'text' or 'json'"):
        logging_config("xml", "INFO")
