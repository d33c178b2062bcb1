"""The tracker and the Music Assistant adapter import and run without Home Assistant."""

from pathlib import Path
import subprocess
import sys
import textwrap

ROOT = Path(__file__).resolve().parents[2]

# Imports the modules with Home Assistant made unimportable, and the integration's package
# (whose __init__ sets up Home Assistant entries) replaced by a bare namespace.
PROBE = textwrap.dedent(
    """
    import importlib.abc, sys, types

    class NoHomeAssistant(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "homeassistant" or name.startswith("homeassistant."):
                raise ImportError(f"{name} must not be imported")
            return None

    sys.meta_path.insert(0, NoHomeAssistant())
    for name, path in (
        ("custom_components", "custom_components"),
        ("custom_components.scrobbler", "custom_components/scrobbler"),
    ):
        package = types.ModuleType(name)
        package.__path__ = [path]
        sys.modules[name] = package

    from custom_components.scrobbler.music_assistant_playback import MusicAssistantPlayback
    from custom_components.scrobbler.scrobbling.models import PlaybackSnapshot, PlaybackState
    from custom_components.scrobbler.scrobbling.tracker import PlayTracker
    from custom_components.scrobbler.lastfm.models import Track

    tracker = PlayTracker()
    track = Track("Artist", "Title", duration=60)
    for t in (0, 30):
        state = PlaybackState.PLAYING
        decided = tracker.observe(PlaybackSnapshot("p", t, state, "q", "u", track, monotonic=t))
    MusicAssistantPlayback()
    print(type(decided[0]).__name__, sorted(m for m in sys.modules if "homeassistant" in m))
    """
)


def test_imports_and_runs_without_home_assistant() -> None:
    result = subprocess.run(  # noqa: S603 - this interpreter, no shell
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=50,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["PlayQualified", "[]"]
