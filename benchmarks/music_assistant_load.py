"""Home Assistant in-process with Music Assistant integrations, and the fake server's traffic.

Used by ``benchmarks/bench_music_assistant.py``. One event loop holds everything: a
``FakeMusicAssistantServer`` on 127.0.0.1 with N players, a Home Assistant instance made as the
tests make theirs (``async_test_home_assistant``) with this integration, HA core's own
``music_assistant`` integration, both or neither, each set up through its config flow with a
long-lived token, or a bare ``MusicAssistantClient`` without Home Assistant.

The players play in virtual time (``FakePlayer.advance``; their clock is the load's, not the
wall clock): a play start, 30-s progress reports, pauses, seeks, skips, track changes and the
end of the queue, with the events the real server sends for each. Every step of every player is
sent as one burst, and the load waits until each client has handled it (a command round trip on
its own socket: the answer comes after every frame sent before it) before the next step.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from contextlib import asynccontextmanager
import cProfile
from dataclasses import dataclass, field
from enum import StrEnum
import gc
import json
import logging
import os
from pathlib import Path
import pstats
import resource
import sys
import tempfile
import time
import tracemalloc
from typing import Any, Final
from unittest.mock import patch

from aiohttp import ThreadedResolver
from homeassistant import loader
from homeassistant.components.music_assistant.const import DOMAIN as CORE_DOMAIN
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import (
    CONF_TOKEN,
    CONF_URL,
    CONF_VERIFY_SSL,
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import aiohttp_client, entity_registry as er, frame
from homeassistant.setup import async_setup_component
from music_assistant_client import MusicAssistantClient
from music_assistant_models.enums import EventType
from music_assistant_models.event import MassEvent
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_test_home_assistant

from custom_components.scrobbler.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.scrobbler.music_assistant_connection import ConnectionState
from custom_components.scrobbler.music_assistant_sensor import SEPARATOR
from tests.fakes.music_assistant_media import RECORDED_LIBRARY, SEEK_THRESHOLD, FakePlayer
from tests.fakes.music_assistant_server import (
    MA_SERVER_ID,
    MA_TOKEN,
    MA_USERNAME,
    FakeMusicAssistantServer,
)

# The steps of one player: play the library, pause, resume, seek, skip, play to the end.
# ("advance", s) lets s seconds of virtual play pass, in steps of ADVANCE_STEP.
ADVANCE_STEP: Final = 10.0
SCRIPT: Final[tuple[tuple[str, float], ...]] = (
    ("play", 0),
    ("ready", 1.0),
    ("advance", 40),
    ("pause", 0),
    ("resume", 0),
    ("advance", 20),  # the first track (50 s) ends
    ("seek", 40),
    ("advance", 30),
    ("next", 0),  # a skip during the third track
    ("ready", 1.0),
    ("advance", 60),
    ("pause", 0),
    ("resume", 0),
    ("advance", 200),  # the last tracks play to the end, the queue is cleared
)


class Mode(StrEnum):
    """What listens to the fake server."""

    OURS = "scrobbler"  # Home Assistant with this integration
    CORE = "core"  # Home Assistant with core's music_assistant
    BOTH = "both"  # Home Assistant with both
    NEITHER = "neither"  # Home Assistant without either (the fake and HA's loop alone)
    BARE = "bare"  # the client library alone, listening, no Home Assistant


def player_id(index: int) -> str:
    """The id of the index-th player of the load."""
    return f"bench{index:08d}"


def title_of(event: MassEvent) -> str | None:
    """The title of the track an event shows as current, if it shows one."""
    data = event.data
    if not isinstance(data, dict):
        return None
    if event.event is EventType.PLAYER_UPDATED:
        media = data.get("current_media")
        return media.get("title") if isinstance(media, dict) else None
    if event.event is EventType.QUEUE_UPDATED:
        item = data.get("current_item")
        track = item.get("media_item") if isinstance(item, dict) else None
        return track.get("name") if isinstance(track, dict) else None
    return None


class LoadServer(FakeMusicAssistantServer):
    """The fake server, noting when each player's new title was first sent, and every event."""

    def __init__(self, clock: Callable[[], float]) -> None:
        """Start counting; players use ``clock`` (virtual time)."""
        super().__init__()
        self.clock = clock
        self.events = 0
        self.tracks = 0  # new titles shown, over all players
        self.first_sent: dict[tuple[str, str], int] = {}
        # when the burst of each player's latest step started to be sent
        self.burst_started: dict[str, int] = {}
        self._burst: str | None = None
        self._titles: dict[str, str | None] = {}

    def new_player(self, player_id: str = "", name: str = "") -> FakePlayer:
        """A player on the load's virtual clock (the timestamps of its events are virtual)."""
        player = super().new_player(player_id, name)
        player.clock = self.clock
        player.queue_elapsed_at = self.clock()
        return player

    def begin_burst(self, player: str) -> None:
        """Take the time the next events start to be sent as the start of a burst of ``player``."""
        self._burst = player

    async def emit_all(self, events: Iterable[MassEvent]) -> None:
        """Send events, noting the time a player's title first changed to a new one."""
        for event in events:
            if self._burst is not None:
                self.burst_started[self._burst] = time.perf_counter_ns()
                self._burst = None
            title = title_of(event)
            player = event.object_id
            if title is not None and player is not None and self._titles.get(player) != title:
                self._titles[player] = title
                self.first_sent[player, title] = time.perf_counter_ns()
                self.tracks += 1
            self.events += 1
            await self.send_raw(json.dumps(event.to_dict()))


@dataclass
class Writes:
    """State writes of one kind of entity (per integration), and the latency of new titles."""

    changed: int = 0  # the state (the value) changed
    attributes_only: int = 0  # the value stayed, attributes changed
    reported: int = 0  # written unchanged (EVENT_STATE_REPORTED)
    # each new title: from the start of the burst that brought it to the state with it
    latencies_ns: list[int] = field(default_factory=list)
    # each new title: from the first frame that carried it (maybe of an earlier step)
    shown_ns: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Every write."""
        return self.changed + self.attributes_only + self.reported


def ours_title(state: State) -> str | None:
    """The title a now-playing sensor shows."""
    if state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE, ""):
        return None
    return state.state.rpartition(SEPARATOR)[2]


def core_title(state: State) -> str | None:
    """The title core's media player shows."""
    title = state.attributes.get("media_title")
    return title if isinstance(title, str) else None


class Observer:
    """Counts every state write of the watched entities and times each new title."""

    def __init__(self, hass: HomeAssistant, server: LoadServer) -> None:
        """Watch nothing yet."""
        self.hass = hass
        self.server = server
        # entity id -> (writes it counts in, player id, how to read its title)
        self.watched: dict[str, tuple[Writes, str, Callable[[State], str | None]]] = {}
        self.writes = {Mode.OURS: Writes(), Mode.CORE: Writes()}
        self._unsubs = [
            hass.bus.async_listen(EVENT_STATE_CHANGED, self._changed, event_filter=self._ours),
            hass.bus.async_listen(EVENT_STATE_REPORTED, self._reported, event_filter=self._ours),
        ]

    def watch(self, entity_id: str, mode: Mode, player: str) -> None:
        """Count the writes of an entity."""
        reader = ours_title if mode is Mode.OURS else core_title
        self.watched[entity_id] = (self.writes[mode], player, reader)

    @callback
    def _ours(self, data: Any) -> bool:
        return data["entity_id"] in self.watched

    @callback
    def _changed(self, event: Event[Any]) -> None:
        now = time.perf_counter_ns()
        watched = self.watched.get(event.data["entity_id"])
        new, old = event.data["new_state"], event.data["old_state"]
        if watched is None or new is None:
            return
        writes, player, read_title = watched
        if old is None:  # the entity's first state: written when it was added, not by the play
            return
        if old.state == new.state:
            writes.attributes_only += 1
        else:
            writes.changed += 1
        title = read_title(new)
        if title is not None and read_title(old) != title:
            if (started := self.server.burst_started.get(player)) is not None:
                writes.latencies_ns.append(now - started)
            if (sent := self.server.first_sent.get((player, title))) is not None:
                writes.shown_ns.append(now - sent)

    @callback
    def _reported(self, event: Event[Any]) -> None:
        if (watched := self.watched.get(event.data["entity_id"])) is not None:
            watched[0].reported += 1

    def stop(self) -> None:
        """Stop counting."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs = []

    def reset(self) -> None:
        """Forget the writes counted so far (those of the setup)."""
        self.writes = {Mode.OURS: Writes(), Mode.CORE: Writes()}
        self.watched = {  # the same entities, counting anew
            entity_id: (self.writes[Mode.OURS if reader is ours_title else Mode.CORE], p, reader)
            for entity_id, (_, p, reader) in self.watched.items()
        }


def rss_bytes() -> int:
    """The resident set size of this process, after a full garbage collection."""
    gc.collect()
    with Path("/proc/self/statm").open(encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


async def _flow_ours(hass: HomeAssistant, server: LoadServer) -> ConfigEntry:
    flow = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    flow = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"next_step_id": EntryKind.MUSIC_ASSISTANT.value}
    )
    flow = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_URL: server.url, CONF_VERIFY_SSL: False}
    )
    # The sign-in form takes a username and password or a long-lived token.
    flow = await hass.config_entries.flow.async_configure(flow["flow_id"], {CONF_TOKEN: MA_TOKEN})
    return _created(flow)


async def _flow_core(hass: HomeAssistant, server: LoadServer) -> ConfigEntry:
    flow = await hass.config_entries.flow.async_init(CORE_DOMAIN, context={"source": "user"})
    flow = await hass.config_entries.flow.async_configure(flow["flow_id"], {CONF_URL: server.url})
    flow = await hass.config_entries.flow.async_configure(flow["flow_id"], {CONF_TOKEN: MA_TOKEN})
    return _created(flow)


def _created(flow: Any) -> ConfigEntry:
    if flow["type"] is not FlowResultType.CREATE_ENTRY:
        msg = f"the config flow did not create an entry: {flow}"
        raise RuntimeError(msg)
    entry: ConfigEntry = flow["result"]
    if entry.state is not ConfigEntryState.LOADED:
        msg = f"the entry did not load: {entry.state}"
        raise RuntimeError(msg)
    return entry


def _resolver() -> ThreadedResolver:
    """A resolver without zeroconf, closed as HA closes its own (``real_close``)."""
    resolver = ThreadedResolver()
    resolver.real_close = resolver.close  # type: ignore[attr-defined]
    return resolver


@asynccontextmanager
async def home_assistant() -> AsyncIterator[HomeAssistant]:
    """A running Home Assistant that loads this integration from custom_components/."""
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)  # "not tested by HA"
    # the client library logs every refused connection (the start-up figures make some)
    logging.getLogger("music_assistant_client").setLevel(logging.CRITICAL)
    with (
        tempfile.TemporaryDirectory(prefix="bench-ha-") as config_dir,
        # as in HA's tests: no zeroconf (multicast) behind HA's aiohttp sessions
        patch.object(aiohttp_client, "_async_make_resolver", return_value=_resolver()),
    ):
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            frame.async_setup(hass)
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            await async_setup_component(hass, "homeassistant", {})
            try:
                yield hass
            finally:
                # unloaded first: core's entry reloads itself when its connection ends
                for entry in hass.config_entries.async_entries():
                    if entry.state is ConfigEntryState.LOADED:
                        await hass.config_entries.async_unload(entry.entry_id)
                await hass.async_stop(force=True)


@dataclass
class Run:
    """What one run of the load measured (``players`` players, heard in ``mode``)."""

    mode: Mode
    players: int
    setup_s: float  # the config flows (or the bare client's connect), until loaded
    events: int  # events the fake sent while the players played
    tracks: int  # new titles, over all players
    cpu_s: float  # CPU time of the process while the players played
    wall_s: float
    rss_one: int  # RSS after the setup with one player (garbage collected)
    rss_all: int  # RSS after all players were added and played
    writes: dict[str, Writes]
    profile: list[dict[str, Any]] = field(default_factory=list)
    memory: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The run as JSON data."""
        return {
            "mode": self.mode.value,
            "players": self.players,
            "setup_s": self.setup_s,
            "events": self.events,
            "tracks": self.tracks,
            "cpu_s": self.cpu_s,
            "wall_s": self.wall_s,
            "rss_one": self.rss_one,
            "rss_all": self.rss_all,
            "writes": {
                name: {
                    "changed": w.changed,
                    "attributes_only": w.attributes_only,
                    "reported": w.reported,
                    "latencies_ns": w.latencies_ns,
                    "shown_ns": w.shown_ns,
                }
                for name, w in self.writes.items()
            },
            "profile": self.profile,
            "memory": self.memory,
        }


