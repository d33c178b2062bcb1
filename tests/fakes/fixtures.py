"""Pytest fixtures of the fakes (loaded by ``tests/conftest.py``)."""

from collections.abc import AsyncGenerator

import pytest

from .lastfm_server import API_KEY, API_SECRET, USERNAME, FakeLastfm


@pytest.fixture
async def lastfm_server(socket_enabled: None) -> AsyncGenerator[FakeLastfm]:
    """A started fake Last.fm with one application (API_KEY, API_SECRET) and user "alice".

    Sockets are enabled for the test; pytest-socket still only lets them reach 127.0.0.1.
    """
    async with FakeLastfm() as server:
        server.register_app(API_KEY, API_SECRET)
        server.add_user(USERNAME, playcount=1234)
        yield server
