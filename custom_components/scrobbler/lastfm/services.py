"""The Last.fm-compatible services: where their API and their authorization page live."""

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class LastfmService:
    """A service that speaks the Last.fm API.

    Attributes:
        id: ``"lastfm"``, ``"librefm"`` or ``"custom"``.
        api_root: the URL of the API (``.../2.0/``).
        auth_url: the page where a person allows an application (``.../api/auth/``).
    """

    id: str
    api_root: str
    auth_url: str


LASTFM: Final = LastfmService(
    "lastfm", "https://ws.audioscrobbler.com/2.0/", "https://www.last.fm/api/auth/"
)
LIBREFM: Final = LastfmService("librefm", "https://libre.fm/2.0/", "https://libre.fm/api/auth/")
CUSTOM_ID: Final = "custom"
KNOWN_SERVICES: Final = {service.id: service for service in (LASTFM, LIBREFM)}


def custom_service(api_root: str, auth_url: str) -> LastfmService:
    """Return a self-hosted or other Last.fm-compatible service."""
    return LastfmService(CUSTOM_ID, api_root, auth_url)
