"""A build killed with SIGKILL leaves no process, and its leftovers are removed by the next run;
a render worker killed alone does not stop the build."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fluid_render.emit import files, staging

from .conftest import many_datasets, read_tree, run
from .test_cli import pair

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="prctl and renameat2 are Linux")


def start(script: str) -> tuple[subprocess.Popen[str], str]:
    """Run `script` in a new interpreter until it prints its first line."""
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, process.stderr.read() if process.stderr else ""
    return process, line


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def gone(pid: int) -> bool:
    """Exited (a zombie waiting for init to reap it counts: it runs no code)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def wait_until_gone(pids: list[int]) -> list[int]:
    """The pids still running after up to a minute (a bound for polling, not a timing check)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(gone(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if not gone(p)]


def test_busy_workers_die_with_a_killed_build() -> None:
    """Idle workers see the task queue close; busy ones would render on for minutes."""
    process, line = start(
        "import os, time\n"
        "from fluid_render.pipeline import worker_pool\n"
        "def busy(_):\n"
        "    os.write(1, b'%d\\n' % os.getpid())\n"  # one write: lines never interleave
        "    time.sleep(600)\n"
        "pool = worker_pool(2)\n"
        "tasks = [pool.submit(busy, 0), pool.submit(busy, 1)]\n"
        "time.sleep(600)\n"
    )
    assert process.stdout is not None
    workers = [int(line), int(process.stdout.readline())]
    assert workers[0] != workers[1] and not any(gone(p) for p in workers)
    kill(process)
    assert wait_until_gone(workers) == []


def test_a_killed_builds_staging_folder_is_removed_next_time(tmp_path: Path) -> None:
    specs, out, lock = tmp_path / "specs", tmp_path / "out", tmp_path / "l"
    specs.mkdir()
    (specs / "a.yaml").write_text(pair("alpha"))
    assert run("build", str(specs), "-o", str(out), "--lock", str(lock)).exit_code == 0
    before = read_tree(out)
    (specs / "b.yaml").write_text(pair("beta"))
    process, line = start(
        "import time\n"
        "from fluid_render.emit import incremental, staging\n"
        "incremental.IN_PLACE_SHARE = 0  # a new tree is staged, not updated in place\n"
        "original = staging._write_rendered\n"
        "def stalled(*args):\n"
        "    hashes = original(*args)\n"
        "    print('staged', flush=True)\n"
        "    time.sleep(600)\n"
        "staging._write_rendered = stalled\n"
        "from fluid_render.cli import main\n"
        f"main(['build', {str(specs)!r}, '-o', {str(out)!r}, '--lock', {str(lock)!r}])\n"
    )
    assert line == "staged\n"
    left = [p for p in tmp_path.iterdir() if staging.STAGING_MARK in p.name]
    assert len(left) == 1 and (left[0] / "default" / "beta").is_dir()
    assert run("build", str(specs), "--lock", str(tmp_path / "x")).exit_code == 0
    assert left[0].exists()  # a build to stdout is not a build of this folder
    kill(process)
    assert read_tree(out) == before and left[0].exists()
    assert run("build", str(specs), "-o", str(out), "--lock", str(lock)).exit_code == 0
    assert not left[0].exists() and (out / "default" / "beta").is_dir()


def test_a_killed_writes_temporary_file_is_removed_next_time(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text("old\n")
    process, line = start(
        "import os, time\n"
        "from pathlib import Path\n"
        "from fluid_render.emit import files\n"
        "def stalled(fd):\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(600)\n"
        "files.os.fsync = stalled\n"
        f"files.write_file(Path({str(path)!r}), 'new\\n')\n"
    )
    assert line == "writing\n"
    left = [p for p in tmp_path.iterdir() if files.TEMP_MARK in p.name]
    assert len(left) == 1
    files.remove_stale_temps([tmp_path])
    assert left[0].exists()  # locked by the live run
    kill(process)
    assert path.read_text() == "old\n"
    files.write_file(tmp_path / "other.yaml", "x\n")
    assert not left[0].exists() and path.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["app.yaml", "other.yaml"]


def waiting_for_lock_on(inode: int) -> bool:
    """Whether some process waits for an flock on the file with this inode (/proc/locks)."""
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields and "FLOCK" in fields and fields[-3].endswith(f":{inode}"):
            return True
    return False


def test_a_build_waits_for_a_concurrent_build_of_the_same_folder(tmp_path: Path) -> None:
    """It reads the tree only after the other swapped, so it never sees a half-swapped one
    (which would look like files of ours edited, or lose what the other wrote)."""
    specs, out, lock = tmp_path / "specs", tmp_path / "out", tmp_path / "l"
    specs.mkdir()
    (specs / "a.yaml").write_text(pair("alpha"))
    assert run("build", str(specs), "-o", str(out), "--lock", str(lock)).exit_code == 0
    held = os.open(out, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)  # as a concurrent build of `out` holds it
    main = "from fluid_render.cli import main; main()"
    build = subprocess.Popen(
        [sys.executable, "-c", main, "build", str(specs), "-o", str(out), "--lock", str(lock)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60  # a bound for polling, not a timing check
    while not waiting_for_lock_on(os.fstat(held).st_ino) and time.monotonic() < deadline:
        time.sleep(0.02)
    edited = out / "default" / "alpha" / "dataset-alpha.yaml"
    edited.write_text("# what the other build wrote\n")
    os.close(held)
    assert build.wait() == 1 and build.stderr is not None
    assert f"{edited}: changed since fluid-render wrote it" in build.stderr.read()


def test_concurrent_builds_into_one_folder_all_succeed(tmp_path: Path) -> None:
    """No deadlock between their locks, no staging folder left, the user's file kept."""
    specs, out, lock = tmp_path / "specs", tmp_path / "out", tmp_path / "l"
    specs.mkdir()
    (specs / "a.yaml").write_text(pair("alpha"))
    assert run("build", str(specs), "-o", str(out), "--lock", str(lock)).exit_code == 0
    (out / "README.md").write_text("mine")
    (specs / "b.yaml").write_text(pair("beta"))
    main = "from fluid_render.cli import main; main()"
    command = [sys.executable, "-c", main, "build", str(specs), "-o", str(out), "--lock", str(lock)]
    builds = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    assert [(b.wait(), b.stderr.read() if b.stderr else "") for b in builds] == [(0, "")] * 4
    expected = tmp_path / "expected"
    assert run("build", str(specs), "-o", str(expected), "--lock", str(lock)).exit_code == 0
    assert read_tree(out) == {**read_tree(expected), "README.md": "mine"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["expected", "l", "out", "specs"]


def test_a_killed_render_worker_leaves_its_pieces_to_the_build(tmp_path: Path) -> None:
    """The build renders what a killed worker took and did not hand back, and prints what a
    build on one core prints (a pool of `multiprocessing` waited forever here)."""
    specs, died = tmp_path / "specs.yaml", tmp_path / "died"
    specs.write_text(many_datasets(9))
    probe = (
        "import os, signal, sys, time\n"
        "from fluid_render import pipeline\n"
        "pipeline.PARALLEL_FROM, pipeline.CHUNK = 2, 1\n"
        "pipeline.os.cpu_count = lambda: 2\n"
        "build, real_range = os.getpid(), pipeline._render_range\n"
        "def dying(start, end):\n"
        "    if os.getpid() != build and start >= 4:\n"
        f"        open({str(died)!r}, 'w').close()\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    time.sleep(0.05)  # the build and its worker take turns\n"
        "    return real_range(start, end)\n"
        "pipeline._render_range = dying\n"
        "from fluid_render.cli import main\n"
        f"main(['build', {str(specs)!r}, '--lock', {str(tmp_path / 'l1')!r}])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert died.exists()
    alone = run("build", str(specs), "--lock", str(tmp_path / "l2"))
    assert alone.exit_code == 0
    assert done.stdout == alone.stdout
