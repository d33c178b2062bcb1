"""The scrobble sources of Last.fm accounts: the servers and players they name, their repairs.

A source is a config subentry of a Last.fm entry (see ``playback.py``). This module names the
Music Assistant servers and players a source can take, titles sources, reloads an account when
its sources change, and raises a repair issue for a source whose server entry was removed.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
    ConfigSubentry,
    ConfigSubentryData,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .const import CONF_KIND, DOMAIN, EntryKind
from .music_assistant_sensor import player_device_id, server_id
from .playback import CONF_MA_USER, CONF_PLAYERS, CONF_SERVER_ENTRY_ID, SUBENTRY_SOURCE
from .repairs import async_warn

# The repair issue of a source whose Music Assistant entry was removed.
ISSUE_SOURCE_SERVER_REMOVED: Final = "source_server_removed"


def entries_of_kind(hass: HomeAssistant, kind: EntryKind) -> list[ConfigEntry]:
    """Return the entries of this integration of one kind."""
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND) == kind.value
    ]


def server_players(hass: HomeAssistant, server: ConfigEntry) -> dict[str, str]:
    """Return the players of a Music Assistant entry (id -> name), names sorted.

    The devices of the entry name every player seen so far; a loaded entry's connection adds
    those it has now, with their current names.
    """
    prefix = player_device_id(server_id(server), "")
    players: dict[str, str] = {}
    devices = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(devices, server.entry_id):
        for domain, identifier in device.identifiers:
            if domain == DOMAIN and identifier.startswith(prefix):
                player_id = identifier.removeprefix(prefix)
                players[player_id] = device.name_by_user or device.name or player_id
    if server.state is ConfigEntryState.LOADED and (client := server.runtime_data.client):
        for player in client.players:
            players[player.player_id] = player.name or player.player_id
    return dict(sorted(players.items(), key=lambda item: (item[1].casefold(), item[0])))


def source_title(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    """Return the title of a source: its players and its server, as a sentence would."""
    server = hass.config_entries.async_get_entry(data[CONF_SERVER_ENTRY_ID])
    server_title = server.title if server is not None else data[CONF_SERVER_ENTRY_ID]
    if players := data.get(CONF_PLAYERS):
        known = server_players(hass, server) if server is not None else {}
        names = [name for player, name in known.items() if player in players]
        names += [player for player in players if player not in known]
        title = f"{', '.join(names)} on {server_title}"
    else:
        title = f"All players of {server_title}"
    if user := data.get(CONF_MA_USER):
        title = f"{title}, plays of user {user}"
    return title


def source_unique_id(data: Mapping[str, Any]) -> str:
    """Return what makes a source unique within its account: server, players and user."""
    players = ",".join(sorted(data.get(CONF_PLAYERS) or []))
    return f"{data[CONF_SERVER_ENTRY_ID]}|{players}|{data.get(CONF_MA_USER) or ''}"


def source_data(server_entry_id: str, players: list[str], user: str | None) -> dict[str, Any]:
    """Return the data of a source subentry."""
    return {
        CONF_SERVER_ENTRY_ID: server_entry_id,
        CONF_PLAYERS: sorted(players),
        CONF_MA_USER: user or None,
    }


def _sources(entry: ConfigEntry) -> dict[str, MappingProxyType[str, Any]]:
    return {
        subentry_id: subentry.data
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_SOURCE
    }


def _issue_id(entry_id: str, subentry_id: str) -> str:
    return f"{ISSUE_SOURCE_SERVER_REMOVED}_{entry_id}_{subentry_id}"


@callback
def async_setup_sources(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Watch the sources of a loaded Last.fm entry: reload it when they change; check them.

    Home Assistant reloads an entry for none of a subentry's changes. A change of the entry is
    watched on its signal, not with an update listener, so that the flows that reload the
    entry themselves (reauthentication, reconfiguration) still may.
    """
    sources = _sources(entry)

    @callback
    def reload_on_change(change: ConfigEntryChange, changed: ConfigEntry) -> None:
        if changed.entry_id != entry.entry_id or change is not ConfigEntryChange.UPDATED:
            return
        current = _sources(changed)
        if current == sources:
            return
        for subentry_id in sources.keys() - current.keys():
            ir.async_delete_issue(hass, DOMAIN, _issue_id(entry.entry_id, subentry_id))
        sources.clear()  # the reload sets up the current ones; report the change once
        sources.update(current)
        hass.config_entries.async_schedule_reload(entry.entry_id)

    entry.async_on_unload(
        async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, reload_on_change)
    )
    async_check_sources(hass, entry)


