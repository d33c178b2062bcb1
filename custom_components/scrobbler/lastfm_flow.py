"""Config-flow steps of the Last.fm branch.

The normal path is the desktop authorization of Last.fm: the user gives the key and secret of
their API account (``lastfm_api_key``; a custom server's addresses on a second form,
``lastfm_server``); the flow gets a token and sends the user to the authorization page (an
external step, ``lastfm_authorize``) while a background task polls ``auth.getSession``, renews
the token when it expires, and moves the flow on by itself once the user has approved. After a
while without approval, a menu offers "I have approved" and "wait for my approval"
(``lastfm_approve``). The other path imports the credentials file of ``acr_lastfm_auth``
(``lastfm_import``). Reauthentication (which can take a new API key and secret) and
reconfiguration run the same approval.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
import re
from typing import Any, override
from urllib.parse import urlsplit

from homeassistant.components.file_upload import process_uploaded_file
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.const import CONF_API_KEY, CONF_USERNAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import AbortFlow, UnknownFlow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    FileSelector,
    FileSelectorConfig,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import (
    CONF_API_ROOT,
    CONF_API_SECRET,
    CONF_AUTH_URL,
    CONF_KIND,
    CONF_SERVICE,
    CONF_SESSION_KEY,
    LOGGER,
    EntryKind,
)
from .lastfm.client import LastfmClient, auth_page_url
from .lastfm.credentials import (
    CredentialsError,
    CredentialsFormatError,
    CredentialsMissingSessionKeyError,
    parse_credentials,
)
from .lastfm.errors import (
    LastfmAuthError,
    LastfmError,
    LastfmInvalidApiKeyError,
    LastfmInvalidSignatureError,
    LastfmTemporaryError,
    LastfmTokenExpiredError,
    LastfmTokenNotAuthorizedError,
)
from .lastfm.models import Session
from .lastfm.services import (
    CUSTOM_ID,
    KNOWN_SERVICES,
    LASTFM,
    LastfmService,
    custom_service,
    normalize_api_root,
    service_name,
)
from .lastfm_account import title_of, unique_id_of
from .playback import CONF_PLAYERS
from .source_flow import choices
from .sources import chosen_sources, offered_players

# How the flow waits for the approval: one auth.getSession every POLL_INTERVAL seconds,
# POLL_ROUNDS times, then the fallback menu. Tokens live 60 minutes (Last.fm's auth spec).
POLL_INTERVAL = 3.0
POLL_ROUNDS = 60
TOKEN_LIFETIME = timedelta(minutes=60)

CONF_CREDENTIALS = "credentials"
CONF_CREDENTIALS_FILE = "credentials_file"

_HEX32 = re.compile(r"[0-9a-fA-F]{32}")

# Where to create an API account, and examples of a custom server's addresses: description
# placeholders, as translations carry no URLs.
URL_PLACEHOLDERS = {
    "api_account_url": "https://www.last.fm/api/account/create",
    "example_api_root": "https://example.org/2.0/",
    "example_auth_url": "https://example.org/api/auth/",
}

_SECRET_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_SERVICE_FIELD: dict[vol.Marker, Any] = {
    vol.Required(CONF_SERVICE, default=LASTFM.id): SelectSelector(
        SelectSelectorConfig(
            options=[*KNOWN_SERVICES, CUSTOM_ID],
            mode=SelectSelectorMode.LIST,
            translation_key="lastfm_service",
        )
    ),
}
_SERVICE_FIELDS: dict[vol.Marker, Any] = {
    **_SERVICE_FIELD,
    vol.Optional(CONF_API_ROOT): _URL_SELECTOR,
    vol.Optional(CONF_AUTH_URL): _URL_SELECTOR,
}
API_KEY_SCHEMA = vol.Schema(
    {
        **_SERVICE_FIELD,
        vol.Required(CONF_API_KEY): str,
        vol.Required(CONF_API_SECRET): _SECRET_SELECTOR,
    }
)
# Reconfiguring keeps the service; only a custom server gets new addresses (it moved).
_RECONFIGURE_KEY_FIELDS: dict[vol.Marker, Any] = {
    vol.Required(CONF_API_KEY): str,
    # Left empty, the stored secret stays.
    vol.Optional(CONF_API_SECRET): _SECRET_SELECTOR,
}
RECONFIGURE_SCHEMA = vol.Schema(_RECONFIGURE_KEY_FIELDS)
# Asked only when the service is "another server".
SERVER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_API_ROOT): _URL_SELECTOR,
        vol.Required(CONF_AUTH_URL): _URL_SELECTOR,
    }
)
REAUTH_SCHEMA = vol.Schema(
    {
        # Left empty, the stored key and secret stay.
        vol.Optional(CONF_API_KEY): str,
        vol.Optional(CONF_API_SECRET): _SECRET_SELECTOR,
    }
)
RECONFIGURE_CUSTOM_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_API_ROOT): _URL_SELECTOR,
        vol.Required(CONF_AUTH_URL): _URL_SELECTOR,
        **_RECONFIGURE_KEY_FIELDS,
    }
)
IMPORT_SCHEMA = vol.Schema(
    {
        **_SERVICE_FIELD,
        vol.Optional(CONF_CREDENTIALS): _SECRET_SELECTOR,
        vol.Optional(CONF_CREDENTIALS_FILE): FileSelector(
            FileSelectorConfig(accept=".json,application/json")
        ),
    }
)
# The forms of a new entry, by step; the server form comes after one of the others.
_ENTRY_FORMS = {
    "lastfm_api_key": API_KEY_SCHEMA,
    "lastfm_server": SERVER_SCHEMA,
    "lastfm_import": IMPORT_SCHEMA,
}


class FormError(Exception):
    """Input a form must show an error for, by field (``base`` for the whole form)."""

    def __init__(self, errors: dict[str, str]) -> None:
        """Carry the errors to show."""
        super().__init__(", ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class LastfmApi:
    """Where the flow talks to, with which API account."""

    service: LastfmService
    api_key: str
    api_secret: str = field(repr=False)

    def client(self, hass: HomeAssistant, session_key: str | None = None) -> LastfmClient:
        """Return a client of this API account on Home Assistant's HTTP session."""
        return LastfmClient(
            async_get_clientsession(hass),
            self.api_key,
            self.api_secret,
            session_key=session_key,
            api_root=self.service.api_root,
        )


