from django.core.checks import Error

from core.checks import check_production_secret_key


def test_production_refuses_dev_secret_key(settings):
    from config.settings import DEV_SECRET_KEY

    settings.DEBUG = False
    settings.SECRET_KEY = DEV_SECRET_KEY
    errors = check_production_secret_key(None)
    assert [e.id for e in errors] == ["clubroom.E001"]
    assert all(isinstance(e, Error) for e in errors)
    settings.SECRET_KEY = "a-real-secret-" * 4
    assert check_production_secret_key(None) == []
