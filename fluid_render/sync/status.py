"""Runtime and Dataset status: the pure reconcile (observed objects in, status patch out).

Formats follow upstream: `pkg/ctrl/master.go` `CheckAndSyncMasterStatus`, `pkg/ctrl/worker.go`
`CheckAndSyncWorkerStatus`, `pkg/ctrl/fuse.go`, `pkg/ddc/alluxio/status.go`
`CheckAndUpdateRuntimeStatus` (readiness and cacheStates) and the dataset controller's bind
(`pkg/utils/dataset/lifecycle`): phase `Bound`, `runtimes[0]`, the `Ready` condition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fluid_render.sync.conditions import condition, go_duration, merge_conditions
from fluid_render.sync.master import MasterReport, cache_states
from fluid_render.sync.plan import SyncPlan

READY, PARTIAL, NOT_READY = "Ready", "PartialReady", "NotReady"
OUTDATED = "OutdatedPods"
_SHOWN_PODS = 10
_MESSAGES = {
    READY: "The {} ready.",
    PARTIAL: "The {} partially ready.",
    NOT_READY: "The {} not ready.",
}


def _int(tree: Mapping[str, Any] | None, *path: str) -> int:
    node: Any = tree or {}
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node if isinstance(node, int) and not isinstance(node, bool) else 0


def phase(desired: int, ready: int) -> str:
    """`pkg/utils/kubeclient/statefulset.go` `GetPhaseFromStatefulset`."""
    if desired == 0:
        return READY
    if ready > 0:
        return READY if desired <= ready else PARTIAL
    return NOT_READY


def _master(sts: Mapping[str, Any] | None, now: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A missing StatefulSet counts zero and is NotReady (every counter is required)."""
    desired, ready = _int(sts, "spec", "replicas"), _int(sts, "status", "readyReplicas")
    current = NOT_READY if sts is None else phase(desired, ready)
    status = {
        "desiredMasterNumberScheduled": desired,
        "currentMasterNumberScheduled": _int(sts, "status", "replicas"),
        "masterNumberReady": ready,
        "masterPhase": current,
    }
    message = _MESSAGES[current].format("master is")
    conditions = [condition("MasterReady", current != NOT_READY, "Master is ready", message, now)]
    if sts is not None:
        conditions.insert(
            0,
            condition(
                "MasterInitialized",
                True,
                "Master is initialized",
                "The master is initialized.",
                now,
            ),
        )
    return status, conditions


