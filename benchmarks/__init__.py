"""The project's benchmarks (``script/bench``); see :mod:`benchmarks.harness`."""
