"""`fluid-render inject`: upstream's admission-webhook mutations of application pods, in git.

Upstream Fluid mutates pods that mount a dataset's PersistentVolumeClaim when they are created
(section 8 of the fact reference): node affinity to FUSE and cache nodes, mount propagation, a
dataset-usage annotation, or a whole FUSE sidecar for serverless pods. This module applies the
same mutations to the pod templates of manifests a user keeps in git, at build time, from the
facts of a build (the rendered FUSE DaemonSet, PersistentVolume and worker StatefulSet).

Edits are made on ruamel.yaml's round-trip tree, so comments, key order and quoting survive
except where a mutation lands, and a document that needs no change keeps its exact bytes.
Every mutation is idempotent: injecting the output again changes nothing.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString
from ruamel.yaml.tokens import CommentToken

from fluid_render.errors import BuildError, Position, Problem
from fluid_render.limits import Budget, check_text
from fluid_render.load import CONSTRUCTOR_FAILURES, Document, cannot_construct, yaml_problem
from fluid_render.plan.naming import label_key
from fluid_render.render import FLUX_SUBSTITUTE, SYNC_WAVE, Manifest
from fluid_render.render.objects import CLAIM_WAVE
from fluid_render.workloads import (
    KNATIVE,
    POD_TEMPLATES,
    TEMPLATE_OPTIONAL,
    WORKFLOW_SPECS,
    claims_in,
    kind_key,
    template_containers,
)

Path_ = tuple[str | int, ...]

# Labels and annotations upstream's webhook reads or writes on pods (fluid pkg/common).
ENABLE_INJECTION = "fluid.io/enable-injection"
INJECTION_DONE = "done.sidecar.fluid.io/inject"
SERVERLESS = ("serverless.fluid.io/inject", "fuse.sidecar.fluid.io/inject")
UNPRIVILEGED = "unprivileged.sidecar.fluid.io/inject"
CACHE_DIR = "cachedir.sidecar.fluid.io/inject"
MANAGED_BY = "fluid.io/managed-by"
DATASETS_IN_USE = "fluid.io/datasets-in-use"
SIDECAR_NAMESPACE = "dataset-namespace.sidecar.fluid.io/"
SIDECAR_NAME = "dataset-name.sidecar.fluid.io/"
SCHED = re.compile(r"fluid\.io/dataset\.([A-Za-z0-9.-]*)\.sched")
DATASET_NUM = "fluid.io/dataset-num"
HOST_TO_CONTAINER = "HostToContainer"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"

# The stock NodeAffinityWithCache profile: `fluid.io/node` stands for the dataset's cache-node
# label; zone and region apply to the runtime's cache affinity (its worker's required terms).
NODE_LOCALITY = "fluid.io/node"
PREFERRED_LOCALITY = {
    NODE_LOCALITY: 100,
    "topology.kubernetes.io/zone": 50,
    "topology.kubernetes.io/region": 20,
}
REQUIRED_LOCALITY = (NODE_LOCALITY,)

# The sidecar drops the FUSE container's cache-tier volumes unless the pod asks for them.
CACHE_DIR_PREFIXES = ("datavolume-", "volume-localtime", "cache-dir", "mem", "ssd", "hdd")
FUSE_CONTAINER = "fluid-fuse"
INIT_FUSE_CONTAINER = "init-fluid-fuse"


@dataclass(frozen=True)
class DatasetFacts:
    """What the webhook reads from the cluster for one dataset, taken from a build instead."""

    namespace: str
    name: str
    fuse_node_selector: tuple[tuple[str, str], ...]
    fuse_container: Mapping[str, Any]
    fuse_volumes: tuple[Mapping[str, Any], ...]
    host_mount_path: str
    cache_affinity: tuple[Mapping[str, Any], ...] = ()

    @property
    def cache_label(self) -> str:
        return label_key("fluid.io/s-", self.namespace, self.name)


@dataclass(frozen=True)
class Facts:
    """Datasets by (namespace, claim name), the namespaces' labels, and the command's options."""

    datasets: Mapping[tuple[str, str], DatasetFacts]
    namespace_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    namespace: str = "default"
    strict: bool = False
    prefer_nodes_without_cache: bool = False


@dataclass(frozen=True)
class InjectedFile:
    """One input file after injection: its whole text, and its documents for a stream."""

    source: str
    original: str
    text: str
    documents: tuple[str, ...]
    warnings: tuple[Problem, ...] = ()

    @property
    def changed(self) -> bool:
        return self.text != self.original


# --- facts from a build ------------------------------------------------------------------------


def facts_from_build(
    manifests: Sequence[Manifest],
    passthrough: Sequence[Document] = (),
    *,
    namespace: str = "default",
    strict: bool = False,
    prefer_nodes_without_cache: bool = False,
) -> Facts:
    """Each dataset's FUSE container, volumes, node selector and mount path, from the rendered
    DaemonSet, PersistentVolume, PersistentVolumeClaim and worker StatefulSet."""
    wanted = ("PersistentVolumeClaim", "PersistentVolume", "DaemonSet", "StatefulSet")
    objects: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    for manifest in manifests:
        if manifest.kind in wanted:
            obj = yaml.load(manifest.text, Loader=yaml.CSafeLoader)
            group = objects.setdefault((manifest.namespace, manifest.dataset), {})
            group.setdefault(manifest.kind, []).append(obj)
    datasets: dict[tuple[str, str], DatasetFacts] = {}
    for (ns, name), found in sorted(objects.items()):
        claims, volumes, fuses = (
            found.get(kind, [])
            for kind in ("PersistentVolumeClaim", "PersistentVolume", "DaemonSet")
        )
        if not (claims and volumes and fuses):
            continue
        pod = fuses[0]["spec"]["template"]["spec"]
        fuse_label = label_key("fluid.io/f-", ns, name)
        selector = {
            k: str(v) for k, v in (pod.get("nodeSelector") or {}).items() if k != fuse_label
        }
        attributes = volumes[0]["spec"]["csi"]["volumeAttributes"]
        path = str(attributes["fluid_path"])
        if attributes.get("fluid_sub_path"):
            path = f"{path}/{attributes['fluid_sub_path']}"
        workers = [
            s
            for s in found.get("StatefulSet", [])
            if s["metadata"]["labels"].get("role") == "alluxio-worker"
        ]
        claim = str(claims[0]["metadata"]["name"])
        datasets[(ns, claim)] = DatasetFacts(
            namespace=ns,
            name=name,
            fuse_node_selector=tuple(sorted(selector.items())),
            fuse_container=pod["containers"][0],
            fuse_volumes=tuple(pod.get("volumes") or ()),
            host_mount_path=path,
            cache_affinity=_cache_affinity(workers[0]) if workers else (),
        )
    labels = {
        str(doc.data["metadata"]["name"]): _string_map(doc.data["metadata"].get("labels"))
        for doc in passthrough
        if _is_namespace(doc.data)
    }
    return Facts(datasets, labels, namespace, strict, prefer_nodes_without_cache)


def _cache_affinity(worker: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    """Upstream's runtime `status.cacheAffinity`: the worker's node selector merged into each
    required term of its node affinity; the webhook reads its expressions one by one."""
    pod = worker["spec"]["template"]["spec"]
    node_affinity = (pod.get("affinity") or {}).get("nodeAffinity") or {}
    required = node_affinity.get(REQUIRED) or {}
    terms = [list(t.get("matchExpressions") or []) for t in required.get("nodeSelectorTerms") or []]
    selector = [
        {"key": k, "operator": "In", "values": [v]}
        for k, v in sorted((pod.get("nodeSelector") or {}).items())
    ]
    if selector:
        terms = [t + selector for t in terms] if terms else [selector]
    return tuple(expression for term in terms for expression in term)


def _is_namespace(data: Any) -> bool:
    return (
        isinstance(data, Mapping)
        and data.get("kind") == "Namespace"
        and data.get("apiVersion") == "v1"
        and isinstance(data.get("metadata"), Mapping)
        and isinstance(data["metadata"].get("name"), str)
    )


def _string_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


# --- reading application files -----------------------------------------------------------------


# --- entry points ------------------------------------------------------------------------------


def inject_documents(
    documents_text_by_source: Mapping[str, str], facts: Facts
) -> list[InjectedFile]:
    """Inject every document of every file; all problems of all files are raised together."""
    problems: list[Problem] = []
    files: list[tuple[str, str, list[_Region], list[_Doc | None]]] = []
    budget = Budget()
    for source, text in documents_text_by_source.items():
        if exceeded := check_text(text, source, budget):
            problems += exceeded
            continue
        regions = _split(text, source, problems)
        docs = [_parse(text[r.start : r.end], source, r.line, r.column, problems) for r in regions]
        files.append((source, text, regions, docs))
    every = [d for *_, docs in files for d in docs if d is not None]
    context = _Context(facts, _namespace_labels(facts, (d.root for d in every)), problems)
    for item in every:
        item.injected = _inject_doc(item, context)
    if problems:
        raise BuildError(problems)
    result = []
    for source, text, regions, docs in files:
        pieces: list[str] = []
        stream_docs: list[str] = []
        cursor = 0
        for region, doc in zip(regions, docs, strict=True):
            original = text[region.start : region.end]
            body = doc.injected if doc is not None and doc.injected is not None else original
            pieces += [text[cursor : region.start], body]
            cursor = region.end
            if doc is not None and doc.root is not None:
                stream_docs.append(region.preamble + (body if body.endswith("\n") else body + "\n"))
        pieces.append(text[cursor:])
        warnings = tuple(w for w in context.warnings if w.position and w.position.file == source)
        result.append(InjectedFile(source, text, "".join(pieces), tuple(stream_docs), warnings))
    return result


def stream(files: Sequence[InjectedFile]) -> str:
    """Each file's documents in order, each after a `---` line."""
    return "".join(
        doc if doc.startswith("---") else f"---\n{doc}" for file in files for doc in file.documents
    )


