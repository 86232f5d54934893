"""`fluid-render inject`: upstream's webhook mutations of application pods, applied in git.

Golden cases live in golden-inject/<case>/{specs,apps,expected}; refresh them after a reviewed
change with `pytest tests/test_inject.py --update-golden` and review `git diff golden-inject/`.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluid_render.check import validator_for
from fluid_render.errors import BuildError
from fluid_render.inject import (
    Facts,
    facts_from_build,
    inject_documents,
    inject_passthrough,
    stream,
)
from fluid_render.load import parse_documents
from fluid_render.pipeline import build
from fluid_render.plan.ports import Lock, PortRange
from fluid_render.sources import read_texts

from .conftest import ROOT, read_tree, run

GOLDEN_INJECT = ROOT / "golden-inject"
CASES = sorted(p.name for p in GOLDEN_INJECT.iterdir() if (p / "apps").is_dir())

SPECS = """\
apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata: {name: laion, namespace: ml}
spec:
  mounts: [{mountPoint: "https://example.org/laion/", name: laion}]
---
apiVersion: data.fluid.io/v1alpha1
kind: AlluxioRuntime
metadata: {name: laion, namespace: ml}
spec:
  replicas: 1
  fuse:
    nodeSelector: {nvidia.com/gpu.present: "true", accelerator: a100}
  tieredstore:
    levels: [{mediumtype: MEM, path: /dev/shm, quota: 2Gi}]
---
apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata: {name: zookeeper, namespace: data-team}
spec:
  mounts: [{mountPoint: "https://example.org/zk/", name: zookeeper}]
---
apiVersion: data.fluid.io/v1alpha1
kind: AlluxioRuntime
metadata: {name: zookeeper, namespace: data-team}
spec:
  replicas: 1
  worker:
    nodeSelector: {topology.kubernetes.io/zone: eu-1a}
  tieredstore:
    levels: [{mediumtype: MEM, path: /dev/shm, quota: 1Gi}]
---
apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata: {name: images, namespace: apps}
spec:
  mounts: [{mountPoint: "https://example.org/images/", name: images}]
---
apiVersion: data.fluid.io/v1alpha1
kind: AlluxioRuntime
metadata: {name: images, namespace: apps}
spec:
  replicas: 1
  tieredstore:
    levels: [{mediumtype: MEM, path: /dev/shm, quota: 1Gi}]
---
apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata: {name: captions, namespace: apps}
spec:
  mounts: [{mountPoint: "https://example.org/captions/", name: captions}]
---
apiVersion: data.fluid.io/v1alpha1
kind: AlluxioRuntime
metadata: {name: captions, namespace: apps}
spec:
  replicas: 1
  tieredstore:
    levels: [{mediumtype: MEM, path: /dev/shm, quota: 1Gi}]
"""

GPU = {"key": "nvidia.com/gpu.present", "operator": "In", "values": ["true"]}
A100 = {"key": "accelerator", "operator": "In", "values": ["a100"]}
LAION_CACHE = {"key": "fluid.io/s-ml-laion", "operator": "In", "values": ["true"]}
ZK_CACHE = {"key": "fluid.io/s-data-team-zookeeper", "operator": "In", "values": ["true"]}


@pytest.fixture(scope="module")
def facts() -> Facts:
    result = build(
        parse_documents(SPECS, "specs.yaml"),
        lock=Lock(),
        lock_source="lock",
        port_range=PortRange(20000, 25000),
        passthrough=True,
    )
    return facts_from_build(result.planned, result.passthrough)


def _with(facts: Facts, **changes: Any) -> Facts:
    return Facts(**{**facts.__dict__, **changes})


def _inject(text: str, facts: Facts) -> str:
    return inject_documents({"app.yaml": textwrap.dedent(text)}, facts)[0].text


def _load(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def _pod(claims: list[str], namespace: str = "ml", **spec: Any) -> str:
    """A Pod mounting each claim in one container, plus whatever spec fields are given."""
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": namespace, **spec.pop("metadata", {})},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "busybox",
                    "volumeMounts": [
                        {"name": f"v{i}", "mountPath": f"/d{i}"} for i in range(len(claims))
                    ],
                }
            ],
            "volumes": [
                {"name": f"v{i}", "persistentVolumeClaim": {"claimName": c}}
                for i, c in enumerate(claims)
            ],
            **spec,
        },
    }
    return yaml.safe_dump(pod, sort_keys=False)


def _node_affinity(obj: dict[str, Any]) -> dict[str, Any]:
    return dict(obj["spec"].get("affinity", {}).get("nodeAffinity", {}))


def _required(obj: dict[str, Any]) -> list[list[dict[str, Any]]]:
    required = _node_affinity(obj).get("requiredDuringSchedulingIgnoredDuringExecution", {})
    return [t.get("matchExpressions", []) for t in required.get("nodeSelectorTerms", [])]


def _preferred(obj: dict[str, Any]) -> list[tuple[int, list[dict[str, Any]]]]:
    terms = _node_affinity(obj).get("preferredDuringSchedulingIgnoredDuringExecution", [])
    return [(t["weight"], t["preference"]["matchExpressions"]) for t in terms]


def _assert_valid(text: str) -> None:
    for obj in _load(text):
        assert validator_for(obj, "1.31")(obj) == [], obj


# --- facts -----------------------------------------------------------------------------------


def test_facts_come_from_the_rendered_objects(facts: Facts) -> None:
    assert sorted(facts.datasets) == [
        ("apps", "captions"),
        ("apps", "images"),
        ("data-team", "zookeeper"),
        ("ml", "laion"),
    ]
    laion = facts.datasets[("ml", "laion")]
    assert laion.fuse_node_selector == (("accelerator", "a100"), ("nvidia.com/gpu.present", "true"))
    assert laion.host_mount_path == "/runtime-mnt/alluxio/ml/laion/alluxio-fuse"
    assert laion.fuse_container["name"] == "alluxio-fuse"
    assert [v["name"] for v in laion.fuse_volumes] == [
        "alluxio-fuse-device",
        "alluxio-fuse-mount",
        "mem",
    ]
    assert laion.cache_label == "fluid.io/s-ml-laion"
    zone = {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["eu-1a"]}
    assert facts.datasets[("data-team", "zookeeper")].cache_affinity == (zone,)


# --- serverful plugins -------------------------------------------------------------------------


def test_require_node_with_fuse_adds_the_runtime_fuse_selector(facts: Facts) -> None:
    (obj,) = _load(_inject(_pod(["laion"]), facts))
    assert _required(obj) == [[A100, GPU]]  # sorted by key: Go map order is random


def test_require_node_with_fuse_ands_every_existing_term(facts: Facts) -> None:
    arch = [
        {"key": "kubernetes.io/arch", "operator": "In", "values": [a]} for a in ("amd64", "arm64")
    ]
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [a]} for a in arch]
            }
        }
    }
    (obj,) = _load(_inject(_pod(["laion"], affinity=affinity), facts))
    assert _required(obj) == [[arch[0], A100, GPU], [arch[1], A100, GPU]]


def test_require_node_with_fuse_adds_nothing_without_a_fuse_selector(facts: Facts) -> None:
    (obj,) = _load(_inject(_pod(["zookeeper"], namespace="data-team"), facts))
    assert _required(obj) == []


def test_node_affinity_with_cache_prefers_cache_nodes_and_the_worker_zone(facts: Facts) -> None:
    (obj,) = _load(_inject(_pod(["zookeeper"], namespace="data-team"), facts))
    zone = {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["eu-1a"]}
    assert _preferred(obj) == [(100, [ZK_CACHE]), (50, [zone])]


def test_node_affinity_with_cache_requires_when_the_pod_asks(facts: Facts) -> None:
    metadata = {"labels": {"fluid.io/dataset.laion.sched": "required"}}
    (obj,) = _load(_inject(_pod(["laion"], metadata=metadata), facts))
    assert _required(obj) == [[A100, GPU, LAION_CACHE]]
    assert _preferred(obj) == []


@pytest.mark.parametrize(
    "spec",
    [
        {"nodeSelector": {"topology.kubernetes.io/zone": "eu-1b"}},
        {"nodeSelector": {"fluid.io/s-data-team-zookeeper": "true"}},
        {
            "affinity": {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 5,
                            "preference": {
                                "matchExpressions": [
                                    {
                                        "key": "topology.kubernetes.io/region",
                                        "operator": "Exists",
                                    }
                                ]
                            },
                        }
                    ]
                }
            }
        },
    ],
    ids=["zone-selector", "cache-selector", "region-preference"],
)
def test_node_affinity_with_cache_is_skipped_when_the_pod_has_locality(
    facts: Facts, spec: dict[str, Any]
) -> None:
    (obj,) = _load(_inject(_pod(["zookeeper"], namespace="data-team", **spec), facts))
    assert ZK_CACHE not in [e for _, exprs in _preferred(obj) for e in exprs]
    assert _required(obj) == []
    assert obj["metadata"]["annotations"] == {"fluid.io/datasets-in-use": "zookeeper"}


def test_mount_propagation_only_for_app_containers_and_only_if_unset(facts: Facts) -> None:
    text = """\
    apiVersion: v1
    kind: Pod
    metadata: {name: p, namespace: ml}
    spec:
      initContainers:
        - {name: init, image: busybox, volumeMounts: [{name: d, mountPath: /d}]}
      containers:
        - name: app
          image: busybox
          volumeMounts:
            - {name: d, mountPath: /d}
            - {name: d, mountPath: /e, mountPropagation: None}
            - {name: scratch, mountPath: /s}
      volumes:
        - {name: d, persistentVolumeClaim: {claimName: laion}}
        - {name: scratch, emptyDir: {}}
    """
    (obj,) = _load(_inject(text, facts))
    mounts = obj["spec"]["containers"][0]["volumeMounts"]
    assert [m.get("mountPropagation") for m in mounts] == ["HostToContainer", "None", None]
    assert "mountPropagation" not in obj["spec"]["initContainers"][0]["volumeMounts"][0]


def test_dataset_usage_merges_sorted_with_the_existing_value(facts: Facts) -> None:
    metadata = {"annotations": {"fluid.io/datasets-in-use": "zeta, captions ,"}}
    (obj,) = _load(_inject(_pod(["images"], namespace="apps", metadata=metadata), facts))
    assert obj["metadata"]["annotations"]["fluid.io/datasets-in-use"] == "captions,images,zeta"


def test_prefer_nodes_without_cache_only_with_the_flag_and_without_datasets(facts: Facts) -> None:
    plain = _pod([], namespace="ml")
    assert _inject(plain, facts) == plain
    prefer = _with(facts, prefer_nodes_without_cache=True)
    (obj,) = _load(_inject(plain, prefer))
    assert _preferred(obj) == [(100, [{"key": "fluid.io/dataset-num", "operator": "DoesNotExist"}])]
    (obj,) = _load(_inject(_pod(["laion"]), prefer))
    assert (100, [{"key": "fluid.io/dataset-num", "operator": "DoesNotExist"}]) not in _preferred(
        obj
    )


def test_a_claim_of_another_namespace_is_not_a_dataset(facts: Facts) -> None:
    text = _pod(["laion"], namespace="data-team")
    assert _inject(text, facts) == text


# --- serverless: the FUSE sidecar ----------------------------------------------------------------


def test_sidecar_on_a_pod(facts: Facts) -> None:
    metadata = {"labels": {"serverless.fluid.io/inject": "true"}}
    out = _inject(_pod(["laion"], metadata=metadata), facts)
    (obj,) = _load(out)
    spec = obj["spec"]
    assert [c["name"] for c in spec["containers"]] == ["fluid-fuse-0", "app"]
    fuse = spec["containers"][0]
    assert fuse["image"] == facts.datasets[("ml", "laion")].fuse_container["image"]
    # the cache tier (mem) is dropped unless the pod asks; FUSE volumes get the -0 suffix
    assert [m["name"] for m in fuse["volumeMounts"]] == [
        "alluxio-fuse-device-0",
        "alluxio-fuse-mount-0",
    ]
    assert spec["volumes"][0] == {
        "name": "v0",
        "hostPath": {"path": "/runtime-mnt/alluxio/ml/laion/alluxio-fuse"},
    }
    assert [v["name"] for v in spec["volumes"]] == [
        "v0",
        "alluxio-fuse-device-0",
        "alluxio-fuse-mount-0",
    ]
    assert spec["containers"][1]["volumeMounts"][0]["mountPropagation"] == "HostToContainer"
    assert obj["metadata"]["labels"] == {
        "serverless.fluid.io/inject": "true",
        "dataset-name.sidecar.fluid.io/fluid-fuse-0": "laion",
        "dataset-namespace.sidecar.fluid.io/fluid-fuse-0": "ml",
        "done.sidecar.fluid.io/inject": "true",
        "fluid.io/managed-by": "fluid",
    }
    assert obj["metadata"]["annotations"] == {
        "fluid.io/datasets-in-use": "laion",
        # the sidecar's ${ALLUXIO_CLIENT_HOSTNAME} must survive Flux's substitution
        "kustomize.toolkit.fluxcd.io/substitute": "disabled",
    }
    assert "affinity" not in spec  # serverless pods get no scheduling plugins
    _assert_valid(out)


def test_sidecar_keeps_the_mount_path_after_user_fuse_args() -> None:
    """The sidecar copies the DaemonSet's container: user args get the mount point too."""
    specs = SPECS.replace("  fuse:\n", '  fuse:\n    args: ["fuse", "--fuse-opts=ro"]\n', 1)
    result = build(
        parse_documents(specs, "specs.yaml"),
        lock=Lock(),
        lock_source="lock",
        port_range=PortRange(20000, 25000),
    )
    own = facts_from_build(result.planned)
    metadata = {"labels": {"serverless.fluid.io/inject": "true"}}
    (obj,) = _load(_inject(_pod(["laion"], metadata=metadata), own))
    assert obj["spec"]["containers"][0]["args"] == [
        "fuse",
        "--fuse-opts=ro,allow_other",
        "/runtime-mnt/alluxio/ml/laion/alluxio-fuse",
        "/",
    ]


