import pytest
from django.urls import reverse

from accounts.models import User
from tests.accounts.factories import PASSWORD, MemberFactory

pytestmark = pytest.mark.django_db


def test_anonymous_directory_redirects_to_login(client):
    response = client.get(reverse("accounts:directory"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_sign_in_with_password_then_sign_out(client, member):
    response = client.post(reverse("accounts:login"), {"username": member.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:directory")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:directory")).status_code == 302


def test_wrong_password_shows_error_not_500(client, member):
    response = client.post(reverse("accounts:login"), {"username": member.username, "password": "nope"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content


def test_directory_searches_by_name_with_accents_and_apostrophes(member_client):
    MemberFactory(display_name="Seán O'Connor")
    MemberFactory(display_name="Zoë Müller")
    response = member_client.get(reverse("accounts:directory"), {"q": "O'Con"})
    content = response.content.decode()
    assert "Seán O&#x27;Connor" in content
    assert "Zoë" not in content


def test_directory_paginates(member_client):
    MemberFactory.create_batch(30)
    first = member_client.get(reverse("accounts:directory"))
    assert len(first.context["page"].object_list) == 24
    second = member_client.get(reverse("accounts:directory"), {"page": 2})
    assert len(second.context["page"].object_list) == 31 - 24  # 30 + the signed-in member
    assert member_client.get(reverse("accounts:directory"), {"page": "junk"}).status_code == 200


def test_profile_escapes_bio(member_client):
    person = MemberFactory(bio="<script>alert(1)</script>")
    content = member_client.get(reverse("accounts:profile", args=[person.username])).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;" in content


def test_unknown_profile_is_404(member_client):
    assert member_client.get(reverse("accounts:profile", args=["nobody-here"])).status_code == 404


def test_member_edits_own_profile(member_client, member):
    url = reverse("accounts:profile_edit", args=[member.username])
    response = member_client.post(
        url, {"display_name": "New Name", "bio": "Hi", "email": "x@example.com", "mobile_phone": "+1312"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.display_name == "New Name"


def test_member_cannot_edit_another_members_profile(member_client, other_member):
    url = reverse("accounts:profile_edit", args=[other_member.username])
    assert member_client.get(url).status_code == 403
    assert member_client.post(url, {"display_name": "Hacked"}).status_code == 403
    other_member.refresh_from_db()
    assert other_member.display_name != "Hacked"


def test_edit_with_blank_name_is_rejected(member_client, member):
    url = reverse("accounts:profile_edit", args=[member.username])
    response = member_client.post(url, {"display_name": "  ", "bio": "", "email": "", "mobile_phone": ""})
    assert response.status_code == 200
    assert "Enter the name" in response.content.decode()


def test_password_change_page(member_client):
    assert member_client.get(reverse("accounts:password_change")).status_code == 200


def test_staff_is_not_django_admin(staff_client, staff):
    assert staff.is_inbox_staff
    response = staff_client.get("/admin/")
    assert response.status_code == 302  # admin login, not the admin index


def test_admin_can_open_admin(admin_client_logged_in):
    assert admin_client_logged_in.get("/admin/accounts/user/").status_code == 200


def test_initials():
    assert User(display_name="Seán O'Connor").initials == "SO"
    assert User(display_name="Mateo").initials == "M"


def _club_staff_client():
    from django.test import Client

    from accounts.services import club_staff_group_ensure
    from tests.accounts.factories import StaffFactory

    staff = StaffFactory.create(is_staff=True)
    staff.groups.add(club_staff_group_ensure())
    client = Client()
    client.force_login(staff)
    return staff, client


def test_club_staff_edit_a_members_profile_in_admin():
    _, client = _club_staff_client()
    person = MemberFactory.create(display_name="Before")
    url = f"/admin/accounts/user/{person.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b"is_superuser" not in page.content  # no roles or permissions for non-admins
    data = {
        "first_name": person.first_name, "last_name": person.last_name, "display_name": "After", "bio": "",
        "email": person.email, "mobile_phone": "", "clubos_member_id": "", "membership_status": "frozen",
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.display_name, person.membership_status) == ("After", "frozen")


def test_club_staff_cannot_promote_themselves_or_add_people():
    staff, client = _club_staff_client()
    url = f"/admin/accounts/user/{staff.pk}/change/"
    data = {"first_name": "x", "last_name": "y", "display_name": "Me", "bio": "", "email": staff.email,
            "mobile_phone": "", "clubos_member_id": "", "membership_status": "active",
            "is_superuser": "on", "role": "admin"}  # fmt: skip
    client.post(url, data)
    staff.refresh_from_db()
    assert not staff.is_superuser
    assert staff.role == "staff"
    assert client.get("/admin/accounts/user/add/").status_code == 403
    assert client.get("/admin/messaging/messagingsettings/", follow=True).status_code == 403
