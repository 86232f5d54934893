"""`build -o`: writes stay inside the output, the user's files survive, failures change nothing."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

import pytest

from fluid_render.emit import OWNED, files, incremental, staging

from .conftest import read_tree, run
from .test_cli import pair


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "a.yaml").write_text(pair("alpha"))
    return folder


def build(specs: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = run("build", str(specs), "-o", str(out), "--lock", str(specs.parent / "l"), *extra)
    return result.exit_code, result.stderr


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry below `folder`: file texts, link targets, folders."""
    entries: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            entries[key] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            entries[key] = "<dir>"
        else:
            entries[key] = path.read_text()
    return entries


# --- A1: every write inside -o -------------------------------------------------------------


@pytest.mark.parametrize(
    "metadata",
    [
        "{name: ci, namespace: ../../.github}",
        "{name: ../../../ci, namespace: default}",
        "{name: x, namespace: /tmp}",
    ],
)
def test_hostile_passthrough_writes_nothing_anywhere(
    specs: Path, tmp_path: Path, metadata: str
) -> None:
    (specs / "evil.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {metadata}\n")
    before = snapshot(tmp_path)
    code, err = build(specs, tmp_path / "deploy" / "out", "--passthrough")
    assert code == 1 and "evil.yaml:3:" in err and "must be a DNS-1123" in err
    assert snapshot(tmp_path) == before


def test_hostile_kind_is_a_positioned_error(specs: Path, tmp_path: Path) -> None:
    (specs / "evil.yaml").write_text("apiVersion: v1\nkind: ../../x\nmetadata: {name: ci}\n")
    code, err = build(specs, tmp_path / "out", "--passthrough")
    assert code == 1 and "evil.yaml:2:1: kind: must be a letter followed by" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("namespace", ["../x", "/etc", "..", "a/b", "UPPER", "a" * 64])
