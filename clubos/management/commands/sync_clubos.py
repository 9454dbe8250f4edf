"""`manage.py sync_clubos [--loop]`: copy new ClubOS inbox messages into Clubroom's staff inbox."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser, OutputWrapper

from clubos.app_settings import app_settings
from clubos.exceptions import ClubOSError
from clubos.services import lock, retries, runs, sync


class _Progress:
    """`\\r`-updated progress on a terminal's stderr; silent when stderr is not a terminal."""

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.shown = False
        self.last = 0.0

    def __call__(self, progress: runs.SyncProgress) -> None:
        now = time.monotonic()
        done = progress.messages_done >= progress.messages_total
        if not self.enabled or progress.messages_total == 0 or (now - self.last < 0.1 and not done):
            return
        self.last, self.shown = now, True
        self.stream.write(
            f"\rsyncing: members {progress.members_done}/{progress.members_total}, "
            f"messages {progress.messages_done}/{progress.messages_total} ",
            ending="",
        )
        self.stream.flush()

    def clear(self) -> None:
        if self.shown:
            self.stream.write("", ending="\n")
            self.stream.flush()
            self.shown = False


class Command(BaseCommand):
    help = (
        "Run one ClubOS inbox sync (or keep polling with --loop) and print what it copied. Exit status: 0 synced,"
        " 1 the run failed (the reason on stderr), 2 skipped because another sync is running."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", action="store_true", help="Repeat every CLUBOS_POLL_SECONDS until stopped (Ctrl-C)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The command's own lines are its interface; the clubos logs repeat them (see them with -v 2).
        clubos_logger = logging.getLogger("clubos")
        level = clubos_logger.level
        if options["verbosity"] < 2:
            clubos_logger.setLevel(logging.ERROR)
        try:
            self._handle(loop=options["loop"])
        finally:
            clubos_logger.setLevel(level)

    def _handle(self, *, loop: bool) -> None:
        if not loop:
            self._run_once(exit_on_error=True)
            return
        try:
            while True:
                started = time.monotonic()
                self._run_once(exit_on_error=False)
                time.sleep(max(0.0, app_settings.POLL_SECONDS - (time.monotonic() - started)))
        except KeyboardInterrupt:
            self.stderr.write("stopped")

    def _run_once(self, *, exit_on_error: bool) -> None:
        progress = _Progress(self.stderr)
        try:
            result = sync.clubos_sync_run(trigger="command", progress=progress)
        except lock.SyncAlreadyRunning as exc:
            progress.clear()
            self.stdout.write(f"sync skipped: {exc}")
            if exit_on_error:  # not a failure, but not a sync either: scripts can tell (exit status 2)
                raise SystemExit(2) from None
            return
        except ClubOSError as exc:
            progress.clear()
            self.stderr.write(f"sync failed: {retries.sync_error_message(exc)}")
            if exit_on_error:
                raise SystemExit(1) from None
            return
        progress.clear()
        self.stdout.write(result.summary_line())
