from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from messaging import services


class Command(BaseCommand):
    help = "Rebuild every direct-message unread counter from its read pointer and report the drift found."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only report the drift; change nothing.")
        parser.add_argument("--batch-size", type=int, default=5000, help="Participants per transaction.")

    def handle(self, *args: Any, dry_run: bool, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        result = services.unread_recount(fix=not dry_run, batch_size=batch_size)
        verb = "would fix" if dry_run else "fixed"
        self.stdout.write(
            f"Checked {result.checked} participant(s): {result.drifted} drifted "
            f"(total drift {result.total_drift} message(s)); {verb} {result.drifted}."
        )
