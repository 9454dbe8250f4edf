import factory

from accounts.models import MembershipStatus, Role, User

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    display_name = factory.LazyAttribute(lambda o: f"{o.first_name} {o.last_name}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    role = Role.MEMBER
    membership_status = MembershipStatus.ACTIVE
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()  # type: ignore[attr-defined]


class MemberFactory(UserFactory):
    role = Role.MEMBER


class StaffFactory(UserFactory):
    role = Role.STAFF
    username = factory.Sequence(lambda n: f"staff{n}")


class AdminFactory(UserFactory):
    role = Role.ADMIN
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


def as_user(obj: object) -> User:
    """A factory's product typed as the User it is (factory_boy's stubs type it as the factory)."""
    assert isinstance(obj, User)
    return obj
