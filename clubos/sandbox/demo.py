"""The sandbox's realistic inbox for the demo club (accounts.demo): the quirks the client must survive.

Seeded relative to the club's calendar, so "today" means today at any hour: earlier days at fixed
wall-clock times in the club's time zone (days before today's local midnight), today's items between
local midnight and now (so at 00:00:30 they are still today's, shown as `h:mm AM`). Conversations over
the last days, one from 330 days ago (its date cell shows no year), an unlinked lead (not in seed_demo),
an HTML email, curly quotes and emoji, "Type message here..." as real content, staff replies with their
duplicate note entries, a call and "by System I." entries that are not conversation messages.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from accounts import demo
from clubos.sandbox.state import ICON_CALL, ICON_GENERAL, ROLE_LEAD, SYNC_ACCOUNT_ID, Person, SandboxState

UNLINKED_LEAD_ID = 61_900_001  # Riley Chen: a lead who texted the club, unknown to seed_demo

_BY_NAME = {f"{m.first_name} {m.last_name}": m.clubos_id for m in demo.MEMBERS}
SAM = demo.STAFF[0].clubos_id
JO = demo.STAFF[1].clubos_id


def member_id(full_name: str) -> int:
    return _BY_NAME[full_name]


def seed_inbox(state: SandboxState) -> None:
    club = demo.CLUB_LOCATION_ID
    now = state.now()
    state.add_person(
        Person(UNLINKED_LEAD_ID, "Riley", "Chen", "riley.chen@example.net", "+17735550199", role_id=ROLE_LEAD)
    )

    local_now = now.astimezone(state.time_zone)
    midnight = datetime.combine(local_now.date(), time(0), tzinfo=state.time_zone).astimezone(UTC)

    def day(days_ago: int, clock: str) -> datetime:
        """`clock` ("15:20", club time) on the calendar day `days_ago` days before today (days_ago >= 1).

        Times stay clear of 01:00-03:00, which does not exist (or happens twice) on DST change days."""
        hour, minute = (int(part) for part in clock.split(":"))
        local_day = local_now.date() - timedelta(days=days_ago)
        return datetime.combine(local_day, time(hour, minute), tzinfo=state.time_zone).astimezone(UTC)

    def today(fraction: float) -> datetime:
        """Today, `fraction` of the way from the club's local midnight to now (earlier fraction, earlier time)."""
        return midnight + (now - midnight) * fraction

    # Last year: a welcome text by staff (no reply anchor, so only the year-less date cell) and the answer.
    marcus = member_id("Marcus Johnson")
    state.add_message(
        owner_id=club,
        member_id=marcus,
        inbound=False,
        staff_id=SAM,
        at=day(330, "10:00"),
        body="Welcome to the club, Marcus! Your key fob is ready at the front desk.",
        staff_note="Welcome text, new member",
    )
    state.add_message(
        owner_id=club, member_id=marcus, inbound=True, at=day(330, "10:12"), body="Thanks! See you Monday."
    )

    ana = member_id("Ana Kowalska")
    state.add_log(
        member_id=ana,
        at=day(40, "09:00"),
        author="System I.",
        icon=ICON_GENERAL,
        note="Membership agreement signed online",
    )
    bjorn = member_id("Björn Andersson")
    state.add_log(
        member_id=bjorn,
        at=day(9, "11:30"),
        author="Sam O.",
        icon=ICON_CALL,
        note="Call - Left Message - renewal reminder",
    )

    amelie = member_id("Amélie Dubois")
    state.add_message(owner_id=club, member_id=amelie, inbound=True, at=day(6, "18:40"), body="Type message here...")
    state.add_message(
        owner_id=club,
        member_id=amelie,
        inbound=False,
        staff_id=JO,
        at=day(6, "19:00"),
        body="Hi Amélie, looks like your message came through empty. Anything we can help with?",
    )

    jose = member_id("José García")
    state.add_message(
        owner_id=club,
        member_id=jose,
        inbound=True,
        at=day(4, "07:15"),
        body="Can I freeze my membership for 2 months while I travel? I'll be back in February.",
    )

    dana = member_id("Dana Reyes")
    state.add_message(
        owner_id=club,
        member_id=dana,
        inbound=True,
        at=day(3, "12:00"),
        body="Can I bring a friend on Saturday? \U0001f60a",
    )
    state.add_message(
        owner_id=club,
        member_id=dana,
        inbound=False,
        staff_id=SAM,
        at=day(3, "12:14"),
        body="Sure! Guests are free on weekends, just sign the waiver at the desk.",
        staff_note="Guest pass policy explained",
    )
    state.add_message(owner_id=club, member_id=dana, inbound=True, at=day(3, "12:16"), body="Great, thanks!")

    zoe = member_id("Zoë Müller")
    state.add_message(
        owner_id=club,
        member_id=zoe,
        inbound=True,
        channel="email",
        subject="Pool hours",
        at=day(2, "08:05"),
        body="<p>Hi,</p><p>Is the pool open on <b>Thanksgiving</b> &amp; the day after?</p><p>Zoë</p>",
    )

    sean = member_id("Seán O'Connor")
    state.add_message(
        owner_id=club,
        member_id=sean,
        inbound=True,
        at=day(1, "15:20"),
        body="Is the “rugby” conditioning class still on Tuesday? It’s my favourite.",
    )
    state.add_message(
        owner_id=club,
        member_id=sean,
        inbound=False,
        staff_id=JO,
        at=day(1, "16:20"),
        body="Yes, Tuesday 6 pm as usual. See you there!",
    )

    kwame = member_id("Kwame Mensah")
    state.add_message(
        owner_id=club, member_id=kwame, inbound=True, at=day(1, "19:45"), body="Sauna & steam room fixed yet? <3"
    )

    hiroshi = member_id("Hiroshi Tanaka")
    state.add_message(
        owner_id=SYNC_ACCOUNT_ID,
        member_id=hiroshi,
        inbound=True,
        at=day(1, "21:10"),
        body="Hi, can you confirm my cancellation request was withdrawn?",
    )

    state.add_log(
        member_id=UNLINKED_LEAD_ID,
        at=day(2, "10:30"),
        author="Jo L.",
        icon="text",
        note="Lead Follow-Up #1, Outcome: Left Message - Thanks for visiting! Want to book a tour?",
    )
    state.add_message(
        owner_id=club,
        member_id=UNLINKED_LEAD_ID,
        inbound=True,
        at=today(0.4),
        body="Hi, do you offer a free trial week?",
    )

    priya = member_id("Priya Raghunathan")
    state.add_message(
        owner_id=club,
        member_id=priya,
        inbound=True,
        at=today(0.9),
        body="Running late for my 7:30 PT session, sorry!",
    )
