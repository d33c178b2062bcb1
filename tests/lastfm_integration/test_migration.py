"""Entries of version 1.1 move to ids that never change (1.2), keeping the entity ids people have."""

from urllib.parse import urlsplit

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.scrobbler import async_migrate_entry, lastfm_account
from custom_components.scrobbler.const import (
    CONF_API_ROOT,
    CONF_KIND,
    CONF_SERVICE,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    EntryKind,
)
from custom_components.scrobbler.lastfm.services import LASTFM, LIBREFM
from tests.fakes.lastfm_server import USERNAME, FakeLastfm

from .conftest import entry_data

KEYS = ("now_playing", "last_scrobble", "scrobbles", "connection")
# Entities of scrobbling, new since 1.2: named after the device (the user name).
NEW_ENTITIES = {
    "pending_scrobbles": "sensor.alice_pending_scrobbles",
    "dead_letters": "sensor.alice_dead_letters",
    "scrobbles_today": "sensor.alice_scrobbles_today",
    "scrobbling": "switch.alice_scrobbling",
}


def old_entry(hass: HomeAssistant, server: FakeLastfm, title: str, **data: str) -> MockConfigEntry:
    """An entry as version 1.1 of the flow made it: unique id = API root as typed + user."""
    entry_data_ = entry_data(server, server.issue_session(USERNAME)) | data
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=f"{entry_data_[CONF_API_ROOT]}#{USERNAME}",
        data=entry_data_,
        version=1,
        minor_version=1,
    )
    entry.add_to_hass(hass)
    return entry


def old_registry(
    hass: HomeAssistant, entry: MockConfigEntry, account: str, device_name: str, prefix: str
) -> dr.DeviceEntry:
    """The device and entities version 1.1 made for an account id (then the unique id)."""
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, account)},
        name=device_name,
        entry_type=dr.DeviceEntryType.SERVICE,
    )
    for key in KEYS:
        er.async_get(hass).async_get_or_create(
            "sensor",
            DOMAIN,
            f"{account}_{key}",
            config_entry=entry,
            device_id=device.id,
            suggested_object_id=f"{prefix}_{key}",
        )
    return device


async def test_custom_server_entry_keeps_its_entity_ids(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    port = urlsplit(lastfm_server.api_root).port
    # Typed with an upper-case scheme: the same server as the normalised root.
    root = lastfm_server.api_root.replace("http://", "HTTP://")
    entry = old_entry(hass, lastfm_server, f"{USERNAME} (127.0.0.1:{port})", api_root=root)
    prefix = f"alice_127_0_0_1_{port}"
    device = old_registry(hass, entry, entry.unique_id or "", entry.title, prefix)
    # What a reconfiguration of 1.1 left behind: a device and entities of the former address.
    stale = old_registry(hass, entry, f"http://127.0.0.1:1/2.0/#{USERNAME}", USERNAME, "alice")

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, ENTRY_MINOR_VERSION)
    assert entry.unique_id == f"{lastfm_server.api_root}#{USERNAME}"
    assert entry.title == f"{USERNAME} on 127.0.0.1:{port}"
    entities = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    assert {(e.entity_id, e.unique_id) for e in entities} == {
        (f"sensor.{prefix}_{key}", f"{entry.entry_id}_{key}") for key in KEYS
    } | {(entity_id, f"{entry.entry_id}_{key}") for key, entity_id in NEW_ENTITIES.items()}
    [moved] = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert moved.id == device.id
    assert moved.identifiers == {(DOMAIN, entry.entry_id)}
    assert moved.name == USERNAME
    assert moved.model == "Account"
    assert device_registry.async_get(stale.id) is None
    assert all(e.device_id == device.id for e in entities)
    state = hass.states.get(f"sensor.{prefix}_scrobbles")
    assert state is not None
    assert state.state == "1234"
    assert hass.states.get("sensor.alice_scrobbles") is None


