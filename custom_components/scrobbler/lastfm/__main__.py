"""Run ``acr_lastfm_auth``: ``python -m custom_components.scrobbler.lastfm --help``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
