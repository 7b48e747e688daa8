"""Expectations users state (a scenario file, a spec file, the plugin's ``expect``) as conventions.

The checker knows one kind of expectation, the convention: an expected
value for one layer of some scenarios, with its source. A user's "exits 3
under every shell, 2 under ksh93, prints ``ok``" becomes conventions of the
same shape, so their cells get verdicts, reports and sources exactly as the
built-in catalog's do, and the observation is still never touched.

Each key (the status or signal, stdout, stderr) falls back on its own, as in
the Oils spec tests: a shell with its own stdout is held to that stdout and
to the default status. A per-shell expectation carries its qualifier (Oils'
OK, BUG or N-I), which the cell's result shows when it holds.
"""

from __future__ import annotations

import re
import signal as signals
from collections.abc import Mapping, Sequence

from exitwrap.conventions.model import (
    KNOWN_BUG,
    NOT_IMPLEMENTED,
    SHELL_RULE,
    Convention,
    Expect,
    Source,
)
from exitwrap.errors import UsageError
from exitwrap.record import Record, field_names
from exitwrap.scenarios.catalog import INNER
from exitwrap.scenarios.globs import GLOB_CHARACTERS
from exitwrap.shells.catalog import BY_NAME
from exitwrap.shells.dialects import RC

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Optional, Union

    Status = Union[int, Sequence[int]]  # one exit status, or any of several
    Output = Union[str, "re.Pattern[str]"]  # the exact text, or a regular expression found in it
# glob characters (the closing bracket too) and blanks: ids are matched as globs
ID_FORBIDDEN = GLOB_CHARACTERS | frozenset("] \t\r\n")
# dialects whose status variable names a signal instead of numbering it (rc(1): "sigkill")
NAMED_SIGNALS = (RC.name,)
_INLINE_FLAGS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x"))


class Expected(Record):
    """What a shell should show (any of: a status or a signal, stdout, stderr), and why.

    ``qualifier`` is empty for the expectation every shell shares, else the
    per-shell kind: its own rule (Oils' OK), a known bug (BUG) or a missing
    feature (N-I).
    """

    status: Optional[Status] = None
    signal: Optional[int] = None  # a death by this signal, as each shell reports one
    stdout: Optional[Expect] = None
    stderr: Optional[Expect] = None
    qualifier: str = ""

    def __repr__(self) -> str:  # as the plugin's spec line shows it: bug(status=1)
        return f"{_MAKERS.get(self.qualifier, 'expected')}({self.arguments()})"

    def arguments(self) -> str:
        """The keywords that make it: ``status=1, stdout='x'``."""
        return ", ".join(
            f"{name}={_shown(getattr(self, name))}"
            for name in field_names(self)
            if name != "qualifier" and getattr(self, name) is not None
        )

    def has(self, key: str) -> bool:
        """Whether this sets ``key``: ``status`` (a status or a signal), ``stdout``, ``stderr``."""
        if key == "status":
            return self.status is not None or self.signal is not None
        return getattr(self, key) is not None


KEYS = ("status", "stdout", "stderr")
_MAKERS = {KNOWN_BUG: "bug", NOT_IMPLEMENTED: "not_implemented", SHELL_RULE: "ok"}


def _shown(value: object) -> str:
    return repr(value.value) if isinstance(value, Expect) else repr(value)


def check_status(value: object, what: str) -> Status:
    """An exit status or a non-empty list of them; anything else is a usage error."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if (
        isinstance(value, (list, tuple))
        and value
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return tuple(value)
    raise UsageError(f"{what} must be an integer status or a list of them, not {value!r}")


def check_signal(value: object, what: str) -> int:
    """A signal by number or by name (``TERM``, ``SIGTERM``), as this host numbers it."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 < value < signals.NSIG:
            return value
    elif isinstance(value, str):
        name = value.strip().upper()
        name = name if name.startswith("SIG") else "SIG" + name
        if name in signals.Signals.__members__:
            return int(signals.Signals[name])
    raise UsageError(f"{what} must be a signal name (TERM) or number, not {value!r}")


def output_expect(kind: str, value: object, what: str) -> Expect:
    """An exact text, or a compiled regular expression (found anywhere in the output)."""
    if isinstance(value, str):
        return Expect("==", value, kind)
    if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
        flags = "".join(letter for flag, letter in _INLINE_FLAGS if value.flags & flag)
        return Expect("matches", f"(?{flags}){value.pattern}" if flags else value.pattern, kind)
    raise UsageError(f"{what} must be text or a regular expression, not {value!r}")


