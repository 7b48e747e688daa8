"""exitwrap: what every shell really reports for an exit status, checked against the documents.

Layers, lowest first; a module imports only from its own layer and those
before it (``tests/test_layers.py`` checks this and that no import cycle
exists, deferred imports included):

1. the vocabulary, this package's own modules: ``errors``, ``platforms``,
   ``shell_names``, ``signal_names``, ``status`` (the exit-status model),
   ``verdicts``, ``cache``, ``streams`` (writing to standard streams that may be closed),
   ``record`` (immutable records, cheaper to define than dataclasses), ``collector``
   (the garbage collector's share of a command-line run), ``scratch`` (private
   temporary directories) and ``path_search`` (PATH look-ups), both without
   tempfile's and shutil's imports;
2. ``shells``: the shell catalog, how each is found, quoted and started;
3. ``observe``: real processes run and their statuses read (batch, pty);
4. ``scenarios``: the built-in scenario catalog;
5. ``conventions``: the expectations with their sources, and the checker;
6. ``suites``: the users' own scenario files;
7. ``explain``: every documented reading of one status;
8. ``reports``: the matrix document and its writers;
9. ``accounting``: the mini Slurm of jobs and steps;
10. ``matrix``: the conformance matrix, which feeds the accounting;
11. ``wrap``: the exitwrap command;
12. ``pytest_plugin``: the pytest plugin;
13. ``cli``: the exitcodes command.

Kept empty of imports on purpose: ``exitwrap`` starts through this package
and pays for everything imported here on every wrapped command.
"""

__version__ = "0.1.0"
