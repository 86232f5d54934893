"""Start-up imports only what `--version`, `--help` and `schema` need: no planner, renderer,
pydantic, Jinja2 or YAML parser. The list below is the budget; a new import at start-up must
be added here on purpose. A rebuild the memo finds unchanged has a budget of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fluid_render import cli, start
from fluid_render.start import VERSION_LINE

ALLOWED_PACKAGES = frozenset({"click", "fluid_render"})
"""Third-party packages start-up may load (the standard library is not counted)."""
ALLOWED_OWN_MODULES = frozenset(
    {
        "fluid_render",
        "fluid_render.boundary",
        "fluid_render.cli",
        "fluid_render.errors",
        "fluid_render.resources",
        "fluid_render.sync",
        "fluid_render.sync.command",
    }
)
FORBIDDEN = ("pydantic", "jinja2", "ruamel", "yaml", "jsonschema", "markupsafe", "kubernetes")

_PROBE = """
import json, sys
before = set(sys.modules)
from fluid_render.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
stdlib = set(sys.stdlib_module_names)
loaded = sorted(m for m in set(sys.modules) - before if m.split('.')[0] not in stdlib)
print(json.dumps(loaded), file=sys.stderr)
"""


def modules_loaded_by(*args: str, env: dict[str, str] | None = None) -> list[str]:
    """The non-standard-library modules a fresh interpreter loads to run `fluid-render ARGS`."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True, env=env
    )
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "args", [("--version",), ("--help",), ("schema",), ("schema", "dataset")], ids=" ".join
)
def test_start_up_imports_stay_within_the_budget(args: tuple[str, ...]) -> None:
    loaded = modules_loaded_by(*args)
    assert [m for m in loaded if m.split(".")[0] in FORBIDDEN] == []
    assert {m.split(".")[0] for m in loaded} <= ALLOWED_PACKAGES
    assert {m for m in loaded if m.split(".")[0] == "fluid_render"} <= ALLOWED_OWN_MODULES


SAMPLE = Path(__file__).parent / "data" / "samples" / "01-web-dataset-mem.yaml"

NO_OP_OWN_MODULES = ALLOWED_OWN_MODULES | {
    "fluid_render.emit",
    "fluid_render.emit.files",
    "fluid_render.emit.incremental",
    "fluid_render.emit.journal",
    "fluid_render.emit.layout",
    "fluid_render.emit.memo",
    "fluid_render.emit.owned",
    "fluid_render.emit.publish",
    "fluid_render.emit.staging",
    "fluid_render.fingerprint",
    "fluid_render.limits",
    "fluid_render.names",
    "fluid_render.objects",
    "fluid_render.plan",
    "fluid_render.plan.ports",
    "fluid_render.runtimes",
    "fluid_render.runtimes.charts",
    "fluid_render.sources",
}
"""What `build -o` loads when the memo finds the tree built from these very inputs: it reads
and hashes the inputs and the tree, and stops before the YAML parser, the API models, the
planner and Jinja2 (`plan.ports` holds the `--port-range` type)."""


