"""Status in upstream's formats: runtime, dataset, operations, the master's report, the plan."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluid_render.sync.conditions import go_duration, merge_conditions
from fluid_render.sync.master import (
    MasterError,
    MasterReport,
    cache_states,
    human_bytes,
    parse_human_bytes,
    parse_info,
)
from fluid_render.sync.observe import PodIndex, Snapshot
from fluid_render.sync.operations import operation_status
from fluid_render.sync.plan import Operation, PlanError, parse_plan
from fluid_render.sync.reconcile import outdated_pods
from fluid_render.sync.status import dataset_status, phase, runtime_ready, runtime_status

from .fakemaster import INFO
from .syncworld import golden_objects

NOW = "2026-01-01T00:10:00Z"


def plan_of(case: str) -> Any:
    for obj in golden_objects(case):
        if obj["kind"] == "ConfigMap" and "plan.json" in obj.get("data", {}):
            return parse_plan(obj)
    raise AssertionError(case)


def sts(replicas: int, ready: int, **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "x", "uid": "u"},
        "spec": {"replicas": replicas},
        "status": {"replicas": replicas, "readyReplicas": ready, **status},
    }


@pytest.mark.parametrize(
    ("desired", "ready", "expected"),
    [(0, 0, "Ready"), (3, 0, "NotReady"), (3, 1, "PartialReady"), (3, 3, "Ready"), (1, 2, "Ready")],
)
def test_phase_as_upstream(desired: int, ready: int, expected: str) -> None:
    assert phase(desired, ready) == expected


def test_runtime_status_from_the_workloads() -> None:
    plan = plan_of("api-gateway")
    runtime = {"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"}, "spec": {"replicas": 2}}
    fuse = {"status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2}}
    status = runtime_status(
        plan, runtime, (sts(1, 1), sts(2, 1, availableReplicas=1), fuse), [], None, NOW
    )
    assert status is not None
    assert status["masterPhase"] == "Ready"
    assert status["workerPhase"] == "PartialReady"
    assert status["workerNumberUnavailable"] == 1
    assert status["fuseNumberReady"] == 2 and status["fusePhase"] == "Ready"
    assert status["selector"] == "app=alluxio,release=gateway,role=alluxio-worker"
    assert status["apiGateway"]["endpoint"].startswith("gateway-master-0.default:")
    assert status["setupDuration"] == "10m0s"
    types = {c["type"]: c["status"] for c in status["conditions"]}
    assert types == {
        "MasterInitialized": "True",
        "MasterReady": "True",
        "WorkersInitialized": "True",
        "WorkersReady": "True",
        "FusesReady": "True",
        "OutdatedPods": "False",
    }


def test_runtime_status_is_idempotent() -> None:
    plan = plan_of("api-gateway")
    runtime: dict[str, Any] = {"metadata": {}, "spec": {}}
    workloads = (sts(1, 1), sts(1, 1), None)
    first = runtime_status(plan, runtime, workloads, [], None, NOW)
    assert first is not None
    runtime["status"] = first
    assert runtime_status(plan, runtime, workloads, [], None, "2026-01-01T01:00:00Z") is None


def test_missing_workers_are_not_ready() -> None:
    status = runtime_status(plan_of("api-gateway"), {}, (sts(1, 1), None, None), [], None, NOW)
    assert status is not None and status["workerPhase"] == "NotReady"


@pytest.mark.parametrize(
    ("workers_wanted", "worker_ready", "master_ready", "ready"),
    [(0, 0, 1, True), (2, 0, 1, False), (2, 1, 1, True), (2, 2, 0, False)],
)
def test_runtime_readiness(
    workers_wanted: int, worker_ready: int, master_ready: int, ready: bool
) -> None:
    runtime = {"spec": {"replicas": workers_wanted}}
    assert runtime_ready(runtime, sts(1, master_ready), sts(workers_wanted, worker_ready)) is ready


def test_dataset_binds_once_the_runtime_is_ready_and_stays_bound() -> None:
    plan = plan_of("databackup-to-pvc")
    dataset: dict[str, Any] = {"metadata": {}}
    waiting = dataset_status(plan, dataset, False, None, None, NOW)
    assert waiting is not None
    assert waiting["phase"] == "NotBound" and waiting["conditions"] == []
    assert waiting["runtimes"] == [
        {
            "name": "kafka",
            "namespace": "default",
            "category": "Accelerate",
            "type": "alluxio",
            "masterReplicas": 0,
        }
    ]
    dataset["status"] = waiting
    bound = dataset_status(plan, dataset, True, None, None, NOW)
    assert bound is not None and bound["phase"] == "Bound"
    assert bound["hcfs"] == {"endpoint": "alluxio://kafka-master-0.default:20000"}
    assert bound["mounts"] == [
        {"mountPoint": "https://archive.apache.org/dist/kafka/3.7.0/", "name": "kafka"}
    ]
    assert bound["conditions"][0]["reason"] == "DatasetReady"
    dataset["status"] = {**waiting, **bound}
    assert dataset_status(plan, dataset, False, None, None, NOW) is None  # Bound for good


def test_dataset_reports_file_count_and_cache() -> None:
    plan = plan_of("databackup-to-pvc")
    report = parse_info(INFO)
    states = cache_states(report, "2.00GiB")
    status = dataset_status(plan, {"status": {"ufsTotal": "2.00GiB"}}, True, states, report, NOW)
    assert status is not None
    assert status["fileNum"] == "1152"
    assert status["cacheStates"]["cachedPercentage"] == "50.0%"


def test_master_info_becomes_upstream_cache_states() -> None:
    assert cache_states(parse_info(INFO), None) == {
        "cacheCapacity": "4.00GiB",
        "cached": "1.00GiB",
        "localHitRatio": "60.0%",
        "remoteHitRatio": "20.0%",
        "cacheHitRatio": "80.0%",
        "localThroughputRatio": "30.0%",
        "remoteThroughputRatio": "10.0%",
        "cacheThroughputRatio": "40.0%",
    }


def test_a_master_without_traffic_reports_zero_ratios() -> None:
    report = MasterReport(0, 0, None, (0, 0, 0), None)
    assert cache_states(report, "[Calculating]")["cacheHitRatio"] == "0.0%"


@pytest.mark.parametrize("info", [None, [], {}, {"capacity": {"total": "x", "used": 1}}])
def test_malformed_master_info_is_an_error(info: Any) -> None:
    with pytest.raises(MasterError):
        parse_info(info)


@given(st.integers(min_value=0, max_value=2**60))
def test_human_bytes_round_trips_within_rounding(amount: int) -> None:
    text = human_bytes(amount)
    back = parse_human_bytes(text)
    # Two decimals of the printed unit, then truncation to whole bytes.
    unit = 1024 ** next(i for i in range(7) if amount < 1024 ** (i + 1) or i == 6)
    assert back is not None and abs(back - amount) <= unit * 0.005 + 1


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "0s"),
        ("2026-01-01T00:00:00Z", "2026-01-01T00:00:45Z", "45s"),
        ("2026-01-01T00:00:00Z", "2026-01-01T00:02:05Z", "2m5s"),
        ("2026-01-01T00:00:00Z", "2026-01-01T03:00:07Z", "3h0m7s"),
        (None, "2026-01-01T03:00:07Z", None),
    ],
)
def test_durations_print_like_go(start: Any, end: str, expected: str | None) -> None:
    assert go_duration(start, end) == expected


def test_unchanged_conditions_keep_their_times() -> None:
    old = [
        {
            "type": "A",
            "status": "True",
            "reason": "r",
            "message": "m",
            "lastProbeTime": "t0",
            "lastTransitionTime": "t0",
        }
    ]
    same = [{**old[0], "lastProbeTime": "t1", "lastTransitionTime": "t1"}]
    assert merge_conditions(old, same) == old
    flipped = merge_conditions(old, [{**same[0], "status": "False"}])
    assert flipped[0]["lastTransitionTime"] == "t1"


LOAD = Operation("DataLoad", "warm", "Job", "warm-job", None)
BACKUP_PVC = Operation("DataBackup", "b", "Job", "b-job", "pvc://store/x/")
BACKUP_LOCAL = Operation("DataBackup", "b", "Job", "b-job", "local:///backups/")
CREATED = {"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"}}


def job(condition: str | None) -> dict[str, Any]:
    conditions = []
    if condition:
        conditions = [
            {
                "type": condition,
                "status": "True",
                "reason": "R",
                "message": "M",
                "lastProbeTime": "2026-01-01T00:01:00Z",
                "lastTransitionTime": "2026-01-01T00:01:30Z",
            }
        ]
    return {"status": {"conditions": conditions}}


@pytest.mark.parametrize(
    ("op", "the_job", "node", "expected"),
    [
        (LOAD, None, None, {"phase": "Pending", "duration": "Unfinished"}),
        (LOAD, job(None), None, {"phase": "Executing", "duration": "Unfinished"}),
        (LOAD, job("Complete"), None, {"phase": "Complete", "duration": "1m30s"}),
        (LOAD, job("Failed"), None, {"phase": "Failed", "duration": "1m30s"}),
        (
            BACKUP_PVC,
            job("Complete"),
            "n1",
            {
                "phase": "Complete",
                "infos": {"BackupLocationPath": "pvc://store/x/", "BackupLocationNodeName": "NA"},
            },
        ),
        (
            BACKUP_LOCAL,
            job("Complete"),
            "n1",
            {
                "phase": "Complete",
                "infos": {
                    "BackupLocationPath": "local:///backups/",
                    "BackupLocationNodeName": "n1",
                },
            },
        ),
    ],
)
def test_operation_phases(
    op: Operation, the_job: Any, node: str | None, expected: dict[str, Any]
) -> None:
    status = operation_status(op, CREATED, the_job, node)
    assert status is not None
    assert {k: status[k] for k in expected} == expected


def test_finished_operation_conditions_copy_the_job_or_name_the_backup() -> None:
    load = operation_status(LOAD, CREATED, job("Complete"), None)
    backup = operation_status(BACKUP_PVC, CREATED, job("Failed"), None)
    assert load is not None and backup is not None
    assert load["conditions"][0]["reason"] == "R"
    assert backup["conditions"][0]["reason"] == "BackupFailed"
    assert backup["conditions"][0]["message"] == "Backup Pod exec failed and exit"


def test_a_finished_operation_whose_job_was_cleaned_up_keeps_its_status() -> None:
    assert operation_status(LOAD, {"status": {"phase": "Complete"}}, None, None) is None


def test_cron_operation_follows_its_cronjob() -> None:
    cron = Operation("DataLoad", "nightly", "CronJob", "nightly-job", None)
    active = {"status": {"active": [{"name": "j"}], "lastScheduleTime": "2026-01-01T03:00:00Z"}}
    done = {
        "status": {
            "lastScheduleTime": "2026-01-01T03:00:00Z",
            "lastSuccessfulTime": "2026-01-01T03:04:00Z",
        }
    }
    running = operation_status(cron, CREATED, active, None)
    finished = operation_status(cron, CREATED, done, None)
    assert running is not None and running["phase"] == "Executing" and running["duration"] == "-"
    assert finished is not None and finished["phase"] == "Complete"
    assert finished["lastSuccessfulTime"] == "2026-01-01T03:04:00Z"


def _pod(name: str, uid: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "labels": labels,
            "ownerReferences": [{"uid": uid, "controller": True}],
        }
    }


def test_pods_of_an_older_revision_are_named() -> None:
    plan = plan_of("databackup-to-pvc")
    snapshot = Snapshot(
        statefulsets={
            ("default", "kafka-worker"): {
                "metadata": {"name": "kafka-worker", "uid": "w"},
                "status": {"updateRevision": "r2"},
            },
        },
        daemonsets={
            ("default", "kafka-fuse"): {
                "metadata": {
                    "name": "kafka-fuse",
                    "uid": "f",
                    "annotations": {"deprecated.daemonset.template.generation": "3"},
                }
            },
        },
    )
    pods = PodIndex(
        [
            _pod("kafka-worker-0", "w", {"controller-revision-hash": "r1"}),
            _pod("kafka-worker-1", "w", {"controller-revision-hash": "r2"}),
            _pod("kafka-fuse-abc", "f", {"pod-template-generation": "2"}),
            _pod("stranger-0", "w", {"controller-revision-hash": "r1"}),
        ]
    )
    assert outdated_pods(plan, snapshot, pods) == [
        "default/kafka-fuse-abc",
        "default/kafka-worker-0",
    ]


def _config_map(plan: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "p", "namespace": "default"},
        "data": {"plan.json": json.dumps(plan)},
    }


def test_every_golden_plan_parses() -> None:
    from .conftest import GOLDEN

    count = 0
    cases = sorted(p.name for p in GOLDEN.iterdir() if (p / "input").is_dir())
    for case in cases:
        for obj in golden_objects(case):
            if obj["kind"] == "ConfigMap" and "plan.json" in obj.get("data", {}):
                plan = parse_plan(obj)
                assert plan.namespace == obj["metadata"]["namespace"]
                count += 1
    assert count == 17  # one plan per runtime: 16 cases, placement-pinned-nodes has two


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda p: p.update(format=2), "unknown plan format"),
        (lambda p: p["runtime"].update(namespace="other"), "differs"),
        (lambda p: p["nodeLabels"].update(labels={"a": 1}), "strings"),
        (lambda p: p["runtime"].update(masterReplicas=-1), "non-negative"),
        (lambda p: p.pop("operations"), "missing operations"),
        # a namespace's users can write its ConfigMaps; the syncer may label every node
        (
            lambda p: p["nodeLabels"]["labels"].update(
                {"node-role.kubernetes.io/control-plane": ""}
            ),
            "'node-role.kubernetes.io/control-plane' is not a label of default/",
        ),
        (
            lambda p: p["nodeLabels"]["labels"].update({"fluid.io/s-other-db": "true"}),
            "'fluid.io/s-other-db' is not a label of default/",
        ),
        (
            lambda p: p["nodeLabels"]["labels"].update({"fluid_exclusive": "other_db"}),
            "'fluid_exclusive' is not a label of default/",
        ),
        (lambda p: p["fuseLabel"].update(label="dedicated"), "not the FUSE label of default/"),
        (
            lambda p: p["nodeLabels"]["datasetNum"].update(countedLabel="fluid.io/s-other-db"),
            "countedLabel is not the label of default/",
        ),
        (lambda p: p["runtime"].update(type="x-other-db"), "lower-case word"),
    ],
)
def test_a_bad_plan_is_refused_with_a_reason(edit: Any, message: str) -> None:
    obj = next(o for o in golden_objects("databackup-to-pvc") if "plan.json" in o.get("data", {}))
    plan = json.loads(obj["data"]["plan.json"])
    edit(plan)
    with pytest.raises(PlanError, match=message):
        parse_plan(_config_map(plan))


def test_a_plan_that_is_not_json_is_refused() -> None:
    with pytest.raises(PlanError, match="not JSON"):
        parse_plan({"metadata": {"namespace": "d"}, "data": {"plan.json": "{"}})


def test_cache_affinity_folds_the_node_selector_into_every_required_term() -> None:
    from fluid_render.plan.nodelabels import cache_affinity

    term = {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [term, {"matchFields": []}]
            }
        }
    }
    merged = cache_affinity({"gpu": "yes", "disk": "ssd"}, affinity)
    terms = merged["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    added = [
        {"key": "disk", "operator": "In", "values": ["ssd"]},
        {"key": "gpu", "operator": "In", "values": ["yes"]},
    ]
    assert terms[0]["matchExpressions"] == term["matchExpressions"] + added
    assert terms[1]["matchExpressions"] == added
    assert (
        affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
            "nodeSelectorTerms"
        ][0]
        == term
    )  # the input is not changed
    assert cache_affinity({}, {}) == {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}
    }
    assert cache_affinity({"a": "b"}, {})["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [
            {"matchExpressions": [{"key": "a", "operator": "In", "values": ["b"]}]}
        ]
    }


def test_runtime_status_records_the_cache_affinity() -> None:
    plan = plan_of("placement-pinned-nodes")
    status = runtime_status(plan, {}, (sts(1, 1), sts(1, 1), None), [], None, NOW)
    assert status is not None and status["cacheAffinity"] == plan.cache_affinity
    required = status["cacheAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert (
        required["nodeSelectorTerms"][0]["matchExpressions"][0]["key"] == "kubernetes.io/hostname"
    )
