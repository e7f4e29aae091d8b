"""Insert rows without reading anything back: the intake's write path.

`QuerySet.bulk_create` compiles its INSERT anew on every call and, on
PostgreSQL, returns the generated keys. The timeline, outbox and timer rows an
intake writes need neither, and compiling was a fifth of an onboarding's CPU
time. This builds each model's INSERT once and sends the rows with
`executemany`. Values still go through each field's `pre_save` and
`get_db_prep_save`, so they are stored exactly as the ORM would store them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.fields import AutoFieldMixin


@lru_cache(maxsize=64)
def _plan(model: type[models.Model], vendor: str) -> tuple[str, tuple[models.Field, ...]]:
    fields = tuple(
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, AutoFieldMixin))
    )
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({marks})", fields


_PASS_THROUGH: tuple[tuple[type[models.Field], tuple[type, ...]], ...] = (
    (models.BooleanField, (bool,)),
    (models.FloatField, (float, int)),
    (models.IntegerField, (int,)),
    (models.CharField, (str,)),
    (models.TextField, (str,)),
)


@lru_cache(maxsize=64)
def _plain_types(model: type[models.Model]) -> tuple[tuple[type, ...] | None, ...]:
    """Per field of the INSERT, the Python types whose value the database takes
    as it is (a str for a CharField, an int for an IntegerField, the key of a
    ForeignKey to such a field); None: prepare it through the field."""
    _, fields = _plan(model, connection.vendor)
    out: list[tuple[type, ...] | None] = []
    for f in fields:
        target = f.target_field if f.is_relation and f.many_to_one else f
        types = None
        if type(target).pre_save is models.Field.pre_save:
            for kind, accepted in _PASS_THROUGH:
                if isinstance(target, kind) and not isinstance(target, models.BigAutoField):
                    types = accepted
                    break
        out.append(types)
    return tuple(out)


def insert(objs: Sequence[models.Model]) -> None:
    """INSERT unsaved objects of one model; generated keys are not read back.

    The objects are marked saved, as `bulk_create` would mark them.
    """
    if not objs:
        return
    # The wrapper itself, not the `connection` proxy: every value's preparation
    # asks it for `ops`, and the proxy looks the connection up again each time.
    conn = connections[DEFAULT_DB_ALIAS]
    sql, fields = _plan(type(objs[0]), conn.vendor)
    # The rows of one call mostly share their timestamps (the decision's `now`):
    # each distinct datetime is prepared once.
    prepared: dict[dt.datetime, Any] = {}

    def prep(f: models.Field, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            if value not in prepared:
                prepared[value] = f.get_db_prep_save(value, conn)
            return prepared[value]
        return f.get_db_prep_save(value, conn)

    plain = _plain_types(type(objs[0]))

    def value(obj: models.Model, f: models.Field, types: tuple[type, ...] | None) -> Any:
        if types is not None:
            v = obj.__dict__.get(f.attname)
            # What get_db_prep_save would return unchanged: skip the call.
            if v is None or type(v) in types:
                return v
        return prep(f, f.pre_save(obj, True))

    rows = [
        tuple(value(obj, f, types) for f, types in zip(fields, plain, strict=True)) for obj in objs
    ]
    with conn.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(sql, rows[0])
        else:
            cursor.executemany(sql, rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = conn.alias


@contextlib.contextmanager
def pipelined() -> Iterator[None]:
    """On PostgreSQL, send the statements of the block without waiting for each
    answer (psycopg's pipeline mode): an intake's INSERTs read nothing back, so
    they travel together, and only the few reads wait for the server. Elsewhere
    it does nothing."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    # An error in the pipeline may surface only when it ends, outside any Django
    # cursor call: wrap it too, so callers always see django.db errors
    # (IntegrityError, ...), whichever statement the server refused.
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield
