"""Config-flow steps of the Music Assistant branch.

Server URL and TLS choice → the server's ``/info`` (unique id = its ``server_id``) → on servers
that require sign-in (schema 28 and later) one form with both ways to sign in: a username and
password, or a long-lived token pasted from MA's profile page. A password is only used to create
a long-lived token named after the integration and this Home Assistant; it is never stored.
Reauthentication shows the same form, saying which entry's token the server rejected.
"""

from collections.abc import Mapping
from typing import Any, Final, override

from aiohttp import ClientSession
from homeassistant.config_entries import SOURCE_REAUTH, ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_TOKEN, CONF_URL, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from music_assistant_models.api import ServerInfoMessage
import voluptuous as vol
from yarl import URL

from .const import CONF_KIND, EntryKind
from .music_assistant_api import (
    AUTH_SCHEMA_VERSION,
    DEFAULT_PORT,
    MusicAssistantSetupError,
    SetupError,
    async_check_token,
    async_create_long_lived_token,
    async_get_server_info,
    async_login,
    normalize_url,
)
from .source_flow import choices
from .sources import async_add_server_to_accounts, entries_of_kind

DEFAULT_URL: Final = f"http://mass.local:{DEFAULT_PORT}"

EXAMPLE_URL: Final = f"http://192.168.1.10:{DEFAULT_PORT}"

STEP_AUTH: Final = "music_assistant_auth"
STEP_REAUTH: Final = "music_assistant_reauth_confirm"

SERVER_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
        vol.Required(CONF_VERIFY_SSL, default=True): bool,
    }
)
SIGN_IN_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(CONF_USERNAME): TextSelector(
            TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username")
        ),
        vol.Optional(CONF_PASSWORD): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
        ),
        vol.Optional(CONF_TOKEN): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="off")
        ),
    }
)


def ma_title(url: str) -> str:
    """Return the title of the entry of the server at ``url``."""
    return f"Music Assistant ({URL(url).host})"


def _titles_made(url: str, server_name: str | None) -> set[str]:
    """Return the titles this integration gives, or gave, the entry of a server at ``url``."""
    # Earlier versions used the server's name, or "Music Assistant host".
    titles = {ma_title(url), f"Music Assistant {URL(url).host}"}
    if server_name:
        titles.add(server_name)
    return titles


def _error_key(error: SetupError) -> str:
    """Return the translation key of the form error for a failure."""
    if error is SetupError.CANNOT_CONNECT:
        return "music_assistant_cannot_connect"  # names the host
    return error.value


def _sign_in_way(
    user_input: dict[str, Any], errors: dict[str, str]
) -> tuple[str, str] | str | None:
    """Return ``(username, password)`` or the token the user entered; fill ``errors`` if unclear.

    Exactly one way: a username with its password, or a token. A username without a password
    beside a token is the one the form kept after a failed sign-in: the token is meant.
    """
    username = str(user_input.get(CONF_USERNAME) or "").strip()
    password = str(user_input.get(CONF_PASSWORD) or "")
    token = str(user_input.get(CONF_TOKEN) or "").strip()
    if token and password:
        errors["base"] = "music_assistant_two_ways"
    elif token:
        return token
    elif username and password:
        return username, password
    elif username:
        errors[CONF_PASSWORD] = "music_assistant_password_missing"
    elif password:
        errors[CONF_USERNAME] = "music_assistant_username_missing"
    else:
        errors["base"] = "music_assistant_no_way"
    return None


# The Last.fm accounts that scrobble a new server (a field of a form).
CONF_ACCOUNTS: Final = "accounts"


