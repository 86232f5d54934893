#!/usr/bin/env python3
"""Benchmark one `fluid-render sync --once` pass: 1000 datasets on 200 nodes, against the doubles.

The build renders 1000 Dataset + AlluxioRuntime pairs (2 workers each, Shared placement, 10
namespaces); their objects go into the fake API server (tests/fakekube.py) with the pods and
statuses controllers would add; one Alluxio master double answers for every runtime. The syncer
runs as a child process, so its wall time and peak RSS (os.wait4) are its own, not the fake's.
The first pass writes every label and status; the second finds nothing to change. Wall time
includes the doubles' own latency (they share one Python process); `cpu_seconds` is the
syncer's alone.

    python bench/sync_bench.py [--datasets 1000] [--nodes 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from fluid_render.load import load_inputs  # noqa: E402
from fluid_render.pipeline import build  # noqa: E402
from fluid_render.plan.ports import Lock, PortRange  # noqa: E402
from tests.fakekube import PLURAL, FakeKube  # noqa: E402
from tests.fakemaster import FakeMaster  # noqa: E402
from tests.syncworld import node, point_masters, run_workloads  # noqa: E402


def specs(count: int) -> str:
    docs = []
    for index in range(count):
        namespace, name = f"team-{index % 10}", f"data-{index:04}"
        docs.append(
            f"""apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  placement: Shared
  mounts: [{{mountPoint: "https://example.com/{name}/", name: {name}}}]
---
apiVersion: data.fluid.io/v1alpha1
kind: AlluxioRuntime
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  replicas: 2
  tieredstore: {{levels: [{{mediumtype: MEM, path: /dev/shm, quota: 2Gi}}]}}
"""
        )
    return "---\n".join(docs)


def load_world(fake: FakeKube, datasets: int, nodes: int, master_port: int) -> float:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "specs.yaml"
        path.write_text(specs(datasets))
        result = build(
            load_inputs([str(path)]),
            lock=Lock(),
            lock_source="lock",
            port_range=PortRange(10000, 60000),
        )
    for index in range(nodes):
        fake.put(node(f"node-{index:03}", {"kubernetes.io/hostname": f"node-{index:03}"}))
    for manifest in result.manifests:
        obj = yaml.load(manifest.text, Loader=yaml.CSafeLoader)
        if obj["kind"] in PLURAL:
            fake.put(obj)
    run_workloads(fake, [f"node-{i:03}" for i in range(nodes)], spread=True)
    point_masters(fake, master_port)
    return time.perf_counter() - started


# ru_maxrss survives exec, so a child forked from this (large) process would report the fake's
# memory; the child reports its own high-water mark (VmHWM, reset by exec) when it exits.
CHILD = """
import atexit, re, sys
def report():
    hwm = re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)
    sys.stderr.write(f'{{"message": "memory", "peak_kb": {hwm}}}\\n')
atexit.register(report)
from fluid_render.cli import main
main()
"""


def one_pass(kubeconfig: Path) -> dict[str, float | int]:
    command = [
        sys.executable,
        "-c",
        CHILD,
        "sync",
        "--once",
        "--kubeconfig",
        str(kubeconfig),
        "--log-format",
        "json",
    ]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    log = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    passes = [json.loads(line) for line in log.splitlines() if '"message": "pass"' in line]
    memory = [json.loads(line) for line in log.splitlines() if '"message": "memory"' in line]
    if os.waitstatus_to_exitcode(status) != 0 or not passes or not memory:
        raise SystemExit(f"sync failed ({os.waitstatus_to_exitcode(status)}):\n{log[-2000:]}")
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(memory[0]["peak_kb"] / 1024, 1),
        "patches": passes[-1]["patches"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--nodes", type=int, default=200)
    args = parser.parse_args()
    fake, master = FakeKube(), FakeMaster()
    url, port = fake.start(), master.start()
    try:
        setup = load_world(fake, args.datasets, args.nodes, port)
        with tempfile.TemporaryDirectory() as folder:
            kubeconfig = fake.kubeconfig(Path(folder), url)
            first = one_pass(kubeconfig)
            second = one_pass(kubeconfig)
    finally:
        fake.stop()
        master.stop()
    labelled = sum(
        1
        for n in fake.all("Node")
        if any(k.startswith("fluid.io/s-") for k in n["metadata"]["labels"])
    )
    report = {
        "datasets": args.datasets,
        "nodes": args.nodes,
        "labelled_nodes": labelled,
        "setup_seconds": round(setup, 1),
        "first_pass": first,
        "second_pass": second,
        "python": sys.version.split()[0],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
