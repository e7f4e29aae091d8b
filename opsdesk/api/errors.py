"""Domain errors as HTTP answers: 422 with field messages, 409 with reasons, 403, 404."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import BaseModel

from opsdesk.common.errors import Conflict, NotAllowed, Refused, ValidationFailed

NUL_MESSAGE = "must not contain the NUL character"


def _nul_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and "\x00" in key:
                yield name
            else:
                yield from _nul_paths(item, name)
    elif isinstance(value, list | tuple | set | frozenset):
        for i, item in enumerate(value):
            yield from _nul_paths(item, f"{path}[{i}]")


def refuse_nul(view: Callable[..., Any]) -> Callable[..., Any]:
    """An operation decorator: text with a NUL character is a 422, before the view runs.

    PostgreSQL text cannot hold NUL, so such a value would fail in the database (a 500)
    or, in a filter, only there; SQLite would store it. Runs after authentication and
    schema validation, on the view's arguments (a body's fields are named as in 422s).
    """

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        errors: dict[str, list[str]] = {}
        for name, value in kwargs.items():
            top = "" if isinstance(value, BaseModel) else name
            for path in _nul_paths(value, top):
                errors.setdefault(path or name, []).append(NUL_MESSAGE)
        if errors:
            raise ValidationFailed(errors)
        return view(request, *args, **kwargs)

    return checked


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationFailed)
    def _validation(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
        return api.create_response(
            request, {"detail": "invalid input", "errors": exc.errors}, status=422
        )

    @api.exception_handler(NinjaValidationError)
    def _schema(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors: dict[str, list[str]] = {}
        for err in exc.errors:
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "payload", "query")]
            errors.setdefault(".".join(loc) or "body", []).append(err.get("msg", "invalid"))
        return api.create_response(
            request, {"detail": "invalid input", "errors": errors}, status=422
        )

    @api.exception_handler(Refused)
    def _refused(request: HttpRequest, exc: Refused) -> HttpResponse:
        return api.create_response(
            request, {"detail": "refused by the playbook", "reasons": exc.reasons}, status=409
        )

    @api.exception_handler(Conflict)
    def _conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=409)

    @api.exception_handler(NotAllowed)
    def _forbidden(request: HttpRequest, exc: NotAllowed) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=403)

    @api.exception_handler(ObjectDoesNotExist)
    def _missing(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
        return api.create_response(request, {"detail": "not found"}, status=404)
