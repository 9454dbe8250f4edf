"""URL converters shared by every app."""

from django.urls import register_converter


class DatabaseIdConverter:
    """A primary key: 1 to 18 digits, so any match fits a 64-bit column (a longer number is a 404, not a 500)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(DatabaseIdConverter, "id")
