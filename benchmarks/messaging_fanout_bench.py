"""A direct message as members meet it: sent over HTTP through daphne, received on a real socket.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clubroom_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python benchmarks/messaging_fanout_bench.py [--sockets 1000] [--sends 300] [--rate 10]

Creates N recipients (a thread each with one of a few senders, so no sender nears the rate limit) with a
session each and an API token per sender, starts daphne (production settings: DEBUG off,
DJANGO_DB_POOL_SIZE=16, Redis channel layer) on --port, and opens one `/ws/notifications/` socket per
recipient with the `websockets` client, as a browser would (cookie, Origin). Then:

1. over HTTP: every 1/rate seconds (open loop: sends overlap when the server is slow) a sender POSTs
   `/api/v1/messaging/threads/<id>/messages/` through daphne; each send is timed from the start of the
   POST to its 201 (the send as the sender's page meets it) and to the frame on the recipient's
   socket that carries the new count (send → badge);
2. in-process, for comparison: the same, but `services.message_send` called in this process (no HTTP
   request; the push still crosses Redis and daphne to the socket).

Each recipient gets one message per phase (no two sends in flight wait for the same count).
Prints connect time and p50/p95/max per figure; the last line is the headline.
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
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PREFIX = "fanout-"
SENDS_PER_SENDER = 5  # on average, over HTTP: random recipients stay well under the 30-a-minute limit per sender


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


def _summary(name: str, seconds: list[float]) -> tuple[str, float]:
    ms = [s * 1000 for s in seconds]
    if not ms:
        return f"{name}: no samples", float("nan")
    p95 = _percentile(ms, 0.95)
    line = f"{name:<58} n={len(ms):<4} p50={statistics.median(ms):6.1f} ms  p95={p95:6.1f} ms  max={max(ms):6.1f} ms"
    return line, p95


_closing: set[asyncio.Future[None]] = set()


class BrowserSocket:
    """A `/ws/...` socket as a browser opens it (session cookie, same-origin), with the `websockets`
    client, reading JSON frames."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    @classmethod
    async def open(cls, host: str, port: int, path: str, cookie: str) -> BrowserSocket:
        import websockets

        connection = await websockets.connect(
            f"ws://{host}:{port}{path}",
            origin=websockets.Origin(f"http://{host}:{port}"),
            additional_headers={"Cookie": cookie},
            max_queue=None,
            compression=None,
        )
        return cls(connection)

    async def frame(self) -> dict:
        return json.loads(await self.connection.recv())

    async def frames(self) -> AsyncIterator[dict]:
        async for raw in self.connection:
            yield json.loads(raw)

    def close(self) -> None:
        # Fire and forget, as a browser closing a tab: the server sees the close frame.
        task = asyncio.ensure_future(self.connection.close())
        _closing.add(task)
        task.add_done_callback(_closing.discard)


