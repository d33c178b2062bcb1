"""Edge cases of talking to a Music Assistant server (sign-in, tokens, logs)."""

import asyncio
import logging
from typing import Any

from aiohttp import ClientSession, ClientWebSocketResponse, web
from homeassistant.const import CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from music_assistant_client import MusicAssistantClient
from music_assistant_models.errors import InsufficientPermissions, MusicAssistantError
import pytest

from custom_components.scrobbler import music_assistant_api, music_assistant_server
from custom_components.scrobbler.music_assistant_api import (
    MusicAssistantSetupError,
    RedactSecretsFilter,
    SetupError,
    TidyMusicAssistantClient,
    async_get_server_info,
    async_login,
    install_log_redaction,
)
from tests.fakes.music_assistant_plugin import MaServerFactory
from tests.fakes.music_assistant_server import (
    MA_PASSWORD,
    MA_TOKEN,
    MA_USERNAME,
    FakeMusicAssistantServer,
)

from .conftest import HttpServerFactory, ma_entry
from .test_config_flow import choose, submit_server

pytestmark = pytest.mark.usefixtures("mock_setup_entry")

LOGIN = {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: MA_PASSWORD}


async def sign_in(
    hass: HomeAssistant, server: FakeMusicAssistantServer, step: str, user_input: dict[str, Any]
) -> dict[str, Any]:
    flow_id, _ = await submit_server(hass, server.url)
    await choose(hass, flow_id, step)
    return dict(await hass.config_entries.flow.async_configure(flow_id, user_input))


