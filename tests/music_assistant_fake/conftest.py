"""Helpers for testing the fake Music Assistant server with the real client."""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
import ssl

import aiohttp
from music_assistant_client import MusicAssistantClient
from music_assistant_models.event import MassEvent
from music_assistant_models.player import Player
from music_assistant_models.player_queue import PlayerQueue
import pytest

from tests.fakes.music_assistant_server import MA_TOKEN


@pytest.fixture
async def http_session() -> AsyncGenerator[aiohttp.ClientSession]:
    """Return an aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session


class Listener:
    """A real client listening to a server, with the events it received."""

    def __init__(self, client: MusicAssistantClient, task: asyncio.Task[None]) -> None:
        """Keep the client and its listen task; collect every event."""
        self.client = client
        self.task = task
        self.events: asyncio.Queue[MassEvent] = asyncio.Queue()
        client.subscribe(self.events.put_nowait)

    def player(self, player_id: str) -> Player:
        """Return the client's cached player."""
        player = self.client.players.get(player_id)
        assert player is not None
        return player

    def queue(self, queue_id: str) -> PlayerQueue:
        """Return the client's cached queue."""
        queue = self.client.player_queues.get(queue_id)
        assert queue is not None
        return queue

    async def next_events(self, count: int) -> list[MassEvent]:
        """Return the next `count` events."""
        return [await asyncio.wait_for(self.events.get(), 5) for _ in range(count)]

    async def drain(self) -> list[MassEvent]:
        """Return the events received so far, after a round trip to the server."""
        await self.client.send_command("info")
        await asyncio.sleep(0)  # the client schedules its callbacks with call_soon
        events = []
        while not self.events.empty():
            events.append(self.events.get_nowait())
        return events


@asynccontextmanager
async def listening(
    session: aiohttp.ClientSession,
    url: str,
    token: str | None = MA_TOKEN,
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncIterator[Listener]:
    """Run a real client's `start_listening` until its initial state is loaded."""
    client = MusicAssistantClient(url, session, token=token, ssl_context=ssl_context)
    ready = asyncio.Event()
    task = asyncio.create_task(client.start_listening(ready))
    listener = Listener(client, task)
    try:
        await asyncio.wait_for(ready.wait(), 5)
        yield listener
    finally:
        await client.disconnect()
        await asyncio.wait_for(task, 5)
