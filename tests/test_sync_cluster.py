"""The syncer end to end against the doubles: the fake API server (tests/fakekube.py) and the
Alluxio master double (tests/fakemaster.py), through the real `kubernetes` client."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from fluid_render.cli import main
from fluid_render.sync.client import ApiError, Cluster, connect
from fluid_render.sync.labels import OWNED_ANNOTATION, Scope
from fluid_render.sync.lease import Elector
from fluid_render.sync.loop import Loop, Options
from fluid_render.sync.metrics import Metrics

from .fakekube import FakeKube
from .fakemaster import FakeMaster
from .syncworld import node, owned_labels, world

NODES = ["n1", "n2", "n3"]
WORKER_LABEL = "fluid.io/s-alluxio-default-kafka"


@pytest.fixture
def fake() -> Iterator[FakeKube]:
    server = FakeKube()
    server.url = server.start()  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture
def master() -> Iterator[FakeMaster]:
    double = FakeMaster()
    double.port = double.start()  # type: ignore[attr-defined]
    yield double
    double.stop()


@pytest.fixture
def kubeconfig(fake: FakeKube, tmp_path: Path) -> Path:
    return fake.kubeconfig(tmp_path, fake.url)  # type: ignore[attr-defined]


def sync(kubeconfig: Path, *args: str) -> Result:
    return CliRunner().invoke(
        main,
        ["sync", "--kubeconfig", str(kubeconfig), "--request-timeout", "2", *args],
        catch_exceptions=False,
    )


def test_dry_run_prints_patches_and_changes_nothing(
    fake: FakeKube, master: FakeMaster, kubeconfig: Path
) -> None:
    world(fake, "databackup-to-pvc", NODES, master.port)  # type: ignore[attr-defined]
    result = sync(kubeconfig, "--once", "--dry-run")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["target"] for line in lines] == [
        "Node n1",
        "AlluxioRuntime default/kafka (status)",
        "Dataset default/kafka (status)",
        "DataBackup default/kafka-backup (status)",
    ]
    assert lines[0]["patch"]["metadata"]["labels"][WORKER_LABEL] == "true"
    assert fake.writes() == []
    assert not any("leases" in path for _, path in fake.requests)


def test_once_labels_workers_binds_the_dataset_and_then_rests(
    fake: FakeKube, master: FakeMaster, kubeconfig: Path
) -> None:
    world(fake, "databackup-to-pvc", NODES, master.port)  # type: ignore[attr-defined]
    result = sync(kubeconfig, "--once")
    assert result.exit_code == 0, result.stderr
    labels = owned_labels(fake)
    assert labels["n1"][WORKER_LABEL] == "true" and labels["n1"]["fluid.io/dataset-num"] == "1"
    assert WORKER_LABEL not in labels["n2"]
    dataset = fake.get("Dataset", "default", "kafka")["status"]
    assert dataset["phase"] == "Bound"
    assert dataset["runtimes"][0]["type"] == "alluxio"
    assert dataset["cacheStates"]["cached"] == "1.00GiB"
    runtime = fake.get("AlluxioRuntime", "default", "kafka")["status"]
    assert runtime["masterPhase"] == "Ready" and runtime["workerPhase"] == "Ready"
    backup = fake.get("DataBackup", "default", "kafka-backup")["status"]
    assert backup["phase"] == "Complete" and backup["infos"]["BackupLocationNodeName"] == "NA"
    before = len(fake.writes())
    again = sync(kubeconfig, "--once")
    assert again.exit_code == 0
    assert len(fake.writes()) == before  # idempotent: nothing left to change
    assert not any("leases" in path for _, path in fake.requests)


def test_labels_follow_the_workers_and_a_pruned_plan(
    fake: FakeKube, master: FakeMaster, kubeconfig: Path
) -> None:
    world(fake, "databackup-to-pvc", NODES, master.port)  # type: ignore[attr-defined]
    fake.put(node("n1", {"team": "a", "kubernetes.io/hostname": "n1"}))
    assert sync(kubeconfig, "--once").exit_code == 0
    pod = fake.get("Pod", "default", "kafka-worker-0")
    pod["spec"]["nodeName"] = "n2"  # rescheduled
    fake.put(pod)
    assert sync(kubeconfig, "--once").exit_code == 0
    labels = owned_labels(fake)
    assert WORKER_LABEL not in labels["n1"] and labels["n1"]["team"] == "a"
    assert labels["n2"][WORKER_LABEL] == "true"
    fake.delete("ConfigMap", "default", "kafka-sync-plan")  # removed from git
    assert sync(kubeconfig, "--once").exit_code == 0
    assert owned_labels(fake)["n2"] == {"kubernetes.io/hostname": "n2"}
    assert OWNED_ANNOTATION not in fake.get("Node", "", "n2")["metadata"].get("annotations", {})


def test_namespace_narrows_what_it_touches(
    fake: FakeKube, master: FakeMaster, kubeconfig: Path
) -> None:
    world(fake, "databackup-to-pvc", NODES, master.port)  # type: ignore[attr-defined]
    assert sync(kubeconfig, "--once", "-n", "elsewhere").exit_code == 0
    assert fake.writes() == []


def test_a_failing_api_is_an_error_not_a_crash_and_the_next_pass_recovers(
    fake: FakeKube, master: FakeMaster, kubeconfig: Path
) -> None:
    world(fake, "databackup-to-pvc", NODES, master.port)  # type: ignore[attr-defined]
    fake.fault("GET", r"/api/v1/nodes\?", status=500)
    failed = sync(kubeconfig, "--once")
    assert failed.exit_code == 1
    assert "failing" in failed.stderr and "Traceback" not in failed.stderr
    assert fake.writes() == []
    assert sync(kubeconfig, "--once").exit_code == 0
    assert owned_labels(fake)["n1"][WORKER_LABEL] == "true"


def test_a_conflict_is_retried_on_a_fresh_copy(
    fake: FakeKube, master: FakeMaster, kubeconfig: Path
) -> None:
    world(fake, "databackup-to-pvc", NODES, master.port)  # type: ignore[attr-defined]
    fake.fault("PATCH", r"/datasets/kafka/status", status=409)
    fake.fault("PATCH", r"/api/v1/nodes/n1", status=409)
    result = sync(kubeconfig, "--once")
    assert result.exit_code == 0, result.stderr
    assert fake.get("Dataset", "default", "kafka")["status"]["phase"] == "Bound"
    assert owned_labels(fake)["n1"][WORKER_LABEL] == "true"


def test_a_real_conflict_recomputes_from_the_newer_object(fake: FakeKube, kubeconfig: Path) -> None:
    world(fake, "databackup-to-pvc", NODES, None)
    cluster = connect(str(kubeconfig), None, 2)
    stale = fake.get("Node", "", "n1")
    fake.put(node("n1", {"fluid.io/dataset-num": "3"}))  # changed after we read it
    from fluid_render.sync.passes import _send
    from fluid_render.sync.reconcile import Rules, _node_patch

    rules = {"default/kafka": Rules({WORKER_LABEL: "true"}, "fluid.io/f-default-kafka", "x")}
    patch = _node_patch(stale, rules, frozenset(rules), Scope())
    assert patch is not None
    streaks = _streaks()
    assert _send(cluster, patch, streaks, Metrics())
    assert owned_labels(fake)["n1"]["fluid.io/dataset-num"] == "4"


def test_a_slow_api_times_out_and_is_reported(
    fake: FakeKube, master: FakeMaster, kubeconfig: Path
) -> None:
    world(fake, "databackup-to-pvc", NODES, master.port)  # type: ignore[attr-defined]
    fake.fault("PATCH", r"/api/v1/nodes/n1", action="delay", delay=3)
    result = sync(kubeconfig, "--once")
    assert result.exit_code == 1
    assert "failing" in result.stderr and "patch Node n1" in result.stderr
    assert fake.get("Dataset", "default", "kafka")["status"]["phase"] == "Bound"


@pytest.mark.parametrize("fault", ["status", "garbage", "slow"])
def test_a_silent_master_costs_only_cache_states(
    fake: FakeKube, master: FakeMaster, kubeconfig: Path, fault: str
) -> None:
    world(fake, "databackup-to-pvc", NODES, master.port)  # type: ignore[attr-defined]
    master.fail_with = 500 if fault == "status" else None
    master.garbage = fault == "garbage"
    master.delay = 1.0 if fault == "slow" else 0.0
    result = sync(kubeconfig, "--once", "--master-timeout", "0.3")
    assert result.exit_code == 0, result.stderr
    assert "master default/kafka" in result.stderr
    status = fake.get("Dataset", "default", "kafka")["status"]
    assert status["phase"] == "Bound" and "cacheStates" not in status


def test_operations_of_a_cron_load_are_reported(
    fake: FakeKube, master: FakeMaster, kubeconfig: Path
) -> None:
    world(fake, "dataload-once-and-cron", NODES, master.port)  # type: ignore[attr-defined]
    assert sync(kubeconfig, "--once").exit_code == 0
    assert fake.get("DataLoad", "default", "flink-warmup")["status"]["phase"] == "Complete"
    assert fake.get("DataLoad", "default", "flink-nightly")["status"]["phase"] == "Pending"


def test_no_cluster_configuration_is_a_clear_error(tmp_path: Path) -> None:
    result = sync(tmp_path / "missing", "--once")
    assert result.exit_code == 1
    assert "no cluster to talk to" in result.stderr


def test_importing_the_cli_loads_no_kubernetes_module() -> None:
    code = (
        "import sys, fluid_render.cli\n"
        "print(any(m.split('.')[0] == 'kubernetes' for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------ leader election
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _cluster(kubeconfig: Path) -> Cluster:
    return connect(str(kubeconfig), None, 2)


def test_one_leader_at_a_time_and_a_silent_leader_is_replaced(
    fake: FakeKube, kubeconfig: Path
) -> None:
    clock = Clock()
    first = Elector(_cluster(kubeconfig), "fluid-system", "sync", "a", 15, clock, clock)
    second = Elector(_cluster(kubeconfig), "fluid-system", "sync", "b", 15, clock, clock)
    assert first.try_acquire()
    assert not second.try_acquire()
    clock.now += 5
    assert first.try_acquire()  # renewed
    assert not second.try_acquire()
    clock.now += 16  # a stops renewing
    assert second.try_acquire()
    assert not first.try_acquire()
    lease = fake.get("Lease", "fluid-system", "sync")["spec"]
    assert lease["holderIdentity"] == "b" and lease["leaseTransitions"] == 1


def test_a_released_lease_is_taken_over_at_once(fake: FakeKube, kubeconfig: Path) -> None:
    clock = Clock()
    first = Elector(_cluster(kubeconfig), "fluid-system", "sync", "a", 15, clock, clock)
    second = Elector(_cluster(kubeconfig), "fluid-system", "sync", "b", 15, clock, clock)
    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()
    clock.now += 2
    assert second.try_acquire()


def test_a_lease_conflict_means_not_leader(fake: FakeKube, kubeconfig: Path) -> None:
    elector = Elector(_cluster(kubeconfig), "fluid-system", "sync", "a", 15)
    fake.fault("POST", r"/leases", status=409)
    assert not elector.try_acquire()
    fake.fault("GET", r"/leases/sync", status=500)
    with pytest.raises(ApiError):
        elector.try_acquire()


# ------------------------------------------------------------------------ the loop
def _streaks() -> Any:
    from fluid_render.sync.logs import Streaks

    return Streaks(logging.getLogger("test-sync"))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _options(port: int = 0, **changes: Any) -> Options:
    values: dict[str, Any] = {
        "scope": Scope(),
        "dry_run": False,
        "resync": 3600.0,  # only watches wake the loop in these tests
        "jitter": 0.2,
        "master_timeout": 0.5,
        "health_port": port,
        "lease_namespace": "fluid-system",
        "lease_name": "fluid-render-sync",
        "lease_duration": 3,
        "identity": "me",
    }
    return Options(**(values | changes))


def wait_for(check: Callable[[], bool], what: str) -> None:
    """Poll a condition (bounded); the loop runs in another thread."""
    for _ in range(400):
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def _start(loop: Loop) -> tuple[threading.Thread, list[int]]:
    code: list[int] = []
    thread = threading.Thread(target=lambda: code.append(loop.run()), daemon=True)
    thread.start()
    return thread, code


def test_the_loop_reacts_to_watches_survives_dropped_and_expired_ones_and_stops_cleanly(
    fake: FakeKube, master: FakeMaster, kubeconfig: Path
) -> None:
    world(fake, "databackup-to-pvc", NODES, master.port)  # type: ignore[attr-defined]
    port = _free_port()
    loop = Loop(_cluster(kubeconfig), _options(port), logging.getLogger("t"), Metrics(), print)
    fake.fault("GET", r"/apis/apps/v1/statefulsets\?.*watch=true", action="drop", times=2)
    thread, code = _start(loop)
    wait_for(lambda: WORKER_LABEL in owned_labels(fake)["n1"], "first pass labels n1")
    fake.expire_watches()  # every open watch gets 410 Gone and must start again
    pod = fake.get("Pod", "default", "kafka-worker-0")
    pod["spec"]["nodeName"] = "n3"
    fake.put(pod)  # seen through a watch only (resync is an hour)

    def moved() -> bool:  # a pass patches n1 and n3 in two requests: wait for both
        labels = owned_labels(fake)
        return WORKER_LABEL in labels["n3"] and WORKER_LABEL not in labels["n1"]

    wait_for(moved, "a watch wakes a pass that moves the label from n1 to n3")
    assert fake.faults[0].times == 0  # both dropped watches happened and were survived
    health = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").read()
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    assert health == b"ok\n"
    assert urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz").status == 200
    assert "fluid_render_sync_leader 1" in metrics
    assert 'fluid_render_sync_patches_total{kind="Node"}' in metrics
    loop.shutdown()
    thread.join(10)
    assert code == [0]
    assert fake.get("Lease", "fluid-system", "fluid-render-sync")["spec"]["holderIdentity"] == ""


def test_a_standby_does_not_sync(fake: FakeKube, kubeconfig: Path) -> None:
    world(fake, "databackup-to-pvc", NODES, None)
    holder = Elector(_cluster(kubeconfig), "fluid-system", "fluid-render-sync", "other", 3600)
    assert holder.try_acquire()
    loop = Loop(_cluster(kubeconfig), _options(), logging.getLogger("t"), Metrics(), print)
    thread, _ = _start(loop)
    wait_for(lambda: loop.api_ok, "the standby talked to the Lease")
    loop.shutdown()
    thread.join(10)
    assert not any(m == "PATCH" for m, _ in fake.requests)
    assert not loop.metrics.leader


def test_dry_run_loop_prints_and_takes_no_lease(fake: FakeKube, kubeconfig: Path) -> None:
    world(fake, "databackup-to-pvc", NODES, None)
    printed: list[str] = []
    loop = Loop(
        _cluster(kubeconfig),
        _options(dry_run=True),
        logging.getLogger("t"),
        Metrics(),
        printed.append,
    )
    thread, _ = _start(loop)
    wait_for(lambda: bool(printed), "a dry pass")
    loop.shutdown()
    thread.join(10)
    assert fake.writes() == []
    assert all(json.loads(line)["patch"] for line in printed)


@pytest.mark.parametrize("case", ["databackup-to-pvc", "dataload-once-and-cron", "api-gateway"])
def test_the_status_written_fits_the_crds_exactly(
    fake: FakeKube, master: FakeMaster, kubeconfig: Path, case: str
) -> None:
    """Every status the syncer writes validates against the CRD's status schema, with unknown
    fields rejected (the API server would silently prune them)."""
    import jsonschema

    from .test_schemas import crd_file, forbid_unknown_fields

    world(fake, case, NODES, master.port)  # type: ignore[attr-defined]
    assert sync(kubeconfig, "--once").exit_code == 0
    for kind in ("Dataset", "AlluxioRuntime", "DataLoad", "DataBackup"):
        version = crd_file(kind)["spec"]["versions"][0]
        schema = forbid_unknown_fields(version["schema"]["openAPIV3Schema"]["properties"]["status"])
        for obj in fake.all(kind):
            assert "status" in obj, (kind, obj["metadata"]["name"])
            jsonschema.validate(obj["status"], schema)


def test_an_unreadable_plan_holds_its_namespace_back_from_pruning(
    fake: FakeKube, master: FakeMaster, kubeconfig: Path
) -> None:
    """A plan from a newer build (unknown format) must not read as "runtime deleted"."""
    world(fake, "databackup-to-pvc", NODES, master.port)  # type: ignore[attr-defined]
    assert sync(kubeconfig, "--once").exit_code == 0
    plan = fake.get("ConfigMap", "default", "kafka-sync-plan")
    body = json.loads(plan["data"]["plan.json"])
    body["format"] = 99
    plan["data"]["plan.json"] = json.dumps(body)
    fake.put(plan)
    result = sync(kubeconfig, "--once")
    assert result.exit_code == 1
    assert "unknown plan format 99" in result.stderr
    assert owned_labels(fake)["n1"][WORKER_LABEL] == "true"


def test_json_logs_are_one_object_per_line(
    fake: FakeKube, master: FakeMaster, kubeconfig: Path
) -> None:
    world(fake, "databackup-to-pvc", NODES, master.port)  # type: ignore[attr-defined]
    master.fail_with = 500
    result = sync(kubeconfig, "--once", "--log-format", "json")
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert {line["message"] for line in lines} == {"failing", "patched", "pass"}
    failing = [line for line in lines if line["message"] == "failing"]
    assert failing[0]["what"] == "master default/kafka" and failing[0]["level"] == "warning"


def test_error_streaks_are_logged_once_and_forgotten_when_gone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from fluid_render.sync.logs import Streaks

    logger = logging.getLogger("streaks-test")
    streaks = Streaks(logger)
    with caplog.at_level(logging.INFO, logger="streaks-test"):
        for _ in range(3):
            streaks.failed("master a/b", "down")
            streaks.end_pass()
        streaks.succeeded("master a/b")
        for index in range(100):
            streaks.failed(f"master ns/{index}", "down")
        streaks.end_pass()
        streaks.end_pass()  # none of them touched in this pass: forgotten
    messages = [record.getMessage() for record in caplog.records]
    assert messages.count("failing") == 101 and messages.count("recovered") == 1
    assert streaks._failing == {}


def test_sigterm_finishes_the_pass_releases_the_lease_and_exits_0(
    fake: FakeKube, master: FakeMaster, kubeconfig: Path
) -> None:
    import signal

    world(fake, "databackup-to-pvc", NODES, master.port)  # type: ignore[attr-defined]
    command = [
        sys.executable,
        "-c",
        "from fluid_render.cli import main; main()",
        "sync",
        "--kubeconfig",
        str(kubeconfig),
        "--health-port",
        "0",
        "--lease-namespace",
        "fluid-system",
    ]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: WORKER_LABEL in owned_labels(fake)["n1"], "the first pass")
        child.send_signal(signal.SIGTERM)
        _, stderr = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 0, stderr
    assert "stopped" in stderr and "Traceback" not in stderr
    assert fake.get("Lease", "fluid-system", "fluid-render-sync")["spec"]["holderIdentity"] == ""


def test_a_leader_in_a_long_pass_keeps_its_lease(fake: FakeKube, kubeconfig: Path) -> None:
    """The Lease is renewed beside the pass: a pass longer than the lease duration does not
    let the standby in (two replicas never sync at once)."""
    world(fake, "databackup-to-pvc", NODES, None)
    first = Loop(
        connect(str(kubeconfig), None, 10),
        _options(identity="a"),
        logging.getLogger("a"),
        Metrics(),
        print,
    )
    thread_a, _ = _start(first)
    wait_for(lambda: first.metrics.leader, "a leads")
    wait_for(lambda: WORKER_LABEL in owned_labels(fake)["n1"], "a's first pass")
    fake.fault("GET", r"/api/v1/nodes\?", action="delay", delay=5)  # lease duration is 3 s
    second = Loop(
        _cluster(kubeconfig), _options(identity="b"), logging.getLogger("b"), Metrics(), print
    )
    thread_b, _ = _start(second)
    first.wake.set()  # a starts a pass that waits 5 s on the node list
    wait_for(lambda: fake.faults[-1].times == 0, "the slow list started")
    wait_for(lambda: second.api_ok, "b talked to the Lease")
    for _ in range(9):  # while a is stuck in its pass (past 3 s of silence on the old design)
        assert not second.metrics.leader
        assert (
            fake.get("Lease", "fluid-system", "fluid-render-sync")["spec"]["holderIdentity"] == "a"
        )
        time.sleep(0.5)
    for loop, thread in ((first, thread_a), (second, thread_b)):
        loop.shutdown()
        thread.join(15)
