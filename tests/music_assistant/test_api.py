"""Edge cases of talking to a Music Assistant server (sign-in, tokens, logs)."""

import asyncio
import logging
from typing import Any

from aiohttp import ClientSession, web
from homeassistant.const import CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from music_assistant_models.errors import InsufficientPermissions, MusicAssistantError
import pytest

from custom_components.scrobbler import music_assistant_api
from custom_components.scrobbler.music_assistant_api import (
    MusicAssistantSetupError,
    RedactSecretsFilter,
    SetupError,
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

from .conftest import HttpServerFactory
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
    assert result["errors"] == {"base": "cannot_connect"}


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


def test_redaction_filter() -> None:
    install_log_redaction()
    install_log_redaction()
    logger = logging.getLogger("music_assistant_client.connection")
    assert sum(isinstance(f, RedactSecretsFilter) for f in logger.filters) == 1
    record = logging.LogRecord(
        "music_assistant_client.connection",
        logging.DEBUG,
        __file__,
        1,
        "Publishing message:\n%s\n",
        ("{'args': {'token': 'secret-1'}, 'command': 'auth'}",),
        None,
    )
    assert RedactSecretsFilter().filter(record)
    assert "secret-1" not in record.getMessage()
    received = logging.LogRecord(
        "music_assistant_client.connection",
        logging.DEBUG,
        __file__,
        1,
        "Received message:\n%s\n",
        ("""WSMessage(data='{"message_id":"a","result":"secret-2","partial":false}')""",),
        None,
    )
    assert RedactSecretsFilter().filter(received)
    assert "secret-2" not in received.getMessage()
    broken = logging.LogRecord("x", logging.DEBUG, __file__, 1, "%d", ("not a number",), None)
    assert RedactSecretsFilter().filter(broken)
