"""Diagnostics of a Music Assistant entry, and secrets kept out of logs."""

import logging
from typing import Any

from homeassistant.components.diagnostics import REDACTED
from homeassistant.const import CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from music_assistant_models.enums import EventType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.scrobbler.music_assistant_server import redact_host
from tests.fakes.music_assistant_media import PINK_BREEZE, RECORDED_PLAYER_ID
from tests.fakes.music_assistant_plugin import MaServerFactory
from tests.fakes.music_assistant_recordings import Recording, RecordingReplay
from tests.fakes.music_assistant_server import (
    MA_PASSWORD,
    MA_TOKEN,
    MA_USERNAME,
    FakeMusicAssistantServer,
)

from .conftest import ma_entry, settle, setup_ma_entry
from .test_config_flow import choose, submit_server


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    ma_server_factory: MaServerFactory,
    snapshot: SnapshotAssertion,
) -> None:
    # the real server's recorded state, 30 s into the first track
    server = await ma_server_factory()
    server.create_token(MA_USERNAME, "Scrobbler tests", token=MA_TOKEN)
    replay = RecordingReplay(server, Recording("play_two_tracks"))
    entry = await setup_ma_entry(hass, ma_entry(server))
    await replay.replay_until(30)
    await settle(hass, entry)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert MA_TOKEN not in repr(diagnostics)
    assert server.url not in repr(diagnostics)
    # newer music-assistant-models add this field with its default (a schema-87 field that
    # this server never sent); the snapshot is that of the version Home Assistant pins
    diagnostics["server"].pop("unsupported_install", None)
    assert diagnostics == snapshot


async def test_password_and_tokens_never_logged(
    hass: HomeAssistant,
    ma_server: FakeMusicAssistantServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    issued: list[str] = []
    create_token = ma_server.create_token

    def record_token(*args: Any, **kwargs: Any) -> str:
        token = create_token(*args, **kwargs)
        issued.append(token)
        return token

    ma_server.create_token = record_token  # type: ignore[method-assign]

    # sign in (a wrong password first), set up, run, remove
    flow_id, _ = await submit_server(hass, ma_server.url)
    await choose(hass, flow_id, "music_assistant_login")
    await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: "wrong-" + MA_PASSWORD}
    )
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: MA_PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await hass.async_block_till_done()
    await setup_ma_entry(hass, entry)  # set up already: waits for the initial state
    await ma_server.play(RECORDED_PLAYER_ID, [PINK_BREEZE])
    await settle(hass, entry)
    await hass.config_entries.async_remove(entry.entry_id)

    # a pasted token (a wrong one first), the entry set up with it and removed
    flow_id, _ = await submit_server(hass, ma_server.url)
    await choose(hass, flow_id, "music_assistant_token")
    await hass.config_entries.flow.async_configure(flow_id, {CONF_TOKEN: MA_TOKEN[::-1]})
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TOKEN: MA_TOKEN})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await setup_ma_entry(hass, result["result"])
    await hass.config_entries.async_remove(result["result"].entry_id)

    # a session token and a long-lived one were issued, and the frames were logged
    assert len(issued) == 2
    assert entry.data[CONF_TOKEN] == issued[1]
    assert "auth/token/create" in caplog.text
    assert "Publishing message" in caplog.text
    assert MA_TOKEN not in ma_server.tokens  # revoked on removal
    for secret in (MA_PASSWORD, MA_TOKEN, MA_TOKEN[::-1], *issued):
        assert secret not in caplog.text


async def test_diagnostics_redact_the_server_address(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    ma_server: FakeMusicAssistantServer,
    ma_loaded: MockConfigEntry,
) -> None:
    # artwork the server proxies comes with its address
    player = ma_server.players[RECORDED_PLAYER_ID]
    await ma_server.play(RECORDED_PLAYER_ID, [PINK_BREEZE])
    await ma_server.media_ready(RECORDED_PLAYER_ID)
    assert player.media is not None
    player.media.image_url = f"{ma_server.url}/imageproxy?path=cover.jpg&size=256"
    player.media.custom_data = {"stream": f"{ma_server.url.upper()}/flow/1.flac"}
    await ma_server.emit(EventType.PLAYER_UPDATED, RECORDED_PLAYER_ID, player.player_model())
    await settle(hass, ma_loaded)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, ma_loaded)

    media = diagnostics["players"][0]["current_media"]
    assert media["title"] == "Pink Breeze"
    assert media["image_url"] == REDACTED
    assert media["custom_data"] == {"stream": REDACTED}
    assert "127.0.0.1" not in repr(diagnostics)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://[FD00::1]:8095/imageproxy?path=cover.jpg", "fd00::1"),
        ("http://MASS.local:8095/imageproxy?path=cover.jpg", "mass.local"),
    ],
)
def test_the_server_address_is_redacted_also_as_ipv6(url: str, host: str) -> None:
    data = {"image_url": url, "other": ["http://192.0.2.1/a.jpg", 1]}
    assert redact_host(data, host) == {
        "image_url": REDACTED,
        "other": ["http://192.0.2.1/a.jpg", 1],
    }
