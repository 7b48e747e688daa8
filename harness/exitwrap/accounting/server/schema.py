"""The server's schema, as forward migrations, and who may do what in it.

The same jobs and steps as the SQLite schema (harness/exitwrap/accounting/schema.py),
in a schema ``exitwrap`` of the database, plus who owns each row (``user``,
the role that pushed it) and the origins that make job ids unique across
hosts (location.py, ``Ids``). ``meta.version`` is the version; one newer
than this exitwrap reads is refused. ``exitcodes db init`` (or the first
connection of a role allowed to) creates and migrates it under an advisory
lock, so two at once do no harm.

Roles (made when missing; granting them is the site's business):

- ``exitwrap_owner`` (no login) owns every object. Rows come in only
  through its functions ``register_origin``, ``record_job``,
  ``record_step`` and ``note_renumbered``, which write the caller's own
  rows (``session_user``), only under an origin the caller registered, and
  end a RUNNING record once, never change an ended one.
- ``exitwrap_user``: what users are granted. Reads jobs and steps (all of
  them, or only their own when ``settings.private_jobs``, Slurm's
  PrivateData=jobs); changes only the derived exit code and the comment of
  their own ended jobs, and asks for their own running jobs and steps to
  be cancelled (``cancel_uid``). Row-level security keeps others' rows out
  of reach (an UPDATE of one touches no row), column privileges the other
  columns, and a trigger the rules on running and ended jobs.
- ``exitwrap_admin``: anything (reads, changes and deletes every row).

Commands are ``bytea``: argv joined by NUL bytes, which text cannot hold.
"""

from __future__ import annotations

from exitwrap.accounting.location import ID_BLOCK

OWNER = "exitwrap_owner"
USER_ROLE = "exitwrap_user"
ADMIN_ROLE = "exitwrap_admin"
LOCK = 0x65786974  # pg_advisory_xact_lock key for migrations ("exit")

ROLES = f"""DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER}') THEN
        CREATE ROLE {OWNER} NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{USER_ROLE}') THEN
        CREATE ROLE {USER_ROLE} NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ADMIN_ROLE}') THEN
        CREATE ROLE {ADMIN_ROLE} NOLOGIN;
    END IF;
    IF NOT pg_has_role('{OWNER}', 'USAGE') THEN
        EXECUTE format('GRANT {OWNER} TO %I', current_user);
    END IF;
END $$"""

_ADMIN = f"pg_has_role('{ADMIN_ROLE}', 'MEMBER')"
_TRUSTED = f"(current_user = '{OWNER}' OR {_ADMIN})"
_READABLE = f"""("user" = current_user OR {_ADMIN}
    OR NOT (SELECT private_jobs FROM exitwrap.settings))"""

_PROCESS = "pid integer, pgid integer, node text NOT NULL, boot_id text, proc_start bigint"
# a recording process's columns, as the record functions take them (V2 added the namespace)
_V1_PROCESS = (
    ("pid", "integer"),
    ("pgid", "integer"),
    ("node", "text"),
    ("boot_id", "text"),
    ("proc_start", "bigint"),
)
_V2_PROCESS = (*_V1_PROCESS, ("pid_ns", "bigint"))
_FLOAT = "double precision"

Fields = tuple[tuple[str, str], ...]


def _job_fields(process: Fields) -> Fields:
    """What ``record_job`` takes, in order: a job row but its owner (``session_user``)."""
    return (
        ("job_id", "bigint"),
        ("kind", "text"),
        ("name", "text"),
        ("uid", "bigint"),
        ("gid", "bigint"),
        ("account", "text"),
        ("comment", "text"),
        ("command", "bytea"),
        ("workdir", "text"),
        ("submit_time", _FLOAT),
        ("start_time", _FLOAT),
        ("end_time", _FLOAT),
        ("state", "text"),
        ("reason", "text"),
        ("exit_status", "integer"),
        ("next_step", "integer"),
        *process,
    )


def _step_fields(process: Fields) -> Fields:
    """What ``record_step`` takes, in order: a step row but its owner."""
    return (
        ("job_id", "bigint"),
        ("step_index", "integer"),
        ("name", "text"),
        ("command", "bytea"),
        ("workdir", "text"),
        ("start_time", _FLOAT),
        ("end_time", _FLOAT),
        ("state", "text"),
        ("reason", "text"),
        ("exit_status", "integer"),
        ("comment", "text"),
        ("extra", "text"),
        *process,
        ("max_rss_kib", "bigint"),
        ("user_cpu", _FLOAT),
        ("system_cpu", _FLOAT),
    )


def _signature(function: str, fields: Fields) -> str:
    return f"{function}({', '.join(kind for _, kind in fields)})"


