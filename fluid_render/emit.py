"""Write manifests: one YAML stream, or a folder tree for a GitOps repository.

A tree is built in a sibling folder and swapped in with one atomic rename, so an interrupted
build leaves the previous tree as it was. Files the tool did not write are carried over; files
it wrote before and no longer renders are dropped. Which files are ours is recorded in OWNED.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fluid_render import __version__
from fluid_render.errors import BuildError, Problem
from fluid_render.load import Document
from fluid_render.render import Manifest

OWNED = ".fluid-render-owned"
KUSTOMIZATION = "kustomization.yaml"
CLUSTER_FOLDER = "_cluster"


@dataclass(frozen=True)
class OutputFile:
    path: PurePosixPath
    text: str


KIND_ORDER = {
    kind: index
    for index, kind in enumerate(
        (
            "Dataset",
            "AlluxioRuntime",
            "DataLoad",
            "DataBackup",
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "ConfigMap",
            "Service",
            "StatefulSet",
            "DaemonSet",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "Job",
            "CronJob",
        )
    )
}


def ordered(manifests: Iterable[Manifest]) -> list[Manifest]:
    """Namespace, dataset, install wave, kind, name: the same order whatever the input order."""
    return sorted(
        manifests,
        key=lambda m: (m.namespace, m.dataset, m.wave, KIND_ORDER.get(m.kind, 99), m.kind, m.name),
    )


# Kinds the API server keeps outside namespaces (`kubectl api-resources --namespaced=false`
# of Kubernetes 1.33 and the Fluid control plane); any other kind is namespaced.
CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CSIDriver",
        "CSINode",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterTrustBundle",
        "ComponentStatus",
        "CustomResourceDefinition",
        "FlowSchema",
        "IngressClass",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "StorageVersionMigration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
        "VolumeAttributesClass",
    }
)


def passthrough_namespace(doc: Document, default: str) -> str:
    """The folder of a copied object: `_cluster` for cluster-scoped kinds, else its namespace
    or, when it names none, the build's `-n` (where the GitOps tool and `inject` put it)."""
    if doc.kind in CLUSTER_SCOPED:
        return CLUSTER_FOLDER
    metadata = doc.data.get("metadata") or {}
    return str(metadata.get("namespace") or default)


def _passthrough_places(
    passthrough: Sequence[Document], namespace: str
) -> list[tuple[tuple[str, str, str], Document]]:
    places = []
    for doc in passthrough:
        name = str((doc.data.get("metadata") or {}).get("name"))
        places.append(((passthrough_namespace(doc, namespace), doc.kind, name), doc))
    return sorted(places, key=lambda place: place[0])


def stream(
    manifests: Sequence[Manifest], passthrough: Sequence[Document], namespace: str = "default"
) -> str:
    """One multi-document YAML stream: copied objects first, then each dataset's objects."""
    docs = [d.text for _, d in _passthrough_places(passthrough, namespace)]
    docs += [m.text for m in ordered(manifests)]
    return "".join(f"---\n{text}" for text in docs)


def tree(
    manifests: Sequence[Manifest], passthrough: Sequence[Document], namespace: str = "default"
) -> list[OutputFile]:
    """`<namespace>/<dataset>/<kind>-<name>.yaml`, with a kustomization.yaml in every folder."""
    files: dict[str, str] = {}
    for manifest in ordered(manifests):
        path = (
            f"{manifest.namespace}/{manifest.dataset}/{manifest.kind.lower()}-{manifest.name}.yaml"
        )
        files[path] = manifest.text
    for (namespace_folder, kind, name), doc in _passthrough_places(passthrough, namespace):
        path = f"{namespace_folder}/{kind.lower()}-{name}.yaml"
        if path in files:
            raise BuildError(
                [
                    Problem(
                        doc.position_of(()),
                        "metadata.name",
                        f"a second object would be written to {path}",
                    )
                ]
            )
        files[path] = doc.text
    children: dict[str, set[str]] = {}
    for path in files:
        parts = path.split("/")
        for depth in range(len(parts)):
            children.setdefault("/".join(parts[:depth]), set()).add(parts[depth])
    for folder, entries in children.items():
        files[f"{folder}/{KUSTOMIZATION}" if folder else KUSTOMIZATION] = _kustomization(
            sorted(entries)
        )
    return [OutputFile(PurePosixPath(path), files[path]) for path in sorted(files)]


