"""The two kinds of failure a command reports, each with its documented exit status."""

from __future__ import annotations


class UsageError(ValueError):
    """The caller asked for something malformed (exitcodes exits 2, exitwrap 125)."""


class HarnessFailure(RuntimeError):
    """The request was well formed but could not be carried out (exitcodes exits 1)."""
