"""Round-trip editing that keeps comments where they were."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString
from ruamel.yaml.tokens import CommentToken

from fluid_render.inject.keys import Path_
from fluid_render.render.quote import is_plain


def plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, ScalarString):
        return str(node)
    return node


def fresh(value: Any) -> Any:
    """Plain data as round-trip nodes; strings a YAML reader could take for something else are
    double-quoted, like the rest of this tool's output."""
    if isinstance(value, Mapping):
        result = CommentedMap()
        for key, item in value.items():
            result[key] = fresh(item)
        return result
    if isinstance(value, list | tuple):
        return CommentedSeq([fresh(item) for item in value])
    if isinstance(value, str) and not isinstance(value, ScalarString):
        if is_plain(value):
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


def get(node: Any, keys: Path_) -> Any:
    for key in keys:
        if not isinstance(node, CommentedMap):
            return None
        node = node.get(key)
    return node


def put_path(node: CommentedMap, keys: Path_, value: Any) -> None:
    """Set `value` under nested keys, creating the missing levels whole, then placing them."""
    for depth, key in enumerate(keys):
        child = node.get(key)
        if not isinstance(child, CommentedMap) or depth == len(keys) - 1:
            for inner in reversed(keys[depth + 1 :]):
                value = {inner: value}
            put(node, str(key), fresh(value))
            return
        node = child


def put(mapping: CommentedMap, key: str, value: Any) -> None:
    """Set a key in place, or append it after the last one (its trailing comments follow)."""
    if key in mapping:
        mapping[key] = value
        return
    texts = _detach_trailing(mapping)
    mapping[key] = value
    _attach_trailing(mapping, texts)


def insert_item(sequence: CommentedSeq, index: int, value: Any) -> None:
    if index < len(sequence):
        sequence.insert(index, value)
        return
    texts = _detach_trailing(sequence)
    sequence.append(value)
    _attach_trailing(sequence, texts)


def rename_key(mapping: CommentedMap, old: str, new: str, value: Any) -> None:
    """Replace `old: ...` by `new: value` at the same place."""
    last = next(reversed(mapping)) == old
    texts = _detach_trailing(mapping) if last else []
    position = list(mapping).index(old)
    del mapping[old]
    mapping.insert(position, new, value)
    _attach_trailing(mapping, texts)
