"""The Oils spec-test format (``*.test.sh``), read as Oils' own runner reads it.

Oils' ``test/sh_spec.py`` is the reference: its tokenizer and parser are
followed line for line, quirks included, so a file means here what it means
there. Lines are bytes split on ``\\n`` only; each is classified in this
order: a case start (``####`` at column 0, in every mode), metadata
(``## [QUALIFIER SHELLS] key: value``), a block end (``## END``), any other
``##`` line (an error, as upstream), a comment (dropped everywhere, inside
code and output blocks too), else a plain line. Blank lines separate
metadata (outer mode) but belong to code and output blocks (raw mode).

Everything upstream refuses is refused here with ``file:line``; what it
checks only when a case runs (a status that is not an integer, bad JSON) is
refused at once; what it silently ignores (an unknown key) is a warning.
"""

from __future__ import annotations

import json
import os
import re

from exitwrap.errors import UsageError
from exitwrap.record import Record, replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Union

# Oils' two regular expressions, as bytes patterns: ASCII \s and \w, as in Python 2
KEY_VALUE_RE = re.compile(
    rb"##\s+(?:(OK(?:-\d)?|BUG(?:-\d)?|N-I)\s+([\w+/]+)\s+)?([\w\-]+):\s*(.*)"
)
END_MULTILINE_RE = re.compile(rb"##\s+END")
MULTILINE_KEYS = (b"STDOUT", b"STDERR")
# the header keys upstream accepts (its _META_FIELDS); any other is fatal there too
HEADER_KEYS = frozenset(
    {
        "suite",
        "tags",
        "compare_shells",
        "our_shell",
        "oils_failures_allowed",
        "oils_cpp_failures_allowed",
        "legacy_tmp_dir",
    }
)
ASSERTION_KEYS = ("stdout", "stderr", "status", "stdout-json", "stderr-json")
CASE_KEYS = frozenset({*ASSERTION_KEYS, "code"})

# token kinds (upstream's numbering, which its error messages show)
CASE_BEGIN, KEY_VALUE, KEY_VALUE_MULTILINE, END_MULTILINE, PLAIN_LINE, EOF = range(6)
if TYPE_CHECKING:
    Item = Union[bytes, tuple[Optional[bytes], Optional[bytes], bytes, bytes]]


class ShellAnnotation(Record):
    """One shell's qualified expectations in a case: a single qualifier, its keys' raw values."""

    qualifier: str
    values: dict[str, bytes]  # filled as the case is read


class SpecCase(Record):
    """One case; its tables are filled as it is read (each case has its own: no defaults)."""

    index: int  # 0-based position in the file, as upstream numbers cases
    desc: str
    line: int  # the line of its ####
    code: bytes
    values: dict[str, bytes]  # unqualified metadata, raw
    shells: dict[str, ShellAnnotation]  # by Oils shell name
    metadata: list[str]  # its metadata lines, as written


class SpecFile(Record):
    path: str  # as the user gave it
    header: dict[str, str]
    cases: list[SpecCase]
    warnings: list[str]