@pytest.mark.parametrize(
    ("service", "title", "migrated_title"),
    [
        (LASTFM.id, USERNAME, f"{USERNAME} on Last.fm"),
        (LIBREFM.id, f"{USERNAME} (Libre.fm)", f"{USERNAME} on Libre.fm"),
        (LASTFM.id, "My scrobbles", "My scrobbles"),  # changed by the user: kept
    ],
)
async def test_known_service_entry_keeps_its_entity_ids(
    hass: HomeAssistant,
    lastfm_server: FakeLastfm,
    entity_registry: er.EntityRegistry,
    service: str,
    title: str,
    migrated_title: str,
) -> None:
    """Last.fm or Libre.fm (at the fake's address; the runtime calls the stored API root)."""
    entry = old_entry(hass, lastfm_server, title, service=service)
    old_registry(hass, entry, entry.unique_id or "", title, "alice")

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.title == migrated_title
    assert {
        e.entity_id for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    } == {f"sensor.alice_{key}" for key in KEYS} | set(NEW_ENTITIES.values())
    device = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)[0]
    assert device.manufacturer == ("Last.fm" if service == LASTFM.id else "Libre.fm")


async def test_same_account_twice_keeps_both_unique_ids(
    hass: HomeAssistant, lastfm_server: FakeLastfm, caplog: pytest.LogCaptureFixture
) -> None:
    """Two entries 1.1 let in for one account: no two entries get one unique id."""
    first = old_entry(hass, lastfm_server, USERNAME)
    root = lastfm_server.api_root.replace("http://", "HTTP://")
    second = old_entry(hass, lastfm_server, "again", api_root=root)
    assert await hass.config_entries.async_setup(first.entry_id)
    await hass.async_block_till_done()
    assert second.minor_version == ENTRY_MINOR_VERSION
    assert first.unique_id == f"{lastfm_server.api_root}#{USERNAME}"
    assert second.unique_id == f"{root}#{USERNAME}"
    assert "are the same account; remove one of them" in caplog.text


async def test_entry_of_a_newer_version_is_not_loaded(
    hass: HomeAssistant, lastfm_server: FakeLastfm
) -> None:
    entry = old_entry(hass, lastfm_server, USERNAME)
    hass.config_entries.async_update_entry(entry, version=2, minor_version=1)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert not await async_migrate_entry(hass, entry)
    assert entry.version == 2


async def test_entry_of_a_newer_minor_version_keeps_it(
    hass: HomeAssistant, lastfm_server: FakeLastfm, entity_registry: er.EntityRegistry
) -> None:
    """After a downgrade, the entry loads as it is; an upgrade later migrates nothing again."""
    entry = old_entry(hass, lastfm_server, USERNAME)
    old_registry(hass, entry, entry.unique_id or "", USERNAME, "alice")
    hass.config_entries.async_update_entry(entry, minor_version=ENTRY_MINOR_VERSION + 1)
    before = registry_state(hass, entry)
    assert await async_migrate_entry(hass, entry)
    assert (entry.version, entry.minor_version) == (1, ENTRY_MINOR_VERSION + 1)
    assert registry_state(hass, entry) == before


async def test_migration_runs_once(
    hass: HomeAssistant, lastfm_server: FakeLastfm, entity_registry: er.EntityRegistry
) -> None:
    """Run again (as after an interrupted start), it changes nothing more."""
    entry = old_entry(hass, lastfm_server, USERNAME)
    old_registry(hass, entry, entry.unique_id or "", USERNAME, "alice")
    assert await async_migrate_entry(hass, entry)
    migrated = registry_state(hass, entry)
    hass.config_entries.async_update_entry(entry, minor_version=1)
    assert await async_migrate_entry(hass, entry)
    assert registry_state(hass, entry) == migrated
    # An entry already at 1.2 is left as it is.
    hass.config_entries.async_update_entry(entry, title="Mine")
    await lastfm_account.async_migrate_entry(hass, entry)
    assert entry.title == "Mine"


def registry_state(hass: HomeAssistant, entry: MockConfigEntry) -> object:
    """Return what the registries and the entry hold of an account."""
    return (
        entry.unique_id,
        entry.title,
        {
            (e.entity_id, e.unique_id, e.device_id)
            for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        },
        {
            (d.id, frozenset(d.identifiers))
            for d in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        },
    )


async def test_music_assistant_entry_only_gets_the_new_version(hass: HomeAssistant) -> None:
    data = {CONF_KIND: EntryKind.MUSIC_ASSISTANT, CONF_URL: "http://127.0.0.1:8095"}
    entry = MockConfigEntry(domain=DOMAIN, data=data, unique_id="server", minor_version=1)
    entry.add_to_hass(hass)
    assert await async_migrate_entry(hass, entry)
    assert entry.minor_version == ENTRY_MINOR_VERSION
    assert entry.data == data
    assert entry.unique_id == "server"
    assert CONF_SERVICE not in entry.data