def test_sidecar_on_a_deployment_in_an_injecting_namespace(facts: Facts) -> None:
    text = """\
    apiVersion: v1
    kind: Namespace
    metadata:
      name: apps
      labels: {fluid.io/enable-injection: "true"}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: apps}
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata:
          labels: {app: web}
        spec:
          containers:
            - name: web
              image: nginx
              volumeMounts:
                - {name: images, mountPath: /images}
                - {name: captions, mountPath: /captions}
          volumes:
            - {name: images, persistentVolumeClaim: {claimName: images}}
            - {name: captions, persistentVolumeClaim: {claimName: captions}}
            - {name: alluxio-fuse-mount-0, emptyDir: {}}
    """
    out = _inject(text, facts)
    namespace, deployment = _load(out)
    assert namespace == _load(textwrap.dedent(text))[0]
    pod = deployment["spec"]["template"]
    names = [c["name"] for c in pod["spec"]["containers"]]
    assert names == ["fluid-fuse-1", "fluid-fuse-0", "web"]  # datasets sorted, each prepended
    volumes = [v["name"] for v in pod["spec"]["volumes"]]
    assert volumes == [
        "images",
        "captions",
        "alluxio-fuse-mount-0",
        "alluxio-fuse-device-0",
        "fluid-o-fuse-mount-0",  # upstream's prefix replacement on a clash
        "alluxio-fuse-device-1",
        "alluxio-fuse-mount-1",
    ]
    fuse0 = pod["spec"]["containers"][1]
    assert [m["name"] for m in fuse0["volumeMounts"]] == [
        "alluxio-fuse-device-0",
        "fluid-o-fuse-mount-0",
    ]
    assert pod["metadata"]["labels"]["dataset-name.sidecar.fluid.io/fluid-fuse-0"] == "captions"
    assert pod["metadata"]["labels"]["dataset-name.sidecar.fluid.io/fluid-fuse-1"] == "images"
    assert pod["metadata"]["annotations"] == {"fluid.io/datasets-in-use": "captions,images"}
    assert "labels" not in deployment["metadata"]  # the Deployment's own metadata is untouched
    _assert_valid(out)