class Load:
    """A fake server with players and what listens to it, driven step by step."""

    def __init__(self, mode: Mode) -> None:
        """Plan a run heard in ``mode``."""
        self.mode = mode
        self.now = 1_800_000_000.0  # the players' virtual wall clock
        self.server = LoadServer(lambda: self.now)
        self.server.create_token(MA_USERNAME, "Benchmarks", token=MA_TOKEN)
        self.hass: HomeAssistant | None = None
        self.observer: Observer | None = None
        self.round_trips: list[Callable[[], Coroutine[Any, Any, Any]]] = []
        self._bare: MusicAssistantClient | None = None
        self._listen: asyncio.Task[None] | None = None

    async def add_players(self, first: int, count: int) -> None:
        """Add players (the clients learn of them from the server's events)."""
        for index in range(first, first + count):
            await self.server.add_player(player_id(index), f"Bench player {index}")
        await self.settle()

    async def settle(self) -> None:
        """Wait until every client handled every frame sent so far (and HA its jobs)."""
        for round_trip in self.round_trips:
            await round_trip()
        # the fake logs every command; these round trips would grow its log with the players
        self.server.commands.clear()
        if self.hass is not None:
            await self.hass.async_block_till_done()

    async def connect(self) -> None:
        """Set up what listens in this mode (config flows with the token); wait until loaded."""
        if self.mode is Mode.BARE:
            client = MusicAssistantClient(self.server.url, None, token=MA_TOKEN)
            await client.connect()
            ready = asyncio.Event()
            self._listen = asyncio.create_task(client.start_listening(ready))
            await ready.wait()
            self._bare = client
            self.round_trips.append(lambda: client.send_command("info"))
            return
        hass = self.hass
        if hass is None:
            msg = "no Home Assistant to set up"
            raise RuntimeError(msg)
        self.observer = Observer(hass, self.server)
        if self.mode in (Mode.OURS, Mode.BOTH):
            entry = await _flow_ours(hass, self.server)
            connection = entry.runtime_data
            # this integration loads at once and connects in the background
            await _wait(lambda: connection.state is ConnectionState.CONNECTED)
            ours = connection.client
            self.round_trips.append(lambda: ours.send_command("info"))
        if self.mode in (Mode.CORE, Mode.BOTH):
            entry = await _flow_core(hass, self.server)
            mass = entry.runtime_data.mass
            self.round_trips.append(lambda: mass.send_command("info"))
        await self.settle()

    async def close(self) -> None:
        """Disconnect the bare client (Home Assistant unloads its entries itself)."""
        if self._bare is not None:
            await self._bare.disconnect()
        if self._listen is not None:
            self._listen.cancel()

    def watch_entities(self) -> None:
        """Count the writes of the now-playing sensors and core's media players."""
        if self.hass is None or self.observer is None:
            return
        for entity in list(er.async_get(self.hass).entities.values()):
            if entity.platform == DOMAIN and entity.unique_id.endswith(NOW_PLAYING_SUFFIX):
                player = entity.unique_id.removesuffix(NOW_PLAYING_SUFFIX).rpartition("_")[2]
                self.observer.watch(entity.entity_id, Mode.OURS, player)
            elif entity.platform == CORE_DOMAIN and entity.domain == "media_player":
                self.observer.watch(entity.entity_id, Mode.CORE, entity.unique_id)

    async def play(self, players: list[str]) -> None:
        """Every player plays the script; each step goes round the players, one burst each."""
        for action, value in SCRIPT:
            if action == "advance":
                remaining = value
                while remaining > 0:
                    step = min(ADVANCE_STEP, remaining)
                    remaining -= step
                    self.now += step
                    for pid in players:
                        self.server.begin_burst(pid)
                        await self.server.advance(pid, step)
                        await self.settle()
                continue
            for pid in players:
                self.server.begin_burst(pid)
                await self._step(pid, action, value)
                await self.settle()

    async def _step(self, pid: str, action: str, value: float) -> None:
        server = self.server
        if action == "play":
            await server.play(pid, RECORDED_LIBRARY)
        elif action == "ready":
            self.now += value
            await server.media_ready(pid, value)
        elif action == "pause":
            await server.pause(pid)
        elif action == "resume":
            await server.resume(pid)
        elif action == "next":
            await server.next(pid)
        elif action == "seek":
            await server.emit_all(seek(server.players[pid], value))


