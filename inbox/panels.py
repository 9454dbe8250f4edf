"""Panels other apps add to the staff inbox's conversation page, without inbox importing them.

An app registers a panel in its AppConfig.ready():

    from inbox import panels
    panels.panel_register(name="ai_agent", template="ai_agent/_conversation_panel.html",
                          context=lambda request, conversation: {...}, order=10)

The conversation view renders every registered panel (lowest `order` first) with the page's own
context plus what `context(request, conversation)` returns; a context function returning None hides
its panel. A panel that fails to render is logged and left out: it never breaks the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

logger = logging.getLogger(__name__)

PanelContext = Callable[[HttpRequest, Any], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: PanelContext
    order: int = 100


_panels: dict[str, Panel] = {}


def panel_register(*, name: str, template: str, context: PanelContext, order: int = 100) -> None:
    """Add (or replace, by name) a panel on the conversation page."""
    _panels[name] = Panel(name=name, template=template, context=context, order=order)


def panel_unregister(*, name: str) -> None:
    _panels.pop(name, None)


def panels_render(*, request: HttpRequest, conversation: Any, base: dict[str, Any]) -> list[SafeString]:
    """Every registered panel rendered to HTML, in order."""
    rendered: list[SafeString] = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.name)):
        try:
            extra = panel.context(request, conversation)
            if extra is None:
                continue
            html = render_to_string(panel.template, {**base, **extra}, request=request)
        except Exception:
            logger.exception("Conversation panel %s failed to render", panel.name)
            continue
        rendered.append(mark_safe(html))  # noqa: S308 (rendered by our own autoescaping templates)
    return rendered
