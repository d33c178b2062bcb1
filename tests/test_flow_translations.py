"""Every path of the config flow shows translated texts only.

The ``check_flow_translations`` fixture (``tests/conftest.py``) checks every flow result of every
test; these tests walk each path of both branches once, so that a step, error, abort, menu or
progress without a translation fails here, abort reasons raised by Home Assistant's helpers
included.
"""

from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    SOURCE_ZEROCONF,
)
from homeassistant.const import CONF_API_KEY, CONF_PASSWORD, CONF_TOKEN, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler.const import CONF_API_ROOT, CONF_AUTH_URL, CONF_SERVICE, DOMAIN
from custom_components.scrobbler.lastfm.services import CUSTOM_ID, LASTFM
from tests.fakes.certificates import SelfSignedCertificate
from tests.fakes.lastfm_server import USERNAME, FakeLastfm
from tests.fakes.music_assistant_plugin import MaServerFactory
from tests.fakes.music_assistant_server import MA_PASSWORD, MA_TOKEN, MA_USERNAME
from tests.flow_translations import FlowTranslationCheck
from tests.lastfm_integration.conftest import (  # noqa: F401 (fixtures, used by name)
    fast_approval,
    keys_input,
    lastfm_entry,
    reconfigure_input,
    start_flow,
    submit_api_account,
)
from tests.lastfm_integration.test_import import credentials_text, import_text, server_input
from tests.music_assistant.conftest import (  # noqa: F401 (fixtures, used by name)
    http_server,
    not_ma_server,
    tolerate_tls_handshake_failures,
    zeroconf_info,
)

pytestmark = pytest.mark.usefixtures("mock_setup_entry", "fast_approval")


def seen(check: FlowTranslationCheck) -> set[str]:
    """Return what the flows showed: step ids, errors, abort reasons and progress actions."""
    keys: set[str] = set()
    for result in check.results:
        match result["type"]:
            case FlowResultType.ABORT:
                keys.add(f"abort.{result['reason']}")
            case FlowResultType.SHOW_PROGRESS:
                keys.add(f"progress.{result['progress_action']}")
            case FlowResultType.EXTERNAL_STEP:
                keys.add(f"external.{result['step_id']}")
            case FlowResultType.FORM | FlowResultType.MENU:
                keys.add(f"step.{result['step_id']}")
                keys.update(f"error.{error}" for error in (result.get("errors") or {}).values())
    return keys


async def configure(hass: HomeAssistant, flow_id: str, data: Any = None) -> FlowResult:
    result: FlowResult = await hass.config_entries.flow.async_configure(flow_id, data)
    return result


