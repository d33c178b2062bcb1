"""The normal path of the Last.fm branch: API account, approval in the background, entry."""

from datetime import timedelta
import json
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

from homeassistant.const import CONF_API_KEY, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import EVENT_DATA_ENTRY_FLOW_PROGRESSED, FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.scrobbler.const import (
    CONF_API_ROOT,
    CONF_API_SECRET,
    CONF_AUTH_URL,
    CONF_KIND,
    CONF_SERVICE,
    CONF_SESSION_KEY,
    DOMAIN,
)
from custom_components.scrobbler.lastfm.services import LASTFM, LIBREFM
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, Failure, FakeLastfm

from .conftest import current_step, start_flow, submit_api_account, suggested_values, wait_until

STRINGS = Path(__file__).parents[2] / "custom_components" / "scrobbler" / "strings.json"
# What hassfest takes for a URL in a string.
URL = re.compile(r"(?:https?://|www\.)\w", re.IGNORECASE)


def link_token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


async def test_flow_goes_on_by_itself_when_approved_while_polling(
    hass: HomeAssistant, lastfm_server: FakeLastfm, mock_setup_entry: object
) -> None:
    progressed = async_capture_events(hass, EVENT_DATA_ENTRY_FLOW_PROGRESSED)
    flow_id = await start_flow(hass)
    with patch("custom_components.scrobbler.lastfm_flow.POLL_ROUNDS", 1000):
        result = await submit_api_account(hass, flow_id, lastfm_server)
        # An external step: the frontend opens the page and shows an "Open website" button.
        assert result["type"] is FlowResultType.EXTERNAL_STEP
        assert result["step_id"] == "lastfm_authorize"
        url = result["url"]
        assert url.startswith(lastfm_server.auth_url)
        assert parse_qs(urlsplit(url).query) == {
            "api_key": [API_KEY],
            "token": [lastfm_server.tokens[-1]],
        }

        # Asking again (as a reconnecting browser does) shows the same wait, the same link.
        again = await hass.config_entries.flow.async_configure(flow_id)
        assert again["type"] is FlowResultType.EXTERNAL_STEP
        assert again["url"] == url

        # The user approves while the flow polls; nobody presses anything in Home Assistant.
        await wait_until(lambda: len(lastfm_server.requests_of("auth.getSession")) >= 2)
        lastfm_server.approve_pending(USERNAME)
        await hass.async_block_till_done()

    # The task moved the flow on, and told the frontend to fetch it.
    assert current_step(hass, flow_id)["type"] is FlowResultType.EXTERNAL_STEP_DONE
    assert progressed[-1].data == {"handler": DOMAIN, "flow_id": flow_id, "refresh": True}
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"{USERNAME} on 127.0.0.1:{urlsplit(lastfm_server.api_root).port}"
    session_key = lastfm_server.issue_session(USERNAME)
    assert result["data"] == {
        CONF_KIND: "lastfm",
        CONF_SERVICE: "custom",
        CONF_API_ROOT: lastfm_server.api_root,
        CONF_AUTH_URL: lastfm_server.auth_url,
        CONF_API_KEY: API_KEY,
        CONF_API_SECRET: API_SECRET,
        CONF_SESSION_KEY: session_key,
        CONF_USERNAME: USERNAME,
    }
    assert result["result"].unique_id == f"{lastfm_server.api_root}#alice"
    assert len(lastfm_server.requests_of("auth.getToken")) == 1
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_title_of_an_account_on_lastfm_names_lastfm(
    hass: HomeAssistant, lastfm_server: FakeLastfm, mock_setup_entry: object
) -> None:
    """Last.fm itself, at the fake's address: the title names Last.fm, not the address."""
    at_fake = LASTFM.__class__(LASTFM.id, lastfm_server.api_root, lastfm_server.auth_url)
    with (
        patch("custom_components.scrobbler.lastfm_flow.KNOWN_SERVICES", {LASTFM.id: at_fake}),
        patch("custom_components.scrobbler.lastfm_flow.LASTFM", at_fake),
    ):
        flow_id = await start_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_SERVICE: "lastfm", CONF_API_KEY: API_KEY, CONF_API_SECRET: API_SECRET}
        )
        lastfm_server.approve_pending("ALICE")
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"{USERNAME} on Last.fm"
    assert result["data"][CONF_SERVICE] == "lastfm"


