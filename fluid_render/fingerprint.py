"""Per-dataset input fingerprints: a build into an existing folder re-renders only the datasets
whose fingerprint differs from the one its ownership file records.

A fingerprint covers everything a dataset's files are rendered from: its own documents (parsed
data, namespace), its host ports from the lock, the tool version, the templates and scripts, and
what datasets share (the build's options, the order of every data operation, the keys of copied
ConfigMaps). Anything shared that changes re-renders every dataset, which is always safe.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from fluid_render import __version__
from fluid_render.resources import shipped
from fluid_render.runtimes import charts

if TYPE_CHECKING:
    from fluid_render.bind import Bundle
    from fluid_render.runtimes.protocol import Decided
    from fluid_render.validate import Spec


def dataset_folder(bundle: Bundle) -> str:
    """`<namespace>/<name>`: the folder of the dataset's files, and its fingerprint's key."""
    return f"{bundle.namespace}/{bundle.name}"


@cache
def templates_digest() -> str:
    """The sha256 of every file the renderer reads (the templates and scripts of every runtime
    kind's chart), names included; charts are taken in name order, a byte apart."""
    digest = hashlib.sha256()
    for number, chart in enumerate(charts.CHARTS):
        root = shipped(chart)
        if number:  # a byte between charts: no file moves from one chart to the next unseen
            digest.update(b"\1")
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def dataset_fingerprints(bundles: Sequence[Bundle], decided: Decided) -> dict[str, str]:
    """`<namespace>/<name>` -> the sha256 hex of the inputs of that dataset's files."""
    from fluid_render.plan.ports import runtime_key

    shared = json.dumps(
        [
            __version__,
            templates_digest(),
            decided.kubectl_image,
            sorted(repr(item) for item in decided.orders.items()),
            sorted([list(key), sorted(keys)] for key, keys in decided.config_maps.items()),
        ]
    ).encode()
    fingerprints: dict[str, str] = {}
    for bundle in bundles:
        digest = hashlib.sha256(shared)
        own_ports = decided.ports.get(runtime_key(bundle.namespace, bundle.name), {})
        digest.update(json.dumps(sorted(own_ports.items())).encode())
        specs: list[Spec[Any]] = [bundle.dataset, bundle.runtime, *bundle.operations]
        for spec in specs:
            document = [spec.kind, spec.namespace, spec.doc.data]
            digest.update(json.dumps(document, sort_keys=True, default=str).encode())
        fingerprints[dataset_folder(bundle)] = digest.hexdigest()
    return fingerprints


def inputs_fingerprint(
    texts: Mapping[str, str], options: Mapping[str, object], lock: str | None
) -> str:
    """The sha256 hex of a whole build's inputs: the text of every input file, the lock's, the
    options, the tool and its templates. Equal to the one an intact tree records, the build
    would write that same tree again. File names and the lock's path are left out: the output
    does not depend on them, and the tree must not depend on where it was built."""
    settings = sorted((k, str(v)) for k, v in options.items() if k not in PATH_OPTIONS)
    digest = hashlib.sha256(json.dumps([__version__, templates_digest(), settings, lock]).encode())
    for text in sorted(texts.values()):
        digest.update(hashlib.sha256(text.encode("utf-8")).digest())
    return digest.hexdigest()


PATH_OPTIONS = frozenset({"lock_path"})
