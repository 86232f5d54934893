"""Rebuilds into an existing folder: only changed datasets are rendered, only changed files
written, nothing at all when nothing changed; a failed or killed build leaves the old tree (and
the next build finishes or undoes it)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fluid_render.emit import OWNED, files, incremental, read_owned
from fluid_render.emit.journal import JOURNAL
from fluid_render.emit.owned import parse_owned, render_owned

from .conftest import read_tree, run
from .test_cli import pair

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="renameat2 and SIGKILL")


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    specs = tmp_path / "specs"
    specs.mkdir()
    for index, name in enumerate(("alpha", "beta", "gamma", "delta")):
        (specs / f"{name}.yaml").write_text(pair(name, ("default", "other")[index % 2]))
    assert build(tmp_path) == 0
    return tmp_path


def build(root: Path, out: str = "out") -> int:
    args = ["build", str(root / "specs"), "-o", str(root / out), "--lock", str(root / "l")]
    return run(*args).exit_code


def fresh(root: Path) -> dict[str, str]:
    """What a build into a new folder writes, from the same specs and lock."""
    shutil.rmtree(root / "fresh", ignore_errors=True)
    assert build(root, "fresh") == 0
    return read_tree(root / "fresh")


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime in ns) of every file and folder below `folder`, and of `folder`."""
    entries = [folder, *folder.rglob("*")]
    return {str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in entries}


def edit(root: Path, name: str, replicas: int) -> None:
    path = root / "specs" / f"{name}.yaml"
    path.write_text(path.read_text().replace("replicas: 1", f"replicas: {replicas}"))


@pytest.mark.parametrize("remembered", [True, False], ids=["memo", "no-memo"])
def test_a_build_that_changes_nothing_writes_nothing(project: Path, remembered: bool) -> None:
    if not remembered:  # the in-place path alone must also write nothing
        shutil.rmtree(project / "cache")
    before = stamps(project / "out")
    lock = (project / "l").stat().st_mtime_ns
    assert build(project) == 0
    assert stamps(project / "out") == before
    assert (project / "l").stat().st_mtime_ns == lock
    assert sorted(p.name for p in project.iterdir()) == ["cache", "l", "out", "specs"]


def test_one_edited_dataset_touches_only_its_changed_files(project: Path) -> None:
    before = stamps(project / "out")
    edit(project, "beta", 3)
    assert build(project) == 0
    after = stamps(project / "out")
    touched = sorted(path for path in after if after[path] != before.get(path))
    assert touched == [
        ".",  # the folders holding renamed files
        OWNED,
        "other/beta",
        "other/beta/alluxioruntime-beta.yaml",
        "other/beta/statefulset-beta-worker.yaml",
    ]
    assert read_tree(project / "out") == fresh(project)


def test_only_the_edited_dataset_is_rendered_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fluid_render import pipeline
    from fluid_render.render import Manifest, ObjectGroup, render_group

    rendered: list[str] = []

    def counting(group: ObjectGroup) -> list[Manifest]:
        rendered.append(group.folder)
        return render_group(group)

    monkeypatch.setattr(pipeline, "render_group", counting)
    edit(project, "gamma", 2)
    shutil.rmtree(project / "cache")  # past the memo: the per-dataset fingerprints decide
    assert build(project) == 0
    assert rendered == ["gamma"]  # one group: the runtime (gamma has no data operations)


def test_added_and_removed_datasets_update_the_kustomizations(project: Path) -> None:
    (project / "specs" / "epsilon.yaml").write_text(pair("epsilon", "third"))
    (project / "specs" / "delta.yaml").unlink()
    assert build(project) == 0
    tree = read_tree(project / "out")
    assert tree == fresh(project)
    assert not (project / "out" / "other" / "delta").exists()
    assert "  - third\n" in tree["kustomization.yaml"]


def test_fingerprints_are_recorded_and_read_back(project: Path) -> None:
    owned = read_owned(project / "out")
    assert sorted(owned.datasets) == ["default/alpha", "default/gamma", "other/beta", "other/delta"]
    assert parse_owned(render_owned(owned.files, owned.datasets), "x") == owned


