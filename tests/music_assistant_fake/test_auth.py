"""The fake server's HTTP endpoints and authentication, through the real client."""

import json
from pathlib import Path

import aiohttp
from music_assistant_client import MusicAssistantClient, get_server_info, login, login_with_token
from music_assistant_client.exceptions import CannotConnect, ConnectionClosed
from music_assistant_models.errors import (
    AuthenticationFailed,
    AuthenticationRequired,
    InvalidCommand,
    InvalidToken,
    LoginFailed,
)
import pytest

from tests.fakes.music_assistant_plugin import MaServerFactory
from tests.fakes.music_assistant_server import (
    MA_PASSWORD,
    MA_SERVER_ID,
    MA_TOKEN,
    MA_USERNAME,
    FakeMusicAssistantServer,
)

CAPTURES = json.loads(
    (Path(__file__).parent.parent / "fixtures/music_assistant/http_captures.json").read_text()
)


async def test_info_as_recorded(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    info = await get_server_info(ma_server.url, http_session)
    assert (info.server_id, info.schema_version) == (MA_SERVER_ID, 29)
    assert info.base_url == ma_server.url
    async with http_session.get(f"{ma_server.url}/info") as response:
        body = await response.json()
        recorded = CAPTURES["GET /info"]
        assert response.status == recorded["status"]
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    # the same fields, in the same order, as the real schema-29 server
    assert list(body) == list(recorded["body"])
    assert body["status"] == "running"
    assert body["onboard_done"] is True


async def test_wrong_password_and_unknown_user(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    with pytest.raises(LoginFailed):
        await login(ma_server.url, MA_USERNAME, "wrong", http_session)
    with pytest.raises(LoginFailed):
        await login(ma_server.url, "nobody", MA_PASSWORD, http_session)
    recorded = CAPTURES["POST /auth/login (wrong password)"]
    async with http_session.post(
        f"{ma_server.url}/auth/login",
        json={"credentials": {"username": MA_USERNAME, "password": "wrong"}},
    ) as response:
        assert response.status == recorded["status"]
        assert await response.json() == recorded["body"]
    assert [attempt.success for attempt in ma_server.logins] == [False, False, False]
    assert set(ma_server.tokens) == {MA_TOKEN}


async def test_flat_credentials_alone_are_refused(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    recorded = CAPTURES[
        "POST /auth/login (flat username/password, as music-assistant-client also sends)"
    ]
    async with http_session.post(
        f"{ma_server.url}/auth/login", json={"username": MA_USERNAME, "password": MA_PASSWORD}
    ) as response:
        assert response.status == recorded["status"]
        assert await response.json() == recorded["body"]


async def test_login_is_case_insensitive_and_returns_a_session_token(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    user, token = await login(ma_server.url, "Admin", MA_PASSWORD, http_session)
    assert user.username == MA_USERNAME
    assert ma_server.tokens[token].is_long_lived is False
    attempt = ma_server.logins[-1]
    assert attempt.success
    # the client sends both the flat and the nested shape
    assert attempt.body_keys == {"username", "password", "credentials"}


async def test_login_with_return_url_redirects_with_the_token(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    async with http_session.post(
        f"{ma_server.url}/auth/login",
        json={
            "credentials": {"username": MA_USERNAME, "password": MA_PASSWORD},
            "device_name": "tests",
            "return_url": "http://ha.local/cb?flow_id=abc",
        },
    ) as response:
        body = await response.json()
    assert body["redirect_to"] == f"http://ha.local/cb?flow_id=abc&code={body['token']}"
    assert ma_server.tokens[body["token"]].name == "tests"


async def test_login_with_token_creates_a_long_lived_token(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    user, token = await login_with_token(
        ma_server.url, MA_USERNAME, MA_PASSWORD, "Scrobbler", http_session
    )
    assert user.username == MA_USERNAME
    assert ma_server.tokens[token].is_long_lived
    assert ma_server.tokens[token].name == "Scrobbler"
    assert ma_server.tokens_created == ["Scrobbler"]
    assert [command["command"] for command in ma_server.commands] == ["auth", "auth/token/create"]


async def test_login_create_token_then_logout(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    _, session_token = await login(ma_server.url, MA_USERNAME, MA_PASSWORD, http_session)
    async with MusicAssistantClient(ma_server.url, http_session, session_token) as client:
        long_lived = await client.auth.create_token("Scrobbler")
        # as the real server, it closes the socket as it revokes the token, before answering
        with pytest.raises(ConnectionClosed):
            await client.auth.logout()
        assert not client.connection.connected
    assert session_token not in ma_server.tokens
    assert ma_server.tokens[long_lived].is_long_lived
    assert len(ma_server.logouts) == 1
    # the logged-out token is refused from now on
    with pytest.raises(AuthenticationFailed):
        await MusicAssistantClient(ma_server.url, http_session, session_token).connect()
    async with MusicAssistantClient(ma_server.url, http_session, long_lived) as client:
        assert (await client.auth.get_current_user()).username == MA_USERNAME


async def test_revoking_the_own_token_closes_before_the_answer(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    async with MusicAssistantClient(ma_server.url, http_session, MA_TOKEN) as client:
        (own,) = await client.auth.get_tokens()
        with pytest.raises(ConnectionClosed):
            await client.auth.revoke_token(own.token_id)
    assert ma_server.tokens_revoked == ["Scrobbler tests"]
    assert ma_server.connected_clients == 0


async def test_http_logout(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    _, token = await login(ma_server.url, MA_USERNAME, MA_PASSWORD, http_session)
    headers = {"Authorization": f"Bearer {token}"}
    async with http_session.post(f"{ma_server.url}/auth/logout", headers=headers) as response:
        assert response.status == 200
        assert await response.json() == CAPTURES["POST /auth/logout"]["body"]
    async with http_session.post(f"{ma_server.url}/auth/logout", headers=headers) as response:
        assert response.status == 401
        assert await response.text() == "Not authenticated"
    assert token not in ma_server.tokens


async def test_no_token(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    with pytest.raises(AuthenticationRequired):
        await MusicAssistantClient(ma_server.url, http_session).connect()


async def test_bad_token(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    with pytest.raises(AuthenticationFailed) as err:
        await MusicAssistantClient(ma_server.url, http_session, "not-a-token").connect()
    assert isinstance(err.value.__cause__, InvalidToken)


async def test_rejected_tokens(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    ma_server.reject_tokens = True
    with pytest.raises(AuthenticationFailed):
        await MusicAssistantClient(ma_server.url, http_session, MA_TOKEN).connect()
    ma_server.reject_tokens = False
    async with MusicAssistantClient(ma_server.url, http_session, MA_TOKEN) as client:
        assert client.server_info is not None


async def test_revoked_token(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    async with MusicAssistantClient(ma_server.url, http_session, MA_TOKEN) as client:
        tokens = await client.auth.get_tokens()
        assert [token.name for token in tokens] == ["Scrobbler tests"]
        other = ma_server.create_token(name="other")
        async with MusicAssistantClient(ma_server.url, http_session, other) as second:
            await second.auth.revoke_token(tokens[0].token_id)
        assert ma_server.tokens_revoked == ["Scrobbler tests"]
    with pytest.raises(AuthenticationFailed) as err:
        await MusicAssistantClient(ma_server.url, http_session, MA_TOKEN).connect()
    assert isinstance(err.value.__cause__, InvalidToken)


async def test_unknown_command(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    async with MusicAssistantClient(ma_server.url, http_session, MA_TOKEN) as client:
        with pytest.raises(InvalidCommand, match="Invalid command: no/such"):
            await client.send_command("no/such")
        assert (await client.send_command("info"))["server_id"] == MA_SERVER_ID


async def test_websocket_errors_as_recorded(
    ma_server: FakeMusicAssistantServer, http_session: aiohttp.ClientSession
) -> None:
    """Command before auth, auth without token, bad token: the recorded frames exactly."""
    exchanges = CAPTURES["websocket exchanges (events skipped)"]
    for exchange in exchanges[:3]:
        async with http_session.ws_connect(f"{ma_server.url}/ws") as ws:
            frames = exchange["frames"]
            info = await ws.receive_json()
            assert list(info) == list(frames[0]["msg"])
            await ws.send_json(frames[1]["msg"])
            answer = await ws.receive_json()
            assert answer == frames[2]["msg"], exchange["title"]


async def test_setup_required(
    ma_server_factory: MaServerFactory, http_session: aiohttp.ClientSession
) -> None:
    server = await ma_server_factory(users={})
    async with http_session.post(
        f"{server.url}/auth/login", json={"credentials": {"username": "a", "password": "b"}}
    ) as response:
        assert response.status == 403
    with pytest.raises(CannotConnect):
        await login(server.url, "a", "b", http_session)
    with pytest.raises(AuthenticationFailed):
        await MusicAssistantClient(server.url, http_session, "token").connect()