class Poll(StrEnum):
    """How waiting for the approval ended, when it did not end with a session."""

    EXPIRED = "expired"
    NOT_YET = "not_yet"


@dataclass(slots=True)
class Approval:
    """A desktop authorization under way: the API account and its current token."""

    api: LastfmApi
    client: LastfmClient
    token: str = field(default="", repr=False)
    issued: datetime = field(default_factory=dt_util.utcnow)

    @property
    def link(self) -> str:
        """Return the page where the user approves the token."""
        return auth_page_url(self.api.service.auth_url, self.api.api_key, self.token)

    async def async_new_token(self) -> None:
        """Get a fresh token (auth.getToken)."""
        self.token = await self.client.get_token()
        self.issued = dt_util.utcnow()

    async def async_get_session(self) -> Session | Poll:
        """Ask once for the session of the token."""
        if dt_util.utcnow() - self.issued >= TOKEN_LIFETIME:
            return Poll.EXPIRED
        try:
            return await self.client.get_session(self.token)
        except LastfmTokenNotAuthorizedError:
            return Poll.NOT_YET
        except LastfmTokenExpiredError:
            return Poll.EXPIRED

    async def async_wait(self, on_new_link: Callable[[], Awaitable[None]]) -> Session | Poll:
        """Poll until the user approves, at most POLL_ROUNDS times per token.

        An expired token is replaced at once (``on_new_link`` is awaited then); ``Poll.NOT_YET``
        means the rounds ran out.
        """
        rounds = 0
        while rounds < POLL_ROUNDS:
            rounds += 1
            await asyncio.sleep(POLL_INTERVAL)
            try:
                outcome = await self.async_get_session()
            except LastfmTemporaryError as err:
                LOGGER.debug("Still waiting for the approval: %s", err)
                continue
            if outcome is Poll.EXPIRED:
                await self.async_new_token()
                await on_new_link()
                rounds = 0
            elif outcome is not Poll.NOT_YET:
                return outcome
        return Poll.NOT_YET


