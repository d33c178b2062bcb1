"""The Music Assistant branch of the config flow, against the fake server over real sockets."""

import json
from typing import Any
from unittest.mock import AsyncMock

from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_TOKEN, CONF_URL, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler.const import CONF_KIND, DOMAIN
from custom_components.scrobbler.music_assistant_api import normalize_url
from tests.fakes.certificates import SelfSignedCertificate
from tests.fakes.music_assistant_plugin import MaServerFactory
from tests.fakes.music_assistant_server import (
    MA_PASSWORD,
    MA_SERVER_ID,
    MA_TOKEN,
    MA_USERNAME,
    FakeMusicAssistantServer,
)

from .conftest import ma_entry, zeroconf_info

pytestmark = pytest.mark.usefixtures("mock_setup_entry")

TOKEN_NAME = "Scrobbler (test home)"
SIGN_IN = {
    "music_assistant_login": {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: MA_PASSWORD},
    "music_assistant_token": {CONF_TOKEN: MA_TOKEN},
}


def add_entry_with_old_url(
    hass: HomeAssistant, server: FakeMusicAssistantServer
) -> MockConfigEntry:
    entry = ma_entry(server)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_URL: "http://old:8095"})
    return entry


async def start_server_step(hass: HomeAssistant) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "music_assistant"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "music_assistant"
    return result


async def submit_server(
    hass: HomeAssistant, url: str, *, verify_ssl: bool = True
) -> tuple[str, ConfigFlowResult]:
    result = await start_server_step(hass)
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: url, CONF_VERIFY_SSL: verify_ssl}
    )
    return flow_id, result


async def choose(hass: HomeAssistant, flow_id: str, way: str) -> None:
    """Check that the flow shows the sign-in form, where both ways are (`way` names the one used).

    Kept from the time when the two ways were behind a menu, so tests read the same.
    """
    assert way in SIGN_IN
    flow = hass.config_entries.flow.async_get(flow_id)
    assert flow["step_id"] in ("music_assistant_auth", "music_assistant_reauth_confirm")


async def test_login_creates_a_named_long_lived_token(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    flow_id, result = await submit_server(hass, ma_server.url)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "music_assistant_auth"
    assert set(result["data_schema"].schema) == {CONF_USERNAME, CONF_PASSWORD, CONF_TOKEN}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: MA_PASSWORD}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Music Assistant (127.0.0.1)"
    token = result["data"][CONF_TOKEN]
    assert result["data"] == {
        CONF_KIND: "music_assistant",
        CONF_URL: ma_server.url,
        CONF_VERIFY_SSL: True,
        CONF_TOKEN: token,
    }
    assert result["result"].unique_id == MA_SERVER_ID
    assert MA_PASSWORD not in repr(result["result"].as_dict())
    # a long-lived token named after the integration and this HA, the session signed out
    assert ma_server.tokens[token].is_long_lived
    assert ma_server.tokens[token].name == TOKEN_NAME
    assert ma_server.tokens_created == [TOKEN_NAME]
    assert ma_server.logouts == [TOKEN_NAME]
    assert [token.name for token in ma_server.tokens.values() if not token.is_long_lived] == []
    assert ma_server.logins[-1].device_name == TOKEN_NAME


async def test_wrong_password_then_right_one(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    flow_id, _ = await submit_server(hass, ma_server.url)
    await choose(hass, flow_id, "music_assistant_login")

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: "wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert ma_server.tokens_created == []

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: MA_PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_login_refused_by_a_server_that_is_not_set_up(
    hass: HomeAssistant, ma_server_factory: MaServerFactory
) -> None:
    server = await ma_server_factory(users={})
    flow_id, _ = await submit_server(hass, server.url)
    await choose(hass, flow_id, "music_assistant_login")
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: MA_PASSWORD}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "login_failed"}


async def test_token_after_a_failed_password(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    """The form keeps the username after a failed sign-in; a token pasted then is meant."""
    flow_id, _ = await submit_server(hass, ma_server.url)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert suggested == {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: None, CONF_TOKEN: None}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MA_USERNAME, CONF_TOKEN: MA_TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_TOKEN] == MA_TOKEN
    assert ma_server.tokens_created == []


async def test_pasted_token(hass: HomeAssistant, ma_server: FakeMusicAssistantServer) -> None:
    flow_id, _ = await submit_server(hass, ma_server.url)
    await choose(hass, flow_id, "music_assistant_token")

    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TOKEN: "not-a-token"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TOKEN: f" {MA_TOKEN} "})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_TOKEN] == MA_TOKEN
    # the pasted token is the user's: nothing created, nothing signed out
    assert ma_server.tokens_created == []
    assert ma_server.logouts == []


async def test_server_without_sign_in(
    hass: HomeAssistant, ma_server_factory: MaServerFactory
) -> None:
    server = await ma_server_factory(schema_version=27, min_supported_schema_version=27)
    _, result = await submit_server(hass, server.url)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_KIND: "music_assistant",
        CONF_URL: server.url,
        CONF_VERIFY_SSL: True,
    }
    assert server.logins == []


