from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from opsdesk.api.root import api


class Command(BaseCommand):
    help = "Print the OpenAPI document of /api/v1/ (docs/openapi.json is this output)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(api.get_openapi_schema(), indent=2, sort_keys=True))
