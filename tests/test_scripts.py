"""The shell scripts of charts/alluxio, run by bash against a fake `alluxio` command.

Each test copies a script, points it at a temporary folder instead of the container's paths,
and puts a fake `alluxio` first on PATH that answers from files and records its arguments.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluid_render.load import parse_documents
from fluid_render.pipeline import build
from fluid_render.plan.ports import Lock, PortRange
from fluid_render.resources import shipped

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")
SCRIPTS = shipped("charts/alluxio") / "scripts"

# Answers `fsadmin report` (a summary with the live worker count) and `fs mount` (the current
# mounts); every other call is recorded in call.<n>, each argument followed by a NUL.
FAKE_ALLUXIO = """#!/usr/bin/env bash
here=$(dirname "$0")
if [ "$1 $2" = "fsadmin report" ]; then
  [ -f "$here/master-down" ] && exit 1
  echo "Alluxio cluster summary:"
  echo "    Live Workers: $(cat "$here/workers" 2>/dev/null || echo 0)"
  exit 0
fi
if [ "$1 $2" = "fs mount" ] && [ $# -eq 2 ]; then
  cat "$here/mounted" 2>/dev/null
  exit 0
fi
count=$(find "$here" -name 'call.*' | wc -l)
printf '%s\\0' "$@" >"$here/call.$count"
"""


def _setup(tmp_path: Path, script: str, replacements: dict[str, str]) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "alluxio"
    fake.write_text(FAKE_ALLUXIO)
    fake.chmod(0o755)
    text = (SCRIPTS / script).read_text()
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / script
    path.write_text(text)
    return bin_dir


def _run(tmp_path: Path, script: str, **env: str) -> subprocess.CompletedProcess[str]:
    assert BASH is not None
    path = os.pathsep.join([str(tmp_path / "bin"), os.environ.get("PATH", "")])
    return subprocess.run(
        [BASH, str(tmp_path / script)],
        env={"PATH": path, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _calls(tmp_path: Path) -> list[list[str]]:
    """Every recorded call, in order."""
    paths = sorted((tmp_path / "bin").glob("call.*"), key=lambda p: int(p.suffix[1:]))
    return [p.read_bytes().decode()[:-1].split("\0") for p in paths]


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("*.sh")))
def test_scripts_parse(script: str) -> None:
    assert BASH is not None
    subprocess.run([BASH, "-n", str(SCRIPTS / script)], check=True, timeout=60)


# Option values: any text but NUL, which the plan rejects.
VALUES = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=30
)


def _mount_table(options: dict[str, str]) -> str:
    """`mount.info` as the kubelet writes it: built from a Dataset, read back from the YAML."""
    dataset = {
        "apiVersion": "data.fluid.io/v1alpha1",
        "kind": "Dataset",
        "metadata": {"name": "demo", "namespace": "ns"},
        "spec": {
            "mounts": [
                {
                    "mountPoint": "s3://bucket/a/",
                    "name": "data",
                    "readOnly": True,
                    "options": options,
                }
            ]
        },
    }
    runtime = {
        "apiVersion": "data.fluid.io/v1alpha1",
        "kind": "AlluxioRuntime",
        "metadata": {"name": "demo", "namespace": "ns"},
        "spec": {"replicas": 1},
    }
    text = yaml.safe_dump_all([dataset, runtime])  # escapes what YAML cannot hold raw
    result = build(
        parse_documents(text, "s.yaml"),
        lock=Lock(),
        lock_source="l",
        port_range=PortRange(20000, 25000),
    )
    (config_map,) = [m for m in result.manifests if m.name == "demo-mount-config"]
    table: str = yaml.safe_load(config_map.text)["data"]["mount.info"]
    return table


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(VALUES, min_size=1, max_size=3))
def test_mount_options_reach_alluxio_exactly(
    tmp_path_factory: pytest.TempPathFactory, values: list[str]
) -> None:
    """Dataset -> rendered mount.info -> mount.sh -> `alluxio fs mount`: every option exact."""
    tmp_path = tmp_path_factory.mktemp("mount")
    table = tmp_path / "mount.info"
    _setup(tmp_path, "mount.sh", {"/etc/fluid/scripts/mount.info": str(table)})
    options = {f"opt{i}": value for i, value in enumerate(values)}
    table.write_text(_mount_table(options), encoding="utf-8")
    result = _run(tmp_path, "mount.sh")
    assert result.returncode == 0, result.stderr
    expected = ["fs", "mount", "--readonly"]
    for key, value in sorted(options.items()):
        expected += ["--option", f"{key}={value}"]
    assert _calls(tmp_path) == [[*expected, "/data", "s3://bucket/a/"]]


def _wait(tmp_path: Path, workers: int | None, wanted: str, mounted: bool = True) -> str:
    table = tmp_path / "mount.info"
    table.write_text("/data s3://bucket/a/\n/ s3://root/\n")
    bin_dir = _setup(tmp_path, "wait-for-runtime.sh", {"/etc/fluid/mount/mount.info": str(table)})
    if workers is None:
        (bin_dir / "master-down").write_text("")
    else:
        (bin_dir / "workers").write_text(str(workers))
    if mounted:
        (bin_dir / "mounted").write_text("s3://root/ on / (s3)\ns3://bucket/a/ on /data (s3)\n")
    env = {"FLUID_DATASET": "ml/demo", "FLUID_WAIT_SECONDS": "0", "FLUID_WAIT_WORKERS": wanted}
    result = _run(tmp_path, "wait-for-runtime.sh", **env)
    last = result.stdout.strip().splitlines()[-1]
    return f"{result.returncode}: {last}"


def test_wait_for_runtime_needs_a_live_worker_for_loads(tmp_path: Path) -> None:
    assert _wait(tmp_path, 0, "1") == (
        "1: fluid-render: dataset ml/demo was not ready within 0s: "
        "waiting for 1 live worker(s), 0 so far"
    )


def test_wait_for_runtime_passes_with_workers_and_mounts(tmp_path: Path) -> None:
    assert _wait(tmp_path, 2, "1") == "0: fluid-render: the runtime of dataset ml/demo is ready"


def test_wait_for_runtime_without_wanted_workers(tmp_path: Path) -> None:
    assert _wait(tmp_path, 0, "0").startswith("0: ")


def test_wait_for_runtime_reports_what_it_waits_for(tmp_path: Path) -> None:
    assert _wait(tmp_path, None, "1").endswith("waiting for the master to answer")


def test_wait_for_runtime_waits_for_the_mounts(tmp_path: Path) -> None:
    assert _wait(tmp_path, 1, "1", mounted=False).endswith("the master to apply its mounts")
