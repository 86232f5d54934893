"""Node labels: the pure reconcile of one node against the plans (observed labels in, patch out).

Upstream's controller labels every node that runs a worker pod of a runtime and unlabels nodes
that no longer do (`pkg/utils/dataset/lifecycle/node.go`, `SyncScheduleInfoToCacheNodes`,
`labelCacheNode`, `unlabelCacheNode`). The syncer reaches the same labels level-triggered, and
records on the node (annotation `OWNED_ANNOTATION`) which labels it set, so that it only ever
removes its own: a label a person or another controller set, or changed since, is left alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fluid_render.plan.nodelabels import DATASET_NUM

OWNED_ANNOTATION = "fluid-render.io/sync-owned"
ON_RUNTIME_DELETED = "OnRuntimeDeleted"


@dataclass(frozen=True)
class Scope:
    """The namespaces this syncer looks at (None: all); it never prunes outside them, nor in
    the `held` ones (where a plan could not be read this pass: its runtime is unknown)."""

    namespaces: frozenset[str] | None = None
    held: frozenset[str] = frozenset()

    def covers(self, runtime_key: str) -> bool:
        namespace = runtime_key.split("/", 1)[0]
        if namespace in self.held:
            return False
        return self.namespaces is None or namespace in self.namespaces


@dataclass(frozen=True)
class Rules:
    """What one runtime's plan asks of the nodes."""

    labels: Mapping[str, str]
    fuse_label: str
    fuse_clean_policy: str


@dataclass
class Owned:
    """The syncer's record on a node: labels per runtime, FUSE labels to clean, dataset-num."""

    runtimes: dict[str, dict[str, str]] = field(default_factory=dict)
    fuse: dict[str, str] = field(default_factory=dict)
    dataset_num_base: int | None = None

    def encode(self) -> str | None:
        if not self.runtimes and not self.fuse and self.dataset_num_base is None:
            return None
        record: dict[str, Any] = {"runtimes": self.runtimes, "fuse": self.fuse}
        if self.dataset_num_base is not None:
            record["datasetNumBase"] = self.dataset_num_base
        return json.dumps(record, sort_keys=True, separators=(",", ":"))


def read_owned(annotations: Mapping[str, str]) -> Owned:
    """The record, or an empty one when it is absent or unreadable (then nothing is removed)."""
    try:
        record = json.loads(annotations.get(OWNED_ANNOTATION, "{}"))
    except json.JSONDecodeError:
        return Owned()
    if not isinstance(record, dict):
        return Owned()
    runtimes = record.get("runtimes")
    fuse = record.get("fuse")
    base = record.get("datasetNumBase")
    return Owned(
        runtimes={
            key: {k: v for k, v in labels.items() if isinstance(v, str)}
            for key, labels in (runtimes if isinstance(runtimes, dict) else {}).items()
            if isinstance(labels, dict)
        },
        fuse={
            k: v for k, v in (fuse if isinstance(fuse, dict) else {}).items() if isinstance(v, str)
        },
        dataset_num_base=base if isinstance(base, int) and not isinstance(base, bool) else None,
    )


@dataclass(frozen=True)
class NodeLabelPatch:
    """A minimal merge patch of one node: label changes (None deletes) and the new record."""

    node: str
    labels: dict[str, str | None]
    owned: str | None
    resource_version: str | None

    def body(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"annotations": {OWNED_ANNOTATION: self.owned}}
        if self.labels:
            metadata["labels"] = self.labels
        if self.resource_version:
            metadata["resourceVersion"] = self.resource_version
        return {"metadata": metadata}


def _release_and_update(
    owned: Owned, labels: dict[str, str], running: Mapping[str, Rules], scope: Scope
) -> dict[str, dict[str, str]]:
    """First phase: the labels already owned are kept, updated or removed."""
    kept: dict[str, dict[str, str]] = {}
    for key, had in owned.runtimes.items():
        if not scope.covers(key):
            kept[key] = dict(had)
            continue
        want = running[key].labels if key in running else {}
        entry: dict[str, str] = {}
        for label, value in had.items():
            if labels.get(label) != value:
                continue  # changed or removed by someone else since: no longer ours
            if label in want:
                labels[label] = want[label]
                entry[label] = want[label]
            else:
                del labels[label]
        if entry:
            kept[key] = entry
    return kept


def _claim(
    kept: dict[str, dict[str, str]], labels: dict[str, str], running: Mapping[str, Rules]
) -> None:
    """Second phase: the plan's labels not yet on the node are set and recorded."""
    for key in sorted(running):
        entry = kept.setdefault(key, {})
        for label, value in running[key].labels.items():
            if label not in labels:
                labels[label] = value
                entry[label] = value
        if not entry:
            del kept[key]


def _dataset_num(
    owned: Owned, before: Mapping[str, str], labels: dict[str, str], count: int
) -> None:
    """`fluid.io/dataset-num`: what was there before the syncer came, plus its runtimes."""
    base = owned.dataset_num_base
    if base is None:
        current = before.get(DATASET_NUM)
        if current is None:
            base = 0
        elif current.isdigit() and len(current) < 10:
            base = int(current)
        else:
            return  # a value the syncer cannot count from: not its label
    if count:
        labels[DATASET_NUM] = str(base + count)
        owned.dataset_num_base = base
    elif owned.dataset_num_base is not None:
        if base:
            labels[DATASET_NUM] = str(base)
        else:
            labels.pop(DATASET_NUM, None)
        owned.dataset_num_base = None


def _fuse(owned: Owned, labels: dict[str, str], plans: Mapping[str, Rules], scope: Scope) -> None:
    """The FUSE label (set by the CSI plugin) goes once the runtime is gone, by cleanPolicy."""
    for key, rules in plans.items():
        if rules.fuse_clean_policy != ON_RUNTIME_DELETED:
            owned.fuse.pop(key, None)
        elif labels.get(rules.fuse_label) == "true":
            owned.fuse[key] = rules.fuse_label
    for key, label in sorted(owned.fuse.items()):
        if scope.covers(key) and key not in plans:
            if labels.get(label) == "true":
                del labels[label]
            del owned.fuse[key]


def reconcile_node(
    node: Mapping[str, Any],
    plans: Mapping[str, Rules],
    running: frozenset[str],
    scope: Scope,
) -> NodeLabelPatch | None:
    """The patch that brings one node to the plans, or None when it is already there.

    `plans` holds every runtime in scope that has a plan; `running` the keys of those with a
    worker pod on this node (counted as upstream counts them, see `observe.worker_nodes`).
    """
    metadata = node.get("metadata") or {}
    before: dict[str, str] = dict(metadata.get("labels") or {})
    annotations: dict[str, str] = dict(metadata.get("annotations") or {})
    owned = read_owned(annotations)
    labels = dict(before)
    wanted = {key: plans[key] for key in running if key in plans}
    runtimes = _release_and_update(owned, labels, wanted, scope)
    _claim(runtimes, labels, wanted)
    owned.runtimes = runtimes
    _dataset_num(owned, before, labels, len(runtimes))
    _fuse(owned, labels, plans, scope)
    changes: dict[str, str | None] = {
        key: labels.get(key)
        for key in sorted(before.keys() | labels.keys())
        if before.get(key) != labels.get(key)
    }
    record = owned.encode()
    if not changes and record == annotations.get(OWNED_ANNOTATION):
        return None
    return NodeLabelPatch(
        metadata.get("name", ""), changes, record, metadata.get("resourceVersion")
    )
