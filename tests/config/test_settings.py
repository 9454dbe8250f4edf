import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps({'db': settings.DATABASES['default']['ENGINE'],"
    "'layer': settings.CHANNEL_LAYERS['default']['BACKEND'], 'cache': settings.CACHES['default']['BACKEND'],"
    "'broker': settings.CELERY_BROKER_URL, 'eager': settings.CELERY_TASK_ALWAYS_EAGER}))"
)


def _settings_with(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_embedded_defaults_without_database_or_redis_url():
    settings = _settings_with()
    assert settings["db"] == "django.db.backends.sqlite3"
    assert settings["layer"] == "channels.layers.InMemoryChannelLayer"
    assert settings["cache"].endswith("LocMemCache")
    assert settings["broker"] == "memory://"
    assert settings["eager"] is True


def test_postgres_and_redis_when_urls_are_set():
    settings = _settings_with(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/clubroom", REDIS_URL="redis://127.0.0.1:6379/3"
    )
    assert settings["db"] == "django.db.backends.postgresql"
    assert settings["layer"] == "channels_redis.core.RedisChannelLayer"
    assert settings["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert settings["broker"] == "redis://127.0.0.1:6379/3"
    assert settings["eager"] is False


@pytest.mark.parametrize("debug", ["0"])
def test_daphne_entry_point_refuses_to_start_with_dev_key(debug):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY",)}
    env.update(DJANGO_DEBUG=debug, DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "-c", "import config.asgi"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "clubroom.E001" in result.stderr


CLUBOS_PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "from clubos.app_settings import app_settings as s;"
    "print(json.dumps({'defined': hasattr(settings, 'CLUBOS_PASSWORD'), 'password': s.PASSWORD,"
    "'poll': s.POLL_SECONDS, 'owners': s.INBOX_OWNERS}))"
)


def _clubos_settings_with(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLUBOS_")}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    out = subprocess.run(
        [sys.executable, "-c", CLUBOS_PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_clubos_defaults_come_from_the_app_and_the_environment_overrides_them():
    defaults = _clubos_settings_with()
    assert defaults == {"defined": False, "password": "sandbox-password", "poll": 10, "owners": []}
    chosen = _clubos_settings_with(CLUBOS_PASSWORD="s3cret", CLUBOS_POLL_SECONDS="30", CLUBOS_INBOX_OWNERS="7,9")
    assert chosen == {"defined": True, "password": "s3cret", "poll": 30, "owners": [7, 9]}
