"""Serializer fields for text people send through the API."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, serializers, status
from rest_framework.settings import api_settings

from .validators import validate_no_control_characters

_TEXT_CHAR = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
# For the schema only (core.schema): what validate_no_control_characters and the trimming enforce.
# Lone surrogates are refused too, but JSON Schema regexes cannot name them.
TEXT_PATTERN = rf"^{_TEXT_CHAR}*$"
NOT_BLANK_TEXT_PATTERN = rf"^{_TEXT_CHAR}*[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]{_TEXT_CHAR}*$"


class PlainTextField(serializers.CharField):
    """A JSON string (a number or boolean is refused, not coerced) without control characters.

    `require_text`: the value must hold something besides whitespace (the schema's pattern says so;
    the check itself is the service's or CharField's blank rule after trimming).
    """

    default_error_messages = {"not_a_string": "Must be a string."}

    def __init__(self, *, require_text: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.require_text = require_text
        self.validators.append(validate_no_control_characters)

    @property
    def schema_pattern(self) -> str:
        return NOT_BLANK_TEXT_PATTERN if self.require_text else TEXT_PATTERN

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON true/false: 0, 1, "yes" and the like are refused, not coerced (the schema says boolean)."""

    default_error_messages = {"not_a_boolean": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("not_a_boolean")
        return data


class InvalidInput(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request body is not valid."
    default_code = "invalid"


def _first_error(errors: Any, path: str = "") -> str:
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = path if key == api_settings.NON_FIELD_ERRORS_KEY else f"{path}.{key}" if path else str(key)
            return _first_error(value, name)
    if isinstance(errors, list) and errors:
        return _first_error(errors[0], path)
    return f"{path}: {errors}" if path else str(errors)


def validated_input(serializer: serializers.Serializer) -> dict[str, Any]:
    """The serializer's validated data, or a 400 `{"detail": "<field>: <message>"}` (the API's one error shape)."""
    if not serializer.is_valid():
        raise InvalidInput(_first_error(serializer.errors))
    return dict(serializer.validated_data)