NOW_PLAYING_SUFFIX: Final = "_now_playing"


def seek(player: FakePlayer, to: float) -> list[MassEvent]:
    """Jump to ``to`` seconds into the current track, with the events the real server sends."""
    events: list[MassEvent] = []
    player.position = to
    if abs(player.queue_elapsed - to) > SEEK_THRESHOLD:
        player._announce_queue_elapsed(to)  # noqa: SLF001 - the fake's own bookkeeping
        events.append(MassEvent(EventType.QUEUE_TIME_UPDATED, player.player_id, int(to)))
    player._announce_player_elapsed(to)  # noqa: SLF001
    events.append(player._player_updated())  # noqa: SLF001
    return events


async def _wait(predicate: Callable[[], object]) -> None:
    async with asyncio.timeout(10):
        while not predicate():  # noqa: ASYNC110 - the client's frames have no event to await
            await asyncio.sleep(0.001)


async def measure(mode: Mode, players: int, *, profile: bool = False) -> Run:
    """Run the load once: set up with one player, add the others, let all play the script.

    With ``profile``, the play is run under cProfile and the run carries the top functions of
    the integrations (see :func:`profile_rows`); its times are then not comparable.
    """
    load = Load(mode)
    async with load.server, _home_assistant_of(mode) as hass:
        load.hass = hass
        await load.add_players(0, 1)
        started = time.perf_counter()
        await load.connect()
        setup_s = time.perf_counter() - started
        rss_one = rss_bytes()
        if profile:
            tracemalloc.start()
            before = tracemalloc.take_snapshot()
        await load.add_players(1, players - 1)
        load.watch_entities()
        if load.observer is not None:
            load.observer.reset()
        events, tracks = load.server.events, load.server.tracks
        profiler = cProfile.Profile() if profile else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        await load.play([player_id(index) for index in range(players)])
        if profiler is not None:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if load.observer is not None:
            load.observer.stop()
        events, tracks = load.server.events - events, load.server.tracks - tracks
        rss_all = rss_bytes()
        memory = []
        if profile:
            memory = memory_rows(before, tracemalloc.take_snapshot(), players)
            tracemalloc.stop()
        await load.close()
    writes = load.observer.writes if load.observer is not None else {}
    return Run(
        mode=mode,
        players=players,
        setup_s=setup_s,
        events=events,
        tracks=tracks,
        cpu_s=cpu,
        wall_s=wall,
        rss_one=rss_one,
        rss_all=rss_all,
        writes={name.value: value for name, value in writes.items()},
        profile=profile_rows(profiler, events) if profiler is not None else [],
        memory=memory,
    )


