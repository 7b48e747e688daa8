"""exitwrap, the command wrapper: run a command, forward signals, return a faithful status."""
