"""Observing real processes: the batch runner, the interactive (pty) runner, the probe kit.

An observation keeps the raw statuses (the POSIX wait status, the Windows
DWORD, both under Wine) and what the shell printed; every view is derived.
"""