@asynccontextmanager
async def _home_assistant_of(mode: Mode) -> AsyncIterator[HomeAssistant | None]:
    if mode is Mode.BARE:
        yield None
        return
    async with home_assistant() as hass:
        yield hass


# Where the functions of each integration live (the profile shows those).
PROFILED: Final = {
    "scrobbler": f"custom_components{os.sep}scrobbler{os.sep}",
    "core": f"components{os.sep}music_assistant{os.sep}",
}
PROFILE_TOP: Final = 12
# The listening loops: their time is the client library's reading and parsing of every frame.
LISTEN_LOOPS: Final = frozenset(
    {"_async_run", "_async_guarded", "_async_listen", "_async_start_listening", "_client_listen"}
)


def profile_rows(
    profiler: cProfile.Profile, events: int, top: int = PROFILE_TOP
) -> list[dict[str, Any]]:
    """The functions of the integrations with the most cumulative time, per MA event.

    The listening loops are left out: theirs is mostly the client library's time.
    """
    stats = pstats.Stats(profiler)
    rows: list[dict[str, Any]] = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        for owner, marker in PROFILED.items():
            if marker in filename and function not in LISTEN_LOOPS:
                rows.append(
                    {
                        "owner": owner,
                        "function": f"{filename.rpartition(marker)[2]}:{line}({function})",
                        "calls_per_event": calls / max(events, 1),
                        "cumulative_us_per_event": cumulative / max(events, 1) * 1e6,
                        "own_us_per_event": own / max(events, 1) * 1e6,
                    }
                )
    rows.sort(key=lambda row: row["cumulative_us_per_event"], reverse=True)
    kept: list[dict[str, Any]] = []
    for owner in PROFILED:
        kept += [row for row in rows if row["owner"] == owner][:top]
    return kept


def memory_rows(
    before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, players: int, top: int = PROFILE_TOP
) -> list[dict[str, Any]]:
    """Where the memory of the added players went: Python allocations by file, per player."""
    added = max(players - 1, 1)
    stats = after.compare_to(before, "filename")
    rows = [
        {
            "file": _short(stat.traceback[0].filename),
            "kib_per_player": stat.size_diff / added / 1024,
        }
        for stat in stats[:top]
    ]
    rows.append(
        {"file": "(all)", "kib_per_player": sum(stat.size_diff for stat in stats) / added / 1024}
    )
    return rows


