"""The connection to a Music Assistant server: it heals itself, and fans its events out.

A client of ``music-assistant-client`` can listen only once, so every connection gets a new
client. The first connection is made in setup (``ConfigEntryNotReady`` when the server is down);
a token rejected then does not fail the setup: the connection reads ``auth_failed`` and a reauth
flow starts. Afterwards a background task listens, reconnects with exponential backoff and jitter
(1 s up to 60 s) after a drop, a restart, a silent end of ``start_listening`` or any unexpected
error (of the library or of a listener), and stops retrying to start a reauth flow when the token
is rejected.

Whatever listens (sensors, later the play tracking) subscribes here, not to a client: to the
connection state, to the events of one player (its own and those of the queue it plays from),
or to events by type. A listener that raises is logged and skipped; it never ends the connection.
"""

import asyncio
from collections.abc import Awaitable, Callable
from enum import StrEnum
import random
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_call_later
from music_assistant_client import MusicAssistantClient
from music_assistant_client.exceptions import InvalidServerVersion
from music_assistant_models.api import ServerInfoMessage
from music_assistant_models.enums import EventType
from music_assistant_models.event import MassEvent

from .const import DOMAIN, LOGGER
from .music_assistant_api import (
    AUTH_ERRORS,
    CLIENT_ERRORS,
    REQUEST_TIMEOUT,
    TidyMusicAssistantClient,
    close_client,
)

# How long the server may take to send its initial state (providers, queues, players).
INIT_TIMEOUT: Final = 30
# Reconnection delays: BACKOFF_BASE * 2**attempt plus up to BACKOFF_BASE of jitter, at most
# BACKOFF_MAX seconds.
BACKOFF_BASE: float = 1.0
BACKOFF_MAX: float = 60.0
# A reconnection attempt shows `connecting` only once it has taken this long: a refused one
# fails within milliseconds and leaves `disconnected` alone.
CONNECTING_DELAY: Final = 1.0

PLAYER_EVENTS: Final = (EventType.PLAYER_ADDED, EventType.PLAYER_UPDATED, EventType.PLAYER_REMOVED)
QUEUE_EVENTS: Final = (EventType.QUEUE_ADDED, EventType.QUEUE_UPDATED)
# What the playback of the players is published from: a seek shows only as `queue_time_updated`,
# and `media_item_played` names the user a player plays for.
PLAYBACK_EVENTS: Final = (
    *PLAYER_EVENTS,
    *QUEUE_EVENTS,
    EventType.QUEUE_TIME_UPDATED,
    EventType.MEDIA_ITEM_PLAYED,
)
# The only events the connection subscribes to (the client refreshes its providers first).
EVENTS: Final = (*PLAYBACK_EVENTS, EventType.PROVIDERS_UPDATED)

type EventListener = Callable[[MassEvent], None]


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


def token_rejected(err: BaseException) -> bool:
    """Tell a rejected token from a connection lost while signing in.

    The library reports any failure of its ``auth`` command as ``AuthenticationFailed``; one
    caused by something other than the server's refusal (a dropped socket) is transient.
    """
    return isinstance(err, AUTH_ERRORS) and (
        err.__cause__ is None or isinstance(err.__cause__, AUTH_ERRORS)
    )


