"""Shell adapters: the catalog of shells, how each is found, quoted and started.

Kept empty of imports: ``exitwrap.shells.dialects`` is light, and the
accounting commands import it without paying for the rest.
"""
