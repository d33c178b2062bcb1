"""Fixtures of the Last.fm library tests, which need no Home Assistant instance."""

from collections.abc import AsyncGenerator

import aiohttp
import pytest

from custom_components.scrobbler.lastfm import LastfmClient
from tests.fakes.lastfm_server import FakeLastfm
from tests.lastfm.clients import fake_client


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the integration-wide fixture: the library runs without Home Assistant."""


@pytest.fixture
async def http() -> AsyncGenerator[aiohttp.ClientSession]:
    """An aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(http: aiohttp.ClientSession, lastfm_server: FakeLastfm) -> LastfmClient:
    """A client of the fake's application, without a session key, not rate limited."""
    return fake_client(http, lastfm_server)


@pytest.fixture
def user_client(http: aiohttp.ClientSession, lastfm_server: FakeLastfm) -> LastfmClient:
    """A client with the session key of "alice"."""
    return fake_client(http, lastfm_server, with_session_key=True)
