"""The write-ahead spool beside the accounting database: how exitwrap records without SQLite.

Importing SQLite costs about as much as all the rest of exitwrap's
start-up, so exitwrap never does: it writes each record as a file in ``<database>.spool/``
with nothing but os, and every reader first ingests the spool into SQLite
(harness/exitwrap/accounting/ingest.py), as Slurm's controller queues job records
for its database daemon. SQLite stays the store of record.

Layout (the names carry the ids; record files are written once, never changed):

- ``lock``: the spool's lock, a POSIX record lock (``lockf``, which Linux
  NFS clients support), held for a few file operations at a time (a
  batch: one file written, and its links) and waited for at most
  ``BUSY_TIMEOUT_S`` (files.py);
- ``next``: the next job id; ``J.next``: job J's next step index;
- ``J.job``: job J's begin record (with its first step's), kept while the
  job runs: exitwrap finds its parent job there, and ``J.cancel`` marks a
  job being cancelled (no new step joins it);
- ``J.end``: job J's end (with its first step's); ``J.K``: step K's
  begin, or all of a step recorded after the fact; ``J.K.end``: its end.
  An end repeats the begin's fields, so each stands on its own.
- Steps recorded after the fact several at a time (a matrix's cells) share
  batch files, each hard-linked under its steps' ``J.K`` names
  (spool_batch.py).

The spool is the one allocator of job and step ids. A record is written
under a temporary name, then, under the lock, hard-linked to its id's
name, which fails when that name exists: that is what keeps ids unique,
whatever a crash interrupts. The counters (``next``, ``J.next``) are floors:
every id at or above one that is taken still has its file in the spool,
because an ingester raises the counters, durably, before it removes any
record (ingest.py keeps them above the database's highest ids). So
allocation probes upwards from the counter, and rewrites it only once it
lags by COUNTER_STRIDE ids. A missing job counter starts past the
database's jobs (a database older than its spool), a missing step counter
at the job's first step (an ingest writes it before it removes any of the
job's records). Whole files under temporary names, then a link
or rename: nothing relies on O_APPEND, which NFS does not make atomic.

Durability: an end record (how a command ended, what the accounting is
for) is fsynced before exitwrap returns, as SQLite's FULL synchronous mode
did for each transaction; so is a step recorded after the fact, and every
counter. The fsync comes after the record has its name: on Linux's
journaling file systems (ext4, XFS, btrfs) that commits the name with it,
and on NFS the server commits a link or rename before it answers, so the
directory is not fsynced too (another 0.2 ms here; a file system without
a journal may lose the name in a power cut). A begin record is not
fsynced (0.3 ms or more here), since the end repeats it: a power cut can
lose the begin of a step that started within the file system's commit
interval (ext4: 5 s) and had not ended, which is then missing instead of
showing NODE_FAIL.

Records: a header line, then one ``key=value`` line a field (a field that
is None is left out). Each value starts with its type (``s`` text, ``i``
integer, ``f`` float), so reading needs no schema. In text, ``\\`` and
newline are escaped (``\\\\`` and ``\\n``): any value fits on one line, NUL
bytes and control characters included. Bytes that are not UTF-8 (an
argument in another encoding) are written as they came and read back as
``\\xNN`` escapes, which SQLite can store. A newer format gets a new
header: a reader leaves records it cannot read where they are.

Modes (files.py says who may share a database): the spool takes the
database file's. Its files get the database's mode, its directory that
mode with search permission for whoever may read it: a private 0600
database has a 0700 spool of 0600 files. A group-shared 0660 one has a
setgid 02770 spool of the database's group, whose 0660 files keep that
group, so that every member may write them; the lock is made once, with
that mode, never by whoever finds it missing with their umask. Every file
is read as files.py reads what others may plant: no link followed, no
wait, regular files only, its owner from fstat.

On exitwrap's hot path: imports nothing beyond os, stat, sys and time,
which every interpreter has loaded by then.
"""

# ruff: noqa: PLC0415  (lazy imports: the hot path pays for every import)

from __future__ import annotations

import os
import stat
import sys
import time

from exitwrap.accounting import files
from exitwrap.accounting.files import (
    FLAGS,
    GROUP_FILE,
    PRIVATE_DIR,
    PRIVATE_FILE,
    NotRegular,
    group_shared,
    open_creating,
    open_untrusted,
    read_untrusted,
    refuse_world_writable,
)
from exitwrap.accounting.process import node_name
from exitwrap.errors import HarnessFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from types import TracebackType
    from typing import Callable, Optional, Union

    Value = Union[str, int, float, None]

