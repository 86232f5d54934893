"""DataLoad and DataBackup: ordering, naming, validation and what their Jobs run."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fluid_render.errors import BuildError
from fluid_render.load import parse_documents
from fluid_render.pipeline import Build, build
from fluid_render.plan.ports import Lock, PortRange
from fluid_render.runtimes.alluxio.ordering import job_name

BASE = """apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata: {name: data, namespace: ns}
spec:
  mounts:
    - {mountPoint: "s3://bucket/train/", name: train}
    - {mountPoint: "https://example.org/x/", name: web, path: /deep/web}
---
apiVersion: data.fluid.io/v1alpha1
kind: AlluxioRuntime
metadata: {name: data, namespace: ns}
spec: {replicas: 1}
"""


def load(name: str, spec: str = "target: [{path: /train}]") -> str:
    return (
        f"---\napiVersion: data.fluid.io/v1alpha1\nkind: DataLoad\n"
        f"metadata: {{name: {name}, namespace: ns}}\nspec:\n  dataset: {{name: data}}\n"
        + "".join(f"  {line}\n" for line in spec.splitlines())
    )


def backup(name: str, spec: str = "backupPath: pvc://store/b/") -> str:
    return (
        f"---\napiVersion: data.fluid.io/v1alpha1\nkind: DataBackup\n"
        f"metadata: {{name: {name}, namespace: ns}}\nspec:\n  dataset: data\n"
        + "".join(f"  {line}\n" for line in spec.splitlines())
    )


def run(text: str, runtime: str | None = None) -> Build:
    base = BASE if runtime is None else BASE.replace("spec: {replicas: 1}", runtime)
    docs = parse_documents(base + text, "s.yaml")
    return build(docs, lock=Lock(), lock_source="l", port_range=PortRange(20000, 25000))


def errors(text: str, runtime: str | None = None) -> str:
    with pytest.raises(BuildError) as error:
        run(text, runtime)
    return str(error.value)


def objects(result: Build, kind: str) -> dict[str, Any]:
    return {m.name: yaml.safe_load(m.text) for m in result.manifests if m.kind == kind}


def pod_spec(job: dict[str, Any]) -> dict[str, Any]:
    spec = job["spec"].get("jobTemplate", job)["spec"]
    return spec["template"]["spec"]  # type: ignore[no-any-return]


def env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value") for e in container["env"]}


# --------------------------------------------------------------------------- DataLoad
def test_load_job_runs_the_targets_with_their_replicas() -> None:
    result = run(
        load(
            "l",
            "loadMetadata: true\ntarget:\n  - {path: /train/a, replicas: 3}\n  - {path: /deep/web}",
        )
    )
    [(name, job)] = objects(result, "Job").items()
    assert name.startswith("l-loader-job-") and len(name) == len("l-loader-job-") + 10
    container = pod_spec(job)["containers"][0]
    expected = {
        "DATA_PATH": "/train/a:/deep/web",
        "PATH_REPLICAS": "3:1",
        "NEED_LOAD_METADATA": "true",
    }
    assert expected.items() <= env(container).items()
    assert container["envFrom"] == [{"configMapRef": {"name": "data-config"}}]
    assert [c["name"] for c in pod_spec(job)["initContainers"]] == ["wait-for-runtime"]
    assert job["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "4"
    assert "l-loader-data-load-script" in objects(result, "ConfigMap")


def test_no_targets_loads_everything() -> None:
    job = next(iter(objects(run(load("l", "loadMetadata: false")), "Job").values()))
    assert env(pod_spec(job)["containers"][0])["DATA_PATH"] == "/"


def test_cron_load_is_a_cron_job_without_a_hash() -> None:
    result = run(load("nightly", 'policy: Cron\nschedule: "0 3 * * *"'))
    cron = objects(result, "CronJob")["nightly-loader-job"]
    assert cron["spec"]["schedule"] == "0 3 * * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"


def test_on_event_is_an_error() -> None:
    assert "spec.policy: OnEvent is not supported for Alluxio" in errors(
        load("l", "policy: OnEvent")
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("train", "must be an absolute path"),
        ("/elsewhere", "is not inside any mount"),
        ("/train:x", "must not contain ':'"),
    ],
)
def test_targets_must_be_inside_the_dataset(path: str, message: str) -> None:
    assert f"spec.target[0].path: {message}" in errors(load("l", f"target: [{{path: {path!r}}}]"))


def test_ttl_is_a_warning_not_a_deletion() -> None:
    result = run(load("l", "ttlSecondsAfterFinished: 60"))
    [warning] = result.warnings
    assert "spec.ttlSecondsAfterFinished: not applied" in str(warning)
    assert "ttlSecondsAfterFinished" not in str(objects(result, "Job"))


# --------------------------------------------------------------------------- ordering
def test_run_after_chain_waits_and_orders_waves() -> None:
    text = (
        load("a")
        + backup("b", "backupPath: pvc://s/x\nrunAfter: {kind: DataLoad, name: a}")
        + load("c", "runAfter: {kind: DataBackup, name: b}")
    )
    result = run(text)
    jobs = objects(result, "Job")
    names = {n.split("-")[0]: n for n in jobs}
    waves = {
        k: jobs[n]["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
        for k, n in names.items()
    }
    assert waves == {"a": "4", "b": "5", "c": "6"}
    waits = pod_spec(jobs[names["c"]])["initContainers"]
    assert [w["name"] for w in waits] == [
        "wait-for-previous-job",
        "wait-for-previous-run",
        "wait-for-runtime",
    ]
    assert waits[1]["args"][-1] == f"job/{names['b']}"
    assert pod_spec(jobs[names["c"]])["serviceAccountName"] == "fluid-render-operations"
    assert set(objects(result, "Role")) == {"fluid-render-operations"}


def test_editing_a_predecessor_renames_its_successors() -> None:
    first = objects(run(load("a") + load("c", "runAfter: {kind: DataLoad, name: a}")), "Job")
    second = objects(
        run(
            load("a", "target: [{path: /train/x}]")
            + load("c", "runAfter: {kind: DataLoad, name: a}")
        ),
        "Job",
    )
    assert not set(first) & set(second)


def test_dangling_and_cyclic_run_after_name_both_documents() -> None:
    assert (
        "spec.runAfter.name: DataLoad ns/a runs after DataLoad ns/ghost, which is not in the inputs"
    ) in errors(load("a", "runAfter: {kind: DataLoad, name: ghost}"))
    message = errors(
        load("a", "runAfter: {kind: DataLoad, name: b}")
        + load("b", "runAfter: {kind: DataLoad, name: a}")
    )
    assert "runAfter forms a cycle: DataLoad a (s.yaml:" in message
    assert "-> DataLoad b (s.yaml:" in message


def _after(kind: str, name: str, extra: str = "") -> str:
    return f"target: [{{path: /train}}]\nrunAfter: {{kind: {kind}, name: {name}{extra}}}"


def test_every_bad_run_after_is_reported_at_its_field() -> None:
    """Unsupported kinds and other namespaces, each at its own field, all in one report."""
    other_namespace = load("b", _after("DataLoad", "c", ", namespace: other"))
    text = load("a", _after("DataMigrate", "m")) + other_namespace + load("c")
    assert errors(text + load("d", _after("DataMigrate", "m"))).splitlines() == [
        "s.yaml:20:14: spec.runAfter.kind: runAfter a DataMigrate is not supported for Alluxio",
        "s.yaml:28:39: spec.runAfter.namespace: must be the DataLoad's own namespace 'ns'",
        "s.yaml:43:14: spec.runAfter.kind: runAfter a DataMigrate is not supported for Alluxio",
    ]


def test_every_missing_predecessor_is_reported_and_an_empty_namespace_is_its_own() -> None:
    text = load("a", _after("DataLoad", "x")) + load("b", _after("DataBackup", "y"))
    assert errors(text).splitlines() == [
        "s.yaml:20:30: spec.runAfter.name: DataLoad ns/a runs after DataLoad ns/x, which is not "
        "in the inputs",
        "s.yaml:28:32: spec.runAfter.name: DataLoad ns/b runs after DataBackup ns/y, which is not "
        "in the inputs",
    ]
    result = run(load("a") + load("b", _after("DataLoad", "a", ', namespace: ""')))
    first, second = sorted(objects(result, "Job"))
    [text] = [m.text for m in result.manifests if m.kind == "Job" and m.name == second]
    assert first in text  # b waits for a's Job


def test_every_cycle_is_reported_once_with_each_step() -> None:
    three = [load(n, _after("DataLoad", m)) for n, m in (("a", "b"), ("b", "c"), ("c", "a"))]
    two = [load(n, _after("DataLoad", m)) for n, m in (("x", "y"), ("y", "x"))]
    assert errors("".join(three + two)).splitlines() == [
        "s.yaml:20:3: spec.runAfter: runAfter forms a cycle: DataLoad a (s.yaml:20:3) -> "
        "DataLoad b (s.yaml:28:3) -> DataLoad c (s.yaml:36:3) -> back to the first",
        "s.yaml:44:3: spec.runAfter: runAfter forms a cycle: DataLoad x (s.yaml:44:3) -> "
        "DataLoad y (s.yaml:52:3) -> back to the first",
    ]


def test_an_affinity_strategy_is_ignored_with_a_warning() -> None:
    strategy = ", affinityStrategy: {policy: Require}"
    result = run(load("a") + load("b", _after("DataLoad", "a", strategy)))
    assert [str(w) for w in result.warnings] == [
        "s.yaml:27:39: spec.runAfter.affinityStrategy: ignored: it needs the node the "
        "predecessor ran on, which only the running cluster knows"
    ]


def test_a_ttl_is_not_applied_and_says_why() -> None:
    """A Job that deletes itself would come back from git and run again (README, "Data
    operations")."""
    result = run(load("a", "target: [{path: /train}]\nttlSecondsAfterFinished: 600"))
    assert [str(w) for w in result.warnings] == [
        "s.yaml:20:3: spec.ttlSecondsAfterFinished: not applied: the finished Job stays, because "
        "deleting it would make Argo CD or Flux create it again and run it again; remove the "
        "document from git to delete it"
    ]
    [job] = objects(result, "Job").values()
    assert "ttlSecondsAfterFinished" not in job["spec"]


def test_unordered_operations_on_one_dataset_are_rejected() -> None:
    assert errors(load("a") + backup("b")) == (
        "s.yaml:16:12: metadata.name: DataLoad a and DataBackup b (s.yaml:23:12) both act on "
        "dataset data with no order between them; add `runAfter: {kind: DataBackup, name: b}` "
        "to DataLoad a"
    )
    # every unordered pair is reported, also after an ordered one
    after_a = "target: [{path: /train}]\nrunAfter: {kind: DataLoad, name: a}"
    assert errors(load("a") + load("b", after_a) + load("c")).splitlines() == [
        f"s.yaml:31:12: metadata.name: DataLoad c and DataLoad {other} (s.yaml:{line}:12) both "
        f"act on dataset data with no order between them; add `runAfter: {{kind: DataLoad, "
        f"name: {other}}}` to DataLoad c"
        for other, line in (("a", 16), ("b", 23))
    ]
    run(load("a") + load("nightly", 'policy: Cron\nschedule: "@daily"'))  # cron is exempt


# --------------------------------------------------------------------------- DataBackup
def test_backup_to_a_pvc() -> None:
    job = next(iter(objects(run(backup("b", "backupPath: pvc://store/sub/dir")), "Job").values()))
    pod = pod_spec(job)
    tool = pod["containers"][0]
    assert env(tool)["BACKUP_PVC"] == "store" and env(tool)["BACKUP_PATH"] == "/sub/dir/"
    master = "-Dalluxio.master.hostname=data-master-0.ns -Dalluxio.master.rpc.port=20000"
    assert env(tool)["ALLUXIO_JAVA_OPTS"] == master
    assert {"name": "pvc", "persistentVolumeClaim": {"claimName": "store"}} in pod["volumes"]
    assert tool["securityContext"] == {"runAsUser": 0, "runAsGroup": 0}
    affinity = pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert (
        affinity[0]["labelSelector"]["matchLabels"]["statefulset.kubernetes.io/pod-name"]
        == "data-master-0"
    )


def test_backup_to_a_host_path_as_a_user() -> None:
    text = backup(
        "b", "backupPath: local:///backups/data\nrunAs: {uid: 7, gid: 8, user: u, group: g}"
    )
    pod = pod_spec(next(iter(objects(run(text), "Job").values())))
    assert {
        "name": "host",
        "hostPath": {"path": "/backups/data/", "type": "DirectoryOrCreate"},
    } in pod["volumes"]
    assert pod["containers"][0]["securityContext"] == {"runAsUser": 7, "runAsGroup": 8}
    assert pod["initContainers"][0]["name"] == "init-users"


def test_backup_needs_a_single_master() -> None:
    assert "DataBackup needs a single master" in errors(
        backup("b"), runtime="spec: {replicas: 1, master: {replicas: 3}}"
    )


def test_the_master_keeps_backups_on_its_node() -> None:
    master = objects(run(""), "StatefulSet")["data-master"]
    volumes = master["spec"]["template"]["spec"]["volumes"]
    assert {
        "name": "alluxio-backup",
        "hostPath": {"path": "/tmp/alluxio-backup/ns/data", "type": "DirectoryOrCreate"},
    } in volumes


# --------------------------------------------------------------------------- hash naming
NAMES = st.from_regex(r"\A[a-z][a-z0-9]{0,8}\Z")


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(NAMES, st.from_regex(r"\A[a-z0-9]{1,8}\Z"), min_size=2, max_size=5),
    st.randoms(),
)
def test_job_name_ignores_map_order(selector: dict[str, str], rnd: Any) -> None:
    items = list(selector.items())
    shuffled = items[:]
    rnd.shuffle(shuffled)
    as_yaml = "nodeSelector: {" + ", ".join(f'"{k}": "{v}"' for k, v in items) + "}"
    reordered = "nodeSelector: {" + ", ".join(f'"{k}": "{v}"' for k, v in shuffled) + "}"
    assert set(objects(run(load("l", as_yaml)), "Job")) == set(
        objects(run(load("l", reordered)), "Job")
    )


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(
        [
            "loadMetadata: true",
            "target: [{path: /train, replicas: 2}]",
            "target: [{path: /deep/web}]",
            "schedulerName: other",
            "nodeSelector: {a: b}",
            "resources: {requests: {cpu: '1'}}",
            "podMetadata: {labels: {x: y}}",
            "tolerations: [{operator: Exists}]",
        ]
    )
)
def test_job_name_changes_with_a_meaningful_field(change: str) -> None:
    before = set(objects(run(load("l", "target: [{path: /train}]")), "Job"))
    after = set(objects(run(load("l", change)), "Job"))
    assert before != after


