"""daphne's HTTP request without Twisted's own form parsing.

Twisted's `Request.requestReceived` parses every multipart POST body into `request.args`, which
daphne never reads (Django parses the body itself). A body holding only a closing boundary fails
that parse and Twisted answers a bare `400` with no body or content type before Django sees the
request. Turning the parse off (`parsePOSTFormSubmission=False`) hands every body to Django,
whose multipart parser answers with a proper 400 page; it also stops parsing uploads twice.
"""

from __future__ import annotations

from typing import Any

from daphne import http_protocol


class WebRequest(http_protocol.WebRequest):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["parsePOSTFormSubmission"] = False
        super().__init__(*args, **kwargs)


def use_unparsed_form_bodies() -> None:
    """Make daphne's HTTP factory build our request class (it looks the class up at each connection)."""
    http_protocol.WebRequest = WebRequest  # type: ignore[misc]
