"""`clubos_sandbox`: run the stand-in ClubOS server, or make a member text a running one."""

from __future__ import annotations

import json
import signal
import sys
from argparse import ArgumentParser
from pathlib import Path
from types import FrameType
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
        parser.add_argument(
            "--fresh", action="store_true", help="serve: start from the seeded demo club, discarding the saved one"
        )
        parser.add_argument(
            "--state",
            help="serve: the file the club is kept in across restarts (default CLUBOS_SANDBOX_DIR/clubos-sandbox.json)",
        )
        parser.add_argument("--member", type=int, help="inject: the member's ClubOS id (accounts.demo)")
        parser.add_argument("--text", help="inject: the message")
        parser.add_argument("--email", action="store_true", help="inject: send it as an email")
        parser.add_argument("--subject", default="", help="inject: the email's subject")
        parser.add_argument(
            "--url", help="inject: the running sandbox (default: the one `make run` started, else CLUBOS_BASE_URL)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "inject":
            self.inject(options)
        else:
            self.serve(options)

    def serve(self, options: dict[str, Any]) -> None:
        from clubos.sandbox import SandboxServer

        state_file = Path(options["state"]) if options["state"] else app_settings.SANDBOX_STATE_FILE
        try:
            server = SandboxServer(
                host=options["host"],
                port=options["port"],
                username=app_settings.USERNAME,
                password=app_settings.PASSWORD,
                seed_inbox=not options["empty"],
                state_file=state_file,
                fresh=options["fresh"] or options["empty"],
            )
        except OSError as exc:
            raise CommandError(f"cannot listen on {options['host']}:{options['port']}: {exc}") from exc
        url_file = app_settings.SANDBOX_URL_FILE
        url_file.parent.mkdir(parents=True, exist_ok=True)
        url_file.write_text(server.url + "\n", encoding="utf-8")
        self.stdout.write(f"ClubOS sandbox on {server.url}/ (control page: {server.url}/__sandbox__/)")
        self.stdout.write(f"  sync login: {server.state.username} / {server.state.password}")
        kept = "restored from" if server.restored else "kept in"
        self.stdout.write(f"  club {kept} {state_file} (--fresh starts over). Ctrl-C stops it.")
        self.stdout.flush()  # the banner shows at once even when stdout is a pipe (make run, tests)

        def terminate(signum: int, frame: FrameType | None) -> None:
            sys.exit(0)  # unwinds through `finally`: the last changes are saved

        signal.signal(signal.SIGTERM, terminate)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("ClubOS sandbox stopped.")
        finally:
            server.stop()
            self._forget_url(url_file, server.url)

    @staticmethod
    def _forget_url(url_file: Path, url: str) -> None:
        try:
            if url_file.read_text(encoding="utf-8").strip() == url:
                url_file.unlink()
        except OSError:
            pass

    @staticmethod
    def _sandbox_urls(explicit: str | None) -> list[str]:
        """Where to look: `--url`; else the sandbox serving from this checkout (`make run`), then CLUBOS_BASE_URL."""
        if explicit:
            return [explicit.rstrip("/")]
        urls = []
        try:
            recorded = app_settings.SANDBOX_URL_FILE.read_text(encoding="utf-8").strip()
        except OSError:
            recorded = ""
        if recorded:
            urls.append(recorded.rstrip("/"))
        if app_settings.BASE_URL not in urls:
            urls.append(app_settings.BASE_URL)
        return urls

    def inject(self, options: dict[str, Any]) -> None:
        if not options["member"] or not options["text"]:
            raise CommandError('inject needs --member <ClubOS id> and --text "..."')
        payload = {
            "action": "inject",
            "member_id": options["member"],
            "text": options["text"],
            "email": options["email"],
            "subject": options["subject"],
        }
        urls = self._sandbox_urls(options["url"])
        for url in urls:
            try:
                response = httpx.post(f"{url}/__sandbox__/control", json=payload, timeout=5.0)
            except httpx.InvalidURL as exc:
                raise CommandError(f"{url!r} is not a valid URL ({exc})") from None
            except httpx.HTTPError as exc:
                if url is urls[-1]:
                    tried = " or ".join(urls)
                    raise CommandError(f"no ClubOS sandbox answering at {tried} ({type(exc).__name__})") from exc
                continue
            break
        try:
            body = response.json()
        except json.JSONDecodeError:
            raise CommandError(f"{url} is not a ClubOS sandbox (HTTP {response.status_code})") from None
        if response.status_code != 200:
            raise CommandError(f"the sandbox refused: {body.get('error', response.status_code)}")
        self.stdout.write(f"message {body['result']} from member {options['member']} is in the club's inbox")
