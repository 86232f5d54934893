"""`build --format helm`: with default values, real helm renders exactly the stream's objects."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluid_render.helmchart import charts
from fluid_render.render import Manifest

from .conftest import GOLDEN, k8s_tool, read_tree, run

CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "input").is_dir())


def _objects(text: str) -> dict[tuple[str, str, str], Any]:
    docs = [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d is not None]
    found = {}
    for doc in docs:
        metadata = doc["metadata"]
        key = (doc["kind"], metadata.get("namespace", ""), metadata["name"])
        assert key not in found, f"{key} twice"
        found[key] = doc
    return found


def _build(inputs: Path, tmp: Path, *extra: str) -> tuple[str, Path]:
    """The stream and the charts of one build (same lock)."""
    lock = tmp / "fluid-render.lock"
    stream = run("build", str(inputs), "--lock", str(lock), *extra)
    assert stream.exit_code == 0, stream.stderr
    charts = tmp / "charts"
    built = run("build", str(inputs), "--lock", str(lock), "--format", "helm", "-o", str(charts))
    assert built.exit_code == 0, built.stderr
    return stream.stdout, charts


def _charts(folder: Path) -> list[Path]:
    return sorted(p.parent for p in folder.rglob("Chart.yaml"))


def helm(*args: str) -> str:
    done = subprocess.run(
        [str(k8s_tool("helm")), *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


@pytest.mark.parametrize("case", CASES)
def test_helm_template_gives_the_stream_objects(case: str, tmp_path: Path) -> None:
    k8s_tool("helm")
    stream, charts = _build(GOLDEN / case / "input", tmp_path)
    rendered: dict[tuple[str, str, str], Any] = {}
    for chart in _charts(charts):
        helm("lint", "--strict", str(chart))
        objects = _objects(helm("template", "release", str(chart)))
        assert not rendered.keys() & objects.keys()
        rendered |= objects
    expected = _objects(stream)
    assert sorted(rendered) == sorted(expected)
    for key, obj in expected.items():
        assert rendered[key] == obj, key


def test_rebuild_is_byte_identical_and_knobs_are_few(tmp_path: Path) -> None:
    _, charts = _build(GOLDEN / "tiered-mem-ssd-fuse-selector" / "input", tmp_path)
    first = read_tree(charts)
    _build(GOLDEN / "tiered-mem-ssd-fuse-selector" / "input", tmp_path)
    assert read_tree(charts) == first
    chart = yaml.safe_load(first["ml/laion/Chart.yaml"])
    assert chart["name"] == "laion" and chart["version"].startswith("0.1.0+")
    values = yaml.safe_load(first["ml/laion/values.yaml"])
    assert {k: sorted(v) if isinstance(v, dict) else v for k, v in values.items()} == {
        "image": "alluxio/alluxio-dev:2.9.0",
        "master": ["resources"],
        "worker": ["replicas", "resources"],
        "fuse": ["image", "resources"],
    }
    assert values["worker"]["replicas"] == 3
    assert (
        "# Worker pods; also the AlluxioRuntime's spec.replicas." in first["ml/laion/values.yaml"]
    )
    schema = json.loads(first["ml/laion/values.schema.json"])
    assert schema["additionalProperties"] is False  # no port, name or label can be set


def test_knobs_change_what_they_name(tmp_path: Path) -> None:
    _, charts = _build(GOLDEN / "tiered-mem-ssd-fuse-selector" / "input", tmp_path)
    chart = str(charts / "ml" / "laion")
    objects = _objects(
        helm(
            "template", "r", chart,
            "--set", "worker.replicas=5",
            "--set", "image=registry.example.org/alluxio:2.9.1",
            "--set", "master.resources.limits.memory=2Gi",
        )
    )  # fmt: skip
    worker = objects[("StatefulSet", "ml", "laion-worker")]
    master = objects[("StatefulSet", "ml", "laion-master")]
    assert worker["spec"]["replicas"] == 5
    assert objects[("AlluxioRuntime", "ml", "laion")]["spec"]["replicas"] == 5
    images = {c["image"] for c in worker["spec"]["template"]["spec"]["containers"]}
    assert images == {"registry.example.org/alluxio:2.9.1"}
    assert master["spec"]["template"]["spec"]["containers"][0]["resources"] == {
        "limits": {"memory": "2Gi"}
    }
    fuse = objects[("DaemonSet", "ml", "laion-fuse")]
    assert fuse["spec"]["template"]["spec"]["containers"][0]["image"] == "alluxio/alluxio-dev:2.9.0"
    for bad in ("worker.replicas=many", "master.ports.rpc=1", "image=a b"):
        done = subprocess.run(
            [str(k8s_tool("helm")), "template", "r", chart, "--set", bad],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode != 0 and "schema" in done.stderr, bad


def test_template_syntax_in_user_data_is_printed_not_run(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    text = (GOLDEN / "web-dataset-mem" / "input" / "specs.yaml").read_text()
    text = text.replace(
        "      name: zookeeper\n",
        '      name: zookeeper\n      options:\n        note: "{{.Release.Name}}{{x"\n'
        "        marker: fluidrenderknob0x\n",
        1,
    )
    (specs / "specs.yaml").write_text(text)
    stream, charts = _build(specs, tmp_path)
    assert "{{.Release.Name}}{{x" in stream
    rendered: dict[tuple[str, str, str], Any] = {}
    for chart in _charts(charts):
        rendered |= _objects(helm("template", "release", str(chart)))
    assert rendered == _objects(stream)


def test_helm_format_needs_a_folder_and_no_copies(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "a.yaml").write_text((GOLDEN / "web-dataset-mem" / "input" / "specs.yaml").read_text())
    (specs / "b.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    inputs, lock = str(specs), str(tmp_path / "l")
    assert run("build", inputs, "--lock", lock, "--format", "helm").exit_code == 2
    copied = run(
        "build",
        inputs,
        "--lock",
        lock,
        "--format",
        "helm",
        "--passthrough",
        "-o",
        str(tmp_path / "o"),
    )
    assert copied.exit_code == 1 and "drop --passthrough" in copied.stderr


PIECES = [*"{}\"'`:#|>-*&!%@ \n\t\\.$aZ0é€", "{{", "}}", "{{-", "-}}", "{{ .Values }}", "{{/*"]
ADVERSARIAL = st.lists(st.sampled_from(PIECES), max_size=20).map("".join)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(ADVERSARIAL, min_size=1, max_size=30))
def test_any_text_survives_helm(values: list[str], tmp_path: Path) -> None:
    """Whatever the data holds (template syntax, quotes, newlines), helm prints it back as is."""
    helm_binary = k8s_tool("helm")
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "data", "namespace": "ns"},
        "data": {f"k{i}": value for i, value in enumerate(values)},
    }
    text = yaml.safe_dump(obj, sort_keys=False)
    files = charts([Manifest("ns", "ds", "ConfigMap", "data", 0, text)], [])
    folder = tmp_path / str(abs(hash(tuple(values))))
    for file in files:
        (folder / file.path).parent.mkdir(parents=True, exist_ok=True)
        (folder / file.path).write_text(file.text)
    done = subprocess.run(
        [str(helm_binary), "template", "r", str(folder / "ns" / "ds")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _objects(done.stdout)[("ConfigMap", "ns", "data")] == obj


def test_check_and_diff_work_on_charts(tmp_path: Path) -> None:
    inputs = str(GOLDEN / "tiered-mem-ssd-fuse-selector" / "input")
    args = ["--lock", str(tmp_path / "l"), "--format", "helm", "-o", str(tmp_path / "charts")]
    assert run("build", inputs, *args).exit_code == 0
    assert run("check", inputs, *args).exit_code == 0
    values = tmp_path / "charts" / "ml" / "laion" / "values.yaml"
    values.write_text(values.read_text().replace("replicas: 3", "replicas: 4"))
    stale = run("check", inputs, *args)
    assert stale.exit_code == 1 and "  changed  ml/laion/values.yaml" in stale.stderr
    assert "-  replicas: 4\n+  replicas: 3" in run("diff", inputs, *args).stdout