def test_sidecar_for_init_containers_sleeps(facts: Facts) -> None:
    text = """\
    apiVersion: v1
    kind: Pod
    metadata:
      name: p
      namespace: ml
      labels: {fuse.sidecar.fluid.io/inject: "true", cachedir.sidecar.fluid.io/inject: "true"}
    spec:
      initContainers:
        - {name: warm, image: busybox, volumeMounts: [{name: d, mountPath: /d}]}
      containers:
        - {name: app, image: busybox}
      volumes:
        - {name: d, persistentVolumeClaim: {claimName: laion}}
    """
    out = _inject(text, facts)
    (obj,) = _load(out)
    assert [c["name"] for c in obj["spec"]["containers"]] == ["app"]  # no app mount, no sidecar
    init = obj["spec"]["initContainers"][0]
    assert init["name"] == "init-fluid-fuse-0"
    assert (init["command"], init["args"], "lifecycle" in init) == (["sleep"], ["2s"], False)
    assert "mem-0" in [m["name"] for m in init["volumeMounts"]]  # cache dirs kept on request
    assert obj["spec"]["initContainers"][1]["volumeMounts"][0]["mountPropagation"] == (
        "HostToContainer"
    )
    _assert_valid(out)


def test_unprivileged_sidecar_is_an_error(facts: Facts) -> None:
    metadata = {
        "labels": {
            "serverless.fluid.io/inject": "true",
            "unprivileged.sidecar.fluid.io/inject": "true",
        }
    }
    with pytest.raises(BuildError, match="unprivileged FUSE sidecar is not supported"):
        _inject(_pod(["laion"], metadata=metadata), facts)


# --- skip rules, kinds, strictness, errors -----------------------------------------------------


@pytest.mark.parametrize(
    "labels",
    [
        {"fluid.io/enable-injection": "false"},
        {"done.sidecar.fluid.io/inject": "true"},
        {"done.sidecar.fluid.io/inject": "true", "serverless.fluid.io/inject": "true"},
    ],
)
def test_skip_labels_leave_the_pod_alone(facts: Facts, labels: dict[str, str]) -> None:
    text = _pod(["laion"], metadata={"labels": labels})
    assert _inject(text, facts) == text


def test_job_and_cronjob_templates(facts: Facts) -> None:
    template = {
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "c",
                    "image": "busybox",
                    "volumeMounts": [{"name": "zk", "mountPath": "/zk"}],
                }
            ],
            "volumes": [{"name": "zk", "persistentVolumeClaim": {"claimName": "zookeeper"}}],
        }
    }
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {"template": template},
    }
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "c"},
        "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}},
    }
    text = yaml.safe_dump_all([job, cron], sort_keys=False)
    out = _inject(text, _with(facts, namespace="data-team"))  # -n data-team
    new_job, new_cron = _load(out)
    for pod in (new_job["spec"]["template"], new_cron["spec"]["jobTemplate"]["spec"]["template"]):
        assert pod["metadata"] == {"annotations": {"fluid.io/datasets-in-use": "zookeeper"}}
        assert list(pod) == ["metadata", "spec"]  # metadata goes first, as people write it
        assert _preferred(pod)[0] == (100, [ZK_CACHE])
    _assert_valid(out)


def test_unknown_kinds_and_other_api_groups_pass_unchanged(facts: Facts) -> None:
    text = """\
    apiVersion: batch.volcano.sh/v1alpha1
    kind: Job
    metadata: {name: v, namespace: ml}
    spec:
      tasks:
        - name: t
          template: {spec: {volumes: [{name: d, persistentVolumeClaim: {claimName: laion}}]}}
    ---
    apiVersion: example.org/v1
    kind: Widget
    spec: {volumes: [{persistentVolumeClaim: {claimName: laion}}]}
    ---
    - a list
    - is not an object
    """
    text = textwrap.dedent(text)
    assert _inject(text, facts) == text


def _warnings(text: str, facts: Facts) -> list[str]:
    (file,) = inject_documents({"app.yaml": textwrap.dedent(text)}, facts)
    return [str(w) for w in file.warnings]


def test_unknown_kinds_that_mount_a_dataset_are_named_in_a_warning(facts: Facts) -> None:
    text = """\
    apiVersion: batch.volcano.sh/v1alpha1
    kind: Job
    metadata: {name: v, namespace: ml}
    spec:
      tasks:
        - name: t
          template: {spec: {volumes: [{name: d, persistentVolumeClaim: {claimName: laion}}]}}
    ---
    apiVersion: example.org/v1
    kind: Widget
    metadata: {name: w, namespace: ml}
    spec: {volumes: [{persistentVolumeClaim: {claimName: not-a-dataset}}]}
    """
    (warning,) = _warnings(text, facts)
    assert warning.startswith(
        "app.yaml:7:69: spec.tasks[0].template.spec.volumes[0].persistentVolumeClaim.claimName: "
        "Job ml/v mounts the claim of dataset ml/laion, but inject does not know where its "
        "pods are"
    )
    with pytest.raises(BuildError, match=r"Job ml/v mounts the claim .*\(--strict\)"):
        inject_documents({"app.yaml": textwrap.dedent(text)}, _with(facts, strict=True))


WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: wf, namespace: ml}
spec:
  podMetadata: {labels: {serverless.fluid.io/inject: "true"}}
  volumes: [{name: d, persistentVolumeClaim: {claimName: laion}}]
  templates:
    - name: a
      container: {image: busybox, volumeMounts: [{name: d, mountPath: /d}]}
      affinity: {}