class MusicAssistantConnection:
    """The connection of a Music Assistant entry, replaced by a new client after each drop."""

    def __init__(self, hass: HomeAssistant, entry: MusicAssistantConfigEntry) -> None:
        """Prepare a connection; nothing is opened yet."""
        self.hass = hass
        self.entry = entry
        self.url: str = entry.data[CONF_URL]
        self._token: str | None = entry.data.get(CONF_TOKEN)
        # Home Assistant's shared session (one per TLS verification setting).
        self.session = async_get_clientsession(hass, verify_ssl=entry.data[CONF_VERIFY_SSL])
        self.state = ConnectionState.CONNECTING
        # The client of the current (or last) connection; its caches hold players and queues.
        self.client: MusicAssistantClient | None = None
        self.server_info: ServerInfoMessage | None = None
        # Every player the server knows (found or not since it started), as of the last
        # connection; None when the server did not say, or its list may leave players out.
        self.known_player_ids: frozenset[str] | None = None
        self._state_listeners: list[CALLBACK_TYPE] = []
        self._event_listeners: list[tuple[EventListener, tuple[EventType, ...]]] = []
        self._player_listeners: dict[str, list[EventListener]] = {}
        # Which queue each player plays from, and the players of each queue.
        self._queue_of_player: dict[str, str] = {}
        self._players_of_queue: dict[str, set[str]] = {}
        self._task: asyncio.Task[None] | None = None
        # Cancels the timer that shows `connecting` during a slow reconnection attempt.
        self._still_connecting: CALLBACK_TYPE | None = None
        self._unavailable_logged = False
        self._error_logged = False

    # ------------------------------------------------------------------ listeners
    @callback
    def async_add_state_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` whenever the connection state changes."""
        self._state_listeners.append(listener)
        return lambda: self._state_listeners.remove(listener)

    @callback
    def async_add_event_listener(
        self, listener: EventListener, event_types: tuple[EventType, ...]
    ) -> CALLBACK_TYPE:
        """Call ``listener`` with every event of these types, whichever client gets it.

        Only the types in ``EVENTS`` are subscribed to; a listener for another type would never
        be called, so it is refused.
        """
        if unsubscribed := set(event_types) - set(EVENTS):
            msg = f"The connection does not subscribe to {sorted(unsubscribed)}"
            raise ValueError(msg)
        entry = (listener, event_types)
        self._event_listeners.append(entry)
        return lambda: self._event_listeners.remove(entry)

    @callback
    def async_add_player_listener(self, player_id: str, listener: EventListener) -> CALLBACK_TYPE:
        """Call ``listener`` with the events of one player and of the queue it plays from."""
        listeners = self._player_listeners.setdefault(player_id, [])
        listeners.append(listener)

        @callback
        def remove() -> None:
            listeners.remove(listener)
            if not listeners:
                del self._player_listeners[player_id]

        return remove

    def players_of_queue(self, queue_id: str) -> frozenset[str]:
        """Return the players that play from a queue now."""
        return frozenset(self._players_of_queue.get(queue_id, ()))

    @callback
    def _async_call(self, listener: Callable[..., None], *args: Any) -> None:
        """Call a listener; what it raises is logged (once with its traceback) and skipped."""
        try:
            listener(*args)
        except Exception:  # noqa: BLE001  # a listener must not end the connection
            self._log_unexpected("a listener failed")

    def _log_unexpected(self, what: str) -> None:
        if self._error_logged:
            LOGGER.debug("Music Assistant at %s: %s", self.url, what, exc_info=True)
            return
        self._error_logged = True
        LOGGER.exception("Unexpected error with Music Assistant at %s: %s", self.url, what)

    # ------------------------------------------------------------------ lifecycle
    async def _async_open(self) -> MusicAssistantClient:
        """Open and authenticate a new client; close it again if that fails."""
        client = TidyMusicAssistantClient(self.url, self.session, self._token)
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
        """Make the first connection, in setup; raise what HA expects when that fails.

        A rejected token is not an error of the setup: the entry loads with the connection in
        ``auth_failed`` (so that its sensor says so) and a reauth flow starts.
        """
        try:
            await self._async_open()
        except (TimeoutError, *CLIENT_ERRORS) as err:
            if token_rejected(err):
                self._async_auth_failed()
                return
            key = "music_assistant_cannot_connect"
            if isinstance(err, InvalidServerVersion):
                key = "music_assistant_incompatible_server"
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key=key,
                translation_placeholders={"url": self.url},
            ) from err

    @callback
    def async_start(self) -> None:
        """Listen on the first connection in the background (unless the token was rejected)."""
        if (client := self.client) is None:
            return
        self._task = self.entry.async_create_background_task(
            self.hass, self._async_run(client), f"{DOMAIN} Music Assistant {self.url}"
        )

    async def async_stop(self) -> None:
        """Stop listening and close the connection; nothing is left running."""
        self._async_cancel_connecting()
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

    async def _async_guarded[T](self, step: Awaitable[T], default: T) -> T:
        """Run a step of the supervisor; an unexpected error is logged and ``default`` returned."""
        try:
            return await step
        except Exception:  # noqa: BLE001  # the supervisor must outlive any library error
            self._log_unexpected("the connection failed")
            return default

    async def _async_run(self, first: MusicAssistantClient) -> None:
        """Listen; reconnect after every drop until the token is rejected or the entry unloads."""
        client: MusicAssistantClient | None = first
        attempt = 0
        while True:
            if client is not None:
                if await self._async_guarded(self._async_listen(client), default=False):
                    attempt = 0
                self._set_disconnected("the connection was closed")
            if self.state is ConnectionState.AUTH_FAILED:
                return
            await asyncio.sleep(backoff_delay(attempt))
            attempt += 1
            client = await self._async_guarded(self._async_reconnect(), default=None)

    async def _async_reconnect(self) -> MusicAssistantClient | None:
        """Open and authenticate a new client; None when that failed.

        An attempt that takes a while shows `connecting` until the server's initial state
        arrived (or the attempt failed): the state changes only once more either way.
        """

        @callback
        def show_connecting(_now: Any) -> None:
            self._still_connecting = None
            self._set_state(ConnectionState.CONNECTING)

        self._async_cancel_connecting()
        self._still_connecting = async_call_later(self.hass, CONNECTING_DELAY, show_connecting)
        try:
            return await self._async_open()
        except (TimeoutError, *CLIENT_ERRORS) as err:
            if token_rejected(err):
                self._async_auth_failed()
            else:
                self._set_disconnected(str(err) or type(err).__name__)
        except BaseException:
            self._async_cancel_connecting()
            raise
        return None

    @callback
    def _async_cancel_connecting(self) -> None:
        if self._still_connecting is not None:
            self._still_connecting()
            self._still_connecting = None

    @callback
    def _async_auth_failed(self) -> None:
        """Stop for good: the token was rejected; ask the user to sign in again."""
        LOGGER.warning(
            "Music Assistant at %s rejected the token of %s; sign in again",
            self.url,
            self.entry.title,
        )
        self._set_state(ConnectionState.AUTH_FAILED)
        self.entry.async_start_reauth(self.hass)

    async def _async_listen(self, client: MusicAssistantClient) -> bool:
        """Listen on a connected client until it drops; True if its initial state arrived."""
        init_ready = asyncio.Event()
        unsubscribe = client.subscribe(self._async_on_event, EVENTS)
        listen = asyncio.create_task(
            self._async_start_listening(client, init_ready), name=f"{DOMAIN} listen"
        )
        ready = asyncio.create_task(init_ready.wait(), name=f"{DOMAIN} initial state")
        try:
            await asyncio.wait(
                {listen, ready}, timeout=INIT_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
            if not init_ready.is_set():
                if listen.done():
                    listen.result()  # an unexpected error of the library is raised here
                else:
                    LOGGER.debug("Music Assistant at %s sent no initial state in time", self.url)
                return False
            self._async_index_queues(client)
            self.known_player_ids = await self._async_known_players(client)
            self._set_state(ConnectionState.CONNECTED)
            await listen
            return True
        finally:
            unsubscribe()
            ready.cancel()
            listen.cancel()
            await asyncio.wait({listen, ready})
            await close_client(client)

    async def _async_known_players(self, client: MusicAssistantClient) -> frozenset[str] | None:
        """Return the ids of every player the server has a configuration of, found or not.

        After a restart the server lists a player only once it has found it again; its player
        configurations name every player it knows, on the servers that list them all (2.0 to
        2.3, and the newest, asked for the unavailable ones too). Other releases leave out the
        enabled players not found again and those of providers still loading, which would make
        every such player look removed. The list is trusted only when it proves to be complete:
        it names an enabled player the server has not found, which those releases never list.
        None when it does not, or when the server does not answer (a token without the scope to
        read player configurations).
        """
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                configs = await client.config.get_player_configs()
        except (TimeoutError, *CLIENT_ERRORS) as err:
            LOGGER.debug("Music Assistant at %s lists no player configurations: %r", self.url, err)
            return None
        found = {player.player_id for player in client.players}
        if not any(config.enabled and config.player_id not in found for config in configs):
            LOGGER.debug(
                "Music Assistant at %s lists no player it has not found: its list of player "
                "configurations may leave players out",
                self.url,
            )
            return None
        return frozenset(config.player_id for config in configs) | found

    async def _async_start_listening(
        self, client: MusicAssistantClient, init_ready: asyncio.Event
    ) -> None:
        """Run ``start_listening``; a transport error ends it like a close does."""
        try:
            await client.start_listening(init_ready)
        except CLIENT_ERRORS as err:
            LOGGER.debug("Connection to Music Assistant at %s failed: %r", self.url, err)

    # ------------------------------------------------------------------ events
    @callback
    def _async_index_queues(self, client: MusicAssistantClient) -> None:
        """Learn which queue every player plays from (after the initial state)."""
        self._queue_of_player.clear()
        self._players_of_queue.clear()
        for player in client.players:
            self._async_index_player(player.player_id, player.active_source)

    @callback
    def _async_index_player(self, player_id: str, queue_id: str | None) -> None:
        """Record the queue a player plays from now (None: it is gone, or plays no queue)."""
        previous = self._queue_of_player.get(player_id)
        if previous == queue_id:
            return
        if previous is not None:
            players = self._players_of_queue[previous]
            players.discard(player_id)
            if not players:
                del self._players_of_queue[previous]
            del self._queue_of_player[player_id]
        if queue_id is not None:
            self._queue_of_player[player_id] = queue_id
            self._players_of_queue.setdefault(queue_id, set()).add(player_id)

    @callback
    def _async_on_event(self, event: MassEvent) -> None:
        """Pass an event of the current client on: O(1) work per event and listener."""
        object_id = event.object_id or ""
        if event.event in PLAYER_EVENTS:
            player = self.client.players.get(object_id) if self.client else None
            self._async_index_player(object_id, player.active_source if player else None)
            player_ids: tuple[str, ...] | set[str] = (object_id,)
        elif event.event in QUEUE_EVENTS:
            player_ids = self._players_of_queue.get(object_id, set())
        else:
            player_ids = ()
        for listener, event_types in list(self._event_listeners):
            if event.event in event_types:
                self._async_call(listener, event)
        for player_id in player_ids:
            for listener in list(self._player_listeners.get(player_id, ())):
                self._async_call(listener, event)

    @callback
    def _set_state(self, state: ConnectionState) -> None:
        if state is not ConnectionState.CONNECTING:
            self._async_cancel_connecting()
        if state is ConnectionState.CONNECTED and self._unavailable_logged:
            LOGGER.info("Music Assistant at %s is available again", self.url)
            self._unavailable_logged = False
        if state is self.state:
            return
        self.state = state
        for listener in list(self._state_listeners):
            self._async_call(listener)

    @callback
    def _set_disconnected(self, reason: str) -> None:
        if not self._unavailable_logged:
            LOGGER.warning("Music Assistant at %s is unavailable: %s", self.url, reason)
            self._unavailable_logged = True
        self._set_state(ConnectionState.DISCONNECTED)
