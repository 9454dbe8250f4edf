from typing import Any

from django.core.management.base import BaseCommand

from accounts.services import demo_club_seed
from accounts.signals import demo_club_seeded


class Command(BaseCommand):
    help = "Create the demo club (admin, staff, ~30 members). Safe to run again: creates nothing new."

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_club_seed()
        demo_club_seeded.send(sender=self.__class__)  # other apps seed their demo data (e.g. the AI agent)
        self.stdout.write(f"seed_demo: created={result.created} existing={result.existing}")
        self.stdout.write("Demo logins (every member shares the same password):")
        for role, username, password in result.logins:
            self.stdout.write(f"  {role:<7} {username:<22} {password}")
