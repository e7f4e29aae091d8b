"""`race`: run actions at the same moment, one thread and database connection each.

For tests of two people (or a person and the worker, or two deliveries of one
webhook) acting at once; they need `pytest.mark.django_db(transaction=True)` so
that each thread sees what the others committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

from opsdesk.common.errors import Conflict, Refused


def race(*actions: Callable[[], Any]) -> list[Any]:
    """What each action returned; a refusal or conflict as "<Class>: <message>",
    anything else it raised as "error: <repr>" (shown by the caller's assertion,
    never swallowed)."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[Any] = [None] * len(actions)

    def run(i: int) -> None:
        try:
            barrier.wait()
            try:
                outcomes[i] = actions[i]()
            except (Conflict, Refused) as exc:
                outcomes[i] = f"{type(exc).__name__}: {exc}"
            except Exception as exc:
                outcomes[i] = f"error: {exc!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes
