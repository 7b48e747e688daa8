"""The accounting on a PostgreSQL server: shared across hosts and users, owners enforced there.

Only ``exitcodes`` imports this (psycopg costs about 140 ms to import);
exitwrap spools to this host's queue (location.py) and a push brings the
queue in (push.py).
"""
