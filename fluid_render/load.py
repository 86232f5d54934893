"""Read spec files into plain documents that remember where every value came from.

libyaml (PyYAML's C parser) is used rather than ruamel's round-trip loader: it keeps the same
line/column marks and reads 1000 datasets in 0.22 s instead of 3.1 s.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import yaml

from fluid_render.errors import BuildError, Position, Problem
from fluid_render.limits import MAX_DEPTH, Budget
from fluid_render.nodelimits import check_document, scalar_too_long
from fluid_render.sources import read_each

if not getattr(yaml, "__with_libyaml__", False):  # pragma: no cover - depends on the wheel
    raise ImportError("fluid-render needs PyYAML built with libyaml (pip install --force PyYAML)")

YamlPath = tuple[str | int, ...]
Mark = tuple[int, int]
"""Where a key or item starts in its document's file: 1-based line and column. A plain tuple,
not a Position: 1000 datasets record 70 000 of them and read a few, and as frozen dataclasses
they took a quarter of the parsing time."""
CONSTRUCTOR_FAILURES = (ValueError, TypeError, LookupError, AttributeError, ArithmeticError)
"""What PyYAML's and ruamel's constructors raise, instead of a YAML error, on a value they
cannot read: `!!int abc`, a date 2001-13-45, `!!timestamp x`, `!!bool maybe`."""


def cannot_construct(tag: object) -> str:
    """The message for such a value; it never quotes the value, which may be a credential."""
    return f"cannot read this value as {str(tag).removeprefix('tag:yaml.org,2002:')}"


_PLAIN_TAGS: dict[str, str] = {}
"""The implicit tag of each short plain scalar resolved so far (see `_Loader.resolve`)."""
_REMEMBERED_LENGTH = 64
_REMEMBERED_COUNT = 50_000
"""Bounds on what `_PLAIN_TAGS` holds, for a long-running `sync` that reads specs for days."""
_resolve: Callable[..., str] = yaml.CSafeLoader.resolve


class _Loader(yaml.CSafeLoader):
    """libyaml's safe loader, with every value it cannot construct a positioned YAML error
    that does not quote it."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """PyYAML's tag of a node; a short plain scalar's is remembered by its text, on which
        alone it depends here (no path resolvers): the same keys and values recur in every
        document, and each costs PyYAML a walk over its regular expressions."""
        if (
            kind is not yaml.ScalarNode
            or not implicit[0]
            or len(value) > _REMEMBERED_LENGTH
            or self.yaml_path_resolvers
        ):
            return _resolve(self, kind, value, implicit)
        tag = _PLAIN_TAGS.get(value)
        if tag is None:
            tag = _resolve(self, kind, value, implicit)
            if len(_PLAIN_TAGS) < _REMEMBERED_COUNT:
                _PLAIN_TAGS[value] = tag
        return tag

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (*CONSTRUCTOR_FAILURES, yaml.constructor.ConstructorError) as error:
            if isinstance(error, yaml.MarkedYAMLError) and not isinstance(node, yaml.ScalarNode):
                raise
            message = cannot_construct(node.tag)
            raise yaml.constructor.ConstructorError(None, None, message, node.start_mark) from None


_STR, _MAP, _SEQ = (f"tag:yaml.org,2002:{name}" for name in ("str", "map", "seq"))
_SCALARS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "binary")
)
"""The tags whose PyYAML constructors build a scalar in one call (not a generator)."""


class _UnusualError(Exception):
    """A document `_plain` leaves to the limit walk, `_index` and PyYAML's constructor."""


def _plain(
    loader: _Loader, root: yaml.Node, budget: Budget
) -> tuple[dict[YamlPath, Mark], Any] | None:
    """A document's positions and data in one walk, charged to the budget, when it is plain:
    no alias, no duplicate key, only mappings, sequences and scalars whose PyYAML constructors
    build them in one call (PyYAML's own constructor costs a generator and a wrapped call per
    node), and within every limit (nearly all documents). None, having charged nothing, for
    any other document: `check_document`, `_index` and `construct_document` then report it.
    The positions and data are those the three would give, in the same order."""
    seen: set[int] = set()
    positions: dict[YamlPath, Mark] = {(): _mark(root)}
    scalars = {tag: loader.yaml_constructors[tag] for tag in _SCALARS}
    nodes = chars = 0

    def build(node: yaml.Node, path: YamlPath, depth: int) -> Any:
        nonlocal nodes, chars
        if id(node) in seen:
            raise _UnusualError
        seen.add(id(node))
        nodes += 1
        if type(node) is yaml.ScalarNode:
            if scalar_too_long(node):
                raise _UnusualError
            chars += len(node.value)
            if node.tag == _STR:
                return node.value
            make = scalars.get(node.tag)
            if make is None:
                raise _UnusualError
            try:
                return make(loader, node)
            except Exception:
                raise _UnusualError from None
        if depth > MAX_DEPTH:
            raise _UnusualError
        if type(node) is yaml.MappingNode and node.tag == _MAP:
            mapping = {}
            for key, value in node.value:
                if type(key) is not yaml.ScalarNode or key.tag not in scalars:
                    raise _UnusualError
                child = (*path, key.value)
                if child in positions:
                    raise _UnusualError  # a duplicate key: `_index` reports it
                positions[child] = _mark(key)
                mapping[build(key, child, depth + 1)] = build(value, child, depth + 1)
            return mapping
        if type(node) is yaml.SequenceNode and node.tag == _SEQ:
            items = []
            for index, item in enumerate(node.value):
                child = (*path, index)
                positions[child] = _mark(item)
                items.append(build(item, child, depth + 1))
            return items
        raise _UnusualError

    try:
        data = build(root, (), 1)
    except _UnusualError:
        return None
    if nodes > budget.nodes or chars > budget.chars:
        return None
    budget.nodes -= nodes
    budget.chars -= chars
    return positions, data