async def test_url_without_scheme_gets_http(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    _, result = await submit_server(hass, f"127.0.0.1:{ma_server.port}/")
    assert result["step_id"] == "music_assistant_auth"
    flow = hass.config_entries.flow.async_get(result["flow_id"])
    assert flow["context"]["unique_id"] == MA_SERVER_ID


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("mass.local", "http://mass.local:8095"),
        ("192.168.1.10", "http://192.168.1.10:8095"),
        ("192.168.1.10:9000", "http://192.168.1.10:9000"),
        ("https://ma.example.org", "https://ma.example.org"),
        ("https://ma.example.org/ma/", "https://ma.example.org/ma"),
        ("  http://[::1]:8095  ", "http://[::1]:8095"),
    ],
)
def test_normalize_url(typed: str, url: str) -> None:
    assert normalize_url(typed) == url


@pytest.mark.parametrize(
    "typed", ["ftp://mass.local", "http://", "http://user:secret@mass.local", "http://x/?a=1", ""]
)
async def test_invalid_url(hass: HomeAssistant, typed: str) -> None:
    _, result = await submit_server(hass, typed)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_URL: "invalid_url"}


async def test_unreachable_server(hass: HomeAssistant, ma_server_factory: MaServerFactory) -> None:
    server = await ma_server_factory()
    await server.stop()
    _, result = await submit_server(hass, server.url)
    assert result["type"] is FlowResultType.FORM
    # the message names the host
    assert result["errors"] == {"base": "music_assistant_cannot_connect"}
    assert result["description_placeholders"]["host"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (404, "<html>Not found</html>", "text/html"),
        (200, "<html>Welcome to nginx</html>", "text/html"),
        (200, '{"name": "some other API"}', "application/json"),
        (200, '["a", "list"]', "application/json"),
        (
            200,
            json.dumps(
                {
                    "server_id": "",
                    "server_version": "1",
                    "schema_version": 29,
                    "min_supported_schema_version": 28,
                }
            ),
            "application/json",
        ),
    ],
)
async def test_not_music_assistant(
    hass: HomeAssistant, not_ma_server: Any, status: int, body: str, content_type: str
) -> None:
    url = await not_ma_server(status, body, content_type)
    _, result = await submit_server(hass, url)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "not_music_assistant"}


@pytest.mark.usefixtures("tolerate_tls_handshake_failures")
@pytest.mark.parametrize("verify_ssl", [True, False])
async def test_https_to_a_plain_http_server(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, verify_ssl: bool
) -> None:
    """No certificate advice when the server does not speak TLS at all."""
    url = ma_server.url.replace("http://", "https://")
    _, result = await submit_server(hass, url, verify_ssl=verify_ssl)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "tls_failed"}
    assert not hass.config_entries.async_entries(DOMAIN)


@pytest.mark.usefixtures("tolerate_tls_handshake_failures")
async def test_self_signed_certificate(
    hass: HomeAssistant, ma_server_factory: MaServerFactory, ma_certificate: SelfSignedCertificate
) -> None:
    server = await ma_server_factory(ssl_context=ma_certificate.server_context())
    server.create_token(MA_USERNAME, "Scrobbler tests", token=MA_TOKEN)
    assert server.url.startswith("https://")

    _, result = await submit_server(hass, server.url)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "ssl_error"}

    flow_id, result = await submit_server(hass, server.url, verify_ssl=False)
    assert result["step_id"] == "music_assistant_auth"
    await choose(hass, flow_id, "music_assistant_token")
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TOKEN: MA_TOKEN})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_VERIFY_SSL] is False


async def test_known_server_gets_its_new_url(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, mock_setup_entry: AsyncMock
) -> None:
    entry = add_entry_with_old_url(hass, ma_server)

    _, result = await submit_server(hass, ma_server.url)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "music_assistant_already_configured"
    assert result["description_placeholders"] == {"name": entry.title}
    assert entry.data[CONF_URL] == ma_server.url
    assert entry.data[CONF_TOKEN] == MA_TOKEN


async def test_zeroconf_new_server(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(ma_server)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "music_assistant_discovery_confirm"
    assert result["description_placeholders"]["name"] == "127.0.0.1"
    assert result["description_placeholders"]["url"] == ma_server.url
    flow_id = result["flow_id"]

    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["step_id"] == "music_assistant_auth"
    await choose(hass, flow_id, "music_assistant_token")
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TOKEN: MA_TOKEN})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_URL] == ma_server.url
    assert result["result"].unique_id == MA_SERVER_ID


async def test_zeroconf_server_gone_before_confirmation(
    hass: HomeAssistant, ma_server_factory: MaServerFactory
) -> None:
    server = await ma_server_factory()
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(server, name="Living room")
    )
    assert result["description_placeholders"]["name"] == "Living room"
    assert result["description_placeholders"]["url"] == server.url
    await server.stop()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "music_assistant_cannot_connect"}