def _recorder(function: str, table: str, fields: Fields, on_conflict: str) -> str:
    """A function that writes one row of the caller's own (``user`` is ``session_user``) under
    an origin of theirs; on_conflict says what a row sent again may change."""
    parameters = ", ".join(f"p_{name} {kind}" for name, kind in fields)
    columns = ", ".join(name for name, _ in fields)
    values = ", ".join(f"p_{name}" for name, _ in fields)
    return f"""CREATE FUNCTION {function}({parameters})
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = exitwrap, pg_temp AS $$
    BEGIN
        PERFORM check_origin(p_job_id);
        INSERT INTO {table} AS old ({columns}, "user") VALUES ({values}, session_user)
            {on_conflict}
            WHERE old.state = 'RUNNING' AND old."user" = session_user;
    END $$"""


def _also(updates: tuple[str, ...]) -> str:
    return "".join(f",\n                {update}" for update in updates)


_ASKED = "old.cancel_uid IS NOT NULL"  # a job's end is CANCELLED when a cancel was asked for


def _record_job(fields: Fields, asked: str = _ASKED, also: tuple[str, ...] = ()) -> str:
    """record_job: a job sent again ends a RUNNING one once (CANCELLED when asked for); also:
    what else a job sent again may change."""
    return _recorder(
        "record_job",
        "jobs",
        fields,
        f"""ON CONFLICT (job_id) DO UPDATE SET
                end_time = excluded.end_time,
                state = CASE WHEN {asked} AND excluded.state <> 'RUNNING'
                        THEN 'CANCELLED' ELSE excluded.state END,
                reason = excluded.reason,
                exit_status = excluded.exit_status,
                next_step = GREATEST(old.next_step, excluded.next_step){_also(also)}""",
    )


def _record_step(fields: Fields, also: tuple[str, ...] = ()) -> str:
    """record_step: a step sent again ends a RUNNING one once (CANCELLED when its job or it
    was asked to be)."""
    return _recorder(
        "record_step",
        "steps",
        fields,
        f"""ON CONFLICT (job_id, step_index) DO UPDATE SET
                end_time = excluded.end_time,
                state = CASE WHEN excluded.state <> 'RUNNING' AND (old.cancel_uid IS NOT NULL
                        OR EXISTS (SELECT FROM jobs j
                                   WHERE j.job_id = old.job_id AND j.cancel_uid IS NOT NULL))
                        THEN 'CANCELLED' ELSE excluded.state END,
                reason = excluded.reason,
                exit_status = excluded.exit_status,
                max_rss_kib = excluded.max_rss_kib,
                user_cpu = excluded.user_cpu,
                system_cpu = excluded.system_cpu{_also(also)}""",
    )


