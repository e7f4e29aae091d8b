"""Shared pytest configuration for the whole suite.

Runs at import time, before pytest-django loads the settings named in
pyproject.toml (DJANGO_SETTINGS_MODULE): tests never need a real secret key.
Fixtures belong in the conftest.py of the folder that uses them.
"""

import os

os.environ.setdefault("OPSDESK_ALLOW_INSECURE_KEY", "1")
