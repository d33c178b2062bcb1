"""A repair issue while a Music Assistant server scrobbles by itself.

Music Assistant has scrobbler providers of its own (Last.fm, ListenBrainz). While one is enabled
on a server whose players Scrobbler scrobbles too, plays can be scrobbled twice. The server lists
its providers on connection and after each change (``providers_updated``); an issue is raised
for each of those scrobblers it runs, and deleted when it runs it no more.
"""

from typing import Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from music_assistant_models.enums import EventType
from music_assistant_models.event import MassEvent

from .const import DOMAIN
from .music_assistant_connection import ConnectionState, MusicAssistantConnection
from .repairs import async_warn

# The scrobbler providers of Music Assistant, by domain, and the service each scrobbles to.
SCROBBLER_PROVIDERS: Final = {
    "lastfm_scrobble": "Last.fm",
    "listenbrainz_scrobble": "ListenBrainz",
}
ISSUE_SERVER_SCROBBLES: Final = "music_assistant_scrobbler"


def _issue_id(entry_id: str, domain: str) -> str:
    return f"{ISSUE_SERVER_SCROBBLES}_{entry_id}_{domain}"


@callback
def async_watch_scrobblers(
    hass: HomeAssistant, connection: MusicAssistantConnection
) -> list[CALLBACK_TYPE]:
    """Keep the issues of a server's own scrobblers up to date; return the unsubscribers."""
    entry = connection.entry

    @callback
    def check(_event: MassEvent | None = None) -> None:
        if connection.state is not ConnectionState.CONNECTED or connection.client is None:
            return
        running = {provider.domain: provider for provider in connection.client.providers}
        for domain, service in SCROBBLER_PROVIDERS.items():
            issue_id = _issue_id(entry.entry_id, domain)
            if (provider := running.get(domain)) is None:
                ir.async_delete_issue(hass, DOMAIN, issue_id)
                continue
            async_warn(
                hass,
                issue_id,
                ISSUE_SERVER_SCROBBLES,
                {"server": entry.title, "service": service, "provider": provider.name},
            )

    unsubscribe = [
        connection.async_add_state_listener(check),
        connection.async_add_event_listener(check, (EventType.PROVIDERS_UPDATED,)),
    ]
    check()
    return unsubscribe


@callback
def async_delete_scrobbler_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the issues of a removed server."""
    for domain in SCROBBLER_PROVIDERS:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(entry_id, domain))
