"""Clients of the fake's application, for the fixtures and for tests that run their own loop."""

import aiohttp

from custom_components.scrobbler.lastfm import LastfmClient
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, FakeLastfm


def fake_client(
    http: aiohttp.ClientSession, server: FakeLastfm, *, with_session_key: bool = False
) -> LastfmClient:
    """A client of the fake's application, not rate limited; with the session key of "alice"."""
    return LastfmClient(
        http,
        API_KEY,
        API_SECRET,
        session_key=server.issue_session(USERNAME) if with_session_key else None,
        api_root=server.api_root,
        max_requests_per_second=1000,
    )
