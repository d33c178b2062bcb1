"""Fixtures of the routing tests: those of the Music Assistant tests."""

from tests.music_assistant.conftest import fast_backoff

__all__ = ["fast_backoff"]
