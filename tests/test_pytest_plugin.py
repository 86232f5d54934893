"""The pytest plugin as a user's repository runs it: create, compare, update and prune
snapshots; and the build never loads pytest or syrupy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import GOLDEN, run
from .test_cli import pair

pytest_plugins = ["pytester"]

USER_TEST = """
def test_datasets(fluid_render_snapshot):
    fluid_render_snapshot("specs", lock="fluid-render.lock")
"""


@pytest.fixture
def user_repo(pytester: pytest.Pytester) -> pytest.Pytester:
    specs = pytester.mkdir("specs")
    (specs / "alpha.yaml").write_text(pair("alpha"))
    built = run("build", str(specs), "--lock", str(pytester.path / "fluid-render.lock"))
    assert built.exit_code == 0, built.stderr
    pytester.makepyfile(test_deploy=USER_TEST)
    return pytester


def pytest_run(repo: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest in the user's repository (without hypothesis's plugin: it only costs time)."""
    return repo.runpytest("-p", "no:hypothesispytest", *args)


def _snapshots(repo: pytest.Pytester) -> dict[str, str]:
    folder = repo.path / "__snapshots__" / "test_deploy"
    return {p.name: p.read_text() for p in sorted(folder.glob("*"))}


def test_snapshots_one_yaml_file_per_object(user_repo: pytest.Pytester) -> None:
    pytest_run(user_repo).assert_outcomes(failed=1)
    pytest_run(user_repo, "--snapshot-update").assert_outcomes(passed=1)
    files = _snapshots(user_repo)
    worker = files["test_datasets[default__alpha__statefulset-alpha-worker].yaml"]
    assert worker.startswith("apiVersion: apps/v1\nkind: StatefulSet\n")
    assert "test_datasets[kustomization].yaml" in files
    assert "test_datasets[fluid-render.lock].yaml" in files
    assert len(files) == 11 + 3 + 1  # objects, kustomization files, lock
    pytest_run(user_repo).assert_outcomes(passed=1)


def test_a_change_fails_until_updated(user_repo: pytest.Pytester) -> None:
    pytest_run(user_repo, "--snapshot-update").assert_outcomes(passed=1)
    (user_repo.path / "specs" / "alpha.yaml").write_text(
        pair("alpha").replace("replicas: 1", "replicas: 2")
    )
    failed = pytest_run(user_repo)
    failed.assert_outcomes(failed=1)
    report = failed.stdout.str()
    assert "default__alpha__statefulset-alpha-worker.yaml:" in report
    assert "-   replicas: 1" in report and "+   replicas: 2" in report
    pytest_run(user_repo, "--snapshot-update").assert_outcomes(passed=1)
    pytest_run(user_repo).assert_outcomes(passed=1)


def test_a_removed_object_leaves_an_unused_snapshot(user_repo: pytest.Pytester) -> None:
    (user_repo.path / "specs" / "beta.yaml").write_text(pair("beta"))
    pytest_run(user_repo, "--snapshot-update")
    before = _snapshots(user_repo)
    (user_repo.path / "specs" / "beta.yaml").unlink()
    result = pytest_run(user_repo)
    assert result.ret == 1 and "unused" in result.stdout.str()
    pytest_run(user_repo, "--snapshot-update").assert_outcomes(passed=1)
    after = _snapshots(user_repo)
    assert sorted(set(before) - set(after)) == sorted(n for n in before if "beta" in n)


def test_a_stale_lock_fails(user_repo: pytest.Pytester) -> None:
    (user_repo.path / "fluid-render.lock").unlink()
    result = pytest_run(user_repo, "--snapshot-update")
    result.assert_outcomes(failed=1)
    assert "fluid-render.lock: out of date" in result.stdout.str()


def test_the_build_loads_neither_pytest_nor_syrupy(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from fluid_render.cli import main\n"
        f"inputs = {str(GOLDEN / 'web-dataset-mem' / 'input')!r}\n"
        f"result = CliRunner().invoke(main, ['build', inputs, '--lock', {str(tmp_path / 'l')!r}])\n"
        "assert result.exit_code == 0, result.output\n"
        "test_tools = ('pytest', '_pytest', 'syrupy')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in test_tools))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_loading_the_plugin_costs_no_compiler_import() -> None:
    code = (
        "import sys\n"
        "import fluid_render.pytest_plugin\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jinja2', 'pydantic', 'syrupy')"
        " or m.startswith('fluid_render.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['fluid_render.pytest_plugin']"
