"""The Last.fm-compatible services: where their API and their authorization page live."""

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit, urlunsplit


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


_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_SERVICE_NAMES: Final = {LASTFM.id: "Last.fm", LIBREFM.id: "Libre.fm"}


def normalize_api_root(api_root: str) -> str:
    """Return one spelling of an API root, so that two spellings of one server compare equal.

    The scheme and the host are lower-cased, a default port, user info and a fragment are
    dropped, and the path ends with a slash: ``HTTPS://Example.org:443/2.0`` is
    ``https://example.org/2.0/``. A URL that cannot be parsed is returned stripped. This is
    the identity of a server, not an address to call.
    """
    parts = urlsplit(api_root.strip())
    try:
        port = parts.port
    except ValueError:
        return api_root.strip()
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    path = parts.path if parts.path.endswith("/") else f"{parts.path}/"
    return urlunsplit((scheme, host, path, parts.query, ""))


def service_name(service_id: str, api_root: str) -> str:
    """Return the name of a service for people: ``Last.fm``, ``Libre.fm``, or the server's host."""
    if name := _SERVICE_NAMES.get(service_id):
        return name
    return urlsplit(normalize_api_root(api_root)).netloc or api_root
