"""Side panels other apps add to the conversation page, without inbox importing them.

An app registers `provider(*, conversation, user) -> Panel | None` (e.g. in its AppConfig.ready);
the conversation page shows every panel a provider returns, in registration order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Panel:
    title: str
    template: str  # rendered with `context` plus `conversation`
    context: dict[str, Any]


PanelProvider = Callable[..., Panel | None]
_providers: list[PanelProvider] = []


def register(provider: PanelProvider) -> PanelProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister(provider: PanelProvider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def panels_for(*, conversation: Any, user: Any) -> list[Panel]:
    found = []
    for provider in list(_providers):
        try:
            panel = provider(conversation=conversation, user=user)
        except Exception:  # one broken panel must not take the conversation page down
            logger.exception("inbox panel provider %r failed", provider)
            continue
        if panel is not None:
            found.append(panel)
    return found
