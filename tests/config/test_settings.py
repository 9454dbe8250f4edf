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
    assert settings["cache"] == "core.cache.SharedPoolRedisCache"
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


POOL_PROBE = """
import json, threading, django
from django.conf import settings
django.setup()
from django.db import connection

pids = []

def request_thread():
    # What Django's ASGI handler does per request: a new thread, a query, the connection closed after.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pids.append(cursor.fetchone()[0])
    connection.close()

for _ in range(5):
    thread = threading.Thread(target=request_thread)
    thread.start()
    thread.join()
database = settings.DATABASES["default"]
print(json.dumps({"pool": database["OPTIONS"].get("pool"), "max_age": database["CONN_MAX_AGE"], "pids": pids}))
"""


def test_a_connection_pool_is_opt_in_and_excludes_persistent_connections():
    url = "postgres://postgres@127.0.0.1:5432/clubroom"
    probe = "import json, django; from django.conf import settings; django.setup(); d = settings.DATABASES['default'];"
    probe += "print(json.dumps({'pool': d.get('OPTIONS', {}).get('pool'), 'max_age': d['CONN_MAX_AGE']}))"

    def read(**env: str) -> dict:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_DB_POOL"))}
        clean.update(env, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings")
        out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=clean, capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    assert read(DJANGO_CONN_MAX_AGE="60") == {"pool": None, "max_age": 60}
    pooled = read(DJANGO_DB_POOL_SIZE="16", DJANGO_CONN_MAX_AGE="60")
    assert pooled["max_age"] == 0
    assert pooled["pool"]["max_size"] == 16


@pytest.mark.django_db
def test_with_a_pool_each_new_request_thread_reuses_a_returned_connection():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's (psycopg_pool)")
    from tests.fixtures.outages import subprocess_database_url

    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_DB_POOL")}
    env.update(
        DATABASE_URL=subprocess_database_url(), DJANGO_DB_POOL_SIZE="4", DJANGO_DB_POOL_MIN_SIZE="1",
        DJANGO_SETTINGS_MODULE="config.settings",
    )  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", POOL_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["pool"]["max_size"] == 4
    # Without the pool each thread opened its own connection: five backends for five requests.
    assert len(seen["pids"]) == 5
    assert len(set(seen["pids"])) <= 2, seen["pids"]
