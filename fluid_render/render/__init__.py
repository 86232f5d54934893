"""Render planned values through the Jinja2 templates of a runtime's chart into manifest texts.

The environment is sandboxed, undefined names are errors, and `finalize` refuses to print any
string that did not pass a quoting filter, so a template cannot leak raw user text.
"""

from __future__ import annotations

import contextlib
import os
import types
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, NamedTuple

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
)
from jinja2.bccache import Bucket
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Expr
from jinja2.runtime import Context, Macro, new_context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from fluid_render.objects import OPERATIONS_FOLDER, SERVICE_ACCOUNT, ObjectGroup, Placed, row
from fluid_render.render.indent import Indent
from fluid_render.render.quote import block, quote, to_yaml
from fluid_render.resources import shipped

FLUX_SUBSTITUTE = "kustomize.toolkit.fluxcd.io/substitute"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"


_FLUX_LINE = f"    {FLUX_SUBSTITUTE}: disabled\n"


class Manifest(NamedTuple):
    """One rendered object: where it belongs, and its YAML text (one document, no `---`).

    A named tuple rather than a dataclass: a worker's manifests cross a pipe, and a tuple
    pickles and loads in a third of the time (21 ms against 61 ms for 5500 of them)."""

    namespace: str
    dataset: str
    kind: str
    name: str
    wave: int
    text: str