def inject_passthrough(
    documents: Sequence[Document], facts: Facts
) -> tuple[list[Document], list[Problem]]:
    """`build --passthrough --inject`: the copied documents, with pods mutated (same order),
    and the warnings about documents that mount a dataset but could not be injected."""
    problems: list[Problem] = []
    docs: list[_Doc | None] = []
    for document in documents:
        where = document.position_of(())
        docs.append(
            _parse(document.text, document.source, where.line - 1, where.column - 1, problems)
        )
    roots = (d.root for d in docs if d is not None)
    context = _Context(facts, _namespace_labels(facts, roots), problems)
    new_texts = [_inject_doc(d, context) if d is not None else None for d in docs]
    if problems:
        raise BuildError(problems)
    result = []
    for document, new in zip(documents, new_texts, strict=True):
        if new is None:
            result.append(document)
        else:
            data = yaml.load(new, Loader=yaml.CSafeLoader)
            result.append(replace(document, text=new.rstrip() + "\n", data=data))
    return result, sorted(context.warnings)


def order_after_datasets(documents: Sequence[Document], facts: Facts) -> list[Document]:
    """Copied workloads that mount a dataset's claim get Argo CD's sync wave after the claim's,
    so a first sync does not start pods whose PersistentVolumeClaim is still to come (they
    would stay Pending and stall the sync). A later wave the user chose is kept."""
    wave = str(CLAIM_WAVE + 1)
    result = []
    for document in documents:
        problems: list[Problem] = []
        where = document.position_of(())
        doc = None
        if _mounts_dataset_early(document.data, facts):
            doc = _parse(document.text, document.source, where.line - 1, where.column - 1, problems)
        if doc is None or not isinstance(doc.root, CommentedMap):
            result.append(document)
            continue
        _put_path(doc.root, ("metadata", "annotations", SYNC_WAVE), wave)
        text = _dump(doc).rstrip() + "\n"
        result.append(replace(document, text=text, data=yaml.load(text, Loader=yaml.CSafeLoader)))
    return result


def _mounts_dataset_early(data: Any, facts: Facts) -> bool:
    """A pod-bearing object with a claim of a dataset, in a wave not after the claim's."""
    if not isinstance(data, Mapping):
        return False
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return False
    key = kind_key(api_version, kind)
    if key not in POD_TEMPLATES and key not in WORKFLOW_SPECS:
        return False
    metadata: Mapping[str, Any] = data.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        return False
    annotations = metadata.get("annotations")
    wave = str(annotations.get(SYNC_WAVE) if isinstance(annotations, Mapping) else None)
    if re.fullmatch(r"-?[0-9]+", wave) and int(wave) > CLAIM_WAVE:
        return False
    namespace = str(metadata.get("namespace") or facts.namespace)
    return any((namespace, claim) in facts.datasets for _, claim in claims_in(data))


def _namespace_labels(facts: Facts, roots: Iterator[Any]) -> dict[str, Mapping[str, str]]:
    labels = dict(facts.namespace_labels)
    for root in roots:
        if _is_namespace(root):
            labels[str(root["metadata"]["name"])] = _string_map(root["metadata"].get("labels"))
    return labels


# --- documents: split, parse, dump -------------------------------------------------------------


@dataclass(frozen=True)
class _Region:
    """Where one document's text lies in its file (after its `---` line, up to the next)."""

    start: int
    end: int
    line: int
    column: int
    preamble: str


def _split(text: str, source: str, problems: list[Problem]) -> list[_Region]:
    """Document boundaries from libyaml's events, so each document keeps its exact bytes."""
    regions: list[_Region] = []
    boundary, start, preamble = 0, 0, ""
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            assert event.start_mark is not None and event.end_mark is not None
            if isinstance(event, yaml.DocumentStartEvent):
                start, preamble = boundary, ""
                if event.explicit:
                    marker, after = event.start_mark.index, event.end_mark.index
                    line_end = text.find("\n", after)
                    line_end = len(text) if line_end < 0 else line_end + 1
                    rest = text[after:line_end].strip()
                    start = line_end if not rest or rest.startswith("#") else marker
                    lines = text[boundary:marker].splitlines(keepends=True)
                    preamble = "".join(x for x in lines if x.lstrip().startswith("#"))
            elif isinstance(event, yaml.DocumentEndEvent):
                end = event.start_mark.index
                line = text.count("\n", 0, start)
                column = start - (text.rfind("\n", 0, start) + 1)
                regions.append(_Region(start, max(end, start), line, column, preamble))
                boundary = event.end_mark.index
    except yaml.YAMLError as error:
        problems.append(yaml_problem(error, source, text))
        return []
    return regions


@dataclass
class _Doc:
    source: str
    text: str
    line: int
    column: int
    root: Any
    injected: str | None = None

    def position(self, line: int, column: int) -> Position:
        return Position(
            self.source, self.line + line + 1, (self.column if line == 0 else 0) + column + 1
        )

    def at(self, path: Path_) -> Position:
        """The position of the deepest existing key or item on `path`."""
        node = self.root
        line, column = _lc(node)
        for part in path:
            try:
                if isinstance(node, CommentedMap) and part in node:
                    line, column = node.lc.key(part)
                elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                    line, column = node.lc.item(part)
                else:
                    break
            except (KeyError, TypeError, AttributeError):
                break
            node = node[part]
        return self.position(line, column)


def _lc(node: Any) -> tuple[int, int]:
    try:
        return int(node.lc.line or 0), int(node.lc.col or 0)
    except AttributeError:
        return 0, 0


