"""A small getopt_long-style parser for the commands whose start-up is measured.

argparse alone costs nearly as much as the interpreter's own start (2.8 ms
of a one-cell matrix run, with gettext and locale), and these commands take
a handful of options. As with GNU getopt_long (which
Slurm's own commands use): options and operands may mix, ``--`` ends the
options, ``-Xn`` bundles flags, ``-j5``, ``-j 5``, ``--jobs=5`` and ``--jobs
5`` are the same, and a long option may be cut to any unambiguous prefix.
Every mistake is a UsageError naming the word at fault.
"""

from __future__ import annotations

from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional, Union


class Option:
    """One option: its short and long names; a metavar when it takes a value."""

    __slots__ = ("help", "long", "metavar", "short")

    def __init__(self, short: str, long: str, help: str, metavar: str = "") -> None:
        self.short = short  # "-j", or "" for a long-only option
        self.long = long  # "--jobs"
        self.help = help
        self.metavar = metavar

    @property
    def name(self) -> str:
        """The key its value is stored under: ``--no-header`` -> ``no_header``."""
        return self.long[2:].replace("-", "_")

    @property
    def spelling(self) -> str:
        names = f"{self.short}, {self.long}" if self.short else f"    {self.long}"
        return f"{names} {self.metavar}" if self.metavar else names


HELP = Option("-h", "--help", "show this help and exit")


class Parsed:
    """What a command line said: option values by name, and the operands in order."""

    __slots__ = ("given", "operands", "values")

    def __init__(self) -> None:
        self.values: dict[str, Union[str, bool]] = {}  # the last value of each
        self.given: dict[str, list[str]] = {}  # every value of each, in order
        self.operands: list[str] = []

    def flag(self, name: str) -> bool:
        return self.values.get(name) is True

    def value(self, name: str) -> Optional[str]:
        found = self.values.get(name)
        return found if isinstance(found, str) else None

    def every(self, name: str) -> list[str]:
        """Every value an option that may be repeated was given, in order."""
        return list(self.given.get(name, ()))


def _long(word: str, options: Sequence[Option]) -> Option:
    exact = [o for o in options if o.long == word]
    matches = exact or [o for o in options if o.long.startswith(word)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(f"unrecognized option '{word}'")
    names = ", ".join(o.long for o in matches)
    raise UsageError(f"option '{word}' is ambiguous (could be {names})")


def parse(argv: Sequence[str], options: Sequence[Option], *, dashed_values: bool = True) -> Parsed:
    """Read argv against the option table (HELP is always accepted).

    ``dashed_values``: a value given as the next word may start with '-', as
    getopt takes it (Slurm's commands, which the accounting commands follow);
    False refuses one that looks like an option (not a negative number), as
    argparse does, so ``--out-dir --strict`` is a mistake, not a directory.
    """
    table = (*options, HELP)
    by_short = {o.short: o for o in table if o.short}
    parsed = Parsed()
    words = list(argv)
    while words:
        word = words.pop(0)
        if word == "--":
            parsed.operands += words
            break
        if word.startswith("--"):
            said, equals, attached = word.partition("=")
            option = _long(said, table)
            if equals and not option.metavar:
                raise UsageError(f"option '{option.long}' takes no value")
            value = attached if equals else None
        elif word.startswith("-") and len(word) > 1:
            said, value = word[:2], word[2:] or None
            option = by_short.get(said) or _unknown_short(said)
            if value is not None and not option.metavar:
                words.insert(0, "-" + value)  # bundled flags: -Xn is -X -n
            elif value is not None and value.startswith("="):
                raise UsageError(f"option '{said}' takes its value as {said}VALUE or {said} VALUE")
        else:
            parsed.operands.append(word)
            continue
        if not option.metavar:
            parsed.values[option.name] = True
            continue
        if value is None:
            if not words or (not dashed_values and _looks_like_an_option(words[0])):
                raise UsageError(f"option '{said}' requires a value")
            value = words.pop(0)
        parsed.values[option.name] = value
        parsed.given.setdefault(option.name, []).append(value)
    return parsed


def _looks_like_an_option(word: str) -> bool:
    if not word.startswith("-") or word == "-":
        return False
    try:
        float(word)
    except ValueError:
        return True
    return False  # a negative number


def _unknown_short(word: str) -> Option:
    raise UsageError(f"invalid option '{word}'")


def help_text(usage: str, about: str, options: Sequence[Option], footer: str = "") -> str:
    """The --help page: usage, what the command does, and the options, each one's help
    wrapped to the terminal's width beside its names."""
    import shutil  # noqa: PLC0415  (only when help is asked for)
    import textwrap  # noqa: PLC0415  (likewise)

    table = (*options, HELP)
    width = max(len(o.spelling) for o in table) + 2
    columns = max(shutil.get_terminal_size().columns - 2, width + 30)  # as argparse wraps

    def wrap(text: str, width: int) -> list[str]:  # never inside a word: --no-record stays whole
        return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)

    def paragraphs(text: str) -> list[str]:  # its lines, each wrapped; blank ones kept
        return [part for line in text.splitlines() for part in wrap(line, columns) or [""]]

    lines = [f"usage: {usage}", "", *paragraphs(about), "", "options:"]
    for option in table:
        text = wrap(option.help, columns - width - 2) or [""]
        lines.append(f"  {option.spelling.ljust(width)}{text[0]}")
        lines += [" " * (width + 2) + more for more in text[1:]]
    if footer:
        lines += ["", *paragraphs(footer)]
    return "\n".join(lines) + "\n"
