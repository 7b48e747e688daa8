"""python -m bench: run every bench/bench_*.py and write the results table (Markdown).

Each module defines ``rows(*, quick: bool) -> list[Row]``. The table goes to
stdout and to ``-o FILE`` (default bench/results.md), which the README
quotes.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import platform
import sys
from pathlib import Path

from bench.common import Row, Skipped, cores

HERE = Path(__file__).resolve().parent


def _format(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def table(rows: list[Row]) -> str:
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {started} on {platform.node()} ({platform.machine()}, {cores()} cores, "
        f"Python {platform.python_version()}); medians of repeated runs.",
        "",
        "| group | measurement | value | floor | ratio | goal | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
        value = f"{_format(row.value)} {row.unit}" if row.name != "skipped" else ""
        lines.append(
            f"| {row.group} | {row.name} | {value} | {row.floor or ''} "
            f"| {ratio} | {row.goal} | {row.note} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument("-o", "--output", type=Path, default=HERE / "results.md")
    parser.add_argument("only", nargs="*", help="module names to run (default: all)")
    args = parser.parse_args()
    rows: list[Row] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and path.stem not in args.only and path.stem[6:] not in args.only:
            continue
        module = importlib.import_module(f"bench.{path.stem}")
        print(f"bench: {path.stem} ...", file=sys.stderr)
        try:
            rows += module.rows(quick=args.quick)
        except Skipped as skipped:
            print(f"bench: {path.stem} skipped: {skipped}", file=sys.stderr)
            rows.append(Row(path.stem[6:], "skipped", 0.0, "", note=str(skipped)))
    text = table(rows)
    args.output.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
