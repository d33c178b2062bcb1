"""Fixtures shared by all tests."""

from collections.abc import Generator
from unittest.mock import AsyncMock, patch

import pytest

pytest_plugins = ["tests.fakes.music_assistant_plugin"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Stop a created entry from being set up, for flow tests."""
    with patch("custom_components.scrobbler.async_setup_entry", return_value=True) as mock:
        yield mock
