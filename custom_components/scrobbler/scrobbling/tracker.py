"""The play tracker: from snapshots of players to "now playing" and "play qualified".

The tracker is pure: it learns the time only from what it is given (snapshots, ticks, a player
going away) and keeps one small record per player. One tracker serves one set of rules
(:class:`TrackerOptions`); an account with its own thresholds has its own tracker.

How a play is followed:

* A **play** is an item (``item_id`` and ``uri``) on a player from the first moment it was
  heard playing; its start is the wall-clock time of that observation. Pausing, stopping
  (idle) or seeking keep the same play; another item, or no item, ends it. A player that goes
  away keeps its play: when it comes back with the same item, the play goes on.
* **Listening time** is the time between observations while the player plays: pauses add
  nothing, a seek forward adds nothing (only the time spent playing counts), and playing a part
  again after a seek back counts the time it takes, in the same play.
* A play **qualifies** when its track is longer than the minimum length (unknown length:
  never) and its listening time reaches min(percent of the length, cap). It is said as soon as
  it is known, once per play; a play that qualified stays qualified whatever happens next (a
  skip, a stop, the player going away).
* **Repeat-one**: when the same item's position falls back near the start
  (:data:`RESTART_WINDOW`) while it plays, after its play qualified, a new play begins, at the
  moment it wrapped. Before that, going back to the start is a seek back in the same play.
* **Now playing** is said when a play starts, and again when it resumes after having stopped
  (paused, idle or gone) for :data:`RESUME_ANNOUNCE_AFTER` or more.
* **Ticks**: a source such as Music Assistant reports nothing while a track plays on, so the
  moment a play would qualify falls between two observations. :meth:`PlayTracker.next_due`
  tells when that is (wall clock), and the caller calls :meth:`PlayTracker.tick` then, so the
  play qualifies on time. A tick never credits beyond that moment.

Clock jumps never create listening time that was not played:

* With a ``monotonic`` time in the snapshots (and ticks), gaps are measured on it: the wall
  clock only stamps the start of a play. This is how the integration feeds the tracker.
* Without it, the wall clock measures the gaps: time going backwards credits nothing for that
  gap (the next gap is measured from the new time), and a gap is credited at most up to the
  rest of the track as last seen (its length, without a position) plus
  :data:`POSITION_SLACK`: a jump forward cannot make a play count that did not play on.

A position is not used to measure a gap: a seek back and a clock jump forward look the same to
one observation (the position is behind the clock), and seeks back are common.
"""

from dataclasses import dataclass, replace
from typing import Final, NamedTuple

from custom_components.scrobbler.lastfm.models import Track

from .models import (
    Decision,
    NowPlaying,
    Play,
    PlaybackSnapshot,
    PlaybackState,
    PlayQualified,
    TrackerOptions,
)

# A position at most this far into an item counts as "at the start" for repeat-one (seconds).
RESTART_WINDOW: Final = 10.0
# Slack on the rest of a track (sources' positions are seconds off) when a gap is measured on
# the wall clock (seconds).
POSITION_SLACK: Final = 30.0
# A play that resumes after a stop this long is announced again (seconds; Last.fm forgets a
# now-playing after a while).
RESUME_ANNOUNCE_AFTER: Final = 300.0
# Float slack when comparing listening time with a threshold (seconds).
_EPSILON: Final = 1e-6


class _Moment(NamedTuple):
    """A moment on the wall clock, and on a monotonic clock when the source has one."""

    wall: float
    monotonic: float | None

    def until(self, later: _Moment) -> tuple[float, bool]:
        """Seconds from this moment to ``later``, and whether the monotonic clock measured it."""
        if self.monotonic is not None and later.monotonic is not None:
            return later.monotonic - self.monotonic, True
        return later.wall - self.wall, False


@dataclass(slots=True)
class _Play:
    """A play being followed."""

    item_id: str
    uri: str | None
    track: Track
    started_at: float | None = None  # None until first heard playing
    listened: float = 0.0
    qualified: bool = False

    def public(self, player_id: str) -> Play:
        """The play as decisions carry it (once started)."""
        assert self.started_at is not None  # noqa: S101 - only started plays are told
        return Play(player_id, self.item_id, self.uri, self.track, self.started_at)


@dataclass(slots=True)
class _Player:
    """What the tracker knows of one player."""

    last: _Moment  # the last observation or tick
    play: _Play | None = None
    playing: bool = False  # whether it played at the last observation
    position: float | None = None  # position of the play's item at ``last``
    stopped_at: _Moment | None = None  # when it last stopped playing (None while playing)


