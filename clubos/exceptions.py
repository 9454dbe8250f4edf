"""Every error signal of the ClubOS protocol, as a typed exception with a clear message.

Messages never contain passwords or tokens.
"""


class ClubOSError(Exception):
    """Base class; `str(exc)` is a one-line message fit for a command's output."""


class ClubOSAuthError(ClubOSError):
    """Wrong credentials: the login page came back with the 'incorrect' error shown."""


class ClubOSSessionExpired(ClubOSError):
    """The session ended (login page or `Session Expired` body) and re-login did not help."""


class ClubOSBadRequest(ClubOSError):
    """ "Something isn't right": stale or missing Stripes tokens, bad parameters."""


class ClubOSServerError(ClubOSError):
    """The OOPS page (302 → /action/Invalid/500) or an unexpected 5xx."""


class ClubOSPageNotFound(ClubOSError):
    """ClubOS answered with its 'PAGE NOT FOUND' page."""


class ClubOSUnavailable(ClubOSError):
    """The host could not be reached or did not answer in time (connect 5 s, read 30 s)."""


class ClubOSValidationError(ClubOSError):
    """A save answered `ERROR - <message>`."""


class ClubOSProtocolError(ClubOSError):
    """A page did not have the shape the protocol describes (missing form, tokens, …)."""
