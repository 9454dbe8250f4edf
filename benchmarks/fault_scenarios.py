"""Fault scenarios against a running Clubroom stack; prints accepted / stored / sent / duplicated / recovered.

    createdb -h 127.0.0.1 -U postgres clubroom_faults
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clubroom_faults .venv/bin/python benchmarks/fault_scenarios.py
        [--scenarios redis-down-dm,redis-down-reply,...] [--sends 20]

The script brings up the stack it faults, so it never touches shared services: its own redis-server on
a free port (stopped and restarted empty for Redis outages), a TCP proxy in front of PostgreSQL (cut for
database outages), the ClubOS sandbox in-process (slow saves, garbage pages), and daphne + one celery
worker + celery beat as subprocesses, with timeouts shortened so each outage replays in seconds
(ClubOS read timeout 3 s, send lease 12 s, outbox sweep 2 s, socket heartbeat 3 s, poll 2 s).
The database is flushed and seeded with the demo club first. Per scenario it prints:

  accepted    requests the stack took (201/302), or answered as it should during the outage (503 + Retry-After)
  stored      rows in the database afterwards
  sent        outbound replies ClubOS received (DM scenarios: sockets whose badge equals the database)
  duplicated  replies ClubOS received more than once (must be 0)
  recovered   seconds from the end of the fault until everything is delivered / correct again
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STACK_ENV = {
    "CLUBOS_CONNECT_TIMEOUT": "2",
    "CLUBOS_READ_TIMEOUT": "3",
    "CLUBOS_SEND_LEASE_SECONDS": "12",
    "CLUBOS_SEND_UNCERTAIN_MARGIN": "2",
    "CLUBOS_POLL_SECONDS": "2",
    "CLUBOS_SYNC_LOCK_SECONDS": "6",
    "INBOX_OUTBOX_SWEEP_SECONDS": "2",
    "INBOX_OUTBOX_NUDGE_GRACE_SECONDS": "3",
    "REALTIME_HEARTBEAT_SECONDS": "3",
    "CLUBROOM_OUTAGE_RETRY_AFTER": "2",
    "DJANGO_LOG_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), 0.2):
        return True


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.2) -> float | None:
    """Seconds until check() held, or None if it never did within timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(Exception):
            if check():
                return time.monotonic() - started
        time.sleep(step)
    return None


# --- The pieces the script owns ------------------------------------------------------------------------


class OwnRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if wait_until(lambda: listening(self.port), 10) is None:
            raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class CuttableProxy:
    """A TCP proxy in front of PostgreSQL; cut() drops every connection and refuses new ones."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream, self.port, self.up = upstream, free_port(), True
        self.loop = asyncio.new_event_loop()
        self.writers: set[asyncio.StreamWriter] = set()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(5)

    async def _serve(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.writers -= {writer, up_writer}

    def cut(self) -> None:
        self.up = False

        def close_all() -> None:
            for writer in list(self.writers):
                writer.close()

        self.loop.call_soon_threadsafe(close_all)

    def restore(self) -> None:
        self.up = True


@dataclass
class Row:
    scenario: str
    accepted: str
    stored: int
    sent: str
    duplicated: int
    recovered: float | None
    note: str = ""


class Stack:
    def __init__(self, database_url: str) -> None:
        parts = urlsplit(database_url)
        self.database_url = database_url
        self.redis = OwnRedis()
        self.proxy = CuttableProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
        self.proxied_db = database_url.replace(
            parts.netloc, f"{parts.netloc.rsplit('@', 1)[0]}@127.0.0.1:{self.proxy.port}"
        )
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.argv: dict[str, list[str]] = {}
        self.restarts: dict[str, int] = {}
        self.supervising = False
        self.logs = Path(ROOT / "var" / "fault-scenarios")
        self.logs.mkdir(parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        from clubos.app_settings import app_settings as clubos_settings

        return {
            **os.environ,
            **STACK_ENV,
            "DATABASE_URL": self.proxied_db,
            "REDIS_URL": self.redis.url,
            "CLUBOS_BASE_URL": clubos_settings.BASE_URL,
            "CLUBOS_USERNAME": clubos_settings.USERNAME,
            "CLUBOS_PASSWORD": clubos_settings.PASSWORD,
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }

    def spawn(self, name: str, argv: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.argv[name] = argv
        self.processes[name] = subprocess.Popen(argv, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT)

    def _supervise(self) -> None:
        """What systemd's Restart=always does in production: a process that exits is started again
        (Celery's worker can exit with "Unrecoverable error" when the broker drops mid-read)."""
        while self.supervising:
            for name, process in list(self.processes.items()):
                if process.poll() is not None and self.supervising:
                    self.restarts[name] = self.restarts.get(name, 0) + 1
                    self.spawn(name, self.argv[name])
            time.sleep(0.5)

    def start_worker(self) -> None:
        self.spawn(
            "worker", [str(ROOT / ".venv/bin/celery"), "-A", "config", "worker", "--concurrency=2", "-l", "WARNING"]
        )

    def start(self) -> None:
        self.redis.start()
        bin_dir = ROOT / ".venv/bin"
        self.spawn(
            "daphne", [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"]
        )
        self.start_worker()
        schedule = self.logs / "celerybeat-schedule"
        with contextlib.suppress(FileNotFoundError):
            schedule.unlink()
        self.spawn("beat", [str(bin_dir / "celery"), "-A", "config", "beat", "-l", "WARNING", "-s", str(schedule)])
        if wait_until(lambda: httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200, 40) is None:
            raise RuntimeError(f"the stack did not become ready (logs in {self.logs})")
        self.supervising = True
        threading.Thread(target=self._supervise, daemon=True).start()

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        self.supervising = False
        time.sleep(0.6)
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        self.redis.stop()


# --- Clients ---------------------------------------------------------------------------------------------


def staff_session(stack: Stack) -> httpx.Client:
    client = httpx.Client(base_url=stack.base, timeout=30, follow_redirects=False)
    page = client.get("/accounts/login/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post(
        "/accounts/login/",
        data={"username": "sam.front", "password": "clubroom-demo", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{stack.base}/accounts/login/"},
    )
    return client


def post_reply(client: httpx.Client, stack: Stack, conversation_id: int, body: str) -> int:
    token = client.cookies.get("csrftoken") or ""
    response = client.post(
        f"/inbox/{conversation_id}/",
        data={"channel": "sms", "body": body, "idempotency_key": uuid.uuid4().hex, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{stack.base}/inbox/{conversation_id}/"},
    )
    return response.status_code


def replies_state(sandbox, bodies: list[str]) -> tuple[int, int, int]:
    """(stored rows, bodies ClubOS received, bodies it received more than once)."""
    from inbox.models import InboxMessage

    stored = InboxMessage.objects.filter(direction="outbound", body__in=bodies).count()
    counts = dict.fromkeys(bodies, 0)
    for send in sandbox.sends():
        body = dict(send.form).get("textMessage")
        if send.message_id and body in counts:
            counts[body] += 1
    return stored, sum(1 for n in counts.values() if n), sum(1 for n in counts.values() if n > 1)


def a_conversation() -> int:
    from inbox.models import Conversation

    return Conversation.objects.filter(contact__clubos_id__isnull=False).order_by("pk").values_list("pk", flat=True)[0]


# --- Scenarios ---------------------------------------------------------------------------------------------


def redis_down_reply(stack: Stack, sandbox, sends: int) -> Row:
    client = staff_session(stack)
    conversation = a_conversation()
    bodies = [f"redis-down reply {i} {uuid.uuid4().hex[:6]}" for i in range(sends)]
    stack.redis.stop()
    started = time.monotonic()
    codes = [post_reply(client, stack, conversation, body) for body in bodies]
    slowest = (time.monotonic() - started) / max(1, sends)
    time.sleep(3)
    stack.redis.start()
    recovered = wait_until(lambda: replies_state(sandbox, bodies)[1] == sends, 90)
    stored, sent, duplicated = replies_state(sandbox, bodies)
    return Row(
        "redis-down-reply",
        f"{codes.count(302)}/{sends}",
        stored,
        f"{sent}/{sends}",
        duplicated,
        recovered,
        f"{slowest * 1000:.0f} ms a reply while Redis was down",
    )


def worker_killed(stack: Stack, sandbox, sends: int) -> Row:
    client = staff_session(stack)
    conversation = a_conversation()
    bodies = [f"worker-killed reply {i} {uuid.uuid4().hex[:6]}" for i in range(sends)]
    sandbox.delay("/action/FollowUp/save", seconds=2.0, count=sends)  # in flight when the worker dies
    codes = [post_reply(client, stack, conversation, body) for body in bodies]
    from inbox.models import InboxMessage

    wait_until(lambda: InboxMessage.objects.filter(body__in=bodies, delivery_status="sending").exists(), 20, 0.05)
    stack.kill("worker")
    killed = time.monotonic()
    stack.start_worker()
    done = wait_until(
        lambda: not InboxMessage.objects.filter(body__in=bodies, delivery_status__in=["queued", "sending"]).exists(),
        120,
    )
    recovered = None if done is None else time.monotonic() - killed
    stored, sent, duplicated = replies_state(sandbox, bodies)
    return Row(
        "worker-killed",
        f"{codes.count(302)}/{sends}",
        stored,
        f"{sent}/{sends}",
        duplicated,
        recovered,
        "SIGKILL mid-send (lease 12 s), new worker started",
    )


def clubos_slow_save(stack: Stack, sandbox, sends: int) -> Row:
    client = staff_session(stack)
    conversation = a_conversation()
    bodies = [f"slow-save reply {i} {uuid.uuid4().hex[:6]}" for i in range(sends)]
    sandbox.delay("/action/FollowUp/save", seconds=5.0, count=sends)  # read timeout is 3 s
    codes = [post_reply(client, stack, conversation, body) for body in bodies]
    from inbox.models import InboxMessage

    recovered = wait_until(
        lambda: not InboxMessage.objects.filter(body__in=bodies, delivery_status__in=["queued", "sending"]).exists(),
        180,
    )
    stored, sent, duplicated = replies_state(sandbox, bodies)
    return Row(
        "clubos-slow-save",
        f"{codes.count(302)}/{sends}",
        stored,
        f"{sent}/{sends}",
        duplicated,
        recovered,
        "ClubOS saves in 5 s, read timeout 3 s",
    )


def redis_down_dm(stack: Stack, sandbox, sends: int) -> Row:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from messaging import services as messaging_services
    from messaging.models import Message, Participant

    users = list(get_user_model().objects.filter(role="member").order_by("pk")[:2])
    sender, recipient = users
    messaging_services.messaging_set_enabled(actor=None, enabled=True)
    thread, _ = messaging_services.thread_start(initiator=sender, recipient=recipient)
    token, _ = Token.objects.get_or_create(user=sender)
    api = httpx.Client(base_url=stack.base, headers={"Authorization": f"Token {token.key}"}, timeout=30)
    before = Message.objects.filter(thread=thread).count()
    stack.redis.stop()
    codes = []
    for i in range(sends):
        response = api.post(f"/api/v1/messaging/threads/{thread.pk}/messages/", json={"body": f"dm {i}"})
        codes.append((response.status_code, response.headers.get("content-type", "")))
    time.sleep(2)
    stack.redis.start()
    stored = Message.objects.filter(thread=thread).count() - before
    unread = Participant.objects.get(thread=thread, user=recipient).unread_count
    recovered = wait_until(lambda: _badge_of(stack, recipient) == unread, 30, 0.5)
    json_answers = sum(1 for code, kind in codes if kind.startswith("application/json"))
    return Row(
        "redis-down-dm",
        f"{sum(1 for c, _ in codes if c == 201)}/{sends}",
        stored,
        "badge ok" if recovered is not None else "badge wrong",
        0,
        recovered,
        f"{json_answers}/{sends} JSON answers",
    )


def _badge_of(stack: Stack, user) -> int | None:
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from messaging_fanout_bench import Socket  # the next script in this folder

    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()

    async def read() -> int | None:
        sock = await Socket.open(
            "127.0.0.1", stack.port, "/ws/notifications/", f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
        )
        try:
            frame = await asyncio.wait_for(sock.frame(), 5)
            return frame.get("messages")
        finally:
            sock.close()

    return asyncio.run(read())


def redis_restart_sockets(stack: Stack, sandbox, sends: int) -> Row:
    """Open sockets survive Redis restarting empty: badges right again without reconnecting."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from messaging_fanout_bench import Socket  # the next script in this folder

    from messaging import services as messaging_services
    from messaging.models import Participant

    members = list(get_user_model().objects.filter(role="member").order_by("pk")[:12])
    sender, others = members[0], members[1:]
    messaging_services.messaging_set_enabled(actor=None, enabled=True)
    threads = [messaging_services.thread_start(initiator=sender, recipient=m)[0] for m in others]
    cookies = {}
    for member in others:
        session = SessionStore()
        session.update(
            {
                "_auth_user_id": str(member.pk),
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                "_auth_user_hash": member.get_session_auth_hash(),
            }
        )
        session.create()
        cookies[member.pk] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    latest: dict[int, int] = {}

    async def run() -> float | None:
        socks = {m.pk: await Socket.open("127.0.0.1", stack.port, "/ws/notifications/", cookies[m.pk]) for m in others}

        async def listen(user_id: int, sock: Socket) -> None:
            with contextlib.suppress(Exception):
                while True:
                    frame = await sock.frame()
                    if frame.get("type") == "unread":
                        latest[user_id] = frame["messages"]

        tasks = [asyncio.ensure_future(listen(uid, s)) for uid, s in socks.items()]
        await asyncio.sleep(1)
        await asyncio.to_thread(stack.redis.stop)
        await asyncio.sleep(2)
        await asyncio.to_thread(stack.redis.start)
        restarted = time.monotonic()
        for thread in threads:
            await asyncio.to_thread(
                messaging_services.message_send, sender=sender, thread_id=thread.pk, body="after restart"
            )
        truth = await asyncio.to_thread(
            lambda: dict(
                Participant.objects.filter(user__in=others, thread__in=threads).values_list("user_id", "unread_count")
            )
        )
        recovered = None
        while time.monotonic() - restarted < 40:
            if all(latest.get(uid) == n for uid, n in truth.items()):
                recovered = time.monotonic() - restarted
                break
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        for sock in socks.values():
            sock.close()
        return recovered

    recovered = asyncio.run(run())
    return Row(
        "redis-restart-sockets",
        f"{len(others)} sockets",
        len(others),
        f"{sum(1 for _ in latest)} badges",
        0,
        recovered,
        "Redis restarted empty; no reconnects",
    )


def postgres_down(stack: Stack, sandbox, sends: int) -> Row:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    staff = staff_session(stack)
    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username="sam.front"))
    stack.proxy.cut()
    page = staff.get("/inbox/")
    api = httpx.get(
        f"{stack.base}/api/v1/messaging/unread/", headers={"Authorization": f"Token {token.key}"}, timeout=30
    )
    ready = httpx.get(f"{stack.base}/readyz", timeout=30)
    socket_code = asyncio.run(socket_close_code(stack, staff))
    proper = sum(
        [
            page.status_code == 503 and "Retry-After" in page.headers and "text/html" in page.headers["content-type"],
            api.status_code == 503
            and api.headers["content-type"] == "application/json"
            and "Retry-After" in api.headers,
            ready.status_code == 503,
            socket_code == 4503,
        ]
    )
    time.sleep(3)
    stack.proxy.restore()
    recovered = wait_until(lambda: httpx.get(f"{stack.base}/readyz", timeout=5).status_code == 200, 60)
    return Row(
        "postgres-down",
        f"{proper}/4 as 503",
        0,
        "-",
        0,
        recovered,
        f"page, API, /readyz and a socket handshake (closed with {socket_code}) during the outage",
    )


async def socket_close_code(stack: Stack, client: httpx.Client) -> int | str | None:
    """The close code a new notifications socket gets (a 500 would refuse the upgrade: its status line)."""
    from django.conf import settings
    from messaging_fanout_bench import ServerClosed, Socket  # the next script in this folder

    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies.get(settings.SESSION_COOKIE_NAME)}"
    try:
        sock = await Socket.open("127.0.0.1", stack.port, "/ws/notifications/", cookie)
    except ConnectionError as exc:
        return str(exc)
    try:
        frame = await asyncio.wait_for(sock.frame(), 30)
    except ServerClosed as closed:
        return closed.code
    finally:
        sock.close()
    return f"not closed: {frame}"


def clubos_garbage(stack: Stack, sandbox, sends: int) -> Row:
    from accounts import demo
    from clubos.models import SyncControl
    from inbox.models import InboxMessage

    before = SyncControl.objects.get().failures
    sandbox.garbage_next("/action/Dashboard/messages", count=4)
    ids = [
        sandbox.inject(member_id=demo.MEMBERS[i % len(demo.MEMBERS)].clubos_id, text=f"garbage test {i}")
        for i in range(3)
    ]
    wait_until(lambda: SyncControl.objects.get().failures >= before + 2, 30)
    failed_meanwhile = SyncControl.objects.get().failures - before
    recovered = wait_until(lambda: InboxMessage.objects.filter(clubos_message_id__in=ids).count() == len(ids), 60)
    stored = InboxMessage.objects.filter(clubos_message_id__in=ids).count()
    return Row(
        "clubos-garbage",
        f"{len(ids)} texts",
        stored,
        "-",
        0,
        recovered,
        f"{failed_meanwhile} runs recorded as failed while the list was garbage",
    )


def sync_killed(stack: Stack, sandbox, sends: int) -> Row:
    from clubos.services import lock, runs

    # Stop beat's polling meanwhile so the only runs are ours.
    runs.sync_pause()
    env = stack.env()
    command = [sys.executable, "manage.py", "sync_clubos"]
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=False)
    baseline = time.monotonic() - started
    sandbox.delay("/action/Dashboard/messages", seconds=30, count=1)
    victim = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def hanging() -> bool:
        with sandbox.state.lock:
            return all(rule.remaining == 0 for rule in sandbox.state.delay_rules)

    wait_until(lambda: lock.sync_is_running() and hanging(), 30, 0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed = time.monotonic()
    attempts, outcome = 0, None
    while time.monotonic() - killed < 60:
        attempts += 1
        outcome = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if outcome.returncode != 2:  # 2: "another sync is running"
            break
    recovered = time.monotonic() - killed if outcome is not None and outcome.returncode == 0 else None
    runs.sync_resume()
    busy = f"{attempts - 1} busy answer(s) first" if attempts > 1 else "the first run after the kill went through"
    note = f"{busy}; an undisturbed `sync_clubos` takes {baseline:.1f} s here, start-up included"
    return Row("sync-killed", "1 run", 0, "-", 0, recovered, note)


SCENARIOS = {
    "redis-down-dm": redis_down_dm,
    "redis-down-reply": redis_down_reply,
    "redis-restart-sockets": redis_restart_sockets,
    "worker-killed": worker_killed,
    "clubos-slow-save": clubos_slow_save,
    "clubos-garbage": clubos_garbage,
    "sync-killed": sync_killed,
    "postgres-down": postgres_down,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--sends", type=int, default=10)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (it is flushed), e.g. clubroom_faults.")
    os.environ.pop("REDIS_URL", None)  # this process talks to the database only; the stack gets its own Redis
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_LOG_LEVEL"] = "ERROR"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from clubos.app_settings import app_settings as clubos_settings
    from clubos.sandbox import SandboxServer
    from clubos.services import sync

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    with contextlib.redirect_stdout(open(os.devnull, "w")):
        call_command("seed_demo")
    sandbox = SandboxServer(
        host="127.0.0.1", port=0, username=clubos_settings.USERNAME, password=clubos_settings.PASSWORD
    )
    sandbox.start()
    settings.CLUBOS_BASE_URL = sandbox.url  # type: ignore[misc]
    sync.clubos_sync_run(trigger="bench")  # the conversations replies go to
    stack = Stack(database_url)
    rows: list[Row] = []
    try:
        stack.start()
        for name in args.scenarios.split(","):
            print(f"running {name}…", file=sys.stderr, flush=True)
            rows.append(SCENARIOS[name](stack, sandbox, args.sends))
    finally:
        stack.stop()
        sandbox.stop()
    restarts = ", ".join(f"{name} x{count}" for name, count in stack.restarts.items()) or "none"
    print(f"processes restarted by the supervisor: {restarts}")
    print(f"{'scenario':<22} {'accepted':<14} {'stored':>6} {'sent':<12} {'duplicated':>10} {'recovered':>10}  note")
    for row in rows:
        recovered = f"{row.recovered:.1f} s" if row.recovered is not None else "never"
        counts = f"{row.accepted:<14} {row.stored:>6} {row.sent:<12} {row.duplicated:>10}"
        print(f"{row.scenario:<22} {counts} {recovered:>10}  {row.note}")


if __name__ == "__main__":
    main()
