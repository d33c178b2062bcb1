"""Constants of the Scrobbler integration."""

from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "scrobbler"
LOGGER = logging.getLogger(__package__)

# The version of config entries this code writes: config_flow.ScrobblerConfigFlow.VERSION and
# MINOR_VERSION. Older entries are migrated (__init__.async_migrate_entry).
ENTRY_VERSION: Final = 1
ENTRY_MINOR_VERSION: Final = 2

# Which kind of thing a config entry stands for: a Last.fm account or a Music Assistant server.
CONF_KIND: Final = "kind"


class EntryKind(StrEnum):
    """The kinds of config entries this integration creates."""

    LASTFM = "lastfm"
    MUSIC_ASSISTANT = "music_assistant"


# Keys of a Last.fm entry's data (CONF_API_KEY and CONF_USERNAME come from homeassistant.const).
CONF_SERVICE: Final = "service"
CONF_API_ROOT: Final = "api_root"
CONF_AUTH_URL: Final = "auth_url"
CONF_API_SECRET: Final = "api_secret"  # noqa: S105 (the name of a key, not a secret)
CONF_SESSION_KEY: Final = "session_key"
