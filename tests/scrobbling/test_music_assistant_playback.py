"""Snapshots of Music Assistant players: the real server's quirks, one by one.

Players and queues are the recorded ones (``long_pause``: Port 8095, 80 s, playing), changed
field by field for each quirk; the quirks that the shared recordings do not show (the previous
title after a skip, repeat-one) are put into a replay where they happen on the real server.
"""

import copy
from functools import cache
from typing import Any

from music_assistant_models.enums import MediaType
from music_assistant_models.player import Player
from music_assistant_models.player_queue import PlayerQueue
import pytest

from custom_components.scrobbler.lastfm.models import Track
from custom_components.scrobbler.music_assistant_playback import (
    FLICKER_WINDOW,
    NO_MEDIA_GRACE,
    MusicAssistantPlayback,
)
from custom_components.scrobbler.scrobbling.models import (
    NowPlaying,
    PlaybackState as TrackerState,
    PlayQualified,
)
from custom_components.scrobbler.scrobbling.tracker import PlayTracker
from tests.fakes.music_assistant_recordings import Recording

from .replay import Replay
from .test_replays import SKIP, outline

PORT_8095 = Track("Loopback Quartet", "Port 8095", "Localhost Suite", "Loopback Quartet", 2, 80)
ITEM_ID = "10a6859d1db948a594ee6ca0fe912db7"  # its queue item in long_pause
T = 1_796_188_934.0


@cache
def _recorded(kind: str, t: float) -> dict[str, Any]:
    """The data of the long_pause event of a kind at recorder time t."""
    for record in Recording("long_pause").records:
        message = record.get("msg") or {}
        if message.get("event") == kind and abs(record["t"] - t) < 0.001:
            return dict(message["data"])
    raise LookupError(kind)


def player(state: str = "playing", *, media: bool = True, **media_fields: Any) -> Player:
    """The recorded player playing Port 8095 (at 7.831), changed."""
    data = copy.deepcopy(_recorded("player_updated", 7.831))
    data["playback_state"] = state
    if media:
        data["current_media"].update(media_fields)
    else:
        data["current_media"] = None
    return Player.from_dict(data)


def queue(
    elapsed: float = 10,
    at: float = T,
    *,
    repeat: str = "off",
    state: str = "playing",
    **library_fields: Any,
) -> PlayerQueue:
    """The recorded queue with Port 8095 current (at 6.831), changed."""
    data = copy.deepcopy(_recorded("queue_updated", 6.831))
    data.update(elapsed_time=elapsed, elapsed_time_last_updated=at, repeat_mode=repeat, state=state)
    data["current_item"]["media_item"].update(library_fields)
    return PlayerQueue.from_dict(data)


def test_a_playing_player_as_a_snapshot() -> None:
    snapshot = MusicAssistantPlayback().snapshot(player(), queue(10, T), T + 2, 50.0)
    assert snapshot is not None
    assert (snapshot.player_id, snapshot.observed_at, snapshot.monotonic) == (
        "up000000000001",
        T + 2,
        50.0,
    )
    assert snapshot.state is TrackerState.PLAYING
    assert (snapshot.item_id, snapshot.uri) == (ITEM_ID, "library://track/5")
    assert snapshot.track == PORT_8095
    assert snapshot.position == 12  # the queue's 10 s, 2 s ago


@pytest.mark.parametrize(
    ("state", "expected", "position"),
    [
        ("paused", TrackerState.PAUSED, 10),
        ("idle", TrackerState.IDLE, 10),
        ("unknown", TrackerState.IDLE, 10),
    ],
)
def test_states(state: str, expected: TrackerState, position: float) -> None:
    snapshot = MusicAssistantPlayback().snapshot(player(state), queue(10, T, state=state), T + 2)
    assert snapshot is not None
    assert snapshot.state is expected
    assert snapshot.position == position  # a queue that does not play does not run on


def test_position_from_the_player_when_the_queue_is_elsewhere() -> None:
    adapter = MusicAssistantPlayback()
    other = queue()
    assert other.current_item is not None
    other.current_item.queue_item_id = "another"
    snapshot = adapter.snapshot(player(elapsed_time=20, elapsed_time_last_updated=T), other, T + 1)
    assert snapshot is not None
    assert snapshot.position == 21
    # no queue item known: what the player shows
    assert snapshot.track == Track("Loopback Quartet", "Port 8095", "Localhost Suite", duration=80)
    unknown = adapter.snapshot(player(elapsed_time=None), None, T + 2)
    assert unknown is not None
    assert unknown.position is None


def test_what_the_library_adds_and_what_cannot_be_named() -> None:
    adapter = MusicAssistantPlayback()
    # the player shows only a title: the queue item names the artist and album
    snapshot = adapter.snapshot(player(artist=None, album=None, duration=None), queue(), T)
    assert snapshot is not None
    assert snapshot.track == PORT_8095
    radio = adapter.snapshot(player(media_type=MediaType.RADIO.value), queue(), T)
    assert radio is not None
    assert radio.track is None
    # the queue item is not a track (a radio station): nothing to scrobble
    station = MusicAssistantPlayback().snapshot(
        player(media_type=MediaType.UNKNOWN.value), queue(media_type="radio"), T
    )
    assert station is not None
    assert station.track is None
    nameless = MusicAssistantPlayback().snapshot(player(artist=None, queue_item_id=None), None, T)
    assert nameless is not None
    assert (nameless.item_id, nameless.track) == ("library://track/5", None)


