"""The accounting: a mini Slurm of jobs and steps, kept in SQLite; exitwrap writes a spool."""
