"""The deploy-time values of an AlluxioRuntime's chart under `build --format helm`: the image of
the master and worker, the worker replicas, the FUSE image and each component's resources."""

from __future__ import annotations

from fluid_render.runtimes.protocol import HelmRole, HelmValues

HELM = HelmValues(
    roles=(
        HelmRole("StatefulSet", "alluxio-master", "master", "alluxio-master", "image"),
        HelmRole("StatefulSet", "alluxio-worker", "worker", "alluxio-worker", "image", True),
        HelmRole("DaemonSet", "alluxio-fuse", "fuse", "alluxio-fuse", "fuse.image"),
    ),
    order=("image", "master", "worker", "fuse"),
    replicas="worker.replicas",
    docs={
        "image": "Image of the master and worker containers (an Alluxio upgrade).",
        "fuse": "The FUSE DaemonSet.",
        "fuse.image": "Image of the FUSE container.",
        "master": "The master StatefulSet.",
        "worker": "The worker StatefulSet (the cache).",
        "worker.replicas": "Worker pods; also the AlluxioRuntime's spec.replicas.",
    },
)
