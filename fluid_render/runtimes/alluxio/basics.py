"""Alluxio defaults (images, paths, JVM options) and small helpers the planner and the data
operations share."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from fluid_render.api import AlluxioRuntime
from fluid_render.objects import MANAGED_BY
from fluid_render.runtimes.alluxio.values import (
    Image,
)
from fluid_render.validate import Spec

RUNTIME_IMAGE = ("alluxio/alluxio-dev", "2.9.0")
FUSE_IMAGE = ("alluxio/alluxio-dev", "2.9.0")
INIT_IMAGE = ("fluidcloudnative/init-users", "v0.9.0")
MOUNT_ROOT = "/runtime-mnt"
WORKDIR = "/tmp"  # upstream's FLUID_WORKDIR: backups pass through <WORKDIR>/alluxio-backup
CHART_LABEL = "alluxio-0.9.14"
CAPACITY_ANNOTATION = "pvc.fluid.io/resources.requests.storage"
DEFAULT_CAPACITY = "100Pi"
MASTER_JVM = ("-Xmx16G", "-XX:+UnlockExperimentalVMOptions")
WORKER_JVM = ("-Xmx12G", "-XX:+UnlockExperimentalVMOptions", "-XX:MaxDirectMemorySize=32g")
FUSE_JVM = (
    "-Xmx16G",
    "-Xms16G",
    "-XX:+UseG1GC",
    "-XX:MaxDirectMemorySize=32g",
    "-XX:+UnlockExperimentalVMOptions",
)
LEVEL0_ENV = "ALLUXIO_WORKER_TIEREDSTORE_LEVEL0_DIRS_PATH"
TRUE_WORDS = frozenset({"1", "t", "T", "TRUE", "true", "True"})
VERSION_PATTERN = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")
LIBFUSE_VERSION = "alluxio.fuse.jnifuse.libfuse.version"
SKIP_CHECK = "fluid.io/skip-check-mount-ready-target"
HOST_PID = "runtime.fluid.io/fuse.hostpid"
ISTIO = {"sidecar.istio.io/inject": "false"}


class ImageSpec(Protocol):
    """The image fields of `alluxioVersion`, `fuse` and `initUsers` alike."""

    @property
    def image(self) -> str | None: ...

    @property
    def image_tag(self) -> str | None: ...

    @property
    def image_pull_policy(self) -> str | None: ...


def resolve_image(spec: ImageSpec | None, default: tuple[str, str]) -> Image:
    """The spec's image, tag and pull policy, each falling back to the install default."""
    return Image(
        spec.image if spec and spec.image else default[0],
        spec.image_tag if spec and spec.image_tag else default[1],
        (spec.image_pull_policy if spec else None) or "IfNotPresent",
    )


def runtime_image(runtime: AlluxioRuntime) -> Image:
    """The image of master, workers and data operations: the spec's, else the install default."""
    return resolve_image(runtime.spec.alluxio_version, RUNTIME_IMAGE)


def init_image(runtime: AlluxioRuntime) -> Image:
    return resolve_image(runtime.spec.init_users, INIT_IMAGE)


def normalised(
    spec: Spec[Any], dataset_id: str, dataset_labels: Mapping[str, str]
) -> dict[str, Any]:
    """A user's object as the cluster should hold it, so the syncer can report on it: fields in
    the model's order, the namespace resolved, labels naming its manager and dataset, no status."""
    obj: dict[str, Any] = spec.model.model_dump(by_alias=True, exclude_unset=True)
    given = obj["metadata"]
    obj["metadata"] = {
        "name": given["name"],
        "namespace": spec.namespace,
        "labels": {
            **dataset_labels,
            **given.get("labels", {}),
            "app.kubernetes.io/managed-by": MANAGED_BY,
            "fluid.io/dataset-id": dataset_id,
        },
        **({"annotations": given["annotations"]} if "annotations" in given else {}),
    }
    return obj


def parse_backup_path(location: str) -> tuple[str | None, str]:
    """`pvc://<claim>/<sub>` -> (claim, `/<sub>/`); `local://<p>` -> (None, `/<p>/`)."""
    scheme, _, rest = location.partition("://")
    pvc = None
    if scheme == "pvc":
        pvc, _, rest = rest.partition("/")
    return pvc, "/" + rest.strip("/") + "/" if rest.strip("/") else "/"
