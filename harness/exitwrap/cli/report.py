"""exitcodes report: reports from matrix files (conventions, merge, diff), never re-running.

Statuses: 0 done (a deviation or a merge conflict is a finding, shown in
the report); 1 a file that is not a readable matrix, an unwritable output,
or, for ``diff``, a cell that changed or went missing; 2 bad usage.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from exitwrap.cli.common import EXIT_FAILURE, EXIT_OK
from exitwrap.cli.parsing import Parser, parse
from exitwrap.reports import conventions, formats
from exitwrap.reports.diff import diff, render
from exitwrap.reports.inputs import load_matrices, load_matrix
from exitwrap.reports.merge import conflicts, merge

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

PROG = "exitcodes report"


def _reads_matrices(commands: Any, name: str, summary: str, description: str, writes: str) -> Any:
    """A subcommand that reads FILE.json... and writes into -o DIR (or Markdown to stdout)."""
    command = commands.add_parser(name, help=summary, description=description)
    command.add_argument("files", nargs="+", type=Path, metavar="FILE.json")
    command.add_argument(
        "-o",
        "--out-dir",
        type=Path,
        metavar="DIR",
        help=f"write {writes} here (default: Markdown to stdout)",
    )
    return command


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description=__doc__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _reads_matrices(
        commands,
        "conventions",
        "for each convention, which shells conform (Markdown and HTML)",
        "For each convention the matrices were checked against: which shells conform, the "
        "values observed, and the source. Several files are merged first.",
        "conventions.md and conventions.html",
    )
    merged = _reads_matrices(
        commands,
        "merge",
        "one matrix from several runs",
        "Merge matrix files (machines, operating systems, shell versions) into one matrix; "
        "identical cells fold, differing ones are kept as conflicts naming their source.",
        "every format",
    )
    merged.add_argument("--strict", action="store_true", help="JUnit: deviations are failures")
    changed = commands.add_parser(
        "diff",
        help="the cells whose observation or verdict changed (exit 1 if any)",
        description="Compare two matrices cell by cell, ignoring commands, paths and durations. "
        "Exit 1 when a cell's observation or verdict changed or a cell of BASE is missing.",
    )
    changed.add_argument("base", type=Path, metavar="BASE.json")
    changed.add_argument("new", type=Path, metavar="NEW.json")
    return parser


def _conventions(files: list[Path], out_dir: Optional[Path]) -> int:
    document = merge(load_matrices(files))
    if out_dir is None:
        sys.stdout.write(conventions.render_markdown(document))
    else:
        for path in conventions.write(document, out_dir):
            print(path)
    return EXIT_OK


def _merge(files: list[Path], out_dir: Optional[Path], *, strict: bool) -> int:
    document = merge(load_matrices(files))
    if out_dir is None:
        sys.stdout.write(formats.renderer("md")(document))
    else:
        for path in formats.write_all(document, out_dir, strict=strict):
            print(path)
    for conflict in conflicts(document):
        print(f"{PROG} merge: conflict in {conflict.describe()}", file=sys.stderr)
    return EXIT_OK


def _diff(base: Path, new: Path) -> int:
    result = diff(load_matrix(base), load_matrix(new))
    sys.stdout.write(render(result, str(base), str(new)))
    return EXIT_FAILURE if result.regressed else EXIT_OK


def run(argv: Sequence[str]) -> int:
    args = parse(build_parser(), argv)
    if args.command == "conventions":
        return _conventions(args.files, args.out_dir)
    if args.command == "merge":
        return _merge(args.files, args.out_dir, strict=args.strict)
    return _diff(args.base, args.new)