def _with_rerun(text: str, token: str) -> str:
    return text.replace(
        "namespace: ns}\nspec:\n  dataset: {name: data}",
        f"namespace: ns, annotations: {{fluid-render.io/rerun: '{token}'}}}}\n"
        "spec:\n  dataset: {name: data}",
    )


def test_rerun_annotation_renames_the_job_and_changes_nothing_else() -> None:
    successor = load("after", "target: [{path: /train}]\nrunAfter: {kind: DataLoad, name: warm}")
    before = run(load("warm") + successor)
    rerun = _with_rerun(load("warm"), "2026-12-01") + successor
    after = run(rerun)
    old_jobs, new_jobs = objects(before, "Job"), objects(after, "Job")
    assert len(old_jobs) == len(new_jobs) == 2 and not set(old_jobs) & set(new_jobs)
    text = "".join(m.text for m in before.manifests)
    for old, new in zip(sorted(old_jobs), sorted(new_jobs), strict=True):
        text = text.replace(old, new)  # the successor waits for the new Job, and runs again
    assert _without_rerun(after) == text
    # the same token is the same run; another token is another run
    assert set(objects(run(rerun), "Job")) == set(new_jobs)
    other = objects(run(_with_rerun(load("warm"), "2") + successor), "Job")
    assert len(other) == 2 and not set(other) & set(new_jobs)


