"""Loading playbook files into versions, and the parsed playbook of a version."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from django.db import transaction

from opsdesk.cases.models import PlaybookVersion
from opsdesk.common import clock
from opsdesk.common.errors import Conflict
from opsdesk.playbook.checks import team_references
from opsdesk.playbook.loader import PlaybookError, Problem, load, parse, with_lines
from opsdesk.playbook.model import Playbook
from opsdesk.staff.selectors import teams_with_active_agents

# Parsed playbooks by (version row id, sha): parsing and checking costs
# milliseconds, and a version's source never changes once stored.
_parsed: dict[tuple[int, str], Playbook] = {}


def playbook_of(version: PlaybookVersion) -> Playbook:
    key = (version.pk, version.sha256)
    pb = _parsed.get(key)
    if pb is None:
        # Checked when it was installed: parsing is enough. The checks cost three times
        # the parse, paid by every web and worker process on its first request, and a
        # stored version keeps running even if a later release checks more strictly.
        parsed, problems = parse(version.source)
        if parsed is None or problems:
            raise PlaybookError(problems)
        pb = _parsed[key] = parsed
    return pb


def playbook_install(source: str) -> tuple[PlaybookVersion, bool]:
    """Store a checked playbook as a new active version; (version, created).

    Installing the same text again changes nothing. A changed text must carry a
    new version number: cases already running keep the version they started with.
    Raises PlaybookError (every problem) or Conflict.
    """
    pb = load(source)
    sha = hashlib.sha256(source.encode()).hexdigest()
    with transaction.atomic():
        existing = PlaybookVersion.objects.filter(key=pb.key, version=pb.version).first()
        if existing is not None:
            if existing.sha256 != sha:
                raise Conflict(
                    f"{pb.key} version {pb.version} is already installed with different "
                    "content; raise `version` to install a change"
                )
            return existing, False
        PlaybookVersion.objects.filter(key=pb.key, active=True).update(active=False)
        version = PlaybookVersion.objects.create(
            key=pb.key,
            version=pb.version,
            title=pb.title,
            source=source,
            sha256=sha,
            active=True,
            loaded_at=clock.now(),
        )
        transaction.on_commit(forget_active_versions)
    forget_active_versions()
    return version, True


def playbook_install_dir(directory: Path) -> list[tuple[PlaybookVersion, bool]]:
    return [
        playbook_install(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.yaml"))
    ]


# The active versions, re-read at most every few seconds: every intake asks,
# and they change only when someone installs a playbook (which clears this
# process's copy at once; other processes see it within ACTIVE_TTL seconds).
ACTIVE_TTL = 5.0
_active: tuple[float, list[PlaybookVersion]] | None = None


def _active_versions() -> list[PlaybookVersion]:
    global _active
    now = time.monotonic()
    if _active is None or now - _active[0] > ACTIVE_TTL:
        versions = list(PlaybookVersion.objects.filter(active=True).order_by("key"))
        for version in versions:
            playbook_of(version)  # parse while the source is at hand
        _active = (now, versions)
    return _active[1]


def forget_active_versions() -> None:
    global _active
    _active = None


def active_versions_for(trigger: str) -> list[tuple[PlaybookVersion, Playbook]]:
    out = []
    for version in _active_versions():
        pb = playbook_of(version)
        if trigger in pb.trigger.events:
            out.append((version, pb))
    return out


def playbook_staff_problems(source: str) -> list[Problem]:
    """Teams the playbook assigns to (`assign: {team: X}`, a task's `assignee: {team: X}`)
    that do not exist or have no active agent. None for a document that does not parse."""
    playbook, _ = parse(source)
    if playbook is None:
        return []
    refs = team_references(playbook)
    staffed = teams_with_active_agents(team for _, team in refs)
    return with_lines(
        source,
        [
            Problem(path, f"no active agent in team {team}")
            for path, team in refs
            if team not in staffed
        ],
    )
