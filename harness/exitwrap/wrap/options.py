"""exitwrap's command line: a hand-written parser, because argparse alone costs more than
the wrapper may spend (see bench/bench_exitwrap.py).

Parsing stops at the first word that is not an option, as with ``env``,
``nice`` and ``timeout``: everything from there on is the command, untouched.
"""

# ruff: noqa: PLC0415  (lazy imports: each wrapped command pays for every import)

from __future__ import annotations

from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Callable, Optional

DEFAULT_KILL_AFTER_S = 10.0
SIGNAL_STYLES = ("shell", "reraise")
START_FAILURE_STYLES = ("shell", "errno")
OWN_FAILURE = 125  # exitwrap's own status: never remapped, never a remap target

HELP = """\
usage: exitwrap [OPTIONS] [--] COMMAND [ARGS...]
       exitwrap [OPTIONS] --batch SCRIPT [ARGS...]

Run COMMAND (directly, never through a shell), forward signals to it, record
it as a step in the accounting, and exit with a faithful status. Options end
at the first word that is not one.

options:
  --timeout DURATION  send TERM when DURATION has passed (exit status 124);
                      GNU forms 90, 1.5s, 2m, 1h, 1d or Slurm's MM:SS,
                      HH:MM:SS, D-HH[:MM[:SS]]; 0 means no limit
  -t, --time DURATION the same, for Slurm users; a bare number other than 0
                      is refused (Slurm reads minutes where GNU reads seconds)
  -k, --kill-after DURATION
                      send KILL this long after the timeout's TERM, and to
                      what is left of the --group (default 10s; 0: never)
  --group             run COMMAND in its own process group (handing it the
                      terminal), signal the whole group, and clean up what
                      is left of it when COMMAND ends
  --signal-style shell|reraise
                      a signal death N exits 128+N (shell), or is raised
                      again on exitwrap itself (reraise); the default is
                      shell, and reraise inside a Slurm job
  --start-failure shell|errno
                      a command that cannot start exits 127 or 126 (shell),
                      or with the errno of its failed exec, as slurmstepd
                      does (errno); the default is shell, and errno for the
                      task of an srun step
  --remap FROM:TO     turn final status FROM into TO (repeatable; 0-255;
                      never 125)
  --shell NAME        run COMMAND as a snippet for that shell (bash, dash,
                      ksh93, ...; NAME=/path too), ARGS being its $1...
  --json FILE         write the observation (the full status model) to FILE
  --batch             run SCRIPT (a path, as sbatch takes it; run by the
                      interpreter its #! line names, else by sh) as a new
                      job's batch step, and say "Submitted batch job N" on
                      stderr; exitwrap calls inside it become the job's
                      steps N.0, N.1, ...; its #SBATCH -J -A -t -o -e lines
                      count as those options (the command line wins); it
                      runs in a process group of its own, which its time
                      limit and its end clean up, as Slurm's do
  -q, --quiet         do not say "Submitted batch job N"
  -J, --job-name NAME name the step (and a job exitwrap starts), as srun -J
  -A, --account NAME, --comment TEXT
                      stored with a job exitwrap starts, as in Slurm
  -o, --output FILE, -e, --error FILE
                      with --batch: the script's stdout and stderr, as
                      sbatch takes them (%j job id, %x job name, %u user,
                      %N node, %% a %)
  --redact            record only the command's name, not its arguments
  --no-record         do not record (also: EXITWRAP_DB=off)
  -h, --help          show this help and exit
  --version           show the version and exit

exit status:
  N      COMMAND exited with N
  128+N  COMMAND died of signal N (--signal-style=shell)
  124    the --timeout fired (TERM, then KILL after --kill-after)
  125    exitwrap itself failed (bad options included)
  126    COMMAND was found but could not be run (permission, directory,
         exec format)
  127    COMMAND was not found (a missing #! interpreter included)
  --remap rewrites the final status last; it never touches 125. A failure
  to record only warns: it never changes the status.

environment:
  EXITWRAP_DB       the accounting: an SQLite file, postgresql://... (a
                    server, pushed to in the background), or "off"
  EXITWRAP_JOB_ID   set for COMMAND: the job it belongs to (and, for a step,
  EXITWRAP_STEP_ID  its step); an exitwrap run with EXITWRAP_JOB_ID set
                    records a step of that job
  SLURM_JOB_ID      inside a Slurm job (with SLURM_STEP_ID, SLURMD_NODENAME,
                    SLURM_CLUSTER_NAME): steps are recorded under that
                    Slurm job, shown by exitcodes sacct -j SLURM_JOB_ID
"""