def test_job_names_are_pinned_across_releases() -> None:
    """A new release must not rename an unchanged operation's Job: Argo CD would run it again.
    The digest covers the kind, the spec, the image, the scripts, the predecessor and the rerun
    token under its own key; a change to any of these rules shows here first."""
    successor = load("after", "target: [{path: /train}]\nrunAfter: {kind: DataLoad, name: warm}")
    assert sorted(objects(run(load("warm") + successor), "Job")) == [
        "after-loader-job-6c6189bb32",
        "warm-loader-job-ac873ef299",
    ]
    assert sorted(objects(run(_with_rerun(load("warm"), "2026-12-01") + successor), "Job")) == [
        "after-loader-job-6e3c503829",
        "warm-loader-job-350f75d626",
    ]
    # non-ASCII text enters the digest as UTF-8, not as JSON escapes
    assert list(objects(run(load("w", "target: [{path: /train/データ}]")), "Job")) == [
        "w-loader-job-8fcf975c82"
    ]


def test_job_names_use_the_whole_label_limit() -> None:
    """`<base>-<10 hex>` in at most 63 characters: a base of 52 is kept whole, a longer one is
    cut to a prefix and a hash of its own, and the name is exactly 63 characters long."""
    digest = "0123456789"
    assert job_name("a" * 52, digest) == "a" * 52 + "-" + digest
    long = job_name("b" * 80, digest)
    assert len(long) == 63 and long.startswith("b" * 41 + "-") and long.endswith("-" + digest)


