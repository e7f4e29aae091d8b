"""The `opsdesk` console command: Django's management commands behind one name.

`opsdesk demo`, `opsdesk worker` and `opsdesk playbook check FILE` are management
commands of opsdesk's apps; everything else (`opsdesk migrate`, ...) is Django's.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["opsdesk", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
