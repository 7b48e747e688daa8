"""--batch SCRIPT: the script as sbatch takes it, with its #SBATCH -J -A -t -o -e lines.

As sbatch(1) has it: SCRIPT is a path (never looked up on PATH) that need
not be executable; its ``#!`` line names the interpreter (else sh runs it,
where sbatch would refuse it; an executable program, which holds NUL bytes,
runs as it is); ``#SBATCH`` lines before the first command
are options, which the command line overrides. Of those exitwrap takes
``-J/--job-name``, ``-A/--account``, ``-t/--time`` (Slurm's forms: a bare
number is minutes, and a limit is rounded up to whole minutes, as Slurm
does), ``-o/--output`` and ``-e/--error`` (file name patterns: ``%j`` the
job id, ``%x`` its name, ``%u`` the user, ``%N`` the node, ``%%`` a ``%``;
a number after ``%`` pads with zeros; stderr goes to the ``-o`` file unless
``-e`` is given). Any other directive is named once in a warning.

Imported only for --batch.
"""

# ruff: noqa: PLC0415  (lazy imports: each wrapped command pays for every import)

from __future__ import annotations

import errno
import os

from exitwrap.errors import UsageError
from exitwrap.wrap.messages import shown, warn
from exitwrap.wrap.options import OWN_FAILURE
from exitwrap.wrap.spawn import NOT_FOUND, NOT_RUNNABLE, SpawnFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from exitwrap.wrap.options import Options

DIRECTIVE = "#SBATCH"
DEFAULT_INTERPRETER = "/bin/sh"
# directive option -> the exitwrap option attribute it sets
_TAKEN = {
    "-J": "job_name",
    "--job-name": "job_name",
    "-A": "account",
    "--account": "account",
    "-t": "timeout_s",
    "--time": "timeout_s",
    "-o": "output_path",
    "--output": "output_path",
    "-e": "error_path",
    "--error": "error_path",
}
_MINUTE = 60


def _read_head(path: str) -> bytes:
    """The script's first 64 KiB (where its #! and #SBATCH lines are)."""
    try:
        with open(path, "rb") as script:
            return script.read(65536)
    except OSError as error:
        code = error.errno or errno.EINVAL
        status = NOT_FOUND if code == errno.ENOENT else NOT_RUNNABLE
        raise SpawnFailure(status, f"{shown(path)}: {os.strerror(code)}", code) from None


def interpreter_argv(head: bytes, path: str) -> list[str]:
    """What runs the script: the ``#!`` line's interpreter and its one argument, as the
    kernel splits it; sh when there is none; nothing for a program (NUL bytes, executable)."""
    first = head.split(b"\n", 1)[0]
    if not first.startswith(b"#!"):
        program = b"\0" in head and os.access(path, os.X_OK)
        return [] if program else [DEFAULT_INTERPRETER]
    words = first[2:].strip().split(None, 1)
    return [os.fsdecode(word.strip()) for word in words] or [DEFAULT_INTERPRETER]


def directives(head: bytes) -> list[str]:
    """The words of the #SBATCH lines before the first command (sbatch stops there)."""
    words: list[str] = []
    for number, raw in enumerate(head.decode("utf-8", "surrogateescape").splitlines()):
        line = raw.strip()
        if number == 0 and line.startswith("#!"):
            continue
        if line and not line.startswith("#"):
            break
        if not line.startswith(DIRECTIVE) or line[len(DIRECTIVE) : len(DIRECTIVE) + 1] not in (
            " ",
            "\t",
        ):
            continue
        text = line[len(DIRECTIVE) :].split(" #", 1)[0]  # a comment after the options
        import shlex  # only for scripts with directives: it imports re

        try:
            words += shlex.split(text)
        except ValueError as error:
            raise UsageError(f"#SBATCH line {number + 1}: {error}") from None
    return words


