"""The conventions catalog: sound data, quotes found in their documents, rules held by real shells.

The integrity tests read the catalog only. The quote tests read the manuals
installed on this machine (the Debian 12 pages the URLs name, fish's own
HTML); a page that is not installed, or of another release, is a skip that
says why. The integration tests run real shells and pin what their manuals
promise; an absent shell is a skip.
"""

from __future__ import annotations

import functools
import gzip
import html
import re
import subprocess
from pathlib import Path
from typing import Optional

import pytest

from exitwrap.conventions.builders import DEBIAN_SUITE
from exitwrap.conventions.catalog import CONVENTIONS
from exitwrap.conventions.model import KNOWN_BUG, SHELL_RULE, TEXT_KINDS, Convention, Source
from exitwrap.conventions.modes import BASH_POSIX_MODE
from exitwrap.matrix.run import run_cell
from exitwrap.observe.probe import ProbeKit
from exitwrap.observe.runner import DEFAULT_LIMITS
from exitwrap.scenarios.catalog import BY_ID, SCENARIOS, Scenario
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.shells.catalog import POSIX_FAMILY
from tests.conftest import REPO, SHELLS

QUALIFIERS = ("", SHELL_RULE, KNOWN_BUG)
# Shells whose documentation states no exit status at all: POSIX alone binds them.
UNDOCUMENTED = ("busybox",)
SEEDS = REPO.parent / "shared" / "seeds"
FISH_DOCS = Path("/usr/share/doc/fish")
# a page's section may carry a suffix: 9base's rc is rc.1plan9, in man1
DEBIAN_MANPAGE = re.compile(r"https://manpages\.debian\.org/(\w+)/[^/]+/(.+)\.((\d)\w*)\.en\.html$")
BASH_POSIX_FILE = Path("/usr/share/doc/bash/POSIX.gz")
FISH_PAGE = re.compile(r"https://fishshell\.com/docs/(\d+\.\d+)/([^#]+)")


def _members(convention: Convention) -> tuple[str, ...]:
    """The shells a convention names, with @posix and * spelled out."""
    if "*" in convention.shells:
        return KNOWN_NAMES
    named = [s for s in convention.shells if s != "@posix"]
    return tuple(named) + (POSIX_FAMILY if "@posix" in convention.shells else ())


def _covered(convention: Convention) -> list[tuple[str, Scenario]]:
    return [
        (shell, scenario)
        for shell in _members(convention)
        for scenario in SCENARIOS
        if convention.covers(scenario.id, scenario.n, shell, POSIX_FAMILY)
    ]


def _params(conventions: tuple[Convention, ...] = CONVENTIONS) -> list[object]:
    return [pytest.param(c, id=c.id) for c in conventions]


# --- integrity -------------------------------------------------------------------------------


def test_convention_ids_are_unique() -> None:
    ids = [c.id for c in CONVENTIONS]
    assert sorted(i for i in ids if ids.count(i) > 1) == []


@pytest.mark.parametrize("convention", _params())
def test_each_entry_is_well_formed(convention: Convention) -> None:
    assert set(convention.shells) <= set(KNOWN_NAMES) | {"@posix", "*"}
    assert convention.qualifier in QUALIFIERS
    source = convention.source
    assert source.document.strip() and source.url.startswith("https://")
    assert source.quote and source.quote == source.quote.strip()
    covered = _covered(convention)
    assert covered, f"{convention.id} covers no scenario for any shell it names"
    for _shell, scenario in covered:
        # a convention on the other layer would never be consulted by the checker
        assert scenario.layer == convention.layer, scenario.id
        assert convention.expect.describe(scenario.n)
        if convention.expect.kind not in TEXT_KINDS:
            assert convention.expect.values(scenario.n)


@pytest.mark.parametrize("convention", _params())
def test_ids_say_whose_rule_it_is(convention: Convention) -> None:
    owner = convention.id.split("/")[0]
    if convention.qualifier == KNOWN_BUG:
        assert not convention.binding, "a known bug is shown, it never decides a cell"
    if owner == "common":
        assert convention.shells == ("*",) and not convention.binding, "practice never binds"
    elif owner == "posix":
        assert convention.shells == ("@posix",)
    else:
        assert convention.shells == (owner,), "a manual speaks for the shell it documents"


