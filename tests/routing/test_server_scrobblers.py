"""A repair issue while a Music Assistant server runs a scrobbler of its own."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from music_assistant_models.enums import EventType, ProviderType
from music_assistant_models.provider import ProviderInstance

from custom_components.scrobbler.const import DOMAIN
from tests.fakes.music_assistant_server import FakeMusicAssistantServer
from tests.music_assistant.conftest import ma_entry, settle, setup_ma_entry


def scrobbler(domain: str, name: str) -> ProviderInstance:
    """Return an enabled scrobbler provider of the server."""
    return ProviderInstance(
        type=ProviderType.PLUGIN,
        domain=domain,
        name=name,
        instance_id=domain,
        lookup_key=domain,
        supported_features=set(),
        available=True,
    )


def issues(hass: HomeAssistant) -> dict[str, ir.IssueEntry]:
    """Return the issues of this integration about servers' own scrobblers."""
    return {
        issue_id: issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.translation_key == "music_assistant_scrobbler"
    }


async def test_a_server_that_scrobbles_by_itself(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    ma_server.providers.append(scrobbler("lastfm_scrobble", "LastFM Scrobbler"))
    entry = await setup_ma_entry(hass, ma_entry(ma_server))

    (issue,) = issues(hass).values()
    assert issue.issue_id == f"music_assistant_scrobbler_{entry.entry_id}_lastfm_scrobble"
    assert issue.translation_placeholders == {
        "server": entry.title,
        "service": "Last.fm",
        "provider": "LastFM Scrobbler",
    }
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable

    # the user turns it off and ListenBrainz on: the server tells at once
    ma_server.providers[-1] = scrobbler("listenbrainz_scrobble", "ListenBrainz Scrobbler")
    await ma_server.emit(EventType.PROVIDERS_UPDATED, None, ma_server.providers)
    await settle(hass, entry)
    assert [issue.translation_placeholders["service"] for issue in issues(hass).values()] == [
        "ListenBrainz"
    ]

    # removing the server removes its issues
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not issues(hass)


async def test_a_server_without_scrobblers(
    hass: HomeAssistant, ma_server: FakeMusicAssistantServer
) -> None:
    await setup_ma_entry(hass, ma_entry(ma_server))
    assert not issues(hass)
