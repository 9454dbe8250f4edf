"""Classifier backends behind one interface; `get_backend()` picks the configured one."""

from __future__ import annotations

from django.utils.module_loading import import_string

from ai_agent import app_settings

from .base import BackendError, Classification, ClassifierBackend, ClassifyContext

__all__ = ["BackendError", "Classification", "ClassifierBackend", "ClassifyContext", "get_backend"]


def get_backend() -> ClassifierBackend:
    choice = app_settings.backend()
    if choice == "auto":
        choice = "openai" if app_settings.openai_api_key() else "embedded"
    if choice == "embedded":
        from .embedded import EmbeddedBackend

        return EmbeddedBackend()
    if choice == "openai":
        from .openai_backend import OpenAIBackend

        return OpenAIBackend.from_settings()
    backend: ClassifierBackend = import_string(choice)()
    return backend
