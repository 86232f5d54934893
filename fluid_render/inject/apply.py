"""The entry points of `inject`: every document of every file, and the workload kinds
whose pods it finds."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from fluid_render.errors import BuildError, Problem
from fluid_render.inject.context import Context, fail, not_injected
from fluid_render.inject.documents import Doc, Region, dump, parse, split
from fluid_render.inject.edit import get, plain, put_path
from fluid_render.inject.facts import Facts, is_namespace, string_map
from fluid_render.inject.keys import Path_
from fluid_render.inject.plugins import Pod, WorkflowPods
from fluid_render.inject.shapes import POD_SCHEMA, WORKFLOW_SCHEMA, conform
from fluid_render.inject.workloads import (
    KNATIVE,
    POD_TEMPLATES,
    TEMPLATE_OPTIONAL,
    WORKFLOW_SPECS,
    claims_in,
    kind_key,
)
from fluid_render.limits import Budget
from fluid_render.load import Document
from fluid_render.nodelimits import check_text
from fluid_render.objects import CLAIM_WAVE
from fluid_render.render import FLUX_SUBSTITUTE, SYNC_WAVE


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


def inject_documents(
    documents_text_by_source: Mapping[str, str], facts: Facts
) -> list[InjectedFile]:
    """Inject every document of every file; all problems of all files are raised together."""
    problems: list[Problem] = []
    files: list[tuple[str, str, list[Region], list[Doc | None]]] = []
    budget = Budget()
    for source, text in documents_text_by_source.items():
        if exceeded := check_text(text, source, budget):
            problems += exceeded
            continue
        regions = split(text, source, problems)
        docs = [parse(text[r.start : r.end], source, r.line, r.column, problems) for r in regions]
        files.append((source, text, regions, docs))
    every = [d for *_, docs in files for d in docs if d is not None]
    context = Context(facts, _namespace_labels(facts, (d.root for d in every)), problems)
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
    docs: list[Doc | None] = []
    for document in documents:
        where = document.position_of(())
        docs.append(
            parse(document.text, document.source, where.line - 1, where.column - 1, problems)
        )
    roots = (d.root for d in docs if d is not None)
    context = Context(facts, _namespace_labels(facts, roots), problems)
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
            doc = parse(document.text, document.source, where.line - 1, where.column - 1, problems)
        if doc is None or not isinstance(doc.root, CommentedMap):
            result.append(document)
            continue
        put_path(doc.root, ("metadata", "annotations", SYNC_WAVE), wave)
        text = dump(doc).rstrip() + "\n"
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
        if is_namespace(root):
            labels[str(root["metadata"]["name"])] = string_map(root["metadata"].get("labels"))
    return labels


def _inject_doc(doc: Doc, context: Context) -> str | None:
    """The document's new text, or None when nothing changed (the caller keeps the bytes)."""
    if not isinstance(doc.root, CommentedMap):
        return None
    before = plain(doc.root)
    count = len(context.problems)
    _inject_object(doc, doc.root, (), context)
    if len(context.problems) > count or plain(doc.root) == before:
        return None
    text = dump(doc)
    annotations = get(doc.root, ("metadata", "annotations"))
    opted_out = isinstance(annotations, CommentedMap) and FLUX_SUBSTITUTE in annotations
    if "${" in text and not opted_out:
        # The FUSE sidecar's `${ALLUXIO_CLIENT_HOSTNAME}` would be blanked by Flux, as in build.
        put_path(doc.root, ("metadata", "annotations", FLUX_SUBSTITUTE), "disabled")
        text = dump(doc)
    return text


def _inject_object(doc: Doc, obj: CommentedMap, path: Path_, context: Context) -> None:
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
            fail(doc, context, (*path, "apiVersion"), f"missing: a {kind} needs an apiVersion")
        return
    key = kind_key(api_version, kind)
    metadata = obj.get("metadata")
    namespace = context.facts.namespace
    if isinstance(metadata, CommentedMap) and isinstance(metadata.get("namespace"), str):
        namespace = metadata["namespace"] or namespace
    if key not in POD_TEMPLATES and key not in WORKFLOW_SPECS:
        _warn_unknown_users(doc, obj, path, namespace, context)
        return
    if not conform(doc, context, metadata, {"namespace": str}, (*path, "metadata")):
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
            fail(doc, context, (*where, step), f"{problem}: a {kind} needs a pod spec here")
            return
        if workflow or index < len(template):
            node, where = child, (*where, step)
    if workflow:
        if conform(doc, context, node, WORKFLOW_SCHEMA, where):
            WorkflowPods(doc, context, node, where, namespace).inject()
    elif conform(doc, context, node, POD_SCHEMA, where):
        Pod(doc, context, node, where, namespace, knative=key in KNATIVE).inject()


_KNOWN_KINDS = {kind for _, kind in (*POD_TEMPLATES, *WORKFLOW_SPECS)}


def _warn_unknown_users(
    doc: Doc, obj: CommentedMap, path: Path_, namespace: str, context: Context
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
        not_injected(doc, context, (*path, *where), message)
