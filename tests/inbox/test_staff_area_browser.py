"""The Stats page and the safety queue in Chromium at 390 px: no horizontal scrolling, and the site's CSP
(no bypass) reports nothing, so the SVG charts need neither inline styles nor scripts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import AuthorKind
from messaging import services
from tests.fixtures.browser import session_cookie, signed_in_context
from tests.inbox.factories import ConversationFactory, InboxMessageFactory
from tests.messaging.factories import make_member, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff_area(live_daphne):
    """Data made before the browser starts (its event loop would refuse the on-commit pushes)."""
    staff = make_staff(display_name="Sam Front")
    conversation = ConversationFactory()
    now = timezone.now()
    for n in range(40):
        InboxMessageFactory(conversation=conversation, sent_at=now - timedelta(hours=n * 7))
        InboxMessageFactory(
            conversation=conversation,
            sent_at=now - timedelta(hours=n * 7) + timedelta(minutes=9),
            direction="outbound",
            author_kind=AuthorKind.STAFF,
            author=staff,
        )
    services.messaging_set_enabled(actor=None, enabled=True)
    offender, reporter = make_member(), make_member()
    thread, _ = services.thread_start(initiator=offender, recipient=reporter)
    long_word = "x" * 300  # an unbroken body must wrap, not widen the page
    message = services.message_send(sender=offender, thread_id=thread.pk, body=f"{long_word} <b>rude</b>")
    report, _ = services.report_create(reporter=reporter, message_id=message.pk, reason="rude")
    return {"staff": staff, "report": report}


def test_stats_and_reports_fit_390_px_without_csp_violations(live_daphne, staff_area, chromium):
    staff, report = staff_area["staff"], staff_area["report"]
    context = signed_in_context(chromium, live_daphne, session_cookie(staff), viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        violations: list[str] = []
        page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
        for path in ("/inbox/stats/", "/inbox/reports/", f"/inbox/reports/{report.pk}/"):
            page.goto(path)
            page.wait_for_load_state("load")
            width = page.evaluate("document.documentElement.scrollWidth")
            widest = page.evaluate(
                """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
                    .map(e => e.tagName + '.' + e.className).slice(-3)"""
            )
            assert width <= 390, f"{path} is {width} px wide at 390 px: {widest}"
        page.goto("/inbox/stats/")
        assert page.locator("svg.chart").count() == 4
        assert page.locator("svg.chart rect.chart-bar").first.bounding_box() is not None
        assert violations == []
    finally:
        context.close()