def test_every_documented_shell_has_entries_from_its_own_manual() -> None:
    documented = {c.shells[0] for c in CONVENTIONS if c.binding and len(c.shells) == 1}
    unix_shells = {name for name in KNOWN_NAMES if name not in ("cmd", "pwsh")}
    assert unix_shells - documented == set(UNDOCUMENTED)


def test_informational_entries_never_decide_and_binding_ones_can_fail() -> None:
    informational = [c for c in CONVENTIONS if not c.binding]
    assert {c.id for c in informational} >= {"common/signal-128-plus-n", "common/exit-low-8-bits"}
    for convention in CONVENTIONS:
        if convention.expect.kind in TEXT_KINDS:
            continue
        for _shell, scenario in _covered(convention)[:1]:
            wanted = convention.expect.values(scenario.n)
            outcomes = {convention.expect.holds(v, scenario.n) for v in (*wanted, -1, 1 << 20)}
            assert outcomes == {True, False}, convention.id


# --- quotes, checked against the installed documents ----------------------------------------


# typographic hyphens, minus and quotes as groff and Sphinx print them -> ASCII
_PLAIN = str.maketrans(
    {"\u2010": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}
)


def _flat(text: str) -> str:
    """Text with typography and all whitespace removed: a quote must match word for word."""
    text = html.unescape(text)
    return re.sub(r"\s+", "", text.translate(_PLAIN))


@functools.cache
def _os_codename() -> str:
    try:
        lines = Path("/etc/os-release").read_text().splitlines()
    except OSError:
        return ""
    fields = dict(line.split("=", 1) for line in lines if "=" in line)
    return fields.get("VERSION_CODENAME", "").strip('"')


