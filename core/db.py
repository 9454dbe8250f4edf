"""Database helpers the ORM lacks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import connections, router
from django.db.models import Field, Model


def rows_update[M: Model](*, rows: Sequence[M], fields: Sequence[str]) -> int:
    """Save these fields of these (saved) rows: what `QuerySet.bulk_update` does, without its cost.

    bulk_update builds one `CASE WHEN pk=… THEN …` per row and field, and resolving those expressions
    costs ~0.1 ms each in Python (8 fields × 250 rows: 0.2 s a sync batch). Here one parameterised
    `UPDATE … WHERE pk = %s` is compiled once and sent with executemany (psycopg pipelines it, SQLite
    loops in C). Like bulk_update, no signals and no `pre_save` (`auto_now` is the caller's). Plain
    values only: an expression (F(), Case) is refused. Returns the number of rows sent.
    """
    if not rows:
        return 0
    model = type(rows[0])
    meta = model._meta
    concrete: list[Field[Any, Any]] = []
    for name in fields:
        field = meta.get_field(name)
        if not isinstance(field, Field) or not field.concrete or field.primary_key:
            raise ValueError("rows_update saves concrete, non-primary-key fields only")
        concrete.append(field)
    pk = meta.pk
    if pk is None:  # an abstract model
        raise ValueError("rows_update saves rows of concrete models only")
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(cast(str, field.column))} = %s" for field in concrete)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(cast(str, pk.column))} = %s"  # noqa: S608
    params = []
    for row in rows:
        values = []
        for field in concrete:
            value = getattr(row, field.attname)
            if hasattr(value, "resolve_expression"):
                raise ValueError(f"rows_update takes plain values, not {type(value).__name__} ({field.name})")
            values.append(field.get_db_prep_save(value, connection))
        values.append(pk.get_db_prep_save(row.pk, connection))
        params.append(values)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(params)
