"""The API's JSON parser: size and nesting are checked on the raw bytes, before json.loads runs.

Python's json module recurses per nesting level, so 100,000 `[` end in a RecursionError (a 500);
a body far larger than any message only costs memory. Numbers that overflow to infinity and the
non-standard NaN/Infinity literals are refused too: JSON has no such values.
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

from .app_settings import app_settings


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def json_depth_exceeds(text: str, limit: int) -> bool:
    """True when arrays/objects nest deeper than `limit` (brackets inside strings don't count)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is out of range")
    return value


class LimitedJSONParser(JSONParser):
    """JSONParser with a byte limit and a nesting limit (CLUBROOM_API_MAX_JSON_BYTES / _DEPTH)."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        parser_context = parser_context or {}
        limit = app_settings.API_MAX_JSON_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge(f"JSON bodies are limited to {limit:,} bytes.")
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise exceptions.ParseError(f"The body is not valid {encoding} text.") from error
        depth = app_settings.API_MAX_JSON_DEPTH
        if json_depth_exceeds(text, depth):
            raise exceptions.ParseError(f"JSON bodies may nest at most {depth} levels deep.")
        try:
            return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
        except ValueError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from error
