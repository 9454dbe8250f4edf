"""New `/ws/notifications/` handshakes while members send 20 direct messages a second over HTTP.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clubroom_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python benchmarks/socket_handshake_bench.py [--sockets 200] [--rate 20] [--seconds 20]

Creates N members, each with a thread to the next one, an API token and a session; starts daphne on a
free port (same PostgreSQL and Redis, CONN_MAX_AGE=60 as in production) and opens one notifications
socket per member, reading every frame (the badge refreshes the sends cause). Then, for --seconds, it
POSTs --rate messages a second to `/api/v1/messaging/threads/<id>/messages/` (open loop: a slow answer
does not slow the rate) and meanwhile opens a new socket every --every seconds for a random member,
timing each from the TCP connect to the upgrade (101) and to the first frame (the badge snapshot),
then closing it. The same handshakes are first timed with no sends running (idle).

The last line is the handshake (connect → first frame) p50/p95 under load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
sys.path.insert(0, str(ROOT / "benchmarks"))

from messaging_fanout_bench import Socket, _free_port, _percentile  # noqa: E402  (its raw websocket client)

PREFIX = "handshake-"


def prepare(count: int) -> tuple[list[int], dict[int, int], dict[int, str], dict[int, str]]:
    """Members in a ring (member i has a thread with member i+1), a token and a session cookie each."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from messaging.models import Participant, Thread

    User.objects.filter(username__startswith=PREFIX).delete()
    no_login = make_password(None)
    members = User.objects.bulk_create(
        [User(username=f"{PREFIX}{n}", display_name=f"Handshake {n}", password=no_login) for n in range(count)]
    )
    now = timezone.now()
    pairs = [(members[n], members[(n + 1) % count]) for n in range(count)]
    threads = Thread.objects.bulk_create(
        [Thread(user_low_id=min(a.pk, b.pk), user_high_id=max(a.pk, b.pk)) for a, b in pairs]
    )
    Participant.objects.bulk_create(
        [
            Participant(thread=t, user_id=uid, other_id=oid, last_activity_at=now)
            for t, (a, b) in zip(threads, pairs, strict=True)
            for uid, oid in ((a.pk, b.pk), (b.pk, a.pk))
        ]
    )
    tokens = {
        t.user_id: t.key for t in Token.objects.bulk_create([Token(user=m, key=Token.generate_key()) for m in members])
    }
    cookies = {}
    for member in members:
        session = SessionStore()
        session[SESSION_KEY] = str(member.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = member.get_session_auth_hash()
        session.create()
        cookies[member.pk] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    thread_of = {a.pk: t.pk for t, (a, _) in zip(threads, pairs, strict=True)}
    return [m.pk for m in members], thread_of, tokens, cookies


async def handshake(port: int, cookie: str) -> tuple[float, float]:
    """Seconds from connect to the 101, and to the first frame (the snapshot)."""
    started = time.perf_counter()
    sock = await Socket.open("127.0.0.1", port, "/ws/notifications/", cookie)
    upgraded = time.perf_counter()
    try:
        frame = await asyncio.wait_for(sock.frame(), 30)
    finally:
        sock.close()
    if frame.get("type") != "unread":
        raise AssertionError(f"first frame is not the snapshot: {frame}")
    return upgraded - started, time.perf_counter() - started


async def handshakes(port: int, members: list[int], cookies: dict[int, str], seconds: float, every: float):
    rng = random.Random(7)
    tasks = []
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        tasks.append(asyncio.create_task(handshake(port, cookies[rng.choice(members)])))
        await asyncio.sleep(every)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    return [r for r in results if not isinstance(r, BaseException)], failed


def describe(label: str, samples: list[tuple[float, float]], failed: list[BaseException]) -> str:
    upgrade = [s[0] * 1000 for s in samples]
    first = [s[1] * 1000 for s in samples]
    if not first:
        return f"{label}: every handshake failed ({len(failed)}): {sorted({repr(f)[:80] for f in failed})}"
    reasons = sorted({f"{type(f).__name__}: {f}"[:80] for f in failed})
    why = f" {reasons}" if reasons else ""
    return (
        f"{label}: n={len(first)} failed={len(failed)}{why}  upgrade p50={statistics.median(upgrade):.0f} ms "
        f"p95={_percentile(upgrade, 0.95):.0f} ms  handshake+snapshot p50={statistics.median(first):.0f} ms "
        f"p95={_percentile(first, 0.95):.0f} ms max={max(first):.0f} ms"
    )


async def run(args: argparse.Namespace) -> None:
    import httpx
    from asgiref.sync import sync_to_async

    members, thread_of, tokens, cookies = await sync_to_async(prepare)(args.sockets)
    port = _free_port()
    env = {**os.environ, "DJANGO_CONN_MAX_AGE": str(args.conn_max_age), "DJANGO_LOG_LEVEL": "WARNING"}
    log_path = Path(tempfile.gettempdir()) / f"socket-handshake-daphne-{os.getpid()}.log"
    log = log_path.open("wb")
    daphne = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("daphne did not start") from None
                await asyncio.sleep(0.1)

        open_sockets: list[Socket] = []
        waiting = list(members)
        for _ in range(5):  # in batches, retrying the ones daphne dropped (a handshake over its 5 s timeout)
            retry = []
            for start in range(0, len(waiting), 25):
                batch = waiting[start : start + 25]
                opened = await asyncio.gather(
                    *(Socket.open("127.0.0.1", port, "/ws/notifications/", cookies[m]) for m in batch),
                    return_exceptions=True,
                )
                open_sockets += [s for s in opened if isinstance(s, Socket)]
                retry += [m for m, s in zip(batch, opened, strict=True) if not isinstance(s, Socket)]
            if not (waiting := retry):
                break

        async def drain(sock: Socket) -> None:
            with contextlib.suppress(Exception):
                while True:
                    await sock.frame()

        readers = [asyncio.create_task(drain(s)) for s in open_sockets]
        await asyncio.sleep(1)
        print(f"{len(open_sockets)} notification sockets open on daphne :{port}")
        print(describe("idle", *await handshakes(port, members, cookies, args.seconds / 2, args.every)))

        statuses: dict[int | str, int] = {}
        send_ms: list[float] = []
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:

            async def send(n: int) -> None:
                sender = members[n % len(members)]
                t0 = time.perf_counter()
                try:
                    response = await client.post(
                        f"/api/v1/messaging/threads/{thread_of[sender]}/messages/",
                        json={"body": f"load {n}"},
                        headers={"Authorization": f"Token {tokens[sender]}"},
                    )
                    key: int | str = response.status_code
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                send_ms.append((time.perf_counter() - t0) * 1000)
                statuses[key] = statuses.get(key, 0) + 1

            async def drive() -> None:
                sends = []
                started = time.monotonic()
                n = 0
                while time.monotonic() - started < args.seconds + 1:
                    sends.append(asyncio.create_task(send(n)))
                    n += 1
                    await asyncio.sleep(max(0.0, started + n / args.rate - time.monotonic()))
                await asyncio.gather(*sends)

            driver = asyncio.create_task(drive())
            await asyncio.sleep(1)  # the sends are under way before the first timed handshake
            loaded = await handshakes(port, members, cookies, args.seconds, args.every)
            await driver
        for task in readers:
            task.cancel()
        for sock in open_sockets:
            sock.close()
        print(
            f"sends at {args.rate}/s over HTTP: {dict(sorted(statuses.items(), key=str))}  "
            f"p50={statistics.median(send_ms):.0f} ms p95={_percentile(send_ms, 0.95):.0f} ms"
        )
        print(describe(f"under {args.rate} sends/s", *loaded))
    except Exception:
        print(f"daphne's log ({log_path}):\n{log_path.read_text()[-3000:]}")
        raise
    finally:
        daphne.terminate()
        daphne.wait(timeout=10)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=200, help="Notification sockets kept open.")
    parser.add_argument("--rate", type=float, default=20, help="Direct messages sent a second over HTTP.")
    parser.add_argument("--seconds", type=float, default=20, help="How long the load runs.")
    parser.add_argument("--conn-max-age", type=int, default=0, help="daphne's DJANGO_CONN_MAX_AGE (default 0).")
    parser.add_argument("--every", type=float, default=0.25, help="Seconds between new handshakes.")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")) or not os.environ.get(
        "REDIS_URL"
    ):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: this measures the production path across processes.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.core.management import call_command

    from messaging import services

    call_command("migrate", verbosity=0)
    services.messaging_set_enabled(actor=None, enabled=True)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
