"""Send → recipient's badge frame, with 1,000 sockets open, against a real daphne + Redis + PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clubroom_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python benchmarks/messaging_fanout_bench.py [--sockets 1000] [--sends 300] [--interval 0.02]

Creates N members with a thread each to one sender and a session each, starts daphne on a free port
(same database and Redis, CONN_MAX_AGE=60 as in production), opens one `/ws/notifications/` socket
per member, then sends messages to random members through `services.message_send` (the path the
page and API use) and times each from the call to the moment the recipient's socket receives the
frame with its new count. Prints connect time and p50/p95/max; bounded by --timeout seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PREFIX = "fanout-"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


class ServerClosed(ConnectionError):
    """The server closed the socket, with this close code (None when it gave none)."""

    def __init__(self, code: int | None) -> None:
        super().__init__(f"closed by server ({code})")
        self.code = code


class Socket:
    """The smallest websocket client that reads server text frames (no extensions, no fragmentation)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int, path: str, cookie: str) -> Socket:
        reader, writer = await asyncio.open_connection(host, port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{host}:{port}\r\n"
                f"Cookie: {cookie}\r\n\r\n"
            ).encode()
        )
        status = await reader.readline()
        if b" 101 " not in status:
            raise ConnectionError(f"handshake refused: {status!r}")
        await reader.readuntil(b"\r\n\r\n")
        return cls(reader, writer)

    async def frame(self) -> dict:
        while True:
            head = await self.reader.readexactly(2)
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = int.from_bytes(await self.reader.readexactly(2), "big")
            elif length == 127:
                length = int.from_bytes(await self.reader.readexactly(8), "big")
            payload = await self.reader.readexactly(length)
            if opcode == 0x1:
                return json.loads(payload)
            if opcode == 0x8:
                raise ServerClosed(int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None)

    def close(self) -> None:
        self.writer.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare(count: int):
    """Members, one thread each with the sender, and a session cookie each (bulk, idempotent)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from accounts.models import User
    from messaging.models import Participant, Thread

    User.objects.filter(username__startswith=PREFIX).delete()
    no_login = make_password(None)  # sessions are made directly; nobody signs in with a password
    sender = User.objects.create(username=f"{PREFIX}sender", display_name="Fan-out Sender", password=no_login)
    members = User.objects.bulk_create(
        [User(username=f"{PREFIX}{n}", display_name=f"Fan-out {n}", password=no_login) for n in range(count)]
    )
    now = timezone.now()
    threads = Thread.objects.bulk_create(
        [Thread(user_low_id=min(sender.pk, m.pk), user_high_id=max(sender.pk, m.pk)) for m in members]
    )
    Participant.objects.bulk_create(
        [
            Participant(thread=t, user_id=uid, other_id=oid, last_activity_at=now)
            for t, m in zip(threads, members, strict=True)
            for uid, oid in ((sender.pk, m.pk), (m.pk, sender.pk))
        ]
    )
    cookies = {}
    for member in members:
        session = SessionStore()
        session[SESSION_KEY] = str(member.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = member.get_session_auth_hash()
        session.create()
        cookies[member.pk] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    return sender, members, {m.pk: t.pk for t, m in zip(threads, members, strict=True)}, cookies


async def run(args: argparse.Namespace) -> None:
    from asgiref.sync import sync_to_async

    from messaging import services

    sender, members, thread_of, cookies = await sync_to_async(prepare)(args.sockets)
    port = _free_port()
    env = {**os.environ, "DJANGO_CONN_MAX_AGE": "60"}
    log_path = Path(tempfile.gettempdir()) / f"messaging-fanout-daphne-{os.getpid()}.log"
    log = log_path.open("wb")
    daphne = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + args.timeout
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                await asyncio.sleep(0.1)

        started = time.perf_counter()
        sockets: dict[int, Socket] = {}
        for batch_start in range(0, len(members), 100):
            batch = members[batch_start : batch_start + 100]
            opened = await asyncio.gather(
                *(Socket.open("127.0.0.1", port, "/ws/notifications/", cookies[m.pk]) for m in batch)
            )
            for member, sock in zip(batch, opened, strict=True):
                sockets[member.pk] = sock
        snapshots = await asyncio.gather(*(s.frame() for s in sockets.values()))
        assert all(s["type"] == "unread" for s in snapshots)
        print(f"{len(sockets)} sockets open with their snapshot in {time.perf_counter() - started:.1f} s")

        expected = dict.fromkeys(sockets, 0)
        waiting: dict[int, tuple[int, asyncio.Future[float]]] = {}

        async def listen(user_id: int, sock: Socket) -> None:
            while True:
                frame = await sock.frame()
                pending = waiting.get(user_id)
                if pending and frame.get("messages") == pending[0] and not pending[1].done():
                    pending[1].set_result(time.perf_counter())

        listeners = [asyncio.create_task(listen(uid, s)) for uid, s in sockets.items()]
        send = sync_to_async(services.message_send, thread_sensitive=True)
        latencies: list[float] = []
        rng = random.Random(3)
        for n in range(args.sends):
            if time.monotonic() > deadline:
                print(f"stopped at the {args.timeout} s bound after {n} sends")
                break
            recipient = rng.choice(members).pk
            expected[recipient] += 1
            future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            waiting[recipient] = (expected[recipient], future)
            t0 = time.perf_counter()
            await send(sender=sender, thread_id=thread_of[recipient], body=f"fan-out {n}")
            try:
                latencies.append(await asyncio.wait_for(future, 5) - t0)
            except TimeoutError:
                print(f"send {n}: no frame within 5 s")
            waiting.pop(recipient, None)
            await asyncio.sleep(args.interval)
        for task in listeners:
            task.cancel()
        for sock in sockets.values():
            sock.close()
        ms = [x * 1000 for x in latencies]
        print(
            f"send → recipient badge frame ({len(sockets)} sockets open): n={len(ms)} "
            f"p50={statistics.median(ms):.1f} ms  p95={_percentile(ms, 0.95):.1f} ms  max={max(ms):.1f} ms"
        )
    except Exception:
        print(f"daphne's log ({log_path}):\n{log_path.read_text()[-3000:]}")
        raise
    finally:
        daphne.terminate()
        daphne.wait(timeout=10)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--sends", type=int, default=300)
    parser.add_argument("--interval", type=float, default=0.02, help="Pause between sends (seconds).")
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")) or not os.environ.get(
        "REDIS_URL"
    ):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: this measures the production path across processes.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from messaging import services

    call_command("migrate", verbosity=0)
    services.messaging_set_enabled(actor=None, enabled=True)
    settings.MESSAGING_RATE_LIMIT_PER_MINUTE = 10**6  # one sender drives the whole run
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
