"""exitwrap: what every shell really reports for an exit status, checked against the documents.

Kept empty of imports on purpose: ``exitwrap`` starts through this package
and pays for everything imported here on every wrapped command.
"""

__version__ = "0.1.0"
