"""The "I already have credentials" step: the credentials file of acr_lastfm_auth."""

import json
from typing import Any

from aiohttp import FormData
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.scrobbler.const import CONF_SESSION_KEY, DOMAIN
from custom_components.scrobbler.lastfm.credentials import Credentials
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, Failure, FakeLastfm

from .conftest import entry_data, keys_input, start_flow, suggested_values


def credentials_text(server: FakeLastfm, **changes: Any) -> str:
    """The file acr_lastfm_auth writes for the fake's user, with changes."""
    data = json.loads(
        Credentials(
            api_key=API_KEY,
            api_secret=API_SECRET,
            session_key=server.issue_session(USERNAME),
            username=USERNAME,
        ).to_json()
    )
    return json.dumps(data | changes, indent=2)


def service_input(server: FakeLastfm) -> dict[str, str]:
    """The service part of the import form: the fake, as a custom service."""
    form = keys_input(server)
    del form["api_key"], form["api_secret"]
    return form


async def start_import(hass: HomeAssistant) -> str:
    return await start_flow(hass, "lastfm_import")


async def import_text(hass: HomeAssistant, server: FakeLastfm, text: str) -> FlowResult:
    """Paste credentials in a new import form, with the fake as the service."""
    flow_id = await start_import(hass)
    result: FlowResult = await hass.config_entries.flow.async_configure(
        flow_id, service_input(server) | {"credentials": text}
    )
    return result


async def test_import_pasted_credentials(
    hass: HomeAssistant, lastfm_server: FakeLastfm, mock_setup_entry: object
) -> None:
    result = await import_text(hass, lastfm_server, credentials_text(lastfm_server))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == entry_data(lastfm_server, lastfm_server.issue_session(USERNAME))
    # Checked with a user.getInfo signed with the session key; no approval needed.
    [check] = lastfm_server.requests_of("user.getInfo")
    assert check.params["sk"] == result["data"][CONF_SESSION_KEY]
    assert "api_sig" in check.params
    assert not lastfm_server.requests_of("auth.getToken")


async def test_import_uploaded_file(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    lastfm_server: FakeLastfm,
    mock_setup_entry: object,
) -> None:
    assert await async_setup_component(hass, "file_upload", {})
    client = await hass_client()
    form = FormData()
    form.add_field(
        "file",
        credentials_text(lastfm_server).encode(),
        filename="lastfm_credentials.json",
        content_type="application/json",
    )
    response = await client.post("/api/file_upload", data=form)
    assert response.status == 200
    file_id = (await response.json())["file_id"]

    flow_id = await start_import(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, service_input(lastfm_server) | {"credentials_file": file_id}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"].startswith(USERNAME)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{not json", "lastfm_credentials_malformed"),
        ("[]", "lastfm_credentials_malformed"),
        ('{"api_key": 1}', "lastfm_credentials_malformed"),
        ('{"api_secret": "s", "session_key": "k"}', "lastfm_credentials_incomplete"),
        (None, "lastfm_credentials_no_session_key"),
    ],
)
async def test_unusable_credentials(
    hass: HomeAssistant, lastfm_server: FakeLastfm, text: str | None, error: str
) -> None:
    if text is None:  # what acr_lastfm_auth leaves when the approval did not finish
        text = credentials_text(lastfm_server, session_key=None, auth_token="0" * 32)
    result = await import_text(hass, lastfm_server, text)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert not lastfm_server.requests
    assert not hass.config_entries.async_entries(DOMAIN)


@pytest.mark.parametrize(
    ("changes", "failure", "error"),
    [
        ({"session_key": "0" * 32}, None, "invalid_session_key"),
        ({"api_key": "1" * 32}, None, "invalid_api_key"),
        ({"api_secret": "2" * 32}, None, "invalid_secret"),
        ({}, Failure.HTTP_503, "cannot_connect"),
    ],
)
async def test_rejected_credentials(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    changes: dict[str, str],
    failure: Failure | None,
    error: str,
) -> None:
    if failure is not None:
        lastfm_server.fail_next(failure)
    result = await import_text(hass, lastfm_server, credentials_text(lastfm_server, **changes))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert not hass.config_entries.async_entries(DOMAIN)
    # What was typed stays in the form.
    assert suggested_values(result)["api_root"] == lastfm_server.api_root


async def test_key_of_another_format_for_lastfm(hass: HomeAssistant) -> None:
    flow_id = await start_import(hass)
    text = json.dumps({"api_key": "short", "api_secret": "s" * 32, "session_key": "k"})
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"service": "lastfm", "credentials": text}
    )
    assert result["errors"] == {"base": "invalid_api_key_format"}


@pytest.mark.parametrize(
    "sources", [{}, {"credentials": "{}", "credentials_file": "c5b9d1c2e0f04b5b9f0e0a1b2c3d4e5f"}]
)
async def test_paste_or_upload(hass: HomeAssistant, sources: dict[str, str]) -> None:
    flow_id = await start_import(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"service": "lastfm"} | sources
    )
    assert result["errors"] == {"base": "lastfm_credentials_one_source"}


async def test_import_of_an_account_already_configured(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry
) -> None:
    result = await import_text(hass, lastfm_server, credentials_text(lastfm_server))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
