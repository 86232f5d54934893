"""The webhook's mutations of one pod spec (upstream `pkg/webhook/plugins`): affinity to
FUSE and cache nodes, mount propagation, the dataset-usage annotation, the FUSE sidecar."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from fluid_render.inject.context import Context, fail, not_injected
from fluid_render.inject.documents import Doc
from fluid_render.inject.edit import fresh, get, insert_item, plain, put, put_path, rename_key
from fluid_render.inject.facts import DatasetFacts
from fluid_render.inject.keys import (
    CACHE_DIR,
    CACHE_DIR_PREFIXES,
    DATASET_NUM,
    DATASETS_IN_USE,
    ENABLE_INJECTION,
    FUSE_CONTAINER,
    HOST_TO_CONTAINER,
    INIT_FUSE_CONTAINER,
    INJECTION_DONE,
    MANAGED_BY,
    PREFERRED,
    PREFERRED_LOCALITY,
    REQUIRED,
    REQUIRED_LOCALITY,
    SCHED,
    SERVERLESS,
    SIDECAR_NAME,
    SIDECAR_NAMESPACE,
    UNPRIVILEGED,
    Path_,
)
from fluid_render.inject.terms import (
    and_term,
    constrains,
    copied_expression,
    implies,
    match_expression,
    preferred_term,
    unique_name,
)
from fluid_render.inject.workloads import (
    template_containers,
)


class Pod:
    """One pod (a Pod, or the template of a workload) and the plugins upstream would run on it."""

    METADATA = "metadata"  # the key of the pod's labels and annotations in `node`

    def __init__(
        self,
        doc: Doc,
        context: Context,
        node: CommentedMap,
        path: Path_,
        namespace: str,
        *,
        knative: bool = False,
    ) -> None:
        self.doc, self.context, self.node, self.path = doc, context, node, path
        self.namespace = namespace
        self.knative = knative
        self.spec: CommentedMap = self._spec()
        metadata = node.get(self.METADATA)
        labels = metadata.get("labels") if isinstance(metadata, CommentedMap) else None
        self.labels: dict[str, str] = dict(labels or {})

    def _spec(self) -> CommentedMap:
        spec: CommentedMap = self.node["spec"]
        return spec

    def _spec_path(self, *parts: str | int) -> Path_:
        return (*self.path, "spec", *parts)

    def _volumes(self) -> list[tuple[Path_, Any]]:
        """The pod's volumes, each with its path below the spec."""
        volumes = enumerate(self.spec.get("volumes") or [])
        return [(("volumes", i), v) for i, v in volumes if v is not None]

    def _containers(self) -> list[Any]:
        return [c for c in self.spec.get("containers") or [] if c is not None]

    def inject(self) -> None:
        if (
            self.labels.get(ENABLE_INJECTION) == "false"
            or self.labels.get(INJECTION_DONE) == "true"
        ):
            return
        datasets = self._datasets()
        namespace_labels = self.context.namespace_labels.get(self.namespace, {})
        serverless = any(self.labels.get(key) == "true" for key in SERVERLESS) or (
            namespace_labels.get(ENABLE_INJECTION) == "true"
        )
        if serverless and datasets and self.knative:
            not_injected(
                self.doc,
                self.context,
                (*self.path, self.METADATA),
                "the FUSE sidecar is not injected into a Knative revision template, which "
                "rejects privileged containers, lifecycle hooks and hostPath volumes; use "
                "serverful injection, or upstream's webhook",
            )
        elif serverless:
            if datasets and self._sidecar_supported():
                self._fuse_sidecar(datasets)
                self._dataset_usage(datasets)
        elif datasets:
            self._require_node_with_fuse(datasets)
            self._node_affinity_with_cache(datasets)
            if not self.knative:  # Knative rejects mountPropagation in a revision template
                self._mount_propagation(datasets)
            self._dataset_usage(datasets)
        elif self.context.facts.prefer_nodes_without_cache:
            self._prefer_nodes_without_cache()

    def _datasets(self) -> list[DatasetFacts]:
        """The datasets whose claims the pod mounts, by name (upstream iterates a Go map)."""
        found: dict[str, DatasetFacts] = {}
        for where, volume in self._volumes():
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim is None:
                continue
            dataset = self.context.facts.datasets.get((self.namespace, str(claim)))
            if dataset is not None:
                found[str(claim)] = dataset
            elif self.context.facts.strict:
                path = self._spec_path(*where, "persistentVolumeClaim", "claimName")
                fail(
                    self.doc,
                    self.context,
                    path,
                    f"PersistentVolumeClaim {self.namespace}/{claim} is no Dataset of the specs "
                    "(--strict)",
                )
        return [found[name] for name in sorted(found)]

    def _sidecar_supported(self) -> bool:
        if self.labels.get(UNPRIVILEGED) != "true":
            return True
        fail(
            self.doc,
            self.context,
            (*self.path, "metadata", "labels", UNPRIVILEGED),
            "the unprivileged FUSE sidecar is not supported; remove the label",
        )
        return False

    # RequireNodeWithFuse: the runtime's own FUSE node selector, one required term per dataset.
    def _require_node_with_fuse(self, datasets: list[DatasetFacts]) -> None:
        terms = [
            {"matchExpressions": [match_expression(key, "In", [value]) for key, value in selector]}
            for selector in (d.fuse_node_selector for d in datasets)
            if selector
        ]
        self._require(terms)

    # NodeAffinityWithCache: prefer (or, if the pod asks, require) the dataset's cache nodes.
    def _node_affinity_with_cache(self, datasets: list[DatasetFacts]) -> None:
        keys = {*PREFERRED_LOCALITY, *REQUIRED_LOCALITY, *(d.cache_label for d in datasets)}
        if keys & self._scheduling_keys():
            return
        required = {
            match.group(1)
            for key, value in self.labels.items()
            if (match := SCHED.fullmatch(key)) and value == "required"
        }
        terms = []
        preferred = []
        for dataset in datasets:
            if dataset.name in required:
                terms.append(
                    {"matchExpressions": [match_expression(dataset.cache_label, "In", ["true"])]}
                )
                terms += [
                    {"matchExpressions": [copied_expression(e)]}
                    for e in dataset.cache_affinity
                    if e.get("key") in REQUIRED_LOCALITY
                ]
            else:
                preferred.append(
                    preferred_term(100, match_expression(dataset.cache_label, "In", ["true"]))
                )
                preferred += [
                    preferred_term(PREFERRED_LOCALITY[str(e["key"])], copied_expression(e))
                    for e in dataset.cache_affinity
                    if e.get("key") in PREFERRED_LOCALITY
                ]
        self._require(terms)
        self._prefer(preferred)

    # MountPropagationInjector: app containers see the FUSE mount come back after a restart.
    def _mount_propagation(self, datasets: list[DatasetFacts]) -> None:
        volumes = self._volumes_of({d.name for d in datasets})
        for container in self._containers():
            for mount in container.get("volumeMounts") or []:
                if mount.get("name") in volumes and mount.get("mountPropagation") is None:
                    put(mount, "mountPropagation", HOST_TO_CONTAINER)

    # DatasetUsageInjector: the sorted union of the datasets the pod uses.
    def _dataset_usage(self, datasets: list[DatasetFacts]) -> None:
        metadata = self.node.get(self.METADATA)
        annotations = metadata.get("annotations") if isinstance(metadata, CommentedMap) else None
        existing = str((annotations or {}).get(DATASETS_IN_USE) or "")
        names = {n.strip() for n in existing.split(",") if n.strip()} | {d.name for d in datasets}
        value = ",".join(sorted(names))
        if value != (annotations or {}).get(DATASETS_IN_USE):
            self._metadata("annotations", {DATASETS_IN_USE: value})

    # PreferNodesWithoutCache: pods without datasets keep away from cache nodes.
    def _prefer_nodes_without_cache(self) -> None:
        term = preferred_term(100, {"key": DATASET_NUM, "operator": "DoesNotExist"})
        if term not in (plain(get(self.spec, ("affinity", "nodeAffinity", PREFERRED))) or []):
            self._prefer([term])

    # FuseSidecar: the FUSE container itself runs in the pod, over a hostPath of its mount.
    def _fuse_sidecar(self, datasets: list[DatasetFacts]) -> None:
        containers = self.spec.get("containers") or []
        index = sum(1 for c in containers if str(c.get("name") or "").startswith(FUSE_CONTAINER))
        keep_cache = self.labels.get(CACHE_DIR) == "true"
        new_labels: dict[str, str] = {}
        for dataset in datasets:
            suffix = f"-{index}"
            container = copy.deepcopy(dict(dataset.fuse_container))
            mounts: list[dict[str, Any]] = list(container.get("volumeMounts") or [])
            mounted = {m["name"] for m in mounts}
            volumes = [copy.deepcopy(dict(v)) for v in dataset.fuse_volumes if v["name"] in mounted]
            if not keep_cache:
                mounts = [m for m in mounts if not m["name"].startswith(CACHE_DIR_PREFIXES)]
                volumes = [v for v in volumes if not v["name"].startswith(CACHE_DIR_PREFIXES)]
            container["volumeMounts"] = mounts
            ports = [p for p in container.get("ports") or [] if not p["name"].endswith("-metrics")]
            container.pop("ports", None)
            if ports:
                container["ports"] = ports
            in_app, in_init = self._mount_dataset_host_path(dataset)
            renamed = self._add_volumes(volumes, suffix)
            for mount in mounts:
                mount["name"] = renamed.get(mount["name"], mount["name"])
            if in_app:
                name = FUSE_CONTAINER + suffix
                self._prepend("containers", {**container, "name": name})
                new_labels |= {SIDECAR_NAMESPACE + name: dataset.namespace}
                new_labels |= {SIDECAR_NAME + name: dataset.name}
            if in_init:
                name = INIT_FUSE_CONTAINER + suffix
                init = {**container, "name": name, "command": ["sleep"], "args": ["2s"]}
                init.pop("lifecycle", None)
                self._prepend("initContainers", init)
                new_labels |= {SIDECAR_NAMESPACE + name: dataset.namespace}
                new_labels |= {SIDECAR_NAME + name: dataset.name}
            index += 1
        new_labels |= {INJECTION_DONE: "true", MANAGED_BY: "fluid"}
        self._metadata("labels", dict(sorted(new_labels.items())))

    def _mount_dataset_host_path(self, dataset: DatasetFacts) -> tuple[bool, bool]:
        """Replace the dataset's claim volumes by a hostPath of the FUSE mount; say whether app
        containers and init containers mount them (upstream overrides their propagation)."""
        replaced = set()
        for volume in self.spec.get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim is not None and str(claim) == dataset.name:
                rename_key(
                    volume,
                    "persistentVolumeClaim",
                    "hostPath",
                    fresh({"path": dataset.host_mount_path}),
                )
                replaced.add(volume.get("name"))
        used = []
        for section in ("containers", "initContainers"):
            found = False
            for container in self.spec.get(section) or []:
                for mount in container.get("volumeMounts") or []:
                    if mount.get("name") in replaced:
                        if mount.get("mountPropagation") != HOST_TO_CONTAINER:
                            put(mount, "mountPropagation", HOST_TO_CONTAINER)
                        found = True
            used.append(found)
        return used[0], used[1]

    def _add_volumes(self, volumes: list[dict[str, Any]], suffix: str) -> dict[str, str]:
        """Append the FUSE volumes as `<name><suffix>` (another name on a clash)."""
        taken = [str(v.get("name")) for v in self.spec.get("volumes") or []]
        renamed = {}
        for volume in volumes:
            name = volume["name"] + suffix
            if name in taken:
                name = unique_name(name, taken)
            taken.append(name)
            renamed[volume["name"]] = name
            self._append("volumes", {**volume, "name": name})
        return renamed

    # --- helpers ---

    def _volumes_of(self, claims: set[str]) -> set[str]:
        return {
            str(v.get("name"))
            for _, v in self._volumes()
            if str((v.get("persistentVolumeClaim") or {}).get("claimName")) in claims
        }

    def _scheduling_keys(self) -> set[str]:
        """Every node label key the pod already schedules on (affinity and nodeSelector)."""
        keys = {str(k) for k in self.spec.get("nodeSelector") or {}}
        node_affinity = plain(self.spec.get("affinity") or {}).get("nodeAffinity") or {}
        required = node_affinity.get(REQUIRED) or {}
        preferred = node_affinity.get(PREFERRED) or []
        for term in required.get("nodeSelectorTerms") or []:
            keys |= {str(e.get("key")) for e in term.get("matchExpressions") or []}
        for term in preferred:
            preference = term.get("preference") or {}
            keys |= {str(e.get("key")) for e in preference.get("matchExpressions") or []}
        return keys

    def _require(self, new_terms: list[dict[str, Any]]) -> None:
        """Upstream's required-term merge: new terms when the pod has none, else every existing
        term ANDed with each new one. A term that already implies a new term is kept as it is,
        which gives the same nodes and makes the merge idempotent."""
        if not new_terms:
            return
        required = get(self.spec, ("affinity", "nodeAffinity", REQUIRED))
        terms = get(required, ("nodeSelectorTerms",))
        if not terms or not any(constrains(t) for t in terms):
            if isinstance(required, CommentedMap):
                put(required, "nodeSelectorTerms", fresh(new_terms))
            else:
                put_path(
                    self.spec,
                    ("affinity", "nodeAffinity", REQUIRED),
                    {"nodeSelectorTerms": new_terms},
                )
            return
        for index in reversed(range(len(terms))):
            term = terms[index]
            if not constrains(term):
                del terms[index]
                continue
            if any(implies(term, new) for new in new_terms):
                continue
            copies = [fresh(plain(term)) for _ in new_terms[1:]]
            for target, new in zip([term, *copies], new_terms, strict=True):
                and_term(target, new)
            for offset, extra in enumerate(copies, start=1):
                insert_item(terms, index + offset, extra)

    def _prefer(self, new_terms: list[dict[str, Any]]) -> None:
        if not new_terms:
            return
        existing = get(self.spec, ("affinity", "nodeAffinity", PREFERRED))
        if isinstance(existing, CommentedSeq) and existing:
            for term in new_terms:
                insert_item(existing, len(existing), fresh(term))
        else:
            put_path(self.spec, ("affinity", "nodeAffinity", PREFERRED), new_terms)

    def _metadata(self, section: str, entries: Mapping[str, str]) -> None:
        """Set labels or annotations of the pod, creating what is missing."""
        metadata = self.node.get(self.METADATA)
        if not isinstance(metadata, CommentedMap):
            value = fresh({section: dict(entries)})
            if self.METADATA in self.node or self.METADATA != "metadata":
                put(self.node, self.METADATA, value)
            else:
                self.node.insert(0, self.METADATA, value)
            return
        existing = metadata.get(section)
        if not isinstance(existing, CommentedMap):
            put(metadata, section, fresh(dict(entries)))
            return
        for key, value in entries.items():
            if existing.get(key) != value:
                put(existing, key, fresh(value))

    def _prepend(self, section: str, item: Mapping[str, Any]) -> None:
        existing = self.spec.get(section)
        if isinstance(existing, CommentedSeq):
            existing.insert(0, fresh(item))
        else:
            put(self.spec, section, fresh([item]))

    def _append(self, section: str, item: Mapping[str, Any]) -> None:
        existing = self.spec.get(section)
        if isinstance(existing, CommentedSeq):
            insert_item(existing, len(existing), fresh(item))
        else:
            put(self.spec, section, fresh([item]))


