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

from custom_components.scrobbler.const import (
    CONF_API_ROOT,
    CONF_AUTH_URL,
    CONF_SERVICE,
    CONF_SESSION_KEY,
    DOMAIN,
)
from custom_components.scrobbler.lastfm.credentials import Credentials
from custom_components.scrobbler.lastfm.services import CUSTOM_ID
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, Failure, FakeLastfm

from .conftest import current_step, entry_data, start_flow, suggested_values


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


def server_input(server: FakeLastfm) -> dict[str, str]:
    """The form of a custom server's addresses: the fake."""
    return {CONF_API_ROOT: server.api_root, CONF_AUTH_URL: server.auth_url}


async def start_import(hass: HomeAssistant) -> str:
    return await start_flow(hass, "lastfm_import")


async def submit_import(
    hass: HomeAssistant, flow_id: str, server: FakeLastfm, sources: dict[str, str]
) -> FlowResult:
    """Fill in the import form with the fake as a custom service, then the fake's addresses."""
    result: FlowResult = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SERVICE: CUSTOM_ID} | sources
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lastfm_server"
    return await hass.config_entries.flow.async_configure(flow_id, server_input(server))


async def import_text(hass: HomeAssistant, server: FakeLastfm, text: str) -> FlowResult:
    """Paste credentials in a new import form, with the fake as the service."""
    return await submit_import(hass, await start_import(hass), server, {"credentials": text})


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


async def upload(hass: HomeAssistant, hass_client: ClientSessionGenerator, text: str) -> str:
    """Upload a credentials file as the frontend does; return its id."""
    assert await async_setup_component(hass, "file_upload", {})
    client = await hass_client()
    form = FormData()
    form.add_field(
        "file", text.encode(), filename="lastfm_credentials.json", content_type="application/json"
    )
    response = await client.post("/api/file_upload", data=form)
    assert response.status == 200
    file_id: str = (await response.json())["file_id"]
    return file_id


async def test_import_uploaded_file(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    lastfm_server: FakeLastfm,
    mock_setup_entry: object,
) -> None:
    file_id = await upload(hass, hass_client, credentials_text(lastfm_server))
    flow_id = await start_import(hass)
    result = await submit_import(hass, flow_id, lastfm_server, {"credentials_file": file_id})
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
    # Shown on the import form, on the field the credentials came from.
    assert result["step_id"] == "lastfm_import"
    assert result["errors"] == {"credentials": error}
    assert not lastfm_server.requests
    assert not hass.config_entries.async_entries(DOMAIN)


@pytest.mark.parametrize(
    ("changes", "failure", "step_id", "errors"),
    [
        ({"session_key": "0" * 32}, None, "lastfm_import", {"credentials": "invalid_session_key"}),
        ({"api_key": "1" * 32}, None, "lastfm_import", {"credentials": "invalid_api_key"}),
        ({"api_secret": "2" * 32}, None, "lastfm_import", {"credentials": "invalid_secret"}),
        # A custom server that does not answer: its addresses may be wrong.
        ({}, Failure.HTTP_503, "lastfm_server", {"base": "cannot_connect"}),
    ],
)
async def test_rejected_credentials(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    changes: dict[str, str],
    failure: Failure | None,
    step_id: str,
    errors: dict[str, str],
) -> None:
    if failure is not None:
        lastfm_server.fail_next(failure)
    text = credentials_text(lastfm_server, **changes)
    result = await import_text(hass, lastfm_server, text)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step_id
    assert result["errors"] == errors
    assert not hass.config_entries.async_entries(DOMAIN)
    # What was typed stays in the forms.
    if step_id == "lastfm_server":
        assert suggested_values(result) == server_input(lastfm_server)
    else:
        assert suggested_values(result) == {CONF_SERVICE: CUSTOM_ID, "credentials": text}


async def test_key_of_another_format_for_lastfm(hass: HomeAssistant) -> None:
    flow_id = await start_import(hass)
    text = json.dumps({"api_key": "short", "api_secret": "s" * 32, "session_key": "k"})
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"service": "lastfm", "credentials": text}
    )
    assert result["errors"] == {"credentials": "invalid_api_key_format"}


@pytest.mark.parametrize("service", ["lastfm", CUSTOM_ID])
@pytest.mark.parametrize(
    "sources", [{}, {"credentials": "{}", "credentials_file": "c5b9d1c2e0f04b5b9f0e0a1b2c3d4e5f"}]
)
async def test_paste_or_upload(hass: HomeAssistant, service: str, sources: dict[str, str]) -> None:
    """Told on the import form, before a custom server's addresses are asked."""
    flow_id = await start_import(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"service": service} | sources)
    assert result["step_id"] == "lastfm_import"
    assert result["errors"] == {"base": "lastfm_credentials_one_source"}


async def test_import_of_an_account_already_configured(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry
) -> None:
    result = await import_text(hass, lastfm_server, credentials_text(lastfm_server))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "lastfm_already_configured"
    assert result["description_placeholders"]["username"] == USERNAME


async def test_uploaded_file_kept_after_an_error(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    lastfm_server: FakeLastfm,
    mock_setup_entry: object,
) -> None:
    """The upload is read once; after an error, the same file is still there to submit again."""
    file_id = await upload(hass, hass_client, credentials_text(lastfm_server))
    flow_id = await start_import(hass)
    lastfm_server.fail_next(Failure.HTTP_503)
    result = await submit_import(hass, flow_id, lastfm_server, {"credentials_file": file_id})
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(flow_id, server_input(lastfm_server))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_SESSION_KEY] == lastfm_server.issue_session(USERNAME)


async def test_uploaded_file_shown_again_with_its_error(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, lastfm_server: FakeLastfm
) -> None:
    file_id = await upload(hass, hass_client, "{not json")
    flow_id = await start_import(hass)
    result = await submit_import(hass, flow_id, lastfm_server, {"credentials_file": file_id})
    assert result["step_id"] == "lastfm_import"
    assert result["errors"] == {"credentials_file": "lastfm_credentials_malformed"}
    assert suggested_values(result) == {CONF_SERVICE: CUSTOM_ID, "credentials_file": file_id}


async def test_pasted_credentials_are_not_shown_in_clear(hass: HomeAssistant) -> None:
    flow_id = await start_import(hass)
    form = current_step(hass, flow_id)
    schema = form["data_schema"].schema
    assert [key.schema for key in schema] == [CONF_SERVICE, "credentials", "credentials_file"]
    [pasted] = [key for key in schema if key.schema == "credentials"]
    assert schema[pasted].config["type"] == "password"
