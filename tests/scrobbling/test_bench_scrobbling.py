"""The tracker's benchmark runs (in quick mode) and reports each figure."""

import io

from benchmarks.__main__ import main


def test_the_benchmark_reports_each_figure() -> None:
    out = io.StringIO()
    assert main(["--quick", "--only", "scrobbling.tracker"], out) == 0
    rows = [line.strip() for line in out.getvalue().splitlines() if line.startswith("  ")]
    labels = ("observe(): a report", "observe(): a new item", "tick() with", "adapter + tracker")
    assert [row.startswith(label) for row, label in zip(rows, labels, strict=True)] == [True] * len(
        labels
    )
    assert "events of 4 recordings" in rows[-1]
