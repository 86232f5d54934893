"""The limits checked on a composed YAML node graph, before anything is constructed or walked.

Aliases are counted as if written out, in time and memory linear in the text. One home for
both readers: `load` checks each document libyaml composes, and `inject` checks a file here
before ruamel's round-trip loader sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain

import yaml

from fluid_render.errors import BuildError, Position, Problem
from fluid_render.limits import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_NODES,
    MAX_NUMBER_LENGTH,
    MAX_SCALAR_LENGTH,
    MAX_TOTAL_BYTES,
    Budget,
)

NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


@dataclass
class _Walk:
    """The state of one document's walk: finished subtrees' expanded sizes, and aliases seen."""

    source: str
    budget: Budget
    sizes: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    open: set[int] = field(default_factory=set)
    aliases: int = 0


def check_document(root: yaml.Node, source: str, budget: Budget) -> None:
    """Raise a positioned BuildError when the document, aliases expanded, breaks a limit.

    Walks the node graph depth first in document order without recursion: a node seen again
    is an alias (libyaml's composer shares the anchor's node), charged with its anchor's
    expanded size, nodes and depth, computed once when the anchor's subtree was finished.
    """
    walk = _Walk(source, budget)
    stack: list[tuple[yaml.Node, yaml.Node, int, bool]] = [(root, root, 1, False)]
    while stack:
        node, where, depth, finished = stack.pop()
        if finished:
            _finish(walk, node)
        elif id(node) in walk.sizes or id(node) in walk.open:
            _alias(walk, node, where, depth)
        elif isinstance(node, yaml.ScalarNode):
            _visit(walk, node, where, depth)
        else:
            _visit(walk, node, where, depth)
            walk.open.add(id(node))
            stack.append((node, where, depth, True))
            stack.extend((child, at, depth + 1, False) for child, at in reversed(_located(node)))


def scalar_too_long(node: yaml.ScalarNode) -> bool:
    """Whether a scalar breaks the length limit of a value, or of a plain number."""
    length = len(node.value)
    return length > MAX_SCALAR_LENGTH or (
        length > MAX_NUMBER_LENGTH and node.tag in NUMBER_TAGS and not node.style
    )


def _located(node: yaml.Node) -> list[tuple[yaml.Node, yaml.Node]]:
    """Each child with the node that best locates it (the key for a mapping's value)."""
    if isinstance(node, yaml.MappingNode):
        return [pair for key, value in node.value for pair in ((key, key), (value, key))]
    return [(item, node) for item in node.value]


def _visit(walk: _Walk, node: yaml.Node, where: yaml.Node, depth: int) -> None:
    """Charge one node written out in the text."""
    if isinstance(node, yaml.CollectionNode) and depth > MAX_DEPTH:
        _fail(walk, node, f"nested deeper than {MAX_DEPTH} levels (limit MAX_DEPTH)")
    if isinstance(node, yaml.ScalarNode):
        length = len(node.value)
        if length > MAX_SCALAR_LENGTH:
            _fail(walk, node, f"a value of {length} characters; at most {MAX_SCALAR_LENGTH}")
        if node.tag in NUMBER_TAGS and not node.style and length > MAX_NUMBER_LENGTH:
            _fail(
                walk,
                node,
                f"a number of {length} characters; at most {MAX_NUMBER_LENGTH} "
                "(quote it if it is text)",
            )
        walk.sizes[id(node)] = (1, length, 0)
        _charge(walk, where, 1, length)
    else:
        _charge(walk, where, 1, 0)


def _alias(walk: _Walk, node: yaml.Node, where: yaml.Node, depth: int) -> None:
    """Charge an alias as the copy of its anchor that every later stage will see."""
    if id(node) in walk.open:
        _fail(walk, where, "an alias refers to its own anchor (a recursive structure)")
    walk.aliases += 1
    if walk.aliases > MAX_ALIASES:
        _fail(walk, where, f"more than {MAX_ALIASES} aliases in one document (limit MAX_ALIASES)")
    nodes, chars, height = walk.sizes[id(node)]
    if depth - 1 + height > MAX_DEPTH:
        _fail(walk, where, f"an alias nests deeper than {MAX_DEPTH} levels (limit MAX_DEPTH)")
    _charge(walk, where, nodes, chars)


def _finish(walk: _Walk, node: yaml.Node) -> None:
    """Record a finished collection's expanded size: nodes, scalar characters, nesting."""
    walk.open.discard(id(node))
    children = node.value if isinstance(node, yaml.SequenceNode) else chain(*node.value)
    nodes, chars, height = 1, 0, 0
    for child in children:
        child_nodes, child_chars, child_height = walk.sizes[id(child)]
        nodes += child_nodes
        chars += child_chars
        height = max(height, child_height)
    walk.sizes[id(node)] = (nodes, chars, height + 1)


def _charge(walk: _Walk, where: yaml.Node, nodes: int, chars: int) -> None:
    walk.budget.nodes -= nodes
    walk.budget.chars -= chars
    if walk.budget.nodes < 0:
        _fail(walk, where, f"the inputs hold more than {MAX_NODES} nodes, aliases expanded")
    if walk.budget.chars < 0:
        _fail(
            walk, where, f"the inputs hold more than {MAX_TOTAL_BYTES} characters, aliases expanded"
        )


def _fail(walk: _Walk, node: yaml.Node, message: str) -> None:
    mark = node.start_mark
    raise BuildError(
        [Problem(Position(walk.source, mark.line + 1, mark.column + 1), "", f"limit: {message}")]
    )


def check_text(text: str, source: str, budget: Budget) -> list[Problem]:
    """The limit problems of every document of a file, for readers that do not use libyaml's
    nodes themselves (ruamel's round-trip loader); syntax errors are the reader's to report."""
    loader = yaml.CSafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                check_document(node, source, budget)
    except BuildError as error:
        return error.problems
    except yaml.YAMLError:
        return []
    finally:
        loader.dispose()
    return []