def minutes(text: str, option: str) -> float:
    """Slurm's time limit in seconds: a bare number is minutes; rounded up to whole minutes."""
    from exitwrap.wrap.duration import parse_duration

    if text.isascii() and text.isdigit():
        return float(int(text) * _MINUTE)
    seconds = parse_duration(text, option, bare_number=False)
    return float(-(-int(seconds) // _MINUTE) * _MINUTE)


def _pairs(words: list[str]) -> list[tuple[str, Optional[str]]]:
    """(option, value) pairs from directive words: ``-J x``, ``-Jx``, ``--job-name=x``."""
    pairs: list[tuple[str, Optional[str]]] = []
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word.startswith("--"):
            name, equals, value = word.partition("=")
            if not equals and name in _TAKEN and index < len(words):
                value, index = words[index], index + 1
            pairs.append((name, value if equals or name in _TAKEN else None))
        elif word.startswith("-") and len(word) > 1:
            name, attached = word[:2], word[2:]
            if not attached and name in _TAKEN and index < len(words):
                attached, index = words[index], index + 1
            pairs.append((name, attached or None))
    return pairs


def apply_directives(options: Options, head: bytes, script: str) -> None:
    """Set what the #SBATCH lines say, unless the command line said it already."""
    ignored: list[str] = []
    for name, value in _pairs(directives(head)):
        attribute = _TAKEN.get(name)
        if attribute is None:
            ignored.append(name)
            continue
        if value is None:
            raise UsageError(f"{script}: #SBATCH {name} wants a value")
        if attribute in options.given:
            continue
        setattr(options, attribute, minutes(value, name) if attribute == "timeout_s" else value)
    if ignored:
        warn(f"{shown(script)}: #SBATCH options exitwrap does not take: {', '.join(ignored)}")


def prepare(options: Options) -> list[str]:
    """Read the script's #! and #SBATCH lines into options; returns the command that runs
    it (SpawnFailure when it cannot be read)."""
    script, *args = options.command
    head = _read_head(script)
    apply_directives(options, head, script)
    path = script if "/" in script else f"./{script}"  # never a PATH lookup, nor sh's
    return [*interpreter_argv(head, script), path, *args]


def expand(pattern: str, job_id: str, name: str) -> str:
    """sbatch's file name pattern: %j, %x, %u, %N, %%, with %NNj padding."""
    from exitwrap.accounting.process import node_name
    from exitwrap.accounting.users import uid, user_name

    values = {
        "j": job_id,
        "J": job_id,
        "A": job_id,
        "x": name,
        "u": user_name(uid()),
        "N": node_name().split(".")[0],
        "s": "batch",
        "n": "0",
        "t": "0",
    }
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        index += 1
        if char != "%":
            out.append(char)
            continue
        digits = ""
        while index < len(pattern) and pattern[index].isdigit():
            digits += pattern[index]
            index += 1
        key = pattern[index : index + 1]
        index += 1
        if key == "%":
            out.append("%")
        elif key in values:
            value = values[key]
            out.append(value.zfill(int(digits)) if digits and value.isdigit() else value)
        else:
            out.append("%" + digits + key)  # not a pattern sbatch knows: kept as written
    return "".join(out)


def open_outputs(options: Options, job_id: str, name: str) -> list[tuple[int, int]]:
    """The -o and -e files, truncated, as (fd, target) pairs for the child; SpawnFailure
    (exitwrap's own, 125) when one cannot be opened."""
    wanted = [(options.output_path, 1), (options.error_path or options.output_path, 2)]
    opened: dict[str, int] = {}
    redirects: list[tuple[int, int]] = []
    for pattern, target in wanted:
        if pattern is None:
            continue
        path = expand(pattern, job_id, name)
        if path not in opened:
            try:
                opened[path] = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            except OSError as error:
                for fd in opened.values():
                    os.close(fd)
                reason = error.strerror or str(error)
                raise SpawnFailure(
                    OWN_FAILURE, f"{'-o' if target == 1 else '-e'} {shown(path)}: {reason}"
                ) from None
        redirects.append((opened[path], target))
    return redirects