"""


def test_workflows_get_no_sidecar_but_a_warning(facts: Facts) -> None:
    (warning,) = _warnings(WORKFLOW, facts)
    assert "spec.podMetadata: the FUSE sidecar is not injected into Argo Workflows" in warning
    assert _inject(WORKFLOW, facts) == WORKFLOW


def test_a_template_with_its_own_affinity_is_named(facts: Facts) -> None:
    text = WORKFLOW.replace('  podMetadata: {labels: {serverless.fluid.io/inject: "true"}}\n', "")
    (warning,) = _warnings(text, facts)
    assert "spec.templates[0].affinity: this template's own affinity replaces" in warning
    (obj,) = _load(_inject(text, facts))
    assert _required({"spec": obj["spec"]}) == [[A100, GPU]]
    mount = obj["spec"]["templates"][0]["container"]["volumeMounts"][0]
    assert mount["mountPropagation"] == "HostToContainer"


def test_cron_workflows_and_rollouts_by_reference(facts: Facts) -> None:
    cron = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "metadata": {"name": "c", "namespace": "ml"},
        "spec": {"schedule": "@daily", "workflowSpec": yaml.safe_load(WORKFLOW)["spec"]},
    }
    del cron["spec"]["workflowSpec"]["podMetadata"]
    (obj,) = _load(_inject(yaml.safe_dump(cron, sort_keys=False), facts))
    assert obj["spec"]["workflowSpec"]["podMetadata"] == {
        "annotations": {"fluid.io/datasets-in-use": "laion"}
    }
    rollout = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\n"
    rollout += "spec: {workloadRef: {kind: Deployment, name: d}}\n"
    assert _inject(rollout, facts) == rollout


def test_list_items_are_injected(facts: Facts) -> None:
    pod = yaml.safe_load(_pod(["laion"]))
    text = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [pod]}, sort_keys=False)
    (obj,) = _load(_inject(text, facts))
    assert _required(obj["items"][0]) == [[A100, GPU]]


def test_strict_rejects_claims_that_name_no_dataset(facts: Facts) -> None:
    text = _pod(["laion", "scratch-claim"])
    lenient = _load(_inject(text, facts))[0]
    assert lenient["spec"]["volumes"][1] == {
        "name": "v1",
        "persistentVolumeClaim": {"claimName": "scratch-claim"},
    }
    with pytest.raises(BuildError) as error:
        _inject(text, _with(facts, strict=True))
    (problem,) = error.value.problems
    assert str(problem) == (
        "app.yaml:21:7: spec.volumes[1].persistentVolumeClaim.claimName: "
        "PersistentVolumeClaim ml/scratch-claim is no Dataset of the specs (--strict)"
    )


def test_malformed_manifests_are_positioned_errors(facts: Facts) -> None:
    text = """\
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: fine}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: d, namespace: ml}
    spec:
      template:
        metadata:
          labels: {version: 1.0}
        spec:
          containers: {name: app}
          volumes:
            - name: d
              persistentVolumeClaim: {readOnly: true}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: p}
    """
    with pytest.raises(BuildError) as error:
        inject_documents({"apps/bad.yaml": textwrap.dedent(text)}, facts)
    assert [str(p) for p in error.value.problems] == [
        "apps/bad.yaml:11:16: spec.template.metadata.labels.version: must be a string; quote it",
        "apps/bad.yaml:13:7: spec.template.spec.containers: must be a list",
        "apps/bad.yaml:16:11: spec.template.spec.volumes[0].persistentVolumeClaim.claimName: "
        "missing",
        "apps/bad.yaml:18:1: spec: missing: a Pod needs a pod spec here",
    ]


def test_yaml_errors_are_positioned(facts: Facts) -> None:
    with pytest.raises(BuildError, match=r"^a.yaml:5:1: invalid YAML"):
        inject_documents({"a.yaml": "kind: Pod\n---\nmetadata:\n  a: [\n"}, facts)
    with pytest.raises(BuildError, match=r"a.yaml:3:1: invalid YAML: found duplicate key"):
        inject_documents({"a.yaml": "---\nkind: Pod\nkind: Pod\n"}, facts)


# --- round trip: comments, bytes, idempotence ----------------------------------------------------

COMMENTED = """\
# The trainer.
apiVersion: apps/v1   # apps group
kind: Deployment
metadata:
  name: trainer
  namespace: ml
spec:
  selector:
    matchLabels: {app: trainer}
  template:
    metadata:
      labels:
        app: trainer   # selector label
    spec:
      containers:
        - name: main
          image: 'pytorch:2.3'
          command: ["python", "train.py"]
          volumeMounts:
            - name: data   # the dataset
              mountPath: /data

          # volumes come next
      volumes:
        - name: data
          persistentVolumeClaim:
            claimName: laion
# end of the trainer
"""


def test_comments_order_and_quotes_survive(facts: Facts) -> None:
    out = _inject(COMMENTED, facts)
    assert out.startswith("# The trainer.\napiVersion: apps/v1   # apps group\nkind: Deployment\n")
    assert "        app: trainer   # selector label\n" in out
    assert "          image: 'pytorch:2.3'\n" in out
    assert '          command: ["python", "train.py"]\n' in out
    # the mutation lands after the mount, the comment still sits right before `volumes:`
    assert (
        "            - name: data   # the dataset\n"
        "              mountPath: /data\n"
        "              mountPropagation: HostToContainer\n"
        "\n"
        "          # volumes come next\n"
        "      volumes:\n"
    ) in out
    assert out.endswith("      affinity:\n" + out.split("      affinity:\n")[1])
    assert out.rstrip().endswith("# end of the trainer")
    assert out.index("claimName: laion") < out.index("affinity:") < out.index("# end of")


UNTOUCHED = """\
# leading comment
apiVersion:   v1
kind: ConfigMap
metadata: { name: odd ,  namespace: ml }
data:
    key: "value"     # spacing
    other: >-
      folded
      text
