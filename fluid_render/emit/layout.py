"""Lay manifests out: one YAML stream, or the paths and texts of a folder tree.

Every path component comes from a validated name; `tree` checks each one again, so a name that
slipped past validation is an error here, never a path outside the output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fluid_render.errors import BuildError, Position, Problem
from fluid_render.objects import kind_order

if TYPE_CHECKING:  # a build that stops at the memo (`emit.memo`) loads neither
    from fluid_render.load import Document
    from fluid_render.render import Manifest

KUSTOMIZATION = "kustomization.yaml"
CLUSTER_FOLDER = "_cluster"


@dataclass(frozen=True)
class OutputFile:
    path: str
    """Relative posix path in the output folder (`<namespace>/<dataset>/<file>`)."""
    text: str


def ordered(manifests: Iterable[Manifest]) -> list[Manifest]:
    """Namespace, dataset, install wave, kind, name: the same order whatever the input order."""
    from fluid_render.runtimes.registry import RUNTIMES  # loaded by the build that made them

    return sorted(
        manifests,
        key=lambda m: (
            m.namespace,
            m.dataset,
            m.wave,
            kind_order(m.kind, RUNTIMES),
            m.kind,
            m.name,
        ),
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
    return "".join(stream_parts(manifests, passthrough, namespace))


def stream_parts(
    manifests: Sequence[Manifest], passthrough: Sequence[Document], namespace: str = "default"
) -> Iterator[str]:
    """The documents of `stream`, one at a time: printing them needs no second copy of the
    whole output in memory (27 MB for 1000 datasets)."""
    for _, doc in _passthrough_places(passthrough, namespace):
        yield f"---\n{doc.text}"
    for manifest in ordered(manifests):
        yield f"---\n{manifest.text}"


NAME_MAX = 255
"""Longest file or folder name Linux file systems (ext4, xfs, btrfs) accept, in bytes."""
SAFE_COMPONENT = re.compile(r"[A-Za-z0-9_][-A-Za-z0-9_.:]*")
"""What validated names, kinds and our own folder names are made of; never `/`, `..` or empty."""


def tree(
    manifests: Sequence[Manifest],
    passthrough: Sequence[Document],
    namespace: str = "default",
    kept: Mapping[str, str] | None = None,
) -> list[OutputFile]:
    """`<namespace>/<dataset>/<kind>-<name>.yaml`, with a kustomization.yaml in every folder;
    `kept` are files of datasets not rendered again (relative posix path -> text, as the
    previous build wrote them)."""
    files: dict[str, str] = dict(kept or {})
    problems: list[Problem] = []
    for manifest in ordered(manifests):
        place = (manifest.namespace, manifest.dataset, f"{manifest.kind.lower()}-{manifest.name}")
        path = _path(place, None, problems)
        files[path] = manifest.text
    for (folder, kind, name), doc in _passthrough_places(passthrough, namespace):
        path = _path((folder, f"{kind.lower()}-{name}"), doc.position_of(()), problems)
        if path in files:
            problems.append(
                Problem(
                    doc.position_of(()),
                    "metadata.name",
                    f"a second object would be written to {path}",
                )
            )
        files[path] = doc.text
    if problems:
        raise BuildError(problems)
    children: dict[str, set[str]] = {}
    for path in files:
        parts = path.split("/")
        for depth in range(len(parts)):
            children.setdefault("/".join(parts[:depth]), set()).add(parts[depth])
    for folder, entries in children.items():
        files[f"{folder}/{KUSTOMIZATION}" if folder else KUSTOMIZATION] = _kustomization(
            sorted(entries)
        )
    return [OutputFile(path, files[path]) for path in sorted(files)]


def _path(parts: Sequence[str], position: Position | None, problems: list[Problem]) -> str:
    """`a/b/c.yaml` when every part is a safe folder or file name, else a problem (and a
    placeholder path that is never written, since the caller raises)."""
    path = "/".join(parts) + ".yaml"
    for part in (*parts[:-1], parts[-1] + ".yaml"):
        if not SAFE_COMPONENT.fullmatch(part):
            problems.append(Problem(position, "", f"{path!r}: unsafe file or folder name"))
        elif len(part.encode()) > NAME_MAX:
            problems.append(
                Problem(position, "", f"{path}: a file name longer than {NAME_MAX} bytes")
            )
    return path


def _kustomization(resources: Sequence[str]) -> str:
    lines = "".join(f"  - {name}\n" for name in resources)
    return (
        "# Generated by fluid-render; do not edit.\n"
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        f"resources:\n{lines}"
    )