def _workers(
    sts: Mapping[str, Any] | None, now: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    desired, ready = _int(sts, "spec", "replicas"), _int(sts, "status", "readyReplicas")
    replicas, available = _int(sts, "status", "replicas"), _int(sts, "status", "availableReplicas")
    current = NOT_READY if sts is None else phase(desired, ready)
    status = {
        "desiredWorkerNumberScheduled": desired,
        "currentWorkerNumberScheduled": replicas,
        "workerNumberReady": ready,
        "workerNumberAvailable": available,
        "workerNumberUnavailable": max(0, replicas - available),
        "workerPhase": current,
    }
    message = _MESSAGES[current].format("workers are")
    conditions = [
        condition("WorkersReady", current != NOT_READY, "Workers are ready", message, now)
    ]
    if sts is not None:
        initialized = "The workers are initialized."
        conditions.insert(
            0, condition("WorkersInitialized", True, "Workers are initialized", initialized, now)
        )
    return status, conditions


def _fuses(ds: Mapping[str, Any] | None, now: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`pkg/ctrl/fuse.go`: counters from the DaemonSet; the phase is always Ready."""
    status: dict[str, Any] = {
        "fusePhase": READY,
        "desiredFuseNumberScheduled": _int(ds, "status", "desiredNumberScheduled"),
        "currentFuseNumberScheduled": _int(ds, "status", "currentNumberScheduled"),
        "fuseNumberReady": _int(ds, "status", "numberReady"),
        "fuseNumberAvailable": _int(ds, "status", "numberAvailable"),
        "fuseNumberUnavailable": _int(ds, "status", "numberUnavailable"),
    }
    return status, [condition("FusesReady", True, "Fuses are ready", "The fuses are ready.", now)]


def outdated_condition(outdated: Sequence[str], now: str) -> dict[str, Any]:
    """Names the pods of an OnDelete workload that still run an older revision than git's."""
    if not outdated:
        return condition(
            OUTDATED, False, "PodsUpToDate", "Every pod runs the current revision.", now
        )
    shown = ", ".join(outdated[:_SHOWN_PODS])
    more = f" and {len(outdated) - _SHOWN_PODS} more" if len(outdated) > _SHOWN_PODS else ""
    message = (
        f"{len(outdated)} pod(s) of OnDelete workloads run an older revision and apply the "
        f"change from git when restarted (the syncer never restarts them): {shown}{more}"
    )
    return condition(OUTDATED, True, "RestartPending", message, now)


def runtime_ready(
    runtime: Mapping[str, Any], master: Mapping[str, Any] | None, workers: Mapping[str, Any] | None
) -> bool:
    """`CheckAndUpdateRuntimeStatus`: every master ready, and a ready worker unless none wanted."""
    if master is None:
        return False
    master_ready = _int(master, "spec", "replicas") == _int(master, "status", "readyReplicas")
    wanted = _int(runtime, "spec", "replicas")
    return master_ready and (wanted == 0 or _int(workers, "status", "readyReplicas") > 0)


def runtime_status(
    plan: SyncPlan,
    runtime: Mapping[str, Any],
    workloads: tuple[Mapping[str, Any] | None, Mapping[str, Any] | None, Mapping[str, Any] | None],
    outdated: Sequence[str],
    states: Mapping[str, str] | None,
    now: str,
) -> dict[str, Any] | None:
    """The status fields that differ from the runtime's current status (None: nothing)."""
    master, workers, fuse = workloads
    old: Mapping[str, Any] = runtime.get("status") or {}
    status: dict[str, Any] = {}
    conditions: list[dict[str, Any]] = []
    for part, conds in (_master(master, now), _workers(workers, now), _fuses(fuse, now)):
        status |= part
        conditions += conds
    conditions.append(outdated_condition(outdated, now))
    status["selector"] = ",".join(f"{k}={v}" for k, v in sorted(plan.worker_selector.items()))
    status["cacheAffinity"] = plan.cache_affinity
    if plan.api_gateway:
        status["apiGateway"] = {"endpoint": plan.api_gateway}
    if states is not None:
        status["cacheStates"] = dict(states)
    if runtime_ready(runtime, master, workers) and not old.get("setupDuration"):
        duration = go_duration((runtime.get("metadata") or {}).get("creationTimestamp"), now)
        if duration:
            status["setupDuration"] = duration
    status["conditions"] = merge_conditions(old.get("conditions"), conditions)
    changed = {key: value for key, value in status.items() if old.get(key) != value}
    return changed or None


def dataset_status(
    plan: SyncPlan,
    dataset: Mapping[str, Any],
    ready: bool,
    states: Mapping[str, str] | None,
    report: MasterReport | None,
    now: str,
) -> dict[str, Any] | None:
    """`NotBound` until the runtime is first ready, then `Bound` for good (as upstream)."""
    old: Mapping[str, Any] = dataset.get("status") or {}
    current = old.get("phase") or ""
    bound = current == "Bound" or (current in ("", "NotBound") and ready)
    status: dict[str, Any] = {
        "runtimes": [
            {
                "name": plan.name,
                "namespace": plan.namespace,
                "category": plan.category,
                "type": plan.runtime_type,
                "masterReplicas": plan.master_replicas,
            }
        ],
    }
    conditions: list[dict[str, Any]] = []
    if current in ("", "NotBound", "Bound"):
        status["phase"] = "Bound" if bound else "NotBound"
    if bound:
        conditions.append(
            condition(
                "Ready", True, "DatasetReady", "The ddc runtime is ready.", now, "lastUpdateTime"
            )
        )
        status["mounts"] = list(plan.mounts)
        status["hcfs"] = {**(old.get("hcfs") or {}), "endpoint": plan.hcfs}
    if states is not None:
        status["cacheStates"] = dict(states)
    if report is not None and report.files is not None:
        status["fileNum"] = str(report.files)
    status["conditions"] = merge_conditions(old.get("conditions"), conditions)
    changed = {key: value for key, value in status.items() if old.get(key) != value}
    return changed or None


def runtime_cache_states(
    report: MasterReport | None, dataset: Mapping[str, Any] | None
) -> dict[str, str] | None:
    if report is None:
        return None
    ufs_total = ((dataset or {}).get("status") or {}).get("ufsTotal")
    return cache_states(report, ufs_total if isinstance(ufs_total, str) else None)
