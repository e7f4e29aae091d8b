"""What a log line is about: the request and the case being worked on.

Context variables, so they follow the code that handles a request or a timer
without being passed around; `LogContextFilter` copies them onto every log
record (as `request_id` and `case_id`, only when known), and the JSON log
format (`logging_config("json", ...)`, OPSDESK_LOG_FORMAT=json) prints them.
No Django and no models here: the domain apps import it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

request_id: ContextVar[str | None] = ContextVar("opsdesk_request_id", default=None)
case_id: ContextVar[str | None] = ContextVar("opsdesk_case_id", default=None)


@contextmanager
def case_context(case: str | None) -> Iterator[None]:
    """Log lines inside the block name `case` (a case id; None: no case)."""
    token = case_id.set(case)
    try:
        yield
    finally:
        case_id.reset(token)


def set_request_id(value: str | None) -> None:
    request_id.set(value)


def clear_request_id() -> None:
    """When a response is closed: between requests there is no request id. (Not a
    token reset: a streaming response left unclosed would leave its id behind for
    the next reset to restore.)"""
    request_id.set(None)


class LogContextFilter(logging.Filter):
    """Adds `request_id` and `case_id` to a record when they are known."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in (("request_id", request_id), ("case_id", case_id)):
            value = var.get()
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return True


def logging_config(fmt: str, level: str) -> dict[str, Any]:
    """Django's LOGGING for `fmt` "text" (one human line, the default) or "json"
    (one JSON object a line: timestamp, level, logger, message, request_id and
    case_id when known, and any `extra=` fields)."""
    if fmt not in ("text", "json"):
        raise ValueError(f"OPSDESK_LOG_FORMAT must be 'text' or 'json', not {fmt!r}")
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"console": {"class": "logging.StreamHandler"}},
        "root": {"handlers": ["console"], "level": level},
    }
    if fmt == "text":
        return config
    config["filters"] = {"context": {"()": "opsdesk.common.logcontext.LogContextFilter"}}
    config["formatters"] = {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "{levelname}{name}{message}",
            "style": "{",
            "timestamp": True,  # ISO 8601 in UTC, under "timestamp"
            "rename_fields": {"levelname": "level", "name": "logger"},
        }
    }
    config["handlers"]["console"].update(formatter="json", filters=["context"])
    # Django's default config gives "django" a console handler of its own (text, in
    # DEBUG only); replace it so that every line of the process is JSON.
    config["loggers"] = {
        name: {"handlers": ["console"], "level": level, "propagate": False}
        for name in ("django", "opsdesk")
    }
    return config
