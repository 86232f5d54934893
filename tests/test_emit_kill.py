"""A build killed with SIGKILL leaves no process, and its leftovers are removed by the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fluid_render.emit import files, staging

from .conftest import read_tree, run
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
        "pool.map_async(busy, [0, 1], chunksize=1)\n"
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
        "from fluid_render.emit import staging\n"
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
