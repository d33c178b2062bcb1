"""The play tracker: from snapshots of players to "now playing" and "play qualified".

The tracker is pure: it learns the time only from what it is given (snapshots, ticks, a player
going away) and keeps one small record per player. One tracker serves one set of rules
(:class:`TrackerOptions`); an account with its own thresholds has its own tracker.

How a play is followed:

* A **play** is an item (``item_id`` and ``uri``) on a player from the first moment it was
  heard playing. Pausing, stopping (idle) or seeking keep the same play; another item, or no
  item, ends it. A player that goes away keeps its play: when it comes back with the same item,
  the play goes on.
* **Listening time** is the wall-clock time between observations while the player plays:
  pauses add nothing and a seek forward adds nothing (only the time spent playing counts);
  playing a part again after a seek back counts as the time it takes, once, in the same play.
* A play **qualifies** when its track is longer than the minimum length (unknown length:
  never) and its listening time reaches min(percent of the length, cap). It is said as soon as
  it is known, once per play; a play that qualified stays qualified whatever happens next (a
  skip, a stop, the player going away).
* **Repeat-one**: when the same item's position falls back near the start
  (:data:`RESTART_WINDOW`) after its play qualified, a new play begins. Before that, going back
  to the start is a seek back in the same play.
* **Now playing** is said when a play starts, and again when it resumes after having stopped
  (paused, idle or gone) for :data:`RESUME_ANNOUNCE_AFTER` or more.
* **Ticks**: a source such as Music Assistant reports nothing while a track plays on, so the
  moment a play would qualify can fall between two observations. :meth:`PlayTracker.next_due`
  tells when that is, and the caller calls :meth:`PlayTracker.tick` then (a timer on a
  monotonic clock), so the play qualifies on time.

Clock jumps: the tracker never credits more listening than could have been played.

* Time going backwards (a later observation with an earlier time) credits nothing for that
  gap; the next gap is measured from the new time.
* A gap whose two ends give a position of the same item is compared with the position: when
  the clock moved more than :data:`POSITION_DRIFT` seconds further than the position did, the
  clock jumped (or the stream stalled), and only the position's advance is credited. A seek
  forward (the position moved further than the clock) credits the clock's time.
* A gap without such positions (another item, a seek back, a source without positions) is
  credited up to the rest of the track as last seen, plus :data:`POSITION_DRIFT`.
* A tick credits at most up to the moment it was due: its timer measured the real wait, so a
  clock that jumped forward meanwhile adds nothing.

What is left: a forward jump smaller than :data:`POSITION_DRIFT` cannot be told from the
sources' own position errors (Music Assistant's run up to ~15 s off after a resume) and is
credited; in a gap without positions a forward jump is credited up to the rest of the track.
"""

from dataclasses import dataclass, replace
from typing import Final

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
# How far the clock may run ahead of a reported position before the gap counts as a clock
# jump (seconds); also the slack on the rest of a track when there is no position to compare.
POSITION_DRIFT: Final = 30.0
# A play that resumes after a stop this long is announced again (seconds; Last.fm forgets a
# now-playing after a while).
RESUME_ANNOUNCE_AFTER: Final = 300.0
# Float slack when comparing listening time with a threshold (seconds).
_EPSILON: Final = 1e-6


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

    play: _Play | None = None
    playing: bool = False  # whether it played at the last observation
    last_time: float | None = None  # time of the last observation or tick
    position: float | None = None  # position of the play's item at last_time
    stopped_at: float | None = None  # when it last stopped playing (None while playing)


