"""DataLoad and DataBackup as Jobs that behave when a GitOps tool applies them (upstream
`pkg/ddc/alluxio/load_data.go`, `backup_data.go`).

Upstream's controller installs a Helm release per operation, holds a lock on the Dataset while it
runs and deletes finished operations after their TTL. Here everything is decided at build time:
- a Job's pod template is immutable, so its name carries a hash of what defines the operation:
  an edit yields a new Job (a new run), an unchanged spec yields the same bytes (no new run);
- every operation waits in an init container until its runtime's master answers and has applied
  its mounts, and, with `runAfter`, until the predecessor's Job has completed (`kubectl wait`),
  so Argo CD (sync waves), Flux and `kubectl apply` all run them in order;
- the Once operations of one dataset must be ordered by `runAfter`, as upstream's lock intends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fluid_render.api import DataBackup, DataLoad
from fluid_render.bind import Bundle
from fluid_render.errors import Problem, fail_if
from fluid_render.objects import MANAGED_BY, SERVICE_ACCOUNT
from fluid_render.plan.naming import LABEL_LIMIT, fit
from fluid_render.runtimes.alluxio.basics import (
    WORKDIR,
    init_users_env,
    normalised,
    parse_backup_path,
    runtime_image,
)
from fluid_render.runtimes.alluxio.mounts import alluxio_path
from fluid_render.runtimes.alluxio.values import Image, Values
from fluid_render.runtimes.protocol import Key, Order
from fluid_render.validate import Spec, field_path

KUBECTL_IMAGE = "registry.k8s.io/kubectl:v1.31.0"
WAIT_TIMEOUT = "24h"
CRON_NAME_LIMIT = 52  # a CronJob adds 11 characters to name its Jobs


@dataclass(frozen=True)
class Operation:
    """Everything the operation templates print for one DataLoad or DataBackup."""

    kind: str
    name: str
    namespace: str
    dataset: str
    depth: int  # how many operations it waits for: its Job runs that many waves later
    job_name: str
    cron: bool
    schedule: str | None
    script_name: str
    scripts: dict[str, str]
    labels: dict[str, str]
    job_labels: dict[str, str]
    pod_labels: dict[str, str]
    pod_annotations: dict[str, str]
    image: Image
    pull_secrets: list[dict[str, str]]
    pod: dict[str, Any]
    containers: list[dict[str, Any]]
    init_containers: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    service_account: str | None
    object: dict[str, Any]


def operation_key(spec: Spec[Any]) -> Key:
    return (spec.namespace, spec.kind, spec.name)


RERUN = "fluid-render.io/rerun"  # any new value runs an unchanged operation again


def _job_hash(spec: Spec[Any], image: Image, scripts: Mapping[str, str], after: str | None) -> str:
    """Ten hex digits over what defines a run; key order and formatting do not matter. The
    rerun annotation enters only when set, so adding this rule renamed no existing Job."""
    defining = {
        "kind": spec.kind,
        "spec": spec.model.spec.model_dump(by_alias=True, exclude_none=True),
        "image": image.ref,
        "scripts": dict(scripts),
        "after": after,
    }
    rerun = (spec.model.metadata.annotations or {}).get(RERUN)
    if rerun is not None:
        defining["rerun"] = rerun
    text = json.dumps(defining, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def job_name(base: str, digest: str) -> str:
    """`<base>-<hash>` within a label value (Jobs label their pods with their own name)."""
    return f"{fit(base, LABEL_LIMIT - 11)}-{digest}"


def order_operations(
    bundles: Sequence[Bundle], scripts: Mapping[str, str]
) -> tuple[dict[Key, Order], list[Problem]]:
    """Waves, predecessors and Job names of every operation; warnings are returned.

    Errors (dangling or cyclic `runAfter`, unordered operations on one dataset, unsupported
    kinds) are raised together.
    """
    problems: list[Problem] = []
    warnings: list[Problem] = []
    specs: dict[Key, Spec[Any]] = {}
    images: dict[Key, Image] = {}
    dataset_of: dict[Key, str] = {}
    for bundle in bundles:
        for spec in bundle.operations:
            specs[operation_key(spec)] = spec
            images[operation_key(spec)] = runtime_image(bundle.runtime.model)
            dataset_of[operation_key(spec)] = bundle.name
    after: dict[Key, Key | None] = {}
    for key, spec in specs.items():
        ref = spec.model.spec.run_after
        after[key] = None
        if ref is None:
            continue
        where = ("spec", "runAfter")
        if ref.kind not in ("DataLoad", "DataBackup"):
            problems.append(
                _problem(
                    spec, (*where, "kind"), f"runAfter a {ref.kind} is not supported for Alluxio"
                )
            )
            continue
        if ref.namespace not in (None, "", spec.namespace):
            problems.append(
                _problem(
                    spec,
                    (*where, "namespace"),
                    f"must be the {spec.kind}'s own namespace {spec.namespace!r}",
                )
            )
            continue
        target = (spec.namespace, ref.kind, ref.name)
        if target not in specs:
            problems.append(
                _problem(
                    spec,
                    (*where, "name"),
                    f"{spec.kind} {spec.namespace}/{spec.name} runs after "
                    f"{ref.kind} {spec.namespace}/{ref.name}, which is not in "
                    "the inputs",
                )
            )
            continue
        after[key] = target
        if ref.affinity_strategy is not None:
            warnings.append(
                _problem(
                    spec,
                    (*where, "affinityStrategy"),
                    "ignored: it needs the node the predecessor ran on, which "
                    "only the running cluster knows",
                )
            )
    orders: dict[Key, Order] = {}
    cycles: set[frozenset[Key]] = set()
    for key in sorted(specs):
        chain, cycle = _predecessors(key, after, orders)
        if cycle:
            if frozenset(cycle) not in cycles:
                cycles.add(frozenset(cycle))
                steps = " -> ".join(
                    f"{k[1]} {k[2]} ({specs[k].at('spec', 'runAfter')})" for k in cycle
                )
                problems.append(
                    _problem(
                        specs[cycle[0]],
                        ("spec", "runAfter"),
                        f"runAfter forms a cycle: {steps} -> back to the first",
                    )
                )
            continue
        for link in reversed(chain):
            before = after[link]
            base = orders[before] if before is not None else None
            spec = specs[link]
            digest = _job_hash(spec, images[link], scripts, base.job_name if base else None)
            suffix = "loader-job" if spec.kind == "DataLoad" else "backup-job"
            orders[link] = Order(
                depth=base.depth + 1 if base else 0,
                after=before,
                after_job=base.job_name if base else None,
                job_name=job_name(f"{spec.name}-{suffix}", digest),
            )
    fail_if(problems)
    problems += _unordered(specs, orders, dataset_of)
    for spec in specs.values():
        if spec.model.spec.ttl_seconds_after_finished is not None:
            warnings.append(
                _problem(
                    spec,
                    ("spec", "ttlSecondsAfterFinished"),
                    "not applied: the finished Job stays, because deleting it "
                    "would make Argo CD or Flux create it again and run it "
                    "again; remove the document from git to delete it",
                )
            )
    fail_if(problems)
    return orders, warnings


def _predecessors(
    key: Key, after: Mapping[Key, Key | None], known: Mapping[Key, Order]
) -> tuple[list[Key], list[Key]]:
    """The chain from `key` back to an operation already ordered (or one without `runAfter`),
    and the cycle the chain runs into, if it does."""
    chain = [key]
    while (previous := after[chain[-1]]) is not None and previous not in known:
        if previous in chain:
            return chain, chain[chain.index(previous) :]
        chain.append(previous)
    return chain, []


def _unordered(
    specs: Mapping[Key, Spec[Any]], orders: Mapping[Key, Order], dataset_of: Mapping[Key, str]
) -> list[Problem]:
    """One operation at a time per dataset: any two Once operations must be ordered."""
    problems = []
    once = sorted(k for k, s in specs.items() if not _is_cron(s))
    for index, first in enumerate(once):
        for second in once[index + 1 :]:
            if dataset_of[first] != dataset_of[second] or first[0] != second[0]:
                continue
            if _precedes(first, second, orders) or _precedes(second, first, orders):
                continue
            a, b = specs[first], specs[second]
            problems.append(
                _problem(
                    b,
                    ("metadata", "name"),
                    f"{b.kind} {b.name} and {a.kind} {a.name} "
                    f"({a.at('metadata', 'name')}) both act on dataset "
                    f"{dataset_of[first]} with no order between them; add "
                    f"`runAfter: {{kind: {a.kind}, name: {a.name}}}` to "
                    f"{b.kind} {b.name}",
                )
            )
    return problems


def _precedes(first: Key, second: Key, orders: Mapping[Key, Order]) -> bool:
    current = orders[second].after
    while current is not None:
        if current == first:
            return True
        current = orders[current].after
    return False


def _is_cron(spec: Spec[Any]) -> bool:
    return spec.kind == "DataLoad" and spec.model.spec.policy == "Cron"


def _problem(spec: Spec[Any], path: tuple[str | int, ...], message: str) -> Problem:
    return Problem(spec.at(*path), field_path(path), message)


# ------------------------------------------------------------------------------- values
def plan_operations(
    bundle: Bundle,
    values: Values,
    orders: Mapping[Key, Order],
    scripts: Mapping[str, str],
    kubectl_image: str,
) -> list[Operation]:
    ctx = _Context(bundle, values, orders, scripts, kubectl_image, [])
    operations = [_dataload(spec, ctx) for spec in bundle.dataloads]
    operations += [_databackup(spec, ctx) for spec in bundle.databackups]
    fail_if(ctx.problems)
    return operations


@dataclass(frozen=True)
class _Context:
    """What planning one operation of a bundle reads, and where its problems go."""

    bundle: Bundle
    values: Values
    orders: Mapping[Key, Order]
    scripts: Mapping[str, str]
    kubectl_image: str
    problems: list[Problem]


def _library_labels(values: Values, app: str, instance: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "fluid.io/managed-by": "fluid",
        "fluid.io/dataset-id": values.dataset_id,
    }


def _waiting(
    values: Values, order: Order, kubectl_image: str, wait_env: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], str | None]:
    """The init containers: the predecessor's Job first (if any), then the runtime's master."""
    containers: list[dict[str, Any]] = []
    account = None
    if order.after_job is not None:
        account = SERVICE_ACCOUNT
        job = f"job/{order.after_job}"
        containers += [
            {
                "name": "wait-for-previous-job",
                "image": kubectl_image,
                "args": ["wait", "--for=create", f"--timeout={WAIT_TIMEOUT}", job],
            },
            {
                "name": "wait-for-previous-run",
                "image": kubectl_image,
                "args": ["wait", "--for=condition=complete", f"--timeout={WAIT_TIMEOUT}", job],
            },
        ]
    containers.append(
        {
            "name": "wait-for-runtime",
            "image": values.image.ref,
            "imagePullPolicy": values.image.pull_policy,
            "command": ["/bin/bash", "/scripts/wait-for-runtime.sh"],
            "env": wait_env,
            "envFrom": [{"configMapRef": {"name": values.config_name}}],
            "volumeMounts": [
                {"name": "script", "mountPath": "/scripts"},
                {"name": "mount-table", "mountPath": "/etc/fluid/mount"},
            ],
        }
    )
    return containers, account


def _client_env(values: Values) -> list[dict[str, Any]]:
    return [
        {
            "name": "ALLUXIO_CLIENT_HOSTNAME",
            "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}},
        },
        {
            "name": "ALLUXIO_CLIENT_JAVA_OPTS",
            "value": "-Dalluxio.user.hostname=${ALLUXIO_CLIENT_HOSTNAME}",
        },
        {"name": "FLUID_DATASET", "value": f"{values.namespace}/{values.name}"},
    ]


def _mount_table_volume(values: Values) -> dict[str, Any]:
    return {
        "name": "mount-table",
        "configMap": {
            "name": values.mount_config_name,
            "items": [{"key": "mount.info", "path": "mount.info"}],
        },
    }


def _dataload(spec: Spec[DataLoad], ctx: _Context) -> Operation:
    bundle, values, orders, scripts = ctx.bundle, ctx.values, ctx.orders, ctx.scripts
    kubectl_image, problems = ctx.kubectl_image, ctx.problems
    load = spec.model.spec
    order = orders[operation_key(spec)]
    if load.policy == "OnEvent":
        problems.append(
            _problem(
                spec,
                ("spec", "policy"),
                "OnEvent is not supported for Alluxio (upstream renders nothing "
                "for it); use Once or Cron",
            )
        )
    roots = [alluxio_path(m.name or "", m.path) for m in bundle.dataset.model.spec.mounts or []]
    targets = list(load.target or [])
    for index, target in enumerate(targets):
        where = ("spec", "target", index, "path")
        path = target.path
        if not path.startswith("/"):
            problems.append(_problem(spec, where, "must be an absolute path in the dataset"))
        elif ":" in path:
            problems.append(_problem(spec, where, "must not contain ':' (it separates paths)"))
        elif path != "/" and not any(_inside(path, root) for root in roots):
            problems.append(
                _problem(
                    spec,
                    where,
                    f"is not inside any mount of dataset "
                    f"{bundle.name} ({', '.join(roots) or 'none'})",
                )
            )
    paths = ":".join(t.path for t in targets) or "/"
    replicas = ":".join(str(t.replicas or 1) for t in targets) or "1"
    release = f"{spec.name}-loader"
    library = _library_labels(values, "fluid-dataloader", release)
    labels = {**values.dataset_labels, **library}
    cron = load.policy == "Cron"
    cron_name = fit(f"{spec.name}-loader-job", CRON_NAME_LIMIT)
    job_labels = {
        **labels,
        "release": release,
        "role": "dataload-job",
        "app": "alluxio",
        "targetDataset": bundle.name,
    }
    if cron:
        job_labels.update({"dataload": spec.name, "fluid.io/jobPolicy": "cron"})
    metadata = load.pod_metadata
    pod_labels = {
        **labels,
        "release": release,
        "role": "dataload-pod",
        "app": "alluxio",
        "targetDataset": bundle.name,
        **((metadata.labels if metadata else None) or {}),
    }
    if cron:
        pod_labels["cronjob"] = cron_name
    annotations = {
        "sidecar.istio.io/inject": "false",
        **((metadata.annotations if metadata else None) or {}),
    }
    flow = (spec.model.metadata.annotations or {}).get("affinity.dataflow.fluid.io/labels")
    if flow is not None:
        annotations["affinity.dataflow.fluid.io/labels"] = flow
    env = [
        *_client_env(values)[:2],
        {"name": "NEED_LOAD_METADATA", "value": "true" if load.load_metadata else "false"},
        {"name": "DATA_PATH", "value": paths},
        {"name": "PATH_REPLICAS", "value": replicas},
    ]
    # A load into a cache without workers would fail, or load nothing (upstream waits for
    # the runtime to be ready: a ready master and, when replicas > 0, a ready worker).
    workers = {"name": "FLUID_WAIT_WORKERS", "value": "1" if values.worker_replicas else "0"}
    init, account = _waiting(values, order, kubectl_image, [*_client_env(values), workers])
    pod: dict[str, Any] = {}
    if load.scheduler_name:
        pod["schedulerName"] = load.scheduler_name
    if load.node_selector:
        pod["nodeSelector"] = dict(sorted(load.node_selector.items()))
    if load.affinity:
        pod["affinity"] = load.affinity
    if load.tolerations:
        pod["tolerations"] = [
            t.model_dump(by_alias=True, exclude_none=True) for t in load.tolerations
        ]
    container: dict[str, Any] = {
        "name": "dataloader",
        "image": values.image.ref,
        "imagePullPolicy": values.image.pull_policy,
        "command": ["/bin/sh", "-c"],
        "args": ["/scripts/alluxio_env_init.sh && /scripts/alluxio_dataload.sh"],
        "env": env,
        "envFrom": [{"configMapRef": {"name": values.config_name}}],
        "volumeMounts": [{"name": "script", "mountPath": "/scripts"}],
    }
    if load.resources:
        container["resources"] = load.resources.model_dump(by_alias=True, exclude_none=True)
    script_name = fit(f"{spec.name}-loader-data-load-script")
    return Operation(
        kind="DataLoad",
        name=spec.name,
        namespace=spec.namespace,
        dataset=bundle.name,
        depth=order.depth,
        job_name=cron_name if cron else order.job_name,
        cron=cron,
        schedule=load.schedule,
        script_name=script_name,
        scripts={
            "dataloader.alluxio.init": scripts["dataload-env.sh"],
            "dataloader.distributedLoad": scripts["dataload.sh"],
            "wait-for-runtime.sh": scripts["wait-for-runtime.sh"],
        },
        labels={**labels, "release": release, "role": "dataload-job"},
        job_labels=job_labels,
        pod_labels=pod_labels,
        pod_annotations=annotations,
        image=values.image,
        pull_secrets=values.worker_pod.pull_secrets,
        pod=pod,
        containers=[container],
        init_containers=init,
        volumes=[
            _script_volume(
                script_name,
                [
                    ("dataloader.alluxio.init", "alluxio_env_init.sh"),
                    ("dataloader.distributedLoad", "alluxio_dataload.sh"),
                    ("wait-for-runtime.sh", "wait-for-runtime.sh"),
                ],
            ),
            _mount_table_volume(values),
        ],
        service_account=account,
        object=normalised(spec, values.dataset_id, values.dataset_labels),
    )


def _script_volume(config_map: str, items: list[tuple[str, str]]) -> dict[str, Any]:
    """The scripts as executable files (mode 0555, as upstream)."""
    files = [{"key": key, "path": path, "mode": 0o555} for key, path in items]
    return {"name": "script", "configMap": {"name": config_map, "items": files}}


def _inside(path: str, root: str) -> bool:
    return root == "/" or path == root or path.startswith(root.rstrip("/") + "/")


def _databackup(spec: Spec[DataBackup], ctx: _Context) -> Operation:
    bundle, values, orders, scripts = ctx.bundle, ctx.values, ctx.orders, ctx.scripts
    kubectl_image, problems = ctx.kubectl_image, ctx.problems
    backup = spec.model.spec
    order = orders[operation_key(spec)]
    if values.master_replicas > 1:
        problems.append(
            _problem(
                spec,
                ("spec", "dataset"),
                f"dataset {bundle.name} has {values.master_replicas} masters; a "
                "backup lands on whichever master leads, which a build cannot "
                "know, so DataBackup needs a single master",
            )
        )
    pvc, path = parse_backup_path(backup.backup_path)
    release = f"{spec.name}-charts"
    library = _library_labels(values, "fluid-databackup", release)
    labels = {**values.dataset_labels, **library}
    run_as = backup.run_as or bundle.runtime.model.spec.run_as
    env: list[dict[str, Any]] = [
        {
            "name": "ALLUXIO_JAVA_OPTS",
            "value": f"-Dalluxio.master.hostname={values.master_services[0]}.{values.namespace} "
            f"-Dalluxio.master.rpc.port={values.ports['master.rpc']}",
        },
        {"name": "DATASET_NAMESPACE", "value": values.namespace},
        {"name": "DATASET_NAME", "value": bundle.name},
    ]
    if pvc is not None:
        env.append({"name": "BACKUP_PVC", "value": pvc})
    env.append({"name": "BACKUP_PATH", "value": path})
    mounts: list[dict[str, Any]] = [
        {"name": "backup", "mountPath": "/alluxio_backups"},
        {"name": "script", "mountPath": "/scripts"},
        {"name": "pvc", "mountPath": "/pvc"} if pvc else {"name": "host", "mountPath": "/host"},
    ]
    volumes: list[dict[str, Any]] = [
        {"name": "backup", "hostPath": {"path": values.backup_dir, "type": "DirectoryOrCreate"}},
        {"name": "pvc", "persistentVolumeClaim": {"claimName": pvc}}
        if pvc
        else {"name": "host", "hostPath": {"path": path, "type": "DirectoryOrCreate"}},
    ]
    script_name = fit(f"{spec.name}-script")
    volumes += [
        _script_volume(
            script_name,
            [
                ("databackuper.alluxio", "databackup.sh"),
                ("wait-for-runtime.sh", "wait-for-runtime.sh"),
            ],
        ),
        _mount_table_volume(values),
    ]
    init, account = _waiting(values, order, kubectl_image, _client_env(values))
    if run_as is not None:
        user_dir = f"{WORKDIR}/backupuser/{spec.namespace}/{spec.name}"
        volumes += [
            {"name": "dir", "hostPath": {"path": user_dir, "type": "DirectoryOrCreate"}},
            {"name": "user", "hostPath": {"path": f"{user_dir}/passwd", "type": "FileOrCreate"}},
            {"name": "group", "hostPath": {"path": f"{user_dir}/group", "type": "FileOrCreate"}},
        ]
        mounts += [
            {"name": "user", "mountPath": "/etc/passwd", "readOnly": True},
            {"name": "group", "mountPath": "/etc/group", "readOnly": True},
        ]
        init.insert(
            0,
            {
                "name": "init-users",
                "image": values.init_image.ref,
                "imagePullPolicy": values.init_image.pull_policy,
                "command": ["/entrypoint.sh"],
                "args": ["init_users"],
                "env": [init_users_env(run_as)],
                "volumeMounts": [
                    {"name": "dir", "mountPath": "/tmp"},
                    {"name": "user", "mountPath": "/tmp/passwd"},
                    {"name": "group", "mountPath": "/tmp/group"},
                ],
            },
        )
    # The archive is written by the master into its node's /alluxio_backups: run beside it.
    master_pod = {
        "labelSelector": {
            "matchLabels": {
                "app": "alluxio",
                "release": bundle.name,
                "role": "alluxio-master",
                "statefulset.kubernetes.io/pod-name": values.master_services[0],
            }
        },
        "topologyKey": "kubernetes.io/hostname",
    }
    pod = {
        "affinity": {
            "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [master_pod]}
        }
    }
    container = {
        "name": "tool",
        "image": values.image.ref,
        "imagePullPolicy": values.image.pull_policy,
        "command": ["/bin/sh", "-c"],
        "args": ["/scripts/databackup.sh"],
        "securityContext": {
            "runAsUser": run_as.uid if run_as else 0,
            "runAsGroup": run_as.gid if run_as else 0,
        },
        "env": env,
        "volumeMounts": mounts,
    }
    return Operation(
        kind="DataBackup",
        name=spec.name,
        namespace=spec.namespace,
        dataset=bundle.name,
        depth=order.depth,
        job_name=order.job_name,
        cron=False,
        schedule=None,
        script_name=script_name,
        scripts={
            "databackuper.alluxio": scripts["databackup.sh"],
            "wait-for-runtime.sh": scripts["wait-for-runtime.sh"],
        },
        labels=labels,
        job_labels={
            **labels,
            "release": release,
            "role": "databackup-job",
            "targetDataset": bundle.name,
        },
        pod_labels={
            **labels,
            "release": release,
            "role": "databackup-pod",
            "targetDataset": bundle.name,
        },
        pod_annotations={"sidecar.istio.io/inject": "false"},
        image=values.image,
        pull_secrets=values.worker_pod.pull_secrets,
        pod=pod,
        containers=[container],
        init_containers=init,
        volumes=volumes,
        service_account=account,
        object=normalised(spec, values.dataset_id, values.dataset_labels),
    )
