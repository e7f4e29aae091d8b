"""The one place the shell reads the wall clock.

The engine never reads a clock: the shell passes `now()` in. Tests and the
simulator replace the clock with `frozen(...)` to run on virtual time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

_override: dt.datetime | None = None


def now() -> dt.datetime:
    return _override if _override is not None else dt.datetime.now(dt.UTC)


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Pin `now()` to `at` (timezone-aware) for the duration of the block."""
    global _override
    if at.tzinfo is None:
        raise ValueError("frozen() needs a timezone-aware datetime")
    previous, _override = _override, at
    try:
        yield
    finally:
        _override = previous


def set_now(at: dt.datetime | None) -> None:
    """Move the virtual clock (None returns to the wall clock)."""
    global _override
    _override = at
