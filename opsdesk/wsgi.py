"""WSGI entry point: serve with gunicorn (see docs/operator-guide.md)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
application = get_wsgi_application()
