"""Batch files: steps recorded after the fact several at a time, one file for up to 32.

A matrix run records each cell as a step at its end, and a pytest session
each test's; one spool file a step would create a file (an inode) for
each, which has cost 0.7-1 ms here on a slow minute against 0.015 ms for a
link. So their records go BATCH_STEPS to a file, written under the spool's
lock once their ids are chosen and hard-linked under each id's ``J.K`` name:
a run of 480 cells creates 16 files (15 batches and the step counter once),
not 480. Every promise of spool.py holds: a link is still each id's claim,
and the ids are the first free ones from the counter on.

A batch file has a header of its own, then each step's record after a line
``@K``, its index (no record's line starts with ``@``: values are escaped);
a reader of ``J.K`` takes record K from it. An exitwrap older than batch
files leaves them in the spool, as any newer format. Only readers and
these writers import this module, never a wrapped command.
"""

from __future__ import annotations

import os

from exitwrap.accounting.spool import Locked, RecordingError, discard

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Callable, Optional

    from exitwrap.accounting.spool import Spool, Value

BATCH_HEADER = b"exitwrap-spool-batch 1\n"  # a batch file's first line
BATCH_STEPS = 32  # the records a batch file holds at most


def encode_batch(indexes: Sequence[int], records: Sequence[bytes]) -> bytes:
    """The records of the steps indexes name, in order, as one batch file's bytes."""
    parts = [BATCH_HEADER]
    for index, record in zip(indexes, records):
        parts += [b"@%d\n" % index, record]
    return b"".join(parts)


def step_record(data: bytes, step: int) -> bytes:
    """Step ``step``'s record out of a file spooled under its name: the file's own bytes, or
    its part of a batch (ValueError when the batch has none)."""
    if not data.startswith(BATCH_HEADER):
        return data
    mark = b"\n@%d\n" % step
    start = data.find(mark)
    if start < 0:
        raise ValueError(f"no record of step {step} in its batch")
    start += len(mark)
    end = data.find(b"\n@", start)
    return data[start:] if end < 0 else data[start : end + 1]


def _free_ids(spool: Spool, job_id: int, start: int, count: int) -> list[int]:
    """The first count step ids from start on that no file claims, as far as lexists can tell
    (under the lock, which keeps them free from other writers; a claim still checks each)."""
    ids: list[int] = []
    index = start
    while len(ids) < count:
        if not os.path.lexists(spool.file(f"{job_id}.{index}")):
            ids.append(index)
        index += 1
    return ids


def _publish_batch(
    spool: Spool,
    job_id: int,
    records: Sequence[bytes],
    admits: Callable[[dict[str, Value]], bool],
    start_at: int,
    published: list[int],
    *,
    final: bool,
) -> Optional[int]:
    """Claim free step ids (from start_at on) for records, published as one batch file linked
    under each id's name, each id added to published once it is claimed (a name found taken
    after all ends the batch); the id to look from next, or None when the job does not admit
    them. The counter moves on after the final batch (or when rebuilt)."""
    with Locked(spool):
        found = spool.allocation_start(job_id, admits)
        if found is None:
            return None
        counter, start, rebuilt = found
        ids = _free_ids(spool, job_id, max(start, start_at), len(records))
        temporary = spool.write_new(encode_batch(ids, records))
        claimed = 0
        try:
            for index in ids:
                if not spool.claim(temporary, f"{job_id}.{index}"):
                    break  # lexists answered from a stale cache (NFS): the rest go again
                published.append(index)
                claimed += 1
        finally:
            discard(temporary)
        if rebuilt or (final and claimed == len(ids)):
            spool.advance_counter(
                counter, start, ids[claimed - 1] + 1 if claimed else start, rebuilt=rebuilt
            )
        tried = ids[claimed] if claimed < len(ids) else ids[-1]  # claimed, or found taken
        return tried + 1


def publish_batches(
    spool: Spool,
    job_id: int,
    records: Sequence[bytes],
    admits: Callable[[dict[str, Value]], bool],
    *,
    durable: bool,
) -> Optional[list[int]]:
    """Publish records as steps of a running job that admits them, BATCH_STEPS a file, the
    lock let go between files (another writer's ids may come between): their indexes, or
    None when the job does not admit them. A failure after some were published says how
    many."""
    ids: list[int] = []
    start_at = 0
    try:
        while len(ids) < len(records):
            first = len(ids)
            chunk = records[first : first + BATCH_STEPS]
            final = first + len(chunk) == len(records)
            next_at = _publish_batch(spool, job_id, chunk, admits, start_at, ids, final=final)
            if next_at is None:
                if not ids:
                    return None
                raise RecordingError(f"{spool.path}: job {job_id} takes no more steps")
            start_at = next_at
            if durable and len(ids) > first:  # one file: its fsync commits all its names
                spool.make_durable([(job_id, ids[first])])
    except (OSError, RecordingError) as error:
        failure = spool.failure(error) if isinstance(error, OSError) else error
        if ids:
            failure = RecordingError(f"{failure} ({len(ids)} of {len(records)} recorded)")
        raise failure from None
    return ids
