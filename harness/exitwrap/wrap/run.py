"""One wrapped run: record, start, supervise, record, and decide exitwrap's own exit.

The order matters: signals are blocked before anything else, so none that
arrives from here on is lost; a termination request that arrives before the
command has started cancels it (it ends as if killed by that signal); the
--json file is opened before the command starts, so a bad path fails first.
"""

# ruff: noqa: PLC0415  (lazy imports: each wrapped command pays for every import)

from __future__ import annotations

import time

from exitwrap.status import Termination
from exitwrap.wrap.messages import say, shown, warn
from exitwrap.wrap.options import OWN_FAILURE
from exitwrap.wrap.outcome import Exit, decide, die_of
from exitwrap.wrap.recording import Recording
from exitwrap.wrap.signals import (
    FORWARDED,
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

    from exitwrap.wrap.options import Options
    from exitwrap.wrap.report import JsonTarget
    from exitwrap.wrap.signals import SignalSource
else:
    import _signal


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
) -> Ended:
    terminal = None
    if options.group:
        from exitwrap.wrap.group import Terminal, become_subreaper

        become_subreaper()
        terminal = Terminal.if_foreground()
    defaults = child_defaults(ignored)
    try:
        pid = spawn(
            argv,
            environ,
            defaults,
            own_group=options.group,
            terminal=None if terminal is None else terminal.fd,
        )
    except SpawnFailure:
        if terminal is not None:
            terminal.take_back()
        raise
    if terminal is not None:
        terminal.hand_over(pid)
    supervisor = Supervisor(
        pid,
        source,
        group=options.group,
        timeout_s=options.timeout_s,
        kill_after_s=options.kill_after_s,
        terminal=terminal,
    )
    return supervisor.wait()


def _not_started(failure: SpawnFailure) -> Ended:
    """A command that could not start ends with exitwrap's status for that, as an exit code."""
    say(str(failure))
    return Ended(failure.status << 8, error=str(failure))


def _execute(
    options: Options,
    argv: list[str],
    environ: Mapping[str, str],
    recording: Recording,
    source: SignalSource,
    ignored: frozenset[int],
) -> Ended:
    """Begin the record, then start and supervise the command: how it ended, or why not."""
    additions = recording.begin(argv)
    cancelled = _cancelled_before_start(source)
    if cancelled is not None:
        return Ended(cancelled, error=f"not started: signal {cancelled} arrived first")
    try:
        return _supervised(options, argv, {**environ, **additions}, source, ignored)
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
) -> Exit:
    """Run argv (or record why it cannot run), and decide how exitwrap ends."""
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
        ended = _execute(options, argv, environ, recording, source, ignored)
    recording.finish(ended.wait_status, timed_out=ended.timed_out, rusage=ended.rusage)
    decided = decide(
        Termination.from_wait_status(ended.wait_status),
        timed_out=ended.timed_out,
        remaps=options.remaps,
        reraise=options.signal_style == "reraise",
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


def run(
    options: Options,
    environ: Mapping[str, str],
    make_source: Callable[[tuple[int, ...]], SignalSource] = signal_source,
) -> int:
    """Run the command as options say; return exitwrap's exit status (or die of a signal).

    The re-raise comes last, once everything the run set up is cleaned up.
    """
    ignored = ignored_on_entry()
    source = make_source(tuple(n for n in FORWARDED if n not in ignored))
    if options.shell is None:
        decided = _wrap(options, options.command, environ, source, ignored)
    else:
        decided = _wrap_snippet(options, environ, source, ignored)
    if decided.death is not None:
        die_of(decided.death)
    return decided.status
