"""The spool's binding of a Slurm job to the exitwrap job that records it.

Every exitwrap of one Slurm job (the tasks of its srun steps, the calls in
its batch script, on any node that shares the database) records into one
exitwrap job, found through the binding file ``slurm.<cluster>.<id>`` (the
cluster's name in hex): the id of that job. Under the spool's lock the
first exitwrap of a Slurm job claims a new job id and writes the binding;
the others read it and join that job while it runs. The binding goes when
Slurm's end of the job is stored (slurm_settle.py); one left behind by a job
whose end was never learnt is replaced by the next Slurm job of that id.

On exitwrap's hot path: imports the spool, nothing more.
"""

from __future__ import annotations

from exitwrap.accounting.spool import Locked, Spool, discard

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

    from exitwrap.accounting.spool import Value

PREFIX = "slurm."


def binding_name(cluster: str, slurm_job_id: int) -> str:
    return f"{PREFIX}{cluster.encode('utf-8', 'surrogateescape').hex()}.{slurm_job_id}"


class SlurmSpool(Spool):
    """A spool that also finds (or starts) the exitwrap job of a Slurm job."""

    __slots__ = ()

    @classmethod
    def for_writing(cls, database: str) -> SlurmSpool:
        spool = super().for_writing(database)
        assert isinstance(spool, SlurmSpool)
        return spool

    def join_bound(
        self,
        binding: str,
        job: bytes,
        step: bytes,
        admits: Callable[[dict[str, Value]], bool],
    ) -> tuple[int, int]:
        """Publish step as the next step of the job the binding names, when that job runs and
        admits it; otherwise publish job (a new job's begin record, with its first step) and
        bind it. Returns the job id and the step's index."""
        temporaries: list[str] = []
        try:
            try:
                temporaries = [self.write_new(step), self.write_new(job)]
                with Locked(self):
                    bound = self._read_number(binding)
                    if bound is not None:
                        names = self._allocate(temporaries[:1], bound, admits)
                        if names is not None:
                            return bound, int(names[0].split(".")[1])
                    names = self._allocate(temporaries[1:], None, admits)
                    assert names is not None
                    job_id = int(names[0].split(".")[0])
                    self._write_number(binding, job_id)
                    return job_id, 0
            finally:
                for temporary in temporaries:
                    discard(temporary)
        except OSError as error:
            raise self.failure(error) from None

    def unbind(self, binding: str, job_id: int) -> None:
        """Drop the binding once its job has ended (unless it names another job by now)."""
        try:
            with Locked(self):
                if self._read_number(binding) == job_id:
                    discard(self.file(binding))
        except OSError as error:
            raise self.failure(error) from None
