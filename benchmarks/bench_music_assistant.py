"""This integration against Home Assistant core's ``music_assistant``, on the same fake server.

Each run (``benchmarks/music_assistant_load.py``) starts the fake Music Assistant server with one
player, sets up Home Assistant with this integration, core's, both or neither (each through its
own config flow with a long-lived token), or the bare client library, adds the other players and
lets every player play the same script in virtual time (play start, 30-s progress reports,
pauses, a seek, a skip, track changes, the end of the queue). A repetition runs every mode for
every player count, each in a process of its own (one process in quick mode); figures are the
medians over the repetitions, with their spread (min-max).

* State writes per played track: of the now-playing sensor and of core's media player, split in
  value changes, attribute-only changes and unchanged writes (``state_reported``).
* Latency: from the fake sending the first frame with a new title to the state with that title
  in HA's state machine (p50 and p99 of every title change of a run).
* CPU time per MA event: the process's CPU time while the players play, over the events sent;
  the fake's own work is in every mode (``neither`` is the fake and an idle HA).
* Memory per player: RSS after garbage collection with all players minus with one, per player.
* Setup: from the config flow's first step to the entry loaded and its client connected.

The causes: one more run of this integration and one of core's, at the largest player count,
under cProfile: the functions of each with the most cumulative time per MA event.
"""

import asyncio
from collections.abc import Callable, Iterable, Sequence
import json
from pathlib import Path
import statistics
import subprocess
import sys
from typing import Any, Final

from .harness import Figure, Report, Settings, benchmark, percentile
from .music_assistant_load import Mode, Server, first_flow_request, measure, startup_delay

ROOT: Final = Path(__file__).resolve().parent.parent
SIZES: Final = (1, 10, 50)
REPEAT: Final = 3
_KIB: Final = 1024
_MS: Final = 1e3
_NS_PER_MS: Final = 1e6
_P99: Final = 0.99
KINDS: Final = ("changed", "attributes_only", "reported")  # every state write
ALONE: Final = {Mode.OURS: "scrobbler", Mode.CORE: "core"}
COLUMNS: Final = (Mode.OURS, Mode.CORE, Mode.BOTH, Mode.NEITHER, Mode.BARE)
HEADINGS: Final = {
    Mode.OURS: "Scrobbler",
    Mode.CORE: "Core",
    Mode.BOTH: "Both",
    Mode.NEITHER: "Neither (HA)",
    Mode.BARE: "Bare client",
}

type RunData = dict[str, Any]
type Metric = Callable[[RunData], float | None]


def run_once(mode: Mode, players: int, *, isolate: bool, profile: bool = False) -> RunData:
    """One run; in a process of its own when ``isolate`` (for clean RSS and CPU figures)."""
    if not isolate:
        return asyncio.run(measure(mode, players, profile=profile)).to_json()
    command = [sys.executable, "-m", "benchmarks.music_assistant_load", mode.value, str(players)]
    if profile:
        command.append("--profile")
    result = subprocess.run(  # noqa: S603 - the project's own module, no shell
        command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600
    )
    if result.returncode != 0:
        msg = f"{mode.value} x{players} failed: {result.stderr.strip()[-2000:]}"
        raise RuntimeError(msg)
    data: RunData = json.loads(result.stdout.strip().splitlines()[-1])
    return data


# --- metrics of one run -------------------------------------------------------------------


def _writes(run: RunData, owner: str) -> dict[str, Any] | None:
    writes: dict[str, Any] | None = run["writes"].get(owner)
    if writes is None or not run["tracks"]:
        return None
    return writes


def per_track(owner: str, *kinds: str) -> Metric:
    """State writes of ``kinds`` per played track, of the entities of ``owner``."""

    def metric(run: RunData) -> float | None:
        writes = _writes(run, owner)
        if writes is None:
            return None
        return sum(writes[kind] for kind in kinds) / run["tracks"]

    return metric


def per_visible_change(owner: str) -> Metric:
    """State writes per visible change (a change of the value or of an attribute)."""

    def metric(run: RunData) -> float | None:
        writes = _writes(run, owner)
        if writes is None:
            return None
        visible = writes["changed"] + writes["attributes_only"]
        total = visible + writes["reported"]
        return total / visible if visible else None

    return metric


def latency(owner: str, fraction: float, kind: str = "latencies_ns") -> Metric:
    """A percentile of the now-playing latency of ``owner``'s entities, in ms.

    ``kind``: ``latencies_ns`` from the burst that brought the title, ``shown_ns`` from the
    first frame that carried it.
    """

    def metric(run: RunData) -> float | None:
        writes = run["writes"].get(owner)
        if not writes or not writes[kind]:
            return None
        return percentile(writes[kind], fraction) / _NS_PER_MS

    return metric


