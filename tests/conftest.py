"""Fixtures shared by all tests."""

from collections.abc import Generator
import random
from unittest.mock import AsyncMock, patch

import pytest

from .flow_translations import FlowTranslationCheck, checking_flow_translations

pytest_plugins = ["tests.fakes.fixtures", "tests.fakes.music_assistant_plugin"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add --shuffle-seed: run the collected tests in a random order, to find order dependencies."""
    parser.addoption(
        "--shuffle-seed",
        type=int,
        default=None,
        help="run the tests in an order shuffled with this seed (the same seed, the same order)",
    )


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say which seed shuffled the order, so that a failing order can be run again."""
    seed = config.getoption("--shuffle-seed")
    return None if seed is None else f"test order shuffled with --shuffle-seed={seed}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Shuffle the tests when --shuffle-seed is given."""
    seed = config.getoption("--shuffle-seed")
    if seed is not None:
        random.Random(seed).shuffle(items)  # noqa: S311 (an order, not a secret)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture(autouse=True)
def check_flow_translations() -> Generator[FlowTranslationCheck]:
    """Fail a test whose flows or repair issues show a text that is missing or lacks a value."""
    with checking_flow_translations() as check:
        yield check
    if check.problems:
        pytest.fail(
            "Untranslated flow results or repair issues:\n"
            + "\n".join(dict.fromkeys(check.problems))
        )


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Stop a created entry from being set up, for flow tests."""
    with patch("custom_components.scrobbler.async_setup_entry", return_value=True) as mock:
        yield mock