def _kustomization(resources: Sequence[str]) -> str:
    lines = "".join(f"  - {name}\n" for name in resources)
    return (
        "# Generated by fluid-render; do not edit.\n"
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        f"resources:\n{lines}"
    )


def write_tree(target: Path, files: Sequence[OutputFile]) -> None:
    """Replace the files we own under `target` by `files`, in one swap; keep everything else."""
    target = target.absolute()
    previous = _owned(target)
    new_paths = {str(f.path) for f in files}
    if target.exists() and not target.is_dir():
        raise BuildError([Problem(None, "", f"{target} exists and is not a folder")])
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        if target.is_dir():
            _carry_over(target, staging, previous, new_paths)
        folders: set[Path] = set()
        for file in files:
            path = staging / file.path
            if path.parent not in folders:
                path.parent.mkdir(parents=True, exist_ok=True)
                folders.add(path.parent)
            if str(file.path) in previous and _link_if_same(target / file.path, path, file.text):
                continue
            path.write_text(file.text, encoding="utf-8")
        (staging / OWNED).write_text(owned_text(files), encoding="utf-8")
        staging.chmod(0o755)
        _swap(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _link_if_same(old: Path, new: Path, text: str) -> bool:
    """Reuse an unchanged file: a hard link costs a twentieth of writing it anew."""
    try:
        if old.read_text(encoding="utf-8") != text:
            return False
        os.link(old, new)
    except OSError:
        return False
    return True


def _owned(target: Path) -> set[str]:
    return set(read_owned(target).files)


@dataclass(frozen=True)
class Owned:
    """What OWNED records: the writing version (None for the old bare-path format) and each
    written file's sha256."""

    version: str | None
    files: dict[str, str]


_OWNED_HEADER = "# fluid-render {}: files written by this tool (sha256, path); do not edit\n"


def owned_text(files: Sequence[OutputFile]) -> str:
    """OWNED for these files, in `sha256sum -c` format under a header naming the version."""
    lines = [
        f"{hashlib.sha256(f.text.encode('utf-8')).hexdigest()}  {f.path}\n"
        for f in sorted(files, key=lambda f: str(f.path))
    ]
    return _OWNED_HEADER.format(__version__) + "".join(lines)


def read_owned(target: Path) -> Owned:
    """OWNED of an output folder; a missing file owns nothing."""
    try:
        text = (target / OWNED).read_text(encoding="utf-8")
    except FileNotFoundError:
        return Owned(None, {})
    version, files = None, {}
    for line in text.splitlines():
        if line.startswith("# fluid-render "):
            version = line.removeprefix("# fluid-render ").partition(":")[0]
        elif line.strip() and not line.startswith("#"):
            digest, separator, path = line.partition("  ")
            if separator:
                files[path] = digest
            else:
                files[line.strip()] = ""
    return Owned(version, files)


def _carry_over(target: Path, staging: Path, owned: set[str], new_paths: set[str]) -> None:
    """Hard-link (or copy) every file we did not write; a clash with a new file is an error."""
    clashes = []
    for root, _dirs, names in os.walk(target):
        here = Path(root)
        for name in names:
            relative = (here / name).relative_to(target)
            key = relative.as_posix()
            if key == OWNED or key in owned:
                continue
            if key in new_paths:
                clashes.append(key)
                continue
            source, copy = here / name, staging / relative
            copy.parent.mkdir(parents=True, exist_ok=True)
            if source.is_symlink():
                copy.symlink_to(os.readlink(source))
                continue
            try:
                os.link(source, copy)
            except OSError:
                shutil.copy2(source, copy)
    if clashes:
        raise BuildError(
            [
                Problem(
                    None,
                    "",
                    f"{target / c}: not written by fluid-render; "
                    "move it away, it would be overwritten",
                )
                for c in clashes
            ]
        )


def _swap(staging: Path, target: Path) -> None:
    """Exchange the two folders atomically where Linux allows it, else rename twice."""
    if target.exists() and _exchange(staging, target):
        return  # staging now holds the old tree and is removed by the caller
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        old.rmdir()
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(target)


def _exchange(a: Path, b: Path) -> bool:
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(result == 0)


def write_file(path: Path, text: str) -> None:
    """Write a whole file atomically: a reader sees the old or the new text, nothing between."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
