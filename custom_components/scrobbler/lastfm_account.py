"""A Last.fm config entry: its identity, setup, migration and diagnostics.

The coordinator and the runtime data live in ``lastfm_coordinator.py``, the entities in
``lastfm_sensor.py``; this module imports both, neither imports it.
"""

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_USERNAME, EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import lastfm_sensor, lastfm_switch
from .const import CONF_API_ROOT, CONF_API_SECRET, CONF_SERVICE, CONF_SESSION_KEY, DOMAIN, LOGGER
from .lastfm.client import LastfmClient
from .lastfm.services import LASTFM, LIBREFM, normalize_api_root, service_name
from .lastfm_coordinator import (
    UPDATE_INTERVAL,
    LastfmAccountCoordinator,
    LastfmAccountData,
    LastfmConfigEntry,
)
from .lastfm_scrobbling import DATA_TRACKING, AccountScrobbler, QueueStore
from .scrobbling.queue import QueueEntry

PLATFORMS: list[Platform] = [Platform.SENSOR, Platform.SWITCH]

TO_REDACT = {CONF_API_KEY, CONF_API_SECRET, CONF_SESSION_KEY}

# The minor version from which entity and device ids derive from the entry id.
IDS_FROM_ENTRY_ID = 2


def unique_id_of(api_root: str, username: str) -> str:
    """Return the unique id of an account: its normalised API root and lower-cased user name."""
    return f"{normalize_api_root(api_root)}#{username.lower()}"


def title_of(data: Mapping[str, Any]) -> str:
    """Return the title of an account's entry, from its data: ``alice on Last.fm``."""
    return f"{data[CONF_USERNAME]} on {service_name(data[CONF_SERVICE], data[CONF_API_ROOT])}"


async def async_setup_entry(hass: HomeAssistant, entry: LastfmConfigEntry) -> bool:
    """Set up a Last.fm entry: a first poll, then the sensors.

    A session key rejected at the first poll does not fail the setup: the entry loads, its
    connection sensor reads ``auth_failed`` and a reauthentication starts. Nor does a service
    that cannot be reached: the plays of the account's sources are tracked and queued meanwhile
    (that is what the durable queue is for), the connection sensor reads ``unreachable`` and the
    coordinator polls again at its interval.
    """
    client = LastfmClient(
        async_get_clientsession(hass),
        entry.data[CONF_API_KEY],
        entry.data[CONF_API_SECRET],
        session_key=entry.data[CONF_SESSION_KEY],
        api_root=entry.data[CONF_API_ROOT],
    )
    coordinator = LastfmAccountCoordinator(hass, entry, client)
    scrobbler = AccountScrobbler(hass, entry, client, coordinator)
    entry.runtime_data = LastfmAccountData(
        client=client, coordinator=coordinator, scrobbler=scrobbler
    )
    try:
        await coordinator.async_config_entry_first_refresh()
    except ConfigEntryAuthFailed:
        LOGGER.warning(
            "The service rejected the session of %s; approve Scrobbler again",
            entry.data[CONF_USERNAME],
        )
        entry.async_start_reauth(hass)
    except ConfigEntryNotReady as err:
        LOGGER.info("%s cannot be reached yet; plays are queued meanwhile: %s", entry.title, err)
    try:
        await scrobbler.async_start()
    except ValueError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="scrobble_queue_unreadable",
            translation_placeholders={"error": str(err)},
        ) from err
    entry.async_on_unload(scrobbler.async_stop)

    async def _async_stop(_event: Event) -> None:
        await scrobbler.async_stop()

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _async_stop))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: LastfmConfigEntry) -> bool:
    """Unload a Last.fm entry; its queue is saved and sent after the next setup."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: LastfmConfigEntry) -> None:
    """Clean up after a removed Last.fm entry: its stored queue goes.

    Last.fm has no call to end a session.
    """
    hass.data.get(DATA_TRACKING, {}).pop(entry.entry_id, None)
    await QueueStore(hass, entry.entry_id).remove()


async def async_setup_sensors(
    hass: HomeAssistant,
    entry: LastfmConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of a Last.fm entry."""
    await lastfm_sensor.async_setup_sensors(hass, entry, async_add_entities)