def test_a_rebuild_the_memo_finds_unchanged_loads_no_parser_models_or_templates(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    args = ("build", str(SAMPLE), "--lock", str(tmp_path / "lock"), "-o", str(tmp_path / "out"))
    first = modules_loaded_by(*args, env=env)
    owned = (tmp_path / "out" / ".fluid-render-owned").read_text()
    again = modules_loaded_by(*args, env=env)
    assert (tmp_path / "out" / ".fluid-render-owned").read_text() == owned
    # the probe sees the heavy modules when they load: the first build shows them
    assert {"fluid_render.pipeline", "fluid_render.runtimes.registry"} <= set(first)
    assert any(m.startswith("pydantic") for m in first)
    assert [m for m in again if m.split(".")[0] in FORBIDDEN] == []
    assert {m.split(".")[0] for m in again} <= ALLOWED_PACKAGES
    assert {m for m in again if m.split(".")[0] == "fluid_render"} <= NO_OP_OWN_MODULES


def after_a_build(tmp_path: Path, expression: str, env: dict[str, str] | None = None) -> str:
    """What `expression` prints in the interpreter that has just built the sample in-process
    (the command line's exit caught)."""
    probe = (
        "import sys\n"
        "from fluid_render.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print({expression}, file=sys.stderr)\n"
    )
    args = ["build", str(SAMPLE), "--lock", str(tmp_path / "lock")]
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_a_build_does_not_look_for_pydantic_plugins(tmp_path: Path) -> None:
    """Discovery reads every installed package's metadata; the command uses no plugin."""
    plugins = "__import__('pydantic.plugin._loader').plugin._loader._plugins"
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    assert after_a_build(tmp_path, plugins, env) == "None"  # never loaded
    # with the variable set (empty: no plugin disabled), the user's setting wins and the
    # probe sees the discovery
    looked = after_a_build(tmp_path, plugins, {**env, "PYDANTIC_DISABLE_PLUGINS": ""})
    assert looked == "{}"


def test_the_executable_answers_version_without_loading_the_command_line() -> None:
    probe = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "from fluid_render.start import main\n"
        "main()\n"
        "print(json.dumps(sorted(set(sys.modules) - before)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "--version"], capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stderr.strip().splitlines()[-1])
    assert [m for m in loaded if m.startswith(("fluid_render", "click"))] == [
        "fluid_render",
        "fluid_render.start",
    ]
    assert done.stdout == VERSION_LINE


def test_the_fast_answer_is_the_command_lines_own() -> None:
    """The same bytes click's `version_option` prints, so the shortcut can never drift."""
    result = CliRunner().invoke(cli.main, ["--version"])
    assert result.exit_code == 0
    assert result.output == VERSION_LINE


@pytest.mark.parametrize("args", [["--version", "--help"], ["build", "--version"]])
def test_anything_but_version_alone_goes_to_the_command_line(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(sys, "argv", ["fluid-render", *args])
    monkeypatch.setattr(cli, "main", lambda: seen.append(sys.argv[1:]))
    start.main()
    assert seen == [args]
    assert capsys.readouterr().out == ""


def test_a_closed_stdout_is_reported_by_the_command_line() -> None:
    """`fluid-render --version >&-`: the error every command gives, not a traceback."""
    done = subprocess.run(
        [sys.executable, "-c", "from fluid_render.start import main; main()", "--version"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.close(1),
    )
    assert done.returncode == 1
    assert done.stderr == "error: <stdout>: closed when fluid-render started\n"


_EXECUTABLE_PROBE = """
import atexit, sys
atexit.register(lambda: print("teardown ran", file=sys.stderr))
from fluid_render.start import main
main()
"""


def test_a_command_that_succeeds_skips_the_teardown_and_loses_no_output(tmp_path: Path) -> None:
    """The executable ends a successful command with os._exit, after flushing: the whole
    stream arrives (the same bytes as in-process), and the interpreter's exit handlers do not
    run."""
    samples = sorted(str(p) for p in SAMPLE.parent.glob("0[1-5]-*.yaml"))
    args = ["build", *samples, "--lock", str(tmp_path / "lock")]
    done = subprocess.run(
        [sys.executable, "-c", _EXECUTABLE_PROBE, *args], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "teardown ran" not in done.stderr
    (tmp_path / "lock").unlink()
    in_process = CliRunner().invoke(cli.main, args)
    assert in_process.exit_code == 0
    assert len(done.stdout) > 64 * 1024  # more than one pipe's buffer
    assert done.stdout == in_process.stdout


def test_a_command_that_fails_exits_as_usual(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: data.fluid.io/v1alpha1\nkind: Dataset\nmetadata: [\n")
    done = subprocess.run(
        [sys.executable, "-c", _EXECUTABLE_PROBE, "build", str(bad)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {bad}:")
    assert done.stderr.endswith("teardown ran\n")


def test_a_small_build_does_not_load_what_forking_needs(tmp_path: Path) -> None:
    """Only a build of PARALLEL_FROM datasets or more renders on forked workers."""
    assert after_a_build(tmp_path, "'multiprocessing' in sys.modules") == "False"
