"""Log hygiene: a storm of one identical error becomes one line per interval with a count.

`RepeatedErrorFilter` sits on the console handler (config/settings.py LOGGING). Records of
WARNING and above are keyed by where they were logged (logger, level, file, line) and by their
exception type: the first one in an interval goes out in full (traceback included); the rest are
counted, and the next one after the interval says how many were folded into it. A Redis outage
under load is then a handful of lines a minute, not thousands of tracebacks.
"""

from __future__ import annotations

import logging
import threading
import time

_Key = tuple[str, int, str, int, str]


class RepeatedErrorFilter(logging.Filter):
    def __init__(self, interval: float = 60.0, min_level: int = logging.WARNING) -> None:
        super().__init__()
        self.interval = float(interval)
        self.min_level = min_level
        self._lock = threading.Lock()
        self._seen: dict[_Key, tuple[float, int]] = {}  # key -> (when last let through, folded since)

    @staticmethod
    def key(record: logging.LogRecord) -> _Key:
        exc_type = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        return (record.name, record.levelno, record.pathname, record.lineno, exc_type)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < self.min_level or self.interval <= 0:
            return True
        key, now = self.key(record), time.monotonic()
        with self._lock:
            last, folded = self._seen.get(key, (None, 0))
            if last is not None and now - last < self.interval:
                self._seen[key] = (last, folded + 1)
                return False
            self._seen[key] = (now, 0)
            if len(self._seen) > 10_000:  # a bound, should call sites ever be unbounded
                self._seen = {key: (now, 0)}
        if folded:
            record.msg = f"{record.getMessage()} [and {folded} more like it in the last {self.interval:g} s]"
            record.args = None
        return True


class ServerErrorsOnly(logging.Filter):
    """Let `django.request` log server errors (5xx) only.

    Client errors are already one line each in the server's access log (`"GET /inbox/" 403`); Django
    would add a second line for a 404 and a whole traceback for a PermissionDenied, which on a first
    `make run` reads like something broke. Records without a status code pass.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        return not (isinstance(status, int) and 400 <= status < 500)
