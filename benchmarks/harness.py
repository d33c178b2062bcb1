"""The benchmark harness: a registry of benchmark functions, timing helpers and the report.

A benchmark is a function of :class:`Settings` that returns a list of :class:`Figure` (the rows
it reports) or a :class:`Report` (rows, a Markdown table and data for ``results.json``), or a
coroutine function doing so (it then runs in a fresh event loop of its own).
Register it with ``@benchmark("area.name", "what it measures")`` in a module
``benchmarks/bench_*.py``; modules of that name are found and imported by ``script/bench``.

Timing is a plain ``time.perf_counter_ns`` loop: warm-up calls first (not timed), then samples.
Fast operations are called several times per sample (enough for ``min_sample_ns``) and a sample
is the mean of its calls; a round trip is one call per sample. Figures are the median and the
95th percentile (nearest rank) of the samples, and operations per second at their mean time
(one after another). A benchmark that needs state brought back between calls (a fake's store)
passes ``after=`` to :func:`time_awaits`; one that raises is reported as failed.

The report is the rows of every benchmark, then the Markdown of those that have one; with
``results`` given, :func:`run` also writes the figures and data of each benchmark to that JSON
file (keeping the entries of benchmarks not run this time).
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
import gc
import json
import math
import os
from pathlib import Path
import platform
import statistics
import time
from typing import Any, Final, TextIO

import aiohttp

type Figures = list[Figure]
type Outcome = Figures | Report
type BenchmarkFunction = Callable[[Settings], Outcome | Coroutine[Any, Any, Outcome]]

REGISTRY: Final[dict[str, Benchmark]] = {}

_LABEL_WIDTH: Final = 46
_NS_PER_US: Final = 1_000
_NS_PER_S: Final = 1_000_000_000
_P95: Final = 0.95
# Rates from this up are shown without decimals.
_WHOLE_RATE: Final = 100


@dataclass(frozen=True)
class Settings:
    """How thoroughly to measure: ``quick`` runs each operation once (to prove the benchmarks)."""

    quick: bool = False
    # Sizes and repetitions a benchmark of a load uses instead of its own (empty / 0: its own).
    players: tuple[int, ...] = ()
    repeat: int = 0

    def samples(self, full: int) -> int:
        """How many samples to take: ``full``, or one in quick mode."""
        return 1 if self.quick else full

    def warmup(self, full: int) -> int:
        """How many untimed calls come first: ``full``, or none in quick mode."""
        return 0 if self.quick else full

    def count(self, full: int, quick: int) -> int:
        """A count of a benchmark's own (``full``, or ``quick`` in quick mode)."""
        return quick if self.quick else full


@dataclass(frozen=True)
class Samples:
    """Timed samples: the nanoseconds per operation of each, and how many calls each timed."""

    ns_per_op: tuple[float, ...]
    calls_per_sample: int = 1

    @property
    def count(self) -> str:
        """How many samples, and calls per sample when more than one."""
        if self.calls_per_sample == 1:
            return str(len(self.ns_per_op))
        return f"{len(self.ns_per_op)}x{self.calls_per_sample}"

    @property
    def median_us(self) -> float:
        """The median, in microseconds per operation."""
        return statistics.median(self.ns_per_op) / _NS_PER_US

    @property
    def p95_us(self) -> float:
        """The 95th percentile (nearest rank), in microseconds per operation."""
        return percentile(self.ns_per_op, _P95) / _NS_PER_US

    @property
    def per_second(self) -> float:
        """Operations per second at the mean pace of the samples."""
        return _NS_PER_S / statistics.fmean(self.ns_per_op)


@dataclass(frozen=True)
class Figure:
    """A row of the report: timed samples, or a rate measured otherwise, and a note."""

    label: str
    samples: Samples | None = None
    per_second: float | None = None
    count: str = ""
    note: str = ""


@dataclass(frozen=True)
class Report:
    """What a benchmark reports besides rows: a Markdown table and data for results.json."""

    figures: Figures
    markdown: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Benchmark:
    """A registered benchmark."""

    name: str
    description: str
    function: BenchmarkFunction


