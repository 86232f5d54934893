"""Compare a build held in memory with a committed output folder, or two builds with each other.

`check` (the CI gate: is the committed folder what the specs render?) prints a short summary;
`diff` prints a unified diff per object and says when a workload change waits for its pods to
be restarted: upstream's master, worker and FUSE workloads use `updateStrategy: OnDelete`
(pkg/ddc/alluxio's chart), so a new pod template applies only when a pod is deleted.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from fluid_render import __version__
from fluid_render.emit import OWNED, OutputFile, read_owned
from fluid_render.emit.owned import read_listed

SUMMARY_FILES = 20  # files listed by `check`; the rest are counted
SUMMARY_LINES = 4  # changed lines shown per changed file


@dataclass(frozen=True)
class Change:
    """One file that differs: `old` is None when added, `new` is None when removed."""

    path: str
    old: str | None
    new: str | None

    @property
    def status(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"


def compare_trees(old: Mapping[str, str], new: Mapping[str, str]) -> list[Change]:
    """Every path whose text differs between two trees (path -> text), sorted by path."""
    return [
        Change(path, old.get(path), new.get(path))
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    ]


def in_memory(files: Sequence[OutputFile]) -> dict[str, str]:
    return {f.path: f.text for f in files}


def read_folder(target: Path, files: Sequence[OutputFile]) -> dict[str, str]:
    """What of the folder a build would write or remove: the files it renders and the files
    the ownership record says an earlier build wrote. Files of the user's own are not read; a
    file that is not UTF-8 is read with U+FFFD for its bad bytes (it differs from ours).

    A committed record and committed links are hostile: a path with `..`, a link, or a file
    below a folder that is a link (`default -> ~/.ssh`) is not read, so `diff` never prints a
    file from outside the folder."""
    wanted = set(read_owned(target).files) | {f.path for f in files}
    root = os.path.realpath(target)
    real_folders: dict[str, bool] = {}
    found = {}
    for path in sorted(wanted - {OWNED}):
        data = read_listed(root, path, real_folders) if _plain_relative(path) else None
        if data is not None:
            found[path] = data.decode("utf-8", errors="replace")
    return found


def _plain_relative(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not PurePosixPath(path).is_absolute() and ".." not in parts


def version_mismatch(target: Path) -> str | None:
    """Why the folder cannot be compared line by line: another version of the tool wrote it."""
    owned = read_owned(target)
    if not owned.files or owned.version == __version__:
        return None
    writer = f"fluid-render {owned.version}" if owned.version else "an older fluid-render"
    return (
        f"{target} was written by {writer}, this is fluid-render {__version__}: "
        "rebuild it with this version (and review the whole diff), or run the version that wrote it"
    )


def check_report(
    target: Path, changes: Sequence[Change], mismatch: str | None, stale_lock: Path | None
) -> list[str]:
    """What `check` prints on stderr; empty when the folder and the lock are up to date."""
    report = [f"error: {stale_lock}: out of date"] if stale_lock else []
    report += [f"error: {mismatch}"] if mismatch else []
    if changes:
        headline, *details = summary(target, changes)
        report += [f"error: {headline}", *details]
    if report:
        report.append("run `fluid-render build` with the same options and commit the result")
    return report


def summary(target: Path, changes: Sequence[Change]) -> list[str]:
    """`check`'s report: counts, then each file with its first changed lines."""
    counts = {status: 0 for status in ("added", "removed", "changed")}
    for change in changes:
        counts[change.status] += 1
    lines = [
        f"{target} is out of date: "
        + ", ".join(f"{count} {status}" for status, count in counts.items() if count)
    ]
    for change in changes[:SUMMARY_FILES]:
        lines.append(f"  {change.status:8} {change.path}")
        if change.old is not None and change.new is not None:
            lines += [f"      {line}" for line in _changed_lines(change)[:SUMMARY_LINES]]
    if len(changes) > SUMMARY_FILES:
        lines.append(f"  ... and {len(changes) - SUMMARY_FILES} more files")
    return lines


def _changed_lines(change: Change) -> list[str]:
    old, new = (change.old or "").splitlines(), (change.new or "").splitlines()
    return [
        line
        for line in difflib.unified_diff(old, new, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


_COLOURS = {"+": "\x1b[32m", "-": "\x1b[31m", "@": "\x1b[36m", "=": "\x1b[1m"}
_RESET = "\x1b[0m"


def unified_diff(changes: Sequence[Change], colour: bool) -> str:
    """A unified diff per changed object, each under a header naming the object and, for a
    workload, whether the change applies live or waits for a pod restart."""
    out: list[str] = []
    for change in changes:
        out.append(f"=== {_describe(change)}")
        out += difflib.unified_diff(
            (change.old or "").splitlines(),
            (change.new or "").splitlines(),
            fromfile=f"a/{change.path}" if change.old is not None else "/dev/null",
            tofile=f"b/{change.path}" if change.new is not None else "/dev/null",
            lineterm="",
        )
    if colour:
        out = [_paint(line) for line in out]
    return "".join(f"{line}\n" for line in out)


def _paint(line: str) -> str:
    if line.startswith(("+++", "---")):
        return f"\x1b[1m{line}{_RESET}"
    start = _COLOURS.get(line[:1])
    return f"{start}{line}{_RESET}" if start else line


def _describe(change: Change) -> str:
    old, new = _object(change.old), _object(change.new)
    obj = new or old
    if obj is None:
        return f"{change.path} ({change.status})"
    metadata = obj.get("metadata") or {}
    where = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
    header = f"{obj.get('kind')} {where}{metadata.get('name')} ({change.path}, {change.status})"
    if old is not None and new is not None and new.get("kind") in _WORKLOADS:
        header += f": {_rollout(old, new)}"
    return header


_WORKLOADS = ("StatefulSet", "DaemonSet", "Deployment")


def _rollout(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """When a changed workload's change reaches its pods."""
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    if old_spec.get("template") == new_spec.get("template"):
        return "applies live (pod template unchanged)"
    strategy = new_spec.get("updateStrategy") or {}
    if new.get("kind") != "Deployment" and strategy.get("type") == "OnDelete":
        return "waits for a pod restart (updateStrategy OnDelete: delete its pods to apply it)"
    return "applies live (rolling update of its pods)"


def _object(text: str | None) -> dict[str, Any] | None:
    """The object a file holds, if it is one Kubernetes object (not a chart's template)."""
    if text is None:
        return None
    try:
        obj = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None
    if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict) and "kind" in obj:
        return obj
    return None