async def test_lastfm_approval_path(
    hass: HomeAssistant, lastfm_server: FakeLastfm, check_flow_translations: FlowTranslationCheck
) -> None:
    flow_id = await start_flow(hass)
    # Errors of the forms: before any call, then from the service.
    await configure(hass, flow_id, {CONF_SERVICE: LASTFM.id, CONF_API_KEY: "x", "api_secret": "y"})
    await submit_api_account(hass, flow_id, lastfm_server, **{CONF_API_ROOT: "nowhere"})
    await configure(hass, flow_id, {CONF_API_ROOT: "nowhere", CONF_AUTH_URL: "nowhere"})
    flow_id = await start_flow(hass)
    await submit_api_account(hass, flow_id, lastfm_server, **{CONF_API_KEY: "f" * 32})
    await submit_api_account(hass, flow_id, lastfm_server, api_secret="0" * 32)
    for failure in (6, 11, None):  # the last time, the approval starts
        if failure is not None:
            lastfm_server.fail_next(failure)
        if hass.config_entries.flow.async_get(flow_id)["step_id"] == "lastfm_server":
            await configure(hass, flow_id, server_input(lastfm_server))
        else:
            await submit_api_account(hass, flow_id, lastfm_server)
    # The external step, the fallback menu, "I have approved" too early, then approved.
    await hass.async_block_till_done()
    await configure(hass, flow_id)
    await configure(hass, flow_id, {"next_step_id": "lastfm_check"})
    await hass.async_block_till_done()
    await configure(hass, flow_id)
    lastfm_server.approve_pending(USERNAME)
    result = await configure(hass, flow_id, {"next_step_id": "lastfm_check"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The same account again.
    flow_id = await start_flow(hass)
    await submit_api_account(hass, flow_id, lastfm_server)
    lastfm_server.approve_pending(USERNAME)
    await hass.async_block_till_done()
    await configure(hass, flow_id)

    assert seen(check_flow_translations) >= {
        "step.user", "step.lastfm", "step.lastfm_api_key", "step.lastfm_server",
        "step.lastfm_approve", "error.invalid_api_key_format", "error.invalid_secret_format",
        "error.invalid_url", "error.invalid_api_key", "error.invalid_secret", "error.unknown",
        "error.cannot_connect", "external.lastfm_authorize", "external.lastfm_not_approved",
        "abort.lastfm_already_configured",
    }  # fmt: skip


async def test_lastfm_import_path(
    hass: HomeAssistant, lastfm_server: FakeLastfm, check_flow_translations: FlowTranslationCheck
) -> None:
    for text in (
        "",
        "not json",
        credentials_text(lastfm_server, session_key=None),
        credentials_text(lastfm_server, api_secret=None),
        credentials_text(lastfm_server, session_key="0" * 32),
    ):
        flow_id = await start_flow(hass, "lastfm_import")
        result = await configure(hass, flow_id, {CONF_SERVICE: CUSTOM_ID, "credentials": text})
        if result["type"] is FlowResultType.FORM and result["step_id"] == "lastfm_server":
            await configure(hass, flow_id, server_input(lastfm_server))
    result = await import_text(hass, lastfm_server, credentials_text(lastfm_server))
    assert result["type"] is FlowResultType.CREATE_ENTRY

    assert seen(check_flow_translations) >= {
        "step.lastfm_import", "step.lastfm_server", "error.lastfm_credentials_one_source",
        "error.lastfm_credentials_malformed", "error.lastfm_credentials_no_session_key",
        "error.lastfm_credentials_incomplete", "error.invalid_session_key",
    }  # fmt: skip


@pytest.mark.usefixtures("lastfm_entry")
async def test_lastfm_reauth_and_reconfigure_paths(
    hass: HomeAssistant, lastfm_server: FakeLastfm, check_flow_translations: FlowTranslationCheck
) -> None:
    [entry] = hass.config_entries.async_entries(DOMAIN)
    assert isinstance(entry, MockConfigEntry)
    lastfm_server.add_user("bob")
    for start, form in (
        (entry.start_reauth_flow, {}),
        (entry.start_reconfigure_flow, reconfigure_input(lastfm_server)),
    ):
        for user in ("bob", USERNAME):  # another account approves, then the right one
            result = await start(hass)
            flow_id = result["flow_id"]
            await configure(hass, flow_id, form)
            lastfm_server.approve_pending(user)
            await hass.async_block_till_done()
            await configure(hass, flow_id)

    assert seen(check_flow_translations) >= {
        "step.lastfm_reauth_confirm", "step.lastfm_reconfigure", "abort.wrong_account",
        "abort.reauth_successful", "abort.reconfigure_successful",
        "abort.lastfm_reconfigure_wrong_account",
    }  # fmt: skip


async def test_step_out_of_order_aborts_with_a_translated_reason(
    hass: HomeAssistant, check_flow_translations: FlowTranslationCheck
) -> None:
    """A stale page may ask for a step whose inputs the flow does not have."""
    flow_id = await start_flow(hass)
    manager = hass.config_entries.flow
    result = await manager._async_handle_step(manager._progress[flow_id], "lastfm_finish", None)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unknown"


async def test_music_assistant_paths(
    hass: HomeAssistant,
    ma_server_factory: MaServerFactory,
    check_flow_translations: FlowTranslationCheck,
) -> None:
    server = await ma_server_factory(users={MA_USERNAME: MA_PASSWORD})
    server.create_token(MA_USERNAME, "Scrobbler tests", token=MA_TOKEN)
    other = await ma_server_factory(server_id="another-server")
    async with FakeLastfm() as stopped:
        pass  # a port where nothing listens any more

    async def server_step() -> str:
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await configure(hass, result["flow_id"], {"next_step_id": "music_assistant"})
        return str(result["flow_id"])

    flow_id = await server_step()
    for url in ("ftp://nowhere", stopped.api_root):
        await configure(hass, flow_id, {CONF_URL: url, "verify_ssl": True})
    await configure(hass, flow_id, {CONF_URL: server.url, "verify_ssl": True})
    # The sign-in form takes exactly one way: a username and password, or a token.
    for form in (
        {},
        {CONF_PASSWORD: MA_PASSWORD, CONF_TOKEN: MA_TOKEN},
        {CONF_USERNAME: MA_USERNAME},
        {CONF_PASSWORD: MA_PASSWORD},
        {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: "wrong"},
    ):
        await configure(hass, flow_id, form)
    result = await configure(
        hass, flow_id, {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: MA_PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]

    # Discovery: a known server, a broken announcement, a new server announced twice.
    for info in (zeroconf_info(server), zeroconf_info(other, server_id=None)):
        await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
        )
    for _ in range(2):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(other)
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_in_progress"
    for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
        hass.config_entries.flow.async_abort(flow["flow_id"])

    # Reauthentication with a token, and reconfiguration to another server.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_REAUTH, "entry_id": entry.entry_id}, data=entry.data
    )
    await configure(hass, result["flow_id"], {CONF_TOKEN: "wrong"})
    await configure(hass, result["flow_id"], {CONF_TOKEN: MA_TOKEN})
    for url in (other.url, server.url):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
        )
        await configure(hass, result["flow_id"], {CONF_URL: url, "verify_ssl": True})

    assert seen(check_flow_translations) >= {
        "step.music_assistant", "step.music_assistant_auth",
        "step.music_assistant_reauth_confirm", "step.music_assistant_discovery_confirm",
        "step.music_assistant_reconfigure", "error.invalid_url",
        "error.music_assistant_cannot_connect", "error.invalid_auth",
        "error.music_assistant_no_way", "error.music_assistant_two_ways",
        "error.music_assistant_password_missing", "error.music_assistant_username_missing",
        "abort.music_assistant_already_configured", "abort.invalid_discovery_info",
        "abort.already_in_progress", "abort.reauth_successful", "abort.wrong_server",
        "abort.reconfigure_successful",
    }  # fmt: skip


