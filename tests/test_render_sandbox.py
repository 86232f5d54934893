"""The template sandbox (`fluid_render/render/__init__.py`): what templates may print and read."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from jinja2 import TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import unsafe

from fluid_render.render import environment
from fluid_render.runtimes.alluxio.chart import CHART


@dataclass(frozen=True)
class _Values:
    name: str
    replicas: int


def _render(source: str, value: _Values) -> str:
    return environment(CHART).from_string(source).render(v=value)


def test_quoted_text_is_printed_as_yaml_not_html() -> None:
    assert _render("{{ v.name | q }}", _Values('<a & "b">', 1)) == '"<a & \\"b\\">"'


def test_numbers_print_and_raw_strings_are_refused() -> None:
    assert _render("{{ v.replicas }}", _Values("x", 3)) == "3"
    with pytest.raises(TemplateError, match="unquoted value"):
        _render("{{ v.name }}", _Values("x", 1))


def test_unsafe_attributes_stay_refused_after_safe_ones_of_the_same_type() -> None:
    value = _Values("x", 1)
    assert _render("{{ v.name | q }}{{ v.name | q }}", value) == "xx"
    with pytest.raises(SecurityError):
        _render("{% if v.__class__ %}{% endif %}", value)
    with pytest.raises(SecurityError):
        _render("{% if v.__class__ %}{% endif %}", value)


def test_str_format_stays_sandboxed_after_plain_reads() -> None:
    value = _Values("{0.__class__}", 1)
    assert _render("{{ v.name | q }}", value) == '"{0.__class__}"'
    with pytest.raises(SecurityError):
        _render("{{ v.name.format(v) | q }}", value)


def test_macros_are_called_in_loops_and_blocks_too() -> None:
    """The generated code passes a macro called in a loop or a block two arguments of the
    context's own; the sandbox's shortcut for macros must drop them as the context does."""
    source = (
        "{% macro item(x) %}<{{ x }}>{% endmacro %}"
        "{% for n in [1, 2] %}{{ item(n) }}{% endfor %}"
        "{% block b %}{% for n in [3] %}{{ item(n) }}{% endfor %}{{ item(4) }}{% endblock %}"
    )
    assert _render(source, _Values("x", 1)) == "<1><2><3><4>"


def test_callables_other_than_macros_are_still_judged() -> None:
    @unsafe
    def refused() -> str:
        return "ran"

    template = environment(CHART).from_string("{{ f() }}")
    with pytest.raises(SecurityError, match="not safely callable"):
        template.render(f=refused)