def test_an_album_known_by_name_only_names_no_album_artist() -> None:
    """Queue items often carry the album as a mapping (its name, not its artists)."""
    album = {
        "item_id": "3",
        "provider": "library",
        "name": "Localhost Suite",
        "version": "",
        "uri": "library://album/3",
        "media_type": "album",
    }
    snapshot = MusicAssistantPlayback().snapshot(
        player(album=None), queue(album=album, external_ids=[["musicbrainz_recordingid", "m"]]), T
    )
    assert snapshot is not None
    assert snapshot.track == Track(
        "Loopback Quartet", "Port 8095", "Localhost Suite", None, 2, 80, mbid="m"
    )


def test_no_media_for_a_moment_at_a_play_start_is_skipped() -> None:
    adapter = MusicAssistantPlayback()
    assert adapter.snapshot(player(), queue(), T, 0) is not None
    assert adapter.snapshot(player(media=False), queue(), T + 40, 40) is None
    late = 40 + NO_MEDIA_GRACE - 0.1
    assert adapter.snapshot(player(media=False), queue(), T + late, late) is None
    # media again: the skipped reports were the quirk
    assert adapter.snapshot(player(), queue(), T + 41.5, 41.5) is not None
    assert adapter.snapshot(player(media=False), queue(), T + 50, 50) is None
    # still nothing after the grace: something that cannot be named plays, since the first
    nothing = adapter.snapshot(player(media=False), queue(), T + 50 + NO_MEDIA_GRACE, 55)
    assert nothing is not None
    assert (nothing.state, nothing.item_id) == (TrackerState.PLAYING, None)
    assert (nothing.observed_at, nothing.monotonic) == (T + 50, 50)
    # from then on, said at once
    again = adapter.snapshot(player(media=False), queue(), T + 60, 60)
    assert again is not None
    assert again.observed_at == T + 60
    # stopped without media: said at once
    idle = MusicAssistantPlayback().snapshot(player("idle", media=False), queue(), T)
    assert idle is not None
    assert (idle.state, idle.item_id) == (TrackerState.IDLE, None)


def test_the_previous_item_right_after_a_change_is_skipped() -> None:
    adapter = MusicAssistantPlayback()
    assert adapter.snapshot(player(), queue(), T) is not None
    skipped_to = adapter.snapshot(
        player(queue_item_id="next", uri="library://track/7"), None, T + 30
    )
    assert skipped_to is not None
    assert adapter.snapshot(player(), None, T + 31.4) is None  # the skipped item once more
    assert adapter.snapshot(player(), None, T + 30 + FLICKER_WINDOW) is not None  # it is back


def test_repeat_one_passes_the_fall_back_on() -> None:
    adapter = MusicAssistantPlayback()
    adapter.snapshot(player(), queue(0, T, repeat="one"), T)
    adapter.snapshot(player(), queue(45, T + 45, repeat="one"), T + 45)
    wrapped = adapter.snapshot(player(), queue(1, T + 81, repeat="one"), T + 81)
    assert wrapped is not None
    assert wrapped.position == 1


def test_without_repeat_one_a_fall_back_is_not_passed_on() -> None:
    adapter = MusicAssistantPlayback()
    adapter.snapshot(player(), queue(0, T), T)
    adapter.snapshot(player(), queue(45, T + 45), T + 45)
    back = adapter.snapshot(player(), queue(1, T + 81), T + 81)
    assert back is not None
    assert back.position is None
    later = adapter.snapshot(player(), queue(30, T + 110), T + 110)
    assert later is not None
    assert later.position == 30


@pytest.mark.parametrize(("repeat", "plays"), [("one", 2), ("off", 1)])
def test_repeat_one_through_the_tracker(repeat: str, plays: int) -> None:
    """Port 8095 (80 s) plays 81 s; only with repeat-one is the second round a new play."""
    adapter, tracker = MusicAssistantPlayback(), PlayTracker()
    decisions = []
    for t, elapsed in ((0, 0), (45, 45), (81, 1), (130, 50)):
        snapshot = adapter.snapshot(player(), queue(elapsed, T + t, repeat=repeat), T + t, t)
        assert snapshot is not None
        decisions += tracker.observe(snapshot)
    starts = [d.play.started_at - T for d in decisions if isinstance(d, NowPlaying)]
    assert starts == [0, 80][:plays]
    qualified = [d.play.started_at - T for d in decisions if isinstance(d, PlayQualified)]
    assert qualified == [0, 80][:plays]


def test_forget() -> None:
    adapter = MusicAssistantPlayback()
    adapter.snapshot(player(), queue(), T)
    adapter.forget("up000000000001")
    adapter.forget("up000000000001")
    # forgotten: no media is said at once, there is no play to hold
    nothing = adapter.snapshot(player(media=False), queue(), T + 0.25)
    assert nothing is not None


def _player_event(recorded_at: float) -> dict[str, Any]:
    """A recorded ``player_updated`` of the skip recording, to be sent again later."""
    return copy.deepcopy(
        next(
            record["msg"]
            for record in Recording("skip").records
            if (record.get("msg") or {}).get("event") == "player_updated"
            and abs(record["t"] - recorded_at) < 0.001
        )
    )


def test_the_previous_title_after_a_skip_is_not_a_new_play() -> None:
    """The skip recording with the quirk seen on the real server after a skip.

    ~1.5 s after each skip the player shows the skipped item once more: Sine at Dawn (as at
    8.566) at 22.3, 127 Hertz (as at 24.587) at 57.3. The decisions stay those of the
    recording.
    """
    extra = [(22.3, _player_event(8.566)), (57.3, _player_event(24.587))]
    replay = Replay("skip", extra=extra)
    assert [outline(replay, item) for item in replay.run()] == SKIP


def test_an_unavailable_player_is_not_heard() -> None:
    gone = player()
    gone.available = False
    snapshot = MusicAssistantPlayback().snapshot(gone, queue(), T)
    assert snapshot is not None
    assert (snapshot.state, snapshot.item_id) == (TrackerState.IDLE, ITEM_ID)
