"""Run the benchmarks: ``python -m benchmarks [--quick] [--only NAME]... [--list]``.

A full run (not ``--quick``) also writes its figures to ``benchmarks/results.json`` (or the file
``--json`` names; the entries of benchmarks not run are kept).
"""

import argparse
from collections.abc import Sequence
import importlib
from pathlib import Path
import pkgutil
import sys
from typing import TextIO

import benchmarks

from .harness import REGISTRY, Benchmark, Settings, run

MODULE_PREFIX = "bench_"
RESULTS = Path(__file__).resolve().parent / "results.json"


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
    parser.add_argument(
        "--players",
        type=_sizes,
        default=(),
        metavar="N[,N...]",
        help="player counts of the load benchmarks (default: theirs, e.g. 1,10,50)",
    )
    parser.add_argument(
        "--repeat", type=int, default=0, metavar="N", help="repetitions of the load benchmarks"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"write the figures here (default: {RESULTS.name} beside the benchmarks, "
        "not in quick mode)",
    )
    args = parser.parse_args(argv)
    chosen = load_benchmarks()
    if args.only:
        chosen = [b for b in chosen if any(b.name.startswith(name) for name in args.only)]
        if not chosen:
            parser.error(f"no benchmark matches {', '.join(args.only)}")
    if args.list:
        out.writelines(f"{bench.name}: {bench.description}\n" for bench in chosen)
        return 0
    settings = Settings(quick=args.quick, players=args.players, repeat=args.repeat)
    results = args.json if args.json is not None or args.quick else RESULTS
    return run(chosen, settings, out, results)


def _sizes(text: str) -> tuple[int, ...]:
    """Parse ``1,10,50``."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        msg = f"not a list of counts: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not sizes or min(sizes) < 1:
        msg = f"counts must be at least 1: {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return sizes


if __name__ == "__main__":
    sys.exit(main())