@functools.cache
def _manpage(page: str, section: str, directory: str) -> Optional[str]:
    path = Path(f"/usr/share/man/man{directory}/{page}.{section}.gz")
    if not path.exists():
        return None
    rendered = subprocess.run(
        ["man", "-P", "cat", "-l", str(path)],
        capture_output=True,
        text=True,
        env={"MANWIDTH": "4000", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=300,
    ).stdout
    return re.sub(r".\x08", "", rendered) or None


@functools.cache
def _fish_page(page: str) -> Optional[str]:
    path = FISH_DOCS / page
    return path.read_text(encoding="utf-8") if path.exists() else None


def _installed_text(source: Source) -> tuple[Optional[str], str]:
    """The installed copy of the cited document, or None and why it cannot be checked here."""
    manpage = DEBIAN_MANPAGE.match(source.url)
    if manpage:
        suite, page, section, directory = manpage.groups()
        if _os_codename() != suite:
            return None, f"quoted from Debian {suite}'s page; this machine is {_os_codename()!r}"
        return _manpage(page, section, directory), f"{page}({section}) is not installed"
    if source.url == BASH_POSIX_MODE:
        if _os_codename() != DEBIAN_SUITE:
            return None, f"quoted from Debian {DEBIAN_SUITE}'s bash; this machine is not"
        if not BASH_POSIX_FILE.exists():
            return None, f"{BASH_POSIX_FILE} is not installed"
        return gzip.decompress(BASH_POSIX_FILE.read_bytes()).decode("utf-8"), ""
    fish = FISH_PAGE.match(source.url)
    if fish:
        version, page = fish.groups()
        text = _fish_page(page)
        if text is not None and f"fish-shell {version}" not in text:
            return None, f"the installed fish documentation is not fish {version}'s"
        return (re.sub(r"<[^>]+>", " ", text) if text else None), f"fish docs {page} not installed"
    if "wikipedia.org/wiki/Exit_status" in source.url:
        seed = SEEDS / "exit-status-wikipedia.txt"
        return (
            seed.read_text() if seed.exists() else None
        ), "the seed article is not beside the repo"
    return None, "checked by hand against the standard or the issue tracker (see README)"


@pytest.mark.parametrize("convention", _params())
def test_quote_is_verbatim_in_the_installed_document(convention: Convention) -> None:
    text, why_not = _installed_text(convention.source)
    if text is None:
        pytest.skip(why_not)
    assert _flat(convention.source.quote) in _flat(text)


# --- the documented rules, held by real shells ----------------------------------------------

# (shell, scenario, {convention id: verdict}); every one of these verdicts is observed by running.
DOCUMENTED = [
    (
        "ksh93",
        "signal/9",
        {
            "posix/signal-above-128": "conforms",
            "ksh93/signal-status": "conforms",
            "common/signal-128-plus-n": "deviates",
        },
    ),
    (
        "yash",
        "signal/9",
        {
            "posix/signal-above-128": "conforms",
            "yash/signal-status": "conforms",
            "common/signal-128-plus-n": "deviates",
        },
    ),
    ("ksh93", "reraise/9", {"ksh93/reraise-status": "conforms"}),
    ("yash", "reraise/9", {"yash/reraise-status": "conforms"}),
    ("ksh93", "shell-exit/-1", {"ksh93/exit-low-8-bits": "conforms"}),
    ("ksh93", "shell-exit/300", {"ksh93/exit-low-8-bits": "conforms"}),
    ("yash", "shell-exit/300", {"yash/exit-modulo-256": "conforms"}),
    (
        "bash",
        "signal/15",
        {"bash/signal-status": "conforms", "common/signal-128-plus-n": "conforms"},
    ),
    ("zsh", "signal/15", {"zsh/signal-status": "conforms"}),
    ("mksh", "signal/15", {"mksh/signal-status": "conforms"}),
    ("posh", "signal/15", {"posh/signal-status": "conforms"}),
    ("zsh", "exec-format", {"zsh/cannot-execute-126": "conforms"}),
    ("mksh", "bad-interpreter", {"mksh/cannot-execute-126": "conforms"}),
    ("fish", "not-found", {"fish/not-found-127": "conforms"}),
    ("fish", "signal/9", {"fish/signal-status": "conforms"}),
    (
        "fish",
        "is-directory",
        {"fish/implicit-cd": "conforms", "common/not-executable-126": "deviates"},
    ),
    ("tcsh", "signal/9", {"tcsh/signal-status": "conforms"}),
    ("tcsh", "shell-exit/42", {"tcsh/exit-builtin": "conforms"}),
    ("rc", "signal/9", {"rc/signal-name": "conforms"}),
    ("rc", "pipeline/last", {"rc/pipeline-status-list": "conforms"}),
    ("tcsh", "pipeline/pipefail", {"tcsh/pipeline-anyerror": "conforms"}),
    ("tcsh", "expansion-error", {"tcsh/unset-variable-error": "conforms"}),
    ("plan9rc", "exit/0", {"plan9rc/status-null-on-success": "conforms"}),
    (
        "plan9rc",
        "signal/9",
        {
            "plan9rc/status-non-null-on-failure": "conforms",
            "plan9rc/wait-message-signal": "conforms",
        },
    ),
    ("plan9rc", "shell-exit/42", {"plan9rc/exit-builtin": "conforms"}),
    (
        "bash-posix",
        "expansion-error",
        {
            "bash-posix/expansion-error-exits": "conforms",
            "bash/expansion-error-non-zero": "conforms",
        },
    ),
    ("bash-posix", "signal/9", {"bash/signal-status": "conforms"}),
    ("yash-posix", "shell-exit/-1", {"yash-posix/exit-error-exits": "conforms"}),
    ("yash-posix", "special-builtin-error", {"yash-posix/special-builtin-error-exits": "conforms"}),
    ("bash-posix", "special-builtin-error", {"bash-posix/special-builtin-error-exits": "conforms"}),
    ("yash-posix", "signal/9", {"yash/signal-status": "conforms"}),
]


@pytest.mark.parametrize(
    ("shell_name", "scenario", "expected"),
    [pytest.param(*row, id=f"{row[0]}-{row[1]}") for row in DOCUMENTED],
)
def test_documented_rules_hold_under_the_real_shell(
    shell_name: str,
    scenario: str,
    expected: dict[str, str],
    kit: ProbeKit,
    cell_env: dict[str, str],
) -> None:
    shell = SHELLS[shell_name]
    if not shell.present:
        pytest.skip(f"{shell_name} absent: {shell.absent_reason}")
    cell = run_cell(shell, BY_ID[scenario], kit, cell_env, DEFAULT_LIMITS)
    verdicts = {r.convention.id: r.verdict for r in cell.check.results}
    assert {cid: verdicts.get(cid) for cid in expected} == expected, cell.to_record()
    binding = [r.verdict for r in cell.check.results if r.convention.binding]
    assert cell.verdict == ("deviates" if "deviates" in binding else "conforms")
