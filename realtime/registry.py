"""What `/ws/notifications/` carries, registered by the apps that own it (from their AppConfig.ready).

- A **badge** is one key of the `{"type": "unread", ...}` frame: `count(user=...)` reads the user's
  number fresh from the database (or None: not theirs to see); `groups(user=...)` names extra
  channel-layer groups whose refresh hints concern it (the staff inbox's group, for staff).
- A **flag** is a site-wide on/off state sent as `{"type": <name>, "enabled": bool}` whenever it
  differs from what the socket last saw (the direct-messaging switch).
- A **topic** is a per-object event (`{"type": <name>, ...ids}`), pushed with
  `realtime.push.event_send` to the groups `groups(user=...)` names for each socket.

Registering the same name again replaces the entry (apps reload in tests). Order is registration
order, which is INSTALLED_APPS order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


def _no_groups(*, user: Any) -> Sequence[str]:
    return ()


@dataclass(frozen=True)
class Badge:
    name: str
    count: Callable[..., int | None]  # count(*, user) -> int | None
    groups: Callable[..., Sequence[str]] = _no_groups  # groups(*, user) -> group names


@dataclass(frozen=True)
class Flag:
    name: str
    read: Callable[[], bool]  # read fresh: a socket outlives any per-process memo
    # The per-process memo, for the frequent re-reads (a user's refresh, a heartbeat): a switch flip
    # also sends everyone a refresh that reads fresh, so a memo at most a moment old is never kept.
    cached: Callable[[], bool] | None = None


@dataclass(frozen=True)
class Topic:
    name: str
    groups: Callable[..., Sequence[str]]  # groups(*, user) -> group names


_badges: dict[str, Badge] = {}
_flags: dict[str, Flag] = {}
_topics: dict[str, Topic] = {}


def badge_register(
    *, name: str, count: Callable[..., int | None], groups: Callable[..., Sequence[str]] = _no_groups
) -> None:
    _badges[name] = Badge(name=name, count=count, groups=groups)


def flag_register(*, name: str, read: Callable[[], bool], cached: Callable[[], bool] | None = None) -> None:
    _flags[name] = Flag(name=name, read=read, cached=cached)


def topic_register(*, name: str, groups: Callable[..., Sequence[str]]) -> None:
    _topics[name] = Topic(name=name, groups=groups)


def unregister(name: str) -> None:
    """Forget a badge, flag or topic of that name (tests; an app switched off)."""
    _badges.pop(name, None)
    _flags.pop(name, None)
    _topics.pop(name, None)


def badges() -> list[Badge]:
    return list(_badges.values())


def flags() -> list[Flag]:
    return list(_flags.values())


def topics() -> list[Topic]:
    return list(_topics.values())