def benchmark(name: str, description: str) -> Callable[[BenchmarkFunction], BenchmarkFunction]:
    """Register a benchmark function under a unique dotted name (``area.what``)."""

    def register(function: BenchmarkFunction) -> BenchmarkFunction:
        if name in REGISTRY:
            msg = f"a benchmark named {name!r} is registered already"
            raise ValueError(msg)
        REGISTRY[name] = Benchmark(name, description, function)
        return function

    return register


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the nearest-rank percentile: the smallest value not below ``fraction`` of them."""
    if not values:
        msg = "no values"
        raise ValueError(msg)
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


# --- timing -------------------------------------------------------------------------------


def time_calls(
    operation: Callable[[], object],
    settings: Settings,
    *,
    samples: int = 1000,
    warmup: int = 50,
    min_sample_ns: int = 100_000,
) -> Samples:
    """Time a synchronous operation.

    After the warm-up, one more call measures the operation, and each sample then times as
    many calls as take ``min_sample_ns`` together (one in quick mode).
    """
    for _ in range(settings.warmup(warmup)):
        operation()
    calls = 1
    if not settings.quick:
        start = time.perf_counter_ns()
        operation()
        once = max(1, time.perf_counter_ns() - start)
        calls = max(1, math.ceil(min_sample_ns / once))
    timed: list[float] = []
    for _ in range(settings.samples(samples)):
        start = time.perf_counter_ns()
        for _ in range(calls):
            operation()
        timed.append((time.perf_counter_ns() - start) / calls)
    return Samples(tuple(timed), calls)


async def time_awaits(
    operation: Callable[[], Awaitable[object]],
    settings: Settings,
    *,
    samples: int = 1000,
    warmup: int = 50,
    after: Callable[[], object] | None = None,
) -> Samples:
    """Time an asynchronous operation (a round trip), one call per sample.

    ``after`` runs untimed after each call, to bring the state back (e.g. empty a fake's store)
    so that every sample does the same work.
    """
    timed: list[float] = []
    for index in range(settings.warmup(warmup) + settings.samples(samples)):
        start = time.perf_counter_ns()
        await operation()
        elapsed = time.perf_counter_ns() - start
        if after is not None:
            after()
        if index >= settings.warmup(warmup):
            timed.append(elapsed)
    return Samples(tuple(timed))


# --- running and reporting ----------------------------------------------------------------


def run(
    benchmarks: Iterable[Benchmark],
    settings: Settings,
    out: TextIO,
    results: Path | None = None,
) -> int:
    """Run benchmarks in order and write the report; return 1 if any failed, else 0.

    A benchmark that raises is reported as failed and the others still run. ``results``: a
    JSON file to write the figures and data of the benchmarks that ran to.
    """
    started = time.perf_counter()
    out.write(f"Scrobbler benchmarks{' (quick: one call each)' if settings.quick else ''}\n")
    out.writelines(f"{line}\n" for line in machine_facts())
    out.write(
        "Times are per operation; n = samples (x calls averaged per sample); "
        "per s = operations per second at the mean time, one after another.\n\n"
    )
    out.write(
        f"{'benchmark':<{_LABEL_WIDTH}} {'n':>8} {'median µs':>11} {'p95 µs':>11} "
        f"{'per s':>10}  note\n"
    )
    failed = 0
    reports: dict[str, Report] = {}
    for bench in benchmarks:
        out.write(f"{bench.name}: {bench.description}\n")
        out.flush()
        gc.collect()
        try:
            report = _report_of(bench, settings)
        except Exception as err:  # noqa: BLE001 - a failed benchmark is reported, not fatal
            failed += 1
            out.write(f"  FAILED: {type(err).__name__}: {err}\n")
            continue
        reports[bench.name] = report
        out.writelines(f"{_row(figure)}\n" for figure in report.figures)
    for name, report in reports.items():
        if report.markdown:
            out.write(f"\n## {name}\n\n{report.markdown.rstrip()}\n")
    if results is not None:
        write_results(results, reports)
        out.write(f"\nFigures written to {results}.\n")
    elapsed = time.perf_counter() - started
    summary = f"{failed} failed" if failed else "all done"
    out.write(f"\nFinished in {elapsed:.1f} s ({summary}).\n")
    return 1 if failed else 0


def _report_of(bench: Benchmark, settings: Settings) -> Report:
    result = bench.function(settings)
    if isinstance(result, Coroutine):
        result = asyncio.run(result)
    return result if isinstance(result, Report) else Report(result)


def write_results(path: Path, reports: Mapping[str, Report]) -> None:
    """Write the figures and data of benchmarks to a JSON file, keeping the other entries."""
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except OSError, ValueError:
        previous = {}
    entries = previous.get("benchmarks", {}) if isinstance(previous, dict) else {}
    for name, report in reports.items():
        entries[name] = {
            "figures": [_figure_data(figure) for figure in report.figures],
            "data": dict(report.data),
        }
    document = {"machine": machine_facts(), "benchmarks": dict(sorted(entries.items()))}
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def _figure_data(figure: Figure) -> dict[str, Any]:
    data = asdict(figure)
    samples = figure.samples
    data["samples"] = (
        None
        if samples is None
        else {
            "count": samples.count,
            "median_us": samples.median_us,
            "p95_us": samples.p95_us,
            "per_second": samples.per_second,
        }
    )
    return data


def _row(figure: Figure) -> str:
    samples = figure.samples
    count = figure.count or (samples.count if samples else "")
    median = f"{samples.median_us:,.1f}" if samples else "-"
    p95 = f"{samples.p95_us:,.1f}" if samples else "-"
    rate = figure.per_second
    if rate is None and samples is not None:
        rate = samples.per_second
    per_second = "-" if rate is None else f"{rate:,.0f}" if rate >= _WHOLE_RATE else f"{rate:.2f}"
    label = f"  {figure.label}"
    row = f"{label:<{_LABEL_WIDTH}} {count:>8} {median:>11} {p95:>11} {per_second:>10}"
    return f"{row}  {figure.note}".rstrip()


def machine_facts() -> list[str]:
    """The facts of the machine and software the figures depend on."""
    usable = os.process_cpu_count()
    cpus = f"{os.cpu_count()} CPUs" + (f" ({usable} usable)" if usable else "")
    model = _cpu_model()
    python = platform.python_version(), platform.python_implementation()
    system = platform.system(), platform.release(), platform.machine()
    return [
        f"Python {python[0]} ({python[1]}), aiohttp {aiohttp.__version__}",
        f"{' '.join(system)}, {cpus}{f', {model}' if model else ''}",
    ]


def _cpu_model() -> str | None:
    """The CPU's model name, where the system tells it (Linux)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "model name":
            return value.strip()
    return None