"""


def test_documents_without_changes_keep_their_bytes(facts: Facts) -> None:
    text = f"%YAML 1.2\n---\n{UNTOUCHED}...\n# between\n---\n{COMMENTED}---\n{UNTOUCHED}"
    (file,) = inject_documents({"a.yaml": text}, facts)
    assert file.changed
    assert file.text.startswith(f"%YAML 1.2\n---\n{UNTOUCHED}...\n# between\n---\n")
    assert file.text.endswith(f"---\n{UNTOUCHED}")
    assert file.documents[0] == UNTOUCHED
    assert file.documents[2] == UNTOUCHED
    assert file.documents[1] == "# between\n" + _inject(COMMENTED, facts)  # comments before ---
    assert stream([file]) == f"---\n{UNTOUCHED}---\n{file.documents[1]}---\n{UNTOUCHED}"
    plain = f"{UNTOUCHED}---\n{UNTOUCHED}"
    (same,) = inject_documents({"b.yaml": plain}, facts)
    assert (same.text, same.changed) == (plain, False)


def test_injecting_twice_equals_injecting_once(facts: Facts) -> None:
    once = _inject(COMMENTED, facts)
    assert _inject(once, facts) == once


KINDS = ("Pod", "Deployment", "Job", "CronJob")
CLAIMS = ("laion", "zookeeper", "images", "captions", "elsewhere")
EXPRESSIONS = (
    GPU,
    A100,
    LAION_CACHE,
    {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
    {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["eu-1a"]},
    {"key": "disk", "operator": "Exists"},
)
OPTIONAL_LABELS = {
    "serverless.fluid.io/inject": st.just("true"),
    "fuse.sidecar.fluid.io/inject": st.just("true"),
    "fluid.io/enable-injection": st.sampled_from(["true", "false"]),
    "done.sidecar.fluid.io/inject": st.just("true"),
    "cachedir.sidecar.fluid.io/inject": st.just("true"),
    "fluid.io/dataset.laion.sched": st.sampled_from(["required", "preferred"]),
    "fluid.io/dataset.zookeeper.sched": st.just("required"),
}


class _IndentedDumper(yaml.SafeDumper):
    """`- ` indented under its key, the other common style."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


@st.composite
def workloads(draw: st.DrawFn) -> tuple[str, bool]:
    namespace = draw(st.sampled_from(["ml", "data-team", "apps"]))
    claims = draw(st.lists(st.sampled_from(CLAIMS), max_size=3))
    volumes: list[dict[str, Any]] = [
        {"name": f"v{i}", "persistentVolumeClaim": {"claimName": c}} for i, c in enumerate(claims)
    ]
    if draw(st.booleans()):
        volumes.append(
            {"name": draw(st.sampled_from(["scratch", "alluxio-fuse-device-0"])), "emptyDir": {}}
        )
    names = [v["name"] for v in volumes]

    def container(prefix: str, index: int) -> dict[str, Any]:
        mounted = draw(st.lists(st.sampled_from(names), unique=True)) if names else []
        mounts = []
        for name in mounted:
            mount = {"name": name, "mountPath": f"/m/{name}"}
            if draw(st.booleans()):
                mount["mountPropagation"] = draw(st.sampled_from(["None", "HostToContainer"]))
            mounts.append(mount)
        return {"name": f"{prefix}{index}", "image": "busybox", "volumeMounts": mounts}

    spec: dict[str, Any] = {
        "containers": [container("app", i) for i in range(draw(st.integers(1, 2)))],
        "volumes": volumes,
    }
    if draw(st.booleans()):
        spec["initContainers"] = [container("init", 0)]
    if draw(st.booleans()):
        spec["nodeSelector"] = {draw(st.sampled_from(["disk", "topology.kubernetes.io/zone"])): "x"}
    terms = draw(
        st.lists(st.lists(st.sampled_from(EXPRESSIONS), max_size=2, unique_by=str), max_size=2)
    )
    preferred = draw(st.lists(st.sampled_from(EXPRESSIONS), max_size=2))
    node_affinity: dict[str, Any] = {}
    if terms:
        node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
            "nodeSelectorTerms": [{"matchExpressions": t} for t in terms]
        }
    if preferred:
        node_affinity["preferredDuringSchedulingIgnoredDuringExecution"] = [
            {"weight": 1, "preference": {"matchExpressions": [e]}} for e in preferred
        ]
    if node_affinity:
        spec["affinity"] = {"nodeAffinity": node_affinity}
    labels = {"app": "x", **draw(st.fixed_dictionaries({}, optional=OPTIONAL_LABELS))}
    metadata: dict[str, Any] = {"labels": labels}
    if draw(st.booleans()):
        metadata["annotations"] = {"fluid.io/datasets-in-use": "older, laion"}
    kind = draw(st.sampled_from(KINDS))
    pod = {"metadata": metadata, "spec": spec}
    if kind == "Pod":
        obj: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": kind,
            "metadata": {"name": "p", "namespace": namespace},
            **pod,
        }
        obj["metadata"] |= metadata
    elif kind == "Deployment":
        obj = {
            "apiVersion": "apps/v1",
            "kind": kind,
            "metadata": {"name": "d", "namespace": namespace},
            "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": pod},
        }
    else:
        spec["restartPolicy"] = "Never"
        template = {"template": pod}
        if kind == "CronJob":
            template = {"schedule": "@daily", "jobTemplate": {"spec": template}}
        obj = {
            "apiVersion": "batch/v1",
            "kind": kind,
            "metadata": {"name": "j", "namespace": namespace},
            "spec": template,
        }
    docs = [obj]
    if draw(st.booleans()):
        docs.insert(
            0,
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": namespace, "labels": {"fluid.io/enable-injection": "true"}},
            },
        )
    dumper = draw(st.sampled_from([yaml.SafeDumper, _IndentedDumper]))
    return yaml.dump_all(docs, Dumper=dumper, sort_keys=False), draw(st.booleans())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(workloads())
