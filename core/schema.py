"""The OpenAPI schema states what every API operation can answer, not only its success.

Every view of ours may answer 400 (a bad query string or body), 401, 403, 404 (not found, or not
yours), and every write 413 (body over CLUBROOM_API_MAX_JSON_BYTES) and 415 (not JSON), all as
`{"detail": "..."}`. Operations declare their own meaning for a code with @extend_schema; the
generic entries only fill the codes they leave out.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class PlainTextFieldExtension(OpenApiSerializerFieldExtension):
    """core.fields.PlainTextField: a string with its length limits and a pattern without control characters."""

    target_class = "core.fields.PlainTextField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema["pattern"] = self.target.schema_pattern
        if self.target.require_text:
            schema["minLength"] = max(schema.get("minLength", 0), 1)
        return schema


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """accounts.authentication.ApiTokenAuthentication: `Authorization: Bearer <key>` (core imports no app)."""

    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> Any:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token created in admin (scope read or read-write; revocable).",
        }


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in words a person can read.")


COMMON_ERRORS = {
    "400": "The query string or body is not valid (e.g. control characters, a non-string text field).",
    "401": "Not signed in, or a revoked key (send `Authorization: Bearer <API token>`, `Token <key>` or a session).",
    "403": "Signed in, but not allowed.",
    "404": "Not found, not yours, or a cursor this API did not issue.",
}
WRITE_ERRORS = {
    "413": "The JSON body is larger than the API accepts.",
    "415": "The body is not JSON.",
}


class ClubroomAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(COMMON_ERRORS)
        if self.method in ("POST", "PUT", "PATCH"):
            errors |= WRITE_ERRORS
        for code, description in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorDetailSerializer, description=description), code, direction=direction
                )
        return responses
