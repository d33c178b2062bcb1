"""script/bench: every registered benchmark runs in quick mode; the harness's own rules."""

import asyncio
from functools import partial
import io
import json
import os
from pathlib import Path
import platform
import subprocess

import pytest

from benchmarks.__main__ import load_benchmarks, main
from benchmarks.harness import (
    Benchmark,
    Figure,
    Report,
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
        timeout=180,  # a guard against a hang, not a timed assertion
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = result.stdout
    assert f"Python {platform.python_version()} " in report
    assert f"{os.cpu_count()} CPUs" in report
    names = [bench.name for bench in load_benchmarks()]
    assert {"lastfm.sign", "lastfm.round_trips", "lastfm.credentials"} <= set(names)
    assert "music_assistant.load" in names
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


def test_reports_print_markdown_and_results_keep_other_entries(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"benchmarks": {"t.old": {"figures": [], "data": {"x": 1}}}}))

    def tabled(settings: Settings) -> Report:
        return Report([Figure("a row", count="1")], "| a | b |\n|---|---|", {"runs": [1, 2]})

    def plain(settings: Settings) -> list[Figure]:
        return [Figure("timed", Samples((1000.0, 3000.0)))]

    out = io.StringIO()
    benches = [Benchmark("t.tabled", "a table", tabled), Benchmark("t.plain", "rows", plain)]
    assert run(benches, QUICK, out, results) == 0
    report = out.getvalue()
    assert "\n## t.tabled\n\n| a | b |\n|---|---|\n" in report
    assert "## t.plain" not in report
    written = json.loads(results.read_text())
    assert set(written["benchmarks"]) == {"t.old", "t.plain", "t.tabled"}
    assert written["benchmarks"]["t.old"]["data"] == {"x": 1}
    assert written["benchmarks"]["t.tabled"]["data"] == {"runs": [1, 2]}
    [timed] = written["benchmarks"]["t.plain"]["figures"]
    assert timed["samples"]["count"] == "2"
    assert timed["samples"]["median_us"] == 2
    assert written["machine"][0].startswith("Python ")


def test_player_counts_must_be_positive() -> None:
    for bad in ("0", "1,x", ""):
        with pytest.raises(SystemExit) as exit_info:
            main(["--list", "--players", bad], io.StringIO())
        assert exit_info.value.code == 2


def test_music_assistant_suite_at_one_player(tmp_path: Path) -> None:
    """The whole suite once: both integrations set up through their flows, one player each."""
    results = tmp_path / "results.json"
    result = subprocess.run(  # noqa: S603 - the project's own script, no shell
        [ROOT / "script" / "bench", "--quick", "--only", "music_assistant", "--json", results],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,  # a guard against a hang, not a timed assertion
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = result.stdout
    assert (
        "| Figure | Players | Scrobbler | Core | Both | Neither (HA) | Bare client | Target |"
        in (report)
    )
    assert "| State writes per played track | 1 |" in report
    assert "| scrobbler | `music_assistant_sensor.py:" in report
    assert "| core | `" in report
    data = json.loads(results.read_text())["benchmarks"]["music_assistant.load"]["data"]
    assert (data["sizes"], data["repeat"]) == ([1], 1)
    runs = {run["mode"]: run for run in data["runs"]}
    assert set(runs) == {"scrobbler", "core", "both", "neither", "bare"}
    tracks = runs["neither"]["tracks"]
    assert tracks == 5  # every track of the library shown once
    assert all(run["tracks"] == tracks and run["events"] > tracks for run in runs.values())
    # each integration saw every track change of its player, alone and together
    for mode, owners in {
        "scrobbler": ["scrobbler"],
        "core": ["core"],
        "both": ["scrobbler", "core"],
    }.items():
        for owner in owners:
            writes = runs[mode]["writes"][owner]
            assert writes["changed"] >= tracks, (mode, owner, writes)
            assert writes["latency_ms"]["count"] == tracks, (mode, owner, writes)
            assert writes["shown_ms"]["count"] == tracks, (mode, owner, writes)
    assert runs["neither"]["writes"] == {"scrobbler": _no_writes(), "core": _no_writes()}
    assert runs["bare"]["writes"] == {}
    assert {row["owner"] for row in data["profile"]} == {"scrobbler", "core"}


def _no_writes() -> dict[str, object]:
    return {
        "changed": 0,
        "attributes_only": 0,
        "reported": 0,
        "latency_ms": None,
        "shown_ms": None,
    }