async def test_expired_token_gets_a_new_link(
    hass: HomeAssistant, lastfm_server: FakeLastfm, mock_setup_entry: object
) -> None:
    progressed = async_capture_events(hass, EVENT_DATA_ENTRY_FLOW_PROGRESSED)
    flow_id = await start_flow(hass)
    with patch("custom_components.scrobbler.lastfm_flow.POLL_ROUNDS", 1000):
        result = await submit_api_account(hass, flow_id, lastfm_server)
        first = result["url"]
        await wait_until(lambda: bool(lastfm_server.requests_of("auth.getSession")))
        lastfm_server.advance(3601)  # the token is now older than an hour: the fake answers 15

        await wait_until(lambda: len(lastfm_server.tokens) == 2)
        await wait_until(lambda: bool(progressed))
        step = current_step(hass, flow_id)
        assert step["type"] is FlowResultType.EXTERNAL_STEP
        second = step["url"]
        assert second != first
        assert link_token(second) == lastfm_server.tokens[1]
        assert progressed[-1].data == {"handler": DOMAIN, "flow_id": flow_id, "refresh": True}

        lastfm_server.approve(link_token(second), USERNAME)
        await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_token_older_than_an_hour_is_renewed_without_asking(
    hass: HomeAssistant, lastfm_server: FakeLastfm, mock_setup_entry: object
) -> None:
    """The flow counts the hour itself too: an old token is not even sent."""
    flow_id = await start_flow(hass)
    result = await submit_api_account(hass, flow_id, lastfm_server)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "lastfm_approve"
    polls = len(lastfm_server.requests_of("auth.getSession"))

    with patch("custom_components.scrobbler.lastfm_flow.TOKEN_LIFETIME", timedelta(0)):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"next_step_id": "lastfm_check"}
        )
        assert result["type"] is FlowResultType.EXTERNAL_STEP
        assert len(lastfm_server.requests_of("auth.getSession")) == polls
        assert link_token(result["url"]) == lastfm_server.tokens[1]
    hass.config_entries.flow.async_abort(flow_id)


async def test_fallback_menu_when_the_approval_takes_long(
    hass: HomeAssistant, lastfm_server: FakeLastfm, mock_setup_entry: object
) -> None:
    flow_id = await start_flow(hass)
    result = await submit_api_account(hass, flow_id, lastfm_server)
    await hass.async_block_till_done()  # three polls, no approval
    assert len(lastfm_server.requests_of("auth.getSession")) == 3

    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "lastfm_approve"
    assert result["menu_options"] == ["lastfm_check", "lastfm_authorize"]
    assert link_token(result["description_placeholders"]["url"]) == lastfm_server.tokens[0]

    # "I have approved" too early: the flow says so and waits again, with the same link.
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "lastfm_check"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert result["step_id"] == "lastfm_not_approved"
    assert link_token(result["url"]) == lastfm_server.tokens[0]
    await hass.async_block_till_done()

    # Back in the menu, the user approves and says so.
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "lastfm_approve"
    lastfm_server.approve_pending(USERNAME)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "lastfm_check"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(lastfm_server.tokens) == 1


async def test_wait_again_from_the_menu(
    hass: HomeAssistant, lastfm_server: FakeLastfm, mock_setup_entry: object
) -> None:
    flow_id = await start_flow(hass)
    await submit_api_account(hass, flow_id, lastfm_server)
    await hass.async_block_till_done()
    await hass.config_entries.flow.async_configure(flow_id)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "lastfm_authorize"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert result["step_id"] == "lastfm_authorize"
    lastfm_server.approve_pending(USERNAME)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_cancel_leaves_no_task(hass: HomeAssistant, lastfm_server: FakeLastfm) -> None:
    """Closing the dialog stops the polling, even in the middle of a request.

    The first poll hangs at the fake, so the flow is closed while exactly one request is
    under way (no other request can be in flight and be counted late).
    """
    lastfm_server.fail_next(Failure.HANG, method="auth.getSession")
    flow_id = await start_flow(hass)
    with patch("custom_components.scrobbler.lastfm_flow.POLL_ROUNDS", 1000):
        await submit_api_account(hass, flow_id, lastfm_server)
        flow = hass.config_entries.flow._progress[flow_id]
        task = flow._lastfm_task
        assert task is not None
        await wait_until(lambda: bool(lastfm_server.requests_of("auth.getSession")))

        hass.config_entries.flow.async_abort(flow_id)
        await hass.async_block_till_done()
    assert task.cancelled()
    assert flow._lastfm_task is None
    assert len(lastfm_server.requests_of("auth.getSession")) == 1
    assert not hass.config_entries.flow.async_progress()


