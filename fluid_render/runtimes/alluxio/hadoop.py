"""`spec.hadoopConfig`: the ConfigMap of HDFS client files every runtime pod mounts.

Upstream reads the ConfigMap at transform time and mounts only the files it holds
(`transform_hadoop_config.go`, `transformHadoopConfig`): `hdfs-site.xml`, `core-site.xml`, or
both; neither is an error. A build sees the ConfigMap only when it is among the inputs
(`--passthrough`); otherwise it mounts the whole ConfigMap, so a missing key leaves no pod in
ContainerCreating (a key listed in `items` that the ConfigMap lacks fails the volume), and names
both files: Hadoop's `Configuration` skips a resource file that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FILES = ("core-site.xml", "hdfs-site.xml")
MOUNT_PATH = "/hdfs-config"
VOLUME = "hdfs-confs"


@dataclass(frozen=True)
class HadoopConfig:
    volume: dict[str, Any]
    mount: dict[str, Any]
    files: str  # the value of alluxio.underfs.hdfs.configuration


def hadoop_config(name: str, keys: frozenset[str] | None) -> HadoopConfig | None:
    """The volume, its mount and the files Alluxio reads; None when the ConfigMap is known and
    holds neither file (upstream's transform fails then)."""
    mount = {"name": VOLUME, "mountPath": MOUNT_PATH, "readOnly": True}
    files: tuple[str, ...] = FILES
    if keys is None:
        volume: dict[str, Any] = {"name": VOLUME, "configMap": {"name": name}}
    else:
        files = tuple(f for f in FILES if f in keys)
        if not files:
            return None
        items = [{"key": f, "path": f} for f in files]
        volume = {"name": VOLUME, "configMap": {"name": name, "items": items}}
    return HadoopConfig(volume, mount, ":".join(f"{MOUNT_PATH}/{f}" for f in files))
