"""No secret, token or session key in a log line or an error message."""

from collections.abc import Awaitable
import logging

import aiohttp
import pytest

from custom_components.scrobbler.lastfm import LastfmClient, LastfmError, Scrobble, Track
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, Failure, FakeLastfm


async def test_no_secret_in_logs_or_errors(
    http: aiohttp.ClientSession, lastfm_server: FakeLastfm, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = LastfmClient(http, API_KEY, API_SECRET, api_root=lastfm_server.api_root, timeout=0.05)
    errors: list[LastfmError] = []

    async def expect_error(call: Awaitable[object]) -> None:
        try:
            await call
        except LastfmError as err:
            errors.append(err)
        else:
            pytest.fail("an error was expected")

    token = await client.get_token()
    await expect_error(client.get_session(token))
    lastfm_server.approve(token, USERNAME)
    session = await client.get_session(token)
    client.session_key = session.key
    await client.get_user_info()
    await client.update_now_playing(Track("A", "T"))
    await client.scrobble([Scrobble(Track("A", "T"), int(lastfm_server.clock))])
    await client.love("A", "T")
    await client.get_recent_tracks(USERNAME)

    # The server echoes secrets in its messages: they are blanked out.
    for echoed in (session.key, API_SECRET, token):
        lastfm_server.answer_next({"error": 9, "message": f"Invalid session key {echoed}!"})
        await expect_error(client.get_user_info())
        assert str(errors[-1]).endswith("Invalid session key ***!")
    lastfm_server.answer_next({"error": 4, "message": f"bad token {token}"})
    await expect_error(client.get_session(token))
    for failure in Failure:
        if failure is not Failure.BODY:
            lastfm_server.fail_next(failure)
            await expect_error(client.get_user_info())
    await expect_error(client.get_session(token))  # used already
    lastfm_server.revoke_session(session.key)
    await expect_error(client.scrobble([Scrobble(Track("A", "T"), 1)]))
    async with FakeLastfm() as gone:
        api_root = gone.api_root
    unreachable = LastfmClient(
        http, API_KEY, API_SECRET, session_key=session.key, api_root=api_root
    )
    await expect_error(unreachable.get_user_info())

    assert len(errors) == 8 + len(set(Failure) - {Failure.BODY})
    texts = [caplog.text, *(str(err) for err in errors), *(repr(err) for err in errors)]
    texts.append(repr(session))
    for text in texts:
        for secret in (API_SECRET, session.key, token):
            assert secret not in text
    assert "user.getInfo" in caplog.text
    # No URL held a secret either.
    for request in lastfm_server.requests:
        assert not {"sk", "token", "api_sig"} & request.query.keys()
