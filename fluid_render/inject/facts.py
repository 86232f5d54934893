"""What the webhook reads from the cluster for each dataset, taken from a build instead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from fluid_render.inject.keys import REQUIRED
from fluid_render.load import Document
from fluid_render.plan.naming import label_key
from fluid_render.render import Manifest


@dataclass(frozen=True)
class DatasetFacts:
    """What the webhook reads from the cluster for one dataset, taken from a build instead."""

    namespace: str
    name: str
    fuse_node_selector: tuple[tuple[str, str], ...]
    fuse_container: Mapping[str, Any]
    fuse_volumes: tuple[Mapping[str, Any], ...]
    host_mount_path: str
    cache_affinity: tuple[Mapping[str, Any], ...] = ()

    @property
    def cache_label(self) -> str:
        return label_key("fluid.io/s-", self.namespace, self.name)


@dataclass(frozen=True)
class Facts:
    """Datasets by (namespace, claim name), the namespaces' labels, and the command's options."""

    datasets: Mapping[tuple[str, str], DatasetFacts]
    namespace_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    namespace: str = "default"
    strict: bool = False
    prefer_nodes_without_cache: bool = False


def facts_from_build(
    manifests: Sequence[Manifest],
    passthrough: Sequence[Document] = (),
    *,
    namespace: str = "default",
    strict: bool = False,
    prefer_nodes_without_cache: bool = False,
) -> Facts:
    """Each dataset's FUSE container, volumes, node selector and mount path, from the rendered
    DaemonSet, PersistentVolume, PersistentVolumeClaim and worker StatefulSet."""
    wanted = ("PersistentVolumeClaim", "PersistentVolume", "DaemonSet", "StatefulSet")
    objects: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    for manifest in manifests:
        if manifest.kind in wanted:
            obj = yaml.load(manifest.text, Loader=yaml.CSafeLoader)
            group = objects.setdefault((manifest.namespace, manifest.dataset), {})
            group.setdefault(manifest.kind, []).append(obj)
    datasets: dict[tuple[str, str], DatasetFacts] = {}
    for (ns, name), found in sorted(objects.items()):
        claims, volumes, fuses = (
            found.get(kind, [])
            for kind in ("PersistentVolumeClaim", "PersistentVolume", "DaemonSet")
        )
        if not (claims and volumes and fuses):
            continue
        pod = fuses[0]["spec"]["template"]["spec"]
        fuse_label = label_key("fluid.io/f-", ns, name)
        selector = {
            k: str(v) for k, v in (pod.get("nodeSelector") or {}).items() if k != fuse_label
        }
        attributes = volumes[0]["spec"]["csi"]["volumeAttributes"]
        path = str(attributes["fluid_path"])
        if attributes.get("fluid_sub_path"):
            path = f"{path}/{attributes['fluid_sub_path']}"
        workers = [
            s
            for s in found.get("StatefulSet", [])
            if s["metadata"]["labels"].get("role") == "alluxio-worker"
        ]
        claim = str(claims[0]["metadata"]["name"])
        datasets[(ns, claim)] = DatasetFacts(
            namespace=ns,
            name=name,
            fuse_node_selector=tuple(sorted(selector.items())),
            fuse_container=pod["containers"][0],
            fuse_volumes=tuple(pod.get("volumes") or ()),
            host_mount_path=path,
            cache_affinity=_cache_affinity(workers[0]) if workers else (),
        )
    labels = {
        str(doc.data["metadata"]["name"]): string_map(doc.data["metadata"].get("labels"))
        for doc in passthrough
        if is_namespace(doc.data)
    }
    return Facts(datasets, labels, namespace, strict, prefer_nodes_without_cache)


def _cache_affinity(worker: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    """Upstream's runtime `status.cacheAffinity`: the worker's node selector merged into each
    required term of its node affinity; the webhook reads its expressions one by one."""
    pod = worker["spec"]["template"]["spec"]
    node_affinity = (pod.get("affinity") or {}).get("nodeAffinity") or {}
    required = node_affinity.get(REQUIRED) or {}
    terms = [list(t.get("matchExpressions") or []) for t in required.get("nodeSelectorTerms") or []]
    selector = [
        {"key": k, "operator": "In", "values": [v]}
        for k, v in sorted((pod.get("nodeSelector") or {}).items())
    ]
    if selector:
        terms = [t + selector for t in terms] if terms else [selector]
    return tuple(expression for term in terms for expression in term)


def is_namespace(data: Any) -> bool:
    return (
        isinstance(data, Mapping)
        and data.get("kind") == "Namespace"
        and data.get("apiVersion") == "v1"
        and isinstance(data.get("metadata"), Mapping)
        and isinstance(data["metadata"].get("name"), str)
    )


def string_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}
