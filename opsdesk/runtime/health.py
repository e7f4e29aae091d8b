"""Liveness and readiness for load balancers and orchestrators.

`/healthz`: the process answers; touches nothing else, so a slow database never
gets web processes restarted. `/readyz`: this process can serve: the database
answers a trivial query and has every migration of this code applied (a host
started with new code before `opsdesk migrate` stays out of the pool). Both
are public, read no session and write nothing; an error's details go to the log,
not to the anonymous caller.
"""

from __future__ import annotations

import logging

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

log = logging.getLogger(__name__)

OK = "ok"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": check_database()}
    checks["migrations"] = check_migrations() if checks["database"] == OK else "not checked"
    ready = all(v == OK for v in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        log.warning("readiness: database check failed", exc_info=True)
        return f"error: {type(exc).__name__}"
    return OK


def check_migrations() -> str:
    try:
        pending = unapplied_migrations()
    except Exception as exc:
        log.warning("readiness: migration check failed", exc_info=True)
        return f"error: {type(exc).__name__}"
    if pending:
        return "unapplied: " + ", ".join(pending)
    return OK


def unapplied_migrations() -> list[str]:
    """`app.name` of each migration on disk the database has not applied, in order.
    Reads the migration files (cached by Python after the first call) and the
    django_migrations table: a few milliseconds."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
