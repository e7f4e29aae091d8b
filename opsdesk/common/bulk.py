"""Insert rows without reading anything back: the intake's write path.

`QuerySet.bulk_create` compiles its INSERT anew on every call and, on
PostgreSQL, returns the generated keys. The timeline, outbox and timer rows an
intake writes need neither, and compiling was a fifth of an onboarding's CPU
time. This builds each model's INSERT once and sends the rows with
`executemany`. Values still go through each field's `pre_save` and
`get_db_prep_save`, so they are stored exactly as the ORM would store them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from django.db import connection, models
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


def insert(objs: Sequence[models.Model]) -> None:
    """INSERT unsaved objects of one model; generated keys are not read back.

    The objects are marked saved, as `bulk_create` would mark them.
    """
    if not objs:
        return
    sql, fields = _plan(type(objs[0]), connection.vendor)
    rows = [
        tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields) for obj in objs
    ]
    with connection.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(sql, rows[0])
        else:
            cursor.executemany(sql, rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
