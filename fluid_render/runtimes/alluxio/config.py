"""Alluxio site properties and the `<name>-config` ConfigMap of Java options."""

from __future__ import annotations

from collections.abc import Mapping

from fluid_render.runtimes.alluxio.basics import (
    FUSE_JVM,
    LEVEL0_ENV,
    MASTER_JVM,
    WORKER_JVM,
)
from fluid_render.runtimes.alluxio.context import Context
from fluid_render.runtimes.alluxio.ports import (
    PROPERTY_OF,
)
from fluid_render.runtimes.alluxio.properties import java_options, site_properties


def plan_properties(c: Context) -> dict[str, str]:
    """Alluxio site properties (`transformCommonPart`): forced values, the user's, then defaults."""
    mounts = c.mounts
    forced: dict[str, str] = {"alluxio.master.mount.table.root.ufs": mounts.root_ufs}
    forced.update(dict(mounts.root_properties))
    data_replicas = c.runtime.data.replicas if c.runtime.data else None
    forced["alluxio.user.file.replication.max"] = str(
        data_replicas if data_replicas and data_replicas > 0 else 1
    )
    if any(not v.host_path for t in c.tiers for v in t.volumes) and c.levels:
        forced["alluxio.user.short.circuit.enabled"] = "false"
    if not (c.dataset.owner is not None and len(c.fuse_args) >= 2):
        forced["alluxio.fuse.user.group.translation.enabled"] = "true"
    if c.hadoop:
        forced["alluxio.underfs.hdfs.configuration"] = c.hadoop.files
    embedded = None
    if c.replicas > 1:
        journal_port = c.ports["master.embeddedJournal"]
        embedded = ",".join(f"{s}:{journal_port}" for s in c.services)
    levels = c.levels
    component_keys = {
        key
        for props in (
            c.component("master").properties,
            c.component("worker").properties,
            c.fuse.properties,
        )
        for key in props or {}
    }
    return site_properties(
        user=dict(c.runtime.properties or {}),
        component_keys=component_keys,
        forced=forced,
        all_http=mounts.all_http,
        # Component properties make upstream union them into a new map, which ends the
        # sharing (`transformMasters`, `transformWorkers`, `transformFuse`).
        shared_user_map=bool(c.runtime.properties) and not component_keys,
        master_replicas=c.replicas,
        # Direct memory reads pay off only for one read-only tier with a single path.
        direct_memory=c.read_only and len(levels) == 1 and len(levels[0].path.split(",")) == 1,
        ports={PROPERTY_OF[n]: str(p) for n, p in c.ports.items()} if c.host else {},
        embedded_journal_addresses=embedded,
    )


def plan_config(
    c: Context, properties: Mapping[str, str], worker_memory: str | None
) -> dict[str, str]:
    """The `<name>-config` ConfigMap: each component's Java options."""
    master, worker = c.component("master"), c.component("worker")
    opts: list[str] = []
    if c.replicas == 1:
        opts.append(f"-Dalluxio.master.hostname={c.services[0]}.{c.namespace}")
    opts += [
        "-Dalluxio.user.hostname=${ALLUXIO_CLIENT_HOSTNAME}",
        "-Dalluxio.master.journal.type=EMBEDDED",
        "-Dalluxio.master.journal.folder=/journal",
        f"-Dalluxio.worker.tieredstore.levels={len(c.tiers)}",
    ]
    for tier in c.tiers:
        opts += tier.options()
    opts += java_options(properties)
    opts += list(c.runtime.jvm_options or [])
    worker_opts = [
        "-Dalluxio.worker.hostname=${ALLUXIO_WORKER_HOSTNAME}",
        f"-Dalluxio.worker.rpc.port={c.ports['worker.rpc']}",
        f"-Dalluxio.worker.web.port={c.ports['worker.web']}",
    ]
    if worker.network_mode == "ContainerNetwork":
        worker_opts.append(
            "-Dalluxio.worker.container.hostname=${ALLUXIO_WORKER_CONTAINER_HOSTNAME}"
        )
    if worker_memory is not None:
        worker_opts.append(f"-Dalluxio.worker.memory.size={worker_memory}")
    worker_opts += java_options(worker.properties or {})
    worker_opts += list(worker.jvm_options or WORKER_JVM)
    master_opts = [
        "-Dalluxio.master.hostname=${ALLUXIO_MASTER_HOSTNAME}",
        *java_options(master.properties or {}),
        *(master.jvm_options or MASTER_JVM),
    ]
    job_worker_opts = [
        "-Dalluxio.worker.hostname=${ALLUXIO_WORKER_HOSTNAME}",
        f"-Dalluxio.job.worker.rpc.port={c.ports['jobWorker.rpc']}",
        f"-Dalluxio.job.worker.data.port={c.ports['jobWorker.data']}",
        f"-Dalluxio.job.worker.web.port={c.ports['jobWorker.web']}",
    ]
    fuse_opts = [
        *java_options(c.fuse.properties or {}),
        *(c.fuse.jvm_options or FUSE_JVM),
    ]
    return {
        "ALLUXIO_JAVA_OPTS": " ".join(opts),
        "ALLUXIO_MASTER_JAVA_OPTS": " ".join(master_opts),
        "ALLUXIO_JOB_MASTER_JAVA_OPTS": "-Dalluxio.master.hostname=${ALLUXIO_MASTER_HOSTNAME}",
        "ALLUXIO_WORKER_JAVA_OPTS": " ".join(worker_opts),
        "ALLUXIO_JOB_WORKER_JAVA_OPTS": " ".join(job_worker_opts),
        "ALLUXIO_FUSE_JAVA_OPTS": " ".join(fuse_opts),
        LEVEL0_ENV: "${" + LEVEL0_ENV + "}",
    }