async def async_setup_switches(
    hass: HomeAssistant,
    entry: LastfmConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the switches of a Last.fm entry."""
    await lastfm_switch.async_setup_switches(hass, entry, async_add_entities)


async def async_migrate_entry(hass: HomeAssistant, entry: LastfmConfigEntry) -> None:
    """Bring a Last.fm entry written by an older version up to date (its version is bumped after).

    Before minor version 2, entity and device ids derived from the unique id, which embeds the
    API root and changed on reconfigure. They now derive from the entry id; the entity ids people
    already have are kept. Registry entries an earlier reconfigure left behind are removed.
    """
    if entry.minor_version < IDS_FROM_ENTRY_ID:
        _async_move_ids_to_entry_id(hass, entry)
        _async_normalise_identity(hass, entry)


def _async_move_ids_to_entry_id(hass: HomeAssistant, entry: LastfmConfigEntry) -> None:
    """Move the account's entities and device from the old unique id to the entry id."""
    old_prefix = f"{entry.unique_id or entry.entry_id}_"
    new_prefix = lastfm_sensor.sensor_unique_id(entry.entry_id, "")
    entity_registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id):
        if entity.platform != DOMAIN or entity.unique_id.startswith(new_prefix):
            continue
        if entity.unique_id.startswith(old_prefix):
            key = entity.unique_id.removeprefix(old_prefix)
            LOGGER.debug("Moving %s to the id of its entry", entity.entity_id)
            entity_registry.async_update_entity(
                entity.entity_id, new_unique_id=lastfm_sensor.sensor_unique_id(entry.entry_id, key)
            )
        else:  # made for an API root the entry no longer has
            LOGGER.debug("Removing %s, left behind by a reconfiguration", entity.entity_id)
            entity_registry.async_remove(entity.entity_id)
    old_identifier = (DOMAIN, entry.unique_id or entry.entry_id)
    new_identifier = (DOMAIN, entry.entry_id)
    device_registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        if new_identifier in device.identifiers:
            continue
        if old_identifier in device.identifiers:
            device_registry.async_update_device(device.id, new_identifiers={new_identifier})
        else:
            device_registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


def _async_normalise_identity(hass: HomeAssistant, entry: LastfmConfigEntry) -> None:
    """Give the entry the unique id of its normalised API root, and a title that reads well."""
    data = entry.data
    unique_id = entry.unique_id
    normalised = unique_id_of(data[CONF_API_ROOT], data[CONF_USERNAME])
    other = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, normalised)
    if other is None or other.entry_id == entry.entry_id:
        unique_id = normalised
    else:  # let in twice by an older version: no two entries get one unique id
        LOGGER.warning(
            "%s and %s are the same account; remove one of them", entry.title, other.title
        )
    # A title the user has changed stays.
    title = title_of(data) if entry.title == _title_before_2(data) else entry.title
    hass.config_entries.async_update_entry(entry, unique_id=unique_id, title=title)


def _title_before_2(data: Mapping[str, Any]) -> str:
    """Return the title the flow gave an entry before minor version 2."""
    username: str = data[CONF_USERNAME]
    if data[CONF_SERVICE] == LASTFM.id:
        return username
    name = "Libre.fm" if data[CONF_SERVICE] == LIBREFM.id else urlsplit(data[CONF_API_ROOT]).netloc
    return f"{username} ({name})"


async def async_get_diagnostics(hass: HomeAssistant, entry: LastfmConfigEntry) -> dict[str, Any]:
    """Return diagnostics of a Last.fm entry, secrets redacted."""
    coordinator = entry.runtime_data.coordinator
    state = coordinator.data
    return {
        "entry": {
            "title": entry.title,
            "unique_id": entry.unique_id,
            "version": f"{entry.version}.{entry.minor_version}",
            "data": async_redact_data(dict(entry.data), TO_REDACT),
        },
        "connection": coordinator.connection,
        "last_update_success": coordinator.last_update_success,
        "update_interval": UPDATE_INTERVAL.total_seconds(),
        "account": state
        and {
            "playcount": state.user.playcount,
            "registered": state.user.registered,
            "now_playing": state.now_playing and asdict(state.now_playing),
            "last_scrobble": state.last_scrobble and asdict(state.last_scrobble),
        },
        "scrobbling": _scrobbling_diagnostics(entry),
    }


def _scrobbling_diagnostics(entry: LastfmConfigEntry) -> dict[str, Any]:
    """Return the queue of an account: figures, the batch in flight, the dead letters.

    Artists and titles are no secrets; the queue holds no credentials.
    """
    scrobbler = entry.runtime_data.scrobbler
    queue = scrobbler.sender.queue
    counts = queue.counts()
    return {
        "enabled": scrobbler.scrobbling,
        "options": asdict(scrobbler.tracker.options),
        "counts": asdict(counts),
        "in_flight": [_entry_diagnostics(item) for item in queue.in_flight],
        "dead_letters": [
            {
                "entry": _entry_diagnostics(letter.entry),
                "code": letter.code,
                "message": letter.message,
                "at": letter.at,
            }
            for letter in queue.dead_letters
        ],
    }


def _entry_diagnostics(item: QueueEntry) -> dict[str, Any]:
    return {
        "track": asdict(item.scrobble.track),
        "timestamp": item.scrobble.timestamp,
        "player_id": item.player_id,
        "queued_at": item.queued_at,
    }
