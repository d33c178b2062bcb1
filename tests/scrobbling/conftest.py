"""Fixtures of the scrobbling tests, which need no Home Assistant instance."""

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the integration-wide fixture: the scrobbling rules run without Home Assistant."""
