"""YAML scalars that no input can break out of: the only way a value reaches the output.

Strings are written plain only when they match a conservative pattern that no YAML 1.1 or 1.2
parser reads as anything but that same string; everything else is double-quoted with escapes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from markupsafe import Markup

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./-]*")
_AMBIGUOUS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
# Everything YAML forbids raw in a double-quoted scalar, plus `"`, `\` and line breaks.
_ESCAPE = re.compile('[\x00-\x1f\x7f-\x9f"\\\\\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]')
_NAMED = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
# A literal block may hold these safely: printable text whose lines do not end in blanks.
_BLOCK_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]|[ \t]\n"
)


class YamlText(Markup):
    """Text that is already valid YAML for its place; templates may print only this.

    It is a Markup so that Jinja2's autoescaping leaves it alone and macros can return it.
    """


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def scalar(value: Any) -> str:
    """One YAML scalar for a string, number, bool or None."""
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as a YAML scalar")


def is_plain(value: str) -> bool:
    """Whether a string may stand unquoted: no YAML reader (1.1 or 1.2) takes it for a number,
    a boolean, null or structure. The one rule for every writer of this tool."""
    return _PLAIN.fullmatch(value) is not None and value.lower() not in _AMBIGUOUS


@lru_cache(maxsize=65536)
def _string(value: str) -> str:
    """Cached: label keys, images and paths repeat across every object of a build."""
    if is_plain(value):
        return value
    return '"' + _ESCAPE.sub(_escape, value) + '"'


def quote(value: Any) -> YamlText:
    """The template filter `q`."""
    return _new(YamlText, _string(value) if type(value) is str else scalar(value))


@lru_cache(maxsize=256)
def block(value: str, indent: int) -> YamlText:
    """A script or table as a literal block (readable in diffs) when that is exact, else quoted.

    Cached: the master's scripts are the same for every dataset of a build.
    """
    if (
        value.endswith("\n")
        and not value.endswith("\n\n")
        and not value.startswith((" ", "\n"))
        and not _BLOCK_UNSAFE.search(value)
    ):
        pad = " " * indent
        body = value[:-1]
        if "\n\n" in body:  # blank lines stay empty, without the indentation
            text = "\n".join(pad + line if line else "" for line in body.split("\n"))
        else:
            text = pad + body.replace("\n", "\n" + pad)
        return _new(YamlText, "|\n" + text)
    return quote(value)


def to_yaml(value: Any, indent: int) -> YamlText:
    """A mapping or list as block YAML whose first line continues the current one.

    Used as `key:{{ value | yaml }}` (no space after the colon); `render.indent` passes the
    indentation of the key's children. Keys keep their order; the plan sorts where order has
    no meaning.
    Plain dicts, lists and tuples only: exact type checks keep this hot path fast.
    """
    kind = type(value)
    if kind in _CONTAINERS:
        if value:
            lines: list[str] = []
            _lines(value, indent, lines)
            return _new(YamlText, "\n" + "\n".join(lines))
        return _new(YamlText, " {}" if kind is dict else " []")
    return _new(YamlText, " " + (_string(value) if kind is str else scalar(value)))


_CONTAINERS = (dict, list, tuple)
_new = str.__new__
"""`str.__new__(YamlText, text)`: a YamlText without Markup's conversions (text is a str)."""


def _lines(value: Any, indent: int, lines: list[str]) -> None:
    """The block lines of a non-empty container at `indent`, appended to `lines`. This runs for
    every nested value of every object: a loop for mappings and one for sequences, each with
    no test the other needs (one shared loop cost 3% more of a large build)."""
    pad = " " * indent
    child = indent + 2
    append = lines.append
    if type(value) is dict:
        for key, item in value.items():
            head = pad + (_string(key) if type(key) is str else scalar(str(key))) + ":"
            kind = type(item)
            if kind is str:
                append(head + " " + _string(item))
            elif kind not in _CONTAINERS:
                append(head + " " + scalar(item))
            elif not item:
                append(head + (" {}" if kind is dict else " []"))
            else:
                append(head)
                _lines(item, child, lines)
        return
    dash = pad + "- "
    for item in value:
        kind = type(item)
        if kind is str:
            append(dash + _string(item))
        elif kind not in _CONTAINERS:
            append(dash + scalar(item))
        elif not item:
            append(dash + ("{}" if kind is dict else "[]"))
        elif kind is dict:  # `- key: value`, the mapping's first line after the dash
            start = len(lines)
            _lines(item, child, lines)
            lines[start] = dash + lines[start][child:]
        else:
            append(pad + "-")
            _lines(item, child, lines)
