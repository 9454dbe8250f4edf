"""The repeat filter on the console handler: one line per interval per call site, with a count."""

from __future__ import annotations

import io
import logging
import time

from core.logfilters import RepeatedErrorFilter


def _logger(interval: float) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RepeatedErrorFilter(interval=interval))
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(f"tests.core.repeats.{interval}.{time.monotonic_ns()}")
    logger.propagate = False
    logger.addHandler(handler)
    return logger, stream


def _storm(logger: logging.Logger, n: int) -> None:
    for i in range(n):
        try:
            raise ConnectionError(f"Error 111 connecting to 127.0.0.1:6379 (try {i})")
        except ConnectionError:
            logger.exception("Exception inside application")


def test_a_storm_of_one_error_is_one_traceback_per_interval_with_a_count():
    logger, stream = _logger(interval=0.2)
    _storm(logger, 500)
    assert stream.getvalue().count("Traceback") == 1
    assert stream.getvalue().count("Exception inside application") == 1
    time.sleep(0.25)
    _storm(logger, 1)
    lines = [line for line in stream.getvalue().splitlines() if line.startswith("ERROR")]
    assert lines[-1] == "ERROR Exception inside application [and 499 more like it in the last 0.2 s]"


def test_different_call_sites_and_levels_below_warning_are_not_folded():
    logger, stream = _logger(interval=60)
    for _ in range(3):
        logger.info("a tick")
    logger.warning("one thing")
    logger.warning("another thing")
    output = stream.getvalue()
    assert output.count("a tick") == 3
    assert "one thing" in output
    assert "another thing" in output


def test_the_settings_install_it_on_the_console_handler():
    from django.conf import settings

    logging_config: dict = settings.LOGGING
    assert logging_config["handlers"]["console"]["filters"] == ["repeats"]
    assert logging_config["filters"]["repeats"]["()"] == "core.logfilters.RepeatedErrorFilter"
    assert settings.CELERY_WORKER_HIJACK_ROOT_LOGGER is False  # workers keep Django's handler and filter