SUFFIX = ".spool"
HEADER = "exitwrap-spool 1"  # a record's first line
_ESCAPED = "\\"
_NEWLINE = "\\n"
BATCH_STEP = -1  # the batch step's index, in the spool's records and in the database's rows
SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file
LOCK = "lock"
NEXT_JOB = "next"
JOB = ".job"
END = ".end"
NEXT_STEP = ".next"
CANCEL = ".cancel"
OWNER = "owner"  # a running job's owner, as the file system says (never a record's field)
TEMPORARY = ".tmp."
COUNTER_STRIDE = 16  # allocation rewrites a counter once it lags by this many ids
STALE_TEMPORARY_S = 86400.0  # a temporary file this old was left by a writer that crashed
_PAUSE_S = 0.0005  # lock polling interval: the lock is held for a few file operations
_WINDOWS = sys.platform == "win32"


def encode(fields: Mapping[str, Value]) -> bytes:
    """A record's bytes: its fields in order, None ones left out."""
    lines = [HEADER]
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, str):
            lines.append(f"{key}=s" + value.replace(_ESCAPED, _ESCAPED * 2).replace("\n", _NEWLINE))
        elif isinstance(value, int):
            lines.append(f"{key}=i{int(value)}")  # a bool is stored as 0 or 1
        else:
            lines.append(f"{key}=f{value!r}")
    lines.append("")
    return "\n".join(lines).encode("utf-8", "surrogateescape")


def _unescape(text: str) -> str:
    return _ESCAPED.join(part.replace(_NEWLINE, "\n") for part in text.split(_ESCAPED * 2))


def decode(data: bytes) -> dict[str, Value]:
    """The fields of a record; ValueError when it is not one (or is a newer format's)."""
    lines = data.decode("utf-8", "backslashreplace").split("\n")
    if lines[0] != HEADER or lines[-1] != "":
        raise ValueError("not a spool record of this format")
    fields: dict[str, Value] = {}
    for line in lines[1:-1]:
        key, equals, value = line.partition("=")
        kind, text = value[:1], value[1:]
        if not (key and equals):
            raise ValueError(f"malformed line {line!r}")
        if kind == "s":
            fields[key] = _unescape(text)
        elif kind == "i":
            fields[key] = int(text)
        elif kind == "f":
            fields[key] = float(text)
        else:
            raise ValueError(f"unknown type in {line!r}")
    return fields


class RecordingError(HarnessFailure):
    """A record could not be written (unusable database or spool, a lock held too long)."""


def usable_database(path: str) -> os.stat_result:
    """Create the database file when missing; refuse one that is obviously unusable.

    Returns its status. Not SQLite (a non-empty file whose first 16 bytes are
    not SQLite's header), not a regular file, writable by every user, or not
    writable for this user: RecordingError.
    """
    try:
        fd, info = open_creating(path, os.O_RDWR)
        try:
            header = os.read(fd, len(SQLITE_HEADER))
        finally:
            os.close(fd)
    except NotRegular as error:
        raise RecordingError(f"{path}: {error.strerror}") from None
    except PermissionError as error:
        if os.path.isfile(path):
            raise RecordingError(f"{path}: the database is read-only for this user") from None
        raise RecordingError(f"{path}: {error.strerror}") from None
    except OSError as error:
        raise RecordingError(f"{path}: {error.strerror or error}") from None
    if header and header != SQLITE_HEADER:
        raise RecordingError(f"{path}: not a database (corrupt, or some other file)")
    refuse_world_writable(path, info.st_mode)
    return info


def _directory_mode(file_mode: int) -> int:
    """The file's read and write bits, plus search (x) for each class that has either; setgid
    for a group-shared one, so that its files keep the spool's group."""
    search = (file_mode & 0o044) >> 2 | (file_mode & 0o022) >> 1
    setgid = stat.S_ISGID if group_shared(file_mode) else 0
    return PRIVATE_DIR | file_mode & 0o066 | search | setgid


def any_job(job: dict[str, Value]) -> bool:
    """Admits steps to any running job (matrix cells: no process, no owner check)."""
    return True


