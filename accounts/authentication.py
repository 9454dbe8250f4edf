"""`Authorization: Bearer <key>`: integrations call the API with an ApiToken created in admin.

First in REST_FRAMEWORK's authenticators, so an anonymous request's 401 carries
`WWW-Authenticate: Bearer`. DRF's own `Authorization: Token <key>` keeps working after it (this
class ignores every other scheme). A revoked, unknown or inactive-user key is a 401; a read-only
key is refused writes (403) here, on every API, and again by `accounts.permissions.IsInboxStaff`.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from . import services
from .models import ApiToken
from .permissions import READ_ONLY_TOKEN_MESSAGE

KEYWORD = "Bearer"


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send `Authorization: Bearer <key>` with the key and nothing else.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed("The API key is not valid.") from error
        token = services.api_token_authenticate(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed("The API key is not valid.")
        if token.is_revoked:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The account this API key acts as is inactive.")
        if not token.allows_writes and request.method not in SAFE_METHODS:
            # Every API, not only the inbox's (IsInboxStaff checks the same): read-only means read-only.
            raise exceptions.PermissionDenied(READ_ONLY_TOKEN_MESSAGE)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'