class LastfmFlow(ConfigFlow):
    """Steps that add, reauthenticate and reconfigure a Last.fm entry."""

    _lastfm_approval: Approval | None = None
    _lastfm_task: asyncio.Task[None] | None = None
    # How the wait of the task ended, until the step reads it.
    _lastfm_outcome: Session | Poll | Exception | None = None
    _lastfm_session: Session | None = None
    # The form that shows errors of the approval, and its errors.
    _lastfm_form = "lastfm_api_key"
    _lastfm_error: dict[str, str] | None = None
    # What was typed in the forms of a new entry, and the form that asked for the server.
    _lastfm_input: dict[str, Any] | None = None
    _lastfm_origin = "lastfm_api_key"
    # The uploaded credentials file (id and text): the upload is gone once read.
    _lastfm_upload: tuple[str, str] | None = None
    # The title and data of the new entry, while its scrobble sources are chosen.
    _lastfm_new_entry: tuple[str, dict[str, Any]] | None = None

    async def async_step_lastfm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose between approving with an API account and importing credentials."""
        return self.async_show_menu(
            step_id="lastfm", menu_options=["lastfm_api_key", "lastfm_import"]
        )

    async def async_step_lastfm_api_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the service and the API account, then get a token."""
        if user_input is not None:
            self._lastfm_async_keep_input("lastfm_api_key", user_input)
            if user_input.get(CONF_SERVICE) == CUSTOM_ID:
                if errors := _key_errors(custom_service("", ""), user_input):
                    return self._lastfm_show_entry_form("lastfm_api_key", errors)
                return await self.async_step_lastfm_server()
        return await self._lastfm_async_approval_form("lastfm_api_key", None, user_input, None)

    async def async_step_lastfm_server(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the addresses of another server, then go on as the form before asked."""
        submitted = None
        if user_input is not None:
            submitted = self._lastfm_input = (self._lastfm_input or {}) | user_input
        if self._lastfm_origin == "lastfm_import":
            return await self._lastfm_async_import_form("lastfm_server", submitted)
        return await self._lastfm_async_approval_form("lastfm_server", None, submitted, None)

    async def async_step_lastfm_authorize(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Send the user to the authorization page while a task waits for the approval."""
        return self._lastfm_wait("lastfm_authorize")

    async def async_step_lastfm_not_approved(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The same, after "I have approved" came before the service knew it."""
        return self._lastfm_wait("lastfm_not_approved")

    async def async_step_lastfm_approve(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer to check the approval now, or to wait for it again."""
        return self.async_show_menu(
            step_id="lastfm_approve",
            menu_options=["lastfm_check", "lastfm_authorize"],
            description_placeholders={"url": _required(self._lastfm_approval).link},
        )

    async def async_step_lastfm_check(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Check once whether the user has approved (the "I have approved" button)."""
        approval = _required(self._lastfm_approval)
        try:
            outcome = await approval.async_get_session()
            if outcome is Poll.EXPIRED:
                await approval.async_new_token()
        except LastfmError as err:
            self._lastfm_error = _errors_of(err)
            step = getattr(self, f"async_step_{self._lastfm_form}")
            result: ConfigFlowResult = await step()
            return result
        if isinstance(outcome, Session):
            self._lastfm_session = outcome
            return await self.async_step_lastfm_finish()
        if outcome is Poll.EXPIRED:
            return await self.async_step_lastfm_authorize()
        # The service does not know of the approval yet: wait for it.
        return await self.async_step_lastfm_not_approved()

    async def async_step_lastfm_finish(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Create or update the entry of the approved account."""
        api = _required(self._lastfm_approval).api
        return await self._lastfm_async_finish(api, _required(self._lastfm_session))

    async def async_step_lastfm_import(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Import the credentials file of acr_lastfm_auth, pasted or uploaded."""
        if user_input is not None:
            self._lastfm_async_keep_input("lastfm_import", user_input)
            if user_input.get(CONF_SERVICE) == CUSTOM_ID:
                if errors := _source_errors(user_input):
                    return self._lastfm_show_entry_form("lastfm_import", errors)
                return await self.async_step_lastfm_server()
        return await self._lastfm_async_import_form("lastfm_import", user_input)

    async def async_step_lastfm_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Reauthenticate a Last.fm entry whose session key or API key was rejected."""
        return await self.async_step_lastfm_reauth_confirm()

    async def async_step_lastfm_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Tell the user that the account must approve again, then get a token.

        The form holds the API key (and an empty secret): if the service rejects the stored
        one (unknown or suspended), the error shows on its field and a new key and secret go
        there; left as they are, the stored ones are used.
        """
        entry = self._get_reauth_entry()
        return await self._lastfm_async_approval_form(
            "lastfm_reauth_confirm",
            REAUTH_SCHEMA,
            None if user_input is None else entry.data | _filled(user_input),
            _filled(user_input or entry.data, drop=CONF_API_SECRET),
            username=entry.data[CONF_USERNAME],
        )

    async def async_step_lastfm_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the API account of a Last.fm entry, or where its custom server moved; approve again.

        The account stays: its service (Last.fm, Libre.fm or a custom server) and, once
        approved, its user.
        """
        entry = self._get_reconfigure_entry()
        custom = entry.data[CONF_SERVICE] == CUSTOM_ID
        submitted = None if user_input is None else entry.data | _filled(user_input)
        if custom and submitted is not None and _is_known_service(submitted[CONF_API_ROOT]):
            self._lastfm_error = {CONF_API_ROOT: "lastfm_other_service"}
            submitted = None
        if submitted is not None:  # no approval for an account another entry has
            self._lastfm_abort_if_other_entry(submitted)
        return await self._lastfm_async_approval_form(
            "lastfm_reconfigure",
            RECONFIGURE_CUSTOM_SCHEMA if custom else RECONFIGURE_SCHEMA,
            submitted,
            _filled(user_input or entry.data, drop=CONF_API_SECRET),
            username=entry.data[CONF_USERNAME],
        )

    def _lastfm_abort_if_other_entry(self, data: Mapping[str, Any]) -> None:
        """Abort reconfiguring an entry onto the account of another entry; name that account."""
        username, api_root = data[CONF_USERNAME], data[CONF_API_ROOT]
        unique_id = unique_id_of(api_root, username)
        other = self.hass.config_entries.async_entry_for_domain_unique_id(self.handler, unique_id)
        if other is not None and other.entry_id != self._get_reconfigure_entry().entry_id:
            service = service_name(data[CONF_SERVICE], api_root)
            placeholders = {CONF_USERNAME: username, "service": service}
            reason = "lastfm_already_configured"
            raise AbortFlow(reason, placeholders)

    @callback
    @override
    def async_remove(self) -> None:
        """Stop waiting for the approval when the flow goes away."""
        if self._lastfm_task is not None:
            self._lastfm_task.cancel()
            self._lastfm_task = None
        super().async_remove()

    @callback
    def _lastfm_async_keep_input(self, step_id: str, user_input: dict[str, Any]) -> None:
        """Keep what a form of a new entry got (a custom server's addresses stay)."""
        server = {
            key: value
            for key, value in (self._lastfm_input or {}).items()
            if key in (CONF_API_ROOT, CONF_AUTH_URL)
        }
        self._lastfm_origin = step_id
        self._lastfm_input = server | user_input

    @callback
    def _lastfm_show_entry_form(self, step_id: str, errors: dict[str, str]) -> ConfigFlowResult:
        """Show a form of a new entry with what was typed.

        Errors that are not about the server's addresses or its reachability go back to the
        form that asked for the server, where their fields are.
        """
        if step_id == "lastfm_server" and not all(
            key in (CONF_API_ROOT, CONF_AUTH_URL) or error == "cannot_connect"
            for key, error in errors.items()
        ):
            step_id = self._lastfm_origin
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                _ENTRY_FORMS[step_id], _filled(self._lastfm_input)
            ),
            description_placeholders=URL_PLACEHOLDERS,
            errors=errors,
        )

    async def _lastfm_async_approval_form(
        self,
        step_id: str,
        schema: vol.Schema | None,
        submitted: Mapping[str, Any] | None,
        suggested: Mapping[str, Any] | None,
        *,
        username: str | None = None,
    ) -> ConfigFlowResult:
        """Show a form that starts the approval, or start it with what was submitted.

        The form also shows the errors of an approval that started from it and failed. The
        forms of a new entry (``_ENTRY_FORMS``) bring their own schema and suggestions.
        """
        self._lastfm_form = step_id
        errors = self._lastfm_error or {}
        self._lastfm_error = None
        if submitted is not None:
            try:
                await self._lastfm_async_begin(_parse_api(submitted))
            except FormError as err:
                errors = err.errors
            else:
                return await self.async_step_lastfm_authorize()
        if step_id in _ENTRY_FORMS:
            return self._lastfm_show_entry_form(step_id, errors)
        placeholders = dict(URL_PLACEHOLDERS)
        if username:
            placeholders[CONF_USERNAME] = username
        return self.async_show_form(
            step_id=step_id,
            data_schema=schema and self.add_suggested_values_to_schema(schema, suggested),
            description_placeholders=placeholders,
            errors=errors,
        )

    async def _lastfm_async_import_form(
        self, step_id: str, submitted: Mapping[str, Any] | None
    ) -> ConfigFlowResult:
        """Show the import form (or the server's), or import what was submitted."""
        errors: dict[str, str] = {}
        if submitted is not None:
            try:
                api, session = await self._lastfm_async_import(submitted)
            except FormError as err:
                errors = err.errors
            else:
                return await self._lastfm_async_finish(api, session)
        return self._lastfm_show_entry_form(step_id, errors)

    async def _lastfm_async_begin(self, api: LastfmApi) -> None:
        """Get a first token for this API account."""
        approval = Approval(api, api.client(self.hass))
        try:
            await approval.async_new_token()
        except LastfmError as err:
            raise FormError(_errors_of(err)) from err
        self._lastfm_approval = approval

    @callback
    def _lastfm_wait(self, step_id: str) -> ConfigFlowResult:
        """Show the external step of the approval, or go on when the wait has ended.

        Nothing here awaits: the frontend (fetching the flow) and the task (when the wait ends
        or the link changes) may both configure the flow, in any order.
        """
        approval = _required(self._lastfm_approval)
        if (outcome := self._lastfm_outcome) is not None:
            self._lastfm_outcome = None
            self._lastfm_task = None
            if isinstance(outcome, Session):
                self._lastfm_session = outcome
                return self.async_external_step_done(next_step_id="lastfm_finish")
            if isinstance(outcome, Exception):
                self._lastfm_error = (
                    _errors_of(outcome) if isinstance(outcome, LastfmError) else {"base": "unknown"}
                )
                return self.async_external_step_done(next_step_id=self._lastfm_form)
            return self.async_external_step_done(next_step_id="lastfm_approve")
        if self._lastfm_task is None:
            self._lastfm_task = self.hass.async_create_task(
                self._lastfm_async_wait(approval),
                "scrobbler: wait for the approval of a Last.fm account",
            )
        return self.async_external_step(step_id=step_id, url=approval.link)

    async def _lastfm_async_wait(self, approval: Approval) -> None:
        """Wait for the approval, then move the flow on (as the frontend would)."""
        try:
            self._lastfm_outcome = await approval.async_wait(self._lastfm_async_new_link)
        except LastfmError as err:
            self._lastfm_outcome = err
        except Exception as err:  # noqa: BLE001 - the flow must go on, whatever failed
            LOGGER.exception("Unexpected error while waiting for the approval of a Last.fm account")
            self._lastfm_outcome = err
        with suppress(UnknownFlow):
            await self.hass.config_entries.flow.async_configure(self.flow_id)

    async def _lastfm_async_new_link(self) -> None:
        """Show the link of a renewed token (HA does not tell the frontend of a new URL)."""
        with suppress(UnknownFlow):
            await self.hass.config_entries.flow.async_configure(self.flow_id)
            self.async_notify_flow_changed()

    async def _lastfm_async_import(
        self, user_input: Mapping[str, Any]
    ) -> tuple[LastfmApi, Session]:
        """Read imported credentials and check them with a signed user.getInfo.

        Errors sit on the field the credentials came from.
        """
        if errors := _source_errors(user_input):
            raise FormError(errors)
        file_id = user_input.get(CONF_CREDENTIALS_FILE)
        source = CONF_CREDENTIALS_FILE if file_id else CONF_CREDENTIALS
        if file_id:
            if self._lastfm_upload is None or self._lastfm_upload[0] != file_id:
                text = await self.hass.async_add_executor_job(_read_uploaded, self.hass, file_id)
                self._lastfm_upload = (file_id, text)
            text = self._lastfm_upload[1]
        else:
            text = str(user_input[CONF_CREDENTIALS]).strip()
        try:
            credentials = parse_credentials(text)
        except CredentialsError as err:
            raise FormError({source: _credentials_error_key(err)}) from err
        session_key = _required(credentials.session_key)
        try:
            api = _parse_api(
                dict(user_input)
                | {CONF_API_KEY: credentials.api_key, CONF_API_SECRET: credentials.api_secret}
            )
        except FormError as err:
            # The key and the secret come from the credentials: they have no field of their own.
            raise FormError(_on_field(err.errors, source)) from err
        try:
            user = await api.client(self.hass, session_key).get_user_info()
        except (LastfmInvalidApiKeyError, LastfmInvalidSignatureError) as err:
            raise FormError({source: _error_key(err)}) from err
        except LastfmAuthError as err:
            raise FormError({source: "invalid_session_key"}) from err
        except LastfmError as err:
            raise FormError({"base": _error_key(err)}) from err
        return api, Session(name=user.name, key=session_key)

    async def _lastfm_async_finish(self, api: LastfmApi, session: Session) -> ConfigFlowResult:
        """Create the entry, or update the entry being reauthenticated or reconfigured."""
        unique_id = unique_id_of(api.service.api_root, session.name)
        await self.async_set_unique_id(unique_id)
        data = {
            CONF_KIND: EntryKind.LASTFM,
            CONF_SERVICE: api.service.id,
            CONF_API_ROOT: api.service.api_root,
            CONF_AUTH_URL: api.service.auth_url,
            CONF_API_KEY: api.api_key,
            CONF_API_SECRET: api.api_secret,
            CONF_SESSION_KEY: session.key,
            CONF_USERNAME: session.name,
        }
        title = title_of(data)
        if self.source == SOURCE_REAUTH:
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            return self.async_update_reload_and_abort(self._get_reauth_entry(), data=data)
        if self.source == SOURCE_RECONFIGURE:
            entry = self._get_reconfigure_entry()
            if session.name.lower() != entry.data[CONF_USERNAME].lower():
                return self.async_abort(
                    reason="lastfm_reconfigure_wrong_account",
                    description_placeholders={
                        CONF_USERNAME: entry.data[CONF_USERNAME],
                        "approved": session.name,
                    },
                )
            self._lastfm_abort_if_other_entry(data)
            # Entity and device ids derive from the entry id: a new unique id leaves them be.
            # A title the user has changed stays.
            return self.async_update_reload_and_abort(
                entry,
                unique_id=unique_id,
                title=title if entry.title == title_of(entry.data) else entry.title,
                data=data,
            )
        self._abort_if_unique_id_configured(
            error="lastfm_already_configured",
            description_placeholders={
                CONF_USERNAME: session.name,
                "service": service_name(data[CONF_SERVICE], data[CONF_API_ROOT]),
            },
        )
        if offered_players(self.hass):
            self._lastfm_new_entry = (title, data)
            return await self.async_step_lastfm_sources()
        return self.async_create_entry(title=title, data=data)

    async def async_step_lastfm_sources(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the players of the Music Assistant servers as sources, all chosen."""
        title, data = _required(self._lastfm_new_entry)
        if user_input is not None:
            sources = chosen_sources(self.hass, user_input.get(CONF_PLAYERS, []))
            return self.async_create_entry(title=title, data=data, subentries=sources)
        offered = offered_players(self.hass)
        return self.async_show_form(
            step_id="lastfm_sources",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Optional(CONF_PLAYERS, default=[]): choices(offered)}),
                {CONF_PLAYERS: list(offered)},
            ),
            description_placeholders={"account": title},
        )


def _is_known_service(api_root: str) -> bool:
    """Return whether an API root is the one of Last.fm or Libre.fm, however it is spelt."""
    root = normalize_api_root(api_root)
    return any(root == normalize_api_root(known.api_root) for known in KNOWN_SERVICES.values())


def _required[T](value: T | None) -> T:
    """Return a value the step needs, which an earlier step has set."""
    if value is None:
        reason = "unknown"  # only reachable by calling a step out of order
        raise AbortFlow(reason)
    return value


def _parse_api(user_input: Mapping[str, Any]) -> LastfmApi:
    """Check the service and the API account before any call."""
    errors: dict[str, str] = {}
    service = KNOWN_SERVICES.get(user_input.get(CONF_SERVICE, LASTFM.id))
    if service is None:
        api_root = str(user_input.get(CONF_API_ROOT, "")).strip()
        auth_url = str(user_input.get(CONF_AUTH_URL, "")).strip()
        for key, url in ((CONF_API_ROOT, api_root), (CONF_AUTH_URL, auth_url)):
            parts = urlsplit(url)
            # No credentials in an address: they would be stored and shown in clear.
            if parts.scheme not in {"http", "https"} or not parts.hostname or "@" in parts.netloc:
                errors[key] = "invalid_url"
        service = custom_service(api_root, auth_url)
    errors |= _key_errors(service, user_input)
    if errors:
        raise FormError(errors)
    return LastfmApi(
        service,
        str(user_input.get(CONF_API_KEY, "")).strip(),
        str(user_input.get(CONF_API_SECRET, "")).strip(),
    )


def _key_errors(service: LastfmService, user_input: Mapping[str, Any]) -> dict[str, str]:
    """Return the errors of an API key and secret that cannot be right for the service."""
    # Last.fm's keys and secrets are 32 hexadecimal characters; other services may differ.
    well_formed = _HEX32.fullmatch if service == LASTFM else bool
    errors: dict[str, str] = {}
    if not well_formed(str(user_input.get(CONF_API_KEY, "")).strip()):
        errors[CONF_API_KEY] = "invalid_api_key_format"
    if not well_formed(str(user_input.get(CONF_API_SECRET, "")).strip()):
        errors[CONF_API_SECRET] = "invalid_secret_format"
    return errors


def _source_errors(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Return the error of an import that has no credentials, or two sets of them."""
    pasted = bool(str(user_input.get(CONF_CREDENTIALS) or "").strip())
    if pasted == bool(user_input.get(CONF_CREDENTIALS_FILE)):
        return {"base": "lastfm_credentials_one_source"}
    return {}


def _filled(data: Mapping[str, Any] | None, *, drop: str | None = None) -> dict[str, Any]:
    """Return the filled-in values of a form, without the one to drop."""
    return {k: v for k, v in (data or {}).items() if k != drop and v not in (None, "")}


def _error_key(err: LastfmError) -> str:
    """Return the form error for a failed call."""
    match err:
        case LastfmInvalidSignatureError():
            return "invalid_secret"
        case LastfmAuthError():  # an unknown (10) or a suspended (26) API key
            return "invalid_api_key"
        case LastfmTemporaryError():
            return "cannot_connect"
        case _:
            return "unknown"


def _errors_of(err: LastfmError) -> dict[str, str]:
    """Return the form errors for a failed call: a rejected key or secret on its field."""
    key = _error_key(err)
    return {_ERROR_FIELDS.get(key, "base"): key}


_ERROR_FIELDS = {"invalid_api_key": CONF_API_KEY, "invalid_secret": CONF_API_SECRET}


def _on_field(errors: Mapping[str, str], name: str) -> dict[str, str]:
    """Return the first error, on one field (for input with no field of its own)."""
    return {name: next(iter(errors.values()))}


def _credentials_error_key(err: CredentialsError) -> str:
    """Return the form error for credentials that cannot be used."""
    match err:
        case CredentialsFormatError():
            return "lastfm_credentials_malformed"
        case CredentialsMissingSessionKeyError():
            return "lastfm_credentials_no_session_key"
        case _:  # no API key or no secret
            return "lastfm_credentials_incomplete"


def _read_uploaded(hass: HomeAssistant, file_id: str) -> str:
    """Read an uploaded file (in the executor: it is file I/O)."""
    with process_uploaded_file(hass, file_id) as path:
        return Path(path).read_text(encoding="utf-8", errors="replace")