def cpu_per_event(run: RunData) -> float:
    """CPU time of the process per MA event, in ms."""
    return float(run["cpu_s"]) / max(int(run["events"]), 1) * _MS


def memory_per_player(run: RunData) -> float | None:
    """RSS growth per player added and played (KiB); None with one player."""
    players = int(run["players"])
    if players < 2:  # noqa: PLR2004 - a growth needs a second player
        return None
    return (int(run["rss_all"]) - int(run["rss_one"])) / (players - 1) / _KIB


def setup_seconds(run: RunData) -> float:
    """Config flows until loaded and connected (or the bare client's connect), in s."""
    return float(run["setup_s"])


# --- summaries ----------------------------------------------------------------------------


class Results:
    """The runs of the suite, by mode and player count."""

    def __init__(self, runs: Iterable[RunData], sizes: Sequence[int], repeat: int) -> None:
        """Index the runs."""
        self.sizes = tuple(sizes)
        self.repeat = repeat
        self.runs: dict[tuple[Mode, int], list[RunData]] = {}
        for run in runs:
            self.runs.setdefault((Mode(run["mode"]), int(run["players"])), []).append(run)

    def values(self, mode: Mode, players: int, metric: Metric) -> list[float]:
        """The metric of each repetition (those where it applies)."""
        found = (metric(run) for run in self.runs.get((mode, players), []))
        return [value for value in found if value is not None]

    def difference(self, mode: Mode, base: Mode, players: int, metric: Metric) -> list[float]:
        """The metric of ``mode`` minus that of ``base``, repetition by repetition."""
        ours, theirs = self.values(mode, players, metric), self.values(base, players, metric)
        return [a - b for a, b in zip(ours, theirs, strict=False)]

    def median(self, mode: Mode, players: int, metric: Metric) -> float | None:
        """The median of the metric over the repetitions."""
        values = self.values(mode, players, metric)
        return statistics.median(values) if values else None


def cell(values: Sequence[float], digits: int = 2) -> str:
    """``median (min-max)``, or the value alone, or a dash."""
    if not values:
        return "-"
    median = f"{statistics.median(values):.{digits}f}"
    if len(values) == 1:
        return median
    return f"{median} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def pair(first: Sequence[float], second: Sequence[float], digits: int = 2) -> str:
    """Two cells in one: this integration's / core's (both in one HA)."""
    return f"{cell(first, digits)} / {cell(second, digits)}"


# One row per figure: label, target, and how to fill each column.
type Filler = Callable[[Results, int], str]
type Row = tuple[str, str, dict[Mode, Filler]]


def _alone(metric_of: Callable[[str], Metric], digits: int = 2) -> dict[Mode, Filler]:
    """This integration's and core's columns (each alone), and both in one HA as a pair."""
    return {
        Mode.OURS: lambda r, n: cell(r.values(Mode.OURS, n, metric_of("scrobbler")), digits),
        Mode.CORE: lambda r, n: cell(r.values(Mode.CORE, n, metric_of("core")), digits),
        Mode.BOTH: lambda r, n: pair(
            r.values(Mode.BOTH, n, metric_of("scrobbler")),
            r.values(Mode.BOTH, n, metric_of("core")),
            digits,
        ),
    }


def _every(metric: Metric, digits: int, modes: Iterable[Mode] = COLUMNS) -> dict[Mode, Filler]:
    return {
        mode: (lambda r, n, mode=mode: cell(r.values(mode, n, metric), digits)) for mode in modes
    }


def _over(metric: Metric, base: Mode, digits: int) -> dict[Mode, Filler]:
    return {
        mode: (lambda r, n, mode=mode: cell(r.difference(mode, base, n, metric), digits))
        for mode in (Mode.OURS, Mode.CORE, Mode.BOTH)
    }


ROWS: Final[tuple[Row, ...]] = (
    ("State writes per played track", "", _alone(lambda o: per_track(o, *KINDS))),
    ("… of which attributes only", "", _alone(lambda o: per_track(o, "attributes_only"))),
    ("… of which unchanged", "", _alone(lambda o: per_track(o, "reported"))),
    ("State writes per visible change", "≤ 1", _alone(per_visible_change)),
    ("Now-playing latency p50 (ms)", "", _alone(lambda o: latency(o, 0.5))),
    (
        "Now-playing latency p99 (ms)",
        "≤ 20 (50 players, alone)",
        _alone(lambda o: latency(o, _P99)),
    ),
    (
        "New title shown p50, from its first frame (ms)",
        "",
        _alone(lambda o: latency(o, 0.5, "shown_ns")),
    ),
    (
        "New title shown p99, from its first frame (ms)",
        "",
        _alone(lambda o: latency(o, _P99, "shown_ns")),
    ),
    ("CPU per MA event (ms)", "", _every(cpu_per_event, 3)),
    ("CPU per event over the bare client (ms)", "≤ 0.2", _over(cpu_per_event, Mode.BARE, 3)),
    ("CPU per event over HA alone (ms)", "", _over(cpu_per_event, Mode.NEITHER, 3)),
    ("RSS per player (KiB)", "", _every(memory_per_player, 1)),
    ("RSS per player over HA alone (KiB)", "≤ 50", _over(memory_per_player, Mode.NEITHER, 1)),
    ("RSS per player over the bare client (KiB)", "", _over(memory_per_player, Mode.BARE, 1)),
    ("Entry setup (s)", "", _every(setup_seconds, 3, (Mode.OURS, Mode.CORE, Mode.BOTH, Mode.BARE))),
)


