"""Run the benchmarks: ``python -m benchmarks [--quick] [--only NAME]... [--list]``."""

import argparse
from collections.abc import Sequence
import importlib
import pkgutil
import sys
from typing import TextIO

import benchmarks

from .harness import REGISTRY, Benchmark, Settings, run

MODULE_PREFIX = "bench_"


def load_benchmarks() -> list[Benchmark]:
    """Import every ``benchmarks/bench_*.py`` module and return what they registered, in order."""
    for module in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda m: m.name):
        if module.name.startswith(MODULE_PREFIX):
            importlib.import_module(f"{benchmarks.__name__}.{module.name}")
    return list(REGISTRY.values())


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Run the benchmarks chosen on the command line; return the exit code."""
    parser = argparse.ArgumentParser(prog="script/bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="call each operation once (proves the benchmarks)"
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run the benchmarks whose name starts with NAME (repeatable)",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    chosen = load_benchmarks()
    if args.only:
        chosen = [b for b in chosen if any(b.name.startswith(name) for name in args.only)]
        if not chosen:
            parser.error(f"no benchmark matches {', '.join(args.only)}")
    if args.list:
        out.writelines(f"{bench.name}: {bench.description}\n" for bench in chosen)
        return 0
    return run(chosen, Settings(quick=args.quick), out)


if __name__ == "__main__":
    sys.exit(main())
