"""One wrapped run: record, start, supervise, record, and decide exitwrap's own exit.

The order matters: signals are blocked before anything else, so none that
arrives from here on is lost; a termination request that arrives before the
command has started cancels it (it ends as if killed by that signal); the
--json file is opened before the command starts, so a bad path fails first.

Inside a Slurm job (its SLURM_* variables) a signal death is re-raised by
default, and the task of an srun step that cannot start its command exits
with the exec's errno, as slurmstepd would have: Slurm's record of a wrapped
step is then the bare command's. The options say otherwise when given.

--batch runs the script in a process group of its own, as --group does (and as
slurmstepd runs a batch script in a session of its own): a time limit ends all
of it, and what the script leaves running when it ends is ended too; signals
passed on go to the script alone, and exitcodes cancel signals each step's
exitwrap itself.
"""

# ruff: noqa: PLC0415  (lazy imports: each wrapped command pays for every import)

from __future__ import annotations

import os
import time

from exitwrap.accounting.slurm import allocation, task_of_step
from exitwrap.status import Termination
from exitwrap.wrap.messages import say, shown, warn
from exitwrap.wrap.options import OWN_FAILURE
from exitwrap.wrap.outcome import Exit, decide, die_of
from exitwrap.wrap.recording import Recording
from exitwrap.wrap.signals import (
    FORWARDED,
    GROUP_SENDER_ENV,
    HARMLESS,
    child_defaults,
    ignored_on_entry,
    signal_source,
)
from exitwrap.wrap.spawn import SpawnFailure, spawn
from exitwrap.wrap.supervise import Ended, Supervisor

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    from collections.abc import Mapping
    from typing import Callable, Optional

    from exitwrap.accounting.slurm import Allocation
    from exitwrap.wrap.options import Options
    from exitwrap.wrap.report import JsonTarget
    from exitwrap.wrap.signals import SignalSource
else:
    import _signal


class Launch:
    """What runs: the command line, and for --batch the script's -o/-e files, opened once the
    job has its id."""

    __slots__ = ("argv", "outputs")

    def __init__(self, argv: list[str], *, outputs: bool = False) -> None:
        self.argv = argv
        self.outputs = outputs

    def redirects(self, options: Options, recording: Recording) -> list[tuple[int, int]]:
        if not self.outputs or not (options.output_path or options.error_path):
            return []
        from exitwrap.wrap.batch import open_outputs

        ticket = recording.ticket
        job_id = str(ticket.shown_job) if ticket is not None else "0"
        name = options.job_name or os.path.basename(options.command[0])
        return open_outputs(options, job_id, name)


def _open_json(path: Optional[str]) -> Optional[JsonTarget]:
    if path is None:
        return None
    from exitwrap.wrap.report import JsonTarget

    return JsonTarget(path)


def _cancelled_before_start(source: SignalSource) -> Optional[int]:
    """A termination request already waiting: the command is not started at all."""
    for number, _ in source.take_pending():
        if number not in (*HARMLESS, _signal.SIGCHLD):
            return number
    return None


def _supervised(
    options: Options,
    argv: list[str],
    environ: Mapping[str, str],
    source: SignalSource,
    ignored: frozenset[int],
    redirects: list[tuple[int, int]],
) -> Ended:
    terminal = None
    own_group = options.group or options.batch  # a batch script's processes end with it
    if own_group:
        from exitwrap.wrap.group import Terminal, become_subreaper

        become_subreaper()
        terminal = Terminal.if_foreground()
    defaults = child_defaults(ignored)
    try:
        pid = spawn(
            argv,
            environ,
            defaults,
            own_group=own_group,
            terminal=None if terminal is None else terminal.fd,
            redirects=redirects,
        )
    except SpawnFailure:
        if terminal is not None:
            terminal.take_back()
        raise
    finally:
        for fd in {fd for fd, _ in redirects}:
            os.close(fd)
    if terminal is not None:
        terminal.hand_over(pid)
    supervisor = Supervisor(
        pid,
        source,
        group=own_group,
        forward_to_group=options.group,
        timeout_s=options.timeout_s,
        kill_after_s=options.kill_after_s,
        terminal=terminal,
    )
    return supervisor.wait()


def _not_started(failure: SpawnFailure) -> Ended:
    """A command that could not start ends with exitwrap's status for that, as an exit code."""
    say(str(failure))
    return Ended(failure.status << 8, error=str(failure), start_errno=failure.errno)


def _execute(
    options: Options,
    argv: list[str],
    environ: Mapping[str, str],
    recording: Recording,
    source: SignalSource,
    ignored: frozenset[int],
    launch: Launch,
) -> Ended:
    """Begin the record, then start and supervise the command: how it ended, or why not."""
    additions = recording.begin(argv)
    cancelled = _cancelled_before_start(source)
    if cancelled is not None:
        return Ended(cancelled, error=f"not started: signal {cancelled} arrived first")
    try:
        redirects = launch.redirects(options, recording)
        env = {**environ, **additions}
        if options.group or options.batch:
            env[GROUP_SENDER_ENV] = str(os.getpid())
        return _supervised(options, launch.argv, env, source, ignored, redirects)
    except SpawnFailure as failure:
        return _not_started(failure)


