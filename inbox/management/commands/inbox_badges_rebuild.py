from typing import Any

from django.core.management.base import BaseCommand

from inbox.services.badges import badges_rebuild


class Command(BaseCommand):
    help = (
        "Repair every staff badge's entries from the conversations and read pointers (beat does this every"
        " INBOX_BADGES_REBUILD_SECONDS); run it after changing conversations or read state by hand."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = badges_rebuild()
        self.stdout.write(
            f"inbox_badges_rebuild: checked={result.badges} added={result.added} removed={result.removed}"
            f" flipped={result.flipped} dropped={result.dropped}"
        )
