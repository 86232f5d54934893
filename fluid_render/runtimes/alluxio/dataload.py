"""A DataLoad as a Job or CronJob (upstream `pkg/ddc/alluxio/load_data.go`)."""

from __future__ import annotations

from typing import Any

from fluid_render.api import DataLoad
from fluid_render.plan.naming import fit
from fluid_render.runtimes.alluxio.jobs import (
    CRON_NAME_LIMIT,
    Job,
    JobContext,
    Operation,
    client_env,
    inside,
    mount_table_volume,
    operation_labels,
    tool,
    waiting,
)
from fluid_render.runtimes.alluxio.mounts import alluxio_path
from fluid_render.validate import Spec


def dataload(spec: Spec[DataLoad], ctx: JobContext) -> Operation:
    # Long: one Job spec (init containers, container, volumes, labels) in the order the
    # template prints it, as upstream's DataLoad chart values.
    bundle, values, load = ctx.bundle, ctx.values, spec.model.spec
    if load.policy == "OnEvent":
        why = "OnEvent is not supported for Alluxio (upstream renders nothing for it)"
        ctx.problem(spec, ("spec", "policy"), f"{why}; use Once or Cron")
    roots = [alluxio_path(m.name or "", m.path) for m in bundle.dataset.model.spec.mounts or []]
    targets = list(load.target or [])
    for index, target in enumerate(targets):
        where = ("spec", "target", index, "path")
        path = target.path
        if not path.startswith("/"):
            ctx.problem(spec, where, "must be an absolute path in the dataset")
        elif ":" in path:
            ctx.problem(spec, where, "must not contain ':' (it separates paths)")
        elif path != "/" and not any(inside(path, root) for root in roots):
            mounts = ", ".join(roots) or "none"
            ctx.problem(spec, where, f"is not inside any mount of dataset {bundle.name} ({mounts})")
    paths = ":".join(t.path for t in targets) or "/"
    replicas = ":".join(str(t.replicas or 1) for t in targets) or "1"
    release = f"{spec.name}-loader"
    labels = operation_labels(values, "fluid-dataloader", release)
    cron = load.policy == "Cron"
    cron_name = fit(f"{spec.name}-loader-job", CRON_NAME_LIMIT)

    def with_role(role: str) -> dict[str, str]:
        return {
            **labels,
            "release": release,
            "role": role,
            "app": "alluxio",
            "targetDataset": bundle.name,
        }

    job_labels = with_role("dataload-job")
    if cron:
        job_labels.update({"dataload": spec.name, "fluid.io/jobPolicy": "cron"})
    metadata = load.pod_metadata
    pod_labels = {**with_role("dataload-pod"), **((metadata.labels if metadata else None) or {})}
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
        *client_env(values)[:2],
        {"name": "NEED_LOAD_METADATA", "value": "true" if load.load_metadata else "false"},
        {"name": "DATA_PATH", "value": paths},
        {"name": "PATH_REPLICAS", "value": replicas},
    ]
    # A load into a cache without workers would fail, or load nothing (upstream waits for
    # the runtime to be ready: a ready master and, when replicas > 0, a ready worker).
    workers = {"name": "FLUID_WAIT_WORKERS", "value": "1" if values.worker.replicas else "0"}
    order = ctx.order(spec)
    init, account = waiting(values, order, ctx.kubectl_image, [*client_env(values), workers])
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
        **tool(
            values, "dataloader", "/scripts/alluxio_env_init.sh && /scripts/alluxio_dataload.sh"
        ),
        "env": env,
        "envFrom": [{"configMapRef": {"name": values.config_name}}],
        "volumeMounts": [{"name": "script", "mountPath": "/scripts"}],
    }
    if load.resources:
        container["resources"] = load.resources.model_dump(by_alias=True, exclude_none=True)
    script_name = fit(f"{spec.name}-loader-data-load-script")
    scripts, script_volume = ctx.scripts_of(
        script_name,
        [
            ("dataloader.alluxio.init", "dataload-env.sh", "alluxio_env_init.sh"),
            ("dataloader.distributedLoad", "dataload.sh", "alluxio_dataload.sh"),
            ("wait-for-runtime.sh", "wait-for-runtime.sh", "wait-for-runtime.sh"),
        ],
    )
    job = Job(
        job_name=cron_name if cron else order.job_name,
        cron=cron,
        schedule=load.schedule,
        script_name=script_name,
        scripts=scripts,
        labels={**labels, "release": release, "role": "dataload-job"},
        job_labels=job_labels,
        pod_labels=pod_labels,
        pod_annotations=annotations,
        pod=pod,
        containers=[container],
        init_containers=init,
        volumes=[script_volume, mount_table_volume(values)],
        service_account=account,
    )
    return ctx.operation(spec, job)
