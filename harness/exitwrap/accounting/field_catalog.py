"""Slurm 22.05's sacct fields as data: every name ``sacct --helpformat`` lists, its column
width and how it prints, and the field lists of -b, -l and the default.

Sources: the names and their order are 22.05.8's ``sacct --helpformat``; each
width (negative: left-aligned) is what that sacct printed for the field, as
the dashes under its header (the ``fields[]`` table of src/sacct/sacct.c);
how a value prints follows the table's print function (src/common/
print_fields.c): ``s`` print_fields_str (a longer value is cut to width-1
and ends in ``+``), ``d`` print_fields_date (a date too long for the column
is ``#`` signs), ``t`` print_fields_time_from_secs and ``n`` the number
printers (printed whole). The lists of -b and -l are 22.05.8's, as its
header lines named them.
"""

from __future__ import annotations

TEXT = "s"
DATE = "d"
DURATION = "t"
NUMBER = "n"

_TABLE = """
Account 10 s
AdminComment 15 s
AllocCPUS 10 n
AllocNodes 10 s
AllocTRES 10 s
AssocID 7 n
AveCPU 10 s
AveCPUFreq 10 s
AveDiskRead 14 s
AveDiskWrite 14 s
AvePages 10 s
AveRSS 10 s
AveVMSize 10 s
BlockID 16 s
Cluster 10 s
Comment 14 s
Constraints 19 s
ConsumedEnergy 14 s
ConsumedEnergyRaw 17 n
Container 19 s
CPUTime 10 t
CPUTimeRAW 10 n
DBIndex -10 n
DerivedExitCode 15 s
Elapsed 10 t
ElapsedRaw 10 n
Eligible 19 d
End 19 d
ExitCode 8 s
Flags 19 s
GID 6 n
Group 9 s
JobID -12 s
JobIDRaw -12 s
JobName 10 s
Layout 9 s
MaxDiskRead 12 s
MaxDiskReadNode 15 s
MaxDiskReadTask 15 n
MaxDiskWrite 12 s
MaxDiskWriteNode 16 s
MaxDiskWriteTask 16 n
MaxPages 8 s
MaxPagesNode 12 s
MaxPagesTask 14 n
MaxRSS 10 s
MaxRSSNode 10 s
MaxRSSTask 10 n
MaxVMSize 10 s
MaxVMSizeNode 14 s
MaxVMSizeTask 14 n
McsLabel 12 s
MinCPU 10 s
MinCPUNode 10 s
MinCPUTask 10 n
NCPUS 10 n
NNodes 8 n
NodeList 15 s
NTasks 8 n
Partition 10 s
Priority 10 n
QOS 10 s
QOSRAW 6 n
Reason 22 s
ReqCPUFreq 10 s
ReqCPUFreqGov 13 s
ReqCPUFreqMax 13 s
ReqCPUFreqMin 13 s
ReqCPUS 8 n
ReqMem 10 s
ReqNodes 8 s
ReqTRES 10 s
Reservation 20 s
ReservationId 8 n
Reserved 10 t
ResvCPU 10 t
ResvCPURAW 10 n
Start 19 d
State 10 s
Submit 19 d
SubmitLine 20 s
Suspended 10 t
SystemComment 15 s
SystemCPU 10 s
Timelimit 10 s
TimelimitRaw 10 s
TotalCPU 10 s
TRESUsageInAve 14 s
TRESUsageInMax 14 s
TRESUsageInMaxNode 18 s
TRESUsageInMaxTask 18 s
TRESUsageInMin 14 s
TRESUsageInMinNode 18 s
TRESUsageInMinTask 18 s
TRESUsageInTot 14 s
TRESUsageOutAve 15 s
TRESUsageOutMax 15 s
TRESUsageOutMaxNode 19 s
TRESUsageOutMaxTask 19 s
TRESUsageOutMin 15 s
TRESUsageOutMinNode 19 s
TRESUsageOutMinTask 19 s
TRESUsageOutTot 15 s
UID 6 n
User 9 s
UserCPU 10 s
WCKey 10 s
WCKeyID 10 n
WorkDir 20 s
"""

# (name, width, kind), in --helpformat's order
CATALOG: tuple[tuple[str, int, str], ...] = tuple(
    (name, int(width), kind)
    for name, width, kind in (row.split() for row in _TABLE.split("\n") if row)
)

DEFAULT = "JobID,JobName,Partition,Account,AllocCPUS,State,ExitCode"  # sacct(1), --format
BRIEF = "JobID,State,ExitCode"
LONG = (
    "JobID,JobIDRaw,JobName,Partition,MaxVMSize,MaxVMSizeNode,MaxVMSizeTask,AveVMSize,MaxRSS,"
    "MaxRSSNode,MaxRSSTask,AveRSS,MaxPages,MaxPagesNode,MaxPagesTask,AvePages,MinCPU,MinCPUNode,"
    "MinCPUTask,AveCPU,NTasks,AllocCPUS,Elapsed,State,ExitCode,AveCPUFreq,ReqCPUFreqMin,"
    "ReqCPUFreqMax,ReqCPUFreqGov,ReqMem,ConsumedEnergy,MaxDiskRead,MaxDiskReadNode,"
    "MaxDiskReadTask,AveDiskRead,MaxDiskWrite,MaxDiskWriteNode,MaxDiskWriteTask,AveDiskWrite,"
    "ReqTRES,AllocTRES,TRESUsageInAve,TRESUsageInMax,TRESUsageInMaxNode,TRESUsageInMaxTask,"
    "TRESUsageInMin,TRESUsageInMinNode,TRESUsageInMinTask,TRESUsageInTot,TRESUsageOutMax,"
    "TRESUsageOutMaxNode,TRESUsageOutMaxTask,TRESUsageOutAve,TRESUsageOutTot"
)
HELP_COLUMNS = 4  # --helpformat: four names a line, each left-aligned in 19 columns
HELP_WIDTH = 19


def helpformat() -> str:
    """``sacct --helpformat`` as 22.05 prints it."""
    names = [name for name, _, _ in CATALOG]
    lines = [
        " ".join(name.ljust(HELP_WIDTH) for name in names[i : i + HELP_COLUMNS])
        for i in range(0, len(names), HELP_COLUMNS)
    ]
    return "".join(line + "\n" for line in lines)
