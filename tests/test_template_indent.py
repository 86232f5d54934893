"""The indentation of `yaml` and `block` comes from where a template prints them, and the
shared macros print what the planned values hold."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from fluid_render.api.common import User
from fluid_render.render import environment
from fluid_render.render.indent import Indent
from fluid_render.runtimes.alluxio.users import init_mount_point, init_users
from fluid_render.runtimes.alluxio.values import Image, InitContainer

from .conftest import ROOT


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


def test_no_call_site_passes_an_indentation() -> None:
    """A printed value or macro takes its indentation from its column (or, for the Job spec
    under a CronJob, from the template's one `filter` block): no `{{ ... }}` passes a number."""
    by_hand = re.compile(r"\{\{[^}]*\|\s*(indent\b|yaml\s*\(|block\s*\()")
    templates = sorted((ROOT / "charts").glob("*/templates/*.j2"))
    assert len(templates) == 18
    for path in templates:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not by_hand.search(line), f"{path.name}:{number}: {line}"


INIT_IMAGE = Image("fluidcloudnative/init-users", "v0.9.0", "IfNotPresent")
RUN_AS = User(uid=2000, gid=2000, user="nlp", group="nlp")


@pytest.mark.parametrize(
    "init",
    [
        init_users(INIT_IMAGE, RUN_AS),
        init_users(
            INIT_IMAGE, RUN_AS, "/dev/shm", ["chmod_tierpath"], [{"name": "m", "mountPath": "/m"}]
        ),
        init_mount_point(INIT_IMAGE, "/runtime-mnt/alluxio/nlp/corpus"),
    ],
)
def test_the_init_container_macro_prints_what_a_job_prints(init: InitContainer) -> None:
    """Runtime pods print an init container with `_helpers.j2` `init_container`, a Job prints
    it with `yaml` from `as_dict`: the same container, keys in the same order."""
    source = '{% import "_helpers.j2" as h %}{{ h.init_container(c) }}'
    printed = environment("charts/alluxio").from_string(source).render(c=init)
    assert json.dumps(yaml.safe_load(printed)) == json.dumps([init.as_dict()])
