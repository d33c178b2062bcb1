"""Every Last.fm error code, HTTP status and broken answer maps to its typed error."""

import aiohttp
import pytest

from custom_components.scrobbler.lastfm import (
    LastfmAuthError,
    LastfmClient,
    LastfmError,
    LastfmInvalidApiKeyError,
    LastfmInvalidRequestError,
    LastfmInvalidSignatureError,
    LastfmMalformedResponseError,
    LastfmRateLimitError,
    LastfmTemporaryError,
    LastfmTokenExpiredError,
    LastfmTokenNotAuthorizedError,
    Scrobble,
    Track,
)
from custom_components.scrobbler.lastfm.errors import error_for_code
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, Failure, FakeLastfm


def test_hierarchy() -> None:
    assert issubclass(LastfmInvalidApiKeyError, LastfmAuthError)
    assert issubclass(LastfmInvalidSignatureError, LastfmAuthError)
    assert issubclass(LastfmRateLimitError, LastfmTemporaryError)
    assert issubclass(LastfmMalformedResponseError, LastfmTemporaryError)
    for error in (
        LastfmAuthError,
        LastfmTokenNotAuthorizedError,
        LastfmTokenExpiredError,
        LastfmTemporaryError,
        LastfmInvalidRequestError,
    ):
        assert issubclass(error, LastfmError)
    assert not issubclass(LastfmTokenExpiredError, LastfmAuthError)
    assert not issubclass(LastfmInvalidRequestError, LastfmTemporaryError)


@pytest.mark.parametrize(
    ("code", "method", "with_session_key", "expected"),
    [
        (4, "user.getInfo", True, LastfmAuthError),
        (4, "track.scrobble", True, LastfmAuthError),
        (4, "auth.getSession", False, LastfmTokenExpiredError),
        (4, "auth.getToken", False, LastfmInvalidRequestError),
        (9, "track.scrobble", True, LastfmAuthError),
        (10, "auth.getToken", False, LastfmInvalidApiKeyError),
        (11, "track.scrobble", True, LastfmTemporaryError),
        (13, "auth.getToken", False, LastfmInvalidSignatureError),
        (14, "auth.getSession", False, LastfmTokenNotAuthorizedError),
        (15, "auth.getSession", False, LastfmTokenExpiredError),
        (16, "track.scrobble", True, LastfmTemporaryError),
        (26, "user.getInfo", True, LastfmAuthError),
        (29, "track.scrobble", True, LastfmRateLimitError),
        (2, "user.getInfo", False, LastfmInvalidRequestError),
        (3, "user.getInfo", False, LastfmInvalidRequestError),
        (6, "track.scrobble", True, LastfmInvalidRequestError),
        (8, "auth.getToken", False, LastfmTemporaryError),
        (8, "auth.getSession", False, LastfmInvalidRequestError),
        (8, "track.scrobble", True, LastfmInvalidRequestError),
        (17, "user.getRecentTracks", False, LastfmInvalidRequestError),
        (27, "user.getInfo", False, LastfmInvalidRequestError),
    ],
)
def test_error_for_code(
    code: int, method: str, with_session_key: bool, expected: type[LastfmError]
) -> None:
    error = error_for_code(code, "text", method=method, with_session_key=with_session_key)
    assert type(error) is expected
    assert error.code == code
    assert str(error) == "text"


# --- the same, end to end: the fake answers the code, the client raises the type ---------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (4, LastfmAuthError),
        (9, LastfmAuthError),
        (11, LastfmTemporaryError),
        (16, LastfmTemporaryError),
        (26, LastfmAuthError),
        (29, LastfmRateLimitError),
        (6, LastfmInvalidRequestError),
        (8, LastfmInvalidRequestError),
    ],
)
@pytest.mark.parametrize("status", [200, 400, 403, 500, 503])
async def test_error_body_wins_over_http_status(
    user_client: LastfmClient,
    lastfm_server: FakeLastfm,
    code: int,
    expected: type[LastfmError],
    status: int,
) -> None:
    lastfm_server.fail_next(code, status=status)
    with pytest.raises(expected) as caught:
        await user_client.scrobble([Scrobble(Track("A", "T"), int(lastfm_server.clock))])
    assert type(caught.value) is expected
    assert caught.value.code == code
    assert str(caught.value).startswith(f"track.scrobble: Last.fm error {code}: ")
    # Nothing was scrobbled, and the next call goes through.
    assert lastfm_server.scrobbles_of(USERNAME) == []
    await user_client.love("A", "T")