class WorkflowPods(Pod):
    """The pods of an Argo workflow spec: its `volumes`, `affinity`, `nodeSelector` and
    `podMetadata` apply to every template's pod, so the scheduling plugins write there."""

    METADATA = "podMetadata"

    def _spec(self) -> CommentedMap:
        return self.node

    def _spec_path(self, *parts: str | int) -> Path_:
        return (*self.path, *parts)

    def _volumes(self) -> list[tuple[Path_, Any]]:
        found = super()._volumes()
        for index, template in enumerate(self.spec.get("templates") or []):
            for i, volume in enumerate((template or {}).get("volumes") or []):
                found.append((("templates", index, "volumes", i), volume))
        return [(where, volume) for where, volume in found if volume is not None]

    def _containers(self) -> list[Any]:
        return [c for _, c in template_containers(self.spec, "containers")]

    def inject(self) -> None:
        if self.labels.get(ENABLE_INJECTION) == "false":
            return
        datasets = self._datasets()
        if not datasets:
            return
        namespace_labels = self.context.namespace_labels.get(self.namespace, {})
        if any(self.labels.get(key) == "true" for key in SERVERLESS) or (
            namespace_labels.get(ENABLE_INJECTION) == "true"
        ):
            not_injected(
                self.doc,
                self.context,
                self._spec_path("podMetadata"),
                "the FUSE sidecar is not injected into Argo Workflows: their pods are made "
                "per template at run time; use serverful injection, or upstream's webhook",
            )
            return
        self._require_node_with_fuse(datasets)
        self._node_affinity_with_cache(datasets)
        self._mount_propagation(datasets)
        self._dataset_usage(datasets)
        for index, template in enumerate(self.spec.get("templates") or []):
            if (template or {}).get("affinity") is not None:
                not_injected(
                    self.doc,
                    self.context,
                    self._spec_path("templates", index, "affinity"),
                    "this template's own affinity replaces the workflow's, which got the "
                    "datasets' node affinity: add it here too",
                )
