"""Test settings: the production settings with the insecure-key escape hatch set
before they load (pytest-django imports settings before any conftest)."""

import os

os.environ.setdefault("OPSDESK_ALLOW_INSECURE_KEY", "1")

from opsdesk.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast in tests only