async def test_error_code_as_string(user_client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    lastfm_server.answer_next({"error": "29", "message": "slow down"})
    with pytest.raises(LastfmRateLimitError) as caught:
        await user_client.get_user_info()
    assert caught.value.code == 29
    assert str(caught.value) == "user.getInfo: Last.fm error 29: slow down"


async def test_error_without_message(user_client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    lastfm_server.answer_next({"error": 16})
    with pytest.raises(LastfmTemporaryError, match=r"error 16: \(no message\)$"):
        await user_client.get_user_info()


@pytest.mark.parametrize(
    ("failure", "expected", "detail"),
    [
        (Failure.HTTP_500, LastfmTemporaryError, "HTTP 500"),
        (Failure.HTTP_503, LastfmTemporaryError, "HTTP 503"),
        (Failure.HTTP_429, LastfmRateLimitError, "HTTP 429"),
        (Failure.HTML, LastfmMalformedResponseError, "not a Last.fm JSON object"),
        (Failure.TRUNCATED_JSON, LastfmMalformedResponseError, "not a Last.fm JSON object"),
    ],
)
async def test_http_failures_and_bodies_that_are_not_json(
    client: LastfmClient,
    lastfm_server: FakeLastfm,
    failure: Failure,
    expected: type[LastfmError],
    detail: str,
) -> None:
    lastfm_server.fail_next(failure, method="auth.getToken")
    with pytest.raises(expected, match=detail) as caught:
        await client.get_token()
    assert type(caught.value) is expected
    assert caught.value.code is None
    assert len(await client.get_token()) == 32


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ("[1, 2]", 200, "not a Last.fm JSON object"),
        ('{"error": "oops"}', 200, "not a Last.fm JSON object"),
        ('{"error": true}', 200, "not a Last.fm JSON object"),
        ('{"error": "²"}', 200, "not a Last.fm JSON object"),
        pytest.param("[" * 100_000, 200, "not a Last.fm JSON object", id="deep nesting"),
        ('{"token": "x"}', 404, "refused the request"),
        ("\xff\xfe", 200, "not a Last.fm JSON object"),
        ("", 200, "not a Last.fm JSON object"),
        ('{"nothing": 1}', 200, "no 'token' text"),
        ('{"token": ""}', 200, "no 'token' text"),
        ('{"token": {"#text": ""}}', 200, "no 'token' text"),
        ('{"token": true}', 200, "no 'token' text"),
    ],
)
async def test_malformed_answers(
    client: LastfmClient, lastfm_server: FakeLastfm, body: str, status: int, detail: str
) -> None:
    lastfm_server.answer_next(body, status=status)
    with pytest.raises(LastfmMalformedResponseError, match=detail):
        await client.get_token()


async def test_timeout(http: aiohttp.ClientSession, lastfm_server: FakeLastfm) -> None:
    client = LastfmClient(http, API_KEY, API_SECRET, api_root=lastfm_server.api_root, timeout=0.05)
    lastfm_server.fail_next(Failure.HANG, method="auth.getToken")
    with pytest.raises(LastfmTemporaryError, match=r"auth.getToken: no answer within 0.05 s"):
        await client.get_token()
    assert len(await client.get_token()) == 32


async def test_unreachable(http: aiohttp.ClientSession, socket_enabled: None) -> None:
    async with FakeLastfm() as gone:
        api_root = gone.api_root
    client = LastfmClient(http, API_KEY, API_SECRET, api_root=api_root)
    with pytest.raises(LastfmTemporaryError, match=r"cannot reach the service \(Client") as caught:
        await client.get_token()
    assert caught.value.code is None
    assert caught.value.__cause__ is None


async def test_injected_failure_only_hits_its_method(
    user_client: LastfmClient, lastfm_server: FakeLastfm
) -> None:
    lastfm_server.fail_next(11, count=2, method="track.love")
    await user_client.get_user_info()
    for _ in range(2):
        with pytest.raises(LastfmTemporaryError):
            await user_client.love("A", "T")
    await user_client.love("A", "T")
    assert lastfm_server.user(USERNAME).loved == {("A", "T")}