class MusicAssistantFlow(ConfigFlow):
    """Steps that add, reauthenticate and reconfigure a Music Assistant entry."""

    # The server being added or signed in to again, and the name it announced (zeroconf).
    _ma_url: str = ""
    _ma_verify_ssl: bool = True
    _ma_name: str | None = None
    # The title and data of the new entry, while the accounts that scrobble it are chosen,
    # and those accounts.
    _ma_new_entry: tuple[str, dict[str, Any]] | None = None
    _ma_accounts: list[str] | None = None

    async def async_step_music_assistant(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server's URL and whether to verify its TLS certificate."""
        errors: dict[str, str] = {}
        if user_input is not None:
            info = await self._async_ma_read_server(user_input, errors)
            if info is not None:
                await self.async_set_unique_id(info.server_id, raise_on_progress=False)
                self._ma_abort_if_configured(
                    {CONF_URL: self._ma_url, CONF_VERIFY_SSL: self._ma_verify_ssl}
                )
                return await self._async_ma_after_server_info(info)
        return self.async_show_form(
            step_id="music_assistant",
            data_schema=self.add_suggested_values_to_schema(
                SERVER_SCHEMA, user_input or {CONF_URL: DEFAULT_URL}
            ),
            description_placeholders=self._ma_placeholders(),
            errors=errors,
        )

    @override
    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """Handle a server announced as ``{server_id}._mass._tcp.local.``."""
        properties = discovery_info.properties
        try:
            server_id = properties["server_id"]
            url = normalize_url(properties["base_url"])
        except KeyError, TypeError, AttributeError, ValueError:
            return self.async_abort(reason="invalid_discovery_info")
        if not isinstance(server_id, str) or not server_id:
            return self.async_abort(reason="invalid_discovery_info")
        await self.async_set_unique_id(server_id)
        # A known server only gets its new address.
        self._ma_abort_if_configured({CONF_URL: url})
        self._ma_url = url
        self._ma_verify_ssl = True
        self._ma_name = properties.get("name") or URL(url).host
        self.context["title_placeholders"] = {"name": self._ma_name or url}
        return await self.async_step_music_assistant_discovery_confirm()

    async def async_step_music_assistant_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user confirm a discovered server."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                info = await async_get_server_info(self._ma_session(), self._ma_url)
            except MusicAssistantSetupError as err:
                errors["base"] = _error_key(err.error)
            else:
                if info.server_id != self.unique_id:
                    return self.async_abort(reason="wrong_server")
                return await self._async_ma_after_server_info(info)
        self._set_confirm_only()
        return self.async_show_form(
            step_id="music_assistant_discovery_confirm",
            description_placeholders=self._ma_placeholders(name=self._ma_name or self._ma_url),
            errors=errors,
        )

    async def async_step_music_assistant_auth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in with a username and password, or with a token: both ways on one form."""
        return await self._async_ma_sign_in(STEP_AUTH, user_input)

    async def async_step_music_assistant_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Sign in again when the server rejects the token."""
        self._ma_url = entry_data[CONF_URL]
        self._ma_verify_ssl = entry_data.get(CONF_VERIFY_SSL, True)
        return await self.async_step_music_assistant_reauth_confirm()

    async def async_step_music_assistant_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Say which token the server rejected; sign in again, either way."""
        return await self._async_ma_sign_in(
            STEP_REAUTH, user_input, name=self._get_reauth_entry().title
        )

    async def async_step_music_assistant_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the URL and TLS choice of the same server."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            info = await self._async_ma_read_server(user_input, errors)
            if info is not None:
                await self.async_set_unique_id(info.server_id)
                self._abort_if_unique_id_mismatch(reason="wrong_server")
                made = entry.title in _titles_made(entry.data[CONF_URL], info.name)
                return self.async_update_reload_and_abort(
                    entry,
                    # A title this integration made follows the address; a user's stays.
                    title=ma_title(self._ma_url) if made else entry.title,
                    data_updates={CONF_URL: self._ma_url, CONF_VERIFY_SSL: self._ma_verify_ssl},
                )
        return self.async_show_form(
            step_id="music_assistant_reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                SERVER_SCHEMA, user_input or dict(entry.data)
            ),
            description_placeholders=self._ma_placeholders(name=entry.title),
            errors=errors,
        )

    async def _async_ma_sign_in(
        self, step_id: str, user_input: dict[str, Any] | None, **placeholders: str
    ) -> ConfigFlowResult:
        """Show the sign-in form; sign in the one way the user filled in."""
        errors: dict[str, str] = {}
        if user_input is not None and (way := _sign_in_way(user_input, errors)) is not None:
            try:
                if isinstance(way, str):
                    token = way
                    info = await async_check_token(self._ma_session(), self._ma_url, token)
                    if info.server_id != self._ma_server_id():
                        return self.async_abort(reason="wrong_server")
                else:
                    token, info = await self._async_ma_login(*way)
            except MusicAssistantSetupError as err:
                if err.error is SetupError.WRONG_SERVER:
                    return self.async_abort(reason="wrong_server")
                errors["base"] = _error_key(err.error)
            else:
                return await self._async_ma_finish(info, token)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                SIGN_IN_SCHEMA, {CONF_USERNAME: (user_input or {}).get(CONF_USERNAME)}
            ),
            description_placeholders=self._ma_placeholders(**placeholders),
            errors=errors,
        )

    async def _async_ma_login(self, username: str, password: str) -> tuple[str, ServerInfoMessage]:
        """Sign in with a password; return a new long-lived token and the server's info."""
        session = self._ma_session()
        token_name = f"Scrobbler ({self.hass.config.location_name})"
        session_token = await async_login(session, self._ma_url, username, password, token_name)
        return await async_create_long_lived_token(
            session, self._ma_url, session_token, token_name, self._ma_server_id()
        )

    def _ma_placeholders(self, **extra: str) -> dict[str, str]:
        """Return the placeholders of every form of this branch (errors use them too)."""
        url = self._ma_url or DEFAULT_URL
        return {"url": url, "host": URL(url).host or url, "example_url": EXAMPLE_URL, **extra}

    def _ma_abort_if_configured(self, updates: dict[str, Any]) -> None:
        """Abort, naming the entry, if the server is set up already; update its address."""
        entry = self.hass.config_entries.async_entry_for_domain_unique_id(
            self.handler, self.unique_id or ""
        )
        self._abort_if_unique_id_configured(
            updates=updates,
            error="music_assistant_already_configured",
            description_placeholders={"name": entry.title if entry else ""},
        )

    def _ma_session(self) -> ClientSession:
        """Return HA's shared HTTP session with the TLS choice of this flow."""
        return async_get_clientsession(self.hass, verify_ssl=self._ma_verify_ssl)

    def _ma_server_id(self) -> str | None:
        """Return the server_id the sign-in must reach."""
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry().unique_id
        return self.unique_id

    async def _async_ma_read_server(
        self, user_input: dict[str, Any], errors: dict[str, str]
    ) -> ServerInfoMessage | None:
        """Read the info of the server the user entered; fill ``errors`` on failure."""
        try:
            url = normalize_url(user_input[CONF_URL])
        except ValueError:
            errors[CONF_URL] = "invalid_url"
            return None
        self._ma_url = url
        self._ma_verify_ssl = user_input[CONF_VERIFY_SSL]
        try:
            info = await async_get_server_info(self._ma_session(), url)
        except MusicAssistantSetupError as err:
            errors["base"] = _error_key(err.error)
            return None
        return info

    async def _async_ma_after_server_info(self, info: ServerInfoMessage) -> ConfigFlowResult:
        """Create the entry of a server without sign-in, or ask how to sign in."""
        if info.schema_version < AUTH_SCHEMA_VERSION:
            return await self._async_ma_finish(info, None)
        return await self.async_step_music_assistant_auth()

    async def _async_ma_finish(
        self, info: ServerInfoMessage, token: str | None
    ) -> ConfigFlowResult:
        """Store the token of a reauthenticated entry, or create the entry."""
        if self.source == SOURCE_REAUTH:
            return self.async_update_reload_and_abort(
                self._get_reauth_entry(), data_updates={CONF_TOKEN: token}
            )
        data: dict[str, Any] = {
            CONF_KIND: EntryKind.MUSIC_ASSISTANT.value,
            CONF_URL: self._ma_url,
            CONF_VERIFY_SSL: self._ma_verify_ssl,
        }
        if token is not None:
            data[CONF_TOKEN] = token
        if entries_of_kind(self.hass, EntryKind.LASTFM):
            self._ma_new_entry = (ma_title(self._ma_url), data)
            return await self.async_step_music_assistant_accounts()
        return self.async_create_entry(title=ma_title(self._ma_url), data=data)

    async def async_step_music_assistant_accounts(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer to scrobble the server's players to the Last.fm accounts."""
        if self._ma_new_entry is None:
            return self.async_abort(reason="unknown")
        title, data = self._ma_new_entry
        if user_input is not None:
            self._ma_accounts = user_input.get(CONF_ACCOUNTS, [])
            return self.async_create_entry(title=title, data=data)
        accounts = {
            entry.entry_id: entry.title for entry in entries_of_kind(self.hass, EntryKind.LASTFM)
        }
        # One account: it is the household's. Several: each player may be someone else's.
        chosen = list(accounts) if len(accounts) == 1 else []
        return self.async_show_form(
            step_id="music_assistant_accounts",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Optional(CONF_ACCOUNTS, default=[]): choices(accounts)}),
                {CONF_ACCOUNTS: chosen},
            ),
            description_placeholders={"server": title},
        )

    @override
    async def async_on_create_entry(self, result: ConfigFlowResult) -> ConfigFlowResult:
        """Make all players of a new server a source of the accounts chosen."""
        if self._ma_accounts and (entry := result.get("result")) is not None:
            async_add_server_to_accounts(self.hass, entry.entry_id, self._ma_accounts)
        return await super().async_on_create_entry(result)