async def test_zeroconf_announcement_of_another_server(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=zeroconf_info(ma_server, server_id="someone-else"),
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_server"


async def test_zeroconf_old_server_needs_no_sign_in(
    hass: HomeAssistant, ma_server_factory: MaServerFactory
) -> None:
    server = await ma_server_factory(schema_version=27, min_supported_schema_version=27)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(server)
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_TOKEN not in result["data"]


async def test_zeroconf_known_server_gets_its_new_url(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    entry = add_entry_with_old_url(hass, ma_server)

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(ma_server)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "music_assistant_already_configured"
    assert entry.data[CONF_URL] == ma_server.url


@pytest.mark.parametrize(
    "changes",
    [{"server_id": None}, {"server_id": ""}, {"base_url": None}, {"base_url": "not a url"}],
)
async def test_zeroconf_invalid_announcement(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, changes: dict[str, str | None]
) -> None:
    info = zeroconf_info(ma_server)
    properties = {key: value for key, value in info.properties.items() if key not in changes}
    properties.update({key: value for key, value in changes.items() if value is not None})
    info.properties = properties
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


@pytest.mark.parametrize("step", list(SIGN_IN))
async def test_reauth(hass: HomeAssistant, ma_server: FakeMusicAssistantServer, step: str) -> None:
    entry = ma_entry(ma_server, token="revoked-token")
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "music_assistant_reauth_confirm"
    # it says whose token the server rejected, and which server
    assert result["description_placeholders"]["name"] == entry.title
    assert result["description_placeholders"]["url"] == ma_server.url

    result = await hass.config_entries.flow.async_configure(result["flow_id"], SIGN_IN[step])

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_URL] == ma_server.url
    token = entry.data[CONF_TOKEN]
    assert token in ma_server.tokens
    assert token == MA_TOKEN or ma_server.tokens[token].name == TOKEN_NAME


@pytest.mark.parametrize("step", list(SIGN_IN))
async def test_reauth_on_another_server(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, step: str
) -> None:
    entry = ma_entry(ma_server, token="revoked-token", unique_id="another-server")
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    await choose(hass, result["flow_id"], step)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], SIGN_IN[step])

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_server"
    assert entry.data[CONF_TOKEN] == "revoked-token"
    # nothing was created on the wrong server, and the session was signed out
    assert ma_server.tokens_created == []
    assert all(token.is_long_lived for token in ma_server.tokens.values())


async def test_reconfigure_same_server(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    entry = add_entry_with_old_url(hass, ma_server)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "music_assistant_reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: "ftp://nope", CONF_VERIFY_SSL: True}
    )
    assert result["errors"] == {CONF_URL: "invalid_url"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: ma_server.url, CONF_VERIFY_SSL: False}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_URL] == ma_server.url
    assert entry.data[CONF_VERIFY_SSL] is False
    assert entry.data[CONF_TOKEN] == MA_TOKEN


async def test_reconfigure_to_another_server(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    entry = ma_entry(ma_server, unique_id="another-server")
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: ma_server.url, CONF_VERIFY_SSL: True}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_server"


async def test_reauth_offers_both_ways_on_one_form(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    """A token that fails leaves the password open on the same form, and the other way round."""
    entry = ma_entry(ma_server, token="revoked-token")
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    flow_id = result["flow_id"]

    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TOKEN: "wrong"})
    assert result["step_id"] == "music_assistant_reauth_confirm"
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: MA_PASSWORD}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert ma_server.tokens[entry.data[CONF_TOKEN]].name == TOKEN_NAME


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        ({}, {"base": "music_assistant_no_way"}),
        ({CONF_USERNAME: "  ", CONF_TOKEN: " "}, {"base": "music_assistant_no_way"}),
        (
            {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: MA_PASSWORD, CONF_TOKEN: MA_TOKEN},
            {"base": "music_assistant_two_ways"},
        ),
        ({CONF_PASSWORD: MA_PASSWORD, CONF_TOKEN: MA_TOKEN}, {"base": "music_assistant_two_ways"}),
        ({CONF_USERNAME: MA_USERNAME}, {CONF_PASSWORD: "music_assistant_password_missing"}),
        ({CONF_PASSWORD: MA_PASSWORD}, {CONF_USERNAME: "music_assistant_username_missing"}),
    ],
)
async def test_sign_in_takes_exactly_one_way(
    hass: HomeAssistant,
    ma_server: FakeMusicAssistantServer,
    user_input: dict[str, str],
    errors: dict[str, str],
) -> None:
    flow_id, _ = await submit_server(hass, ma_server.url)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    # nothing was sent to the server
    assert ma_server.logins == []
    assert ma_server.commands == []


@pytest.mark.parametrize(
    ("title", "new_title"),
    [
        ("Music Assistant old", "Music Assistant (127.0.0.1)"),  # an earlier version's
        ("Music Assistant (old)", "Music Assistant (127.0.0.1)"),
        ("The kitchen", "The kitchen"),  # the user's own
    ],
)
async def test_reconfigure_title(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer, title: str, new_title: str
) -> None:
    """A title made by the integration follows the new address; one the user chose stays."""
    entry = add_entry_with_old_url(hass, ma_server)
    hass.config_entries.async_update_entry(entry, title=title)
    result = await entry.start_reconfigure_flow(hass)
    assert result["description_placeholders"]["name"] == title
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: ma_server.url, CONF_VERIFY_SSL: True}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.title == new_title
