"""Single files (the lock, `inject --in-place`): mode, symlinks and line endings are kept, and a
failure or a killed run leaves each file old or new."""

from __future__ import annotations

import fcntl
import io
import os
import shutil
from pathlib import Path

import pytest

from fluid_render.emit import LockUpdate, files, publish_stream, write_file, write_files

from .conftest import ROOT, run
from .test_cli import pair

SERVERFUL = ROOT / "golden-inject" / "serverful"


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if files.TEMP_MARK in p.name)


def test_the_mode_of_the_replaced_file_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("old\n")
    path.chmod(0o640)
    write_file(path, "new\n")
    assert path.read_text() == "new\n" and path.stat().st_mode & 0o7777 == 0o640


def test_a_new_file_gets_the_umask_mode_not_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_file(tmp_path / "new.lock", "x\n")
    finally:
        os.umask(old)
    assert (tmp_path / "new.lock").stat().st_mode & 0o777 == 0o644


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real" / "fluid-render.lock"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "fluid-render.lock"
    link.symlink_to(real)
    write_file(link, "new\n")
    assert link.is_symlink() and real.read_text() == "new\n"
    assert temps(tmp_path) == [] and temps(real.parent) == []


def test_crlf_line_endings_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"a: 1\r\nb: 2\r\n")
    write_file(path, "a: 1\nb: 3\nc: 4\n")
    assert path.read_bytes() == b"a: 1\r\nb: 3\r\nc: 4\r\n"
    unix = tmp_path / "g.yaml"
    unix.write_bytes(b"a: 1\n")
    write_file(unix, "a: 2\n")
    assert unix.read_bytes() == b"a: 2\n"


def test_leftover_temporary_files_are_removed_but_not_a_live_runs(tmp_path: Path) -> None:
    dead = tmp_path / f".x.yaml{files.TEMP_MARK}0123456789abcdef"
    live = tmp_path / f".y.yaml{files.TEMP_MARK}fedcba9876543210"
    other = tmp_path / ".x.yaml.fluid-render-tmp.mine"
    for path in (dead, live, other):
        path.write_text("half")
    fd = os.open(live, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a run still writing holds it
    try:
        write_file(tmp_path / "z.yaml", "z\n")
    finally:
        os.close(fd)
    assert temps(tmp_path) == sorted([live.name, other.name])


def test_a_failure_while_staging_changes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("a\n")
    second.write_text("b\n")
    calls: list[int] = []
    original = os.fsync

    def fail_second(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        original(fd)

    monkeypatch.setattr(os, "fsync", fail_second)
    with pytest.raises(OSError):
        write_files({first: "A\n", second: "B\n"})
    assert (first.read_text(), second.read_text()) == ("a\n", "b\n")
    assert temps(tmp_path) == []


class ClosedStdout(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_failed_stdout_leaves_the_lock(tmp_path: Path) -> None:
    lock = tmp_path / "fluid-render.lock"
    lock.write_text("old\n")
    with pytest.raises(BrokenPipeError):
        publish_stream("---\n", ClosedStdout(), LockUpdate(lock, "new\n"))
    assert lock.read_text() == "old\n" and temps(tmp_path) == []


def test_stdout_then_lock(tmp_path: Path) -> None:
    lock, out = tmp_path / "fluid-render.lock", io.StringIO()
    publish_stream("---\nx\n", out, LockUpdate(lock, "new\n"))
    assert out.getvalue() == "---\nx\n" and lock.read_text() == "new\n"


def test_the_lock_keeps_mode_link_and_crlf_through_a_build(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "a.yaml").write_text(pair("alpha"))
    real = tmp_path / "locks" / "fluid-render.lock"
    real.parent.mkdir()
    link = tmp_path / "fluid-render.lock"
    link.symlink_to(real)
    assert run("build", str(specs), "--lock", str(link)).exit_code == 0
    real.chmod(0o664)
    real.write_bytes(real.read_bytes().replace(b"\n", b"\r\n"))
    (specs / "b.yaml").write_text(pair("beta"))
    result = run("build", str(specs), "--lock", str(link))
    assert result.exit_code == 0, result.stderr
    text = real.read_bytes()
    assert b"default/beta:" in text and b"\n" not in text.replace(b"\r\n", b"")
    assert link.is_symlink() and real.stat().st_mode & 0o777 == 0o664


def test_inject_in_place_keeps_mode_link_and_crlf(tmp_path: Path) -> None:
    apps = tmp_path / "apps"
    shutil.copytree(SERVERFUL / "apps", apps)
    trainer = apps / "trainer.yaml"
    real = tmp_path / "elsewhere.yaml"
    real.write_bytes(trainer.read_bytes().replace(b"\n", b"\r\n"))
    real.chmod(0o640)
    trainer.unlink()
    trainer.symlink_to(real)
    leftover = apps / f".trainer.yaml{files.TEMP_MARK}0123456789abcdef"
    leftover.write_text("half")
    result = run(
        "inject",
        str(apps),
        "--specs",
        str(SERVERFUL / "specs"),
        "--lock",
        str(tmp_path / "no.lock"),
        "--in-place",
    )
    assert result.exit_code == 0, result.stderr
    expected = (SERVERFUL / "expected" / "trainer.yaml").read_bytes().replace(b"\n", b"\r\n")
    assert trainer.is_symlink() and real.read_bytes() == expected
    assert real.stat().st_mode & 0o777 == 0o640
    assert temps(apps) == [] and temps(tmp_path) == []
