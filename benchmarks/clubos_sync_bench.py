"""ClubOS sync at scale, against the sandbox over HTTP. Prints figures; asserts nothing about time.

    .venv/bin/python benchmarks/clubos_sync_bench.py [--items 5000] [--idle-polls 50] [--latency-samples 3]
                                                     [--poll-seconds 10] [--database-url URL [--flush]]

1. full sync: a sandbox inbox of N new member texts (bulk seed, one owner) copied in one run; the tasks a
   stored message queues (the AI agent, pushes) go to the in-memory broker for workers, as in production
2. idle polls: runs with nothing new — p50/p95 and the list requests each makes (sandbox request log)
3. inject → in Clubroom's database: the embedded beat schedule polls every CLUBOS_POLL_SECONDS while
   member texts are injected at random moments; latency until the row exists.

By default it uses a throwaway SQLite database in a temp dir (never var/clubroom.sqlite3); pass
--database-url postgres://… (a throwaway database; --flush empties it) to measure PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class RemoteSandbox:
    """The sandbox in its own process (`manage.py clubos_sandbox`), driven over its control endpoint, so
    this process's CPU time is Clubroom's alone and the two never share a GIL."""

    def __init__(self, *, password: str, env: dict[str, str]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [sys.executable, "manage.py", "clubos_sandbox", "--empty", "--port", str(port)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env={**env, "CLUBOS_PASSWORD": password}, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        match = re.search(r"on (http://\S+)/ ", self.process.stdout.readline())
        if match is None:
            self.stop()
            raise SystemExit("the ClubOS sandbox did not start")
        self.url = match.group(1)
        self._control = httpx.Client(base_url=self.url, timeout=120)

    def call(self, action: str, *args: Any, **kwargs: Any) -> Any:
        response = self._control.post("/__sandbox__/control", json={"action": action, "args": list(args), **kwargs})
        response.raise_for_status()
        return response.json()["result"]

    def requests(self, path_prefix: str = "") -> list[dict[str, Any]]:
        return [r for r in self.call("requests") if r["path"].startswith(path_prefix)]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--members", type=int, default=300, help="distinct senders of the new messages")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="ClubOS's answer time per request")
    parser.add_argument("--idle-polls", type=int, default=50)
    parser.add_argument("--latency-samples", type=int, default=3)
    parser.add_argument("--poll-seconds", type=int, default=10)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--flush", action="store_true", help="empty a non-empty --database-url first")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="clubos-bench-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{scratch}/bench.sqlite3"
    os.environ.pop("REDIS_URL", None)  # embedded mode: tasks eager, the beat schedule in-process
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import close_old_connections

    from accounts import demo
    from accounts.services import demo_club_seed
    from clubos.models import SyncState
    from clubos.services import session, sync
    from config.celery import app, beat_schedule
    from config.scheduler import run_schedule
    from inbox.models import InboxMessage

    call_command("migrate", verbosity=0)
    if InboxMessage.objects.exists() or SyncState.objects.exists():
        if not args.flush:
            raise SystemExit("The database already holds inbox data: pass --flush to empty it (a throwaway one!).")
        call_command("flush", interactive=False, verbosity=0)
    demo_club_seed()
    app.conf.task_always_eager = True

    sandbox = RemoteSandbox(password="bench-password", env=dict(os.environ))  # noqa: S106
    settings.CLUBOS_BASE_URL = sandbox.url
    settings.CLUBOS_USERNAME = "clubroom.sync"
    settings.CLUBOS_PASSWORD = "bench-password"  # noqa: S105
    settings.CLUBOS_POLL_SECONDS = args.poll_seconds
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {engine}, sandbox {sandbox.url} (its own process), {os.cpu_count()} cores")
    try:
        full_line, idle_p50 = _measure(args, sandbox, demo, SyncState, InboxMessage, sync, session, settings)
        if args.latency_samples:
            _inject_latency(
                args, sandbox, demo, InboxMessage, session, beat_schedule, run_schedule, close_old_connections
            )
    finally:
        session.clubos_session_reset()
        sandbox.stop()
    print(f"{full_line}; idle poll of {args.items} items p50 {idle_p50:.1f} ms CPU (target < 50 ms)")


def _measure(args, sandbox, demo, SyncState, InboxMessage, sync, session, settings):  # type: ignore[no-untyped-def]
    # 1. Full sync -----------------------------------------------------------------------------------
    from clubos.app_settings import app_settings

    senders = sandbox.call("bulk_members", args.members) if args.members else None
    sandbox.call("bulk_seed", args.items, owner_id=demo.CLUB_LOCATION_ID, member_ids=senders)
    sandbox.call("set_latency", args.latency_ms / 1000)
    print(f"ClubOS answers every request in {args.latency_ms:g} ms; {args.members or 'demo'} senders")
    sandbox.call("clear_requests")
    # The sync itself, as on PostgreSQL + Redis: what follows a stored message (the AI agent's decision,
    # badge pushes) is queued for the workers, not run inline as embedded mode's eager tasks would.
    from config.celery import app

    app.conf.task_always_eager = False
    started, cpu_started = time.perf_counter(), time.process_time()
    result = sync.clubos_sync_run(trigger="bench")
    full, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    app.conf.task_always_eager = True
    requests = len(sandbox.requests())
    print(f"full sync: {args.items} list items -> {result.summary_line()}")
    histories, searches = len(sandbox.requests("/action/FollowUp")), len(sandbox.requests("/action/UserSearch"))
    logins = len(sandbox.requests("/action/Login"))
    print(
        f"  requests: {requests} ({histories} histories, {searches} searches, {logins} login), "
        f"at most {sandbox.call('max_in_flight')} at once (CLUBOS_SYNC_CONCURRENCY {app_settings.SYNC_CONCURRENCY})"
    )
    full_line = f"full sync {full:.2f} s wall (target < 15 s), {requests} requests, {cpu:.2f} s CPU"
    print(full_line)

    # 2. Idle polls ----------------------------------------------------------------------------------
    def idle_polls(label: str) -> float:
        timings: list[float] = []
        cpu_timings: list[float] = []
        list_requests: list[int] = []
        other_requests = 0
        summary = ""
        for _ in range(args.idle_polls):
            sandbox.call("clear_requests")
            started, cpu_started = time.perf_counter(), time.process_time()
            idle = sync.clubos_sync_run(trigger="bench")
            timings.append((time.perf_counter() - started) * 1000)
            cpu_timings.append((time.process_time() - cpu_started) * 1000)
            lists = len(sandbox.requests("/action/Dashboard/messages"))
            list_requests.append(lists)
            other_requests += len(sandbox.requests()) - lists
            assert idle.new == 0, idle
            summary = idle.summary_line()
        p50, p95 = _percentile(timings, 0.5), _percentile(timings, 0.95)
        cpu_p50, cpu_p95 = _percentile(cpu_timings, 0.5), _percentile(cpu_timings, 0.95)
        print(
            f"idle poll, {label}, x{args.idle_polls}: CPU p50 {cpu_p50:.1f} ms, p95 {cpu_p95:.1f} ms (target < 50 ms); "
            f"wall p50 {p50:.1f} ms, p95 {p95:.1f} ms (ClubOS's {args.latency_ms:g} ms per list included); "
            f"list requests per poll: {statistics.mode(list_requests)}, other requests in all polls: {other_requests}"
        )
        print(f"  last summary: {summary}")
        return cpu_p50

    idle_polls(f"all {SyncState.objects.count()} owners (club + sync account)")
    settings.CLUBOS_INBOX_OWNERS = [str(demo.CLUB_LOCATION_ID)]
    idle_p50 = idle_polls("club owner only")
    sandbox.call("set_malformed_items", 4)
    idle_polls("club owner only, 4 malformed items in the list")
    sandbox.call("set_malformed_items", 0)
    settings.CLUBOS_INBOX_OWNERS = []

    # A new process (here: a forgotten client) continues the stored ClubOS session.
    session.clubos_session_reset()
    sandbox.call("clear_requests")
    sync.clubos_sync_run(trigger="bench")
    print(f"a new process's first poll: {len(sandbox.requests('/action/Login'))} login requests (the stored session)")
    return full_line, idle_p50


def _inject_latency(args, sandbox, demo, InboxMessage, session, beat_schedule, run_schedule, close_old_connections):  # type: ignore[no-untyped-def]
    # 3. Inject -> in Clubroom's database, through the real beat schedule ----------------------------------------
    sandbox.call("set_latency", 0)
    stop = threading.Event()
    scheduler = threading.Thread(target=run_schedule, args=(beat_schedule(), stop), daemon=True)
    scheduler.start()
    time.sleep(1.0)  # let the first (idle) scheduled poll happen
    latencies: list[float] = []
    members = [m.clubos_id for m in demo.MEMBERS]
    try:
        for sample in range(args.latency_samples):
            time.sleep(random.uniform(0, args.poll_seconds))
            message_id = sandbox.call("inject", member_id=random.choice(members), text=f"latency sample {sample}")
            injected = time.perf_counter()
            while not InboxMessage.objects.filter(clubos_message_id=message_id).exists():
                if time.perf_counter() - injected > args.poll_seconds * 3:
                    raise SystemExit(f"message {message_id} never arrived")
                time.sleep(0.05)
            latencies.append(time.perf_counter() - injected)
            close_old_connections()
    finally:
        stop.set()
        scheduler.join(timeout=60)
    if latencies:
        p50, p95 = _percentile(latencies, 0.5), _percentile(latencies, 0.95)
        print(
            f"inject -> in DB x{len(latencies)} (poll every {args.poll_seconds} s): p50 {p50:.2f} s, "
            f"p95 {p95:.2f} s, max {max(latencies):.2f} s (target < {args.poll_seconds + 2} s)"
        )


if __name__ == "__main__":
    main()
