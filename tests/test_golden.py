"""Whole outputs: each golden/<case>/input builds exactly into its snapshots, one file per
object in __snapshots__/test_golden/ (the pytest plugin users run on their own repositories).

Refresh after a reviewed change with `pytest tests/test_golden.py --snapshot-update`.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluid_render.check import check_manifests
from fluid_render.emit import OWNED
from fluid_render.load import load_inputs, parse_documents
from fluid_render.pipeline import build
from fluid_render.plan.ports import Lock, PortRange
from fluid_render.pytest_plugin import SnapshotBuild, snapshot_name

from .conftest import GOLDEN, read_tree, run

CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "input").is_dir())
SNAPSHOTS = Path(__file__).parent / "__snapshots__" / "test_golden"


def snapshots(case: str) -> dict[str, str]:
    """The case's snapshot files by snapshot name."""
    prefix = f"test_golden[{case}]["
    return {
        p.name.removeprefix(prefix).removesuffix("].yaml"): p.read_text(encoding="utf-8")
        for p in sorted(SNAPSHOTS.iterdir())
        if p.name.startswith(prefix)
    }


def _build_case(case: str, out: Path) -> dict[str, str]:
    lock = out.parent / "fluid-render.lock"
    result = run("build", str(GOLDEN / case / "input"), "-o", str(out), "--lock", str(lock))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    files = read_tree(out)
    if lock.exists():  # runtimes on the pod network need no host ports, hence no lock
        files["fluid-render.lock"] = lock.read_text(encoding="utf-8")
    return files


def test_every_case_listed() -> None:
    assert len(CASES) == 16


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, tmp_path: Path, fluid_render_snapshot: SnapshotBuild) -> None:
    fluid_render_snapshot(
        GOLDEN / case / "input", lock=tmp_path / "fluid-render.lock", frozen_lock=False
    )


@pytest.mark.parametrize("case", CASES)
def test_golden_objects_are_valid_kubernetes(case: str) -> None:
    """Strict Kubernetes 1.31 schemas (unknown fields are errors) and the Fluid schemas."""
    documents = load_inputs([str(GOLDEN / case / "input")])
    result = build(documents, lock=Lock(), lock_source="lock", port_range=PortRange(20000, 25000))
    check_manifests(result.manifests, "1.31")


@pytest.mark.parametrize("case", CASES)
def test_output_is_byte_stable(case: str, tmp_path: Path) -> None:
    """Same bytes on a rebuild, and for input files given in the opposite order."""
    first = _build_case(case, tmp_path / "a")
    assert _build_case(case, tmp_path / "a") == first
    inputs = sorted((GOLDEN / case / "input").glob("*.yaml"))
    documents = []
    for path in inputs:
        documents += path.read_text().split("\n---\n")
    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    for index, text in enumerate(reversed(documents)):
        (shuffled / f"{index:03}.yaml").write_text(text)
    lock = tmp_path / "b.lock"
    result = run("build", str(shuffled), "-o", str(tmp_path / "b"), "--lock", str(lock))
    assert result.exit_code == 0, result.stderr
    second = read_tree(tmp_path / "b")
    if lock.exists():
        second["fluid-render.lock"] = lock.read_text()
    assert second == first
    assert OWNED in second
    written = {snapshot_name(path): text for path, text in first.items() if path != OWNED}
    assert written == snapshots(case)  # the CLI writes what the snapshots hold


def _shuffled(data: Any, rng: random.Random) -> Any:
    """The same data with the keys of every mapping, at every depth, in a random order."""
    if isinstance(data, dict):
        keys = list(data)
        rng.shuffle(keys)
        return {key: _shuffled(data[key], rng) for key in keys}
    if isinstance(data, list):
        return [_shuffled(item, rng) for item in data]
    return data


def _rendered(text: str) -> list[tuple[str, str]]:
    result = build(
        parse_documents(text, "specs.yaml"),
        lock=Lock(),
        lock_source="lock",
        port_range=PortRange(20000, 25000),
        passthrough=True,
    )
    return [(m.kind, m.text) for m in result.manifests]


@settings(max_examples=4 * len(CASES), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(CASES), rng=st.randoms(use_true_random=False))
def test_reordering_keys_of_any_input_mapping_changes_no_byte(
    case: str, rng: random.Random
) -> None:
    texts = [p.read_text() for p in sorted((GOLDEN / case / "input").glob("*.yaml"))]
    documents = [d for text in texts for d in yaml.safe_load_all(text) if d is not None]
    original = yaml.safe_dump_all(documents, sort_keys=False)
    shuffled = yaml.safe_dump_all([_shuffled(d, rng) for d in documents], sort_keys=False)
    assert _rendered(shuffled) == _rendered(original)


LABEL_KEY = re.compile(
    r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
)
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?")
DNS_LABEL = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


LABEL_MAPS = ("labels", "matchLabels", "nodeSelector")


def _label_maps(obj: Any) -> list[dict[str, str]]:
    """Every labels map and selector of an object, wherever it nests."""
    found = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            plain_selector = key == "selector" and "matchLabels" not in value
            if isinstance(value, dict) and (key in LABEL_MAPS or plain_selector):
                found.append(value)
            else:
                found += _label_maps(value)
    elif isinstance(obj, list):
        for item in obj:
            found += _label_maps(item)
    return found


@pytest.mark.parametrize("case", CASES)
def test_golden_names_and_labels_are_valid(case: str) -> None:
    """What kubernetes-validate does not check: label syntax and name rules per kind."""
    for path, text in snapshots(case).items():
        if path == "fluid-render.lock":
            continue
        obj = yaml.safe_load(text)
        if obj.get("kind") == "Kustomization":
            continue
        name = obj["metadata"]["name"]
        rule = DNS_LABEL if obj["kind"] in ("Service", "Dataset", "AlluxioRuntime") else SUBDOMAIN
        assert rule.fullmatch(name), f"{path}: bad name {name}"
        if obj["kind"] == "StatefulSet":
            assert len(name) <= 52, f"{path}: pods of {name} get an over-long revision label"
        for labels in _label_maps(obj):
            for key, value in labels.items():
                assert LABEL_KEY.fullmatch(key) and len(key.split("/")[-1]) <= 63, (path, key)
                assert LABEL_VALUE.fullmatch(value), (path, key, value)