def _short(filename: str) -> str:
    """A file name from its package or the project on (the standard library's by its name)."""
    for marker in ("site-packages" + os.sep, str(ROOT) + os.sep):
        if marker in filename:
            return filename.rpartition(marker)[2]
    return filename.rpartition(os.sep)[2]


ROOT: Final = Path(__file__).resolve().parent.parent


def main() -> None:
    """Run once and print the run as JSON: ``python -m benchmarks.music_assistant_load MODE N``.

    The benchmark runs each repetition in a process of its own, so that RSS and CPU time are
    those of that run alone. ``--profile`` as a third argument profiles the play.
    """
    mode, players = Mode(sys.argv[1]), int(sys.argv[2])
    run = asyncio.run(measure(mode, players, profile="--profile" in sys.argv[3:]))
    sys.stdout.write(json.dumps(run.to_json()) + "\n")


if __name__ == "__main__":
    main()


# --- start-up -------------------------------------------------------------------------------


class Server(StrEnum):
    """How the Music Assistant server is when Home Assistant starts."""

    UP = "up"
    DOWN = "down"  # nothing listens on its port: connections are refused
    HUNG = "hung"  # accepts connections, never answers


@asynccontextmanager
async def server_in(condition: Server) -> AsyncIterator[str]:
    """The URL of a server in this condition (the fake with one player when up)."""
    if condition is Server.UP:
        server = LoadServer(time.time)
        server.create_token(MA_USERNAME, "Benchmarks", token=MA_TOKEN)
        async with server:
            await server.add_player(player_id(0), "Bench player 0")
            yield server.url
        return
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # never read, never answered

    listener = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    if condition is Server.DOWN:
        listener.close()
        await listener.wait_closed()
        yield f"http://127.0.0.1:{port}"
        return
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.transport.abort()
        listener.close()
        await listener.wait_closed()


def entry_of(owner: Mode, url: str) -> ConfigEntry:
    """A config entry as each integration's config flow creates it, for a server at ``url``."""
    if owner is Mode.OURS:
        data = {
            CONF_KIND: EntryKind.MUSIC_ASSISTANT.value,
            CONF_URL: url,
            CONF_VERIFY_SSL: False,
            CONF_TOKEN: MA_TOKEN,
        }
        return MockConfigEntry(
            domain=DOMAIN, title="Music Assistant", unique_id=MA_SERVER_ID, data=data
        )
    return MockConfigEntry(
        domain=CORE_DOMAIN,
        title="Music Assistant",
        unique_id=MA_SERVER_ID,
        data={CONF_URL: url, CONF_TOKEN: MA_TOKEN},
    )


async def startup_delay(owner: Mode, condition: Server) -> tuple[float, str]:
    """How long setting up an integration with one entry holds up Home Assistant's start.

    Home Assistant's start waits for the setup of each integration with its entries (what
    ``async_setup_component`` does here); returns the seconds and the entry's state after.
    """
    domain = DOMAIN if owner is Mode.OURS else CORE_DOMAIN
    async with server_in(condition) as url, home_assistant() as hass:
        entry = entry_of(owner, url)
        entry.add_to_hass(hass)
        started = time.perf_counter()
        await async_setup_component(hass, domain, {})
        elapsed = time.perf_counter() - started
        return elapsed, entry.state.value


async def first_flow_request(owner: Mode) -> float:
    """Seconds of the config flow's first request to the server (the step taking its URL)."""
    async with server_in(Server.UP) as url, home_assistant() as hass:
        domain = DOMAIN if owner is Mode.OURS else CORE_DOMAIN
        flow = await hass.config_entries.flow.async_init(domain, context={"source": "user"})
        if owner is Mode.OURS:
            flow = await hass.config_entries.flow.async_configure(
                flow["flow_id"], {"next_step_id": EntryKind.MUSIC_ASSISTANT.value}
            )
        started = time.perf_counter()
        if owner is Mode.OURS:
            await hass.config_entries.flow.async_configure(
                flow["flow_id"], {CONF_URL: url, CONF_VERIFY_SSL: False}
            )
        else:
            await hass.config_entries.flow.async_configure(flow["flow_id"], {CONF_URL: url})
        elapsed = time.perf_counter() - started
        hass.config_entries.flow.async_abort(flow["flow_id"])
        return elapsed
