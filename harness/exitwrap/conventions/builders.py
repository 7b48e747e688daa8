"""Constructors for entries drawn from one shell's own manual, so each entry reads as data.

The manuals quoted are the Debian 12 ("bookworm") pages of the very versions
the matrix runs, so every quote can be checked against the installed page.
"""

from __future__ import annotations

from exitwrap.conventions.model import SHELL_RULE, Convention, Expect, Source
from exitwrap.record import Record, replace
from exitwrap.scenarios.catalog import CORE_DEATHS, INNER, OUTER, SIGNAL_DEATHS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

DEBIAN_SUITE = "bookworm"


def debian_manpage(page: str, package: str, version: str, section: str, quote: str) -> Source:
    """A quote from manual page ``page`` (``bash.1``) of Debian package ``package``."""
    name, number = page.rsplit(".", 1)
    return Source(
        f"{name}({number}) {version}, {section}",
        f"https://manpages.debian.org/{DEBIAN_SUITE}/{package}/{page}.en.html",
        quote,
    )


class Promise(Record):
    """One kind of promise that several manuals make, worded to fit any shell (``{shell}``)."""

    slug: str
    summary: str
    scenarios: tuple[str, ...]
    layer: str
    expect: Expect
    qualifier: str = ""
    n_range: Optional[tuple[int, int]] = None

    def by(self, shell: str, source: Source, scenarios: tuple[str, ...] = ()) -> Convention:
        """The binding entry for ``shell``, whose manual makes this promise in ``source``."""
        return rule(
            shell,
            self.slug,
            self.summary.format(shell=shell),
            scenarios or self.scenarios,
            self.layer,
            self.expect,
            source,
            self.qualifier,
            self.n_range,
        )


def rule(
    shell: str,
    slug: str,
    summary: str,
    scenarios: tuple[str, ...],
    layer: str,
    expect: Expect,
    source: Source,
    qualifier: str = "",
    n_range: Optional[tuple[int, int]] = None,
) -> Convention:
    """A binding entry for one shell, with the id ``shell/slug``."""
    return Convention(
        f"{shell}/{slug}",
        summary,
        scenarios,
        layer,
        expect,
        source,
        (shell,),
        qualifier=qualifier,
        n_range=n_range,
    )


def informational(entry: Convention) -> Convention:
    """An entry shown beside the binding ones, never deciding a cell (an implementation's words,
    a value kept for comparison)."""
    return replace(entry, binding=False, qualifier="")


def signal_rules(
    shell: str,
    formula: str,
    source: Source,
    reraise: str = "",
    reraise_source: Optional[Source] = None,
) -> tuple[Convention, Convention]:
    """A shell's documented status after a death by signal N, and what `exit $?` makes of it.

    ``reraise`` is the exit status the shell's exit rule makes of that value
    (it defaults to the value itself, which fits in 0..255 for 128+N);
    ``reraise_source`` is that exit rule's quote when it is not ``source``.
    """
    kept = reraise or formula
    return (
        rule(
            shell,
            "signal-status",
            f"{shell} reports a child killed by signal N as {formula}, core dumped or not",
            SIGNAL_DEATHS + CORE_DEATHS,
            INNER,
            Expect("==", formula),
            source,
            SHELL_RULE,
        ),
        rule(
            shell,
            "reraise-status",
            f"`exit $?` after a death by signal N: $? is {formula}, and the exit rule turns it "
            f"into {kept}",
            ("reraise/*",),
            OUTER,
            Expect("==", kept),
            reraise_source or source,
            SHELL_RULE,
        ),
    )
