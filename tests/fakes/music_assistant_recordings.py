"""Recordings of a real Music Assistant server, and their replay through the fake server.

The recordings in `tests/fixtures/music_assistant/` (kept verbatim; see the README of the shared
material they come from) hold every websocket frame a real MA server (schema 29, auth on) sent
to one listening client while a real player played. `Recording` reads one; `RecordingReplay`
makes a `FakeMusicAssistantServer` answer the client's start-up commands with the recorded
results and push the recorded server frames, in order and unchanged, to connected clients.
Timing is compressed: frames go out as fast as the clients read them, or at `speed` times the
recorded pace; `replay_until(t)` stops at a point of the recording so a test can look around.
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
import json
from pathlib import Path
from typing import Any

from .music_assistant_media import HERTZ_127, PINK_BREEZE, PORT_8095, SINE_AT_DAWN, SQUARE_NOON
from .music_assistant_server import FakeMusicAssistantServer

RECORDINGS_DIR = Path(__file__).parent.parent / "fixtures" / "music_assistant"
RECORDING_NAMES = ("play_two_tracks", "skip", "token_revoked")
INITIAL_COMMANDS = ("providers", "providers/manifests", "player_queues/all", "players/all")


@dataclass(frozen=True)
class Frame:
    """A frame the real server sent to the recorded client after its start-up."""

    t: float  # seconds since the recorder started
    conn: int  # the recorded connection (2 after a reconnect)
    kind: str  # "text" or "close"
    message: dict[str, Any] | None  # the JSON of a text frame
    close_code: int | None = None

    @property
    def is_event(self) -> bool:
        """Return whether the frame is an event."""
        return self.message is not None and "event" in self.message


class Recording:
    """One recorded session (a `*.jsonl` file)."""

    def __init__(self, name: str) -> None:
        """Read `tests/fixtures/music_assistant/{name}.jsonl`."""
        self.name = name
        path = RECORDINGS_DIR / f"{name}.jsonl"
        self.records: list[dict[str, Any]] = [
            json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line
        ]

    @property
    def wall_clock_at_t0(self) -> float:
        """Return the epoch time of the recorder's t = 0."""
        return float(self.records[0]["wall_clock_at_t0"])

    def _frames(self, direction: str, conn: int) -> Iterator[dict[str, Any]]:
        for record in self.records:
            if record["dir"] == direction and record.get("conn") == conn:
                yield record

    def server_info(self) -> dict[str, Any]:
        """Return the server-info message of the first connection."""
        first = next(self._frames("recv", 1))
        return dict(first["msg"])

    def initial_results(self) -> dict[str, Any]:
        """Return the results of the client's start-up commands, by command."""
        commands = {
            record["msg"]["message_id"]: record["msg"]["command"]
            for record in self._frames("send", 1)
            if record["frame"] == "text"
        }
        return {
            commands[message["message_id"]]: message["result"]
            for record in self._frames("recv", 1)
            if (message := record.get("msg")) is not None
            and commands.get(message.get("message_id")) in INITIAL_COMMANDS
        }

    @property
    def handshake_done(self) -> float:
        """Return when the recorded client had its initial state."""
        return float(
            next(
                record["t"]
                for record in self.records
                if record["dir"] == "meta" and record.get("event") == "handshake_done"
            )
        )

    def pushed_frames(self, conn: int = 1) -> list[Frame]:
        """Return what the server pushed after the start-up: events and close frames."""
        frames = []
        for record in self._frames("recv", conn):
            if record["t"] < self.handshake_done:
                continue
            if record["frame"] == "text" and "event" in record["msg"]:
                frames.append(Frame(record["t"], conn, "text", record["msg"]))
            elif record["frame"] == "close":
                frames.append(Frame(record["t"], conn, "close", None, record["code"]))
        return frames

    def events(self, conn: int = 1) -> list[dict[str, Any]]:
        """Return the recorded events, in order."""
        return [
            frame.message
            for frame in self.pushed_frames(conn)
            if frame.message is not None and frame.is_event
        ]

    def steps(self) -> list[tuple[float, str, dict[str, Any]]]:
        """Return the driver's commands: (t, command, args) when they were issued."""
        return [
            (record["t"], record["command"], record.get("args") or {})
            for record in self.records
            if record["dir"] == "step" and record.get("phase") == "issued"
        ]