def _write_json(
    target: JsonTarget,
    argv: list[str],
    ended: Ended,
    status: int,
    elapsed_s: float,
    step: Optional[str],
) -> None:
    from exitwrap.wrap.report import observation

    started = None if ended.error else Termination.from_wait_status(ended.wait_status)
    document = observation(
        argv=argv,
        termination=started,
        exit_status=status,
        timed_out=ended.timed_out,
        error=ended.error,
        duration_s=elapsed_s,
        rusage=ended.rusage,
        step=step,
    )
    failure = target.write(document)
    if failure is not None:
        warn(f"--json: not written: {failure}")


def _wrap(
    options: Options,
    argv: list[str],
    environ: Mapping[str, str],
    source: SignalSource,
    ignored: frozenset[int],
    not_runnable: Optional[SpawnFailure] = None,
    launch: Optional[Launch] = None,
) -> Exit:
    """Run argv (or what launch says for it; or record why it cannot run), and decide how
    exitwrap ends."""
    started = time.monotonic()
    try:
        json_target = _open_json(options.json_path)
    except OSError as failure:
        say(f"--json {shown(options.json_path or '')}: {failure.strerror or failure}")
        return Exit(OWN_FAILURE)
    recording = Recording(options, environ)
    if not_runnable is not None:
        recording.begin(argv)
        ended = _not_started(not_runnable)
    else:
        ended = _execute(options, argv, environ, recording, source, ignored, launch or Launch(argv))
    recording.finish(ended)
    errno_style = options.start_failure == "errno"
    decided = decide(
        Termination.from_wait_status(ended.wait_status),
        timed_out=ended.timed_out,
        remaps=options.remaps,
        reraise=options.signal_style == "reraise",
        start_errno=ended.start_errno if errno_style else None,
    )
    if json_target is not None:
        elapsed = time.monotonic() - started
        _write_json(json_target, argv, ended, decided.status, elapsed, recording.step)
    return decided


def _wrap_snippet(
    options: Options, environ: Mapping[str, str], source: SignalSource, ignored: frozenset[int]
) -> Exit:
    """--shell: the snippet's run inside what its shell needs (a script file, Wine's server)."""
    from exitwrap.wrap.shell import snippet

    script, *args = options.command
    try:
        with snippet(options.shell or "", script, args, environ) as (argv, shell_environ):
            return _wrap(options, argv, shell_environ, source, ignored)
    except SpawnFailure as failure:
        return _wrap(options, options.command, environ, source, ignored, failure)


def _wrap_batch(
    options: Options, environ: Mapping[str, str], source: SignalSource, ignored: frozenset[int]
) -> Exit:
    """--batch: the script as sbatch takes it, read for its #! and #SBATCH lines first."""
    from exitwrap.wrap.batch import prepare

    try:
        argv = prepare(options)
    except SpawnFailure as failure:
        return _wrap(options, options.command, environ, source, ignored, failure)
    return _wrap(
        options, options.command, environ, source, ignored, launch=Launch(argv, outputs=True)
    )


def settle_styles(
    options: Options, environ: Mapping[str, str], slurm: Optional[Allocation]
) -> None:
    """The context's defaults for what the command line left open: inside a Slurm job a
    signal death is re-raised, and an srun step's task reports a failed exec by its errno."""
    if options.signal_style is None:
        options.signal_style = "shell" if slurm is None else "reraise"
    if options.start_failure is None:
        options.start_failure = "errno" if slurm is not None and task_of_step(environ) else "shell"


def run(
    options: Options,
    environ: Mapping[str, str],
    make_source: Callable[..., SignalSource] = signal_source,
) -> int:
    """Run the command as options say; return exitwrap's exit status (or die of a signal).

    The re-raise comes last, once everything the run set up is cleaned up.
    """
    slurm = allocation(environ)
    settle_styles(options, environ, slurm)
    ignored = ignored_on_entry()
    forwarded = tuple(n for n in FORWARDED if n not in ignored)
    sender = environ.get(GROUP_SENDER_ENV, "")
    group_sender = int(sender) if sender.isascii() and sender.isdigit() else None
    source = make_source(forwarded, in_slurm=slurm is not None, group_sender=group_sender)
    if options.batch:
        decided = _wrap_batch(options, environ, source, ignored)
    elif options.shell is None:
        decided = _wrap(options, options.command, environ, source, ignored)
    else:
        decided = _wrap_snippet(options, environ, source, ignored)
    if decided.death is not None:
        die_of(decided.death)
    return decided.status
