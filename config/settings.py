"""Clubroom settings.

The only module that reads the environment (django-environ). Defaults are embedded: SQLite
under var/, in-memory channel layer and cache, Celery tasks run in-process. Setting
DATABASE_URL / REDIS_URL moves the same code onto PostgreSQL and Redis.
"""

import os
import tempfile
from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_SECRET_KEY = "django-insecure-clubroom-dev-key-do-not-use-in-production"  # noqa: S105

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "realtime",
    "messaging",
    "inbox",
    "clubos",
    "ai_agent",
]

MIDDLEWARE = [
    "core.outages.OutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.BadInputMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "messaging.context_processors.messaging",
                "inbox.context_processors.inbox",
                "clubos.context_processors.sync_health",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'clubroom.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process and the scheduler thread write side by side.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # A file, not memory, so browser tests' daphne subprocess sees the test data; one per test
    # process (in the temp dir) so parallel runs in one checkout never share it.
    _test_db = str(Path(tempfile.gettempdir()) / f"clubroom-test-{os.getpid()}.sqlite3")
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", _test_db)
elif _pool_size := env.int("DJANGO_DB_POOL_SIZE", default=0):
    # Django's ASGI handler runs each request on a thread of its own and connections are per thread, so
    # through daphne every request opened a PostgreSQL connection (~20 ms of a 45 ms send). A pool hands
    # a request a connection another request returned; a pool excludes persistent connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DJANGO_DB_POOL_MIN_SIZE", default=2),
        "max_size": _pool_size,
        "timeout": env.float("DJANGO_DB_POOL_TIMEOUT", default=10.0),
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, Celery -------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
EMBEDDED = not REDIS_URL

if REDIS_URL:
    # redis-py 8's pool refuses (500 on connect) past max_connections instead of queueing: the
    # default 100 is too few when a thousand sockets reconnect at once. Its default 5 s read
    # timeout equals channels_redis' 5 s BZPOPMIN, so idle receives time out and kill sockets.
    _redis = {
        "address": REDIS_URL,
        "max_connections": env.int("CLUBROOM_REDIS_MAX_CONNECTIONS", default=2000),
        "socket_timeout": 30,
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [_redis]}}}
    # One Redis pool per process, not per request (core/cache.py).
    CACHES = {"default": {"BACKEND": "core.cache.SharedPoolRedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Embedded: no broker, so tasks run in the calling process (after commit, like a worker would).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=EMBEDDED)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
# A worker killed mid-task: its task goes back to the queue at once (delivery is idempotent by row).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Redis redelivers a task nobody acked after this long (acks_late), and holds retries' countdowns
# no longer than this: above the send lease and the wait after an uncertain send (check clubos.W001).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Workers keep Django's LOGGING (its repeat filter) instead of installing their own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# In embedded mode the web process runs the beat schedule itself (config.scheduler).
CLUBROOM_EMBEDDED_SCHEDULER = env.bool("CLUBROOM_EMBEDDED_SCHEDULER", default=False)

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:directory"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Outgoing mail (password-reset links, unread-message emails). django-environ URL, e.g.
# smtp+tls://user:pass@host:587; unset = printed to the console while DEBUG, local SMTP in production.
_email = env.email_url(
    "EMAIL_URL", default=env.str("DJANGO_EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
)
_smtp = {
    option: _email[name]
    for option, name in [
        *(("host", "EMAIL_HOST"), ("port", "EMAIL_PORT"), ("username", "EMAIL_HOST_USER")),
        *(("password", "EMAIL_HOST_PASSWORD"), ("use_tls", "EMAIL_USE_TLS"), ("use_ssl", "EMAIL_USE_SSL")),
    ]
    if _email.get(name)
}
MAILERS = {
    "default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _smtp if "smtp" in _email["EMAIL_BACKEND"] else {}}
}
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="Clubroom <no-reply@localhost>")

# --- I18N / time ------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("CLUBROOM_TIME_ZONE", default="America/Chicago")
USE_I18N = True
USE_TZ = True

# --- Static -----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# daphne serves no static files itself; WhiteNoise does (straight from the apps while DEBUG).
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No inline script anywhere: every script is a static file. The nonce is for the inline <style>
# of Django admin's change list only (its template prints it); pages of ours need none.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],  # includes same-origin ws:/wss: (CSP level 3)
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
if not DEBUG:
    # Production sits behind a TLS proxy that sets X-Forwarded-Proto (README, "Running in production").
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)

# --- Hostile input (core) ----------------------------------------------------------------------
CLUBROOM_API_MAX_JSON_BYTES = env.int("CLUBROOM_API_MAX_JSON_BYTES", default=64 * 1024)
CLUBROOM_API_MAX_JSON_DEPTH = env.int("CLUBROOM_API_MAX_JSON_DEPTH", default=16)
CLUBROOM_API_DOCS_PUBLIC = env.bool("CLUBROOM_API_DOCS_PUBLIC", default=False)

# --- REST framework ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    # A token class first: an anonymous request gets 401 with a WWW-Authenticate header, not 403.
    # Set here only; API views never override it (but the signed source webhook, which has none).
    # Integrations send `Bearer <ApiToken key>` (scoped, revocable); DRF's `Token <key>` still works.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.ClubroomAutoSchema",
    "DEFAULT_PAGINATION_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # JSON only, size- and depth-limited before parsing.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.LimitedJSONParser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Clubroom API",
    "DESCRIPTION": "Member direct messages, the staff inbox, ClubOS sync and the AI agent.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (the sidecar), not a CDN: the CSP allows 'self' only.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for the AI intents, used by decisions, insights and their filters.
    "ENUM_NAME_OVERRIDES": {
        "IntentEnum": "ai_agent.intents.Intent",
        "ConversationStatusEnum": "inbox.models.ConversationStatus",
        "SettableConversationStatusEnum": "inbox.api_conversation.SETTABLE_STATUS_CHOICES",
    },
    # Ids in paths are config.converters.DatabaseIdConverter: 1 to 18 digits.
    # A `str` path segment holds no "/" and no control characters (core.middleware answers 400).
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999},
        "str": {"type": "string", "pattern": "^[^/\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]+$"},
    },
}