class PlayTracker:
    """Follows the plays of many players by the rules of one account."""

    def __init__(self, options: TrackerOptions | None = None) -> None:
        """Start with no players."""
        self.options = options or TrackerOptions()
        self._players: dict[str, _Player] = {}

    def observe(self, snapshot: PlaybackSnapshot) -> list[Decision]:
        """Take what a player is doing now; return the decisions it leads to, in order."""
        decisions: list[Decision] = []
        player = self._players.get(snapshot.player_id)
        if player is None:
            player = self._players[snapshot.player_id] = _Player()
        now = snapshot.observed_at
        play = self._follow(player, snapshot, decisions)
        playing = snapshot.state is PlaybackState.PLAYING
        if play is not None and playing:
            if play.started_at is None:
                play.started_at = now
                decisions.append(NowPlaying(play.public(snapshot.player_id)))
            elif (
                not player.playing
                and player.stopped_at is not None
                and now - player.stopped_at >= RESUME_ANNOUNCE_AFTER
            ):
                decisions.append(NowPlaying(play.public(snapshot.player_id), resumed=True))
        if playing:
            player.stopped_at = None
        elif player.playing or player.stopped_at is None:
            player.stopped_at = now
        player.playing = playing
        player.last_time = now
        player.position = snapshot.position if play is not None else None
        return decisions

    def _follow(
        self, player: _Player, snapshot: PlaybackSnapshot, decisions: list[Decision]
    ) -> _Play | None:
        """Credit the gap to the player's play, and return the play the snapshot belongs to.

        The play goes on when the snapshot shows the same item; a repeat of a qualified item
        starts a new play (already started, at the moment it wrapped); anything else ends it.
        """
        now = snapshot.observed_at
        play = player.play
        if play is None:
            player.play = self._new_play(snapshot)
            return player.play
        same = snapshot.item_id is not None and (play.item_id, play.uri) == (
            snapshot.item_id,
            snapshot.uri,
        )
        new_position = snapshot.position if same else None
        credit = 0.0
        if player.playing:
            credit = self._credit(player, play, self._gap(player, now), new_position)
        restart_after = None
        if same and snapshot.state is PlaybackState.PLAYING:
            restart_after = self._restart_offset(player, play, credit, new_position)
        self._listen(snapshot.player_id, play, credit - (restart_after or 0.0), now, decisions)
        if not same:
            player.play = self._new_play(snapshot)
            return player.play
        if snapshot.track is not None:
            play.track = _refined(play.track, snapshot.track)
        if restart_after is None:
            return play
        again = player.play = _Play(play.item_id, play.uri, play.track, now - restart_after)
        player.stopped_at = None
        decisions.append(NowPlaying(again.public(snapshot.player_id)))
        self._listen(snapshot.player_id, again, restart_after, now, decisions)
        return again

    def tick(self, now: float) -> list[Decision]:
        """Let time pass for every player that plays on unobserved; call it at ``next_due``.

        A player that plays is taken to still play; its play is credited up to ``now`` but
        never beyond the moment the play was due to qualify.
        """
        decisions: list[Decision] = []
        for player_id, player in self._players.items():
            play = player.play
            if play is None or not player.playing or player.last_time is None:
                continue
            due = self._due(player, play)
            until = now if due is None else min(now, due)
            gap = until - player.last_time
            if gap < 0:
                player.last_time = until
                continue
            credit = self._credit(player, play, gap, None)
            self._listen(player_id, play, credit, until, decisions)
            if player.position is not None:
                player.position += credit
            player.last_time = until
        return decisions

    def next_due(self) -> float | None:
        """When the earliest playing play would qualify if nothing changed; None if none."""
        dues = [
            due
            for player in self._players.values()
            if player.play is not None
            and player.playing
            and (due := self._due(player, player.play)) is not None
        ]
        return min(dues, default=None)

    def player_gone(self, player_id: str, at: float) -> list[Decision]:
        """A player went away (disconnected, or Home Assistant stops) at ``at``.

        What it played up to ``at`` is kept (credited as a gap without position); its play is
        kept too, so that it goes on if the player comes back with the same item.
        """
        player = self._players.get(player_id)
        decisions: list[Decision] = []
        if player is None or player.last_time is None:
            return decisions
        play = player.play
        gap = self._gap(player, at)
        if play is not None and player.playing:
            credit = self._credit(player, play, gap, None)
            self._listen(player_id, play, credit, at, decisions)
            if player.position is not None:
                player.position += credit
        if player.playing:
            player.stopped_at = at
        player.playing = False
        player.last_time = at
        return decisions

    def forget(self, player_id: str) -> None:
        """Drop a player for good (removed from its source)."""
        self._players.pop(player_id, None)

    # --- rules ----------------------------------------------------------------------------

    @staticmethod
    def _gap(player: _Player, now: float) -> float:
        """Seconds since the last observation; negative when the clock went back."""
        return 0.0 if player.last_time is None else now - player.last_time

    def _credit(
        self, player: _Player, play: _Play, gap: float, new_position: float | None
    ) -> float:
        """Listening time a gap spent playing adds, never more than could have been played."""
        if gap <= 0:
            return 0.0
        if new_position is not None and player.position is not None:
            advance = new_position - player.position
            if advance >= 0 and gap - advance > POSITION_DRIFT:
                return advance  # the clock ran ahead of the track: a jump, or a stall
        duration = play.track.duration
        if duration is None:
            return gap
        rest = duration - (player.position or 0.0)
        return min(gap, max(rest, 0.0) + POSITION_DRIFT)

    def _restart_offset(
        self, player: _Player, play: _Play, credit: float, new_position: float | None
    ) -> float | None:
        """Seconds the new play of a repeated item has been playing; None if no restart.

        The play must have qualified, and the position fall from well past the start back
        near it.
        """
        if not play.qualified or new_position is None or player.position is None:
            return None
        expected = player.position + credit
        if new_position > RESTART_WINDOW or expected - new_position < RESTART_WINDOW:
            return None
        return max(0.0, min(new_position, credit))

    def _due(self, player: _Player, play: _Play) -> float | None:
        """When the play would qualify if it kept playing; None if it cannot or has."""
        threshold = self.options.threshold(play.track.duration)
        if threshold is None or play.qualified or player.last_time is None:
            return None
        return player.last_time + max(0.0, threshold - play.listened)

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
