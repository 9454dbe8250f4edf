"""The sandbox's realistic inbox for the demo club (accounts.demo): the quirks the client must survive.

Seeded relative to now: conversations over the last days, one from last year (its date cell shows no
year), one from today (`h:mm AM`), an unlinked lead (not in seed_demo), an HTML email, curly quotes and
emoji, "Type message here..." as real content, staff replies with their duplicate note entries, a call
and "by System I." entries that are not conversation messages.
"""

from __future__ import annotations

from datetime import timedelta

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

    def at(days: float = 0, hours: float = 0, minutes: float = 0):  # type: ignore[no-untyped-def]
        return now - timedelta(days=days, hours=hours, minutes=minutes)

    # Last year: a welcome text by staff (no reply anchor, so only the year-less date cell) and the answer.
    marcus = member_id("Marcus Johnson")
    state.add_message(
        owner_id=club,
        member_id=marcus,
        inbound=False,
        staff_id=SAM,
        at=at(days=330),
        body="Welcome to the club, Marcus! Your key fob is ready at the front desk.",
        staff_note="Welcome text, new member",
    )
    state.add_message(
        owner_id=club, member_id=marcus, inbound=True, at=at(days=330, minutes=-12), body="Thanks! See you Monday."
    )

    ana = member_id("Ana Kowalska")
    state.add_log(
        member_id=ana, at=at(days=40), author="System I.", icon=ICON_GENERAL, note="Membership agreement signed online"
    )
    bjorn = member_id("Björn Andersson")
    state.add_log(
        member_id=bjorn, at=at(days=9), author="Sam O.", icon=ICON_CALL, note="Call - Left Message - renewal reminder"
    )

    amelie = member_id("Amélie Dubois")
    state.add_message(owner_id=club, member_id=amelie, inbound=True, at=at(days=6), body="Type message here...")
    state.add_message(
        owner_id=club,
        member_id=amelie,
        inbound=False,
        staff_id=JO,
        at=at(days=6, minutes=-20),
        body="Hi Amélie, looks like your message came through empty. Anything we can help with?",
    )

    jose = member_id("José García")
    state.add_message(
        owner_id=club,
        member_id=jose,
        inbound=True,
        at=at(days=4, hours=3),
        body="Can I freeze my membership for 2 months while I travel? I'll be back in February.",
    )

    dana = member_id("Dana Reyes")
    state.add_message(
        owner_id=club, member_id=dana, inbound=True, at=at(days=3), body="Can I bring a friend on Saturday? \U0001f60a"
    )
    state.add_message(
        owner_id=club,
        member_id=dana,
        inbound=False,
        staff_id=SAM,
        at=at(days=3, minutes=-14),
        body="Sure! Guests are free on weekends, just sign the waiver at the desk.",
        staff_note="Guest pass policy explained",
    )
    state.add_message(owner_id=club, member_id=dana, inbound=True, at=at(days=3, minutes=-16), body="Great, thanks!")

    zoe = member_id("Zoë Müller")
    state.add_message(
        owner_id=club,
        member_id=zoe,
        inbound=True,
        channel="email",
        subject="Pool hours",
        at=at(days=2, hours=5),
        body="<p>Hi,</p><p>Is the pool open on <b>Thanksgiving</b> &amp; the day after?</p><p>Zoë</p>",
    )

    sean = member_id("Seán O'Connor")
    state.add_message(
        owner_id=club,
        member_id=sean,
        inbound=True,
        at=at(days=1, hours=6),
        body="Is the “rugby” conditioning class still on Tuesday? It’s my favourite.",
    )
    state.add_message(
        owner_id=club,
        member_id=sean,
        inbound=False,
        staff_id=JO,
        at=at(days=1, hours=5),
        body="Yes, Tuesday 6 pm as usual. See you there!",
    )

    kwame = member_id("Kwame Mensah")
    state.add_message(
        owner_id=club, member_id=kwame, inbound=True, at=at(days=1, hours=2), body="Sauna & steam room fixed yet? <3"
    )

    hiroshi = member_id("Hiroshi Tanaka")
    state.add_message(
        owner_id=SYNC_ACCOUNT_ID,
        member_id=hiroshi,
        inbound=True,
        at=at(days=1, hours=1),
        body="Hi, can you confirm my cancellation request was withdrawn?",
    )

    state.add_log(
        member_id=UNLINKED_LEAD_ID,
        at=at(days=2),
        author="Jo L.",
        icon="text",
        note="Lead Follow-Up #1, Outcome: Left Message - Thanks for visiting! Want to book a tour?",
    )
    state.add_message(
        owner_id=club,
        member_id=UNLINKED_LEAD_ID,
        inbound=True,
        at=at(hours=3),
        body="Hi, do you offer a free trial week?",
    )

    priya = member_id("Priya Raghunathan")
    state.add_message(
        owner_id=club,
        member_id=priya,
        inbound=True,
        at=at(minutes=50),
        body="Running late for my 7:30 PT session, sorry!",
    )
