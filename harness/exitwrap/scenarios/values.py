"""The values the parametrised scenarios run with, shared by every shell's catalog."""

from __future__ import annotations

EXIT_VALUES = (
    0,
    1,
    2,
    42,
    125,
    126,
    127,
    128,
    255,
    256,
    257,
    300,
    -1,
    -2,
    -255,
    -256,
    65535,
    2147483647,
)
# Windows' exit codes are 32 bits: more multiples of 256, and the edges of a 32-bit int
WIDE_EXIT_VALUES = (512, 65536, -65536, -2147483648, 2147483648, 4294967296)
