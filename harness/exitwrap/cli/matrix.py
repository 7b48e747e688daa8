"""exitcodes matrix: run scenarios under shells and write the conformance matrix."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Sequence

from exitwrap.cli.common import EXIT_FAILURE, EXIT_OK
from exitwrap.cli.options import Option, help_text, parse
from exitwrap.conventions.model import Convention
from exitwrap.errors import UsageError
from exitwrap.matrix.gate import default_fail_on, failing, failure_message, parse_fail_on
from exitwrap.matrix.run import run_matrix
from exitwrap.observe.runner import DEFAULT_TIMEOUT_S, Limits
from exitwrap.record import Record
from exitwrap.reports import formats
from exitwrap.scenarios.catalog import SCENARIOS, Scenario, select
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.shells.shell import parse_selection, resolve_all

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Optional, TypeVar

    from exitwrap.matrix.feed import MatrixRun
    from exitwrap.matrix.run import CellResult

    Number = TypeVar("Number", int, float)

PROG = "exitcodes matrix"
ABOUT = (
    "Run each scenario under each shell, check what the shell reports against the documented "
    "conventions, and write the matrix; a summary line ends on stderr.\nExit status: 1 when a "
    "cell has a verdict --fail-on names, else 0; 2 for bad usage."
)
OPTIONS = (
    Option(
        "",
        "--shells",
        "comma-separated NAME, NAME=/path or NAME@TAG=/path, each with :OPTIONs to start it "
        "with (bash@posix:--posix) or :argv0=NAME (bash@sh:argv0=sh) (default: every known "
        "shell; the ones not installed show as absent)",
        "SHELLS",
    ),
    Option(
        "",
        "--scenarios",
        "comma-separated globs over scenario ids (default: every built-in one, or only your own "
        "when --scenario-file or --spec is given; '*' runs both)",
        "GLOBS",
    ),
    Option(
        "",
        "--scenario-file",
        "your own scenarios (TOML, or JSON by suffix); may be given more than once",
        "FILE",
    ),
    Option(
        "",
        "--spec",
        "an Oils-format spec file, each case a scenario; may be given more than once",
        "FILE.test.sh",
    ),
    Option(
        "",
        "--fail-on",
        "exit 1 when a cell has one of these comma-separated verdicts, or 'none' (default: "
        "deviates,error with your own scenarios or spec files, else error)",
        "VERDICTS",
    ),
    Option("", "--jobs", "cells run at once (default: cores)", "N"),
    Option("", "--timeout", f"seconds a cell may take (default: {DEFAULT_TIMEOUT_S:g})", "SECONDS"),
    Option(
        "",
        "--format",
        f"one format, to -o or stdout: {', '.join(sorted(formats.FORMATS))}",
        "FORMAT",
    ),
    Option("-o", "--output", "the file for --format", "FILE"),
    Option("", "--out-dir", "write every format into this directory", "DIR"),
    Option("", "--strict", "JUnit: deviations are failures, not only findings"),
    Option(
        "",
        "--no-record",
        "do not record the run as a job in the accounting (also: EXITWRAP_DB=off)",
    ),
)


class MatrixOptions(Record):
    """What the command line asked for, checked."""

    shells: str
    scenarios: Optional[str]
    scenario_files: tuple[str, ...]
    specs: tuple[str, ...]
    fail_on: Optional[str]
    jobs: Optional[int]
    timeout: float
    format: Optional[str]
    output: Optional[str]
    out_dir: Optional[str]
    strict: bool
    no_record: bool


def read_options(argv: Sequence[str]) -> Optional[MatrixOptions]:
    """The options argv gives, or None once --help is written; bad usage is a UsageError."""
    parsed = parse(argv, OPTIONS, dashed_values=False)
    if parsed.flag("help"):
        sys.stdout.write(help_text(f"{PROG} [OPTIONS]", ABOUT, OPTIONS))
        return None
    if parsed.operands:
        raise UsageError(f"unexpected argument {parsed.operands[0]!r}")
    shells = parsed.value("shells")
    jobs = parsed.value("jobs")
    timeout = parsed.value("timeout")
    chosen = parsed.value("format")
    if chosen is not None:
        formats.check(chosen, "--format")
    options = MatrixOptions(
        ",".join(KNOWN_NAMES) if shells is None else shells,
        parsed.value("scenarios"),
        tuple(parsed.every("scenario_file")),
        tuple(parsed.every("spec")),
        parsed.value("fail_on"),
        None if jobs is None else _number(int, "--jobs", jobs),
        DEFAULT_TIMEOUT_S if timeout is None else _number(float, "--timeout", timeout),
        chosen,
        parsed.value("output"),
        parsed.value("out_dir"),
        parsed.flag("strict"),
        parsed.flag("no_record"),
    )
    if options.jobs is not None and options.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if not options.timeout > 0:
        raise UsageError("--timeout must be a positive number of seconds")
    if options.output == "" or options.out_dir == "":
        raise UsageError("-o and --out-dir need a name, not an empty one")
    if options.output is not None and options.format is None:
        raise UsageError("-o needs --format")
    return options


def _number(kind: Callable[[str], Number], option: str, text: str) -> Number:
    try:
        return kind(text)
    except ValueError:
        raise UsageError(f"{option}: not a number: {text!r}") from None


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\r{PROG}: {done}/{total} cells")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run(argv: Sequence[str]) -> int:
    args = read_options(argv)
    if args is None:
        return EXIT_OK
    own, own_conventions = _own_suites(args.scenario_files, args.specs)
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
    command = ["exitcodes", "matrix", *argv]
    recording = None if args.no_record else _start_recording(command)
    result = run_matrix(shells, scenarios, args.jobs, limits, progress, own_conventions)
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
    if recording is not None:
        _finish_recording(recording, result.cells, status)
    print(f"{PROG}: {document['meta']['summary']['line']}", file=sys.stderr)
    if failed:
        print(f"{PROG}: {failure_message(failed, fail_on)}", file=sys.stderr)
    return status


def _start_recording(command: list[str]) -> Optional[MatrixRun]:
    """The run's job, begun; the accounting's recorder is imported here, by a run that
    records only (EXITWRAP_DB=off imports where the store is and no more)."""
    from exitwrap.accounting.location import database_path  # noqa: PLC0415  (see the docstring)

    path = database_path(os.environ)
    if path is None:
        return None
    from exitwrap.matrix.feed import start_recording  # noqa: PLC0415  (see the docstring)

    return start_recording(path, command, _warn)


def _finish_recording(recording: MatrixRun, cells: Sequence[CellResult], status: int) -> None:
    from exitwrap.matrix.feed import finish_recording  # noqa: PLC0415  (as _start_recording)

    finish_recording(recording, cells, status, _warn)


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
