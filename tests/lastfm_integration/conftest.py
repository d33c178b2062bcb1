"""Helpers of the Last.fm account tests: a fast approval, entries on the fake, flow steps."""

import asyncio
from collections.abc import Callable, Generator
from functools import partial
import json
from pathlib import Path
import re
from types import MappingProxyType
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigSubentry, ConfigSubentryData
from homeassistant.const import CONF_API_KEY, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowHandler, FlowResult, FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler.const import (
    CONF_API_ROOT,
    CONF_API_SECRET,
    CONF_AUTH_URL,
    CONF_KIND,
    CONF_SERVICE,
    CONF_SESSION_KEY,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
    EntryKind,
)
from custom_components.scrobbler.lastfm.client import LastfmClient
from custom_components.scrobbler.lastfm.services import CUSTOM_ID
from custom_components.scrobbler.lastfm_account import title_of, unique_id_of
from custom_components.scrobbler.playback import CONF_PLAYERS, CONF_SERVER_ENTRY_ID, SUBENTRY_SOURCE
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, FakeLastfm


@pytest.fixture(autouse=True)
def fast_approval() -> Generator[None]:
    """Poll for the approval without pausing between polls, and ask for the fallback soon."""
    with (
        patch("custom_components.scrobbler.lastfm_flow.POLL_INTERVAL", 0),
        patch("custom_components.scrobbler.lastfm_flow.POLL_ROUNDS", 3),
    ):
        yield


TRANSLATIONS = (
    Path(__file__).parents[2] / "custom_components" / "scrobbler" / "translations" / "en.json"
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def untranslated(config: dict[str, Any], result: FlowResult[Any, Any]) -> list[str]:
    """Return what a flow result shows that has no translation or lacks a placeholder."""
    kind = result["type"]
    if kind is FlowResultType.ABORT:
        texts = {"abort": config["abort"].get(result["reason"])}
    elif kind in (FlowResultType.FORM, FlowResultType.MENU, FlowResultType.EXTERNAL_STEP):
        step = config["step"].get(result["step_id"])
        if step is None:
            return [f"step {result['step_id']}"]
        texts = {"title": step.get("title")} | {
            f"{part} {key}": text
            for part in ("description", "data_description")
            for key, text in (
                step.get(part, {}) if part != "description" else {"": step.get(part, "")}
            ).items()
        }
        texts |= {
            f"error {error}": config["error"].get(error)
            for error in (result.get("errors") or {}).values()
        }
    else:
        return []
    given = set(result.get("description_placeholders") or {})
    missing = [name for name, text in texts.items() if text is None]
    for name, text in texts.items():
        missing += [f"{name}: {{{p}}}" for p in _PLACEHOLDER.findall(text or "") if p not in given]
    return missing


@pytest.fixture(autouse=True)
def every_flow_result_translated(hass: HomeAssistant) -> Generator[None]:
    """Check every step the tests walk: its step, errors and abort reasons are translated.

    And every placeholder its texts use is given (a URL placeholder left empty shows as a
    literal ``{api_account_url}``).
    """
    config = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))["config"]
    manager = hass.config_entries.flow
    handle_step = manager._async_handle_step
    problems: list[str] = []

    async def checked(
        flow: FlowHandler[Any, Any, Any], step_id: str, user_input: Any
    ) -> FlowResult[Any, Any]:
        result: FlowResult[Any, Any] = await handle_step(flow, step_id, user_input)
        if flow.handler == DOMAIN:
            problems.extend(f"{step_id}: {problem}" for problem in untranslated(config, result))
        return result

    with patch.object(manager, "_async_handle_step", checked):
        yield
    assert not problems


@pytest.fixture(autouse=True)
def no_rate_limit_at_runtime() -> Generator[None]:
    """Let entries' clients call without spacing requests: tests move the clock of the loop."""
    with patch(
        "custom_components.scrobbler.lastfm_account.LastfmClient",
        partial(LastfmClient, max_requests_per_second=1000),
    ):
        yield


def keys_input(server: FakeLastfm, **overrides: str) -> dict[str, str]:
    """Return the form of the API account, for a custom service: the fake."""
    return {
        CONF_SERVICE: CUSTOM_ID,
        CONF_API_ROOT: server.api_root,
        CONF_AUTH_URL: server.auth_url,
        CONF_API_KEY: API_KEY,
        CONF_API_SECRET: API_SECRET,
    } | overrides


