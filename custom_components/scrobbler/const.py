"""Constants of the Scrobbler integration."""

from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "scrobbler"
LOGGER = logging.getLogger(__package__)

# Which kind of thing a config entry stands for: a Last.fm account or a Music Assistant server.
CONF_KIND: Final = "kind"


class EntryKind(StrEnum):
    """The kinds of config entries this integration creates."""

    LASTFM = "lastfm"
    MUSIC_ASSISTANT = "music_assistant"
