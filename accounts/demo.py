"""The demo club: one roster shared by `seed_demo` and the ClubOS sandbox, so ids always match.

ClubOS ids are tfoUserIds (one id space for members, leads and staff). Demo passwords are
printed by `seed_demo`; they are for a local try-out only.
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "clubroom-demo"  # noqa: S105  (printed to the person trying the demo)
CLUB_ID = 1156
CLUB_LOCATION_ID = 1512


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    last_name: str
    clubos_id: int
    email: str
    mobile: str
    status: str = "active"
    bio: str = ""

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


ADMIN = DemoPerson("admin", "Avery", "Admin", 187000001, "admin@clubroom.example", "")
STAFF = (
    DemoPerson("sam.front", "Sam", "Okafor", 187000002, "sam.okafor@clubroom.example", "+13125550102"),
    DemoPerson("jo.coach", "Jo", "Lindqvist", 187000003, "jo.lindqvist@clubroom.example", "+13125550103"),
)

_MEMBERS = [
    ("Dana", "Reyes", "active", "Early bird. Kettlebells and coffee."),
    ("Zoë", "Müller", "active", "Swimming three times a week."),
    ("Seán", "O'Connor", "active", "Rugby off-season conditioning."),
    ("Amélie", "Dubois", "frozen", "Back after the summer."),
    ("José", "García", "active", ""),
    ("Dana", "Whitfield", "active", "The other Dana. Spin classes."),
    ("Björn", "Andersson", "active", "Powerlifting."),
    ("Nguyễn", "Thị Lan", "active", "Yoga, mostly."),
    ("Priya", "Raghunathan", "active", "Marathon in the spring."),
    ("Mateo", "Rossi", "prospect", "On a trial week."),
    ("Chloé", "Lefèvre", "active", ""),
    ("Liam", "D'Angelo", "active", "Boxing fundamentals."),
    ("Aoife", "Ní Bhriain", "active", ""),
    ("Kwame", "Mensah", "active", "HIIT at lunch."),
    ("Søren", "Kierkegaard-Holm", "cancelled", ""),
    ("Fatima", "Al-Sayed", "active", "Pilates and swim."),
    ("Hiroshi", "Tanaka", "active", ""),
    ("Olivia", "Brown", "active", "Couch to 5k graduate!"),
    ("Noah", "Smith", "active", ""),
    ("Émile", "Fournier", "frozen", ""),
    ("Isabella", "Martínez", "active", "Group classes."),
    ("Marcus", "Johnson", "active", "Trying to beat my deadlift PR."),
    ("Ana", "Kowalska", "active", ""),
    ("Tomás", "Ó Briain", "active", ""),
    ("Grace", "Oyelaran", "active", "Weekend warrior."),
    ("Lukas", "Novák", "active", ""),
    ("Mia", "Schröder", "prospect", ""),
    ("Ravi", "Patel", "active", "Squash ladder."),
    ("Elif", "Yılmaz", "active", ""),
    ("Jack", "O'Brien", "active", ""),
]


def _username(first: str, last: str, taken: set[str]) -> str:
    import unicodedata

    def ascii_slug(text: str) -> str:
        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return "".join(ch for ch in plain.lower() if ch.isalnum())

    base = f"{ascii_slug(first)}.{ascii_slug(last)}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    taken.add(name)
    return name


def _members() -> tuple[DemoPerson, ...]:
    taken: set[str] = set()
    people = []
    for index, (first, last, status, bio) in enumerate(_MEMBERS):
        username = _username(first, last, taken)
        people.append(
            DemoPerson(
                username=username,
                first_name=first,
                last_name=last,
                clubos_id=61_000_100 + index * 7,
                email=f"{username}@members.example",
                mobile=f"+1312555{1000 + index:04d}",
                status=status,
                bio=bio,
            )
        )
    return tuple(people)


MEMBERS = _members()
