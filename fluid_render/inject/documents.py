"""Documents of an application file: split with their positions, parsed into ruamel.yaml's
round-trip tree, and dumped back with the file's own indentation."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode

from fluid_render.errors import Position, Problem
from fluid_render.inject.keys import Path_
from fluid_render.load import CONSTRUCTOR_FAILURES, cannot_construct, marked_error, yaml_problem


@dataclass(frozen=True)
class Region:
    """Where one document's text lies in its file (after its `---` line, up to the next)."""

    start: int
    end: int
    line: int
    column: int
    preamble: str


def split(text: str, source: str, problems: list[Problem]) -> list[Region]:
    """Document boundaries from libyaml's events, so each document keeps its exact bytes."""
    regions: list[Region] = []
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
                regions.append(Region(start, max(end, start), line, column, preamble))
                boundary = event.end_mark.index
    except yaml.YAMLError as error:
        problems.append(yaml_problem(error, source, text))
        return []
    return regions


@dataclass
class Doc:
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


def parse(text: str, source: str, line: int, column: int, problems: list[Problem]) -> Doc | None:
    try:
        root = _loader().load(text)
    except MarkedYAMLError as error:
        mark, message = marked_error(error)
        doc = Doc(source, text, line, column, None)
        where = doc.position(mark.line, mark.column) if mark else doc.position(0, 0)
        problems.append(Problem(where, "", message))
        return None
    except YAMLError as error:
        problems.append(Problem(Position(source, line + 1, 1), "", f"invalid YAML: {error}"))
        return None
    return Doc(source, text, line, column, root)


def dump(doc: Doc) -> str:
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