def prepare(count: int, senders: int) -> dict:
    """Recipients and senders, a thread per recipient, a session per recipient, a token per sender."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from messaging.models import Participant, Thread

    User.objects.filter(username__startswith=PREFIX).delete()
    no_login = make_password(None)  # sessions and tokens are made directly; nobody signs in
    sending = User.objects.bulk_create(
        [User(username=f"{PREFIX}s{n}", display_name=f"Sender {n}", password=no_login) for n in range(senders)]
    )
    members = User.objects.bulk_create(
        [User(username=f"{PREFIX}{n}", display_name=f"Fan-out {n}", password=no_login) for n in range(count)]
    )
    sender_of = {m.pk: sending[n % senders] for n, m in enumerate(members)}
    now = timezone.now()
    threads = Thread.objects.bulk_create(
        [Thread(user_low_id=min(sender_of[m.pk].pk, m.pk), user_high_id=max(sender_of[m.pk].pk, m.pk)) for m in members]
    )
    Participant.objects.bulk_create(
        [
            Participant(thread=t, user_id=uid, other_id=oid, last_activity_at=now)
            for t, m in zip(threads, members, strict=True)
            for uid, oid in ((sender_of[m.pk].pk, m.pk), (m.pk, sender_of[m.pk].pk))
        ]
    )
    tokens = {s.pk: Token.objects.create(user=s).key for s in sending}
    cookies = {}
    for member in members:
        session = SessionStore()
        session[SESSION_KEY] = str(member.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = member.get_session_auth_hash()
        session.create()
        cookies[member.pk] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    return {
        "members": [m.pk for m in members],
        "sender_of": sender_of,
        "thread_of": {m.pk: t.pk for t, m in zip(threads, members, strict=True)},
        "tokens": tokens,
        "cookies": cookies,
    }


async def run(args: argparse.Namespace) -> None:
    import httpx
    import websockets
    from asgiref.sync import sync_to_async
    from django.conf import settings

    from messaging import services

    senders = max(1, -(-min(args.sends, args.sockets) // SENDS_PER_SENDER))
    world = await sync_to_async(prepare)(args.sockets, senders)
    members: list[int] = world["members"]
    base = f"http://127.0.0.1:{args.port}"
    log_path = Path(tempfile.gettempdir()) / f"messaging-fanout-daphne-{os.getpid()}.log"
    log = log_path.open("wb")
    daphne = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(args.port),
            "config.asgi:application",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    lines: list[str] = []
    try:
        while True:
            if daphne.poll() is not None:
                raise RuntimeError(f"daphne exited ({daphne.returncode}); is port {args.port} free?")
            try:
                socket.create_connection(("127.0.0.1", args.port), timeout=0.2).close()
                break
            except OSError:
                await asyncio.sleep(0.1)

        started = time.perf_counter()
        sockets: dict[int, BrowserSocket] = {}

        async def open_one(pk: int) -> BrowserSocket:
            # Members arrive over time, not 1,000 in one instant: a handshake daphne dropped under
            # this machine's load is tried again, as the page's script would.
            for attempt in range(5):
                try:
                    return await BrowserSocket.open("127.0.0.1", args.port, "/ws/notifications/", world["cookies"][pk])
                except (OSError, websockets.InvalidHandshake, websockets.InvalidMessage):
                    await asyncio.sleep(0.5 * (attempt + 1))
            return await BrowserSocket.open("127.0.0.1", args.port, "/ws/notifications/", world["cookies"][pk])

        for batch_start in range(0, len(members), 25):
            batch = members[batch_start : batch_start + 25]
            opened = await asyncio.gather(*(open_one(pk) for pk in batch))
            sockets.update(zip(batch, opened, strict=True))
        snapshots = await asyncio.gather(*(s.frame() for s in sockets.values()))
        assert all(s["type"] == "unread" and s["messages"] == 0 for s in snapshots), snapshots[:3]
        print(f"{len(sockets)} sockets open with their snapshot in {time.perf_counter() - started:.1f} s")

        waiting: dict[int, tuple[int, asyncio.Future[float]]] = {}

        async def listen(user_id: int, sock: BrowserSocket) -> None:
            async for frame in sock.frames():
                pending = waiting.get(user_id)
                if pending and frame.get("messages") == pending[0] and not pending[1].done():
                    pending[1].set_result(time.perf_counter())

        listeners = [asyncio.create_task(listen(uid, s)) for uid, s in sockets.items()]
        rng = random.Random(3)
        sends = min(args.sends, len(members))

        async with httpx.AsyncClient(
            base_url=base, timeout=10, limits=httpx.Limits(max_keepalive_connections=50)
        ) as http:
            # A warm-up the figures leave out: the first requests pay daphne's imports and connections.
            warm = members[:senders]
            for pk in warm:
                sender = world["sender_of"][pk]
                await http.post(
                    f"/api/v1/messaging/threads/{world['thread_of'][pk]}/messages/",
                    json={"body": "warm-up"},
                    headers={"Authorization": f"Token {world['tokens'][sender.pk]}"},
                )
            await asyncio.sleep(0.5)
            targets = rng.sample(members[senders:], min(sends, len(members) - senders))

            async def one_send(
                index: int, recipient: int, expected: int, send: object, posts: list[float], frames: list[float]
            ) -> None:
                future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
                waiting[recipient] = (expected, future)
                t0 = time.perf_counter()
                await send(recipient, index)  # type: ignore[operator]
                posts.append(time.perf_counter() - t0)
                try:
                    frames.append(await asyncio.wait_for(future, 5) - t0)
                except TimeoutError:
                    print(f"send {index}: no frame within 5 s")
                waiting.pop(recipient, None)

            async def paced(send: object, expected: int) -> tuple[list[float], list[float]]:
                posts: list[float] = []
                frames: list[float] = []
                tasks = []
                start = time.perf_counter()
                for index, recipient in enumerate(targets):
                    delay = start + index / args.rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.create_task(one_send(index, recipient, expected, send, posts, frames)))
                await asyncio.gather(*tasks)
                elapsed = time.perf_counter() - start
                print(f"  {len(targets)} sends in {elapsed:.1f} s ({len(targets) / elapsed:.1f} a second)")
                return posts, frames

            async def http_send(recipient: int, index: int) -> None:
                sender = world["sender_of"][recipient]
                response = await http.post(
                    f"/api/v1/messaging/threads/{world['thread_of'][recipient]}/messages/",
                    json={"body": f"fan-out {index}"},
                    headers={"Authorization": f"Token {world['tokens'][sender.pk]}"},
                )
                assert response.status_code == 201, (response.status_code, response.text[:300])

            message_send = sync_to_async(services.message_send, thread_sensitive=False)

            async def local_send(recipient: int, index: int) -> None:
                await message_send(
                    sender=world["sender_of"][recipient], thread_id=world["thread_of"][recipient], body=f"local {index}"
                )

            print(f"over HTTP: POST through daphne at {args.rate:g} sends a second, {len(sockets)} sockets open")
            posts, frames = await paced(http_send, 1)
            post_line, post_p95 = _summary("POST /api/v1/messaging/threads/<id>/messages/ → 201", posts)
            frame_line, frame_p95 = _summary("send over HTTP → recipient's badge frame", frames)
            print(f"in-process: services.message_send at {args.rate:g} a second, same sockets")
            settings.MESSAGING_RATE_LIMIT_PER_MINUTE = 10**6  # this process only: the senders sent over HTTP already
            _, local = await paced(local_send, 2)
            local_line, local_p95 = _summary("services.message_send → recipient's badge frame", local)
            lines = [post_line, frame_line, local_line]
        for task in listeners:
            task.cancel()
        await asyncio.gather(*(s.connection.close() for s in sockets.values()), return_exceptions=True)
        for line in lines:
            print(line)
        print(
            f"HEADLINE {len(sockets)} sockets, {args.rate:g} sends/s: POST p95 {post_p95:.1f} ms (target < 40), "
            f"send over HTTP → badge p95 {frame_p95:.1f} ms (target < 60); "
            f"in-process send → badge p95 {local_p95:.1f} ms"
        )
    except Exception:
        print(f"daphne's log ({log_path}):\n{log_path.read_text()[-3000:]}")
        raise
    finally:
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()
        daphne.terminate()
        daphne.wait(timeout=10)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--sends", type=int, default=300, help="Sends per phase (each to a different recipient).")
    parser.add_argument("--rate", type=float, default=10, help="Sends started per second (open loop).")
    parser.add_argument("--port", type=int, default=8163)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")) or not os.environ.get(
        "REDIS_URL"
    ):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: this measures the production path across processes.")
    # Production settings for daphne (it inherits this environment), minus TLS: there is no proxy here.
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)  # the sessions made here must verify there
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
    os.environ["DJANGO_SECURE_COOKIES"] = "0"
    os.environ.setdefault("DJANGO_DB_POOL_SIZE", "16")  # as in production (README: Deploying)
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    import django

    django.setup()
    from django.core.management import call_command

    from messaging import services

    call_command("migrate", verbosity=0)
    services.messaging_set_enabled(actor=None, enabled=True)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