@dataclass(frozen=True)
class Document:
    """One YAML document of an input file with the position of each of its keys and items."""

    data: dict[str, Any]
    source: str
    positions: Mapping[YamlPath, Mark]
    text: str

    def position_of(self, path: Sequence[str | int]) -> Position:
        """The closest known position: the value itself, else its nearest parent."""
        key = tuple(path)
        while key not in self.positions:
            key = key[:-1]
        line, column = self.positions[key]
        return Position(self.source, line, column)

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.data.get("apiVersion", ""))


def load_inputs(
    inputs: Sequence[str],
    stdin: TextIO | None = None,
    sources: Sequence[tuple[str, str]] | None = None,
) -> list[Document]:
    """Load every file named (folders recursively, `-` for stdin), reporting all problems.
    `sources` are those files as `read_sources` read them already (their sizes checked
    then): they are parsed instead of reading the files again."""
    documents: list[Document] = []
    problems: list[Problem] = []
    budget = Budget()
    read: Iterable[tuple[str, str]] = (
        read_each(inputs, stdin or sys.stdin, problems, budget) if sources is None else sources
    )
    for label, text in read:
        try:
            documents.extend(parse_documents(text, label, budget))
        except BuildError as error:
            problems.extend(error.problems)
    if problems:
        raise BuildError(problems)
    return documents


def parse_documents(text: str, source: str, budget: Budget | None = None) -> list[Document]:
    """Parse a multi-document YAML stream; empty documents are skipped.

    Each document's node graph is checked against the limits before it is indexed or
    constructed, the only steps that expand aliases.
    """
    budget = budget or Budget()
    loader = _Loader(text)
    documents: list[Document] = []
    problems: list[Problem] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            plain = _plain(loader, node, budget)
            if plain is not None:
                positions, data = plain
            else:
                check_document(node, source, budget)
                positions = {}
                _index(node, (), source, positions, problems)
                data = loader.construct_document(node)
            if data is None:
                continue
            if not isinstance(data, dict):
                problems.append(
                    Problem(_position(node, source), "", "a document must be a mapping (an object)")
                )
                continue
            raw = text[node.start_mark.index : node.end_mark.index].rstrip() + "\n"
            documents.append(Document(data, source, positions, raw))
    except yaml.YAMLError as error:
        problems.append(yaml_problem(error, source, text))
    except BuildError as error:
        problems.extend(error.problems)
    finally:
        loader.dispose()
    if problems:
        raise BuildError(problems)
    return documents


def marked_error(error: Any) -> tuple[Any, str]:
    """Where a marked YAML error (PyYAML's or ruamel.yaml's, alike) happened, as its mark
    (0-based line and column, or None), and what to tell the user."""
    return (
        error.problem_mark or error.context_mark,
        f"invalid YAML: {error.problem or error.context}",
    )


def yaml_problem(error: yaml.YAMLError, source: str, text: str) -> Problem:
    """libyaml's error where it happened; a reader error (a control character) has an offset."""
    if isinstance(error, yaml.MarkedYAMLError):
        mark, message = marked_error(error)
        where = Position(source, mark.line + 1, mark.column + 1) if mark else Position(source, 1, 1)
        return Problem(where, "", message)
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        code = f" (#x{error.character:04x})" if isinstance(error.character, int) else ""
        message = f"invalid YAML: a control character{code} is not allowed"
        return Problem(Position(source, line, column), "", message)
    return Problem(Position(source, 1, 1), "", f"invalid YAML: {type(error).__name__}")


def _position(node: yaml.Node, source: str) -> Position:
    return Position(source, *_mark(node))


def _mark(node: yaml.Node) -> Mark:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _index(
    node: yaml.Node,
    path: YamlPath,
    source: str,
    positions: dict[YamlPath, Mark],
    problems: list[Problem],
) -> None:
    """Record where each key and item starts, and reject duplicate keys (libyaml keeps the last)."""
    if not path:
        positions[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            child = (*path, key)
            if child in positions:
                problems.append(
                    Problem(
                        _position(key_node, source),
                        ".".join(str(p) for p in child),
                        f"duplicate key (first defined at line {positions[child][0]})",
                    )
                )
                continue
            positions[child] = _mark(key_node)
            _index(value_node, child, source, positions, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            positions[child] = _mark(item)
            _index(item, child, source, positions, problems)
