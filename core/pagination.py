"""Cursor pagination that answers 404 for a cursor it did not issue, whatever its content.

DRF decodes the cursor's base64 and checks the offset, but puts its position (`p=`) straight into
the query: `p=abc` on a datetime or integer ordering became a ValidationError/ValueError (a 500).
Here the position is converted with the ordering field's own `to_python` and must fit the
database's range for integer fields.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection, models
from django.utils import timezone
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination, LimitOffsetPagination
from rest_framework.request import Request

from .fields import InvalidInput


class CheckedCursorPagination(CursorPagination):
    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        cursor = super().decode_cursor(request)  # garbage base64 / offsets are already NotFound
        if cursor is not None and cursor.position is not None and not self._position_fits(cursor.position):
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                # What encode_cursor produces (base64); anything else is answered 404.
                parameter["schema"] = {"type": "string", "pattern": "^[A-Za-z0-9+/=]*$", "maxLength": 200}
        return parameters

    def _position_fits(self, position: object) -> bool:
        ordering = self.ordering if isinstance(self.ordering, str) else self.ordering[0]
        try:
            field = self._model._meta.get_field(ordering.lstrip("-"))
        except (AttributeError, FieldDoesNotExist):
            return False
        try:
            value = field.to_python(position)
            if isinstance(field, models.DateTimeField) and value is not None:
                # The database sees it in UTC (naive means the current time zone, as in Django):
                # at the edges of the calendar that conversion overflows.
                aware = value if timezone.is_aware(value) else timezone.make_aware(value)
                aware.astimezone(UTC)
        except (ValidationError, ValueError, TypeError, OverflowError):
            return False
        if value is None:
            return False
        if isinstance(field, models.IntegerField):
            low, high = connection.ops.integer_field_range(field.get_internal_type())
            return (low is None or value >= low) and (high is None or value <= high)
        return True


class CheckedLimitOffsetPagination(LimitOffsetPagination):
    """Limit/offset pages whose parameters must be what the schema says (non-negative integers).

    DRF silently falls back to defaults for `?offset=null`; an API that states its limits refuses it.
    """

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        for name in (self.limit_query_param, self.offset_query_param):
            values = request.query_params.getlist(name)
            if len(values) > 1 or any(not value.isdigit() or len(value) > 18 for value in values):
                raise InvalidInput(f"{name}: Must be a whole number.")
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        # State the bounds paginate_queryset enforces, so clients (and the fuzzer) know them.
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {**parameter["schema"], "minimum": 0, "maximum": 10**18 - 1}
        return parameters
