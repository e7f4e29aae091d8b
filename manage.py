#!/usr/bin/env python
"""Same as the `opsdesk` console command, for those who expect manage.py."""

from opsdesk.cli import main

if __name__ == "__main__":
    main()
