import pytest

from clubos.services import session


@pytest.fixture(autouse=True)
def _fast_retries_and_a_fresh_session(settings):
    """Retries back off for hundredths of a second, and no test inherits another's ClubOS session."""
    settings.CLUBOS_SYNC_RETRY_BACKOFF = 0.01
    settings.CLUBOS_SEND_RETRY_BACKOFF = 0.01
    yield
    session.clubos_session_reset()