def test_injection_is_idempotent_and_valid(facts: Facts, case: tuple[str, bool]) -> None:
    text, prefer = case
    options = _with(facts, prefer_nodes_without_cache=prefer)
    once = _inject(text, options)
    assert _inject(once, options) == once
    _assert_valid(once)
    for before, after in zip(_load(text), _load(once), strict=True):
        if before["kind"] == "Namespace":
            assert after == before


# --- build --passthrough --inject ----------------------------------------------------------------


def test_inject_passthrough_mutates_copied_documents(facts: Facts) -> None:
    text = SPECS + "---\n" + COMMENTED + "---\n" + UNTOUCHED
    documents = parse_documents(text, "all.yaml")
    result = build(
        documents,
        lock=Lock(),
        lock_source="lock",
        port_range=PortRange(20000, 25000),
        passthrough=True,
    )
    copied, warnings = inject_passthrough(result.passthrough, facts_from_build(result.planned))
    assert warnings == []
    assert [d.kind for d in copied] == ["Deployment", "ConfigMap"]
    assert copied[1] is result.passthrough[1]  # untouched: the very same document
    assert "mountPropagation: HostToContainer" in copied[0].text
    assert "  app: trainer   # selector label" in copied[0].text
    pod = copied[0].data["spec"]["template"]
    assert pod["metadata"]["annotations"] == {"fluid.io/datasets-in-use": "laion"}


# --- the command ------------------------------------------------------------------------------


def _golden_run(case: str, apps: Path, *extra: str) -> Any:
    folder = GOLDEN_INJECT / case
    args = (folder / "args").read_text().split() if (folder / "args").exists() else []
    lock = apps.parent / "no.lock"
    return run(
        "inject", str(apps), "--specs", str(folder / "specs"), "--lock", str(lock), *args, *extra
    )


def test_every_inject_case_listed() -> None:
    assert CASES == ["prefer-nodes-without-cache", "serverful", "serverless", "workloads"]


@pytest.mark.parametrize("case", CASES)
def test_golden_inject(case: str, tmp_path: Path, update_golden: bool) -> None:
    apps = tmp_path / "apps"
    shutil.copytree(GOLDEN_INJECT / case / "apps", apps)
    result = _golden_run(case, apps, "--in-place")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    actual = read_tree(apps)
    expected_dir = GOLDEN_INJECT / case / "expected"
    if update_golden:
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(apps, expected_dir)
    expected = read_tree(expected_dir)
    assert sorted(actual) == sorted(expected), "files differ; review, then --update-golden"
    for relative in expected:
        assert actual[relative] == expected[relative], f"{case}/{relative} differs"


@pytest.mark.parametrize("case", CASES)
def test_golden_inject_stdout_and_idempotence(case: str, tmp_path: Path) -> None:
    """The stream equals the in-place result, and injecting the result again is a no-op."""
    expected = GOLDEN_INJECT / case / "expected"
    from_apps = _golden_run(case, GOLDEN_INJECT / case / "apps")
    from_expected = _golden_run(case, expected)
    assert from_apps.exit_code == 0, from_apps.stderr
    assert from_apps.stdout == from_expected.stdout
    again = tmp_path / "again"
    shutil.copytree(expected, again)
    assert _golden_run(case, again, "--in-place").exit_code == 0
    assert read_tree(again) == read_tree(expected)


@pytest.mark.parametrize("case", CASES)
def test_golden_inject_objects_are_valid_kubernetes(case: str) -> None:
    for path in sorted((GOLDEN_INJECT / case / "expected").rglob("*.yaml")):
        for obj in _load(path.read_text()):
            if obj["apiVersion"].split("/")[0] in ("v1", "apps", "batch"):
                assert validator_for(obj, "1.31")(obj) == [], path


def test_in_place_rewrites_only_changed_files(tmp_path: Path) -> None:
    apps = tmp_path / "apps"
    shutil.copytree(GOLDEN_INJECT / "serverful" / "apps", apps)
    untouched = apps / "others.yaml"
    before = untouched.stat().st_mtime_ns, untouched.stat().st_ino
    assert _golden_run("serverful", apps, "--in-place").exit_code == 0
    assert (untouched.stat().st_mtime_ns, untouched.stat().st_ino) == before
    hidden = apps / ".drafts" / "ignored.yaml"
    assert hidden.read_text() == (GOLDEN_INJECT / "serverful/apps/.drafts/ignored.yaml").read_text()


def test_stdin_and_usage_errors(tmp_path: Path) -> None:
    specs = str(GOLDEN_INJECT / "serverful" / "specs")
    lock = str(tmp_path / "no.lock")
    text = (GOLDEN_INJECT / "serverful" / "apps" / "trainer.yaml").read_text()
    result = run("inject", "-", "--specs", specs, "--lock", lock, stdin=text)
    assert result.exit_code == 0, result.stderr
    expected = (GOLDEN_INJECT / "serverful" / "expected" / "trainer.yaml").read_text()
    assert result.stdout == "---\n" + expected
    assert run("inject", "-", "--specs", specs, "--in-place", stdin=text).exit_code == 2
    assert run("inject", "-", stdin=text).exit_code == 2  # --specs is required
    assert run("inject", "-", "--specs", specs, "--bogus", stdin=text).exit_code == 2


