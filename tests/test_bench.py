"""script/bench: every registered benchmark runs in quick mode; the harness's own rules."""

import asyncio
from functools import partial
import io
import os
from pathlib import Path
import platform
import subprocess

import pytest

from benchmarks.__main__ import load_benchmarks, main
from benchmarks.harness import (
    Benchmark,
    Figure,
    Samples,
    Settings,
    benchmark,
    percentile,
    run,
    time_awaits,
    time_calls,
)

ROOT = Path(__file__).resolve().parent.parent
QUICK = Settings(quick=True)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the integration-wide fixture: the benchmarks run without Home Assistant."""


def rows_under(report: str, name: str) -> list[str]:
    """The figure rows (indented) under a benchmark's heading line."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name}: "))
    rows = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        rows.append(line)
    return rows


def test_script_runs_every_registered_benchmark() -> None:
    result = subprocess.run(  # noqa: S603 - the project's own script, no shell
        [ROOT / "script" / "bench", "--quick"],
        capture_output=True,
        text=True,
        check=False,
        timeout=50,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = result.stdout
    assert f"Python {platform.python_version()} " in report
    assert f"{os.cpu_count()} CPUs" in report
    names = [bench.name for bench in load_benchmarks()]
    assert {"lastfm.sign", "lastfm.round_trips", "lastfm.credentials"} <= set(names)
    for name in names:
        rows = rows_under(report, name)
        assert rows, f"{name} reported no figure"
        assert not any("FAILED" in row for row in rows), rows
    assert "(all done)" in report


def test_a_failing_benchmark_is_reported_and_the_others_run() -> None:
    def broken(settings: Settings) -> list[Figure]:
        msg = "no fake to talk to"
        raise RuntimeError(msg)

    async def waits(settings: Settings) -> list[Figure]:
        samples = await time_awaits(partial(asyncio.sleep, 0), QUICK)
        return [Figure("asyncio.sleep()", samples)]

    def counts(settings: Settings) -> list[Figure]:
        return [Figure("a rate", per_second=4.5, count="9", note="measured otherwise")]

    out = io.StringIO()
    code = run(
        [
            Benchmark("t.broken", "fails", broken),
            Benchmark("t.async", "runs in its own loop", waits),
            Benchmark("t.rate", "a figure without samples", counts),
        ],
        QUICK,
        out,
    )
    report = out.getvalue()
    assert code == 1
    assert rows_under(report, "t.broken") == ["  FAILED: RuntimeError: no fake to talk to"]
    [async_row] = rows_under(report, "t.async")
    assert async_row.split()[:2] == ["asyncio.sleep()", "1"]
    [rate_row] = rows_under(report, "t.rate")
    assert rate_row.split() == ["a", "rate", "9", "-", "-", "4.50", "measured", "otherwise"]
    assert "(1 failed)" in report


def test_time_calls_counts_warmup_calibration_and_samples() -> None:
    calls = 0

    def operation() -> None:
        nonlocal calls
        calls += 1

    quick = time_calls(operation, QUICK, samples=50, warmup=10)
    assert (calls, len(quick.ns_per_op), quick.calls_per_sample) == (1, 1, 1)

    calls = 0
    full = time_calls(operation, Settings(), samples=5, warmup=3, min_sample_ns=10_000)
    assert len(full.ns_per_op) == 5
    assert calls == 3 + 1 + 5 * full.calls_per_sample
    assert all(value > 0 for value in full.ns_per_op)


async def test_time_awaits_restores_state_after_every_call_untimed() -> None:
    store: list[int] = []

    async def operation() -> None:
        assert not store, "after() did not run before the next call"
        store.append(1)

    samples = await time_awaits(operation, Settings(), samples=4, warmup=2, after=store.clear)
    assert len(samples.ns_per_op) == 4
    assert samples.count == "4"
    assert not store


def test_percentile_and_median() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    assert percentile(values, 0.95) == 95
    assert percentile(values, 0.5) == 50
    assert percentile([7.0], 0.95) == 7
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.95)
    samples = Samples((1000.0, 3000.0, 2000.0, 10_000.0), calls_per_sample=4)
    assert samples.median_us == 2.5
    assert samples.p95_us == 10
    assert samples.per_second == 250_000
    assert samples.count == "4x4"


def test_names_are_unique() -> None:
    load_benchmarks()
    with pytest.raises(ValueError, match=r"'lastfm\.sign' is registered already"):
        benchmark("lastfm.sign", "again")(lambda _: [])


def test_list_and_only() -> None:
    out = io.StringIO()
    assert main(["--list", "--only", "lastfm.cred", "--only", "lastfm.sign"], out) == 0
    assert [line.split(":")[0] for line in out.getvalue().splitlines()] == [
        "lastfm.sign",
        "lastfm.credentials",
    ]
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "nothing.here"], io.StringIO())
    assert exit_info.value.code == 2


def test_credentials_benchmark_in_process() -> None:
    out = io.StringIO()
    assert main(["--quick", "--only", "lastfm.credentials"], out) == 0
    rows = rows_under(out.getvalue(), "lastfm.credentials")
    assert [row.split()[0] for row in rows] == [
        "parse_credentials()",
        "save_credentials()",
        "load_credentials()",
    ]