async def test_server_gone_before_the_sign_in(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    flow_id, _ = await submit_server(hass, ma_server.url)
    await choose(hass, flow_id, "music_assistant_login")
    await ma_server.stop()
    result = await hass.config_entries.flow.async_configure(flow_id, LOGIN)
    assert result["errors"] == {"base": "music_assistant_cannot_connect"}


async def test_server_too_new_for_the_client(
    hass: HomeAssistant, ma_server_factory: MaServerFactory
) -> None:
    server = await ma_server_factory(min_supported_schema_version=999)
    server.create_token(MA_USERNAME, "Scrobbler tests", token=MA_TOKEN)
    result = await sign_in(hass, server, "music_assistant_token", {CONF_TOKEN: MA_TOKEN})
    assert result["errors"] == {"base": "incompatible_server"}


async def test_token_creation_refused(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    # a guest may not create tokens
    ma_server.failing_commands["auth/token/create"] = InsufficientPermissions("Guests cannot")
    result = await sign_in(hass, ma_server, "music_assistant_login", LOGIN)
    assert result["errors"] == {"base": "login_failed"}
    # the session was signed out all the same
    assert ma_server.logouts == ["Scrobbler (test home)"]


async def test_token_creation_answer_is_not_a_token(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    ma_server.recorded_results["auth/token/create"] = 42
    result = await sign_in(hass, ma_server, "music_assistant_login", LOGIN)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "not_music_assistant"}


async def test_removal_when_the_server_refuses_to_revoke(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, caplog: pytest.LogCaptureFixture
) -> None:
    ma_server.failing_commands["auth/logout"] = MusicAssistantError("Internal error")
    async with ClientSession() as client_session:
        with pytest.raises(MusicAssistantSetupError) as raised:
            await music_assistant_api.async_revoke_token(client_session, ma_server.url, MA_TOKEN)
    assert raised.value.error is SetupError.LOGIN_FAILED
    assert MA_TOKEN in ma_server.tokens


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (404, "<html>Not found</html>", SetupError.NOT_MUSIC_ASSISTANT),
        (200, "<html>Welcome</html>", SetupError.LOGIN_FAILED),
        (401, '{"success": false, "error": "Too many failed attempts"}', SetupError.LOGIN_FAILED),
        (
            401,
            '{"success": false, "error": "Invalid username or password"}',
            SetupError.INVALID_AUTH,
        ),
        (403, '{"success": false, "error": "Setup required"}', SetupError.LOGIN_FAILED),
    ],
)
async def test_login_answers(
    http_server: HttpServerFactory,
    status: int,
    body: str,
    error: SetupError,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    async def login(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body, content_type="application/json")

    url = await http_server([web.post("/auth/login", login)])
    async with ClientSession() as session:
        with pytest.raises(MusicAssistantSetupError) as raised:
            await async_login(session, url, MA_USERNAME, MA_PASSWORD, "Scrobbler (test home)")
    assert raised.value.error is error
    assert MA_PASSWORD not in caplog.text
    if status == 401 and "Too many" in body:
        # the server's reason is kept for the log
        assert "Too many failed attempts" in caplog.text


async def test_server_info_that_never_comes(
    http_server: HttpServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(music_assistant_api, "REQUEST_TIMEOUT", 0.05)
    never = asyncio.Event()

    async def info(request: web.Request) -> web.Response:
        await never.wait()
        return web.Response()

    url = await http_server([web.get("/info", info)])
    async with ClientSession() as session:
        with pytest.raises(MusicAssistantSetupError) as raised:
            await async_get_server_info(session, url)
    assert raised.value.error is SetupError.CANNOT_CONNECT
    never.set()  # let the server's handler end
    await asyncio.sleep(0)


def _frame(message: str, argument: str) -> logging.LogRecord:
    return logging.LogRecord(
        "music_assistant_client.connection", logging.DEBUG, __file__, 1, message, (argument,), None
    )


def test_redaction_filter() -> None:
    install_log_redaction()
    install_log_redaction()
    logger = logging.getLogger("music_assistant_client.connection")
    assert sum(isinstance(f, RedactSecretsFilter) for f in logger.filters) == 1
    sent = "{'args': {'token': 'secret-1'}, 'command': 'auth'}"
    received = """WSMessage(data='{"message_id":"a","result":"secret-2","partial":false}')"""
    with music_assistant_api._as_our_client():
        record = _frame("Publishing message:\n%s\n", sent)
        assert RedactSecretsFilter().filter(record)
        assert "secret-1" not in record.getMessage()
        answer = _frame("Received message:\n%s\n", received)
        assert RedactSecretsFilter().filter(answer)
        assert "secret-2" not in answer.getMessage()
        broken = logging.LogRecord("x", logging.DEBUG, __file__, 1, "%d", ("not a number",), None)
        assert RedactSecretsFilter().filter(broken)
    # what the library logs for anyone else is left as it is
    other = _frame("Publishing message:\n%s\n", sent)
    assert RedactSecretsFilter().filter(other)
    assert "secret-1" in other.getMessage()


async def test_other_clients_of_the_library_log_as_before(
    ma_server: FakeMusicAssistantServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Home Assistant's own Music Assistant integration shares the library and its loggers."""
    caplog.set_level(logging.DEBUG, logger="music_assistant_client")
    async with ClientSession() as session:
        # a client of this integration first, so that its redaction is in place
        await music_assistant_api.async_check_token(session, ma_server.url, MA_TOKEN)
        assert "Publishing message" in caplog.text
        assert MA_TOKEN not in caplog.text
        caplog.clear()
        async with MusicAssistantClient(ma_server.url, session, MA_TOKEN):
            pass
    assert "Publishing message" in caplog.text
    assert MA_TOKEN in caplog.text


async def test_only_the_frames_of_our_connections_are_marked(
    ma_server: FakeMusicAssistantServer,
) -> None:
    """What an event leads to (state writes, automations, other integrations) is not marked."""
    marks: list[bool] = []
    async with ClientSession() as session:
        client = TidyMusicAssistantClient(ma_server.url, session, MA_TOKEN)
        client.subscribe(lambda _event: marks.append(music_assistant_api._OUR_CLIENT.get()))
        ready = asyncio.Event()
        listening = asyncio.create_task(client.start_listening(ready))
        await asyncio.wait_for(ready.wait(), 5)
        await ma_server.add_player("second", "Second")
        await client.send_command("info")  # answered after the events
        await asyncio.sleep(0)
        await music_assistant_api.close_client(client)
        await listening
    assert marks
    assert not any(marks)


async def test_revocation_answered_by_a_closed_socket(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The real server closes the socket as it revokes the token, before it answers."""
    entry = ma_entry(ma_server)
    entry.add_to_hass(hass)
    await music_assistant_server.async_remove_entry(hass, entry)
    assert ma_server.logouts == ["Scrobbler tests"]
    assert MA_TOKEN not in ma_server.tokens
    assert "Could not revoke" not in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


async def test_sign_in_signs_the_session_out_although_the_socket_closes(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    result = await sign_in(hass, ma_server, "music_assistant_login", LOGIN)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert ma_server.logouts == ["Scrobbler (test home)"]
    assert [token.name for token in ma_server.tokens.values()] == [
        "Scrobbler tests",
        "Scrobbler (test home)",
    ]


@pytest.mark.parametrize(
    ("name", "attribute"),
    [
        ("_WEBSOCKET", "_renamed_ws_client"),
        ("_CANCEL_HEARTBEAT", "_renamed_cancel_heartbeat"),
        ("_CANCEL_HEARTBEAT", "_failing_cancel_heartbeat"),
    ],
)
async def test_a_changed_library_does_not_break_a_disconnect(
    ma_server: FakeMusicAssistantServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    name: str,
    attribute: str,
) -> None:
    """The private names used to cancel a closed websocket's heartbeat may change."""

    def fail(self: ClientWebSocketResponse) -> None:
        raise RuntimeError

    monkeypatch.setattr(ClientWebSocketResponse, "_failing_cancel_heartbeat", fail, raising=False)
    monkeypatch.setattr(music_assistant_api, name, attribute)
    caplog.set_level(logging.DEBUG, logger="custom_components.scrobbler")
    async with ClientSession() as session:
        info = await music_assistant_api.async_check_token(session, ma_server.url, MA_TOKEN)
    assert info.server_id == ma_server.server_id
    assert ma_server.connected_clients == 0
    if attribute.startswith("_failing"):
        assert "Could not cancel the heartbeat" in caplog.text
