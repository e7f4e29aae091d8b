"""Domain errors as HTTP answers: 422 with field messages, 409 with reasons, 403, 404."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from opsdesk.common.errors import Conflict, NotAllowed, Refused, ValidationFailed


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
