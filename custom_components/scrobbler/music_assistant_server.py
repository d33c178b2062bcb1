"""A Music Assistant config entry at runtime: a connection that heals itself.

A client of ``music-assistant-client`` can listen only once, so every connection gets a new
client. The first connection is made in setup (``ConfigEntryNotReady`` when the server is down,
``ConfigEntryAuthFailed`` when the token is rejected); afterwards a background task listens,
reconnects with exponential backoff and jitter (1 s up to 60 s) after a drop, a restart or a
silent end of ``start_listening``, and stops retrying to start a reauth flow when the token is
rejected.
"""

import asyncio
from collections.abc import Callable
from enum import StrEnum
import random
from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL, Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from music_assistant_client import MusicAssistantClient
from music_assistant_client.exceptions import InvalidServerVersion
from music_assistant_models.api import ServerInfoMessage
from music_assistant_models.event import MassEvent

from .const import DOMAIN, LOGGER
from .music_assistant_api import (
    AUTH_ERRORS,
    CLIENT_ERRORS,
    REQUEST_TIMEOUT,
    MusicAssistantSetupError,
    TidyMusicAssistantClient,
    async_revoke_token,
    close_client,
)

PLATFORMS: list[Platform] = [Platform.SENSOR]

# How long the server may take to send its initial state (providers, queues, players).
INIT_TIMEOUT: Final = 30
# Reconnection delays: BACKOFF_BASE * 2**attempt plus up to BACKOFF_BASE of jitter, at most
# BACKOFF_MAX seconds.
BACKOFF_BASE: float = 1.0
BACKOFF_MAX: float = 60.0


class ConnectionState(StrEnum):
    """The state of the connection to a Music Assistant server."""

    CONNECTED = "connected"
    CONNECTING = "connecting"
    DISCONNECTED = "disconnected"
    AUTH_FAILED = "auth_failed"


type MusicAssistantConfigEntry = ConfigEntry[MusicAssistantConnection]


def backoff_delay(attempt: int) -> float:
    """Return how long to wait before reconnection attempt ``attempt`` (0 first)."""
    ceiling = BACKOFF_BASE * float(2 ** min(attempt, 16))
    return min(BACKOFF_MAX, ceiling + random.uniform(0, BACKOFF_BASE))  # noqa: S311  # jitter