class _Constructor(RoundTripConstructor):
    """ruamel's round-trip constructor, with a value it cannot construct a positioned error
    that does not quote it (ruamel's own says `failed to construct timestamp from "x"`)."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (*CONSTRUCTOR_FAILURES, ConstructorError) as error:
            if isinstance(error, ConstructorError) and not isinstance(node, ScalarNode):
                raise
            raise ConstructorError(
                None, None, cannot_construct(node.tag), node.start_mark
            ) from None


@cache
def _loader() -> YAML:
    loader = YAML(typ="rt")
    loader.Constructor = _Constructor
    loader.preserve_quotes = True
    return loader


def _parse(text: str, source: str, line: int, column: int, problems: list[Problem]) -> _Doc | None:
    try:
        root = _loader().load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        doc = _Doc(source, text, line, column, None)
        where = doc.position(mark.line, mark.column) if mark else doc.position(0, 0)
        problems.append(Problem(where, "", f"invalid YAML: {error.problem or error.context}"))
        return None
    except YAMLError as error:
        problems.append(Problem(Position(source, line + 1, 1), "", f"invalid YAML: {error}"))
        return None
    return _Doc(source, text, line, column, root)


def _dump(doc: _Doc) -> str:
    """The mutated document, indented like the original, with its surrounding blank lines."""
    mapping, sequence, offset = _indents(doc.text)
    dumper = YAML(typ="rt")
    dumper.preserve_quotes = True
    dumper.width = 1 << 20
    dumper.indent(mapping=mapping, sequence=sequence, offset=offset)
    dumper.explicit_start = doc.text.startswith("---")
    out = io.StringIO()
    dumper.dump(doc.root, out)
    lead = doc.text[: len(doc.text) - len(doc.text.lstrip("\n"))]
    trail = doc.text[len(doc.text.rstrip()) :]
    return lead + out.getvalue().strip("\n") + (trail if "\n" in trail else "\n")


_BLOCK_SCALAR = re.compile(r".*:\s+[|>][-+0-9]*\s*(#.*)?")
_BLOCK_KEY = re.compile(r"""[^\s'"{\[&*!|>%@`#-][^#]*?:(\s+#.*)?|-\S[^#]*?:(\s+#.*)?""")


def _indents(text: str) -> tuple[int, int, int]:
    """Mapping indent, sequence indent and dash offset the document already uses."""
    lines = [
        (len(x) - len(x.lstrip(" ")), x.strip())
        for x in text.splitlines()
        if x.strip() and not x.lstrip().startswith("#")
    ]
    mapping: int | None = None
    sequence: tuple[int, int] | None = None
    inside_scalar: int | None = None
    for index, (indent, body) in enumerate(lines[:-1]):
        if inside_scalar is not None:
            if indent > inside_scalar:
                continue
            inside_scalar = None
        dashes = re.match(r"(?:-\s+)*", body)
        column = indent + (dashes.end() if dashes else 0)
        key = body[dashes.end() if dashes else 0 :]
        if _BLOCK_SCALAR.fullmatch(key):
            inside_scalar = column
            continue
        if not _BLOCK_KEY.fullmatch(key):
            continue
        next_indent, next_body = lines[index + 1]
        if next_body == "-" or next_body.startswith("- "):
            if sequence is None and next_indent >= column:
                item = re.match(r"-\s+", next_body)
                width = item.end() if item else 2
                sequence = (next_indent - column + width, next_indent - column)
        elif mapping is None and next_indent > column:
            mapping = next_indent - column
        if mapping is not None and sequence is not None:
            break
    mapping = mapping or 2
    sequence_indent, offset = sequence or (mapping + 2, 2)
    return mapping, max(sequence_indent, offset + 2), offset


# --- the mutations -----------------------------------------------------------------------------


@dataclass
class _Context:
    facts: Facts
    namespace_labels: Mapping[str, Mapping[str, str]]
    problems: list[Problem]
    warnings: list[Problem] = field(default_factory=list)


def _inject_doc(doc: _Doc, context: _Context) -> str | None:
    """The document's new text, or None when nothing changed (the caller keeps the bytes)."""
    if not isinstance(doc.root, CommentedMap):
        return None
    before = _plain(doc.root)
    count = len(context.problems)
    _inject_object(doc, doc.root, (), context)
    if len(context.problems) > count or _plain(doc.root) == before:
        return None
    text = _dump(doc)
    annotations = _get(doc.root, ("metadata", "annotations"))
    opted_out = isinstance(annotations, CommentedMap) and FLUX_SUBSTITUTE in annotations
    if "${" in text and not opted_out:
        # The FUSE sidecar's `${ALLUXIO_CLIENT_HOSTNAME}` would be blanked by Flux, as in build.
        _put_path(doc.root, ("metadata", "annotations", FLUX_SUBSTITUTE), "disabled")
        text = _dump(doc)
    return text


def _inject_object(doc: _Doc, obj: CommentedMap, path: Path_, context: _Context) -> None:
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if kind == "List" and api_version == "v1" and isinstance(obj.get("items"), CommentedSeq):
        for index, item in enumerate(obj["items"]):
            if isinstance(item, CommentedMap):
                _inject_object(doc, item, (*path, "items", index), context)
        return
    if not isinstance(kind, str):
        return
    if not isinstance(api_version, str):
        if kind in _KNOWN_KINDS:
            _fail(doc, context, (*path, "apiVersion"), f"missing: a {kind} needs an apiVersion")
        return
    key = kind_key(api_version, kind)
    metadata = obj.get("metadata")
    namespace = context.facts.namespace
    if isinstance(metadata, CommentedMap) and isinstance(metadata.get("namespace"), str):
        namespace = metadata["namespace"] or namespace
    if key not in POD_TEMPLATES and key not in WORKFLOW_SPECS:
        _warn_unknown_users(doc, obj, path, namespace, context)
        return
    if not _conform(doc, context, metadata, {"namespace": str}, (*path, "metadata")):
        return
    workflow = key in WORKFLOW_SPECS
    template = WORKFLOW_SPECS[key] if workflow else POD_TEMPLATES[key]
    node, where = obj, path
    steps = template if workflow else (*template, "spec")
    for index, step in enumerate(steps):
        child = node.get(step)
        if child is None and key in TEMPLATE_OPTIONAL:
            return  # e.g. a Rollout with `workloadRef`: the referenced workload is injected
        if not isinstance(child, CommentedMap):
            problem = "must be a mapping (an object)" if child is not None else "missing"
            _fail(doc, context, (*where, step), f"{problem}: a {kind} needs a pod spec here")
            return
        if workflow or index < len(template):
            node, where = child, (*where, step)
    if workflow:
        if _conform(doc, context, node, _WORKFLOW_SCHEMA, where):
            _WorkflowPods(doc, context, node, where, namespace).inject()
    elif _conform(doc, context, node, _POD_SCHEMA, where):
        _Pod(doc, context, node, where, namespace, knative=key in KNATIVE).inject()


_KNOWN_KINDS = {kind for _, kind in (*POD_TEMPLATES, *WORKFLOW_SPECS)}


def _warn_unknown_users(
    doc: _Doc, obj: CommentedMap, path: Path_, namespace: str, context: _Context
) -> None:
    """A kind whose pods inject cannot find, mounting a dataset's claim: say so (upstream's
    webhook would have mutated its pods)."""
    for where, claim in claims_in(obj):
        dataset = context.facts.datasets.get((namespace, str(claim)))
        if dataset is None:
            continue
        metadata = obj.get("metadata")
        name = metadata.get("name") if isinstance(metadata, CommentedMap) else None
        message = (
            f"{obj.get('kind')} {namespace}/{name} mounts the claim of dataset "
            f"{dataset.namespace}/{dataset.name}, but inject does not know where its pods are: "
            "upstream's webhook would mutate them; add the mutations yourself"
        )
        _not_injected(doc, context, (*path, *where), message)


def _not_injected(doc: _Doc, context: _Context, path: Path_, message: str) -> None:
    """A warning, or with --strict an error."""
    if context.facts.strict:
        _fail(doc, context, path, message + " (--strict)")
    else:
        context.warnings.append(Problem(doc.at(path), _field(path), message))


def _fail(doc: _Doc, context: _Context, path: Path_, message: str) -> None:
    context.problems.append(Problem(doc.at(path), _field(path), message))


def _field(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# The shapes of what the mutations read or write; anything else in a pod is left alone.
_STRINGS = "string map"
_TERM: Mapping[str, Any] = {
    "matchExpressions": [{"key": str, "operator": str}],
    "matchFields": [{"key": str, "operator": str}],
}
_CONTAINER: Mapping[str, Any] = {
    "name": str,
    "volumeMounts": [{"name": str, "mountPropagation": str}],
}
_POD_SCHEMA: Mapping[str, Any] = {
    "metadata": {"labels": _STRINGS, "annotations": _STRINGS},
    "spec": {
        "volumes": [{"name": str, "persistentVolumeClaim": {"claimName": str}}],
        "containers": [_CONTAINER],
        "initContainers": [_CONTAINER],
        "nodeSelector": _STRINGS,
        "affinity": {
            "nodeAffinity": {
                REQUIRED: {"nodeSelectorTerms": [_TERM]},
                PREFERRED: [{"preference": _TERM}],
            }
        },
    },
}


_VOLUMES = [{"name": str, "persistentVolumeClaim": {"claimName": str}}]
_WORKFLOW_SCHEMA: Mapping[str, Any] = {
    "podMetadata": {"labels": _STRINGS, "annotations": _STRINGS},
    "volumes": _VOLUMES,
    "nodeSelector": _STRINGS,
    "affinity": _POD_SCHEMA["spec"]["affinity"],
    "templates": [
        {
            "volumes": _VOLUMES,
            "container": _CONTAINER,
            "script": _CONTAINER,
            "containerSet": {"containers": [_CONTAINER]},
            "initContainers": [_CONTAINER],
        }
    ],
}


def _conform(doc: _Doc, context: _Context, node: Any, schema: Any, path: Path_) -> bool:
    """Check the shape of `node` (null is always allowed), reporting every mismatch."""
    if node is None:
        return True
    if schema is str:
        if isinstance(node, str):
            return True
        _fail(doc, context, path, "must be a string; quote it")
        return False
    if isinstance(schema, list):
        if not isinstance(node, CommentedSeq):
            _fail(doc, context, path, "must be a list")
            return False
        results = [_conform(doc, context, n, schema[0], (*path, i)) for i, n in enumerate(node)]
        return all(results)
    if not isinstance(node, CommentedMap):
        _fail(doc, context, path, "must be a mapping (an object)")
        return False
    if schema == _STRINGS:
        return all([_conform(doc, context, v, str, (*path, k)) for k, v in node.items()])
    results = [_conform(doc, context, node.get(k), s, (*path, k)) for k, s in schema.items()]
    if "claimName" in schema and node.get("claimName") is None:
        _fail(doc, context, (*path, "claimName"), "missing")
        return False
    return all(results)


class _Pod:
    """One pod (a Pod, or the template of a workload) and the plugins upstream would run on it."""

    METADATA = "metadata"  # the key of the pod's labels and annotations in `node`

    def __init__(
        self,
        doc: _Doc,
        context: _Context,
        node: CommentedMap,
        path: Path_,
        namespace: str,
        *,
        knative: bool = False,
    ) -> None:
        self.doc, self.context, self.node, self.path = doc, context, node, path
        self.namespace = namespace
        self.knative = knative
        self.spec: CommentedMap = self._spec()
        metadata = node.get(self.METADATA)
        labels = metadata.get("labels") if isinstance(metadata, CommentedMap) else None
        self.labels: dict[str, str] = dict(labels or {})

    def _spec(self) -> CommentedMap:
        spec: CommentedMap = self.node["spec"]
        return spec

    def _spec_path(self, *parts: str | int) -> Path_:
        return (*self.path, "spec", *parts)

    def _volumes(self) -> list[tuple[Path_, Any]]:
        """The pod's volumes, each with its path below the spec."""
        volumes = enumerate(self.spec.get("volumes") or [])
        return [(("volumes", i), v) for i, v in volumes if v is not None]

    def _containers(self) -> list[Any]:
        return [c for c in self.spec.get("containers") or [] if c is not None]

    def inject(self) -> None:
        if (
            self.labels.get(ENABLE_INJECTION) == "false"
            or self.labels.get(INJECTION_DONE) == "true"
        ):
            return
        datasets = self._datasets()
        namespace_labels = self.context.namespace_labels.get(self.namespace, {})
        serverless = any(self.labels.get(key) == "true" for key in SERVERLESS) or (
            namespace_labels.get(ENABLE_INJECTION) == "true"
        )
        if serverless and datasets and self.knative:
            _not_injected(
                self.doc,
                self.context,
                (*self.path, self.METADATA),
                "the FUSE sidecar is not injected into a Knative revision template, which "
                "rejects privileged containers, lifecycle hooks and hostPath volumes; use "
                "serverful injection, or upstream's webhook",
            )
        elif serverless:
            if datasets and self._sidecar_supported():
                self._fuse_sidecar(datasets)
                self._dataset_usage(datasets)
        elif datasets:
            self._require_node_with_fuse(datasets)
            self._node_affinity_with_cache(datasets)
            if not self.knative:  # Knative rejects mountPropagation in a revision template
                self._mount_propagation(datasets)
            self._dataset_usage(datasets)
        elif self.context.facts.prefer_nodes_without_cache:
            self._prefer_nodes_without_cache()

    def _datasets(self) -> list[DatasetFacts]:
        """The datasets whose claims the pod mounts, by name (upstream iterates a Go map)."""
        found: dict[str, DatasetFacts] = {}
        for where, volume in self._volumes():
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim is None:
                continue
            dataset = self.context.facts.datasets.get((self.namespace, str(claim)))
            if dataset is not None:
                found[str(claim)] = dataset
            elif self.context.facts.strict:
                path = self._spec_path(*where, "persistentVolumeClaim", "claimName")
                _fail(
                    self.doc,
                    self.context,
                    path,
                    f"PersistentVolumeClaim {self.namespace}/{claim} is no Dataset of the specs "
                    "(--strict)",
                )
        return [found[name] for name in sorted(found)]

    def _sidecar_supported(self) -> bool:
        if self.labels.get(UNPRIVILEGED) != "true":
            return True
        _fail(
            self.doc,
            self.context,
            (*self.path, "metadata", "labels", UNPRIVILEGED),
            "the unprivileged FUSE sidecar is not supported; remove the label",
        )
        return False

    # RequireNodeWithFuse: the runtime's own FUSE node selector, one required term per dataset.
    def _require_node_with_fuse(self, datasets: list[DatasetFacts]) -> None:
        terms = [
            {"matchExpressions": [_expression(key, "In", [value]) for key, value in selector]}
            for selector in (d.fuse_node_selector for d in datasets)
            if selector
        ]
        self._require(terms)

    # NodeAffinityWithCache: prefer (or, if the pod asks, require) the dataset's cache nodes.
    def _node_affinity_with_cache(self, datasets: list[DatasetFacts]) -> None:
        keys = {*PREFERRED_LOCALITY, *REQUIRED_LOCALITY, *(d.cache_label for d in datasets)}
        if keys & self._scheduling_keys():
            return
        required = {
            match.group(1)
            for key, value in self.labels.items()
            if (match := SCHED.fullmatch(key)) and value == "required"
        }
        terms = []
        preferred = []
        for dataset in datasets:
            if dataset.name in required:
                terms.append(
                    {"matchExpressions": [_expression(dataset.cache_label, "In", ["true"])]}
                )
                terms += [
                    {"matchExpressions": [_copy_expression(e)]}
                    for e in dataset.cache_affinity
                    if e.get("key") in REQUIRED_LOCALITY
                ]
            else:
                preferred.append(_preferred(100, _expression(dataset.cache_label, "In", ["true"])))
                preferred += [
                    _preferred(PREFERRED_LOCALITY[str(e["key"])], _copy_expression(e))
                    for e in dataset.cache_affinity
                    if e.get("key") in PREFERRED_LOCALITY
                ]
        self._require(terms)
        self._prefer(preferred)

    # MountPropagationInjector: app containers see the FUSE mount come back after a restart.
    def _mount_propagation(self, datasets: list[DatasetFacts]) -> None:
        volumes = self._volumes_of({d.name for d in datasets})
        for container in self._containers():
            for mount in container.get("volumeMounts") or []:
                if mount.get("name") in volumes and mount.get("mountPropagation") is None:
                    _put(mount, "mountPropagation", HOST_TO_CONTAINER)

    # DatasetUsageInjector: the sorted union of the datasets the pod uses.
    def _dataset_usage(self, datasets: list[DatasetFacts]) -> None:
        metadata = self.node.get(self.METADATA)
        annotations = metadata.get("annotations") if isinstance(metadata, CommentedMap) else None
        existing = str((annotations or {}).get(DATASETS_IN_USE) or "")
        names = {n.strip() for n in existing.split(",") if n.strip()} | {d.name for d in datasets}
        value = ",".join(sorted(names))
        if value != (annotations or {}).get(DATASETS_IN_USE):
            self._metadata("annotations", {DATASETS_IN_USE: value})

    # PreferNodesWithoutCache: pods without datasets keep away from cache nodes.
    def _prefer_nodes_without_cache(self) -> None:
        term = _preferred(100, {"key": DATASET_NUM, "operator": "DoesNotExist"})
        if term not in (_plain(_get(self.spec, ("affinity", "nodeAffinity", PREFERRED))) or []):
            self._prefer([term])

    # FuseSidecar: the FUSE container itself runs in the pod, over a hostPath of its mount.
    def _fuse_sidecar(self, datasets: list[DatasetFacts]) -> None:
        containers = self.spec.get("containers") or []
        index = sum(1 for c in containers if str(c.get("name") or "").startswith(FUSE_CONTAINER))
        keep_cache = self.labels.get(CACHE_DIR) == "true"
        new_labels: dict[str, str] = {}
        for dataset in datasets:
            suffix = f"-{index}"
            container = copy.deepcopy(dict(dataset.fuse_container))
            mounts: list[dict[str, Any]] = list(container.get("volumeMounts") or [])
            mounted = {m["name"] for m in mounts}
            volumes = [copy.deepcopy(dict(v)) for v in dataset.fuse_volumes if v["name"] in mounted]
            if not keep_cache:
                mounts = [m for m in mounts if not m["name"].startswith(CACHE_DIR_PREFIXES)]
                volumes = [v for v in volumes if not v["name"].startswith(CACHE_DIR_PREFIXES)]
            container["volumeMounts"] = mounts
            ports = [p for p in container.get("ports") or [] if not p["name"].endswith("-metrics")]
            container.pop("ports", None)
            if ports:
                container["ports"] = ports
            in_app, in_init = self._mount_dataset_host_path(dataset)
            renamed = self._add_volumes(volumes, suffix)
            for mount in mounts:
                mount["name"] = renamed.get(mount["name"], mount["name"])
            if in_app:
                name = FUSE_CONTAINER + suffix
                self._prepend("containers", {**container, "name": name})
                new_labels |= {SIDECAR_NAMESPACE + name: dataset.namespace}
                new_labels |= {SIDECAR_NAME + name: dataset.name}
            if in_init:
                name = INIT_FUSE_CONTAINER + suffix
                init = {**container, "name": name, "command": ["sleep"], "args": ["2s"]}
                init.pop("lifecycle", None)
                self._prepend("initContainers", init)
                new_labels |= {SIDECAR_NAMESPACE + name: dataset.namespace}
                new_labels |= {SIDECAR_NAME + name: dataset.name}
            index += 1
        new_labels |= {INJECTION_DONE: "true", MANAGED_BY: "fluid"}
        self._metadata("labels", dict(sorted(new_labels.items())))

    def _mount_dataset_host_path(self, dataset: DatasetFacts) -> tuple[bool, bool]:
        """Replace the dataset's claim volumes by a hostPath of the FUSE mount; say whether app
        containers and init containers mount them (upstream overrides their propagation)."""
        replaced = set()
        for volume in self.spec.get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim is not None and str(claim) == dataset.name:
                _rename_key(
                    volume,
                    "persistentVolumeClaim",
                    "hostPath",
                    _fresh({"path": dataset.host_mount_path}),
                )
                replaced.add(volume.get("name"))
        used = []
        for section in ("containers", "initContainers"):
            found = False
            for container in self.spec.get(section) or []:
                for mount in container.get("volumeMounts") or []:
                    if mount.get("name") in replaced:
                        if mount.get("mountPropagation") != HOST_TO_CONTAINER:
                            _put(mount, "mountPropagation", HOST_TO_CONTAINER)
                        found = True
            used.append(found)
        return used[0], used[1]

    def _add_volumes(self, volumes: list[dict[str, Any]], suffix: str) -> dict[str, str]:
        """Append the FUSE volumes as `<name><suffix>` (another name on a clash)."""
        taken = [str(v.get("name")) for v in self.spec.get("volumes") or []]
        renamed = {}
        for volume in volumes:
            name = volume["name"] + suffix
            if name in taken:
                name = _unique_name(name, taken)
            taken.append(name)
            renamed[volume["name"]] = name
            self._append("volumes", {**volume, "name": name})
        return renamed

    # --- helpers ---

    def _volumes_of(self, claims: set[str]) -> set[str]:
        return {
            str(v.get("name"))
            for _, v in self._volumes()
            if str((v.get("persistentVolumeClaim") or {}).get("claimName")) in claims
        }

    def _scheduling_keys(self) -> set[str]:
        """Every node label key the pod already schedules on (affinity and nodeSelector)."""
        keys = {str(k) for k in self.spec.get("nodeSelector") or {}}
        node_affinity = _plain(self.spec.get("affinity") or {}).get("nodeAffinity") or {}
        required = node_affinity.get(REQUIRED) or {}
        preferred = node_affinity.get(PREFERRED) or []
        for term in required.get("nodeSelectorTerms") or []:
            keys |= {str(e.get("key")) for e in term.get("matchExpressions") or []}
        for term in preferred:
            preference = term.get("preference") or {}
            keys |= {str(e.get("key")) for e in preference.get("matchExpressions") or []}
        return keys

    def _require(self, new_terms: list[dict[str, Any]]) -> None:
        """Upstream's required-term merge: new terms when the pod has none, else every existing
        term ANDed with each new one. A term that already implies a new term is kept as it is,
        which gives the same nodes and makes the merge idempotent."""
        if not new_terms:
            return
        required = _get(self.spec, ("affinity", "nodeAffinity", REQUIRED))
        terms = _get(required, ("nodeSelectorTerms",))
        if not terms or not any(_constrains(t) for t in terms):
            if isinstance(required, CommentedMap):
                _put(required, "nodeSelectorTerms", _fresh(new_terms))
            else:
                _put_path(
                    self.spec,
                    ("affinity", "nodeAffinity", REQUIRED),
                    {"nodeSelectorTerms": new_terms},
                )
            return
        for index in reversed(range(len(terms))):
            term = terms[index]
            if not _constrains(term):
                del terms[index]
                continue
            if any(_implies(term, new) for new in new_terms):
                continue
            copies = [_fresh(_plain(term)) for _ in new_terms[1:]]
            for target, new in zip([term, *copies], new_terms, strict=True):
                _and(target, new)
            for offset, extra in enumerate(copies, start=1):
                _insert_item(terms, index + offset, extra)

    def _prefer(self, new_terms: list[dict[str, Any]]) -> None:
        if not new_terms:
            return
        existing = _get(self.spec, ("affinity", "nodeAffinity", PREFERRED))
        if isinstance(existing, CommentedSeq) and existing:
            for term in new_terms:
                _insert_item(existing, len(existing), _fresh(term))
        else:
            _put_path(self.spec, ("affinity", "nodeAffinity", PREFERRED), new_terms)

    def _metadata(self, section: str, entries: Mapping[str, str]) -> None:
        """Set labels or annotations of the pod, creating what is missing."""
        metadata = self.node.get(self.METADATA)
        if not isinstance(metadata, CommentedMap):
            value = _fresh({section: dict(entries)})
            if self.METADATA in self.node or self.METADATA != "metadata":
                _put(self.node, self.METADATA, value)
            else:
                self.node.insert(0, self.METADATA, value)
            return
        existing = metadata.get(section)
        if not isinstance(existing, CommentedMap):
            _put(metadata, section, _fresh(dict(entries)))
            return
        for key, value in entries.items():
            if existing.get(key) != value:
                _put(existing, key, _fresh(value))

    def _prepend(self, section: str, item: Mapping[str, Any]) -> None:
        existing = self.spec.get(section)
        if isinstance(existing, CommentedSeq):
            existing.insert(0, _fresh(item))
        else:
            _put(self.spec, section, _fresh([item]))

    def _append(self, section: str, item: Mapping[str, Any]) -> None:
        existing = self.spec.get(section)
        if isinstance(existing, CommentedSeq):
            _insert_item(existing, len(existing), _fresh(item))
        else:
            _put(self.spec, section, _fresh([item]))


class _WorkflowPods(_Pod):
    """The pods of an Argo workflow spec: its `volumes`, `affinity`, `nodeSelector` and
    `podMetadata` apply to every template's pod, so the scheduling plugins write there."""

    METADATA = "podMetadata"

    def _spec(self) -> CommentedMap:
        return self.node

    def _spec_path(self, *parts: str | int) -> Path_:
        return (*self.path, *parts)

    def _volumes(self) -> list[tuple[Path_, Any]]:
        found = super()._volumes()
        for index, template in enumerate(self.spec.get("templates") or []):
            for i, volume in enumerate((template or {}).get("volumes") or []):
                found.append((("templates", index, "volumes", i), volume))
        return [(where, volume) for where, volume in found if volume is not None]

    def _containers(self) -> list[Any]:
        return [c for _, c in template_containers(self.spec, "containers")]

    def inject(self) -> None:
        if self.labels.get(ENABLE_INJECTION) == "false":
            return
        datasets = self._datasets()
        if not datasets:
            return
        namespace_labels = self.context.namespace_labels.get(self.namespace, {})
        if any(self.labels.get(key) == "true" for key in SERVERLESS) or (
            namespace_labels.get(ENABLE_INJECTION) == "true"
        ):
            _not_injected(
                self.doc,
                self.context,
                self._spec_path("podMetadata"),
                "the FUSE sidecar is not injected into Argo Workflows: their pods are made "
                "per template at run time; use serverful injection, or upstream's webhook",
            )
            return
        self._require_node_with_fuse(datasets)
        self._node_affinity_with_cache(datasets)
        self._mount_propagation(datasets)
        self._dataset_usage(datasets)
        for index, template in enumerate(self.spec.get("templates") or []):
            if (template or {}).get("affinity") is not None:
                _not_injected(
                    self.doc,
                    self.context,
                    self._spec_path("templates", index, "affinity"),
                    "this template's own affinity replaces the workflow's, which got the "
                    "datasets' node affinity: add it here too",
                )


def _expression(key: str, operator: str, values: list[str]) -> dict[str, Any]:
    return {"key": key, "operator": operator, "values": values}


def _copy_expression(expression: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in expression.items()}


def _preferred(weight: int, expression: Mapping[str, Any]) -> dict[str, Any]:
    return {"weight": weight, "preference": {"matchExpressions": [dict(expression)]}}


def _constrains(term: Any) -> bool:
    return bool(term.get("matchExpressions") or term.get("matchFields"))


def _implies(term: Any, new: Mapping[str, Any]) -> bool:
    """Whether `term` already holds every requirement of `new` (so it selects a subset)."""
    plain = _plain(term)
    return all(
        all(r in (plain.get(part) or []) for r in new.get(part) or [])
        for part in ("matchExpressions", "matchFields")
    )


def _and(term: CommentedMap, new: Mapping[str, Any]) -> None:
    for part in ("matchExpressions", "matchFields"):
        for requirement in new.get(part) or []:
            existing = term.get(part)
            if not isinstance(existing, CommentedSeq):
                _put(term, part, _fresh([requirement]))
            elif requirement not in _plain(existing):
                _insert_item(existing, len(existing), _fresh(requirement))


def _unique_name(name: str, taken: list[str]) -> str:
    """Upstream replaces the start of a clashing name by `fluid-` plus random letters; this
    counts instead, so the output stays the same on every run."""
    candidate, attempt = _replace_prefix(name, "fluid"), 0
    while candidate in taken:
        candidate, attempt = _replace_prefix(name, f"fluid-{attempt:03}"), attempt + 1
    return candidate


def _replace_prefix(name: str, prefix: str) -> str:
    return prefix if len(name) + 1 <= len(prefix) else f"{prefix}-{name[len(prefix) + 1 :]}"


# --- round-trip editing that keeps comments where they were ------------------------------------


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, ScalarString):
        return str(node)
    return node


_PLAIN_STRING = re.compile(r"[A-Za-z_/][-A-Za-z0-9_./]*")
_YAML11_WORDS = {"y", "yes", "n", "no", "true", "false", "on", "off", "null"}


def _fresh(value: Any) -> Any:
    """Plain data as round-trip nodes; strings a YAML reader could take for something else are
    double-quoted, like the rest of this tool's output."""
    if isinstance(value, Mapping):
        result = CommentedMap()
        for key, item in value.items():
            result[key] = _fresh(item)
        return result
    if isinstance(value, list | tuple):
        return CommentedSeq([_fresh(item) for item in value])
    if isinstance(value, str) and not isinstance(value, ScalarString):
        if _PLAIN_STRING.fullmatch(value) and value.lower() not in _YAML11_WORDS:
            return value
        return DoubleQuotedScalarString(value)
    return value


def _is_block(node: Any) -> bool:
    return (
        isinstance(node, CommentedMap | CommentedSeq) and len(node) > 0 and not node.fa.flow_style()
    )


def _last_slot(node: Any) -> tuple[Any, Any, int]:
    """The collection, key and comment slot of the last scalar printed for `node`."""
    while True:
        key = next(reversed(node)) if isinstance(node, CommentedMap) else len(node) - 1
        if not _is_block(node[key]):
            return node, key, 2 if isinstance(node, CommentedMap) else 0
        node = node[key]


def _detach_trailing(node: Any) -> list[str]:
    """Take the comment lines printed after `node`'s content: they belong to what follows it,
    so they must move below anything appended to it. Its last end-of-line comment stays."""
    if not _is_block(node):
        return []
    chain = [node]
    while _is_block(_last_child(chain[-1])):
        chain.append(_last_child(chain[-1]))
    holder, key, slot = _last_slot(node)
    texts = []
    entry = holder.ca.items.get(key)
    if entry and entry[slot] is not None:
        head, newline, rest = entry[slot].value.partition("\n")
        if rest:
            texts.append(rest)
            if head.strip():
                entry[slot].value = head + newline
            else:
                entry[slot] = None
    for collection in reversed(chain):
        for token in collection.ca.end or []:
            value = str(token.value)
            column = token.start_mark.column if token.start_mark else 0
            texts.append(" " * column + value if value.startswith("#") else value)
        collection.ca.end = []
    return texts


def _last_child(node: Any) -> Any:
    return node[next(reversed(node))] if isinstance(node, CommentedMap) else node[-1]


def _attach_trailing(node: Any, texts: list[str]) -> None:
    if not texts or not _is_block(node):
        return
    holder, key, slot = _last_slot(node)
    size = 4 if isinstance(holder, CommentedMap) else 2
    entry = holder.ca.items.setdefault(key, [None] * size)
    text = "".join(texts)
    if entry[slot] is None:
        entry[slot] = CommentToken("\n" + text, CommentMark(0), None)
    else:
        entry[slot].value = str(entry[slot].value) + text


def _get(node: Any, keys: Path_) -> Any:
    for key in keys:
        if not isinstance(node, CommentedMap):
            return None
        node = node.get(key)
    return node


def _put_path(node: CommentedMap, keys: Path_, value: Any) -> None:
    """Set `value` under nested keys, creating the missing levels whole, then placing them."""
    for depth, key in enumerate(keys):
        child = node.get(key)
        if not isinstance(child, CommentedMap) or depth == len(keys) - 1:
            for inner in reversed(keys[depth + 1 :]):
                value = {inner: value}
            _put(node, str(key), _fresh(value))
            return
        node = child


def _put(mapping: CommentedMap, key: str, value: Any) -> None:
    """Set a key in place, or append it after the last one (its trailing comments follow)."""
    if key in mapping:
        mapping[key] = value
        return
    texts = _detach_trailing(mapping)
    mapping[key] = value
    _attach_trailing(mapping, texts)


def _insert_item(sequence: CommentedSeq, index: int, value: Any) -> None:
    if index < len(sequence):
        sequence.insert(index, value)
        return
    texts = _detach_trailing(sequence)
    sequence.append(value)
    _attach_trailing(sequence, texts)


def _rename_key(mapping: CommentedMap, old: str, new: str, value: Any) -> None:
    """Replace `old: ...` by `new: value` at the same place."""
    last = next(reversed(mapping)) == old
    texts = _detach_trailing(mapping) if last else []
    position = list(mapping).index(old)
    del mapping[old]
    mapping.insert(position, new, value)
    _attach_trailing(mapping, texts)
