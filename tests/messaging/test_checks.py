from messaging.checks import check_messaging_settings


def _ids(settings) -> list[str | None]:
    return [message.id for message in check_messaging_settings(None)]


def test_default_settings_pass(settings):
    assert _ids(settings) == []


def test_bad_limits_are_errors(settings):
    settings.MESSAGING_RATE_LIMIT_PER_MINUTE = 0
    settings.MESSAGING_BODY_MAX_LENGTH = 6000
    assert _ids(settings) == ["messaging.E001", "messaging.E002"]


def test_per_process_cache_with_a_shared_channel_layer_is_a_warning(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert _ids(settings) == ["messaging.W001"]


def test_bad_chat_and_email_settings_are_errors(settings):
    settings.MESSAGING_EDIT_WINDOW_SECONDS = -1
    settings.MESSAGING_UNREAD_EMAIL_SWEEP_SECONDS = 0
    settings.MESSAGING_SITE_URL = "club.example.com"
    assert _ids(settings) == ["messaging.E003", "messaging.E004", "messaging.E005"]