class MusicAssistantConnection:
    """The connection of a Music Assistant entry, replaced by a new client after each drop."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Prepare a connection; nothing is opened yet."""
        self.hass = hass
        self.entry = entry
        self.url: str = entry.data[CONF_URL]
        self._token: str | None = entry.data.get(CONF_TOKEN)
        self._session = async_get_clientsession(hass, verify_ssl=entry.data[CONF_VERIFY_SSL])
        self.state = ConnectionState.CONNECTING
        # The client of the current (or last) connection; its caches hold players and queues.
        self.client: MusicAssistantClient | None = None
        self.server_info: ServerInfoMessage | None = None
        self._state_listeners: list[Callable[[], None]] = []
        self._event_listeners: list[Callable[[MassEvent], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._unavailable_logged = False

    @callback
    def async_add_state_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``listener`` whenever the connection state changes."""
        self._state_listeners.append(listener)
        return lambda: self._state_listeners.remove(listener)

    @callback
    def async_add_event_listener(self, listener: Callable[[MassEvent], None]) -> CALLBACK_TYPE:
        """Call ``listener`` with every event the server pushes, whichever client gets it."""
        self._event_listeners.append(listener)
        return lambda: self._event_listeners.remove(listener)

    async def _async_open(self) -> MusicAssistantClient:
        """Open and authenticate a new client; close it again if that fails."""
        client = TidyMusicAssistantClient(self.url, self._session, self._token)
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                await client.connect()
        except BaseException:
            await close_client(client)
            raise
        self.client = client
        self.server_info = client.server_info
        return client

    async def async_connect_first(self) -> None:
        """Make the first connection, in setup; raise what HA expects when that fails."""
        try:
            await self._async_open()
        except (TimeoutError, *CLIENT_ERRORS) as err:
            error: type[ConfigEntryNotReady | ConfigEntryAuthFailed] = ConfigEntryNotReady
            key = "music_assistant_cannot_connect"
            if isinstance(err, AUTH_ERRORS):
                error, key = ConfigEntryAuthFailed, "music_assistant_auth_failed"
            elif isinstance(err, InvalidServerVersion):
                key = "music_assistant_incompatible_server"
            raise error(
                translation_domain=DOMAIN,
                translation_key=key,
                translation_placeholders={"url": self.url},
            ) from err

    @callback
    def async_start(self) -> None:
        """Start listening on the first connection, in the background."""
        client = self.client
        assert client is not None  # noqa: S101  # async_connect_first() succeeded
        self._task = self.entry.async_create_background_task(
            self.hass, self._async_run(client), f"{DOMAIN} Music Assistant {self.url}"
        )

    async def async_stop(self) -> None:
        """Stop listening and close the connection; nothing is left running."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                if (current := asyncio.current_task()) is not None and current.cancelling():
                    raise
            self._task = None
        if self.client is not None:
            await close_client(self.client)

    async def _async_run(self, first: MusicAssistantClient) -> None:
        """Listen; reconnect after every drop until the token is rejected or the entry unloads."""
        client: MusicAssistantClient | None = first
        attempt = 0
        while True:
            if client is not None:
                if await self._async_listen(client):
                    attempt = 0
                self._set_disconnected("the connection was closed")
            elif self.state is ConnectionState.AUTH_FAILED:
                return
            await asyncio.sleep(backoff_delay(attempt))
            attempt += 1
            client = await self._async_reconnect()

    async def _async_reconnect(self) -> MusicAssistantClient | None:
        """Open and authenticate a new client; None when that failed."""
        self._set_state(ConnectionState.CONNECTING)
        try:
            return await self._async_open()
        except AUTH_ERRORS:
            LOGGER.warning(
                "Music Assistant at %s rejected the token of %s; sign in again",
                self.url,
                self.entry.title,
            )
            self._set_state(ConnectionState.AUTH_FAILED)
            self.entry.async_start_reauth(self.hass)
        except (TimeoutError, *CLIENT_ERRORS) as err:
            self._set_disconnected(str(err) or type(err).__name__)
        return None

    async def _async_listen(self, client: MusicAssistantClient) -> bool:
        """Listen on a connected client until it drops; True if its initial state arrived."""
        init_ready = asyncio.Event()
        unsubscribe = client.subscribe(self._async_on_event)
        listen = asyncio.create_task(
            self._async_start_listening(client, init_ready), name=f"{DOMAIN} listen"
        )
        ready = asyncio.create_task(init_ready.wait(), name=f"{DOMAIN} initial state")
        try:
            await asyncio.wait(
                {listen, ready}, timeout=INIT_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
            if not init_ready.is_set():
                if not listen.done():
                    LOGGER.debug("Music Assistant at %s sent no initial state in time", self.url)
                return False
            self._set_state(ConnectionState.CONNECTED)
            await listen
            return True
        finally:
            unsubscribe()
            ready.cancel()
            listen.cancel()
            await asyncio.wait({listen, ready})
            await close_client(client)

    async def _async_start_listening(
        self, client: MusicAssistantClient, init_ready: asyncio.Event
    ) -> None:
        """Run ``start_listening``; a transport error ends it like a close does."""
        try:
            await client.start_listening(init_ready)
        except CLIENT_ERRORS as err:
            LOGGER.debug("Connection to Music Assistant at %s failed: %r", self.url, err)

    @callback
    def _async_on_event(self, event: MassEvent) -> None:
        """Pass an event of the current client on."""
        for listener in list(self._event_listeners):
            listener(event)

    @callback
    def _set_state(self, state: ConnectionState) -> None:
        if state is ConnectionState.CONNECTED and self._unavailable_logged:
            LOGGER.info("Music Assistant at %s is available again", self.url)
            self._unavailable_logged = False
        if state is self.state:
            return
        self.state = state
        for listener in list(self._state_listeners):
            listener()

    @callback
    def _set_disconnected(self, reason: str) -> None:
        if not self._unavailable_logged:
            LOGGER.warning("Music Assistant at %s is unavailable: %s", self.url, reason)
            self._unavailable_logged = True
        self._set_state(ConnectionState.DISCONNECTED)


async def async_setup_entry(hass: HomeAssistant, entry: MusicAssistantConfigEntry) -> bool:
    """Connect to the server, set up the sensors, then listen in the background."""
    connection = MusicAssistantConnection(hass, entry)
    await connection.async_connect_first()
    entry.runtime_data = connection
    # Runs after the platforms are unloaded, and when the rest of the setup fails.
    entry.async_on_unload(connection.async_stop)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    connection.async_start()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: MusicAssistantConfigEntry) -> bool:
    """Unload the sensors; the connection closes next (``async_on_unload``)."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Revoke the entry's long-lived token on the server (best effort)."""
    if (token := entry.data.get(CONF_TOKEN)) is None:
        return
    session = async_get_clientsession(hass, verify_ssl=entry.data[CONF_VERIFY_SSL])
    try:
        await async_revoke_token(session, entry.data[CONF_URL], token)
    except MusicAssistantSetupError as err:
        LOGGER.warning(
            "Could not revoke the token of %s on Music Assistant at %s (%s); "
            "revoke it in Music Assistant's settings",
            entry.title,
            entry.data[CONF_URL],
            err.error,
        )
    else:
        LOGGER.debug("Revoked the token of %s on %s", entry.title, entry.data[CONF_URL])


async def async_setup_sensors(
    hass: HomeAssistant,
    entry: MusicAssistantConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of a Music Assistant entry."""
    from .music_assistant_sensor import async_setup_sensors as setup_sensors

    setup_sensors(hass, entry, async_add_entities)


TO_REDACT: Final = {CONF_TOKEN, CONF_URL, "base_url", "internal_url", "external_url"}


async def async_get_diagnostics(
    hass: HomeAssistant, entry: MusicAssistantConfigEntry
) -> dict[str, Any]:
    """Return diagnostics of a Music Assistant entry: token (and addresses) redacted."""
    connection = entry.runtime_data
    players = [
        {
            "player_id": player.player_id,
            "name": player.name,
            "provider": player.provider,
            "available": player.available,
            "enabled": player.enabled,
            "playback_state": player.playback_state,
            "active_source": player.active_source,
            "current_media": player.current_media.to_dict() if player.current_media else None,
        }
        for player in (connection.client.players if connection.client else [])
    ]
    server = connection.server_info.to_dict() if connection.server_info else None
    return async_redact_data(
        {
            "entry": dict(entry.data),
            "connection": connection.state,
            "server": server,
            "players": players,
        },
        TO_REDACT,
    )