def markdown_table(results: Results) -> str:
    """The figures as a Markdown table: one row per figure and player count."""
    head = ["Figure", "Players", *(HEADINGS[mode] for mode in COLUMNS), "Target"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, target, fillers in ROWS:
        for players in results.sizes:
            cells = [fillers[mode](results, players) if mode in fillers else "" for mode in COLUMNS]
            lines.append(f"| {label} | {players} | " + " | ".join(cells) + f" | {target} |")
    return "\n".join(lines)


def markdown_profile(rows: Sequence[dict[str, Any]], players: int, top: int) -> str:
    """The profile's top functions of each integration, per MA event."""
    lines = [
        (
            f"cProfile of one run at {players} players: the {top} functions of each integration "
            "with the most cumulative time, per MA event (profiling slows everything down; "
            "compare the rows with each other, not with the table above)."
        ),
        "",
        "| Integration | Function | Calls per event | Cumulative µs per event | Own µs per event |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {row['owner']} | `{row['function']}` | {row['calls_per_event']:.2f} | "
        f"{row['cumulative_us_per_event']:.1f} | {row['own_us_per_event']:.1f} |"
        for row in rows
    ]
    return "\n".join(lines)


def markdown_memory(memory: dict[str, list[dict[str, Any]]], players: int) -> str:
    """Where each integration's memory per player went (tracemalloc, by file)."""
    if players < 2:  # noqa: PLR2004 - a growth needs a second player
        return "Memory by file: needs more than one player."
    lines = [
        (
            f"tracemalloc in the same runs: the Python allocations still held after the "
            f"{players} players played, by the file that made them, per player (the fake server "
            "and the benchmark's own bookkeeping are in the same process)."
        ),
        "",
        "| Integration | File | KiB per player |",
        "|---|---|---|",
    ]
    lines += [
        f"| {mode} | `{row['file']}` | {row['kib_per_player']:.2f} |"
        for mode, rows in memory.items()
        for row in rows
    ]
    return "\n".join(lines)


def figures_of(results: Results) -> list[Figure]:
    """The rows of the plain report: the headline figures of each mode and player count."""
    figures: list[Figure] = []
    for players in results.sizes:
        for mode in COLUMNS:
            if (mode, players) not in results.runs:
                continue
            parts = [f"cpu {_median(results, mode, players, cpu_per_event, 3)} ms/event"]
            for owner in (ALONE[mode],) if mode in ALONE else ():
                parts.append(
                    f"{_median(results, mode, players, per_track(owner, *KINDS), 1)} writes/track"
                )
                parts.append(f"p99 {_median(results, mode, players, latency(owner, _P99), 1)} ms")
            if players > 1:
                parts.append(f"{_median(results, mode, players, memory_per_player, 0)} KiB/player")
            figures.append(
                Figure(
                    f"{mode.value}, {players} player{'s' * (players > 1)}",
                    count=f"{len(results.runs[mode, players])}x",
                    note=", ".join(parts),
                )
            )
    return figures


def _median(results: Results, mode: Mode, players: int, metric: Metric, digits: int) -> str:
    value = results.median(mode, players, metric)
    return "-" if value is None else f"{value:.{digits}f}"


@benchmark(
    "music_assistant.load",
    "this integration vs core's music_assistant: state writes, latency, CPU, memory, setup",
)
def bench_load(settings: Settings) -> Report:
    """Run every mode at every player count, ``repeat`` times; then profile both integrations."""
    sizes = settings.players or ((1,) if settings.quick else SIZES)
    repeat = settings.repeat or (1 if settings.quick else REPEAT)
    isolate = not settings.quick
    runs = [
        run_once(mode, players, isolate=isolate)
        for _ in range(repeat)
        for players in sizes
        for mode in COLUMNS
    ]
    results = Results(runs, sizes, repeat)
    largest = max(sizes)
    profiled = [run_once(mode, largest, isolate=isolate, profile=True) for mode in ALONE]
    profile = [row for run in profiled for row in run["profile"]]
    memory = {run["mode"]: run["memory"] for run in profiled}
    top = max(
        (sum(row["owner"] == owner for row in profile) for owner in ALONE.values()), default=0
    )
    markdown = (
        f"Medians over {repeat} repetition{'s' * (repeat > 1)} (min-max); "
        '"Both": this integration / core in one HA.\n\n'
        + markdown_table(results)
        + "\n\n"
        + markdown_profile(profile, largest, top)
        + "\n\n"
        + markdown_memory(memory, largest)
    )
    data = {
        "sizes": list(sizes),
        "repeat": repeat,
        "runs": [{**run, "writes": _without_samples(run["writes"])} for run in runs],
        "profile": profile,
        "memory": memory,
    }
    return Report(figures_of(results), markdown, data)


def _without_samples(writes: dict[str, Any]) -> dict[str, Any]:
    """The write counts and latency percentiles (not every latency) of a run."""
    kept: dict[str, Any] = {}
    for owner, counts in writes.items():
        kept[owner] = {key: value for key, value in counts.items() if not key.endswith("_ns")}
        for kind, name in (("latencies_ns", "latency_ms"), ("shown_ns", "shown_ms")):
            samples = counts[kind]
            kept[owner][name] = (
                {
                    "count": len(samples),
                    "p50": percentile(samples, 0.5) / _NS_PER_MS,
                    "p99": percentile(samples, _P99) / _NS_PER_MS,
                }
                if samples
                else None
            )
    return kept


@benchmark(
    "music_assistant.startup",
    "how long each integration holds up HA's start (server up, down, hung); first flow request",
)
def bench_startup(settings: Settings) -> Report:
    """Set each integration up with one entry, in a fresh HA, for each condition of the server.

    Quick mode leaves out the hung server (it takes each integration's connect timeout).
    A setup of each integration comes first, untimed: the first in a process imports its
    platforms (in a real HA, the start does that for every integration anyway).
    """
    repeat = settings.repeat or (1 if settings.quick else REPEAT)
    conditions = [Server.UP, Server.DOWN] if settings.quick else list(Server)
    delays: dict[tuple[Mode, Server], list[float]] = {}
    states: dict[tuple[Mode, Server], set[str]] = {}
    flows: dict[Mode, list[float]] = {}
    for owner in ALONE:  # untimed: the first setup in a process imports the platforms
        asyncio.run(startup_delay(owner, Server.UP))
        asyncio.run(first_flow_request(owner))
    for _ in range(repeat):
        for owner in ALONE:
            for condition in conditions:
                seconds, state = asyncio.run(startup_delay(owner, condition))
                delays.setdefault((owner, condition), []).append(seconds)
                states.setdefault((owner, condition), set()).add(state)
            flows.setdefault(owner, []).append(asyncio.run(first_flow_request(owner)) * _MS)
    lines = [
        (
            f"Medians over {repeat} repetition{'s' * (repeat > 1)} (min-max). HA's start waits "
            "for the setup of each integration with its entries; here one entry each, in a "
            "fresh HA."
        ),
        "",
        "| Figure | Scrobbler | Core | Target |",
        "|---|---|---|---|",
    ]
    for condition in conditions:
        target = "≤ 1" if condition is Server.HUNG else ""
        cells = [
            f"{cell(delays[owner, condition], 3)}, {'/'.join(sorted(states[owner, condition]))}"
            for owner in ALONE
        ]
        lines.append(
            f"| HA start held up, server {condition.value} (s), entry state | "
            + " | ".join(cells)
            + f" | {target} |"
        )
    lines.append(
        "| First config-flow request (ms) | "
        + " | ".join(cell(flows[owner], 2) for owner in ALONE)
        + " | ≤ core's |"
    )
    figures = [
        Figure(
            f"{owner.value}, server {condition.value}",
            count=f"{len(delays[owner, condition])}x",
            note=f"HA start held up {statistics.median(delays[owner, condition]):.3f} s, "
            f"entry {'/'.join(sorted(states[owner, condition]))}",
        )
        for owner in ALONE
        for condition in conditions
    ]
    figures += [
        Figure(
            f"{owner.value}, first config-flow request",
            count=f"{len(flows[owner])}x",
            note=f"{statistics.median(flows[owner]):.2f} ms",
        )
        for owner in ALONE
    ]
    data = {
        "repeat": repeat,
        "startup_s": {
            f"{owner.value}/{condition.value}": delays[owner, condition]
            for owner, condition in delays
        },
        "entry_states": {
            f"{owner.value}/{condition.value}": sorted(states[owner, condition])
            for owner, condition in states
        },
        "first_flow_request_ms": {owner.value: flows[owner] for owner in ALONE},
    }
    return Report(figures, "\n".join(lines), data)