_V1 = (
    "CREATE TABLE meta (version integer NOT NULL)",
    "INSERT INTO meta VALUES (0)",
    "CREATE TABLE settings (private_jobs boolean NOT NULL)",
    "INSERT INTO settings VALUES (false)",
    "CREATE SEQUENCE origin_numbers MINVALUE 0 START WITH 0",
    """CREATE TABLE origins (
        number bigint PRIMARY KEY DEFAULT nextval('origin_numbers'),
        token text NOT NULL UNIQUE,
        node text NOT NULL,
        "user" text NOT NULL,
        registered timestamptz NOT NULL DEFAULT now()
    )""",
    f"""CREATE TABLE jobs (
        job_id bigint PRIMARY KEY,
        kind text NOT NULL,
        name text NOT NULL,
        uid bigint NOT NULL,
        "user" text NOT NULL,
        gid bigint NOT NULL,
        account text,
        comment text,
        command bytea NOT NULL,
        workdir text NOT NULL,
        submit_time double precision NOT NULL,
        start_time double precision NOT NULL,
        end_time double precision,
        state text NOT NULL,
        reason text,
        exit_status integer,
        derived_status integer,
        next_step integer NOT NULL DEFAULT 0,
        {_PROCESS},
        cancel_uid bigint
    )""",
    "CREATE INDEX jobs_by_start ON jobs (start_time)",
    f"""CREATE TABLE steps (
        job_id bigint NOT NULL,
        step_index integer NOT NULL,
        "user" text NOT NULL,
        name text NOT NULL,
        command bytea,
        workdir text,
        start_time double precision NOT NULL,
        end_time double precision,
        state text NOT NULL,
        reason text,
        exit_status integer,
        comment text,
        extra text,
        {_PROCESS},
        cancel_uid bigint,
        max_rss_kib bigint, user_cpu double precision, system_cpu double precision,
        PRIMARY KEY (job_id, step_index)
    )""",
    # row-level security: who sees and touches which rows
    *(
        statement
        for table in ("jobs", "steps")
        for statement in (
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"CREATE POLICY {table}_read ON {table} FOR SELECT USING {_READABLE}",
            f"""CREATE POLICY {table}_own ON {table} FOR UPDATE
                USING ("user" = current_user) WITH CHECK ("user" = current_user)""",
            f"CREATE POLICY {table}_admin ON {table} FOR ALL USING ({_ADMIN}) WITH CHECK (true)",
        )
    ),
    # what a user may change in a row of theirs, and when
    f"""CREATE FUNCTION guard_job() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF {_TRUSTED} THEN
            RETURN NEW;
        END IF;
        IF NEW.cancel_uid IS DISTINCT FROM OLD.cancel_uid AND OLD.state <> 'RUNNING' THEN
            RAISE EXCEPTION 'job % has ended: it cannot be cancelled', OLD.job_id
                USING ERRCODE = 'check_violation';
        END IF;
        IF (NEW.derived_status, NEW.comment) IS DISTINCT FROM (OLD.derived_status, OLD.comment)
                AND OLD.state = 'RUNNING' THEN
            RAISE EXCEPTION 'job % is still running: modify it once it has ended', OLD.job_id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER guard BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION guard_job()",
    f"""CREATE FUNCTION guard_step() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT {_TRUSTED} AND NEW.cancel_uid IS DISTINCT FROM OLD.cancel_uid
                AND OLD.state <> 'RUNNING' THEN
            RAISE EXCEPTION 'step %.% has ended: it cannot be cancelled',
                OLD.job_id, OLD.step_index USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER guard BEFORE UPDATE ON steps FOR EACH ROW EXECUTE FUNCTION guard_step()",
    # how rows come in: the caller's own, under the caller's origins
    """CREATE FUNCTION register_origin(p_node text, p_token text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = exitwrap, pg_temp AS $$
    DECLARE
        found bigint;
    BEGIN
        INSERT INTO origins (token, node, "user") VALUES (p_token, p_node, session_user)
            ON CONFLICT (token) DO NOTHING;
        SELECT number INTO found FROM origins WHERE token = p_token AND "user" = session_user;
        IF found IS NULL THEN
            RAISE EXCEPTION 'origin token taken by another role' USING ERRCODE = '42501';
        END IF;
        RETURN found;
    END $$""",
    f"""CREATE FUNCTION check_origin(p_job_id bigint) RETURNS void
    LANGUAGE plpgsql SET search_path = exitwrap, pg_temp AS $$
    BEGIN
        IF NOT EXISTS (SELECT FROM origins
                       WHERE number = p_job_id / {ID_BLOCK} AND "user" = session_user) THEN
            RAISE EXCEPTION 'job % is under none of the origins of %', p_job_id, session_user
                USING ERRCODE = '42501';
        END IF;
    END $$""",
    _record_job(_job_fields(_V1_PROCESS)),
    _record_step(_step_fields(_V1_PROCESS)),
    # privileges: nothing for PUBLIC; users through the functions and a few columns
    "REVOKE ALL ON ALL TABLES IN SCHEMA exitwrap FROM PUBLIC",
    "REVOKE ALL ON ALL FUNCTIONS IN SCHEMA exitwrap FROM PUBLIC",
    f"GRANT USAGE ON SCHEMA exitwrap TO {USER_ROLE}, {ADMIN_ROLE}",
    f"GRANT SELECT ON meta, settings, origins, jobs, steps TO {USER_ROLE}",
    f"GRANT UPDATE (derived_status, comment, cancel_uid) ON jobs TO {USER_ROLE}",
    f"GRANT UPDATE (cancel_uid) ON steps TO {USER_ROLE}",
    f"""GRANT EXECUTE ON FUNCTION register_origin(text, text),
        {_signature("record_job", _job_fields(_V1_PROCESS))},
        {_signature("record_step", _step_fields(_V1_PROCESS))}
        TO {USER_ROLE}, {ADMIN_ROLE}""",
    f"GRANT ALL ON ALL TABLES IN SCHEMA exitwrap TO {ADMIN_ROLE}",
    f"GRANT USAGE ON SEQUENCE origin_numbers TO {ADMIN_ROLE}",
)

_V2_JOB = _job_fields(_V2_PROCESS)
_V2_STEP = _step_fields(_V2_PROCESS)

