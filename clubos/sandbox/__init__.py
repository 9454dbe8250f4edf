"""A stand-in ClubOS server for tests, benchmarks and trying Clubroom locally (never used in production).

It follows docs/clubos-protocol.md over real HTTP: Login/view (both forms, Stripes tokens, the
jsessionid action), Login (302 + cookies incl. an HS256 apiV3AccessToken), Dashboard/view (inline session
script, owner select, user search form), Dashboard/messages (POST selects an owner and returns its list;
GET returns the selected owner's list), FollowUp (the Direct contact popup and follow-up log), FollowUp/save
(SMS/email/update; contact fields are saved back onto the person, blank wipes), UserSearch, Delegate,
refresh-api-v3-access-token, Logout, and the signals: `Session Expired`, "Something isn't right", the OOPS
redirect, PAGE NOT FOUND. State lives in memory (state.py); the server hands it the demo club's inbox
(demo.py). Faults and logs are controlled from Python (SandboxServer methods) or `POST /__sandbox__/control`,
and a person can make a member text the club at `/__sandbox__/` or with `manage.py clubos_sandbox inject`.
See tests/fixtures/clubos_sandbox.py for the control helpers.
"""

from clubos.sandbox.server import SandboxServer
from clubos.sandbox.state import SYNC_ACCOUNT_ID, SandboxState

__all__ = ["SYNC_ACCOUNT_ID", "SandboxServer", "SandboxState"]
