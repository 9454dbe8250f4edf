"""Text that people or other systems send us: no control characters except newline and tab.

NUL is refused by PostgreSQL (a 500 if it reaches the database) and silently stored by SQLite;
the other C0/C1 controls and lone surrogates are never meant as text either. A carriage return
is accepted as part of a line break (browsers send textarea newlines as CR LF).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# C0 controls but \t \n \r, DEL and the C1 controls, and UTF-16 surrogates (only reachable as
# JSON "\ud800" escapes; they cannot be encoded for either database).
_DISALLOWED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

CONTROL_CHARACTERS_MESSAGE = "Remove the control characters (such as NUL) from this text."


def has_control_characters(value: str) -> bool:
    return _DISALLOWED.search(value) is not None


def strip_control_characters(value: str) -> str:
    """For text we ingest rather than receive from a person (ClubOS): drop what we would refuse."""
    return _DISALLOWED.sub("", value)


@deconstructible
class NoControlCharactersValidator:
    """Refuses text with control characters (see the module's doc); used by models, forms and the API."""

    message = CONTROL_CHARACTERS_MESSAGE
    code = "control_characters"

    def __call__(self, value: object) -> None:
        if isinstance(value, str) and has_control_characters(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoControlCharactersValidator)

    def __hash__(self) -> int:
        return hash(self.code)


validate_no_control_characters = NoControlCharactersValidator()
