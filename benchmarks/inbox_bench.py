"""The staff inbox list at scale on PostgreSQL. Prints figures; asserts nothing about time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clubroom_bench \\
        .venv/bin/python benchmarks/inbox_bench.py [--rebuild] [--scale 1.0] [--requests 100]

Builds (once; --rebuild to redo) 100,000 conversations with 2,000,000 inbox messages (20 each, both
directions) with COPY, times --scale (0.01 for a dry run: 1,000 / 20,000), plus 20 staff, 12 labels on a
fifth of the conversations, integration sources on a tenth, assignments, @mentions, and one staff
member's ("bench-staff-0") read pointers on 60% of the conversations. Then, through Django's test
client (middleware, session and templates; no HTTP socket), as that staff member, it measures p50/p95
and the queries of: the /inbox/ list for every filter, the list API (first page and a cursor page),
search (page and API: a contact name, a phone fragment, a word of message text), one conversation
page, and the staff badge. The last line is the headline.

The database must be a scratch one: the inbox tables are emptied on build.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONVERSATIONS = 100_000
MESSAGES_PER_CONVERSATION = 20
STAFF = 20
X_USERNAME = "bench-staff-0"
LABELS = ["billing", "pt lead", "freeze", "cancel", "complaint", "guest pass", "locker", "classes", "pool",
          "parking", "kids club", "vip"]  # fmt: skip
SOURCES = ["webchat", "ai-assistant"]
FIRST = ["Dana", "Sam", "Alex", "Riley", "Jordan", "Casey", "Morgan", "Taylor", "Jamie", "Avery", "Quinn", "Rowan"]
LAST = ["Reyes", "Chen", "Novak", "Okafor", "Schmidt", "Rossi", "Kowalski", "Haddad", "Silva", "Larsen", "Ito"]
WORDS = [
    "is",
    "the",
    "pool",
    "open",
    "late",
    "on",
    "friday",
    "can",
    "I",
    "freeze",
    "my",
    "membership",
    "for",
    "a",
    "month",
    "my",
    "card",
    "was",
    "charged",
    "twice",
    "where",
    "do",
    "I",
    "park",
    "for",
    "the",
    "kids",
    "club",
    "do",
    "you",
    "have",
    "a",
    "guest",
    "pass",
    "the",
    "sauna",
    "is",
    "broken",
    "again",
    "thanks",
    "see",
    "you",
    "at",
    "spin",
    "tomorrow",
    "morning",
    "I",
    "left",
    "my",
    "towel",
    "in",
    "the",
    "locker",
    "room",
]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def _report(name: str, samples: list[float], queries: int | None = None) -> tuple[float, float]:
    ms = [s * 1000 for s in samples]
    p50, p95 = statistics.median(ms), _percentile(ms, 0.95)
    extra = f"  queries={queries}" if queries is not None else ""
    print(f"{name:<44} n={len(ms):<5} p50={p50:7.2f} ms  p95={p95:7.2f} ms  max={max(ms):7.2f} ms{extra}")
    return p50, p95


def _time(fn: Callable[[], object], n: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def _copy(cur: Any, model: Any, rows: Iterator[dict[str, Any]], fields: list[str] | None = None) -> int:
    """COPY dicts keyed by field attname into the model's table; returns the row count."""
    columns = fields or [f.attname for f in model._meta.concrete_fields]
    table = model._meta.db_table
    count = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row.get(column) for column in columns))
            count += 1
    return count


