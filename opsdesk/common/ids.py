"""Public ids: a type prefix plus 16 random base62 characters (~95 bits).

They are unguessable, so a leaked or incremented id reaches nothing, and the
prefix tells a human what kind of object an id names (`cus_`, `case_`, `tsk_`).
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable

_ALPHABET = string.ascii_letters + string.digits
_LENGTH = 16


def new_id(prefix: str) -> str:
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))


def id_factory(prefix: str) -> Callable[[], str]:
    """A zero-argument default for a model's primary key field."""

    def make() -> str:
        return new_id(prefix)

    make.__name__ = f"new_{prefix}_id"
    make.__qualname__ = make.__name__
    return make


# Module-level factories so migrations can reference them by import path.
customer_id = id_factory("cus")
case_id = id_factory("case")
task_id = id_factory("tsk")
message_id = id_factory("msg")
flag_id = id_factory("flg")
agent_id = id_factory("agt")
team_id = id_factory("team")
document_id = id_factory("doc")
order_id = id_factory("ord")
token_id = id_factory("tok")
calendar_id = id_factory("cal")
