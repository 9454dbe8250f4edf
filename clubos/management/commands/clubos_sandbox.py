"""`clubos_sandbox`: run the stand-in ClubOS server, or make a member text a running one."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

import httpx
from django.core.management.base import BaseCommand, CommandError

from clubos.app_settings import app_settings


class Command(BaseCommand):
    help = (
        "Run the ClubOS sandbox (a stand-in ClubOS server seeded with the demo club), or, with `inject`, "
        "make a member text (or email) the club on a running sandbox."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", nargs="?", default="serve", choices=["serve", "inject"])
        parser.add_argument("--host", default="127.0.0.1", help="serve: address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8765, help="serve: port (default 8765)")
        parser.add_argument("--empty", action="store_true", help="serve: members only, no seeded inbox")
        parser.add_argument("--member", type=int, help="inject: the member's ClubOS id (accounts.demo)")
        parser.add_argument("--text", help="inject: the message")
        parser.add_argument("--email", action="store_true", help="inject: send it as an email")
        parser.add_argument("--subject", default="", help="inject: the email's subject")
        parser.add_argument("--url", help="inject: the running sandbox (default CLUBOS_BASE_URL)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "inject":
            self.inject(options)
        else:
            self.serve(options)

    def serve(self, options: dict[str, Any]) -> None:
        from clubos.sandbox import SandboxServer

        try:
            server = SandboxServer(
                host=options["host"],
                port=options["port"],
                username=app_settings.USERNAME,
                password=app_settings.PASSWORD,
                seed_inbox=not options["empty"],
            )
        except OSError as exc:
            raise CommandError(f"cannot listen on {options['host']}:{options['port']}: {exc}") from exc
        self.stdout.write(f"ClubOS sandbox on {server.url}/ (control page: {server.url}/__sandbox__/)")
        self.stdout.write(f"  sync login: {server.state.username} / {server.state.password}")
        self.stdout.write("  Ctrl-C stops it.")
        self.stdout.flush()  # the banner shows at once even when stdout is a pipe (make run, tests)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("ClubOS sandbox stopped.")
        finally:
            server.stop()

    def inject(self, options: dict[str, Any]) -> None:
        if not options["member"] or not options["text"]:
            raise CommandError('inject needs --member <ClubOS id> and --text "..."')
        url = (options["url"] or app_settings.BASE_URL).rstrip("/")
        payload = {
            "action": "inject",
            "member_id": options["member"],
            "text": options["text"],
            "email": options["email"],
            "subject": options["subject"],
        }
        try:
            response = httpx.post(f"{url}/__sandbox__/control", json=payload, timeout=5.0)
        except httpx.InvalidURL as exc:
            raise CommandError(f"{url!r} is not a valid URL ({exc})") from None
        except httpx.HTTPError as exc:
            raise CommandError(f"no ClubOS sandbox answering at {url} ({type(exc).__name__})") from exc
        try:
            body = response.json()
        except json.JSONDecodeError:
            raise CommandError(f"{url} is not a ClubOS sandbox (HTTP {response.status_code})") from None
        if response.status_code != 200:
            raise CommandError(f"the sandbox refused: {body.get('error', response.status_code)}")
        self.stdout.write(f"message {body['result']} from member {options['member']} is in the club's inbox")