def _finalize(value: Any) -> Any:
    """Let through only text a filter or macro produced (Markup), numbers and booleans."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    raise TemplateError(f"unquoted value {value!r}: pass it through the `q` or `yaml` filter")


class _Generator(CodeGenerator):
    """Jinja2's code generator, without `escape()` around what `finalize` lets through.

    `_finalize` passes only Markup, which `escape` returns unchanged, and the digits and
    `true`/`false` of numbers and booleans, which it leaves alone too: the call changed no
    byte and cost two Python calls and a new Markup per printed value. Autoescaping stays on
    for everything else (macros still return Markup, constants are still escaped at compile
    time).
    """

    def _output_child_pre(self, node: Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile and finalize.src:
            self.write("(" + finalize.src)
        else:
            super()._output_child_pre(node, frame, finalize)


class _Template(Template):
    """A template that reads its globals from a plain dict taken once.

    Jinja2 keeps a template's globals as a ChainMap over the environment's, and iterates it
    twice in every render (`jinja2/runtime.py` `new_context`) and once more in every
    `{% import "_helpers.j2" as h %}` (`jinja2/environment.py` `Template._get_default_module`,
    which compares it with the importing template's globals to decide whether to rebuild the
    helpers' module). Iterating a ChainMap is slow; a snapshot is exact here because the
    environment's globals are all set before any template loads (`environment` below).
    """

    _flat_globals: dict[str, Any] | None = None

    def _globals_once(self) -> dict[str, Any]:
        if self._flat_globals is None:
            self._flat_globals = dict(self.globals)
        return self._flat_globals

    def new_context(
        self,
        vars: dict[str, Any] | None = None,
        shared: bool = False,
        locals: Mapping[str, Any] | None = None,
    ) -> Context:
        return new_context(
            self.environment, self.name, self.blocks, vars, shared, self._globals_once(), locals
        )

    def _get_default_module(self, ctx: Context | None = None) -> Any:
        if ctx is None or not ctx.globals_keys - self._globals_once().keys():
            return super()._get_default_module()
        return super()._get_default_module(ctx)


_METHODS = (types.MethodType, types.BuiltinMethodType)
"""The values `wrap_str_format` may wrap (neither type can be subclassed)."""


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, remembering its verdicts: they depend on type and name only."""

    code_generator_class = _Generator
    template_class = _Template

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._verdicts: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        key = (type(obj), attr)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = super().is_safe_attribute(obj, attr, value)
        return verdict

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`x.name` in a template: an attribute already judged safe for this type, which is not
        a method `wrap_str_format` would wrap, is returned at once; the rest as the sandbox
        does it (`jinja2/sandbox.py` `SandboxedEnvironment.getattr`)."""
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            return super().getattr(obj, attribute)
        if type(value) not in _METHODS and self._verdicts.get((type(obj), attribute)):
            return value
        return super().getattr(obj, attribute)

    def call(
        __self,  # noqa: N805 - as Jinja2 spells it: a call may pass `self=`
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """`m(...)` in a template: a macro of the templates themselves is called at once, the
        rest as the sandbox does it (`jinja2/sandbox.py` `SandboxedEnvironment.call`).

        A macro is always a safe callable and takes no context (`jinja2/runtime.py`
        `Context.call`, which also drops the two loop and block arguments its generated code
        passes); the sandbox's checks and the context's lookups took 5% of planning and
        rendering.
        """
        if type(__obj) is Macro:
            kwargs.pop("_loop_vars", None)
            kwargs.pop("_block_vars", None)
            return __obj(*args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)


class _TemplateCache(FileSystemBytecodeCache):
    """Compiled templates kept between runs (like __pycache__): compiling costs 45 ms a run."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):  # a cache must never fail a build
            super().dump_bytecode(bucket)

    def get_bucket(
        self, environment: Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        """Keyed by the source as compiled (after the extensions' preprocessing) and by the
        code generator, so a change of either never serves code compiled by the old one."""
        compiled = environment.preprocess(source, name, filename)
        return super().get_bucket(environment, name, filename, compiled + _GENERATOR_TAG)


_GENERATOR_TAG = "\n{# code generator: finalize without escape #}"
"""Part of the cache key only: code compiled by Jinja2's own generator is not reused."""


def _template_cache() -> _TemplateCache | None:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "fluid-render", "templates")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    return _TemplateCache(folder)


@cache
def environment(chart: str) -> ImmutableSandboxedEnvironment:
    """The sandbox over the templates of `chart`, the shipped folder a runtime names."""
    env = _Sandbox(
        loader=FileSystemLoader(str(shipped(chart) / "templates")),
        bytecode_cache=_template_cache(),
        auto_reload=False,
        undefined=StrictUndefined,
        finalize=_finalize,
        autoescape=True,  # with YamlText a Markup, any raw string would be caught by finalize
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=[Indent],
    )
    env.filters["q"] = quote
    env.filters["yaml"] = to_yaml
    env.filters["block"] = block
    env.filters["chomp"] = _chomp
    env.filters["merge_metadata"] = _with_annotations
    env.globals["merge"] = _merge_sorted
    env.globals["scripts"] = scripts(chart)
    return env


@cache
def scripts(chart: str) -> dict[str, str]:
    """A chart's shell scripts, read as plain text (bash's `${#x}` is not Jinja syntax)."""
    folder = shipped(chart) / "scripts"
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.sh"))}


def _chomp(text: str) -> Markup:
    """A macro's text without its last line break: the same characters as Markup's own
    `rstrip`, without its escaping wrapper (a macro's text is Markup already)."""
    return str.__new__(Markup, str.rstrip(text, "\n"))


def _merge_sorted(*maps: Mapping[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for mapping in maps:
        merged.update(mapping)
    return dict(sorted(merged.items()))


def _with_annotations(obj: Mapping[str, Any], annotations: Mapping[str, str]) -> dict[str, Any]:
    """A user object whose metadata gains the build's annotations (sync wave, Flux)."""
    metadata = dict(obj["metadata"])
    metadata["annotations"] = _merge_sorted(metadata.get("annotations") or {}, annotations)
    return {**obj, "metadata": metadata}


def render_operation_access(
    namespace: str, labels: Mapping[str, str], chart: str
) -> list[Manifest]:
    """What lets operations of a namespace wait for each other's Jobs (`kubectl wait`)."""
    objects = [
        Placed(row("operations-serviceaccount.yaml.j2", "ServiceAccount"), SERVICE_ACCOUNT),
        Placed(row("operations-role.yaml.j2", "Role"), SERVICE_ACCOUNT),
        Placed(row("operations-rolebinding.yaml.j2", "RoleBinding"), SERVICE_ACCOUNT),
    ]
    context = {"account": SERVICE_ACCOUNT, "namespace": namespace, "labels": dict(labels)}
    return _render(objects, context, namespace, OPERATIONS_FOLDER, chart)


def render_group(group: ObjectGroup) -> list[Manifest]:
    """Every object of a group (a runtime, an operation) as YAML text."""
    return _render(group.objects, group.context, group.namespace, group.folder, group.chart)


def _render(
    objects: Sequence[Placed], base: Mapping[str, Any], namespace: str, folder: str, chart: str
) -> list[Manifest]:
    env = environment(chart)
    manifests = []
    for obj in objects:
        template = env.get_template(obj.row.template)
        context = {**base, **(obj.extra or {})}
        # Flux would expand `${VAR}` in scripts and JVM options into empty strings, so objects
        # holding `${` opt out; rendered once with the annotation, dropped where not needed.
        annotations = {SYNC_WAVE: str(obj.wave), FLUX_SUBSTITUTE: "disabled"}
        text = template.render(context, object_annotations=annotations)
        if "${" not in text:
            text = text.replace(_FLUX_LINE, "", 1)
        manifests.append(Manifest(namespace, folder, obj.row.kind, obj.name, obj.wave, text))
    return manifests