def regex(pattern: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise UsageError(f"{what}: not a regular expression: {error}") from None


def expected(
    status: object = None,
    *,
    signal: object = None,
    stdout: object = None,
    stderr: object = None,
    qualifier: str = "",
    what: str = "expect()",
) -> Expected:
    """Check and build one expectation; a status and a signal exclude each other."""
    if status is not None and signal is not None:
        raise UsageError(f"{what}: give a status or a signal, not both")
    return Expected(
        check_status(status, f"{what}: status") if status is not None else None,
        check_signal(signal, f"{what}: signal") if signal is not None else None,
        output_expect("stdout", stdout, f"{what}: stdout") if stdout is not None else None,
        output_expect("stderr", stderr, f"{what}: stderr") if stderr is not None else None,
        qualifier,
    )


def _qualified(qualifier: str, name: str, doc: str) -> Callable[..., Expected]:
    def make(
        status: object = None,
        *,
        signal: object = None,
        stdout: object = None,
        stderr: object = None,
    ) -> Expected:
        return expected(
            status, signal=signal, stdout=stdout, stderr=stderr, qualifier=qualifier, what=name
        )

    make.__name__, make.__qualname__, make.__doc__ = name, name, doc
    return make


bug = _qualified(KNOWN_BUG, "bug", "A shell's known defect (Oils' BUG): ``posh=bug(1)``.")
ok = _qualified(SHELL_RULE, "ok", "A shell's own rule (Oils' OK): ``bash=ok(stdout='x')``.")
not_implemented = _qualified(
    NOT_IMPLEMENTED, "not_implemented", "A feature the shell lacks (Oils' N-I): how it fails."
)


if TYPE_CHECKING:
    PerShell = Union[Status, Expected]


def per_shell_expected(value: PerShell, what: str) -> Expected:
    """A per-shell value: a bare status is the shell's own rule (OK)."""
    if isinstance(value, Expected):
        return value
    return Expected(check_status(value, what), qualifier=SHELL_RULE)


def check_id(scenario_id: object, what: str) -> str:
    if not isinstance(scenario_id, str) or not scenario_id.strip():
        raise UsageError(f"{what}: a scenario needs a non-empty text id")
    bad = sorted(ID_FORBIDDEN & set(scenario_id))
    if bad or not scenario_id.isprintable():
        raise UsageError(f"{what}: id {scenario_id!r} may not hold blanks or glob characters")
    return scenario_id


def status_expect(status: Status) -> Expect:
    if isinstance(status, int):
        return Expect("==", str(status))
    return Expect("in", ",".join(str(s) for s in status))


def signal_expect(number: int, layer: str, shell: str) -> Expect:
    """A death by signal ``number`` as ``shell`` shows it on ``layer``.

    The outer layer is the process's own signal death. The inner layer is the
    shell's status variable, through its own convention: its manual's signal
    base plus N (128, ksh93's 256, yash's 384), or the signal's name (rc).
    """
    if layer != INNER:
        return Expect("==", str(number), "signal")
    spec = BY_NAME[shell.split("@", 1)[0]]
    if spec.dialect.name in NAMED_SIGNALS:
        return Expect("==", "sig" + signals.Signals(number).name[3:].lower(), "text")
    return Expect("==", str(spec.signal_base + number))


def _expects(key: str, wanted: Expected, layer: str, shells: Sequence[str]) -> list[Expect]:
    """The expectation for ``key``, one per shell when a signal reads differently in each."""
    if key != "status":
        found = getattr(wanted, key)
        return [found] * len(shells)
    if wanted.signal is not None:
        return [signal_expect(wanted.signal, layer, shell) for shell in shells]
    assert wanted.status is not None
    return [status_expect(wanted.status)] * len(shells)


class Origin(Record):
    """Where a scenario's expectations come from: the id prefix, the scenario, the source."""

    prefix: str  # "user", "spec", ...
    scenario_id: str
    layer: str
    source: Source


def _convention(
    origin: Origin, key: str, expect: Expect, shells: tuple[str, ...], qualifier: str, name: str
) -> Convention:
    suffix = "" if key == "status" else f"#{key}"
    what = "status" if key == "status" else key
    return Convention(
        f"{origin.prefix}:{origin.scenario_id}{suffix}{'@' + name if name else ''}",
        f"{origin.scenario_id}: the {origin.layer} {what} expected"
        + (f" under {name}" if name else ""),
        (origin.scenario_id,),
        origin.layer,
        expect,
        origin.source,
        shells,
        qualifier=qualifier,
    )


def expected_conventions(
    origin: Origin,
    default: Optional[Expected],
    per_shell: Mapping[str, Expected],
    all_shells: Sequence[str],
) -> list[Convention]:
    """The conventions for one scenario, key by key: the default for every shell without its
    own value for that key, then one per shell that has one, with its qualifier."""
    conventions: list[Convention] = []
    for key in KEYS:
        own = [name for name, wanted in per_shell.items() if wanted.has(key)]
        if default is not None and default.has(key):
            others = tuple(name for name in all_shells if name not in own)
            expects = _expects(key, default, origin.layer, others)
            if len(set(expects)) <= 1:  # one value for all: one convention
                conventions += [_convention(origin, key, e, others, "", "") for e in expects[:1]]
            else:
                conventions += [
                    _convention(origin, key, e, (name,), "", name)
                    for name, e in zip(others, expects)
                ]
        for name in own:
            wanted = per_shell[name]
            (expect,) = _expects(key, wanted, origin.layer, (name,))
            conventions.append(_convention(origin, key, expect, (name,), wanted.qualifier, name))
    return conventions
