"""A Music Assistant config entry: set up, unloaded, removed, its sensors and diagnostics.

The connection itself (reconnection, events) lives in ``music_assistant_connection.py``; the
sensors in ``music_assistant_sensor.py``.
"""

from typing import Any, Final

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from yarl import URL

from . import music_assistant_sensor
from .const import LOGGER
from .music_assistant_api import MusicAssistantSetupError, async_revoke_token
from .music_assistant_connection import (
    ConnectionState,
    MusicAssistantConfigEntry,
    MusicAssistantConnection,
)
from .music_assistant_publisher import MusicAssistantPublisher
from .music_assistant_scrobblers import async_delete_scrobbler_issues, async_watch_scrobblers
from .sources import async_server_removed

PLATFORMS: list[Platform] = [Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: MusicAssistantConfigEntry) -> bool:
    """Connect to the server, set up the sensors, then listen in the background."""
    connection = MusicAssistantConnection(hass, entry)
    await connection.async_connect_first()
    entry.runtime_data = connection
    # Runs after the platforms are unloaded, and when the rest of the setup fails.
    entry.async_on_unload(connection.async_stop)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Unload callbacks run last first: the players are gone before the connection closes.
    publisher = MusicAssistantPublisher(hass, connection)
    publisher.async_start()
    entry.async_on_unload(publisher.async_stop)
    for unsubscribe in async_watch_scrobblers(hass, connection):
        entry.async_on_unload(unsubscribe)
    connection.async_start()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: MusicAssistantConfigEntry) -> bool:
    """Unload the sensors; the connection closes next (``async_on_unload``)."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: MusicAssistantConfigEntry) -> None:
    """Mark the sources of Last.fm accounts it fed; revoke its token on the server (best effort)."""
    async_server_removed(hass, entry.entry_id)
    async_delete_scrobbler_issues(hass, entry.entry_id)
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
    music_assistant_sensor.async_setup_sensors(hass, entry, async_add_entities)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: MusicAssistantConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete the device of a player the server does not have (now).

    Devices of players the server may still know are kept at reconnection when its list of
    player configurations may leave players out; the user can delete those. The device of a
    player the server has, and the server's own device, stay.
    """
    connection = entry.runtime_data
    player_id = music_assistant_sensor.player_id_of_device(entry, device.identifiers)
    return (
        player_id is not None
        and connection.state is ConnectionState.CONNECTED
        and connection.client is not None
        and connection.client.players.get(player_id) is None
    )


# Keys redacted wherever they occur; any other string that names the server's host is too.
TO_REDACT: Final = {
    CONF_TOKEN,
    CONF_URL,
    "base_url",
    "internal_url",
    "external_url",
    "image_url",
}


def redact_host(data: Any, host: str) -> Any:
    """Return ``data`` with every string that holds a URL of ``host`` redacted.

    ``host`` is a host as ``yarl`` parses it: lower case, an IPv6 address without brackets.
    """
    authority = f"//[{host}]" if ":" in host else f"//{host}"
    return _redact_authority(data, authority)


def _redact_authority(data: Any, authority: str) -> Any:
    if isinstance(data, str):
        return REDACTED if authority in data.lower() else data
    if isinstance(data, dict):
        return {key: _redact_authority(value, authority) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_redact_authority(value, authority) for value in data]
    return data


async def async_get_diagnostics(
    hass: HomeAssistant, entry: MusicAssistantConfigEntry
) -> dict[str, Any]:
    """Return diagnostics of a Music Assistant entry: token and server addresses redacted."""
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
    diagnostics = async_redact_data(
        {
            "entry": dict(entry.data),
            "connection": connection.state,
            "server": server,
            "players": players,
        },
        TO_REDACT,
    )
    host = URL(connection.url).host
    return redact_host(diagnostics, host.lower()) if host else diagnostics
