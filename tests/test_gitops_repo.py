"""examples/gitops-repo is a working GitOps repository: its committed output, lock and snapshots
are up to date, and its CI and pre-commit hook run `fluid-render check --frozen-lock`."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT, read_tree, run

REPO = ROOT / "examples" / "gitops-repo"
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


def test_committed_output_and_lock_are_up_to_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    before = read_tree(REPO)
    result = run("check", "specs", "-o", "deploy/fluid", "--frozen-lock")
    assert (result.exit_code, result.stderr) == (0, "")
    assert read_tree(REPO) == before


def test_a_fresh_build_reproduces_the_committed_output(tmp_path: Path) -> None:
    lock = tmp_path / "fluid-render.lock"
    lock.write_text((REPO / "fluid-render.lock").read_text())
    args = ["build", str(REPO / "specs"), "--lock", str(lock), "-o", str(tmp_path / "out")]
    assert run(*args).exit_code == 0
    assert read_tree(tmp_path / "out") == read_tree(REPO / "deploy" / "fluid")
    assert lock.read_text() == (REPO / "fluid-render.lock").read_text()


def test_its_snapshot_tests_pass() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:hypothesispytest",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},  # leave the example's tree alone
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "18 snapshots passed" in done.stdout


def test_ci_workflow_runs_check_with_the_frozen_lock() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "fluid-render.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["check"]["steps"]]
    assert "fluid-render check specs -o deploy/fluid --frozen-lock" in runs
    assert "python -m pytest" in runs


def test_pre_commit_hook_is_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    (hook,) = HOOKS
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    (used,) = config["repos"][0]["hooks"]
    assert used["id"] == hook["id"] == "fluid-render-check"
    assert hook["pass_filenames"] is False
    program, *command = shlex.split(hook["entry"])
    assert program == "fluid-render"
    monkeypatch.chdir(REPO)
    assert used["args"] == hook["args"]
    assert run(*command, *used["args"]).exit_code == 0  # as pre-commit runs it
