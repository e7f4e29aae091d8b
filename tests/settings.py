"""Test settings: the production settings with the insecure-key escape hatch set
before they load (pytest-django imports settings before any conftest)."""

import os

os.environ.setdefault("OPSDESK_ALLOW_INSECURE_KEY", "1")

from opsdesk.settings import *  # noqa: F403

# A file, not SQLite's default in-memory test database, so that worker
# subprocesses in the crash tests see the same data as the test.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per test process, so concurrent runs never share a test database.
    _name = f"{DATABASES['default']['NAME']}.test-{os.getpid()}"  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": _name}  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast in tests only
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 (whitenoise warns when it is missing)
# The solver runs to its time limit; test days have a handful of jobs.
OPSDESK_REPLAN_SECONDS = 0.3
# Generous rate limits: the authorization matrix sends ~1,400 requests from one
# address on a frozen clock (one window). Tests of the limits set tight ones.
OPSDESK_RATE_LIMITS = {scope: 100_000 for scope in OPSDESK_RATE_LIMITS}  # noqa: F405
OPSDESK_SIGNIN_MAX_FAILURES_PER_IP = 1_000