# --- Email links ------------------------------------------------------------------------------
# The site's public address, for links in emails (unsubscribe, "open the conversation").
MESSAGING_SITE_URL = env.str("CLUBROOM_SITE_URL", default="http://127.0.0.1:8000")
MESSAGING_UNREAD_EMAIL_DELAY_SECONDS = env.int("MESSAGING_UNREAD_EMAIL_DELAY_SECONDS", default=15 * 60)

# --- ClubOS, outbox, sockets, outages -------------------------------------------------------
# Passed on only when the environment sets them: the defaults live in each app's app_settings.py.
# (benchmarks/fault_scenarios.py shortens the timeouts to replay outages in seconds.)
for _name, _cast in {
    "CLUBOS_BASE_URL": env.str,
    "CLUBOS_USERNAME": env.str,
    "CLUBOS_PASSWORD": env.str,
    "CLUBOS_POLL_SECONDS": env.int,
    # Inbox owners to sync: empty means every owner in the dashboard's owner selector.
    "CLUBOS_INBOX_OWNERS": env.list,
    "CLUBOS_SYNC_LOCK_SECONDS": env.float,
    "CLUBOS_CONNECT_TIMEOUT": env.float,
    "CLUBOS_READ_TIMEOUT": env.float,
    "CLUBOS_SEND_LEASE_SECONDS": env.float,
    "CLUBOS_SEND_UNCERTAIN_MARGIN": env.float,
    "INBOX_OUTBOX_SWEEP_SECONDS": env.float,
    "INBOX_OUTBOX_NUDGE_GRACE_SECONDS": env.float,
    "INBOX_SOURCE_CONNECT_TIMEOUT": env.float,
    "INBOX_SOURCE_READ_TIMEOUT": env.float,
    "INBOX_SOURCE_RETRY_BACKOFF": env.float,
    "REALTIME_HEARTBEAT_SECONDS": env.float,
    "CLUBROOM_OUTAGE_RETRY_AFTER": env.int,
    # Where `manage.py clubos_sandbox` keeps its club across restarts and says which URL it serves on.
    "CLUBOS_SANDBOX_DIR": env.str,
}.items():
    if _name in os.environ:
        globals()[_name] = _cast(_name)

# --- OpenAI -----------------------------------------------------------------------------------
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
# "auto": OpenAI when OPENAI_API_KEY is set, else the embedded classifier; or "openai" / "embedded".
AI_AGENT_BACKEND = env.str("AI_AGENT_BACKEND", default="auto")

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # One identical warning/error per interval, with a count (an outage is not a traceback per request).
    "filters": {
        "repeats": {
            "()": "core.logfilters.RepeatedErrorFilter",
            "interval": env.float("CLUBROOM_LOG_REPEAT_SECONDS", default=60.0),
        },
        "server_errors_only": {"()": "core.logfilters.ServerErrorsOnly"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["repeats"]}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        # 4xx are one line each in daphne's access log; Django would add a line (404) or a traceback (403).
        "django.request": {"filters": ["server_errors_only"]},
        "daphne": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
    },
}