def test_sha256sum_checks_the_ownership_file(project: Path) -> None:
    tool = shutil.which("sha256sum")
    if tool is None:
        pytest.skip("no sha256sum")
    done = subprocess.run(
        [tool, "--check", "--strict", "--quiet", OWNED], cwd=project / "out", capture_output=True
    )
    assert (done.returncode, done.stderr) == (0, b"")


def test_an_edited_file_of_ours_is_still_an_error(project: Path) -> None:
    edited = project / "out" / "default" / "alpha" / "dataset-alpha.yaml"
    edited.write_text(edited.read_text() + "# mine\n")
    edit(project, "gamma", 2)
    result = run(
        "build", str(project / "specs"), "-o", str(project / "out"), "--lock", str(project / "l")
    )
    assert result.exit_code == 1 and "changed since fluid-render wrote it" in result.stderr
    assert edited.read_text().endswith("# mine\n")


def test_a_failure_while_staging_changes_no_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = read_tree(project / "out")
    edit(project, "alpha", 2)
    staged: list[Path] = []
    original = files.stage_file

    def full_disk(path: Path, text: str) -> files.StagedFile:
        staged.append(path)
        if len(staged) > 2:
            raise OSError(28, "No space left on device", str(path))
        return original(path, text)

    monkeypatch.setattr(incremental, "stage_file", full_disk)
    result = run(
        "build", str(project / "specs"), "-o", str(project / "out"), "--lock", str(project / "l")
    )
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert read_tree(project / "out") == before  # no temporary file, no journal left


KILLED_AT = {  # the function, and which of its arguments is the path
    "staging": ("incremental.stage_file", 0),  # the second new file: the journal says staging
    "commit": ("incremental.os.replace", 1),  # the second rename of a file of the tree
}


def killed_build(root: Path, at: str) -> None:
    """A build of `root` that SIGKILLs itself at the second call of `KILLED_AT[at]` on a file
    of the tree other than the journal."""
    function, argument = KILLED_AT[at]
    module, name = function.rsplit(".", 1)
    script = (
        "import os, signal\n"
        "from fluid_render.emit import incremental\n"
        f"target = {module}\n"
        f"original, calls = target.{name}, []\n"
        "def dying(*args, **kwargs):\n"
        f"    path = str(args[{argument}])\n"
        f"    if path.startswith({str(root / 'out')!r}) and 'journal' not in path:\n"
        "        calls.append(path)\n"
        "    if len(calls) == 2:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return original(*args, **kwargs)\n"
        f"target.{name} = dying\n"
        "from fluid_render.cli import main\n"
        f"main(['build', {str(root / 'specs')!r}, '-o', {str(root / 'out')!r},"
        f" '--lock', {str(root / 'l')!r}])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, env=os.environ)
    assert done.returncode == -signal.SIGKILL, done.stderr


def test_a_build_killed_while_staging_leaves_the_old_tree(project: Path) -> None:
    before = read_tree(project / "out")
    edit(project, "alpha", 2)
    edit(project, "beta", 2)
    killed_build(project, "staging")
    left = read_tree(project / "out")
    assert JOURNAL in left
    assert {path: left[path] for path in before} == before  # every file as it was
    assert build(project) == 0
    assert read_tree(project / "out") == fresh(project)


def test_a_build_killed_while_renaming_is_finished_by_the_next(project: Path) -> None:
    edit(project, "alpha", 2)
    killed_build(project, "commit")
    assert JOURNAL in read_tree(project / "out")
    expected = fresh(project)
    assert (
        run(
            "build",
            str(project / "specs"),
            "-o",
            str(project / "out"),
            "--lock",
            str(project / "l"),
        ).exit_code
        == 0
    )
    assert read_tree(project / "out") == expected


def test_switching_between_tree_and_helm_reuses_nothing_of_the_other(project: Path) -> None:
    args = ["build", str(project / "specs"), "-o", str(project / "out"), "--lock"]
    assert run(*args, str(project / "l"), "--format", "helm").exit_code == 0
    assert read_owned(project / "out").datasets == {}
    assert build(project) == 0
    assert read_tree(project / "out") == fresh(project)
