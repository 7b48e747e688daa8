"""The accounting database's schema, as forward migrations.

``MIGRATIONS[n]`` takes a database from version n to n+1 (``PRAGMA
user_version`` holds the version). A database is only ever moved forward;
one newer than ``VERSION`` is refused rather than guessed at.

Exit codes are kept as raw wait statuses; every view (``code:signal``,
states' reasons) is derived when read. A job's derived exit code is NULL
until its owner sets one: until then it is computed from the steps.
"""

from __future__ import annotations

_V1 = (
    """CREATE TABLE jobs (
        job_id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,              -- 'single' (exitwrap CMD), 'batch', 'matrix'
        name TEXT NOT NULL,
        uid INTEGER NOT NULL,
        user TEXT NOT NULL,
        gid INTEGER NOT NULL,
        account TEXT,
        comment TEXT,
        command TEXT NOT NULL,           -- argv joined by NUL; argv[0] alone when redacted
        workdir TEXT NOT NULL,
        submit_time REAL NOT NULL,
        start_time REAL NOT NULL,
        end_time REAL,
        state TEXT NOT NULL,
        reason TEXT,                     -- only a reason the state and status do not imply
        exit_status INTEGER,             -- raw wait status
        derived_status INTEGER,          -- set by jobexitmod; NULL: the steps' highest
        next_step INTEGER NOT NULL DEFAULT 0,
        pid INTEGER, pgid INTEGER, node TEXT NOT NULL, boot_id TEXT, proc_start INTEGER,
        cancel_uid INTEGER
    )""",
    "CREATE INDEX jobs_by_start ON jobs (start_time)",
    """CREATE TABLE steps (
        job_id INTEGER NOT NULL,
        step_index INTEGER NOT NULL,     -- -1 for the batch step, else 0, 1, ...
        name TEXT NOT NULL,
        command TEXT,
        workdir TEXT,
        start_time REAL NOT NULL,
        end_time REAL,
        state TEXT NOT NULL,
        reason TEXT,
        exit_status INTEGER,
        comment TEXT,
        extra TEXT,                      -- JSON: what a matrix cell kept beside its status
        pid INTEGER, pgid INTEGER, node TEXT NOT NULL, boot_id TEXT, proc_start INTEGER,
        cancel_uid INTEGER,
        max_rss_kib INTEGER, user_cpu REAL, system_cpu REAL,
        PRIMARY KEY (job_id, step_index)
    ) WITHOUT ROWID""",
)

# V2: the PID namespace of each recording process (a reader in another one cannot judge its
# liveness), and the runs an ingest kept under a new id because theirs was taken already
_V2 = (
    "ALTER TABLE jobs ADD COLUMN pid_ns INTEGER",
    "ALTER TABLE steps ADD COLUMN pid_ns INTEGER",
    """CREATE TABLE renumbered (
        job_id INTEGER NOT NULL,         -- where the run is kept
        step_index INTEGER,              -- NULL: the whole job was renumbered
        spooled_job INTEGER NOT NULL,    -- the id it was spooled under: J...
        spooled_step INTEGER,            -- ...or J.K
        noticed REAL NOT NULL
    )""",
)

# V3: what a job or step of a Slurm cluster keeps of it, and the limits and CPUs that
# sacct's Timelimit, AllocCPUS and CPUTime show. A job of kind 'slurm' is a Slurm job's record:
# shown under Slurm's job id, its end taken from Slurm's accounting (accounting/slurm_settle.py).
_V3 = (
    "ALTER TABLE jobs ADD COLUMN cluster TEXT",  # Slurm's cluster: where the job ran, if in one
    "ALTER TABLE jobs ADD COLUMN slurm_job_id INTEGER",  # the Slurm job it ran in, or is
    "ALTER TABLE jobs ADD COLUMN partition TEXT",
    "ALTER TABLE jobs ADD COLUMN time_limit REAL",  # seconds; NULL: UNLIMITED
    "ALTER TABLE jobs ADD COLUMN alloc_cpus INTEGER",
    "ALTER TABLE jobs ADD COLUMN node_count INTEGER",
    "ALTER TABLE jobs ADD COLUMN node_list TEXT",  # Slurm's NodeList; NULL: the node
    # on a server's queue: the host's node index in the Slurm job (SLURM_NODEID), which
    # numbers its steps apart from other hosts' (records.py)
    "ALTER TABLE jobs ADD COLUMN slurm_node_index INTEGER",
    "ALTER TABLE steps ADD COLUMN slurm_step TEXT",  # Slurm's step id ('0', 'batch'), if any
    "ALTER TABLE steps ADD COLUMN slurm_task INTEGER",  # the task's rank in it
    "ALTER TABLE steps ADD COLUMN slurm_node TEXT",  # Slurm's name of the node
    "ALTER TABLE steps ADD COLUMN alloc_cpus INTEGER",
    "ALTER TABLE steps ADD COLUMN time_limit REAL",  # exitwrap's --timeout, seconds
    "ALTER TABLE steps ADD COLUMN start_errno INTEGER",  # why a command could not start
    "CREATE INDEX jobs_by_slurm_id ON jobs (slurm_job_id) WHERE slurm_job_id IS NOT NULL",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3)
VERSION = len(MIGRATIONS)
