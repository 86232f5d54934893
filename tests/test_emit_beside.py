"""The tree a build rebuilds is read by a forked process while the build loads its specs
(fluid_render/emit/beside.py): the same tree as read in the build, a failed or killed reader
read again, and no reader outlives its build."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fluid_render.emit import beside, incremental, read_previous

from .conftest import read_tree, run
from .test_cli import pair
from .test_emit_kill import gone, kill, start, wait_until_gone

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="fork and prctl are Linux")


def built(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Specs of two datasets, and a tree and lock built from them."""
    specs, out, lock = tmp_path / "specs", tmp_path / "out", tmp_path / "lock"
    specs.mkdir()
    (specs / "a.yaml").write_text(pair("alpha"))
    (specs / "b.yaml").write_text(pair("beta"))
    assert run("build", str(specs), "-o", str(out), "--lock", str(lock)).exit_code == 0
    return specs, out, lock


def forks_seen(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids `os.fork` returns to this process from now on."""
    pids: list[int] = []
    fork = os.fork

    def recorded() -> int:
        pid = fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recorded)
    return pids


def reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def in_child(action: Callable[[Path], Any]) -> Callable[[Path], Any]:
    """`read_tree` doing `action` in a forked reader, and its usual work in this process."""
    parent = os.getpid()

    def read(target: Path) -> Any:
        return action(target) if os.getpid() != parent else incremental.read_tree(target)

    return read


def test_the_tree_is_read_by_another_process_as_the_build_would_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out, lock = built(tmp_path)
    pids = forks_seen(monkeypatch)
    readers = tmp_path / "readers"
    monkeypatch.setattr(
        "fluid_render.emit.beside.read_tree",
        in_child(
            lambda target: (readers.write_text(str(os.getpid())), incremental.read_tree(target))[1]
        ),
    )
    with beside.tree_beside(out, lock) as previous_tree:
        previous = previous_tree()
        assert previous_tree() is previous  # asked twice, read once
    assert previous == read_previous(out, lock) and previous is not None
    assert len(previous.texts) == len(previous.owned.files) > 10
    assert pids == [int(readers.read_text())] and pids[0] != os.getpid()
    assert reaped(pids[0])


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(lambda _: 1 / 0, id="raises"),
        pytest.param(lambda _: os.kill(os.getpid(), 9), id="killed"),
    ],
)
def test_a_reader_that_fails_is_replaced_by_reading_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Callable[[Path], Any]
) -> None:
    _, out, lock = built(tmp_path)
    pids = forks_seen(monkeypatch)
    monkeypatch.setattr("fluid_render.emit.beside.read_tree", in_child(failure))
    with beside.tree_beside(out, lock) as previous_tree:
        assert previous_tree() == read_previous(out, lock) is not None
    assert len(pids) == 1 and reaped(pids[0])


def test_a_reader_no_one_asked_is_killed_when_the_block_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out, lock = built(tmp_path)
    pids = forks_seen(monkeypatch)
    monkeypatch.setattr("fluid_render.emit.beside.read_tree", in_child(lambda _: time.sleep(60)))
    started = time.monotonic()
    with beside.tree_beside(out, lock):
        pass
    assert len(pids) == 1 and reaped(pids[0])
    assert time.monotonic() - started < 30  # killed, not waited for


def test_a_folder_without_a_tree_of_ours_is_read_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh folder (or a user's folder) has nothing to read: no process is forked."""
    pids = forks_seen(monkeypatch)
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "app.yaml").write_text("kind: ConfigMap\n")
    for folder in (tmp_path / "missing", tmp_path / "theirs"):
        with beside.tree_beside(folder, tmp_path / "lock") as previous_tree:
            assert previous_tree() is None
    assert pids == []


def test_a_build_that_fails_leaves_no_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs, out, lock = built(tmp_path)
    before = read_tree(out)
    pids = forks_seen(monkeypatch)
    (specs / "c.yaml").write_text("kind: [\n")
    result = run("build", str(specs), "-o", str(out), "--lock", str(lock))
    assert result.exit_code == 1 and "invalid YAML" in result.stderr
    assert len(pids) == 1 and reaped(pids[0])
    assert read_tree(out) == before


def test_a_rebuild_reads_its_tree_beside_and_writes_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs, out, lock = built(tmp_path)
    pids = forks_seen(monkeypatch)
    (specs / "b.yaml").write_text(pair("beta").replace("replicas: 1", "replicas: 2"))
    mtime = (out / "default" / "alpha" / "kustomization.yaml").stat().st_mtime_ns
    assert run("build", str(specs), "-o", str(out), "--lock", str(lock)).exit_code == 0
    assert len(pids) == 1 and reaped(pids[0])
    fresh = tmp_path / "fresh"
    assert run("build", str(specs), "-o", str(fresh), "--lock", str(lock)).exit_code == 0
    assert read_tree(out) == read_tree(fresh)
    assert (out / "default" / "alpha" / "kustomization.yaml").stat().st_mtime_ns == mtime


def test_a_reader_dies_with_a_killed_build(tmp_path: Path) -> None:
    _, out, lock = built(tmp_path)
    process, line = start(
        "import os, time\n"
        "from pathlib import Path\n"
        "from fluid_render.emit import beside\n"
        "def stalled(target):\n"
        "    os.write(1, b'%d\\n' % os.getpid())\n"
        "    time.sleep(600)\n"
        "beside.read_tree = stalled\n"
        f"with beside.tree_beside(Path({str(out)!r}), Path({str(lock)!r})):\n"
        "    time.sleep(600)\n"
    )
    reader = int(line)
    assert reader != process.pid and not gone(reader)
    kill(process)
    assert wait_until_gone([reader]) == []
