"""A journal in the output folder is trusted only where a build of this tool would have written
it (fluid_render/emit/journal.py): one committed to the repository by someone else must not make
a build rename or delete files outside the tree."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fluid_render.emit.journal import JOURNAL

from .conftest import read_tree, run
from .test_cli import pair

HEX = "0123456789abcdef"


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """A built tree at `out`, its lock at `lock`, and files of the user's at `victim`."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "a.yaml").write_text(pair("alpha"))
    args = ("build", str(specs), "-o", str(tmp_path / "out"), "--lock", str(tmp_path / "lock"))
    assert run(*args).exit_code == 0
    victim = tmp_path / "victim"
    (victim / "sub").mkdir(parents=True)
    (victim / "keep.txt").write_text("keep\n")
    (victim / f".keep.txt.fluid-render-tmp.{HEX}").write_text("planted\n")
    return tmp_path


def rebuild(root: Path) -> Any:
    specs, out = root / "specs", root / "out"
    return run("build", str(specs), "-o", str(out), "--lock", str(root / "lock"))


def journal(root: Path, state: str = "commit", **entries: Any) -> str:
    text = json.dumps(
        {"state": state, "sweep": [], "folders": [], "renames": [], "removals": [], **entries}
    )
    (root / "out" / JOURNAL).write_text(text)
    return text


def linked(root: Path) -> str:
    """A link in the tree to the victim's folder, as a repository may hold one."""
    link = root / "out" / "elsewhere"
    if not link.is_symlink():
        link.symlink_to(root / "victim")
    return "elsewhere"


def tree_file(root: Path) -> str:
    return str(root / "out" / "default" / "alpha" / "kustomization.yaml")


HOSTILE: dict[str, Callable[[Path], dict[str, Any]]] = {
    # the lock's rename is the one outside the tree a journal may hold, and only onto the lock
    # of the build that reads it: `lock` here, not keep.txt
    "a rename onto a file outside, its temporary file named as ours": lambda r: {
        "renames": [
            [str(r / f"victim/.keep.txt.fluid-render-tmp.{HEX}"), str(r / "victim/keep.txt")]
        ]
    },
    "a rename from outside onto a file of the tree": lambda r: {
        "renames": [[str(r / "victim/keep.txt"), tree_file(r)]]
    },
    "a removal outside": lambda r: {"removals": [str(r / "victim/keep.txt")]},
    "a removal climbing out with ..": lambda r: {"removals": [str(r / "out/../victim/keep.txt")]},
    "a relative removal": lambda r: {"removals": ["victim/keep.txt"]},
    "a sweep of a folder outside": lambda r: {"sweep": [str(r / "victim")]},
    "a sweep climbing out": lambda r: {"sweep": ["../victim"]},
    "a new folder outside": lambda r: {"folders": ["../victim/sub"]},
    "a sweep through a link to a folder outside": lambda r: {"sweep": [linked(r)]},
    "a new folder below a link to a folder outside": lambda r: {"folders": [f"{linked(r)}/new"]},
    "a rename of a file not named as ours": lambda r: {
        "renames": [[str(r / "out/default/alpha/x.yaml"), tree_file(r)]]
    },
}


@pytest.mark.parametrize("state", ["staging", "commit"])
@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
def test_a_journal_naming_anything_outside_the_tree_is_refused(
    world: Path, hostile: str, state: str
) -> None:
    before, victim = read_tree(world / "out"), read_tree(world / "victim")
    text = journal(world, state, **HOSTILE[hostile](world))
    result = rebuild(world)
    assert result.exit_code == 1, result.stderr
    assert f"{world / 'out' / JOURNAL}:1:1: a killed build's journal cannot be trusted" in (
        result.stderr
    )
    assert "internal error" not in result.stderr
    assert read_tree(world / "victim") == victim
    assert (world / "victim" / "sub").is_dir()
    assert read_tree(world / "out") == {**before, JOURNAL: text}  # nothing done, journal kept


@pytest.mark.parametrize(
    "text",
    [
        b"\xff\xfe{}",
        b'{"state": "commit"',
        b"[]",
        b'{"state": "commit", "sweep": [], "folders": [], "renames": []}',
        b'{"state": "done", "sweep": [], "folders": [], "renames": [], "removals": []}',
        b'{"state": "commit", "sweep": [1], "folders": [], "renames": [], "removals": []}',
        b'{"state": "commit", "sweep": [], "folders": [], "renames": [["a"]], "removals": []}',
        b'{"state": "commit", "sweep": [], "folders": [], "renames": [], "removals": [],'
        b' "run": "rm -rf /"}',
    ],
    ids=[
        "not UTF-8",
        "cut short",
        "a list",
        "a field missing",
        "an unknown state",
        "a number for a folder",
        "a rename of one path",
        "a field more",
    ],
)
def test_a_journal_this_tool_would_not_write_is_an_error_not_a_crash(
    world: Path, text: bytes
) -> None:
    (world / "out" / JOURNAL).write_bytes(text)
    result = rebuild(world)
    assert result.exit_code == 1
    assert "a killed build's journal cannot be trusted: it is not a journal" in result.stderr
    assert (world / "out" / JOURNAL).read_bytes() == text


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_temporary_file_that_is_a_link_is_not_renamed(world: Path) -> None:
    """Renamed over a file of the tree, a link would be written through by the next build."""
    final = tree_file(world)
    temp = str(Path(final).parent / f".kustomization.yaml.fluid-render-tmp.{HEX}")
    os.symlink(world / "victim" / "keep.txt", temp)
    journal(world, renames=[[temp, final]])
    result = rebuild(world)
    assert result.exit_code == 1 and "it renames a file this tool did not write" in result.stderr
    assert os.path.islink(temp) and not os.path.islink(final)


def test_a_journal_of_this_tools_shape_inside_the_tree_is_finished(world: Path) -> None:
    """The refusal is about where, not what: a journal whose paths are all the tree's and the
    lock's is rolled forward as before (a killed build's real journals are in
    tests/test_incremental.py)."""
    final = tree_file(world)
    temp = str(Path(final).parent / f".kustomization.yaml.fluid-render-tmp.{HEX}")
    Path(temp).write_text(Path(final).read_text())
    lock_temp = world / f".lock.fluid-render-tmp.{HEX}"
    lock_temp.write_text((world / "lock").read_text())
    journal(world, renames=[[temp, final], [str(lock_temp), str(world / "lock")]])
    assert rebuild(world).exit_code == 0
    assert not os.path.lexists(temp) and not lock_temp.exists()
    assert not (world / "out" / JOURNAL).exists()
