"""exitcodes matrix: run scenarios under shells and write the conformance matrix."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from exitwrap.cli.common import EXIT_FAILURE, EXIT_OK
from exitwrap.cli.parsing import Parser, parse
from exitwrap.conventions.catalog import CONVENTIONS
from exitwrap.conventions.model import Convention
from exitwrap.errors import UsageError
from exitwrap.matrix.feed import finish_recording, start_recording
from exitwrap.matrix.gate import default_fail_on, failing, failure_message, parse_fail_on
from exitwrap.matrix.run import run_matrix
from exitwrap.observe.runner import DEFAULT_TIMEOUT_S, Limits
from exitwrap.reports import formats
from exitwrap.scenarios.catalog import SCENARIOS, Scenario, select
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.shells.shell import parse_selection, resolve_all

PROG = "exitcodes matrix"


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="Run each scenario under each shell, check what the shell reports against "
        "the documented conventions, and write the matrix; a summary line ends on stderr. "
        "Exit status: 1 when a cell has a verdict --fail-on names, else 0; 2 for bad usage.",
    )
    parser.add_argument(
        "--shells",
        default=",".join(KNOWN_NAMES),
        help="comma-separated NAME, NAME=/path or NAME@TAG=/path, each with :OPTIONs to start "
        "it with (bash@posix:--posix) or :argv0=NAME (bash@sh:argv0=sh) (default: every known "
        "shell; the ones not installed show as absent)",
    )
    parser.add_argument(
        "--scenarios",
        default=None,
        help="comma-separated globs over scenario ids (default: every built-in one, or only "
        "your own when --scenario-file or --spec is given; '*' runs both)",
    )
    parser.add_argument(
        "--scenario-file",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="your own scenarios (TOML, or JSON by suffix); may be given more than once",
    )
    parser.add_argument(
        "--spec",
        action="append",
        default=[],
        type=Path,
        metavar="FILE.test.sh",
        help="an Oils-format spec file, each case a scenario; may be given more than once",
    )
    parser.add_argument(
        "--fail-on",
        metavar="VERDICTS",
        default=None,
        help="exit 1 when a cell has one of these comma-separated verdicts, or 'none' "
        "(default: deviates,error with your own scenarios or spec files, else error)",
    )
    parser.add_argument("--jobs", type=int, default=None, help="cells run at once (default: cores)")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds a cell may take"
    )
    parser.add_argument(
        "--format", choices=sorted(formats.FORMATS), help="one format, to -o or stdout"
    )
    parser.add_argument("-o", "--output", type=Path, help="the file for --format")
    parser.add_argument("--out-dir", type=Path, help="write every format into this directory")
    parser.add_argument(
        "--strict", action="store_true", help="JUnit: deviations are failures, not only findings"
    )
    parser.add_argument(
        "--no-record",
        action="store_true",
        help="do not record the run as a job in the accounting (also: EXITWRAP_DB=off)",
    )
    return parser


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\r{PROG}: {done}/{total} cells")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run(argv: Sequence[str]) -> int:
    args = parse(build_parser(), argv)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if not args.timeout > 0:
        raise UsageError("--timeout must be a positive number of seconds")
    if args.output and not args.format:
        raise UsageError("-o needs --format")
    own, own_conventions = _own_suites(args.scenario_file, args.spec)
    twice = sorted(i for i, n in Counter(s.id for s in own).items() if n > 1)
    if twice:
        raise UsageError(f"scenario {twice[0]!r} is defined by two of the files given")
    fail_on = (
        parse_fail_on(args.fail_on)
        if args.fail_on is not None
        else default_fail_on(with_suites=bool(own))
    )
    patterns = args.scenarios or (",".join(s.id for s in own) if own else "*")
    scenarios = select(patterns, [*SCENARIOS, *own])
    shells = resolve_all(parse_selection(args.shells))
    progress = _progress if sys.stderr.isatty() else None
    limits = Limits(timeout_s=args.timeout)
    conventions = [*CONVENTIONS, *own_conventions]
    command = ["exitcodes", "matrix", *argv]
    recording = None if args.no_record else start_recording(os.environ, command, _warn)
    result = run_matrix(shells, scenarios, args.jobs, limits, progress, conventions)
    document = result.to_json()
    if args.out_dir:
        for path in formats.write_all(document, args.out_dir, strict=args.strict):
            print(path)
    if args.format and args.output:
        formats.write(document, args.format, args.output, strict=args.strict)
    elif args.format or not args.out_dir:
        sys.stdout.write(formats.renderer(args.format or "md", strict=args.strict)(document))
    failed = failing(result.cells, fail_on)
    status = EXIT_FAILURE if failed else EXIT_OK
    finish_recording(recording, result.cells, status, _warn)
    print(f"{PROG}: {document['meta']['summary']['line']}", file=sys.stderr)
    if failed:
        print(f"{PROG}: {failure_message(failed, fail_on)}", file=sys.stderr)
    return status


def _own_suites(
    scenario_files: Sequence[str], spec_files: Sequence[str]
) -> tuple[list[Scenario], list[Convention]]:
    """The users' scenarios and what they expect; their readers are imported only when a
    file is given (a run of the built-in scenarios starts without them)."""
    scenarios: list[Scenario] = []
    conventions: list[Convention] = []
    if scenario_files:
        from exitwrap.suites.scenario_file import load_scenario_files  # noqa: PLC0415

        user = load_scenario_files(scenario_files)
        scenarios += user.scenarios
        conventions += user.conventions
    if spec_files:
        from exitwrap.suites.spec_file import load_spec_files  # noqa: PLC0415

        specs = load_spec_files(spec_files)
        for warning in specs.warnings:
            _warn(warning)
        scenarios += specs.scenarios
        conventions += specs.conventions
    return scenarios, conventions


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)