def discard(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return  # taken by another ingester, or never made


def read_all(path: str) -> Optional[bytes]:
    """A spool file's bytes; None when it is not there (ingested and removed meanwhile) or is
    no regular file (a FIFO, a directory or a link planted there: never read, never waited
    for)."""
    try:
        found = read_untrusted(path)
    except NotRegular:
        return None
    return None if found is None else found[0]


if sys.platform == "win32":

    def _try_lock(fd: int) -> None:
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            raise BlockingIOError from None

else:

    def _try_lock(fd: int) -> None:
        os.lockf(fd, os.F_TLOCK, 0)  # EACCES or EAGAIN while another process holds it


class Locked:
    """``with Locked(spool):`` holds the spool's lock, waiting at most files.BUSY_TIMEOUT_S."""

    __slots__ = ("fd", "spool")

    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self.fd = -1

    def __enter__(self) -> None:
        spool = self.spool
        self.fd = spool.open_lock()
        deadline = time.monotonic() + files.BUSY_TIMEOUT_S
        while True:
            try:
                _try_lock(self.fd)
                return
            except (BlockingIOError, PermissionError):
                if time.monotonic() >= deadline:
                    os.close(self.fd)
                    raise RecordingError(
                        f"{spool.path}: another process kept the spool locked for more than "
                        f"{files.BUSY_TIMEOUT_S:g} s"
                    ) from None
            time.sleep(_PAUSE_S * (0.5 + (time.perf_counter_ns() % 997) / 997))

    def __exit__(
        self,
        kind: Optional[type[BaseException]],
        value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        os.close(self.fd)  # closing the file releases the lock


class Spool:
    """The spool of one database: ``Spool.for_writing`` checks and creates, ``Spool`` reads."""

    __slots__ = ("database", "dir_mode", "file_mode", "group", "path")
    _serial = 0  # temporary names taken by this process

    def __init__(
        self, database: str, mode: Optional[int] = None, group: Optional[int] = None
    ) -> None:
        self.database = database
        self.path = database + SUFFIX
        if mode is None:
            try:
                mode = stat.S_IMODE(os.stat(database).st_mode)
            except OSError:
                mode = PRIVATE_FILE
        sharing = GROUP_FILE if group_shared(mode) else PRIVATE_FILE
        self.file_mode = mode & 0o664 | sharing
        self.dir_mode = _directory_mode(self.file_mode)
        self.group = group  # the database's group, which a group-shared spool takes

    @classmethod
    def for_writing(cls, database: str) -> Spool:
        """The spool of a database that looks usable, created beside it when missing."""
        info = usable_database(database)
        spool = cls(database, stat.S_IMODE(info.st_mode), info.st_gid)
        try:
            try:
                os.mkdir(spool.path, PRIVATE_DIR)
            except FileExistsError:
                spool.check()
                return spool
            spool._share(spool.path, spool.dir_mode)
            spool._make_lock()
        except OSError as error:
            raise spool.failure(error) from None
        return spool

    def check(self) -> None:
        """Refuse a spool no process should use: no real directory (a link), or one every user
        may write."""
        try:
            info = os.lstat(self.path)
        except OSError as error:
            raise self.failure(error) from None
        if not stat.S_ISDIR(info.st_mode):
            raise RecordingError(f"{self.path}: {files.kind(info.st_mode)}, not a spool")
        refuse_world_writable(self.path, info.st_mode)

    def file(self, name: str) -> str:
        return f"{self.path}/{name}"

    def failure(self, error: OSError) -> RecordingError:
        where = error.filename if isinstance(error.filename, str) else self.path
        if where.startswith(self.path + "/"):
            where = self.path
        return RecordingError(f"{where}: {error.strerror or error}")

    def _share(self, path: str, mode: int, fd: Optional[int] = None) -> None:
        """Give a new file or directory its mode whatever the umask took away, and a new
        group-shared directory the database's group (POSIX only)."""
        if _WINDOWS or mode in (PRIVATE_FILE, PRIVATE_DIR):
            return
        if fd is not None:
            os.fchmod(fd, mode)
            return
        if self.group is not None and mode & stat.S_ISGID and os.stat(path).st_gid != self.group:
            os.chown(path, -1, self.group)  # its parent directory was not setgid
        os.chmod(path, mode)

    def _make_lock(self) -> None:
        """The lock, made once with the spool's file mode (a temporary file linked to its
        name: whoever makes it, the mode is the same, and a link never follows a link)."""
        temporary = self.write_new(b"")
        try:
            os.link(temporary, self.file(LOCK))
        except FileExistsError:
            pass  # made by another process meanwhile
        finally:
            discard(temporary)

    def open_lock(self) -> int:
        """The lock's descriptor, made first when it is missing; RecordingError when it is no
        regular file."""
        path = self.file(LOCK)
        try:
            try:
                fd, _ = open_untrusted(path, os.O_RDWR)
            except FileNotFoundError:
                self.check()
                self._make_lock()
                fd, _ = open_untrusted(path, os.O_RDWR)
        except NotRegular as error:
            raise RecordingError(f"{path}: {error.strerror}") from None
        except OSError as error:
            raise self.failure(error) from None
        return fd

    # -- writing files

    def write_new(self, data: bytes) -> str:
        """data in a new temporary file; returns its path."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | FLAGS
        while True:
            Spool._serial += 1
            path = self.file(f"{TEMPORARY}{node_name()}.{os.getpid()}.{Spool._serial}")
            try:
                fd = os.open(path, flags, self.file_mode)
                break
            except FileExistsError:  # left by an earlier process with this pid
                continue
        try:
            self._share(path, self.file_mode, fd)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except BaseException:
            os.close(fd)
            discard(path)
            raise
        os.close(fd)
        return path

    def _make_durable(self, name: str, done: Optional[set[tuple[int, int]]] = None) -> None:
        """fsync a file once it has its name: that commits the name too (see the module's
        note on durability). A file in done (device, inode) is not fsynced again."""
        fd, info = open_untrusted(self.file(name), os.O_RDWR)
        try:
            identity = (info.st_dev, info.st_ino)
            if done is None or identity not in done:
                os.fsync(fd)
            if done is not None:
                done.add(identity)
        finally:
            os.close(fd)

    def make_durable(self, steps: Iterable[tuple[int, int]]) -> None:
        """fsync the records of steps (job, index) published with ``durable=False`` that are
        still here (an ingester that took one has committed it already), each file once: a
        batch file holds many."""
        done: set[tuple[int, int]] = set()
        for job_id, index in steps:
            try:
                self._make_durable(f"{job_id}.{index}", done)
            except FileNotFoundError:
                continue
            except OSError as error:
                raise self.failure(error) from None

    def claim(self, temporary: str, name: str) -> bool:
        """Publish a temporary file as name, unless name exists: the ids' uniqueness guarantee."""
        try:
            os.link(temporary, self.file(name))
        except FileExistsError:
            # NFS may answer a retransmitted link that succeeded with EEXIST: then it is ours
            try:
                return os.path.samestat(os.lstat(self.file(name)), os.stat(temporary))
            except FileNotFoundError:
                return False  # gone meanwhile: taken by someone else all the same
        return True

    def _read_number(self, name: str) -> Optional[int]:
        text = (read_all(self.file(name)) or b"").strip()
        return int(text) if text.isdigit() else None

    def _write_number(self, name: str, number: int) -> None:
        """Replace a counter (or mark), durably: it is what keeps removed claims' ids taken."""
        temporary = self.write_new(b"%d\n" % number)
        try:
            os.replace(temporary, self.file(name))
        except BaseException:
            discard(temporary)
            raise
        self._make_durable(name)

    def publish_end(self, job_id: int, step: Optional[int], record: bytes) -> None:
        """Write the end record of a job (step None) or step: durable when this returns."""
        name = f"{job_id}{END}" if step is None else f"{job_id}.{step}{END}"
        try:
            temporary = self.write_new(record)
            try:
                if not self.claim(temporary, name):
                    raise RecordingError(f"{self.path}: {name} is recorded already")
            finally:
                discard(temporary)
            self._make_durable(name)
        except OSError as error:
            raise self.failure(error) from None

    # -- ids

    def _database_floor(self, job_id: Optional[int]) -> int:
        try:
            empty = os.stat(self.database).st_size == 0
        except FileNotFoundError:
            empty = True
        if empty:
            return 0
        from exitwrap.accounting.store import database_floor  # rare: see _start

        return database_floor(self.database, job_id)

    def _start(self, counter: str, job_id: Optional[int], first: int) -> tuple[int, bool]:
        """Where allocation starts (the counter's value), and whether the counter was rebuilt.

        Missing, a job's step counter starts at the job's first step (no claim
        of the job's has gone yet: an ingest writes the counter first), and the
        job counter past the database's jobs (a database older than its
        spool); a damaged one past everything the database holds.
        """
        try:
            found = read_untrusted(self.file(counter))
            data = None if found is None else found[0]
        except NotRegular:
            data = b""  # damaged: something else stands in the counter's place
        text = (data or b"").strip()
        if text.isdigit():
            return int(text), False
        if data is None and job_id is not None:
            return first, False
        return max(first, self._database_floor(job_id)), True

    def _running_job(self, job_id: int) -> Optional[dict[str, Value]]:
        """Job job_id's begin record while it runs here, with ``owner`` (the file's owner, not
        what it says) and ``cancel_uid`` when it is being cancelled; None when the spool holds
        no running job of that id (call under the lock)."""
        if os.path.lexists(self.file(f"{job_id}{END}")):
            return None
        try:
            found = read_untrusted(self.file(f"{job_id}{JOB}"))
            job = None if found is None else decode(found[0])
        except (NotRegular, ValueError):
            return None
        if job is None or found is None:
            return None
        job[OWNER] = files.owner(found[1])
        job["cancel_uid"] = self._read_number(f"{job_id}{CANCEL}")
        return job

    def allocation_start(
        self, job_id: Optional[int], admits: Callable[[dict[str, Value]], bool]
    ) -> Optional[tuple[str, int, bool]]:
        """Where new ids come from (under the lock): the counter, where allocation starts, and
        whether the counter was rebuilt; new jobs' (job_id None), or steps of a running job
        that admits them (else None).

        Every id at or above a counter that is taken still has its claim in
        the spool (ingest raises the counter before it removes claims), so
        allocation probes upwards from the counter, and the counter is only
        rewritten once it lags by COUNTER_STRIDE ids.
        """
        if job_id is None:
            counter, first = NEXT_JOB, 1
        else:
            job = self._running_job(job_id)
            if job is None or not admits(job):
                return None
            lead = job.get("step_index")  # the job's own step: batch (-1) or 0
            counter, first = f"{job_id}{NEXT_STEP}", lead + 1 if isinstance(lead, int) else 0
        return (counter, *self._start(counter, job_id, first))

    def advance_counter(self, counter: str, start: int, end: int, *, rebuilt: bool) -> None:
        """Rewrite a counter to end, the next id, once it lags by COUNTER_STRIDE (or was
        rebuilt)."""
        if rebuilt or end - start >= COUNTER_STRIDE:
            self._write_number(counter, end)

    def _allocate(
        self,
        temporaries: Sequence[str],
        job_id: Optional[int],
        admits: Callable[[dict[str, Value]], bool],
    ) -> Optional[list[str]]:
        """Claim the next free ids for the temporary records, in order (under the lock)."""
        found = self.allocation_start(job_id, admits)
        if found is None:
            return None
        counter, start, rebuilt = found
        index = start
        names = []
        for temporary in temporaries:
            while True:
                name = f"{index}{JOB}" if job_id is None else f"{job_id}.{index}"
                index += 1
                if self.claim(temporary, name):
                    names.append(name)
                    break
        self.advance_counter(counter, start, index, rebuilt=rebuilt)
        return names

    def _publish(
        self,
        records: Sequence[bytes],
        job_id: Optional[int],
        admits: Callable[[dict[str, Value]], bool],
        *,
        durable: bool,
    ) -> Optional[list[str]]:
        """Write records to temporary files, then claim ids for them under the lock: the
        names they were published under."""
        temporaries: list[str] = []
        try:
            try:
                for record in records:
                    temporaries.append(self.write_new(record))
                with Locked(self):
                    names = self._allocate(temporaries, job_id, admits)
            finally:
                for temporary in temporaries:
                    discard(temporary)
            for name in names if durable and names is not None else ():
                self._make_durable(name)
        except OSError as error:
            raise self.failure(error) from None
        return names

    def new_job(self, record: bytes) -> int:
        """Publish a new job's begin record under the next job id; returns the id."""
        names = self._publish([record], None, any_job, durable=False)
        assert names is not None
        return int(names[0].split(".")[0])

    def join(
        self,
        job_id: int,
        records: Sequence[bytes],
        admits: Callable[[dict[str, Value]], bool],
        *,
        durable: bool,
    ) -> Optional[list[int]]:
        """Publish records as the next steps of a running job that admits them: their indexes,
        or None when the job is not running here or does not admit them."""
        names = self._publish(records, job_id, admits, durable=durable)
        return None if names is None else [int(name.split(".")[1]) for name in names]
