"""Node-label plan formatting and cross-dataset placement checks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fluid_render.bind import bind
from fluid_render.errors import BuildError
from fluid_render.load import parse_documents
from fluid_render.pipeline import build
from fluid_render.plan.nodelabels import capacity
from fluid_render.plan.placement import check_placement, pinned_nodes
from fluid_render.plan.ports import Lock, PortRange
from fluid_render.runtimes.registry import RUNTIMES
from fluid_render.validate import validate

from .conftest import GOLDEN


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (200 * 10**9, "186.3GiB"),
        (3 * 1024**3, "3GiB"),
        (500 * 1024**3, "500GiB"),
        (1536 * 1024**2, "1.5GiB"),
        (308 * 1024**3, "308GiB"),
        (10**9, "953.7MiB"),
        (0, "0B"),
        (1023, "1023B"),
        (2 * 1024**4, "2TiB"),
        # The last unit takes whatever is left, as go-units does: no unit past YiB.
        (1024**8, "1YiB"),
        (1024**9, "1024YiB"),
        (1024**10, "1.049e+06YiB"),
    ],
)
def test_capacity_labels(amount: int, text: str) -> None:
    assert capacity(amount) == text


def _plan(case: str) -> dict[str, Any]:
    docs = parse_documents((GOLDEN / case / "input" / "specs.yaml").read_text(), "s")
    result = build(docs, lock=Lock(), lock_source="l", port_range=PortRange(20000, 25000))
    [manifest] = [m for m in result.manifests if "fluid-render.io/plan: sync" in m.text]
    import yaml

    return json.loads(yaml.safe_load(manifest.text)["data"]["plan.json"])  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "web-dataset-mem",
            {
                "fluid.io/s-alluxio-data-team-zookeeper": "true",
                "fluid.io/s-data-team-zookeeper": "true",
                "fluid.io/s-h-alluxio-m-data-team-zookeeper": "1GiB",
                "fluid.io/s-h-alluxio-t-data-team-zookeeper": "1GiB",
                "fluid_exclusive": "data-team_zookeeper",
            },
        ),
        (
            "pvc-and-local-mounts",
            {
                "fluid.io/s-alluxio-ml-training-data": "true",
                "fluid.io/s-ml-training-data": "true",
                "fluid.io/s-h-alluxio-d-ml-training-data": "500GiB",
                "fluid.io/s-h-alluxio-t-ml-training-data": "500GiB",
                "fluid_exclusive": "ml_training-data",
            },
        ),
        (
            "tiered-mem-ssd-fuse-selector",
            {
                "fluid.io/s-alluxio-ml-laion": "true",
                "fluid.io/s-ml-laion": "true",
                "fluid.io/s-h-alluxio-m-ml-laion": "8GiB",
                "fluid.io/s-h-alluxio-d-ml-laion": "300GiB",
                "fluid.io/s-h-alluxio-t-ml-laion": "308GiB",
                "fluid_exclusive": "ml_laion",
            },
        ),
        (
            "mixed-mount-schemes",
            {  # Shared placement: no fluid_exclusive
                "fluid.io/s-alluxio-analytics-lake": "true",
                "fluid.io/s-analytics-lake": "true",
                "fluid.io/s-h-alluxio-d-analytics-lake": "100GiB",
                "fluid.io/s-h-alluxio-t-analytics-lake": "100GiB",
            },
        ),
    ],
)
def test_node_labels_match_upstream(case: str, expected: dict[str, str]) -> None:
    plan = _plan(case)
    assert plan["nodeLabels"]["labels"] == expected
    assert plan["workloads"]["workers"]["selector"]["role"] == "alluxio-worker"


def test_over_long_label_keys_fall_back_to_a_hash() -> None:
    labels = _plan("long-names")["nodeLabels"]["labels"]
    assert all(len(k.split("/")[-1]) <= 63 and len(v) <= 63 for k, v in labels.items())
    assert labels["fluid_exclusive"].startswith("computer-vision-research-team-shared_imagenet")


PAIR = """apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata: {{name: {name}, namespace: ns}}
spec:
  placement: {placement}
  mounts: [{{mountPoint: "https://example.org/x/", name: x}}]
{affinity}---
apiVersion: data.fluid.io/v1alpha1
kind: AlluxioRuntime
metadata: {{name: {name}, namespace: ns}}
spec:
  replicas: {replicas}
{worker}---
"""


def pair(
    name: str,
    replicas: int,
    placement: str = "Exclusive",
    hosts: list[str] | None = None,
    selector: str | None = None,
) -> str:
    affinity = ""
    if hosts is not None:
        affinity = (
            "  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n"
            "        - matchExpressions:\n"
            f"            - {{key: kubernetes.io/hostname, operator: In, values: {hosts}}}\n"
        )
    worker = (
        f"  worker: {{nodeSelector: {{kubernetes.io/hostname: {selector}}}}}\n" if selector else ""
    )
    return PAIR.format(
        name=name, placement=placement, replicas=replicas, affinity=affinity, worker=worker
    )


def check(text: str) -> list[str]:
    bundles = bind(validate(parse_documents(text, "s.yaml"), "ns", False).specs, RUNTIMES)
    return [str(p) for p in check_placement(bundles)]


def test_pinned_nodes() -> None:
    bundles = bind(
        validate(
            parse_documents(
                pair("a", 1, hosts=["n1", "n2"]) + pair("b", 1, selector="n2") + pair("c", 1), "s"
            ),
            "ns",
            False,
        ).specs,
        RUNTIMES,
    )
    assert [pinned_nodes(b) for b in bundles] == [frozenset({"n1", "n2"}), frozenset({"n2"}), None]


def test_two_exclusive_datasets_on_the_same_nodes() -> None:
    assert check(pair("a", 1, hosts=["n1", "n2"]) + pair("b", 1, hosts=["n2", "n1"])) == []
    [problem] = check(pair("a", 2, hosts=["n1", "n2"]) + pair("b", 1, hosts=["n2", "n1"]))
    assert "spec.replicas: workers need 3 nodes but can only run on 2 (n1, n2)" in problem
    assert "ns/a (Exclusive, 2 workers, s.yaml:" in problem and "ns/b (Exclusive" in problem


def test_exclusive_and_shared_forced_onto_one_node() -> None:
    [problem] = check(pair("a", 1, selector="n1") + pair("b", 2, "Shared", selector="n1"))
    assert "workers need 2 nodes but can only run on 1 (n1)" in problem
    assert (
        check(pair("a", 2, "Shared", selector="n1") + pair("b", 3, "Shared", selector="n1")) == []
    )


def test_too_many_exclusive_workers_for_their_nodes() -> None:
    assert "need 3 nodes but can only run on 2" in check(pair("a", 3, hosts=["n1", "n2"]))[0]


def test_unpinned_or_overlapping_sets_are_not_judged() -> None:
    assert check(pair("a", 5) + pair("b", 5)) == []
    assert check(pair("a", 2, hosts=["n1", "n2"]) + pair("b", 2, hosts=["n2", "n3"])) == []


def test_the_build_reports_placement_errors() -> None:
    docs = parse_documents(pair("a", 1, selector="n1") + pair("b", 1, selector="n1"), "s.yaml")
    with pytest.raises(BuildError, match="workers need 2 nodes"):
        build(docs, lock=Lock(), lock_source="l", port_range=PortRange(20000, 25000))


def test_the_exclusive_label_keeps_62_characters() -> None:
    """`fluid_exclusive` is `<namespace>_<name>`, a label value kept whole up to 62 characters
    (as the dataset id), else a prefix and a hash of the whole."""
    from fluid_render.runtimes.alluxio.syncplan import node_labels

    assert node_labels("n" * 30, "m" * 31, (), True)["fluid_exclusive"] == "n" * 30 + "_" + "m" * 31
    fitted = node_labels("n" * 30, "m" * 32, (), True)["fluid_exclusive"]
    assert len(fitted) == 62 and fitted.startswith("n" * 30 + "_" + "m" * 20 + "-")
    assert "fluid_exclusive" not in node_labels("n", "m", (), False)
