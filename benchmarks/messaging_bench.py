"""Direct messages at scale on PostgreSQL. Prints figures; asserts nothing about time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clubroom_bench \\
        .venv/bin/python benchmarks/messaging_bench.py [--rebuild] [--requests 300] [--recount]

Builds (once; --rebuild to redo) 1,000,000 messages in 100,000 threads among 20,003 members with
COPY: "bench-x" is in 2,000 threads, "bench-small" in 20 and "bench-big" in 20,000 (the thread list
must cost the same for both). Then, in-process through Django's test client
(the whole middleware, session and template stack; no HTTP socket) or direct calls, it measures
p50/p95 of: the /messages/ page (first and last page) for 20, 2,000 and 20,000 threads, a conversation
page, the thread-list API (first page and a cursor page), and the unread count; with the number of
queries each makes. The last line is the headline. --recount also
times `messaging_recount_unread` over every participant.

The database must be a scratch one: the messaging tables are emptied on build.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MEMBERS = 20_003
THREADS = 100_000
MESSAGES_PER_THREAD = 10
X_THREADS = 2_000
X_USERNAME = "bench-x"
SMALL_THREADS, SMALL_USERNAME = 20, "bench-small"
BIG_THREADS, BIG_USERNAME = 20_000, "bench-big"
WORDS = [
    "see",
    "you",
    "at",
    "spin",
    "tomorrow",
    "morning",
    "thanks",
    "for",
    "the",
    "tips",
    "on",
    "deadlifts",
    "is",
    "the",
    "pool",
    "open",
    "late",
    "on",
    "friday",
    "I",
    "left",
    "my",
    "towel",
    "in",
    "the",
    "locker",
    "room",
    "great",
    "class",
    "today",
    "want",
    "to",
    "split",
    "a",
    "trainer",
    "session",
    "how",
    "was",
    "the",
    "marathon",
    "let's",
    "grab",
    "a",
    "smoothie",
    "after",
    "yoga",
]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def _report(name: str, samples: list[float], queries: int | None = None) -> None:
    ms = [s * 1000 for s in samples]
    extra = f"  queries={queries}" if queries is not None else ""
    print(
        f"{name:<38} n={len(ms):<5} p50={statistics.median(ms):7.2f} ms  p95={_percentile(ms, 0.95):7.2f} ms"
        f"  max={max(ms):7.2f} ms{extra}"
    )


def _time(fn: Callable[[], object], n: int, warmup: int = 10) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def build(seed: int = 7) -> None:
    """COPY the whole shape in; a few minutes at most."""
    from django.db import connection, transaction

    rng = random.Random(seed)
    started = time.perf_counter()
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE messaging_report, messaging_block, messaging_participant, messaging_message, "
            "messaging_thread RESTART IDENTITY CASCADE"
        )
        cursor.execute("DELETE FROM accounts_user WHERE username LIKE 'bench-%%'")
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM accounts_user")
        first_user = cursor.fetchone()[0] + 1
    user_ids = list(range(first_user, first_user + MEMBERS))
    x_id, small_id, big_id = user_ids[:3]
    others = user_ids[3:]

    # One transaction: the deferred foreign keys are checked once, at commit.
    with transaction.atomic(), connection.connection.cursor() as cur:  # psycopg 3
        with cur.copy(
            "COPY accounts_user (id, password, is_superuser, username, first_name, last_name, email, is_staff,"
            " is_active, date_joined, role, display_name, bio, mobile_phone, membership_status) FROM STDIN"
        ) as copy:
            for index, user_id in enumerate(user_ids):
                username = {0: X_USERNAME, 1: SMALL_USERNAME, 2: BIG_USERNAME}.get(index, f"bench-{index}")
                copy.write_row(
                    (
                        user_id,
                        "!",
                        False,
                        username,
                        "Bench",
                        f"Member {index}",
                        "",
                        False,
                        True,
                        now,
                        "member",
                        f"Bench Member {index}",
                        "",
                        "",
                        "active",
                    )
                )
        print(f"  users: {MEMBERS:,} in {time.perf_counter() - started:.1f} s")

        pairs: set[tuple[int, int]] = {(x_id, other) for other in others[:X_THREADS]}
        pairs |= {(small_id, other) for other in others[X_THREADS : X_THREADS + SMALL_THREADS]}
        pairs |= {(big_id, other) for other in others[:BIG_THREADS]}
        while len(pairs) < THREADS:
            a, b = rng.sample(others, 2)
            pairs.add((min(a, b), max(a, b)))
        ordered_pairs = sorted(pairs)
        rng.shuffle(ordered_pairs)

        # Per thread: 10 messages alternating senders, ending at a random moment in the last 90 days.
        thread_rows = []
        participant_rows = []
        message_id = 0

        def messages() -> Iterator[tuple]:
            nonlocal message_id
            for thread_id, (low, high) in enumerate(ordered_pairs, start=1):
                end = now - timedelta(seconds=rng.randrange(90 * 86400))
                ids = []
                senders = []
                for k in range(MESSAGES_PER_THREAD):
                    message_id += 1
                    sender = low if k % 2 == 0 else high
                    created = end - timedelta(minutes=MESSAGES_PER_THREAD - k)
                    body = " ".join(rng.choices(WORDS, k=rng.randint(4, 14)))
                    ids.append(message_id)
                    senders.append(sender)
                    yield (message_id, thread_id, sender, body, created)
                thread_rows.append((thread_id, low, high, now - timedelta(days=120), ids[-1]))
                for user, other in ((low, high), (high, low)):
                    # 70% read to the end; the rest stopped somewhere in the last five messages.
                    stop = MESSAGES_PER_THREAD - 1 if rng.random() < 0.7 else rng.randint(4, 8)
                    unread = sum(1 for s in senders[stop + 1 :] if s != user)
                    participant_rows.append((thread_id, user, other, unread, ids[stop], end, end, False, False))

        with cur.copy("COPY messaging_message (id, thread_id, sender_id, body, created_at) FROM STDIN") as copy:
            for row in messages():
                copy.write_row(row)
        print(f"  messages: {message_id:,} in {time.perf_counter() - started:.1f} s")
        with cur.copy(
            "COPY messaging_thread (id, user_low_id, user_high_id, created_at, last_message_id) FROM STDIN"
        ) as copy:
            for row in thread_rows:
                copy.write_row(row)
        with cur.copy(
            "COPY messaging_participant (thread_id, user_id, other_id, unread_count, last_read_message_id,"
            " last_read_at, last_activity_at, archived, muted) FROM STDIN"
        ) as copy:
            for row in participant_rows:
                copy.write_row(row)
        print(f"  threads + participants: {len(thread_rows):,} + {len(participant_rows):,}")
    with connection.cursor() as cursor:
        for table, column in (
            ("accounts_user", "id"),
            ("messaging_message", "id"),
            ("messaging_thread", "id"),
            ("messaging_participant", "id"),
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), (SELECT MAX({column}) FROM {table}))"
            )
        # The steady state autovacuum keeps: statistics, and visibility maps for index-only scans.
        cursor.execute("VACUUM ANALYZE")
    print(f"built in {time.perf_counter() - started:.1f} s")


def measure(requests: int) -> None:
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from messaging import selectors
    from messaging.models import Participant

    def queries(fn: Callable[[], object]) -> int:
        counts = []
        for _ in range(3):  # the fewest of three: the on/off switch's memo re-reads once a second
            with CaptureQueriesContext(connection) as context:
                fn()
            counts.append(len(context))  # read before the log is cleared
            reset_queries()
        return min(counts)

    def get(client: Client, url: str) -> Callable[[], object]:
        def call() -> object:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return call

    per_page = getattr(settings, "MESSAGING_THREADS_PER_PAGE", 25)
    results: dict[str, list[float]] = {}
    for username in (SMALL_USERNAME, X_USERNAME, BIG_USERNAME):
        member = User.objects.get(username=username)
        client = Client()
        client.force_login(member)
        mine = Participant.objects.filter(user=member, archived=False)
        threads = mine.count()
        unread = selectors.messages_unread_count(user_id=member.pk)
        # The deepest page: the one older than the (per_page + 1)-th oldest row (20 threads: one page).
        edge = mine.order_by("last_activity_at", "id")[per_page : per_page + 1].first()
        last_page = f"/messages/?older={selectors.thread_list_position(edge)}" if edge else "/messages/"
        print(f"member {username}: {threads:,} threads, {unread:,} unread; requests per figure: {requests}")
        cases: list[tuple[str, Callable[[], object]]] = [
            (f"/messages/ first page, {threads:,} threads", get(client, "/messages/")),
            (f"/messages/ last page, {threads:,} threads", get(client, last_page)),
            (f"unread count, {threads:,} threads", partial(selectors.messages_unread_count, user_id=member.pk)),
        ]
        if username == X_USERNAME:
            busiest = mine.order_by("-last_activity_at").first()
            assert busiest is not None
            next_url = client.get("/api/v1/messaging/threads/").json()["next"]
            cases += [
                (f"/messages/{busiest.thread_id}/ (conversation)", get(client, f"/messages/{busiest.thread_id}/")),
                ("GET /api/v1/messaging/threads/", get(client, "/api/v1/messaging/threads/")),
                ("GET /api/v1/messaging/threads/?cursor=", get(client, next_url)),
            ]
        for name, fn in cases:
            samples = _time(fn, requests * 5 if name.startswith("unread") else requests)
            results[name.split(",")[0] + (f" @{threads}" if "," in name else "")] = samples
            _report(name, samples, queries(fn))

    def p(name: str, fraction: float) -> float:
        return _percentile([s * 1000 for s in results[name]], fraction)

    small, big = SMALL_THREADS, BIG_THREADS
    conversation = next(name for name in results if name.endswith("(conversation)"))
    first = [p(f"/messages/ first page @{n}", 0.5) for n in (small, big)]
    last = [p(f"/messages/ last page @{n}", 0.5) for n in (small, big)]
    print(
        f"HEADLINE conversation page p95 {p(conversation, 0.95):.1f} ms (target < 15); thread list p50 at "
        f"{small} / {big:,} threads: first page {first[0]:.1f} / {first[1]:.1f} ms, "
        f"last page {last[0]:.1f} / {last[1]:.1f} ms (target: flat)"
    )


def recount() -> None:
    from messaging import services

    started = time.perf_counter()
    result = services.unread_recount(fix=True)
    print(
        f"recount: checked {result.checked:,} participants, {result.drifted} drifted "
        f"(total {result.total_drift}) in {time.perf_counter() - started:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="Empty the messaging tables and build again.")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--recount", action="store_true", help="Also time the unread recount over everything.")
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a scratch PostgreSQL database (postgres://…); the figures are for PostgreSQL.")
    os.environ["DJANGO_DEBUG"] = "0"  # no query log, production template loaders
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"  # the test client speaks plain HTTP; no TLS proxy here
    os.environ["DJANGO_SECURE_COOKIES"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)
    os.environ.setdefault("DJANGO_CONN_MAX_AGE", "60")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from messaging import services
    from messaging.models import Message

    call_command("migrate", verbosity=0)
    if args.rebuild or not User.objects.filter(username=BIG_USERNAME).exists() or Message.objects.count() < 10**6:
        print("building 1,000,000 messages / 100,000 threads / 20,000 members …")
        build()
    services.messaging_set_enabled(actor=None, enabled=True)
    measure(args.requests)
    if args.recount:
        recount()


if __name__ == "__main__":
    main()
