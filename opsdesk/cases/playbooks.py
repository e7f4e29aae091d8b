"""Loading playbook files into versions, and the parsed playbook of a version."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.db import transaction

from opsdesk.cases.models import PlaybookVersion
from opsdesk.common import clock
from opsdesk.common.errors import Conflict
from opsdesk.playbook.loader import load
from opsdesk.playbook.model import Playbook

# Parsed playbooks by (version row id, sha): parsing and checking costs
# milliseconds, and a version's source never changes once stored.
_parsed: dict[tuple[int, str], Playbook] = {}


def playbook_of(version: PlaybookVersion) -> Playbook:
    key = (version.pk, version.sha256)
    pb = _parsed.get(key)
    if pb is None:
        pb = _parsed[key] = load(version.source)
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
    return version, True


def playbook_install_dir(directory: Path) -> list[tuple[PlaybookVersion, bool]]:
    return [
        playbook_install(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.yaml"))
    ]


def active_versions_for(trigger: str) -> list[tuple[PlaybookVersion, Playbook]]:
    out = []
    for version in PlaybookVersion.objects.filter(active=True).order_by("key"):
        pb = playbook_of(version)
        if trigger in pb.trigger.events:
            out.append((version, pb))
    return out