async def test_an_unexpected_error_while_waiting_goes_back_to_the_form(
    hass: HomeAssistant, lastfm_server: FakeLastfm, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever fails in the wait, the dialog does not wait for ever: the form says so."""
    flow_id = await start_flow(hass)
    with patch(
        "custom_components.scrobbler.lastfm_flow.LastfmClient.get_session",
        side_effect=RuntimeError("boom"),
    ):
        result = await submit_api_account(hass, flow_id, lastfm_server)
        assert result["type"] is FlowResultType.EXTERNAL_STEP
        await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lastfm_api_key"
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while waiting for the approval" in caplog.text
    hass.config_entries.flow.async_abort(flow_id)


async def test_temporary_errors_while_polling_are_waited_out(
    hass: HomeAssistant, lastfm_server: FakeLastfm, mock_setup_entry: object
) -> None:
    flow_id = await start_flow(hass)
    lastfm_server.fail_next(16, method="auth.getSession")
    lastfm_server.fail_next(Failure.HTTP_503, method="auth.getSession")
    await submit_api_account(hass, flow_id, lastfm_server)
    lastfm_server.approve_pending(USERNAME)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(lastfm_server.requests_of("auth.getSession")) == 3


async def test_rejected_key_while_polling_goes_back_to_the_form(
    hass: HomeAssistant, lastfm_server: FakeLastfm
) -> None:
    flow_id = await start_flow(hass)
    await submit_api_account(hass, flow_id, lastfm_server)
    lastfm_server.suspend_app(API_KEY)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lastfm_api_key"
    assert result["errors"] == {CONF_API_KEY: "invalid_api_key"}
    assert not hass.config_entries.async_entries(DOMAIN)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({CONF_API_KEY: "f" * 32}, {CONF_API_KEY: "invalid_api_key"}),
        ({CONF_API_SECRET: "0" * 32}, {CONF_API_SECRET: "invalid_secret"}),
    ],
)
async def test_rejected_api_account(
    hass: HomeAssistant, lastfm_server: FakeLastfm, overrides: dict[str, str], error: dict[str, str]
) -> None:
    """The service rejects the key or the secret: the error sits on its field, in its form."""
    flow_id = await start_flow(hass)
    result = await submit_api_account(hass, flow_id, lastfm_server, **overrides)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lastfm_api_key"
    assert result["errors"] == error
    assert not lastfm_server.tokens
    # Correcting the input goes on.
    result = await submit_api_account(hass, flow_id, lastfm_server)
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    hass.config_entries.flow.async_abort(flow_id)


@pytest.mark.parametrize(
    "failure", [Failure.HTTP_500, Failure.HTML, Failure.TRUNCATED_JSON, 11, 29]
)
async def test_service_failing(
    hass: HomeAssistant, lastfm_server: FakeLastfm, failure: Failure | int
) -> None:
    flow_id = await start_flow(hass)
    lastfm_server.fail_next(failure)
    result = await submit_api_account(hass, flow_id, lastfm_server)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_unexpected_error_code(hass: HomeAssistant, lastfm_server: FakeLastfm) -> None:
    flow_id = await start_flow(hass)
    lastfm_server.fail_next(6)  # "invalid parameters": nothing the user can fix here
    result = await submit_api_account(hass, flow_id, lastfm_server)
    assert result["errors"] == {"base": "unknown"}


async def test_unreachable_service(hass: HomeAssistant, socket_enabled: None) -> None:
    async with FakeLastfm() as stopped:
        pass  # a port where nothing listens any more
    flow_id = await start_flow(hass)
    result = await submit_api_account(hass, flow_id, stopped)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_already_configured(
    hass: HomeAssistant, lastfm_server: FakeLastfm, lastfm_entry: MockConfigEntry
) -> None:
    flow_id = await start_flow(hass)
    await submit_api_account(hass, flow_id, lastfm_server)
    lastfm_server.approve_pending("Alice")
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.ABORT
    # The message says which account.
    assert result["reason"] == "lastfm_already_configured"
    assert result["description_placeholders"] == {
        CONF_USERNAME: USERNAME,
        "service": f"127.0.0.1:{urlsplit(lastfm_server.api_root).port}",
    }
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        (
            {CONF_SERVICE: LASTFM.id, CONF_API_KEY: "abc", CONF_API_SECRET: "x" * 32},
            {CONF_API_KEY: "invalid_api_key_format", CONF_API_SECRET: "invalid_secret_format"},
        ),
        (
            {CONF_SERVICE: LASTFM.id, CONF_API_KEY: API_KEY, CONF_API_SECRET: API_SECRET + "0"},
            {CONF_API_SECRET: "invalid_secret_format"},
        ),
        (
            {CONF_SERVICE: LIBREFM.id, CONF_API_KEY: "  ", CONF_API_SECRET: "anything"},
            {CONF_API_KEY: "invalid_api_key_format"},
        ),
        (
            {CONF_SERVICE: "custom", CONF_API_KEY: "key", CONF_API_SECRET: ""},
            {CONF_API_SECRET: "invalid_secret_format"},
        ),
    ],
)
async def test_input_checked_before_any_call(
    hass: HomeAssistant, user_input: dict[str, str], errors: dict[str, str]
) -> None:
    """Bad input is caught in the flow: no request leaves (sockets are blocked anyway)."""
    flow_id = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_service_down_when_the_user_says_approved(
    hass: HomeAssistant, lastfm_server: FakeLastfm
) -> None:
    flow_id = await start_flow(hass)
    await submit_api_account(hass, flow_id, lastfm_server)
    await hass.async_block_till_done()
    await hass.config_entries.flow.async_configure(flow_id)  # the fallback menu
    lastfm_server.fail_next(Failure.HTTP_503)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "lastfm_check"}
    )
    # The form of the custom server's addresses, what the user typed kept.
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lastfm_server"
    assert result["errors"] == {"base": "cannot_connect"}
    assert suggested_values(result) == {
        CONF_API_ROOT: lastfm_server.api_root,
        CONF_AUTH_URL: lastfm_server.auth_url,
    }
    # The error is shown once; the next submission starts over.
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_ROOT: lastfm_server.api_root, CONF_AUTH_URL: lastfm_server.auth_url}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert link_token(result["url"]) == lastfm_server.tokens[-1]
    hass.config_entries.flow.async_abort(flow_id)


async def test_no_new_token_after_expiry(hass: HomeAssistant, lastfm_server: FakeLastfm) -> None:
    flow_id = await start_flow(hass)
    await submit_api_account(hass, flow_id, lastfm_server)
    lastfm_server.advance(3601)
    lastfm_server.fail_next(11, method="auth.getToken")
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lastfm_server"
    assert result["errors"] == {"base": "cannot_connect"}


def test_strings_of_the_lastfm_steps_carry_no_urls() -> None:
    """Hassfest rejects URLs in strings: links and examples are description placeholders."""
    strings = json.loads(STRINGS.read_text(encoding="utf-8"))["config"]
    texts = [
        (f"{step_id}.{path}", text)
        for step_id, step in strings["step"].items()
        if step_id.startswith("lastfm")
        for path, text in _texts(step)
    ]
    texts += [
        (f"{part}.{key}", text)
        for part in ("abort", "error")
        for key, text in strings[part].items()
    ]
    assert texts
    assert [(path, text) for path, text in texts if URL.search(text)] == []


def _texts(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(path, value)]
    return [item for key, sub in value.items() for item in _texts(sub, f"{path}.{key}")]


async def test_api_form_asks_for_a_server_only_for_another_server(
    hass: HomeAssistant, lastfm_server: FakeLastfm
) -> None:
    flow_id = await start_flow(hass)
    form = current_step(hass, flow_id)
    assert [key.schema for key in form["data_schema"].schema] == [
        CONF_SERVICE,
        CONF_API_KEY,
        CONF_API_SECRET,
    ]
    assert form["description_placeholders"]["api_account_url"].startswith("https://")

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SERVICE: "custom", CONF_API_KEY: API_KEY, CONF_API_SECRET: API_SECRET}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lastfm_server"
    assert [key.schema for key in result["data_schema"].schema] == [CONF_API_ROOT, CONF_AUTH_URL]
    assert not lastfm_server.requests

    # Bad addresses are told on that form; nothing leaves.
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_ROOT: "ftp://example.org/2.0/", CONF_AUTH_URL: "example.org/auth/"}
    )
    assert result["step_id"] == "lastfm_server"
    assert result["errors"] == {CONF_API_ROOT: "invalid_url", CONF_AUTH_URL: "invalid_url"}
    assert not lastfm_server.requests
    # Nor are credentials taken in an address (they would be stored in clear).
    with_credentials = lastfm_server.api_root.replace("http://", "http://user:pass@")
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_ROOT: with_credentials, CONF_AUTH_URL: lastfm_server.auth_url}
    )
    assert result["errors"] == {CONF_API_ROOT: "invalid_url"}
    assert not lastfm_server.requests

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_ROOT: lastfm_server.api_root, CONF_AUTH_URL: lastfm_server.auth_url}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    hass.config_entries.flow.async_abort(flow_id)


async def test_back_to_the_key_form_with_the_addresses_kept(
    hass: HomeAssistant, lastfm_server: FakeLastfm
) -> None:
    """A key the custom server rejects: its form again, then the addresses as typed before."""
    flow_id = await start_flow(hass)
    result = await submit_api_account(hass, flow_id, lastfm_server, api_key="f" * 32)
    assert result["step_id"] == "lastfm_api_key"
    assert result["errors"] == {CONF_API_KEY: "invalid_api_key"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_SERVICE: "custom", CONF_API_KEY: API_KEY, CONF_API_SECRET: API_SECRET}
    )
    assert result["step_id"] == "lastfm_server"
    assert suggested_values(result) == {
        CONF_API_ROOT: lastfm_server.api_root,
        CONF_AUTH_URL: lastfm_server.auth_url,
    }
