"""A small world for the syncer's tests: the objects a golden build rendered, put into the
fake API server, and the pods and statuses the cluster's controllers would add."""

from __future__ import annotations

import glob
import json
from pathlib import Path
from typing import Any

import yaml

from .conftest import ROOT
from .fakekube import PLURAL, FakeKube

SNAPSHOTS = ROOT / "tests" / "__snapshots__" / "test_golden"


def golden_objects(case: str) -> list[dict[str, Any]]:
    """Every object of a golden case's snapshots (what `kubectl apply -k` would create)."""
    objects = []
    for path in sorted(SNAPSHOTS.glob(f"test_golden[[]{glob.escape(case)}][[]*].yaml")):
        obj = yaml.safe_load(path.read_text())
        if "apiVersion" in obj and obj.get("kind") != "Kustomization":
            objects.append(obj)
    assert objects, f"no golden snapshots of {case}"
    return objects


def node(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels or {}}}


def _pod(
    owner: dict[str, Any], name: str, node_name: str, labels: dict[str, str]
) -> dict[str, Any]:
    meta = owner["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": meta["namespace"],
            "labels": labels,
            "ownerReferences": [
                {
                    "apiVersion": owner["apiVersion"],
                    "kind": owner["kind"],
                    "name": meta["name"],
                    "uid": meta["uid"],
                    "controller": True,
                }
            ],
        },
        "spec": {"nodeName": node_name},
        "status": {"podIP": "127.0.0.1", "conditions": [{"type": "Ready", "status": "True"}]},
    }


def run_workloads(
    fake: FakeKube, nodes: list[str], ready: bool = True, spread: bool = False
) -> None:
    """What the StatefulSet, DaemonSet and Job controllers would do with the applied objects.

    Pods of a set go to nodes[0], nodes[1], ...; with `spread`, each set starts one node further
    and a runtime's FUSE pods run only beside its workers (as on clusters with many datasets).
    """
    placed: dict[tuple[str, str], list[str]] = {}
    for index, sts in enumerate(fake.all("StatefulSet")):
        replicas = sts["spec"].get("replicas", 1)
        revision = f"{sts['metadata']['name']}-rev1"
        labels = {
            **sts["spec"]["template"]["metadata"]["labels"],
            "controller-revision-hash": revision,
        }
        start = index if spread else 0
        hosts = [nodes[(start + i) % len(nodes)] for i in range(replicas)]
        release = sts["spec"]["template"]["metadata"]["labels"].get("release", "")
        placed.setdefault((sts["metadata"]["namespace"], release), []).extend(hosts)
        for i, host in enumerate(hosts):
            fake.put(_pod(sts, f"{sts['metadata']['name']}-{i}", host, labels))
        count = replicas if ready else 0
        sts["status"] = {
            "replicas": replicas,
            "readyReplicas": count,
            "availableReplicas": count,
            "updateRevision": revision,
            "currentRevision": revision,
        }
        fake.put(sts)
    for ds in fake.all("DaemonSet"):
        ds["metadata"].setdefault("annotations", {})["deprecated.daemonset.template.generation"] = (
            "1"
        )
        ds = fake.put(ds)
        labels = {**ds["spec"]["template"]["metadata"]["labels"], "pod-template-generation": "1"}
        release = labels.get("release", "")
        hosts = (
            sorted(set(placed.get((ds["metadata"]["namespace"], release), []))) if spread else nodes
        )
        for host in hosts:
            fake.put(_pod(ds, f"{ds['metadata']['name']}-{host}", host, labels))
        ds["status"] = {
            "desiredNumberScheduled": len(hosts),
            "currentNumberScheduled": len(hosts),
            "numberReady": len(hosts),
            "numberAvailable": len(hosts),
        }
        fake.put(ds)
    for job in fake.all("Job"):
        job["status"] = {
            "succeeded": 1,
            "conditions": [
                {
                    "type": "Complete",
                    "status": "True",
                    "reason": "Completed",
                    "message": "done",
                    "lastProbeTime": "2026-01-01T00:02:05Z",
                    "lastTransitionTime": "2026-01-01T00:02:05Z",
                }
            ],
        }
        job = fake.put(job)
        fake.put(
            _pod(
                job,
                f"{job['metadata']['name']}-x1",
                nodes[0],
                {
                    "job-name": job["metadata"]["name"],
                    "app.kubernetes.io/managed-by": "fluid-render",
                },
            )
        )


def point_masters(fake: FakeKube, port: int) -> None:
    """Let every plan's master web port be the master double's (pods all have IP 127.0.0.1)."""
    for config_map in fake.all("ConfigMap"):
        if "plan.json" in config_map.get("data", {}):
            plan = json.loads(config_map["data"]["plan.json"])
            plan["endpoints"]["masterWebPort"] = port
            config_map["data"]["plan.json"] = json.dumps(plan)
            fake.put(config_map)


def world(fake: FakeKube, case: str, nodes: list[str], master_port: int | None) -> None:
    for name in nodes:
        fake.put(node(name, {"kubernetes.io/hostname": name}))
    for obj in golden_objects(case):
        if obj["kind"] in PLURAL:  # the syncer reads no Service, PV or PVC
            fake.put(obj)
    run_workloads(fake, nodes)
    if master_port is not None:
        point_masters(fake, master_port)


def owned_labels(fake: FakeKube) -> dict[str, dict[str, str]]:
    return {n["metadata"]["name"]: n["metadata"].get("labels", {}) for n in fake.all("Node")}


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
