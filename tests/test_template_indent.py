"""The indentation of `yaml` and `block` comes from where a template prints them."""

from __future__ import annotations

import pytest

from fluid_render.render import environment
from fluid_render.render.indent import Indent


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("  labels:{{ labels | yaml }}", "  labels:{{ labels | yaml(4) }}"),
        ("          env:{{ c.env | yaml }}", "          env:{{ c.env | yaml(12) }}"),
        ("{{ obj | yaml | trim }}", "{{ obj | yaml(0) | trim }}"),
        ("  {{ key | q }}: {{ text | block }}", "  {{ key | q }}: {{ text | block(4) }}"),
        ("      {{ k | q }}:{{ v | yaml }}", "      {{ k | q }}:{{ v | yaml(8) }}"),
        ("  name: {{ name | q }}", "  name: {{ name | q }}"),
        ("{% if x %}", "{% if x %}"),
    ],
)
def test_each_filter_gets_the_indentation_of_its_line(line: str, expected: str) -> None:
    assert Indent(environment("charts/alluxio")).preprocess(line, None) == expected


def test_rendered_structures_follow_the_key() -> None:
    template = environment("charts/alluxio").from_string("a:\n  b:{{ x | yaml }}\n")
    assert template.render(x={"c": [1, 2]}) == "a:\n  b:\n    c:\n      - 1\n      - 2\n"
