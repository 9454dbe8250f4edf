"""API tokens for integrations: created in admin (key shown once), hashed, scoped read / read-write, revocable.

Through the real entry points: admin pages with the test client, the API with `Authorization: Bearer <key>`.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, TokenScope
from tests.accounts.factories import MemberFactory, StaffFactory, as_user

pytestmark = pytest.mark.django_db

STAFF_ENDPOINT = "/api/v1/clubos/sync/"  # IsInboxStaff: GET reads the status, POST pauses/resumes


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_a_key_is_stored_only_as_its_hash_with_a_visible_prefix(staff):
    token, key = services.api_token_create(name="Zapier", user=staff, scope=TokenScope.READ)

    token.refresh_from_db()
    assert key.startswith("crk_")
    assert len(key) > 40
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:12]
    assert key not in {str(getattr(token, field.attname)) for field in ApiToken._meta.concrete_fields}


def test_only_inbox_staff_can_hold_a_token(member):
    with pytest.raises(PermissionDenied):
        services.api_token_create(name="Nope", user=member)
    assert not ApiToken.objects.exists()


def test_a_bearer_key_acts_as_its_user_and_records_its_use(staff):
    token, key = services.api_token_create(name="Zapier", user=staff)

    response = bearer(key).get(STAFF_ENDPOINT)

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_used_is_written_at_most_once_a_minute(staff):
    token, key = services.api_token_create(name="Zapier", user=staff)
    bearer(key).get(STAFF_ENDPOINT)
    token.refresh_from_db()
    first = token.last_used_at

    bearer(key).get(STAFF_ENDPOINT)

    token.refresh_from_db()
    assert token.last_used_at == first
    stale = timezone.now() - timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    bearer(key).get(STAFF_ENDPOINT)
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at > stale + timedelta(minutes=1)


def test_a_read_key_reads_but_cannot_write(staff):
    _, key = services.api_token_create(name="Dashboard", user=staff, scope=TokenScope.READ)

    assert bearer(key).get(STAFF_ENDPOINT).status_code == 200
    response = bearer(key).post(STAFF_ENDPOINT, {"action": "pause"}, format="json")

    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_a_read_key_cannot_write_through_other_apis_either(staff):
    _, key = services.api_token_create(name="Dashboard", user=staff, scope=TokenScope.READ)

    response = bearer(key).put("/api/v1/messaging/preferences/", {"read_receipts": False}, format="json")

    assert response.status_code == 403


def test_a_read_write_key_writes(staff):
    from clubos.models import SyncControl

    _, key = services.api_token_create(name="Ops", user=staff, scope=TokenScope.READ_WRITE)

    response = bearer(key).post(STAFF_ENDPOINT, {"action": "pause"}, format="json")

    assert response.status_code == 200
    assert SyncControl.objects.get().paused is True


def test_a_revoked_key_is_401_saying_so(staff):
    token, key = services.api_token_create(name="Zapier", user=staff, scope=TokenScope.READ_WRITE)
    assert services.api_token_revoke(token=token) is True
    assert services.api_token_revoke(token=token) is False

    response = bearer(key).get(STAFF_ENDPOINT)

    assert response.status_code == 401
    assert response.json()["detail"] == "This API key has been revoked."
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "header",
    ["Bearer crk_not-a-real-key", "Bearer", "Bearer crk_a crk_b", "Bearer not-our-format", "Bearer " + "crk_x" * 100],
)
def test_unknown_or_malformed_bearer_keys_are_401(staff, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(STAFF_ENDPOINT)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_key_whose_user_was_deactivated_is_401(staff):
    _, key = services.api_token_create(name="Zapier", user=staff)
    staff.is_active = False
    staff.save()

    assert bearer(key).get(STAFF_ENDPOINT).status_code == 401


def test_a_token_of_a_demoted_user_is_403_on_staff_endpoints(staff):
    _, key = services.api_token_create(name="Zapier", user=staff)
    staff.role = "member"
    staff.save()

    assert bearer(key).get(STAFF_ENDPOINT).status_code == 403


def test_anonymous_is_401_with_a_bearer_challenge_and_drf_tokens_still_work(staff):
    anonymous = APIClient().get(STAFF_ENDPOINT)
    drf = APIClient()
    drf.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")

    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert drf.get(STAFF_ENDPOINT).status_code == 200


def test_the_schema_documents_bearer_tokens(staff_client):
    schema = staff_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token created in admin (scope read or read-write; revocable).",
    }


# --- Admin -------------------------------------------------------------------------------------------------


def test_admin_creates_a_token_and_sees_its_key_once(admin_client_logged_in):
    staff = as_user(StaffFactory())

    response = admin_client_logged_in.post(
        "/admin/accounts/apitoken/add/", {"name": "Zapier", "user": staff.pk, "scope": "read_write"}
    )

    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request) if "copy it now" in str(m)]
    key = message.split(" is ", 1)[1].split(" ", 1)[0]
    token = ApiToken.objects.get()
    assert (token.name, token.user, token.scope) == ("Zapier", staff, "read_write")
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    page = f"/admin/accounts/apitoken/{token.pk}/change/"
    assert key in admin_client_logged_in.get(page).content.decode()  # the page after saving shows it…
    again = admin_client_logged_in.get(page).content.decode()
    assert token.prefix in again
    assert key not in again  # …and nothing ever shows it again
    assert bearer(key).get(STAFF_ENDPOINT).status_code == 200


def test_admin_offers_only_inbox_staff_as_the_tokens_user(admin_client_logged_in):
    member = as_user(MemberFactory())

    response = admin_client_logged_in.post(
        "/admin/accounts/apitoken/add/", {"name": "X", "user": member.pk, "scope": "read"}
    )

    assert response.status_code == 200  # the form again, with the error
    assert not ApiToken.objects.exists()


def test_admin_revokes_tokens_with_the_action(admin_client_logged_in, staff):
    token, key = services.api_token_create(name="Zapier", user=staff)

    response = admin_client_logged_in.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert bearer(key).get(STAFF_ENDPOINT).status_code == 401
