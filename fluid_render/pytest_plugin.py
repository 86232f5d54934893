"""pytest plugin: snapshot tests of a GitOps repository's rendered objects, with syrupy.

Registered as a `pytest11` entry point, so installing fluid-render gives pytest the
`fluid_render_snapshot` fixture. It builds the specs in memory and compares every file of the
`-o` output (one object per file, plus kustomization files and the lock) with a plain YAML
snapshot under `__snapshots__/<test file>/`; `pytest --snapshot-update` rewrites them and drops
the ones no longer rendered. syrupy and the compiler are imported only when the fixture is used;
the build itself never loads pytest or syrupy.
"""

from __future__ import annotations

from contextlib import nullcontext
from functools import cache
from pathlib import Path
from typing import Any

import pytest

LOCK_SNAPSHOT = "fluid-render.lock"


def snapshot_name(path: str) -> str:
    """A file name for an output path: folders joined by `__` (no name or namespace holds it)."""
    return path.removesuffix(".yaml").replace("/", "__")


@cache
def yaml_extension() -> type[Any]:
    """syrupy's single-file extension writing text `.yaml` files (created once: syrupy walks
    the subclasses of its extensions)."""
    try:
        from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
    except ImportError:
        raise pytest.UsageError(
            "fluid_render_snapshot needs syrupy: pip install 'fluid-render[snapshot]'"
        ) from None

    class YAMLSnapshotExtension(SingleFileSnapshotExtension):
        file_extension = "yaml"
        _write_mode = WriteMode.TEXT

    return YAMLSnapshotExtension


class SnapshotBuild:
    """Call with the specs (and `build`'s options) to compare their output with the snapshots."""

    def __init__(self, snapshot: Any, root: Path, colour: bool) -> None:
        self._snapshot = snapshot.use_extension(yaml_extension())
        self._root = root
        self._colour = colour

    def __call__(
        self,
        *inputs: str | Path,
        lock: str | Path = "fluid-render.lock",
        namespace: str = "default",
        passthrough: bool = False,
        inject: bool = False,
        output_format: str = "tree",
        port_range: tuple[int, int] = (20000, 25000),
        frozen_lock: bool = True,
    ) -> None:
        """Fail if any object differs from its snapshot, or (frozen_lock) the lock is stale."""
        # Imported here: pytest loads this plugin in every session of an environment that has
        # fluid-render, and only sessions using the fixture should pay for the compiler.
        from fluid_render.errors import BuildError
        from fluid_render.plan.ports import PortRange
        from fluid_render.project import Options, render_project

        options = Options(
            lock_path=self._root / lock,
            port_range=PortRange(*port_range),
            namespace=namespace,
            passthrough=passthrough,
            inject=inject,
            output_format=output_format,
        )
        try:
            output = render_project([str(self._root / i) for i in inputs], options)
        except BuildError as error:
            pytest.fail("\n".join(str(p) for p in error.problems), pytrace=False)
        if frozen_lock and output.lock_changed:
            pytest.fail(
                f"{options.lock_path}: out of date; run `fluid-render build`", pytrace=False
            )
        files = {snapshot_name(f.path): f.text for f in output.files()}
        if output.new_lock is not None:
            files[LOCK_SNAPSHOT] = output.new_lock
        from syrupy.terminal import disable_color

        failures = []
        for name, text in sorted(files.items()):
            assertion = self._snapshot(name=name)
            if assertion != text:
                with nullcontext() if self._colour else disable_color():
                    failures.append("\n".join([f"{name}.yaml:", *assertion.get_assert_diff()]))
        if failures:
            pytest.fail("\n\n".join(failures), pytrace=False)


@pytest.fixture
def fluid_render_snapshot(request: pytest.FixtureRequest) -> SnapshotBuild:
    """Build specs and compare every rendered file with its YAML snapshot; paths are relative
    to pytest's root folder."""
    yaml_extension()  # a clear message when syrupy is missing
    colour = request.config.get_terminal_writer().hasmarkup  # --color, or a terminal
    snapshot = request.getfixturevalue("snapshot")
    return SnapshotBuild(snapshot, Path(request.config.rootpath), colour)
