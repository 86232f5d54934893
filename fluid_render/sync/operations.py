"""DataLoad/DataBackup status from their Jobs and CronJobs (pure).

Upstream: `pkg/controllers/v1alpha1/dataload` and `databackup` with
`pkg/dataoperation` (phases `Pending` -> `Executing` -> `Complete`/`Failed`, `duration`
`Unfinished` until done, the finished condition copied from the Job) and
`pkg/ddc/alluxio/backup_data.go` (`infos` of a finished backup).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fluid_render.sync.conditions import go_duration
from fluid_render.sync.plan import Operation

PENDING, EXECUTING, COMPLETE, FAILED = "Pending", "Executing", "Complete", "Failed"
UNFINISHED = "Unfinished"
_BACKUP_REASONS = {
    COMPLETE: ("BackupSuccessful", "Backup Pod exec successfully and finish"),
    FAILED: ("BackupFailed", "Backup Pod exec failed and exit"),
}


def _finished(job: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") in (COMPLETE, FAILED) and cond.get("status") == "True":
            return dict(cond)
    return None


def _job_state(
    op: Operation, obj: Mapping[str, Any], job: Mapping[str, Any] | None
) -> dict[str, Any]:
    if job is None:
        return {"phase": PENDING, "duration": UNFINISHED, "conditions": []}
    done = _finished(job)
    if done is None:
        return {"phase": EXECUTING, "duration": UNFINISHED, "conditions": []}
    kind = done["type"]
    reason, message = done.get("reason", ""), done.get("message", "")
    if op.kind == "DataBackup":
        reason, message = _BACKUP_REASONS[kind]
    when = done.get("lastTransitionTime")
    created = (obj.get("metadata") or {}).get("creationTimestamp")
    return {
        "phase": kind,
        "duration": go_duration(created, when) or UNFINISHED,
        "conditions": [
            {
                "type": kind,
                "status": "True",
                "reason": reason,
                "message": message,
                "lastProbeTime": done.get("lastProbeTime") or when,
                "lastTransitionTime": when,
            }
        ],
    }


def _cron_state(cron: Mapping[str, Any] | None) -> dict[str, Any]:
    """A cron DataLoad: Executing while a run is active, Complete after a successful run."""
    status: Mapping[str, Any] = (cron or {}).get("status") or {}
    state: dict[str, Any] = {"conditions": []}
    for key in ("lastScheduleTime", "lastSuccessfulTime"):
        if status.get(key):
            state[key] = status[key]
    if status.get("active"):
        return state | {"phase": EXECUTING, "duration": "-"}
    if status.get("lastSuccessfulTime"):
        duration = go_duration(status.get("lastScheduleTime"), status["lastSuccessfulTime"])
        return state | {"phase": COMPLETE, "duration": duration or "-"}
    return state | {"phase": PENDING, "duration": UNFINISHED}


def operation_status(
    op: Operation,
    obj: Mapping[str, Any],
    job: Mapping[str, Any] | None,
    backup_node: str | None,
) -> dict[str, Any] | None:
    """The status fields that differ from the operation's current status (None: nothing).

    A finished one-off operation whose Job is gone (TTL) keeps its last status.
    """
    old: Mapping[str, Any] = obj.get("status") or {}
    if job is None and op.job_kind == "Job" and old.get("phase") in (COMPLETE, FAILED):
        return None
    state = _cron_state(job) if op.job_kind == "CronJob" else _job_state(op, obj, job)
    infos: dict[str, str] = {}
    if op.kind == "DataBackup" and state["phase"] == COMPLETE and op.backup_path:
        local = op.backup_path.startswith("local://")
        infos = {
            "BackupLocationPath": op.backup_path,
            "BackupLocationNodeName": (backup_node or "") if local else "NA",
        }
    state["infos"] = infos
    changed = {key: value for key, value in state.items() if old.get(key) != value}
    return changed or None
