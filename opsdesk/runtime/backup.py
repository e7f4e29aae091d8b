"""Back up and restore the database: SQLite through its online backup API,
PostgreSQL through pg_dump / pg_restore (custom format).

Both work while opsdesk runs: SQLite's backup copies a consistent snapshot page
by page, pg_dump reads in one repeatable-read transaction. A restore replaces
everything; stop the web and worker processes first (docs/operator-guide.md).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

from django.db import connection


class BackupError(RuntimeError):
    """What went wrong, in words for the operator."""


def backup(out: Path) -> str:
    """Write a backup of the default database to `out`; what was done, in words."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        source = _sqlite_file(settings)
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(out)) as dst:
            src.backup(dst)
        return f"SQLite {source} backed up to {out}"
    if connection.vendor == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={out}", *_pg_args(settings)])
        return f"PostgreSQL database {settings['NAME']} dumped to {out}"
    raise BackupError(f"no backup for the {connection.vendor} database")


def restore(source: Path) -> str:
    """Replace the default database's content with the backup at `source`."""
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    settings = connection.settings_dict
    connection.close()  # the restore writes through its own connection
    if connection.vendor == "sqlite":
        target = _sqlite_file(settings)
        try:
            with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
                src.execute("PRAGMA schema_version")  # fails early on a non-database file
                with closing(sqlite3.connect(target)) as dst:
                    src.backup(dst)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source}: not an SQLite backup ({exc})") from None
        return f"SQLite {target} restored from {source}"
    if connection.vendor == "postgresql":
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={settings['NAME']}",
                *_pg_args(settings, dbname=False),
                str(source),
            ]
        )
        return f"PostgreSQL database {settings['NAME']} restored from {source}"
    raise BackupError(f"no restore for the {connection.vendor} database")


def _sqlite_file(settings: dict[str, Any]) -> str:
    name = str(settings["NAME"])
    if name == ":memory:" or name.startswith("file:memorydb"):
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return name


def _pg_args(settings: dict[str, Any], dbname: bool = True) -> list[str]:
    args = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            args.append(f"{flag}={settings[key]}")
    return [*args, str(settings["NAME"])] if dbname else args


def _run(command: list[str]) -> None:
    env = dict(os.environ)
    password = connection.settings_dict.get("PASSWORD")
    if password:
        env["PGPASSWORD"] = str(password)  # not on the command line, where ps shows it
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} not found: install PostgreSQL's client tools (Debian: postgresql-client)"
        ) from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip() or done.returncode}")
