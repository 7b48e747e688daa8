"""The hostile arguments every test draws from: what breaks naive quoting, option parsing,
markup or text handling. The last entry is a byte that is not UTF-8 (os.fsdecode's surrogate
escape), which argv carries like any other; the helpers below take the subsets a dialect or a
format can carry."""

from __future__ import annotations

HOSTILE = ["", " ", "'", "''", '"', '""', "$HOME", "`id`", "$(id)", ";", "&", "&&", "|", "\n",
           "a\nb", "\\", "\\'", "a\\", 'a\\"b', "!", "!!", "!x!", "*", "?", "[a]", "~", "#", "%",
           "%%", "%1", "%~dp0", "%PATH%", "^", "^^", "<", ">", "(", ")", "{}", "@", "@()", "=",
           ",", "a=b", "a b", "é", "日本", "\u2018", "\u2019x\u201b", "\t", "\r", "`n", "-n",
           "--", "/c", "--%", "-Command", "--timeout", "--no-record", "-q", "$@", '"$@"',
           '${1+"$@"}', '<script>alert("x")</script>', "]]>", "\x1b[31m", "\udcff"]  # fmt: skip


def text(args: list[str]) -> list[str]:
    """The arguments that are text (valid UTF-8)."""
    return [a for a in args if not any("\udc80" <= c <= "\udcff" for c in a)]


def printable_ascii(args: list[str]) -> list[str]:
    """What cmd carries: printable ASCII and tabs (no line breaks, no other controls)."""
    return [a for a in args if all(c == "\t" or " " <= c <= "~" for c in a)]


HOSTILE_TEXT = " ".join(text(HOSTILE))  # one string, for fields of a report or a record
