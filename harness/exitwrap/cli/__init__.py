"""Command-line front ends: thin layers that parse arguments and call the library."""
