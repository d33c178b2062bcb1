"""The flow of a scrobble source: a Music Assistant server, its players, a user (optional).

A source is a config subentry of a Last.fm entry. The flow asks which Music Assistant entry
(when there are several), then which of its players (none: all of them, also those added
later) and, optionally, the Music Assistant user whose plays count.
"""

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import voluptuous as vol

from .const import EntryKind
from .playback import CONF_MA_USER, CONF_PLAYERS, CONF_SERVER_ENTRY_ID
from .sources import entries_of_kind, server_players, source_data, source_title, source_unique_id


def choices(options: dict[str, str]) -> SelectSelector:
    """Return a field that chooses any of ``options`` (value -> label)."""
    return SelectSelector(
        SelectSelectorConfig(
            options=[
                SelectOptionDict(value=value, label=label) for value, label in options.items()
            ],
            multiple=True,
            mode=SelectSelectorMode.LIST,
        )
    )


def players_schema(players: dict[str, str]) -> vol.Schema:
    """Return the form of a server's players (all when none is chosen) and a user."""
    return vol.Schema(
        {
            vol.Optional(CONF_PLAYERS, default=[]): choices(players),
            vol.Optional(CONF_MA_USER): TextSelector(),
        }
    )


class SourceSubentryFlow(ConfigSubentryFlow):
    """Add or change a scrobble source of a Last.fm account."""

    _server_entry_id: str

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Choose the Music Assistant server."""
        return await self._async_step_server(user_input, {})

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a source: its server first."""
        return await self._async_step_server(user_input, self._get_reconfigure_subentry().data)

    async def _async_step_server(
        self, user_input: dict[str, Any] | None, current: Mapping[str, Any]
    ) -> SubentryFlowResult:
        servers = {
            entry.entry_id: entry.title
            for entry in entries_of_kind(self.hass, EntryKind.MUSIC_ASSISTANT)
        }
        if not servers:
            return self.async_abort(reason="no_music_assistant")
        if user_input is not None:
            self._server_entry_id = user_input[CONF_SERVER_ENTRY_ID]
            return await self.async_step_players()
        if len(servers) == 1:
            self._server_entry_id = next(iter(servers))
            return await self.async_step_players()
        options = [SelectOptionDict(value=key, label=title) for key, title in servers.items()]
        schema = vol.Schema(
            {
                vol.Required(CONF_SERVER_ENTRY_ID): SelectSelector(
                    SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
                )
            }
        )
        return self.async_show_form(
            step_id="reconfigure" if self.source == SOURCE_RECONFIGURE else "user",
            data_schema=self.add_suggested_values_to_schema(schema, current),
        )

    async def async_step_players(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose the players (none: all of them) and, optionally, a user."""
        server = self.hass.config_entries.async_get_entry(self._server_entry_id)
        if server is None:  # deleted while this flow was open
            return self.async_abort(reason="no_music_assistant")
        reconfiguring = self.source == SOURCE_RECONFIGURE
        if user_input is not None:
            data = source_data(
                server.entry_id,
                user_input.get(CONF_PLAYERS, []),
                (user_input.get(CONF_MA_USER) or "").strip() or None,
            )
            unique_id = source_unique_id(data)
            entry = self._get_entry()
            own = self._reconfigure_subentry_id if reconfiguring else None
            if any(
                subentry.unique_id == unique_id and subentry_id != own
                for subentry_id, subentry in entry.subentries.items()
            ):
                return self.async_abort(reason="already_configured")
            title = source_title(self.hass, data)
            if reconfiguring:
                return self.async_update_and_abort(
                    entry,
                    self._get_reconfigure_subentry(),
                    title=title,
                    data=data,
                    unique_id=unique_id,
                    reason="reconfigure_successful",
                )
            return self.async_create_entry(title=title, data=data, unique_id=unique_id)
        players = server_players(self.hass, server)
        current: dict[str, Any] = {}
        if reconfiguring:
            before = self._get_reconfigure_subentry().data
            if before[CONF_SERVER_ENTRY_ID] == server.entry_id:
                current = {key: before[key] for key in (CONF_PLAYERS, CONF_MA_USER) if before[key]}
                players = {player: player for player in current.get(CONF_PLAYERS, [])} | players
        return self.async_show_form(
            step_id="players",
            data_schema=self.add_suggested_values_to_schema(players_schema(players), current),
            description_placeholders={"server": server.title},
        )
