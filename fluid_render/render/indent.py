"""Indentation of dumped structures, taken from where the template prints them.

Templates write `key:{{ value | yaml }}` and `key: {{ text | block }}`; before compiling, this
extension gives each filter the indentation of the key's children (the key's column plus two),
or the line's own column for a value that starts its line (a whole document). No call site
passes a number by hand, so moving a line in a template cannot misalign what it prints.
"""

from __future__ import annotations

import re

from jinja2.ext import Extension

_FILTER = re.compile(r"\|\s*(yaml|block)(?=\s*(?:\}\}|\|))")


def _with_indent(line: str) -> str:
    column = len(line) - len(line.lstrip(" "))

    def fill(match: re.Match[str]) -> str:
        starts_line = not line[: line.rfind("{{", 0, match.start())].strip()
        return f"| {match.group(1)}({column if starts_line else column + 2})"

    return _FILTER.sub(fill, line)


class Indent(Extension):
    """Fills in the indentation argument of the `yaml` and `block` filters."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return "\n".join(
            _with_indent(line) if "{{" in line else line for line in source.split("\n")
        )