# V2, as the file's: the PID namespace of each recording process (a reader in another one
# cannot judge its liveness), and the runs a push kept under a new id because theirs was taken
# (renumber.py); the record functions take the namespace
_V2 = (
    "ALTER TABLE jobs ADD COLUMN pid_ns bigint",
    "ALTER TABLE steps ADD COLUMN pid_ns bigint",
    f"DROP FUNCTION {_signature('record_job', _job_fields(_V1_PROCESS))}",
    f"DROP FUNCTION {_signature('record_step', _step_fields(_V1_PROCESS))}",
    _record_job(_V2_JOB),
    _record_step(_V2_STEP),
    """CREATE TABLE renumbered (
        job_id bigint NOT NULL,
        step_index integer,
        spooled_job bigint NOT NULL,
        spooled_step integer,
        "user" text NOT NULL,
        noticed double precision NOT NULL
    )""",
    # a note sent again (a push whose queue failed to commit after the server did) is one note
    """CREATE UNIQUE INDEX renumbered_once ON renumbered
        (job_id, COALESCE(step_index, -2), spooled_job, COALESCE(spooled_step, -2))""",
    "ALTER TABLE renumbered ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY renumbered_read ON renumbered FOR SELECT USING {_READABLE}",
    f"""CREATE POLICY renumbered_admin ON renumbered FOR ALL USING ({_ADMIN})
        WITH CHECK (true)""",
    """CREATE FUNCTION note_renumbered(
        p_job_id bigint, p_step_index integer, p_spooled_job bigint, p_spooled_step integer,
        p_noticed double precision
    ) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = exitwrap, pg_temp AS $$
    BEGIN
        PERFORM check_origin(p_job_id);
        PERFORM check_origin(p_spooled_job);
        INSERT INTO renumbered VALUES (p_job_id, p_step_index, p_spooled_job, p_spooled_step,
            session_user, p_noticed) ON CONFLICT DO NOTHING;
    END $$""",
    "REVOKE ALL ON renumbered FROM PUBLIC",
    "REVOKE ALL ON ALL FUNCTIONS IN SCHEMA exitwrap FROM PUBLIC",
    f"GRANT SELECT ON renumbered TO {USER_ROLE}",
    f"GRANT ALL ON renumbered TO {ADMIN_ROLE}",
    f"""GRANT EXECUTE ON FUNCTION {_signature("record_job", _V2_JOB)},
        {_signature("record_step", _V2_STEP)},
        note_renumbered(bigint, integer, bigint, integer, double precision)
        TO {USER_ROLE}, {ADMIN_ROLE}""",
)

# what a job or step of a Slurm cluster keeps of it (the SQLite schema's V3, schema.py)
_SLURM_JOB = (
    ("cluster", "text"),
    ("slurm_job_id", "bigint"),
    ("partition", "text"),
    ("time_limit", _FLOAT),
    ("alloc_cpus", "integer"),
    ("node_count", "integer"),
    ("node_list", "text"),
    ("slurm_node_index", "integer"),
)
_SLURM_STEP = (
    ("slurm_step", "text"),
    ("slurm_task", "integer"),
    ("slurm_node", "text"),
    ("alloc_cpus", "integer"),
    ("time_limit", _FLOAT),
    ("start_errno", "integer"),
)
# what the record functions take now, in order (a job's cancel_uid last: Slurm's canceller)
JOB_FIELDS = (*_V2_JOB, *_SLURM_JOB, ("cancel_uid", "bigint"))
STEP_FIELDS = (*_V2_STEP, *_SLURM_STEP)

# V3: Slurm's columns (as the file's V3); a Slurm job's record (kind 'slurm') takes Slurm's end
# (state, times, limit, nodes, who cancelled it) when the host that recorded it pushes it
# (slurm_settle.py); a step sent again keeps why its command could not start
_V3 = (
    *(f"ALTER TABLE jobs ADD COLUMN {name} {kind}" for name, kind in _SLURM_JOB),
    *(f"ALTER TABLE steps ADD COLUMN {name} {kind}" for name, kind in _SLURM_STEP),
    "CREATE INDEX jobs_by_slurm_id ON jobs (slurm_job_id) WHERE slurm_job_id IS NOT NULL",
    f"DROP FUNCTION {_signature('record_job', _V2_JOB)}",
    f"DROP FUNCTION {_signature('record_step', _V2_STEP)}",
    _record_job(
        JOB_FIELDS,
        asked=f"{_ASKED} AND old.kind <> 'slurm'",
        also=(
            *(
                f"{name} = excluded.{name}"
                for name in ("submit_time", "start_time", "command", "workdir")
            ),
            *(f"{name} = excluded.{name}" for name, _ in _SLURM_JOB),
            "cancel_uid = COALESCE(old.cancel_uid, excluded.cancel_uid)",
        ),
    ),
    _record_step(STEP_FIELDS, also=("start_errno = excluded.start_errno",)),
    "REVOKE ALL ON ALL FUNCTIONS IN SCHEMA exitwrap FROM PUBLIC",
    f"""GRANT EXECUTE ON FUNCTION {_signature("record_job", JOB_FIELDS)},
        {_signature("record_step", STEP_FIELDS)} TO {USER_ROLE}, {ADMIN_ROLE}""",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3)
VERSION = len(MIGRATIONS)