def _without_rerun(result: Build) -> str:
    annotation = '    fluid-render.io/rerun: "2026-12-01"\n'
    return "".join(m.text.replace(annotation, "") for m in result.manifests)


def test_loads_wait_for_a_worker_and_backups_do_not() -> None:
    result = run(
        load("l") + backup("b", "backupPath: pvc://store/b/\nrunAfter: {kind: DataLoad, name: l}")
    )
    waits = [
        env(pod_spec(job)["initContainers"][-1]).get("FLUID_WAIT_WORKERS")
        for job in objects(result, "Job").values()
    ]
    assert sorted(waits, key=str) == ["1", None]
    idle = run(load("l"), runtime="spec: {replicas: 0}")
    (job,) = objects(idle, "Job").values()
    assert env(pod_spec(job)["initContainers"][-1])["FLUID_WAIT_WORKERS"] == "0"


def test_a_passthrough_config_map_decides_the_hadoop_files() -> None:
    config_map = (
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: hc, namespace: ns}\n"
        "data: {core-site.xml: '<configuration/>'}\n"
    )
    text = BASE.replace("spec: {replicas: 1}", "spec: {replicas: 1, hadoopConfig: hc}")
    docs = parse_documents(text + config_map, "s.yaml")
    result = build(
        docs, lock=Lock(), lock_source="l", port_range=PortRange(20000, 25000), passthrough=True
    )
    master = objects(result, "StatefulSet")["data-master"]
    (volume,) = [v for v in pod_spec(master)["volumes"] if v["name"] == "hdfs-confs"]
    assert volume["configMap"]["items"] == [{"key": "core-site.xml", "path": "core-site.xml"}]