def build(scale: float, seed: int = 11) -> None:
    from django.db import connection, transaction

    from accounts.models import User
    from inbox.models import Contact, Conversation, InboxMessage, Label, Note, ReadState

    rng = random.Random(seed)
    started = time.perf_counter()
    now = datetime.now(UTC)
    conversations = max(100, int(CONVERSATIONS * scale))
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE inbox_badgeentry, inbox_staffbadge, inbox_note_mentions, inbox_note, inbox_conversationevent,"
            " inbox_readstate,"
            " inbox_conversation_labels, inbox_inboxmessage, inbox_conversation, inbox_contact, inbox_label,"
            " inbox_savedreply RESTART IDENTITY CASCADE"
        )
        cursor.execute("DELETE FROM accounts_user WHERE username LIKE 'bench-staff-%%'")
    staff = [
        User.objects.create_user(username=f"bench-staff-{n}", role="staff", display_name=f"Staff {n}")
        for n in range(STAFF)
    ]
    x = staff[0]
    labels = [Label.objects.create(name=name) for name in LABELS]

    with transaction.atomic(), connection.connection.cursor() as cur:  # psycopg 3

        def contacts() -> Iterator[dict[str, Any]]:
            for n in range(1, conversations + 1):
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {n}"
                yield {
                    "id": n, "clubos_id": 80_000_000 + n, "name": name, "email": f"member{n}@example.net",
                    "phone": f"+1312{n:07d}", "can_text": True, "external_id": None, "user_id": None,
                    "created_at": now, "updated_at": now,
                }  # fmt: skip

        _copy(cur, Contact, contacts())
        print(f"  contacts: {conversations:,} in {time.perf_counter() - started:.1f} s")

        conversation_rows: list[dict[str, Any]] = []
        message_id = 0

        def messages() -> Iterator[dict[str, Any]]:
            nonlocal message_id
            for n in range(1, conversations + 1):
                end = now - timedelta(seconds=rng.randrange(120 * 86400))
                channel = "email" if rng.random() < 0.15 else "sms"
                last_inbound = None
                body = ""
                for k in range(MESSAGES_PER_CONVERSATION):
                    message_id += 1
                    inbound = k % 2 == 0 or k == MESSAGES_PER_CONVERSATION - 1
                    body = " ".join(rng.choices(WORDS, k=rng.randint(5, 16)))
                    sent_at = end - timedelta(minutes=(MESSAGES_PER_CONVERSATION - k) * 7)
                    if inbound:
                        last_inbound = message_id
                    yield {
                        "id": message_id, "conversation_id": n, "direction": "inbound" if inbound else "outbound",
                        "channel": channel, "author_kind": "member" if inbound else "staff",
                        "author_id": None if inbound else rng.choice(staff).pk, "subject": "", "body": body,
                        "body_is_snippet": False, "sent_at": sent_at, "clubos_message_id": 900_000_000 + message_id,
                        "delivery_status": "sent", "attempts": 0 if inbound else 1, "attempt_started_at": None,
                        "failure_reason": "", "delivery_uncertain": False, "next_attempt_at": None, "nudged_at": None,
                        "external_id": None, "idempotency_key": None, "created_at": sent_at,
                    }  # fmt: skip
                roll = rng.random()
                status = (
                    "open" if roll < 0.35 else "pending" if roll < 0.45 else "snoozed" if roll < 0.5 else "resolved"
                )
                conversation_rows.append(
                    {
                        "id": n, "contact_id": n, "status": status,
                        "assignee_id": rng.choice(staff).pk if rng.random() < 0.6 else None,
                        "priority": rng.choice(["low", "normal", "normal", "normal", "high", "urgent"]),
                        "snoozed_until": now + timedelta(days=1) if status == "snoozed" else None,
                        "source": rng.choice(SOURCES) if rng.random() < 0.1 else "clubos",
                        "last_message_at": end - timedelta(minutes=7), "last_message_preview": body[:200],
                        "last_message_channel": channel, "last_inbound_id": last_inbound,
                        "unread_count": 1 if status == "open" and rng.random() < 0.3 else 0,
                        "last_read_at": None, "status_changed_at": None, "created_at": end - timedelta(days=1),
                        "updated_at": end,
                    }
                )  # fmt: skip

        _copy(cur, InboxMessage, messages())
        print(f"  messages: {message_id:,} in {time.perf_counter() - started:.1f} s")
        _copy(cur, Conversation, iter(conversation_rows))
        label_links = (
            {"conversation_id": row["id"], "label_id": label.pk}
            for row in conversation_rows
            if rng.random() < 0.2
            for label in rng.sample(labels, rng.randint(1, 2))
        )
        _copy(cur, Conversation.labels.through, label_links, ["conversation_id", "label_id"])
        reads = (
            {"conversation_id": row["id"], "user_id": x.pk, "last_read_message_id": row["last_inbound_id"],
             "updated_at": now}
            for row in conversation_rows
            if rng.random() < 0.6
        )  # fmt: skip
        _copy(cur, ReadState, reads, ["conversation_id", "user_id", "last_read_message_id", "updated_at"])
        noted = [row["id"] for row in conversation_rows if rng.random() < 0.02]
        _copy(
            cur,
            Note,
            ({"id": i, "conversation_id": c, "author_id": staff[1].pk, "body": "@staff0 can you call back?",
              "created_at": now} for i, c in enumerate(noted, start=1)),
            ["id", "conversation_id", "author_id", "body", "created_at"],
        )  # fmt: skip
        _copy(
            cur,
            Note.mentions.through,
            ({"note_id": i, "user_id": x.pk} for i in range(1, len(noted) + 1)),
            ["note_id", "user_id"],
        )
        print(f"  conversations, labels, read pointers, notes in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        for table in ("inbox_contact", "inbox_conversation", "inbox_inboxmessage", "inbox_note"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        cursor.execute("VACUUM ANALYZE")
    _badges_build(staff)
    print(f"built in {time.perf_counter() - started:.1f} s")


def _badges_build(staff: list[Any]) -> None:
    """Every bench staff member's badge entries, built the way production builds them (on first read)."""
    from django.db import connection

    from inbox import selectors

    started = time.perf_counter()
    for user in staff:
        selectors.staff_unread_count(user=user)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE inbox_badgeentry")  # index-only counts need a fresh visibility map
    print(f"  badges of {len(staff)} staff built in {time.perf_counter() - started:.1f} s")


def measure(requests: int) -> None:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from inbox import selectors
    from inbox.models import Conversation, Label

    x = User.objects.get(username=X_USERNAME)
    from inbox.models import StaffBadge

    if not StaffBadge.objects.filter(user=x).exists():  # data built before badges had entries
        _badges_build(list(User.objects.filter(username__startswith="bench-staff-")))
    client = Client()
    client.force_login(x)
    total = Conversation.objects.count()
    print(f"staff {X_USERNAME}: {total:,} conversations, badge {selectors.staff_unread_count(user=x):,}; "
          f"requests per figure: {requests}")  # fmt: skip

    def queries(fn: Callable[[], object]) -> int:
        with CaptureQueriesContext(connection) as context:
            fn()
        count = len(context)
        reset_queries()
        return count

    def get(url: str) -> Callable[[], object]:
        def call() -> object:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return call

    label = Label.objects.get(name="billing")
    next_url = client.get("/api/v1/inbox/conversations/").json()["next"]
    filters = [
        ("/inbox/", "/inbox/"),
        ("/inbox/?status=open", "/inbox/?status=open"),
        ("/inbox/?status=resolved", "/inbox/?status=resolved"),
        ("/inbox/?scope=mine", "/inbox/?scope=mine"),
        ("/inbox/?scope=unassigned", "/inbox/?scope=unassigned"),
        ("/inbox/?label=billing", f"/inbox/?label={label.pk}"),
        ("/inbox/?channel=email", "/inbox/?channel=email"),
        ("/inbox/?source=webchat", "/inbox/?source=webchat"),
        ("/inbox/?unread=on", "/inbox/?unread=on"),
        ("/inbox/?status=open&unread=on&scope=mine", "/inbox/?status=open&unread=on&scope=mine"),
        ("/inbox/rows/ (live refresh)", "/inbox/rows/"),
        ("GET /api/v1/inbox/conversations/", "/api/v1/inbox/conversations/"),
        ("GET /api/v1/inbox/conversations/?cursor=", next_url),
    ]
    list_p95: list[float] = []
    list_queries: set[int] = set()
    for name, url in filters:
        fn = get(url)
        count = queries(fn)
        _, p95 = _report(name, _time(fn, requests), count)
        if url.startswith("/inbox/?") or url == "/inbox/":
            list_p95.append(p95)
            list_queries.add(count)

    searches = [
        ("search /inbox/?q=<name> (reyes)", "/inbox/?q=reyes"),
        ("search /inbox/?q=<phone> (3120004)", "/inbox/?q=3120004"),
        ("search /inbox/?q=<message word> (sauna)", "/inbox/?q=sauna"),
        ("search API ?q=okafor", "/api/v1/inbox/conversations/?q=okafor"),
    ]
    search_p95 = [_report(name, _time(get(url), requests), queries(get(url)))[1] for name, url in searches]

    busiest = Conversation.objects.order_by("-last_message_at").first()
    assert busiest is not None
    _, detail_p95 = _report(
        f"/inbox/{busiest.pk}/ (conversation page)",
        _time(get(f"/inbox/{busiest.pk}/"), requests),
        queries(get(f"/inbox/{busiest.pk}/")),
    )
    _report("staff badge (selector)", _time(lambda: selectors.staff_unread_count(user=x), requests * 3))
    _report("filter counts (selector)", _time(lambda: selectors.conversation_filter_counts(user=x), requests))
    print(
        f"HEADLINE {total:,} conversations: list p95 (worst filter) {max(list_p95):.1f} ms with "
        f"{'/'.join(str(q) for q in sorted(list_queries))} queries; search p95 {max(search_p95):.1f} ms; "
        f"conversation page p95 {detail_p95:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="Empty the inbox tables and build again.")
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of 100,000 conversations (0.01: dry run).")
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a scratch PostgreSQL database (postgres://…); the figures are for PostgreSQL.")
    os.environ.pop("REDIS_URL", None)  # no sockets here: pushes go to the in-memory layer
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")  # the test client speaks plain HTTP
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)
    os.environ.setdefault("DJANGO_CONN_MAX_AGE", "60")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from inbox.models import Conversation

    call_command("migrate", verbosity=0)
    wanted = max(100, int(CONVERSATIONS * args.scale))
    if args.rebuild or not User.objects.filter(username=X_USERNAME).exists() or Conversation.objects.count() != wanted:
        print(f"building {wanted:,} conversations / {wanted * MESSAGES_PER_CONVERSATION:,} inbox messages …")
        build(args.scale)
    measure(args.requests)


if __name__ == "__main__":
    main()