def test_namespace_option_is_validated(specs: Path, tmp_path: Path, namespace: str) -> None:
    result = run("build", str(specs), "-n", namespace, "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "must be a DNS-1123 label" in result.stderr
    inject = run("inject", str(specs), "--specs", str(specs), "-n", namespace)
    assert inject.exit_code == 2 and "must be a DNS-1123 label" in inject.stderr
    assert not (tmp_path / "out").exists()


def test_a_symlink_in_the_output_is_never_written_through(specs: Path, tmp_path: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    out.mkdir()
    (out / "default").symlink_to(outside)
    code, err = build(specs, out)
    assert code == 1 and f"{out}/default: a symbolic link; fluid-render does not write" in err
    assert list(outside.iterdir()) == [] and snapshot(out) == {"default": f"-> {outside}"}


def test_a_folder_swapped_for_a_link_during_the_build_is_caught(
    specs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resolve and compare: a folder replaced by a link outside between check and write."""
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    original = os.mkdir

    def racing_mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if Path(path).name == "alpha":
            os.symlink(outside, path)
            return
        original(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", racing_mkdir)
    code, err = build(specs, out)
    monkeypatch.undo()
    assert code == 1 and "default/alpha: resolves outside the output" in err
    assert list(outside.iterdir()) == [] and not out.exists()


# --- A6: the user's files are never lost ---------------------------------------------------


def test_empty_folders_and_links_are_carried_over(specs: Path, tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert build(specs, out)[0] == 0
    (out / "empty" / "nested").mkdir(parents=True)
    (out / "default" / "placeholder").mkdir()
    (out / "shared").symlink_to(elsewhere)
    (out / "default" / "notes.md").symlink_to("../README.md")
    (out / "dangling").symlink_to("nowhere")
    (out / "private").mkdir(mode=0o700)
    (out / "private" / "key.txt").write_text("mine")
    before = {k: v for k, v in snapshot(out).items() if not k.startswith("default/alpha")}
    (specs / "b.yaml").write_text(pair("beta"))
    assert build(specs, out)[0] == 0
    after = snapshot(out)
    assert {k: after[k] for k in before if k != OWNED and "kustomization" not in k} == {
        k: v for k, v in before.items() if k != OWNED and "kustomization" not in k
    }
    assert (out / "private").stat().st_mode & 0o777 == 0o700
    assert (out / "default" / "beta" / "dataset-beta.yaml").exists()


def test_folders_only_the_tool_filled_go_with_its_files(specs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (specs / "b.yaml").write_text(pair("beta"))
    assert build(specs, out)[0] == 0
    (specs / "b.yaml").unlink()
    assert build(specs, out)[0] == 0
    assert not (out / "default" / "beta").exists()


def test_output_that_is_a_symlink_stays_one(specs: Path, tmp_path: Path) -> None:
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    (real / "README.md").write_text("mine")
    link.symlink_to(real)
    assert build(specs, link)[0] == 0
    assert build(specs, link)[0] == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert (real / "README.md").read_text() == "mine" and (real / OWNED).exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_an_edited_file_of_ours_is_an_error_not_a_delete(specs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(specs, out)[0] == 0
    edited = out / "default" / "alpha" / "service-alpha-master-0.yaml"
    edited.write_text(edited.read_text() + "# my tweak\n")
    (specs / "a.yaml").write_text(pair("gamma"))  # alpha's files would be dropped
    before = snapshot(out)
    code, err = build(specs, out)
    assert code == 1
    assert f"{edited}: changed since fluid-render wrote it" in err
    assert snapshot(out) == before


@pytest.mark.parametrize("replacement", ["a link", "a folder"])
def test_a_file_of_ours_replaced_by_a_link_or_a_folder_is_an_error(
    specs: Path, tmp_path: Path, replacement: str
) -> None:
    """A folder had been `error: Is a directory`, with no path, from reading the tree."""
    out = tmp_path / "out"
    assert build(specs, out)[0] == 0
    ours = out / "default" / "alpha" / "dataset-alpha.yaml"
    ours.unlink()
    if replacement == "a link":
        ours.symlink_to("/etc/hostname")
    else:
        ours.mkdir()
    code, err = build(specs, out)
    assert code == 1 and f"{ours}: changed since fluid-render wrote it" in err
    assert ours.is_symlink() if replacement == "a link" else ours.is_dir()


def test_a_deleted_file_of_ours_is_written_again(specs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(specs, out)[0] == 0
    before = read_tree(out)
    (out / "default" / "alpha" / "dataset-alpha.yaml").unlink()
    assert build(specs, out)[0] == 0
    assert read_tree(out) == before


def test_an_old_ownership_file_of_bare_paths_is_upgraded(specs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(specs, out)[0] == 0
    expected = read_tree(out)
    owned = out / OWNED
    owned.write_text(
        "".join(line.split()[-1] + "\n" for line in owned.read_text().splitlines()[1:])
    )
    assert build(specs, out)[0] == 0
    assert read_tree(out) == expected


def test_staging_folders_of_killed_builds_are_removed(specs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    stale = tmp_path / f".out{staging.STAGING_MARK}0123456789abcdef"
    live = tmp_path / f".out{staging.STAGING_MARK}fedcba9876543210"
    mine = tmp_path / ".out.fluid-render-staging.not-ours"
    for folder in (stale, live, mine):
        (folder / "default").mkdir(parents=True)
    fd = os.open(live, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a build still running holds it
    try:
        assert build(specs, out)[0] == 0
    finally:
        os.close(fd)
    assert not stale.exists() and live.exists() and mine.exists()


@pytest.mark.parametrize("where", ["equal", "inside"])
def test_output_in_an_input_folder_is_a_usage_error(tmp_path: Path, where: str) -> None:
    (tmp_path / "a.yaml").write_text(pair("alpha"))
    out = tmp_path if where == "equal" else tmp_path / "deploy"
    result = run("build", str(tmp_path), "-o", str(out), "--lock", str(tmp_path / "l"))
    assert result.exit_code == 2 and "is inside the input folder" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"]


def test_lock_inside_the_output_is_a_usage_error(specs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("build", str(specs), "-o", str(out), "--lock", str(out / "l"))
    assert result.exit_code == 2 and "is inside -o" in result.stderr
    assert not out.exists()


def test_the_root_folder_is_not_an_output(specs: Path, tmp_path: Path) -> None:
    result = run("build", str(specs), "-o", "/", "--lock", str(tmp_path / "l"))
    assert result.exit_code == 2 and "is the root folder" in result.stderr


# --- A5: a failure changes neither tree nor lock -------------------------------------------


def _prepared(specs: Path, tmp_path: Path) -> tuple[Path, dict[str, str], str]:
    out = tmp_path / "out"
    assert build(specs, out)[0] == 0
    (specs / "b.yaml").write_text(pair("beta"))  # needs new ports: the lock changes
    return out, snapshot(out), (specs.parent / "l").read_text()


def _unchanged(specs: Path, tmp_path: Path, tree: dict[str, str], lock: str) -> None:
    assert snapshot(tmp_path / "out") == tree
    assert (specs.parent / "l").read_text() == lock
    marks = (staging.STAGING_MARK, files.TEMP_MARK)
    assert [p for p in tmp_path.rglob(".*") if any(m in p.name for m in marks)] == []


def test_a_failed_lock_rename_swaps_the_previous_tree_back(
    specs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(incremental, "IN_PLACE_SHARE", 0.0)  # stage a whole new tree
    out, tree, lock = _prepared(specs, tmp_path)
    original = os.replace

    def failing_replace(source: Any, destination: Any) -> None:
        if str(destination).endswith("/l"):
            raise OSError(28, "No space left on device", str(destination))
        original(source, destination)

    monkeypatch.setattr(os, "replace", failing_replace)
    code, err = build(specs, out)
    assert code == 1 and "No space left on device" in err
    _unchanged(specs, tmp_path, tree, lock)


def test_a_failed_lock_write_leaves_the_tree(
    specs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, tree, lock = _prepared(specs, tmp_path)

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    code, err = build(specs, out)
    assert code == 1 and "Input/output error" in err
    _unchanged(specs, tmp_path, tree, lock)


def test_a_failed_swap_leaves_tree_and_lock(
    specs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without renameat2 the swap is two renames; the second failing restores the first."""
    monkeypatch.setattr(incremental, "IN_PLACE_SHARE", 0.0)  # stage a whole new tree
    out, tree, lock = _prepared(specs, tmp_path)
    original, failed = Path.rename, list[Path]()

    def failing_rename(self: Path, destination: Any) -> Any:
        if staging.STAGING_MARK in self.name and Path(destination) == out and not failed:
            failed.append(self)  # the new tree's rename, not the old one's way back
            raise OSError(16, "Device or resource busy", str(out))
        return original(self, destination)

    monkeypatch.setattr(staging, "_exchange", lambda a, b: False)
    monkeypatch.setattr(Path, "rename", failing_rename)
    code, err = build(specs, out)
    assert code == 1 and "Device or resource busy" in err
    _unchanged(specs, tmp_path, tree, lock)


def test_without_renameat2_the_swap_still_works(
    specs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _, _ = _prepared(specs, tmp_path)
    monkeypatch.setattr(staging, "_exchange", lambda a, b: False)
    assert build(specs, out)[0] == 0
    assert (out / "default" / "beta" / "dataset-beta.yaml").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_lock_folder_leaves_the_tree(specs: Path, tmp_path: Path) -> None:
    out, locks = tmp_path / "out", tmp_path / "locks"
    locks.mkdir()
    lock = ("--lock", str(locks / "fluid-render.lock"))
    assert run("build", str(specs), "-o", str(out), *lock).exit_code == 0
    tree, lock_text = snapshot(out), (locks / "fluid-render.lock").read_text()
    (specs / "b.yaml").write_text(pair("beta"))
    locks.chmod(0o555)
    try:
        result = run("build", str(specs), "-o", str(out), *lock)
    finally:
        locks.chmod(0o755)
    assert result.exit_code == 1 and "Permission denied" in result.stderr
    assert snapshot(out) == tree and (locks / "fluid-render.lock").read_text() == lock_text
    assert [p for p in tmp_path.iterdir() if staging.STAGING_MARK in p.name] == []


def test_a_staged_tree_links_unchanged_files_and_writes_the_rest(
    specs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer threads take the files in parts; each part links what is unchanged and
    writes what is not, and the tree is the one a fresh build writes."""
    for number in range(12):  # 12 datasets: more parts than threads
        (specs / f"d{number}.yaml").write_text(pair(f"d{number}"))
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    assert build(specs, out)[0] == 0
    before = {p: (p.stat().st_ino, p.read_text()) for p in out.rglob("*.yaml")}
    (specs / "d3.yaml").write_text(pair("d3").replace("replicas: 1", "replicas: 2"))
    monkeypatch.setattr(incremental, "IN_PLACE_SHARE", 0.0)  # stage a whole new tree
    assert build(specs, out)[0] == 0
    assert build(specs, fresh)[0] == 0
    assert read_tree(out) == read_tree(fresh)
    changed = {p for p, (_, text) in before.items() if p.read_text() != text}
    relinked = {p for p, (inode, _) in before.items() if p.stat().st_ino == inode}
    assert changed and all(p.parent.name == "d3" for p in changed)
    assert relinked == set(before) - changed


def test_a_short_write_is_continued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`os.write` may take fewer bytes than given (a signal, a nearly full disk): the rest is
    written until the file holds every byte."""
    real_write = os.write
    calls: list[int] = []

    def at_most_1000(fd: int, data: Any) -> int:
        calls.append(fd)
        return real_write(fd, bytes(data[:1000]))

    monkeypatch.setattr(os, "write", at_most_1000)
    data = bytes(range(256)) * 20
    staging._write(str(tmp_path / "f"), data, tmp_path / "f")
    monkeypatch.undo()
    assert (tmp_path / "f").read_bytes() == data
    assert len(calls) == 6


def test_a_failed_write_closes_the_file_and_fails_the_build(
    specs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(incremental, "IN_PLACE_SHARE", 0.0)  # stage a whole new tree
    out, tree, lock = _prepared(specs, tmp_path)
    created: list[int] = []
    closed: set[int] = set()
    real_open, real_close = os.open, os.close
    new_file = os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW

    def recording_open(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        fd = real_open(path, flags, mode, **kw)
        if flags & new_file == new_file:
            created.append(fd)
        return fd

    def recording_close(fd: int) -> None:
        closed.add(fd)
        real_close(fd)

    def full_disk(fd: int, data: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "open", recording_open)
    monkeypatch.setattr(os, "close", recording_close)
    monkeypatch.setattr(os, "write", full_disk)
    code, err = build(specs, out)
    monkeypatch.undo()
    assert code == 1 and "No space left on device" in err
    _unchanged(specs, tmp_path, tree, lock)
    assert created
    assert set(created) <= closed