class Options:
    """What the command line asked for."""

    __slots__ = (
        "account",
        "batch",
        "command",
        "comment",
        "error_path",
        "given",
        "group",
        "job_name",
        "json_path",
        "kill_after_s",
        "output_path",
        "quiet",
        "record",
        "redact",
        "remaps",
        "shell",
        "signal_style",
        "start_failure",
        "timeout_s",
    )

    def __init__(self) -> None:
        self.command: list[str] = []
        self.timeout_s = 0.0  # 0: no limit
        self.kill_after_s = DEFAULT_KILL_AFTER_S
        self.group = False
        self.signal_style: Optional[str] = None  # None: as the context decides (run.py)
        self.start_failure: Optional[str] = None
        self.remaps: list[tuple[int, int]] = []  # applied in order, the last match wins
        self.shell: Optional[str] = None
        self.json_path: Optional[str] = None
        self.batch = False
        self.quiet = False
        self.job_name: Optional[str] = None
        self.account: Optional[str] = None
        self.comment: Optional[str] = None
        self.redact = False
        self.record = True
        self.output_path: Optional[str] = None  # --batch's -o and -e patterns
        self.error_path: Optional[str] = None
        self.given: set[str] = set()  # the attributes the command line set


class HelpRequested(Exception):
    """-h/--help or --version: print the text and exit 0."""


def _status(text: str, what: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) > 255:
        raise UsageError(f"--remap: {what} {text!r} is not a status from 0 to 255")
    value = int(text)
    if value == OWN_FAILURE:
        raise UsageError("--remap: 125 is exitwrap's own failure status and is never remapped")
    return value


def _remap(text: str, option: str) -> tuple[int, int]:
    source, colon, target = text.partition(":")
    if not colon:
        raise UsageError(f"{option} wants FROM:TO, got {text!r}")
    return _status(source, "FROM"), _status(target, "TO")


def _duration(*, bare_number: bool) -> Callable[[str, str], float]:
    def read(text: str, option: str) -> float:
        from exitwrap.wrap.duration import parse_duration

        return parse_duration(text, option, bare_number=bare_number)

    return read


def _one_of(choices: tuple[str, ...]) -> Callable[[str, str], str]:
    def read(text: str, option: str) -> str:
        if text not in choices:
            raise UsageError(f"{option} wants {' or '.join(choices)}, got {text!r}")
        return text

    return read


def _text(text: str, option: str) -> str:
    if not text:
        raise UsageError(f"{option} wants a non-empty value")
    return text


def _comment(text: str, option: str) -> str:
    return text


# option -> (the attribute it sets, how its value is read); --remap is the one that adds up
_VALUED: dict[str, tuple[str, Callable[[str, str], object]]] = {
    "--timeout": ("timeout_s", _duration(bare_number=True)),
    "--time": ("timeout_s", _duration(bare_number=False)),
    "-t": ("timeout_s", _duration(bare_number=False)),
    "--kill-after": ("kill_after_s", _duration(bare_number=True)),
    "-k": ("kill_after_s", _duration(bare_number=True)),
    "--signal-style": ("signal_style", _one_of(SIGNAL_STYLES)),
    "--start-failure": ("start_failure", _one_of(START_FAILURE_STYLES)),
    "--remap": ("remaps", _remap),
    "--shell": ("shell", _text),
    "--json": ("json_path", _text),
    "--job-name": ("job_name", _text),
    "-J": ("job_name", _text),
    "--account": ("account", _text),
    "-A": ("account", _text),
    "--comment": ("comment", _comment),
    "--output": ("output_path", _text),
    "-o": ("output_path", _text),
    "--error": ("error_path", _text),
    "-e": ("error_path", _text),
}

# flag -> (the attribute it sets, to what)
_FLAGS: dict[str, tuple[str, bool]] = {
    "--group": ("group", True),
    "--batch": ("batch", True),
    "-q": ("quiet", True),
    "--quiet": ("quiet", True),
    "--redact": ("redact", True),
    "--no-record": ("record", False),
}


def _split(word: str) -> tuple[str, Optional[str]]:
    """``--opt=value`` and ``-tVALUE`` into (option, value); a bare option gives None."""
    if word.startswith("--"):
        name, equals, value = word.partition("=")
        return name, value if equals else None
    if len(word) > 2 and word[:2] in _VALUED:
        return word[:2], word[2:]
    return word, None


def parse(argv: Sequence[str]) -> Options:
    """Read exitwrap's arguments; raise UsageError (exit 125) or HelpRequested."""
    options = Options()
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--":
            index += 1
            break
        if not word.startswith("-") or word == "-":
            break
        name, value = _split(word)
        if name in ("-h", "--help", "--version") and value is None:
            raise HelpRequested(name)
        if name in _FLAGS:
            if value is not None:
                raise UsageError(f"{name} takes no value")
            attribute, setting = _FLAGS[name]
            setattr(options, attribute, setting)
            options.given.add(attribute)
        elif name in _VALUED:
            if value is None:
                index += 1
                if index == len(argv):
                    raise UsageError(f"{name} wants a value")
                value = argv[index]
            attribute, read = _VALUED[name]
            current = getattr(options, attribute)
            if isinstance(current, list):
                current.append(read(value, name))
            else:
                setattr(options, attribute, read(value, name))
            options.given.add(attribute)
        else:
            raise UsageError(f"unknown option {word!r}")
        index += 1
    options.command = list(argv[index:])
    if not options.command:
        raise UsageError("no command given" + (" (--batch wants SCRIPT)" if options.batch else ""))
    if not options.batch and {"output_path", "error_path"} & options.given:
        raise UsageError("-o/--output and -e/--error go with --batch")
    return options