@callback
def async_check_sources(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Raise a repair issue for each source of an account whose server entry is gone."""
    for subentry_id, subentry in entry.subentries.items():
        if subentry.subentry_type != SUBENTRY_SOURCE:
            continue
        issue_id = _issue_id(entry.entry_id, subentry_id)
        if hass.config_entries.async_get_entry(subentry.data[CONF_SERVER_ENTRY_ID]) is not None:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            continue
        async_warn(
            hass,
            issue_id,
            ISSUE_SOURCE_SERVER_REMOVED,
            {"account": entry.title, "source": subentry.title},
            {"entry_id": entry.entry_id, "subentry_id": subentry_id},
        )


@callback
def async_server_removed(hass: HomeAssistant, server_entry_id: str) -> None:
    """Mark the sources that named a removed Music Assistant entry."""
    for account in entries_of_kind(hass, EntryKind.LASTFM):
        if any(
            data.get(CONF_SERVER_ENTRY_ID) == server_entry_id for data in _sources(account).values()
        ):
            async_check_sources(hass, account)


@callback
def async_account_removed(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Drop the repair issues of a removed account's sources."""
    for subentry_id in _sources(entry):
        ir.async_delete_issue(hass, DOMAIN, _issue_id(entry.entry_id, subentry_id))


# The players offered when an account is added: "<server entry id>/<player id>"; a server
# whose players are not known yet is offered whole, as "<server entry id>/".
PLAYER_SEPARATOR: Final = "/"


def offered_players(hass: HomeAssistant) -> dict[str, str]:
    """Return every player of every Music Assistant entry, as a choice of a form."""
    offered: dict[str, str] = {}
    for server in entries_of_kind(hass, EntryKind.MUSIC_ASSISTANT):
        players = server_players(hass, server)
        if not players:
            offered[f"{server.entry_id}{PLAYER_SEPARATOR}"] = f"All players of {server.title}"
        for player_id, name in players.items():
            offered[f"{server.entry_id}{PLAYER_SEPARATOR}{player_id}"] = f"{name} on {server.title}"
    return offered


def chosen_sources(hass: HomeAssistant, chosen: list[str]) -> list[ConfigSubentryData]:
    """Return the sources of the players chosen among ``offered_players``.

    A server whose players were all chosen is one source of all its players, also those
    added later.
    """
    offered = offered_players(hass)
    by_server: dict[str, set[str]] = {}
    for choice in chosen:
        if choice in offered:
            server_entry_id, _, player_id = choice.partition(PLAYER_SEPARATOR)
            by_server.setdefault(server_entry_id, set()).add(player_id)
    sources: list[ConfigSubentryData] = []
    for server_entry_id, players in by_server.items():
        every = {
            choice.partition(PLAYER_SEPARATOR)[2]
            for choice in offered
            if choice.partition(PLAYER_SEPARATOR)[0] == server_entry_id
        }
        data = source_data(server_entry_id, [] if players >= every else list(players), None)
        sources.append(source_subentry(hass, data))
    return sources


def source_subentry(hass: HomeAssistant, data: dict[str, Any]) -> ConfigSubentryData:
    """Return a source subentry with this data."""
    return ConfigSubentryData(
        data=data,
        subentry_type=SUBENTRY_SOURCE,
        title=source_title(hass, data),
        unique_id=source_unique_id(data),
    )


@callback
def async_add_server_to_accounts(
    hass: HomeAssistant, server_entry_id: str, account_ids: list[str]
) -> None:
    """Make all players of a server a source of each of these accounts (unless it is one)."""
    data = source_data(server_entry_id, [], None)
    subentry = source_subentry(hass, data)
    for account_id in account_ids:
        account = hass.config_entries.async_get_entry(account_id)
        if account is None or any(
            existing.unique_id == subentry["unique_id"] for existing in account.subentries.values()
        ):
            continue
        hass.config_entries.async_add_subentry(
            account,
            ConfigSubentry(
                data=MappingProxyType(data),
                subentry_type=SUBENTRY_SOURCE,
                title=subentry["title"],
                unique_id=subentry["unique_id"],
            ),
        )
