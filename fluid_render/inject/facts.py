"""What the webhook reads from the cluster for each dataset, taken from a build instead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fluid_render.inject.keys import REQUIRED
from fluid_render.load import Document
from fluid_render.plan.nodelabels import dataset_label, fuse_label
from fluid_render.runtimes.registry import RUNTIMES


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
        return dataset_label(self.namespace, self.name)


@dataclass(frozen=True)
class Facts:
    """Datasets by (namespace, claim name), the namespaces' labels, and the command's options."""

    datasets: Mapping[tuple[str, str], DatasetFacts]
    namespace_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    namespace: str = "default"
    strict: bool = False
    prefer_nodes_without_cache: bool = False


def facts_from_build(
    planned: Sequence[tuple[str, Any]],
    passthrough: Sequence[Document] = (),
    *,
    namespace: str = "default",
    strict: bool = False,
    prefer_nodes_without_cache: bool = False,
) -> Facts:
    """Each dataset's FUSE container, volumes, node selector and mount path, from the values its
    runtime planned (`Build.planned`: runtime kind, values), by claim."""
    datasets: dict[tuple[str, str], DatasetFacts] = {}
    for kind, values in planned:
        found = RUNTIMES[kind].inject_facts(values)
        own_label = fuse_label(found.namespace, found.name)
        selector = {k: str(v) for k, v in found.fuse_node_selector.items() if k != own_label}
        datasets[(found.namespace, found.claim)] = DatasetFacts(
            namespace=found.namespace,
            name=found.name,
            fuse_node_selector=tuple(sorted(selector.items())),
            fuse_container=found.fuse_container,
            fuse_volumes=tuple(found.fuse_volumes),
            host_mount_path=found.host_mount_path,
            cache_affinity=_cache_affinity(found.worker_node_selector, found.worker_affinity),
        )
    labels = {
        str(doc.data["metadata"]["name"]): string_map(doc.data["metadata"].get("labels"))
        for doc in passthrough
        if is_namespace(doc.data)
    }
    return Facts(datasets, labels, namespace, strict, prefer_nodes_without_cache)


def _cache_affinity(
    node_selector: Mapping[str, str], affinity: Mapping[str, Any]
) -> tuple[Mapping[str, Any], ...]:
    """Upstream's runtime `status.cacheAffinity`: the worker's node selector merged into each
    required term of its node affinity; the webhook reads its expressions one by one."""
    node_affinity = affinity.get("nodeAffinity") or {}
    required = node_affinity.get(REQUIRED) or {}
    terms = [list(t.get("matchExpressions") or []) for t in required.get("nodeSelectorTerms") or []]
    selector = [
        {"key": k, "operator": "In", "values": [str(v)]} for k, v in sorted(node_selector.items())
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
