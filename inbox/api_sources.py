"""`POST /api/v1/inbox/sources/<slug>/messages/`: an integration source delivers a member's message.

No session, CSRF or token: the request's HMAC signature over its timestamp and raw body is the
credential (docs/integrations.md). A thin view: look up the source, check the signature on the
raw bytes, validate the JSON, call `sources.source_message_ingest`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.app_settings import app_settings as core_settings
from core.fields import PlainTextField, validated_input
from core.parsers import RequestTooLarge
from core.schema import ErrorDetailSerializer

from .models import Channel, InboxMessage
from .services import sources

TAG = "Integration sources"
SIGNING = (
    "Signed, not authenticated: send `X-Clubroom-Timestamp: <unix seconds>` and "
    '`X-Clubroom-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>` computed with the '
    "source's secret (shown to admins in Django admin). Requests whose timestamp is more than 5 minutes "
    "from the server's clock are refused. Idempotent by `message_id`: the first delivery answers 201, "
    "a repeat 200 with the message stored the first time. See docs/integrations.md."
)


class SignatureRejected(exceptions.APIException):
    """401 without DRF's authenticator dance: this endpoint has no authenticators, only the signature."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "The request signature is not valid."
    default_code = "signature_invalid"


class SourceContactSerializer(serializers.Serializer):
    id = PlainTextField(max_length=sources.EXTERNAL_ID_MAX_LENGTH, require_text=True, trim_whitespace=True)
    name = PlainTextField(max_length=200, require_text=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    phone = PlainTextField(max_length=32, required=False, allow_blank=True, default="")


class SourceMessageInSerializer(serializers.Serializer):
    message_id = PlainTextField(max_length=sources.EXTERNAL_ID_MAX_LENGTH, require_text=True)
    contact = SourceContactSerializer()
    body = PlainTextField(max_length=5000, require_text=True, help_text="Plain text; shown escaped.")
    sent_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, default=Channel.SMS)


class SourceMessageOutSerializer(serializers.ModelSerializer):
    message_id = serializers.SerializerMethodField(help_text="The source's own message id, as it was sent.")
    conversation = serializers.IntegerField(source="conversation_id")

    class Meta:
        model = InboxMessage
        fields = ["id", "message_id", "conversation", "channel", "body", "sent_at", "created_at"]

    def get_message_id(self, message: InboxMessage) -> str:
        return (message.external_id or "").partition(":")[2]


class SourceMessageAPI(APIView):
    authentication_classes: list[Any] = []  # the signature is the credential (see SIGNING)
    permission_classes = [AllowAny]
    signed_webhook = True  # tests/core/test_api.py: the one kind of API view without the default authenticators

    @extend_schema(
        tags=[TAG],
        summary="Deliver a member's message from an integration source",
        description=SIGNING,
        auth=[],
        parameters=[
            OpenApiParameter(
                "X-Clubroom-Timestamp", str, OpenApiParameter.HEADER, required=True, description="Unix seconds."
            ),
            OpenApiParameter(
                "X-Clubroom-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description='`sha256=` + hex HMAC-SHA256(secret, "<timestamp>.<raw body>").',
            ),
        ],
        request=SourceMessageInSerializer,
        responses={
            201: SourceMessageOutSerializer,
            200: OpenApiResponse(SourceMessageOutSerializer, description="A repeat: the message stored before."),
            401: OpenApiResponse(
                ErrorDetailSerializer, description="Missing or wrong signature, or a stale timestamp."
            ),
            404: OpenApiResponse(ErrorDetailSerializer, description="No active source with this slug."),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        source = sources.source_get_active(slug=slug)
        limit = core_settings.API_MAX_JSON_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            raise RequestTooLarge(f"JSON bodies are limited to {limit:,} bytes.")
        raw = request.body
        try:
            sources.source_request_verify(
                source=source,
                timestamp=request.headers.get(sources.TIMESTAMP_HEADER),
                signature=request.headers.get(sources.SIGNATURE_HEADER),
                body=raw,
            )
        except sources.SignatureInvalid as error:
            raise SignatureRejected(error.message) from error
        if not isinstance(request.data, dict):
            raise exceptions.ParseError("The body must be a JSON object.")
        data = validated_input(SourceMessageInSerializer(data=request.data))
        contact = data["contact"]
        outcome = sources.source_message_ingest(
            source=source,
            message_id=data["message_id"],
            contact=sources.SourceContact(
                id=contact["id"], name=contact["name"], email=contact["email"], phone=contact["phone"]
            ),
            body=data["body"],
            sent_at=data["sent_at"],
            channel=data["channel"],
        )
        code = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
        return Response(SourceMessageOutSerializer(outcome.message).data, status=code)
