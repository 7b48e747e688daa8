"""Report writers. Every writer reads matrix documents (DESIGN.md's JSON), never live objects,
so a report of a file written last week is the same as one of a run just finished."""
