"""Staff manage members only in admin; only admins set passwords; user admin actions are logged (issue 8, #1)."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import club_staff_group_ensure
from tests.accounts.factories import PASSWORD, AdminFactory, MemberFactory, StaffFactory, as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def club_staff():
    """Staff as the demo seeds them: Django admin access through the "Club staff" group."""
    user = as_user(StaffFactory(is_staff=True))
    user.groups.add(club_staff_group_ensure())
    return user


@pytest.fixture
def staff_admin(club_staff) -> Client:
    client = Client()
    client.force_login(club_staff)
    return client


def _change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def _password_url(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def test_staff_cannot_open_or_use_the_password_form_of_the_superuser(staff_admin):
    superuser = as_user(AdminFactory())
    assert staff_admin.get(_password_url(superuser)).status_code == 403
    response = staff_admin.post(
        _password_url(superuser),
        {"password1": "taken-over-1234", "password2": "taken-over-1234", "usable_password": "true"},
    )
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.check_password(PASSWORD)
    assert not Client().login(username=superuser.username, password="taken-over-1234")


def test_staff_cannot_set_a_members_password_either(staff_admin):
    member = as_user(MemberFactory())
    response = staff_admin.post(
        _password_url(member), {"password1": "new-pass-12345", "password2": "new-pass-12345", "usable_password": "true"}
    )
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_an_admin_sets_anyones_password_and_it_is_logged(admin_client_logged_in, admin_user):
    staff = as_user(StaffFactory())
    response = admin_client_logged_in.post(
        _password_url(staff), {"password1": "new-pass-12345", "password2": "new-pass-12345", "usable_password": "true"}
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("new-pass-12345")
    entry = LogEntry.objects.get(object_id=str(staff.pk))
    assert entry.user == admin_user
    assert entry.action_flag == CHANGE


@pytest.mark.parametrize("kind", ["superuser", "staff"])
def test_staff_can_neither_view_nor_change_staff_or_admin_accounts(staff_admin, kind):
    target = as_user(AdminFactory()) if kind == "superuser" else as_user(StaffFactory(is_staff=True))
    before = (target.username, target.email, target.role, target.is_superuser, target.is_staff)
    assert staff_admin.get(_change_url(target)).status_code == 302  # "doesn't exist", back to the index
    staff_admin.post(
        _change_url(target), {"username": target.username, "email": "mine@example.com", "display_name": "x"}
    )
    assert staff_admin.get(reverse("admin:accounts_user_history", args=[target.pk])).status_code == 302
    assert staff_admin.post(reverse("admin:accounts_user_delete", args=[target.pk]), {"post": "yes"}).status_code == 403
    target.refresh_from_db()
    assert (target.username, target.email, target.role, target.is_superuser, target.is_staff) == before
    listing = staff_admin.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert target.username not in listing


def test_staff_edit_a_members_profile_but_not_their_role_groups_or_permissions(staff_admin, club_staff):
    member = as_user(MemberFactory())
    form = staff_admin.get(_change_url(member)).content.decode()
    for hidden in ('name="role"', 'name="is_superuser"', 'name="is_staff"', 'name="groups"', 'name="user_permissions"'):
        assert hidden not in form
    assert "/password/" not in form
    response = staff_admin.post(
        _change_url(member),
        {
            "first_name": "Dana",
            "last_name": "Reyes",
            "display_name": "Dana R.",
            "bio": "",
            "email": "dana@example.com",
            "mobile_phone": "",
            "clubos_member_id": "",
            "membership_status": "active",
            # Smuggled fields: the form has none of them, so they are ignored.
            "role": Role.ADMIN,
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [club_staff.groups.get().pk],
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.display_name == "Dana R."
    assert (member.role, member.is_superuser, member.is_staff, member.groups.count()) == (Role.MEMBER, False, False, 0)
    entry = LogEntry.objects.get(object_id=str(member.pk))
    assert entry.user == club_staff
    assert entry.action_flag == CHANGE


def test_staff_send_a_member_a_reset_link_that_works_and_is_logged(
    staff_admin, club_staff, django_capture_on_commit_callbacks
):
    member = as_user(MemberFactory(email="dana@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_admin.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "send_password_reset", "_selected_action": [member.pk]},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["dana@example.com"]
    assert LogEntry.objects.get(object_id=str(member.pk)).change_message == "Sent a password-reset email."
    link = next(line for line in email.body.splitlines() if "/accounts/reset/" in line).strip()
    path = link.split("testserver", 1)[1]
    visitor = Client()
    form_page = visitor.get(path, follow=True)
    assert form_page.context["validlink"]
    response = visitor.post(
        form_page.redirect_chain[-1][0], {"new_password1": "fresh-pass-9876", "new_password2": "fresh-pass-9876"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("fresh-pass-9876")


def test_the_reset_action_skips_staff_accounts_even_if_posted(staff_admin):
    colleague = as_user(StaffFactory(is_staff=True, email="colleague@example.com"))
    staff_admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "send_password_reset", "_selected_action": [colleague.pk]},
    )
    assert mail.outbox == []
    assert not LogEntry.objects.exists()


def test_admin_still_edits_roles(admin_client_logged_in):
    member = as_user(MemberFactory())
    form = admin_client_logged_in.get(_change_url(member)).content.decode()
    assert 'name="role"' in form
    assert 'name="is_superuser"' in form