def reconfigure_input(server: FakeLastfm, **overrides: str) -> dict[str, str]:
    """Return the reconfigure form of an entry on a custom server: the fake."""
    return {
        CONF_API_ROOT: server.api_root,
        CONF_AUTH_URL: server.auth_url,
        CONF_API_KEY: API_KEY,
        CONF_API_SECRET: API_SECRET,
    } | overrides


async def submit_api_account(
    hass: HomeAssistant, flow_id: str, server: FakeLastfm, **overrides: str
) -> FlowResult[Any, Any]:
    """Fill in the API account form for the fake (a custom service), then its addresses."""
    form = keys_input(server, **overrides)
    server_part = {key: form.pop(key) for key in (CONF_API_ROOT, CONF_AUTH_URL)}
    result: FlowResult[Any, Any] = await hass.config_entries.flow.async_configure(flow_id, form)
    if result["type"] is FlowResultType.FORM and result["step_id"] == "lastfm_server":
        result = await hass.config_entries.flow.async_configure(flow_id, server_part)
    return result


def entry_data(server: FakeLastfm, session_key: str, username: str = USERNAME) -> dict[str, str]:
    """Return the data of an entry of the fake service."""
    return {
        CONF_KIND: EntryKind.LASTFM,
        CONF_SERVICE: CUSTOM_ID,
        CONF_API_ROOT: server.api_root,
        CONF_AUTH_URL: server.auth_url,
        CONF_API_KEY: API_KEY,
        CONF_API_SECRET: API_SECRET,
        CONF_SESSION_KEY: session_key,
        CONF_USERNAME: username,
    }


def account_entry(
    server: FakeLastfm,
    username: str = USERNAME,
    subentries: list[ConfigSubentryData] | None = None,
) -> MockConfigEntry:
    """Return an entry of a user of the fake, with a session it issued (not added to hass)."""
    data = entry_data(server, server.issue_session(username), username)
    return MockConfigEntry(
        domain=DOMAIN,
        title=title_of(data),
        unique_id=unique_id_of(server.api_root, username),
        data=data,
        version=ENTRY_VERSION,
        minor_version=ENTRY_MINOR_VERSION,
        subentries_data=subentries or [],
    )


@pytest.fixture
def lastfm_entry(hass: HomeAssistant, lastfm_server: FakeLastfm) -> MockConfigEntry:
    """An entry of the fake's user, with a session issued by the fake (not set up)."""
    entry = account_entry(lastfm_server)
    entry.add_to_hass(hass)
    return entry


async def start_flow(hass: HomeAssistant, step_id: str = "lastfm_api_key") -> str:
    """Start a flow and go to a form of the Last.fm menu; return the flow id."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "lastfm"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": step_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step_id
    return result["flow_id"]


async def approve_and_finish(
    hass: HomeAssistant, server: FakeLastfm, flow_id: str, user: str = USERNAME
) -> FlowResult:
    """Approve the pending token as ``user``, then take the flow's next step."""
    server.approve_pending(user)
    await hass.async_block_till_done()
    result: FlowResult = await hass.config_entries.flow.async_configure(flow_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return result


async def wait_until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until a condition holds (the test's timeout bounds it)."""
    while not condition():  # noqa: ASYNC110 (the condition is the fake's state, not an event)
        await asyncio.sleep(0.01)


def current_step(hass: HomeAssistant, flow_id: str) -> FlowResult[Any, Any]:
    """Return the step a flow shows now (what the frontend fetches after an event)."""
    return hass.config_entries.flow._progress[flow_id].cur_step  # type: ignore[return-value]


def suggested_values(form: FlowResult[Any, Any]) -> dict[str, Any]:
    """Return the values a form shows filled in."""
    return {
        key.schema: key.description["suggested_value"]
        for key in form["data_schema"].schema
        if key.description
    }


# The Music Assistant entry the account's source names (the scrobbling tests need no real one).
SERVER = "ma-server-entry"


@pytest.fixture
def account(hass: HomeAssistant, lastfm_entry: MockConfigEntry) -> MockConfigEntry:
    """The account with one source: every player of the server ``SERVER``."""
    hass.config_entries.async_add_subentry(
        lastfm_entry,
        ConfigSubentry(
            data=MappingProxyType({CONF_SERVER_ENTRY_ID: SERVER, CONF_PLAYERS: []}),
            subentry_type=SUBENTRY_SOURCE,
            title="Music Assistant",
            unique_id=None,
        ),
    )
    return lastfm_entry


@pytest.fixture
def frozen(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Freeze the clock on a whole second."""
    freezer.move_to("2026-11-30 20:00:00+00:00")
    return freezer
