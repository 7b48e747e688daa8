"""exitcodes explain: every documented reading of one exit status, with sources."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from exitwrap.cli.common import EXIT_OK
from exitwrap.cli.parsing import Parser, parse
from exitwrap.errors import UsageError
from exitwrap.explain import Interpretation, interpretations
from exitwrap.explain import parse as parse_value
from exitwrap.platforms import PLATFORMS
from exitwrap.shell_names import KNOWN_NAMES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

PROG = "exitcodes explain"


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="Decode one status under every convention that can produce it, each "
        "reading with its source. VALUE is decimal (negative allowed), hex (0xC0000005), "
        "Slurm's code:signal (0:9), or a status a shell reports as words: rc's sigkill or "
        "sigquit+core, Plan 9 rc's 'signal: sys: kill' or '' (its null string), a pipeline's "
        "'0 1' or '|1'. Exit status: 0 done, 2 bad usage.",
    )
    parser.add_argument("value", metavar="VALUE", help="the status to explain")
    parser.add_argument(
        "--shell", metavar="NAME", help=f"put this shell's readings first ({' '.join(KNOWN_NAMES)})"
    )
    parser.add_argument(
        "--platform",
        metavar="NAME",
        help=f"put this platform's readings first and use its signal names ({' '.join(PLATFORMS)})",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def _header(text: str, value: int, signal: Optional[int]) -> str:
    if signal is not None:
        return f"{text} (Slurm: exit code {value}, signal {signal})"
    return f"{text} (decimal {value}, as 32 bits 0x{value & 0xFFFFFFFF:08X})"


def _header_for(text: str) -> str:
    try:
        query = parse_value(text)
    except UsageError:
        return f"{text!r} (a status a shell reports as words)"
    return _header(query.text, query.value, query.signal)


def render_text(header: str, readings: Sequence[Interpretation]) -> str:
    lines = [header]
    for reading in readings:
        lines.append(f"  {reading.convention}: {reading.meaning}")
        lines.append(f"      source: {reading.source.document} <{reading.source.url}>")
    return "\n".join(lines) + "\n"


def run(argv: Sequence[str]) -> int:
    args = parse(build_parser(), argv)
    readings = interpretations(args.value, args.shell, args.platform)
    if args.json:
        document = {"input": args.value, "interpretations": [r.to_json() for r in readings]}
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_text(_header_for(args.value), readings))
    return EXIT_OK
