"""Public ids: a type prefix plus 16 random base62 characters (~95 bits).

They are unguessable, so a leaked or incremented id reaches nothing, and the
prefix tells a human what kind of object an id names (`cus_`, `case_`, `tsk_`).
"""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
_LENGTH = 16


def new_id(prefix: str) -> str:
    # 12 random bytes (96 bits) written in base62: one call into the OS's
    # random source instead of one per character.
    n = int.from_bytes(secrets.token_bytes(12), "big")
    chars = []
    for _ in range(_LENGTH):
        n, r = divmod(n, 62)
        chars.append(_ALPHABET[r])
    return prefix + "_" + "".join(chars)


# One named function per prefix: migrations reference a default by import path.
def customer_id() -> str:
    return new_id("cus")


def case_id() -> str:
    return new_id("case")


def task_id() -> str:
    return new_id("tsk")


def message_id() -> str:
    return new_id("msg")


def flag_id() -> str:
    return new_id("flg")


def agent_id() -> str:
    return new_id("agt")


def team_id() -> str:
    return new_id("team")


def document_id() -> str:
    return new_id("doc")


def order_id() -> str:
    return new_id("ord")


def token_id() -> str:
    return new_id("tok")


def calendar_id() -> str:
    return new_id("cal")


def channel_id() -> str:
    return new_id("chn")


def service_order_id() -> str:
    return new_id("so")


def hand_back_id() -> str:
    return new_id("hb")


def appointment_id() -> str:
    return new_id("apt")


def technician_id() -> str:
    return new_id("tech")


def part_id() -> str:
    return new_id("part")


def stock_location_id() -> str:
    return new_id("stk")


def work_order_id() -> str:
    return new_id("wo")


def invoice_id() -> str:
    return new_id("inv")


def partner_id() -> str:
    return new_id("prt")


def status_push_id() -> str:
    return new_id("sps")


def application_id() -> str:
    return new_id("apl")


def traveller_id() -> str:
    return new_id("trv")


def quote_id() -> str:
    return new_id("quo")


def payment_id() -> str:
    return new_id("pay")