class PlayTracker:
    """Follows the plays of many players by the rules of one account."""

    def __init__(self, options: TrackerOptions | None = None) -> None:
        """Start with no players."""
        self.options = options or TrackerOptions()
        self._players: dict[str, _Player] = {}
        self._latest: _Moment | None = None  # the moment of the last call, the frame of dues

    def observe(self, snapshot: PlaybackSnapshot) -> list[Decision]:
        """Take what a player is doing now; return the decisions it leads to, in order."""
        decisions: list[Decision] = []
        now = self._latest = _Moment(snapshot.observed_at, snapshot.monotonic)
        player = self._players.get(snapshot.player_id)
        if player is None:
            player = self._players[snapshot.player_id] = _Player(now)
        play = self._follow(player, snapshot, now, decisions)
        playing = snapshot.state is PlaybackState.PLAYING
        if play is not None and playing:
            if play.started_at is None:
                play.started_at = now.wall
                decisions.append(NowPlaying(play.public(snapshot.player_id)))
            elif (
                not player.playing
                and player.stopped_at is not None
                and player.stopped_at.until(now)[0] >= RESUME_ANNOUNCE_AFTER
            ):
                decisions.append(NowPlaying(play.public(snapshot.player_id), resumed=True))
        if playing:
            player.stopped_at = None
        elif player.playing or player.stopped_at is None:
            player.stopped_at = now
        player.playing = playing
        player.last = now
        player.position = snapshot.position if play is not None else None
        return decisions

    def tick(self, now: float, monotonic: float | None = None) -> list[Decision]:
        """Let time pass for the players that play on unobserved; call it at ``next_due``.

        A player that plays is taken to still play. Its play is credited up to now, but never
        beyond the moment it was due to qualify: the rest is credited by the next observation.
        """
        decisions: list[Decision] = []
        moment = self._latest = _Moment(now, monotonic)
        for player_id, player in self._players.items():
            play = player.play
            if play is None or not player.playing:
                continue
            gap, measured = player.last.until(moment)
            if gap < 0:
                player.last = moment
                continue
            remaining = self._remaining(play)
            accounted = gap if remaining is None else min(gap, remaining)
            credit = self._credit(player, play, accounted, measured=measured)
            self._listen(player_id, play, credit, now - (gap - accounted), decisions)
            if player.position is not None:
                player.position += accounted
            player.last = _Moment(
                now - (gap - accounted),
                None if monotonic is None else monotonic - (gap - accounted),
            )
        return decisions

    def next_due(self) -> float | None:
        """When the earliest play would qualify if nothing changed; None if none.

        A wall-clock time, on the clock of the last call (with a monotonic time, gaps since
        other players' observations are measured on it, so a jump of the wall clock moves the
        due time with it): a timer of ``next_due() - now`` seconds then calls :meth:`tick`.
        """
        latest = self._latest
        dues = [
            latest.wall + remaining - player.last.until(latest)[0]
            for player in self._players.values()
            if latest is not None
            and player.play is not None
            and player.playing
            and (remaining := self._remaining(player.play)) is not None
        ]
        return min(dues, default=None)

    def player_gone(
        self, player_id: str, at: float, monotonic: float | None = None
    ) -> list[Decision]:
        """A player went away (disconnected, or Home Assistant stops) at ``at``.

        What it played up to then is kept; so is its play, which goes on if the player comes
        back with the same item.
        """
        player = self._players.get(player_id)
        decisions: list[Decision] = []
        if player is None:
            return decisions
        moment = self._latest = _Moment(at, monotonic)
        play = player.play
        if play is not None and player.playing:
            gap, measured = player.last.until(moment)
            credit = self._credit(player, play, gap, measured=measured)
            self._listen(player_id, play, credit, at, decisions)
            if player.position is not None:
                player.position += max(0.0, gap)
            player.stopped_at = moment
        player.playing = False
        player.last = moment
        return decisions

    def current(self, player_id: str) -> Play | None:
        """The play a player is on (started, playing or not); None if there is none."""
        player = self._players.get(player_id)
        play = player.play if player is not None else None
        if play is None or play.started_at is None:
            return None
        return play.public(player_id)

    def forget(self, player_id: str) -> None:
        """Drop a player for good (removed from its source)."""
        self._players.pop(player_id, None)

    # --- rules ----------------------------------------------------------------------------

    def _follow(
        self,
        player: _Player,
        snapshot: PlaybackSnapshot,
        now: _Moment,
        decisions: list[Decision],
    ) -> _Play | None:
        """Credit the gap to the player's play, and return the play the snapshot belongs to.

        The play goes on when the snapshot shows the same item; a repeat of a qualified item
        starts a new play (already started, at the moment it wrapped); anything else ends it.
        """
        play = player.play
        if play is None:
            player.play = self._new_play(snapshot)
            return player.play
        same = snapshot.item_id is not None and (play.item_id, play.uri) == (
            snapshot.item_id,
            snapshot.uri,
        )
        credit = 0.0
        if player.playing:
            gap, measured = player.last.until(now)
            credit = self._credit(player, play, gap, measured=measured)
        wrapped = None
        if same and snapshot.state is PlaybackState.PLAYING:
            wrapped = self._wrap_offset(player, play, credit, snapshot.position)
        wrapped_at = now.wall - (wrapped or 0.0)
        self._listen(snapshot.player_id, play, credit - (wrapped or 0.0), wrapped_at, decisions)
        if not same:
            player.play = self._new_play(snapshot)
            return player.play
        if snapshot.track is not None:
            play.track = _refined(play.track, snapshot.track)
        if wrapped is None or not play.qualified:
            # no repeat: back near the start before the play counted is a seek back
            self._listen(snapshot.player_id, play, wrapped or 0.0, now.wall, decisions)
            return play
        again = player.play = _Play(play.item_id, play.uri, play.track, wrapped_at)
        player.stopped_at = None
        decisions.append(NowPlaying(again.public(snapshot.player_id)))
        self._listen(snapshot.player_id, again, wrapped, now.wall, decisions)
        return again

    @staticmethod
    def _credit(player: _Player, play: _Play, gap: float, *, measured: bool) -> float:
        """Listening time a gap spent playing adds, never more than could have been played."""
        if gap <= 0:
            return 0.0
        duration = play.track.duration
        if measured or duration is None:
            return gap
        rest = max(0.0, duration - (player.position or 0.0))
        return min(gap, rest + POSITION_SLACK)

    @staticmethod
    def _wrap_offset(
        player: _Player, play: _Play, credit: float, new_position: float | None
    ) -> float | None:
        """Seconds the item has played since it went back to its start; None if it did not.

        The position must have fallen from well past the start back near it
        (:data:`RESTART_WINDOW`). When the item would have reached its end by now, it wrapped
        around ``new_position`` seconds ago; otherwise it was sought back to the start just now.
        """
        if new_position is None or player.position is None:
            return None
        expected = player.position + credit
        if new_position > RESTART_WINDOW or expected - new_position < RESTART_WINDOW:
            return None
        duration = play.track.duration
        if duration is None or expected < duration:
            return 0.0
        return max(0.0, min(new_position, credit))

    def _remaining(self, play: _Play) -> float | None:
        """Listening a started play still needs to qualify; None if it cannot or has."""
        threshold = self.options.threshold(play.track.duration)
        if threshold is None or play.qualified or play.started_at is None:
            return None
        return max(0.0, threshold - play.listened)

    def _listen(
        self, player_id: str, play: _Play, credit: float, now: float, decisions: list[Decision]
    ) -> None:
        """Add listening time to a started play; say once when it qualifies."""
        if play.started_at is None:
            return
        play.listened += max(0.0, credit)
        threshold = self.options.threshold(play.track.duration)
        if not play.qualified and threshold is not None and play.listened + _EPSILON >= threshold:
            play.qualified = True
            decisions.append(PlayQualified(play.public(player_id), play.listened, now))

    @staticmethod
    def _new_play(snapshot: PlaybackSnapshot) -> _Play | None:
        """The play of what a snapshot shows, if it can be named."""
        if snapshot.item_id is None or snapshot.track is None:
            return None
        return _Play(snapshot.item_id, snapshot.uri, snapshot.track)


def _refined(known: Track, seen: Track) -> Track:
    """The metadata of a play as it becomes known: later reports fill and correct it."""
    if seen == known:
        return known
    return replace(
        seen,
        album=seen.album or known.album,
        album_artist=seen.album_artist or known.album_artist,
        track_number=seen.track_number or known.track_number,
        duration=seen.duration or known.duration,
        mbid=seen.mbid or known.mbid,
    )