def test_errors_exit_1_and_write_nothing(tmp_path: Path) -> None:
    apps = tmp_path / "apps"
    shutil.copytree(GOLDEN_INJECT / "serverful" / "apps", apps)
    (apps / "bad.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: []\n")
    before = read_tree(apps)
    result = _golden_run("serverful", apps, "--in-place", "--strict")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {apps}/bad.yaml:4:1: spec: must be a mapping (an object): "
        "a Pod needs a pod spec here",
        f"error: {apps}/others.yaml:33:41: spec.volumes[0].persistentVolumeClaim.claimName: "
        "PersistentVolumeClaim ml/not-a-dataset is no Dataset of the specs (--strict)",
        f"error: {apps}/others.yaml:46:55: "
        "spec.tasks[0].template.spec.volumes[0].persistentVolumeClaim.claimName: "
        "Job ml/volcano mounts the claim of dataset ml/laion, but inject does not know where "
        "its pods are: upstream's webhook would mutate them; add the mutations yourself "
        "(--strict)",
    ]
    assert read_tree(apps) == before
    missing = run(
        "inject", str(tmp_path / "nope"), "--specs", str(GOLDEN_INJECT / "serverful" / "specs")
    )
    assert missing.exit_code == 1
    assert "nope: no such file or folder" in missing.stderr


def test_read_texts_skips_hidden_files(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text("a: 1\n")
    (tmp_path / "b.yml").write_text("b: 1\n")
    (tmp_path / "c.txt").write_text("c: 1\n")
    assert read_texts([str(tmp_path)]) == {str(tmp_path / "b.yml"): "b: 1\n"}


def test_the_command_prints_warnings(tmp_path: Path) -> None:
    result = _golden_run("serverful", GOLDEN_INJECT / "serverful" / "apps")
    assert result.exit_code == 0, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("warning: ") and "Job ml/volcano mounts the claim of dataset" in line


def test_a_warning_for_an_object_with_odd_metadata(facts: Facts) -> None:
    text = """\
    apiVersion: example.org/v1
    kind: Gadget
    metadata: [not, a, mapping]
    spec: {volumes: [{persistentVolumeClaim: {claimName: laion}}]}
    """
    (warning,) = _warnings(text, _with(facts, namespace="ml"))
    assert "Gadget ml/None mounts the claim of dataset ml/laion" in warning


def test_knative_gets_no_sidecar_and_no_mount_propagation(facts: Facts) -> None:
    pod = yaml.safe_load(
        _pod(["laion"], metadata={"labels": {"serverless.fluid.io/inject": "true"}})
    )
    service = {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": "s", "namespace": "ml"},
        "spec": {"template": {"metadata": pod["metadata"], "spec": pod["spec"]}},
    }
    text = yaml.safe_dump(service, sort_keys=False)
    (warning,) = _warnings(text, facts)
    assert "spec.template.metadata: the FUSE sidecar is not injected into a Knative" in warning
    assert _inject(text, facts) == text
    del service["spec"]["template"]["metadata"]
    (obj,) = _load(_inject(yaml.safe_dump(service, sort_keys=False), facts))
    template = obj["spec"]["template"]
    assert _required(template) == [[A100, GPU]]
    assert "mountPropagation" not in str(template["spec"]["containers"])


def test_null_entries_are_left_alone(facts: Facts) -> None:
    """YAML `- ` items are null; the shape check allows them, the plugins skip them."""
    workflow = WORKFLOW.replace(
        '  podMetadata: {labels: {serverless.fluid.io/inject: "true"}}\n', ""
    )
    workflow = workflow.replace("  templates:\n", "  templates:\n    -\n")
    workflow = workflow.replace("  volumes: [", "  volumes: [null, ")
    (obj,) = _load(_inject(workflow, facts))
    assert obj["spec"]["podMetadata"] == {"annotations": {"fluid.io/datasets-in-use": "laion"}}
    pod = _pod(["laion"]).replace("  volumes:\n", "  volumes:\n  - null\n")
    (obj,) = _load(_inject(pod, facts))
    assert _required(obj) == [[A100, GPU]]


@pytest.mark.parametrize("case", sorted(p.name for p in (ROOT / "golden").iterdir()))
def test_facts_spell_the_rendered_fuse_pod(case: str) -> None:
    """The FUSE container inject copies is the one the template prints (the planner's, whole):
    in every golden case, container and volumes equal the rendered DaemonSet's, key order
    included, so the template's printing of it loses nothing."""
    import json

    from fluid_render.load import load_inputs

    documents = load_inputs([str(ROOT / "golden" / case / "input")])
    result = build(documents, lock=Lock(), lock_source="lock", port_range=PortRange(20000, 25000))
    facts = facts_from_build(result.planned)
    assert len(facts.datasets) == len(result.planned) > 0
    for (namespace, claim), dataset in facts.datasets.items():

        def rendered(kind: str, ns: str = namespace, name: str = dataset.name) -> Any:
            [text] = [
                m.text
                for m in result.manifests
                if (m.namespace, m.dataset, m.kind) == (ns, name, kind)
            ]
            return yaml.safe_load(text)

        pod = rendered("DaemonSet")["spec"]["template"]["spec"]
        assert json.dumps(dataset.fuse_container) == json.dumps(pod["containers"][0])
        assert json.dumps(list(dataset.fuse_volumes)) == json.dumps(pod["volumes"])
        attributes = rendered("PersistentVolume")["spec"]["csi"]["volumeAttributes"]
        assert dataset.host_mount_path.startswith(attributes["fluid_path"])
        assert rendered("PersistentVolumeClaim")["metadata"]["name"] == claim