class RecordingReplay:
    """Replays a recording's pushed frames through a fake server."""

    def __init__(
        self,
        server: FakeMusicAssistantServer,
        recording: Recording,
        *,
        speed: float | None = None,
        clock_offset: float = 0.0,
    ) -> None:
        """Make `server` look like the recorded one; `speed` None sends without pauses.

        `clock_offset` (seconds) is added to the epoch timestamps (`..._last_updated`) of the
        pushed frames, e.g. `time.time() - recording.wall_clock_at_t0` to make the recording
        happen now; 0 (the default) sends the frames unchanged.
        """
        self.server = server
        self.recording = recording
        self.speed = speed
        self.clock_offset = clock_offset
        self.position = 0  # index of the next frame to send
        self.frames = recording.pushed_frames()
        info = recording.server_info()
        server.server_id = info["server_id"]
        server.server_version = info["server_version"]
        server.schema_version = info["schema_version"]
        server.min_supported_schema_version = info["min_supported_schema_version"]
        server.recorded_results.update(recording.initial_results())

    @property
    def done(self) -> bool:
        """Return whether every frame was sent."""
        return self.position >= len(self.frames)

    async def replay_all(self) -> None:
        """Send every remaining frame."""
        await self.replay_until(float("inf"))

    async def replay_until(self, t: float) -> None:
        """Send the frames recorded up to time `t` (seconds since the recorder started)."""
        previous = self.frames[self.position - 1].t if self.position else None
        while not self.done and self.frames[self.position].t <= t:
            frame = self.frames[self.position]
            if self.speed and previous is not None:
                await asyncio.sleep((frame.t - previous) / self.speed)
            previous = frame.t
            self.position += 1
            if frame.message is not None:
                message = _shift_clock(frame.message, self.clock_offset)
                await self.server.send_raw(json.dumps(message))
            else:
                # the only recorded close frame (code 1000): the listening token was revoked
                await self.server.revoke_all_tokens_in_use()


def _shift_clock(value: Any, offset: float) -> Any:
    """Return `value` with `offset` added to every `..._last_updated` epoch timestamp."""
    if not offset:
        return value
    if isinstance(value, dict):
        return {
            key: item + offset
            if key.endswith("_last_updated") and isinstance(item, int | float)
            else _shift_clock(item, offset)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_shift_clock(item, offset) for item in value]
    return value


def outline(event: dict[str, Any]) -> tuple[Any, ...]:
    """Return what a client can see of an event: its kind, states, titles and play reports."""
    kind, data = event["event"], event["data"]
    if kind == "player_updated":
        media = data.get("current_media")
        return (kind, data["playback_state"], media["title"] if media else None)
    if kind in {"queue_updated", "queue_items_updated"}:
        current, following = data.get("current_item"), data.get("next_item")
        return (
            kind,
            data["state"],
            data["items"],
            data["current_index"],
            current["name"] if current else None,
            following["name"] if following else None,
        )
    if kind == "media_item_played":
        return (
            kind,
            data["name"],
            data["seconds_played"],
            data["fully_played"],
            data["is_playing"],
        )
    if kind == "queue_time_updated":
        return (kind, data)
    return (kind, event["object_id"])


def playback_events(recording: Recording) -> list[dict[str, Any]]:
    """Return the recorded events about playback (not the library's `media_item_updated`)."""
    return [event for event in recording.events() if event["event"] != "media_item_updated"]


async def _reenact_play_two_tracks(server: FakeMusicAssistantServer, player_id: str) -> None:
    """Two tracks played to the end of the queue, then the auto-clear."""
    await server.play(player_id, [PINK_BREEZE, SQUARE_NOON])
    await server.media_ready(player_id, 2)
    await server.advance(player_id, 200)


async def _reenact_skip(server: FakeMusicAssistantServer, player_id: str) -> None:
    """A queue of three started where the last session stopped; next, next, stop."""
    player = server.players[player_id]
    player.position, player.player_elapsed, player.flicker = 34.21, None, False
    await server.play(player_id, [SINE_AT_DAWN, HERTZ_127, PORT_8095])
    await server.media_ready(player_id, 1.4)
    await server.advance(player_id, 12.6)
    await server.next(player_id)
    await server.media_ready(player_id, 2)
    await server.advance(player_id, 31)
    await server.next(player_id)
    await server.media_ready(player_id, 2)
    await server.advance(player_id, 6)
    await server.stop_playback(player_id)


async def _reenact_token_revoked(server: FakeMusicAssistantServer, player_id: str) -> None:
    """One track started after a session that stopped the same track at 17 s."""
    player = server.players[player_id]
    # the previous session, before the recording started: its events reach nobody
    player.play([PORT_8095])
    player.media_ready(1)
    player.advance(16)
    player.stop()
    await server.play(player_id, [PORT_8095])
    await server.media_ready(player_id, 0.5)


# The recorded scenarios acted out by the fake's own players (not replayed frames).
REENACTMENTS = {
    "play_two_tracks": _reenact_play_two_tracks,
    "skip": _reenact_skip,
    "token_revoked": _reenact_token_revoked,
}
