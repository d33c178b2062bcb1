"""An asynchronous client of the Last.fm API, free of Home Assistant.

It also holds the ``acr_lastfm_auth``-compatible credentials file and command line
(``python -m custom_components.scrobbler.lastfm``).
"""

from .client import LastfmClient, auth_page_url, sign
from .errors import (
    LastfmAuthError,
    LastfmError,
    LastfmInvalidApiKeyError,
    LastfmInvalidRequestError,
    LastfmInvalidSignatureError,
    LastfmMalformedResponseError,
    LastfmOutcomeUnknownError,
    LastfmRateLimitError,
    LastfmTemporaryError,
    LastfmTokenExpiredError,
    LastfmTokenNotAuthorizedError,
)
from .models import RecentTrack, Scrobble, ScrobbleResult, Session, Track, User
from .ratelimit import RateLimiter
from .services import LASTFM, LIBREFM, LastfmService, custom_service

__all__ = [
    "LASTFM",
    "LIBREFM",
    "LastfmAuthError",
    "LastfmClient",
    "LastfmError",
    "LastfmInvalidApiKeyError",
    "LastfmInvalidRequestError",
    "LastfmInvalidSignatureError",
    "LastfmMalformedResponseError",
    "LastfmOutcomeUnknownError",
    "LastfmRateLimitError",
    "LastfmService",
    "LastfmTemporaryError",
    "LastfmTokenExpiredError",
    "LastfmTokenNotAuthorizedError",
    "RateLimiter",
    "RecentTrack",
    "Scrobble",
    "ScrobbleResult",
    "Session",
    "Track",
    "User",
    "auth_page_url",
    "custom_service",
    "sign",
]
