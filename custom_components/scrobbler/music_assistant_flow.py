"""Config-flow steps of the Music Assistant branch.

Server URL and TLS choice → the server's ``/info`` (unique id = its ``server_id``) → on servers
that require sign-in (schema 28 and later) a menu: username and password, or a long-lived token
pasted from MA's profile page. A password is only used to create a long-lived token named after
the integration and this Home Assistant; it is never stored.
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

DEFAULT_URL: Final = f"http://mass.local:{DEFAULT_PORT}"

STEP_LOGIN: Final = "music_assistant_login"
STEP_TOKEN: Final = "music_assistant_token"  # noqa: S105  # a step id

SERVER_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
        vol.Required(CONF_VERIFY_SSL, default=True): bool,
    }
)
LOGIN_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_USERNAME): TextSelector(
            TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username")
        ),
        vol.Required(CONF_PASSWORD): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
        ),
    }
)
TOKEN_SCHEMA: Final = vol.Schema(
    {vol.Required(CONF_TOKEN): TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))}
)


class MusicAssistantFlow(ConfigFlow):
    """Steps that add, reauthenticate and reconfigure a Music Assistant entry."""

    # The server being added or signed in to again.
    _ma_url: str = ""
    _ma_verify_ssl: bool = True
    _ma_name: str | None = None

    async def async_step_music_assistant(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server's URL and whether to verify its TLS certificate."""
        errors: dict[str, str] = {}
        if user_input is not None:
            info = await self._async_ma_read_server(user_input, errors)
            if info is not None:
                await self.async_set_unique_id(info.server_id, raise_on_progress=False)
                self._abort_if_unique_id_configured(
                    updates={CONF_URL: self._ma_url, CONF_VERIFY_SSL: self._ma_verify_ssl}
                )
                return await self._async_ma_after_server_info(info)
        return self.async_show_form(
            step_id="music_assistant",
            data_schema=self.add_suggested_values_to_schema(
                SERVER_SCHEMA, user_input or {CONF_URL: DEFAULT_URL}
            ),
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
        self._abort_if_unique_id_configured(updates={CONF_URL: url})
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
                errors["base"] = err.error
            else:
                if info.server_id != self.unique_id:
                    return self.async_abort(reason="wrong_server")
                return await self._async_ma_after_server_info(info)
        self._set_confirm_only()
        return self.async_show_form(
            step_id="music_assistant_discovery_confirm",
            description_placeholders={"name": self._ma_name or self._ma_url, "url": self._ma_url},
            errors=errors,
        )

    async def async_step_music_assistant_auth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask how to sign in: with a username and password, or with a token."""
        return self.async_show_menu(
            step_id="music_assistant_auth",
            menu_options=[STEP_LOGIN, STEP_TOKEN],
            description_placeholders={"url": self._ma_url},
        )

    async def async_step_music_assistant_login(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in with a username and password, to create a long-lived token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            session = self._ma_session()
            token_name = f"Scrobbler ({self.hass.config.location_name})"
            try:
                session_token = await async_login(
                    session,
                    self._ma_url,
                    user_input[CONF_USERNAME],
                    user_input[CONF_PASSWORD],
                    token_name,
                )
                token, info = await async_create_long_lived_token(
                    session, self._ma_url, session_token, token_name, self._ma_server_id()
                )
            except MusicAssistantSetupError as err:
                if err.error is SetupError.WRONG_SERVER:
                    return self.async_abort(reason="wrong_server")
                errors["base"] = err.error
            else:
                return await self._async_ma_finish(info, token)
        return self.async_show_form(
            step_id=STEP_LOGIN,
            data_schema=self.add_suggested_values_to_schema(
                LOGIN_SCHEMA, {CONF_USERNAME: (user_input or {}).get(CONF_USERNAME)}
            ),
            description_placeholders={"url": self._ma_url},
            errors=errors,
        )

    async def async_step_music_assistant_token(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take a long-lived token made in Music Assistant's profile settings."""
        errors: dict[str, str] = {}
        if user_input is not None:
            token = user_input[CONF_TOKEN].strip()
            try:
                info = await async_check_token(self._ma_session(), self._ma_url, token)
            except MusicAssistantSetupError as err:
                errors["base"] = err.error
            else:
                if info.server_id != self._ma_server_id():
                    return self.async_abort(reason="wrong_server")
                return await self._async_ma_finish(info, token)
        return self.async_show_form(
            step_id=STEP_TOKEN,
            data_schema=TOKEN_SCHEMA,
            description_placeholders={"url": self._ma_url},
            errors=errors,
        )

    async def async_step_music_assistant_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Sign in again when the server rejects the token."""
        self._ma_url = entry_data[CONF_URL]
        self._ma_verify_ssl = entry_data.get(CONF_VERIFY_SSL, True)
        return await self.async_step_music_assistant_auth()

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
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={CONF_URL: self._ma_url, CONF_VERIFY_SSL: self._ma_verify_ssl},
                )
        return self.async_show_form(
            step_id="music_assistant_reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                SERVER_SCHEMA, user_input or dict(entry.data)
            ),
            errors=errors,
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
            errors["base"] = err.error
            return None
        self._ma_name = info.name
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
        title = info.name or f"Music Assistant {URL(self._ma_url).host}"
        return self.async_create_entry(title=title, data=data)
