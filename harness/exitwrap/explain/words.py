"""Readings of a status a shell spelled as words: rc's ``sigquit+core``, Plan 9's wait messages.

``exitcodes explain 'signal: sys: kill'`` and the HTML matrix's hover text
read such a status here; exitwrap/shells/status_words.py reads the words,
this module says what they mean, with the document each reading rests on.
"""

from __future__ import annotations

from collections.abc import Mapping

from exitwrap.conventions.other_shells import RC_PIPELINE, RC_SIGNAL
from exitwrap.conventions.plan9 import SIGNALED, WAIT_MESSAGE
from exitwrap.explain.readings import POSIX_PLATFORMS, Interpretation, signal_text
from exitwrap.shells.status_words import PLAN9, Word

# how each spelling's readings are named, and the shells they are about
_SHELLS = {PLAN9: "plan9rc"}


def _one(word: Word, signals: Mapping[int, str]) -> str:
    """What one process's status word says happened to it."""
    if word.exit_code is not None:
        if word.exit_code == 0:
            return "succeeded" if word.spelling == PLAN9 else "exited 0: success"
        return f"exited {word.exit_code}"
    numbers = {name: number for number, name in signals.items()}
    number = word.signal_number or numbers.get(word.signal_name or "")
    named = signal_text(number, signals) if number is not None else str(word.signal_name)
    killed = f"was killed by signal {number}, {named}" if number else f"was killed by {named}"
    return killed + (", and dumped core" if word.core else "")


def interpret(words: list[Word], signals: Mapping[int, str]) -> list[Interpretation]:
    """The readings of a status text that status_words.read() split into words."""
    spelling = words[0].spelling
    shell = _SHELLS.get(spelling, "rc")
    shells = (shell,)
    if len(words) > 1:
        each = "; ".join(f"process {i} {_one(w, signals)}" for i, w in enumerate(words, 1))
        if spelling == PLAN9:
            meaning = f"Plan 9 rc: a pipeline's wait messages joined with '|': {each}"
            source = WAIT_MESSAGE
        else:
            meaning = f"rc: a pipeline's statuses, one per process: {each}"
            source = RC_PIPELINE
        return [Interpretation(f"{shell}/pipeline-status", meaning, source, shells)]
    word = words[0]
    if spelling == PLAN9 and word.exit_code is not None:
        return [
            Interpretation(
                "plan9rc/null-status",
                "Plan 9 rc: the null string, the status of a command that succeeded",
                WAIT_MESSAGE,
                shells,
            )
        ]
    if spelling == PLAN9:
        meaning = f"Plan 9 rc (9base, plan9port on Unix): the command {_one(word, signals)}"
        return [Interpretation("plan9rc/wait-message", meaning, SIGNALED, shells, POSIX_PLATFORMS)]
    meaning = f"rc: the command {_one(word, signals)}"
    return [Interpretation("rc/signal-name", meaning, RC_SIGNAL, shells, POSIX_PLATFORMS)]
