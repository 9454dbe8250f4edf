import pytest
from django.core.management import call_command

from accounts import demo
from accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_creates_nothing_new(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    count = User.objects.count()
    call_command("seed_demo")
    second = capsys.readouterr().out
    assert count == 1 + len(demo.STAFF) + len(demo.MEMBERS)
    assert User.objects.count() == count
    assert f"created={count} existing=0" in first
    assert f"created=0 existing={count}" in second
    assert demo.DEMO_PASSWORD in second


def test_seed_demo_roles_and_clubos_ids():
    call_command("seed_demo")
    assert User.objects.filter(role=Role.ADMIN, is_superuser=True).count() == 1
    staff = User.objects.filter(role=Role.STAFF)
    assert staff.count() == 2
    assert not staff.filter(is_superuser=True).exists()
    assert all(s.groups.filter(name="Club staff").exists() for s in staff)
    members = User.objects.filter(role=Role.MEMBER)
    assert members.count() >= 30
    assert members.filter(clubos_member_id__isnull=True).count() == 0
    first_names = [m.first_name for m in members]
    assert any(first_names.count(n) > 1 for n in first_names)  # two people share a first name
    assert members.filter(last_name__contains="'").exists()