@pytest.mark.usefixtures("tolerate_tls_handshake_failures")
async def test_music_assistant_server_errors(
    hass: HomeAssistant,
    ma_server_factory: MaServerFactory,
    ma_certificate: SelfSignedCertificate,
    not_ma_server: Callable[..., Awaitable[str]],  # noqa: F811 (the imported fixture)
    check_flow_translations: FlowTranslationCheck,
) -> None:
    plain = await ma_server_factory(users={})  # not set up: no sign-in possible
    tls = await ma_server_factory(ssl_context=ma_certificate.server_context())
    too_new = await ma_server_factory(min_supported_schema_version=999)
    too_new.create_token(MA_USERNAME, "Scrobbler tests", token=MA_TOKEN)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    flow_id = result["flow_id"]
    await configure(hass, flow_id, {"next_step_id": "music_assistant"})
    for url in (
        await not_ma_server(404, "<html>Not found</html>"),
        plain.url.replace("http://", "https://"),
        tls.url,
    ):
        await configure(hass, flow_id, {CONF_URL: url, "verify_ssl": True})
    for server, form in (
        (plain, {CONF_USERNAME: MA_USERNAME, CONF_PASSWORD: "x"}),
        (too_new, {CONF_TOKEN: MA_TOKEN}),
    ):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        flow_id = result["flow_id"]
        await configure(hass, flow_id, {"next_step_id": "music_assistant"})
        await configure(hass, flow_id, {CONF_URL: server.url, "verify_ssl": True})
        await configure(hass, flow_id, form)

    assert seen(check_flow_translations) >= {
        "error.not_music_assistant", "error.tls_failed", "error.ssl_error",
        "error.login_failed", "error.incompatible_server",
    }  # fmt: skip


async def test_the_check_finds_what_is_missing(hass: HomeAssistant) -> None:
    """The fixture's check itself: each kind of untranslated result is reported."""
    check = FlowTranslationCheck()
    flow = SimpleNamespace(handler=DOMAIN, context={"title_placeholders": {}})
    results: list[dict[str, Any]] = [
        {"type": FlowResultType.ABORT, "reason": "no_such_reason"},
        {"type": FlowResultType.ABORT, "reason": "wrong_account", "translation_domain": "x"},
        {"type": FlowResultType.SHOW_PROGRESS, "step_id": "s", "progress_action": "no_such"},
        {"type": FlowResultType.MENU, "step_id": "user", "menu_options": ["no_such_option"]},
        {"type": FlowResultType.FORM, "step_id": "lastfm_reauth_confirm", "errors": {}},
        {"type": FlowResultType.FORM, "step_id": "s", "errors": {"field": "cannot_connect"}},
    ]
    for result in results:
        check.check(hass.config_entries.flow, flow, result)  # type: ignore[arg-type]
    assert check.problems == [
        "scrobbler: config.abort.no_such_reason has no translation",
        "x: config.abort.wrong_account has no translation",
        "scrobbler: config.progress.no_such has no translation",
        "scrobbler: config.step.user.menu_options.no_such_option has no translation",
        "scrobbler: config.step.lastfm_reauth_confirm.title gets no value for ['username']",
        "scrobbler: config.step.lastfm_reauth_confirm.description gets no value for ['username']",
        "config.step.s: error 'cannot_connect' is on 'field', not on the form",
    ]


async def test_repair_issues_are_checked(
    hass: HomeAssistant, check_flow_translations: FlowTranslationCheck
) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        "an_issue",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="no_such_issue",
    )
    assert check_flow_translations.problems == [
        "scrobbler: issues.no_such_issue.title has no translation",
        "scrobbler: issues.no_such_issue.description has no translation",
    ]
    check_flow_translations.problems.clear()