def _lines(data: bytes) -> list[bytes]:
    """The file's lines, each with its newline, split on \\n only (a \\r stays in the line)."""
    parts = data.split(b"\n")
    return [p + b"\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


class _Tokens:
    """Upstream's Tokenizer: one token of lookahead, outer (blank lines skipped) or raw mode."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.lines = _lines(data)
        self.line_num = 0
        self.current: tuple[int, int, Item] = (0, EOF, b"")
        self.next(raw=False)

    def error(self, line: int, message: str) -> UsageError:
        return UsageError(f"{self.path}:{line}: {message}")

    def _classify(self, line: bytes, *, raw: bool) -> Optional[tuple[int, Item]]:
        if not raw and not line.strip():
            return None
        if line.startswith(b"####"):
            return CASE_BEGIN, line[4:].strip()
        found = KEY_VALUE_RE.match(line)
        if found:
            qualifier, shells, name, value = found.groups()
            if name in (b"stdout", b"stderr"):
                value += b"\n"  # upstream's newline hack: a one-line value is a whole line
            kind = KEY_VALUE_MULTILINE if name in MULTILINE_KEYS else KEY_VALUE
            return kind, (qualifier, shells, name, value)
        if END_MULTILINE_RE.match(line):
            return END_MULTILINE, line
        if line.startswith(b"##"):
            raise self.error(self.line_num, f"Invalid ## line {_shown(line)}")
        if line.lstrip().startswith(b"#"):
            return None  # a comment, dropped in code and in output blocks alike (upstream's bug)
        return PLAIN_LINE, line

    def next(self, *, raw: bool) -> None:
        while self.line_num < len(self.lines):
            line = self.lines[self.line_num]
            self.line_num += 1
            token = self._classify(line, raw=raw)
            if token is not None:
                self.current = (self.line_num, *token)
                return
        self.current = (self.line_num + 1, EOF, b"")


def _shown(value: object) -> str:
    """A value as an error message shows it: bytes as text, quotes and escapes visible."""
    if isinstance(value, bytes):
        return repr(value.decode("utf-8", "replace"))
    return repr(value)


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


class _Parser:
    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.tokens = _Tokens(path, data)
        self.warnings: list[str] = []

    def header(self) -> dict[str, str]:
        header: dict[str, str] = {}
        while True:
            line, kind, item = self.tokens.current
            if kind != KEY_VALUE:
                return header
            assert isinstance(item, tuple)
            qualifier, _, name, value = item
            if qualifier:
                raise self.tokens.error(line, "Invalid qualifier in spec file metadata")
            key = _text(name)
            if key not in HEADER_KEYS:
                raise self.tokens.error(line, f"Invalid file metadata {key!r}")
            header[key] = _text(value)
            self.tokens.next(raw=False)

    def _add(
        self, case: SpecCase, item: tuple[Optional[bytes], Optional[bytes], bytes, bytes], line: int
    ) -> None:
        qualifier, shells, name, value = item
        key = _text(name).lower() if name in MULTILINE_KEYS else _text(name)
        if key not in CASE_KEYS:
            self.warnings.append(f"{self.path}:{line}: unknown key {key!r} (Oils ignores it too)")
        if not qualifier:
            case.values[key] = value  # upstream: a later line silently replaces an earlier one
            return
        assert shells is not None
        for shell in _text(shells).split("/"):
            annotation = case.shells.setdefault(shell, ShellAnnotation(_text(qualifier), {}))
            bare = key.removesuffix("-json")
            if bare in annotation.values or f"{bare}-json" in annotation.values:
                raise self.tokens.error(line, f"duplicate spec {key!r} for {shell!r}")
            if annotation.qualifier != _text(qualifier):
                raise self.tokens.error(
                    line,
                    f"inconsistent qualifier {_text(qualifier)!r} is specified for {shell!r}, "
                    f"but {annotation.qualifier!r} was previously specified",
                )
            annotation.values[key] = value

    def metadata(self, case: SpecCase) -> None:
        """Upstream's ParseKeyValue: a contiguous run of metadata, one-line or blocks."""
        while True:
            line, kind, item = self.tokens.current
            if kind not in (KEY_VALUE, KEY_VALUE_MULTILINE):
                return
            assert isinstance(item, tuple)
            case.metadata.append(_text(self.tokens.lines[line - 1]).rstrip("\n"))
            if kind == KEY_VALUE:
                self._add(case, item, line)
                self.tokens.next(raw=False)
                continue
            qualifier, shells, name, value = item
            if value:
                raise self.tokens.error(
                    line,
                    f"got value {_shown(value)} for {_shown(name)}, but the value should be "
                    "on the following lines",
                )
            block: list[bytes] = []
            while True:
                self.tokens.next(raw=True)
                _, kind, body = self.tokens.current
                if kind != PLAIN_LINE:
                    break
                assert isinstance(body, bytes)
                block.append(body)
                case.metadata.append(_text(body).rstrip("\n"))
            self._add(case, (qualifier, shells, name, b"".join(block)), line)
            if kind == END_MULTILINE:  # the END line is optional
                case.metadata.append("## END")
                self.tokens.next(raw=False)

    def code(self) -> bytes:
        line, kind, item = self.tokens.current
        if kind != PLAIN_LINE:
            shown = _shown(item[2] if isinstance(item, tuple) else item)
            raise self.tokens.error(line, f"Expected a line of code (got {kind}, {shown})")
        lines: list[bytes] = []
        while kind == PLAIN_LINE:
            assert isinstance(item, bytes)
            lines.append(item)
            self.tokens.next(raw=True)
            _, kind, item = self.tokens.current
        return b"".join(lines)

    def case(self, index: int) -> Optional[SpecCase]:
        line, kind, item = self.tokens.current
        if kind == EOF:
            return None
        if kind != CASE_BEGIN:
            shown = _shown(item[2] if isinstance(item, tuple) else item)
            raise self.tokens.error(line, f"Expected TEST_CASE_BEGIN, got [{kind}, {shown}]")
        assert isinstance(item, bytes)
        case = SpecCase(index, _text(item), line, b"", values={}, shells={}, metadata=[])
        self.tokens.next(raw=False)
        self.metadata(case)
        if "code" in case.values:  # upstream: "## code:" ends the case
            return replace(case, code=case.values.pop("code"))
        code = self.code()
        self.metadata(case)
        # in the trailing metadata, "## code:" replaces the code
        return replace(case, code=case.values.pop("code", code))


def _check_values(path: str, case: SpecCase) -> None:
    """What upstream only finds when the case runs (bad JSON, a status that is no integer)."""
    annotated = [(case.values, "")] + [(a.values, f" for {s!r}") for s, a in case.shells.items()]
    for values, whose in annotated:
        for key, value in values.items():
            where = f"{path}:{case.line}: case {case.index}: {key}{whose}"
            if key == "status" and not re.fullmatch(rb"\s*[-+]?\d+\s*", value):
                raise UsageError(f"{where}: {_shown(value)} is not an integer")
            if key.endswith("-json"):
                try:
                    decoded = json.loads(value)
                except ValueError as error:
                    raise UsageError(f"{where}: not JSON: {error}") from None
                if not isinstance(decoded, str):
                    raise UsageError(f"{where}: must be a JSON string, not {_shown(value)}")


def parse_spec(path: str, data: bytes) -> SpecFile:
    """Parse one spec file's bytes; anything malformed is a UsageError naming file and line."""
    parser = _Parser(path, data)
    header = parser.header()
    cases: list[SpecCase] = []
    while True:
        case = parser.case(len(cases))
        if case is None:
            break
        _check_values(path, case)
        cases.append(case)
    if not cases:
        raise UsageError(f"{path}: no test cases (#### lines)")
    return SpecFile(path, header, cases, parser.warnings)


def read_spec(path: str | os.PathLike[str]) -> SpecFile:
    path = os.fspath(path)
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        raise UsageError(f"{path}: cannot read the spec file ({error.strerror or error})") from None
    return parse_spec(path, data)
