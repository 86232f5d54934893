"""No input, option or environment gives a traceback: a clear error and a documented exit code."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluid_render import boundary, cli, project
from fluid_render.errors import ExitStatus

from .conftest import ROOT, run

SAMPLES = ROOT / "tests" / "data" / "samples"
QUICKSTART = ROOT / "examples" / "quickstart"
SPEC = (SAMPLES / "01-web-dataset-mem.yaml").read_text(encoding="utf-8")
CLEAN_EXITS = {ExitStatus.SUCCESS, ExitStatus.ERROR, ExitStatus.USAGE}


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path


def build(path: Path, *extra: str) -> Any:
    return run("build", str(path), "--lock", str(path.parent / "fluid-render.lock"), *extra)


# --- the guard --------------------------------------------------------------------------------


def _explode(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("s3cr3t-token-from-the-input")


def test_an_unexpected_exception_is_one_line_without_its_message(
    spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(boundary.DEBUG_ENV, raising=False)
    monkeypatch.setattr(project, "build", _explode)
    result = build(spec_file)
    assert result.exit_code == ExitStatus.INTERNAL == 70
    assert result.stdout == ""
    # The innermost frame of fluid_render: where the command called what raised.
    assert re.fullmatch(
        r"internal error: RuntimeError at fluid_render/project\.py:\d+; please report at "
        r"https://github\.com/fluid-render/fluid-render/issues with the command you ran "
        r"\(FLUID_RENDER_DEBUG=1 shows the traceback\)\n",
        result.stderr,
    )
    assert "s3cr3t" not in result.output


def test_the_internal_error_names_the_module_of_fluid_render_that_raised(
    spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(boundary.DEBUG_ENV, raising=False)
    monkeypatch.setattr("fluid_render.pipeline.validate", _explode)
    result = build(spec_file)
    assert result.exit_code == ExitStatus.INTERNAL
    assert result.stderr.startswith("internal error: RuntimeError at fluid_render/pipeline.py:")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_debug_env_shows_the_traceback(spec_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(boundary.DEBUG_ENV, "1")
    monkeypatch.setattr(project, "build", _explode)
    with pytest.raises(RuntimeError, match="s3cr3t"):
        build(spec_file)


def test_input_errors_exit_1_and_usage_errors_2(spec_file: Path) -> None:
    spec_file.write_text("kind: [\n")
    assert build(spec_file).exit_code == ExitStatus.ERROR
    assert run("build", str(spec_file), "--no-such-option").exit_code == ExitStatus.USAGE


def _closed_pipe_run(*args: str) -> subprocess.CompletedProcess[bytes]:
    """The command with a stdout whose reader is gone, as in `fluid-render build x | head -0`."""
    read, write = os.pipe()
    os.close(read)
    try:
        code = "from fluid_render.cli import main; main()"
        return subprocess.run(
            [sys.executable, "-c", code, *args], stdout=write, stderr=subprocess.PIPE, check=False
        )
    finally:
        os.close(write)


def test_a_closed_stdout_exits_quietly(spec_file: Path) -> None:
    done = _closed_pipe_run("build", str(spec_file), "--lock", str(spec_file.parent / "l"))
    assert (done.returncode, done.stderr) == (ExitStatus.BROKEN_PIPE, b"")


def test_a_closed_stdout_exits_quietly_with_a_large_output(tmp_path: Path) -> None:
    """Output beyond the pipe's buffer fails in the write itself, not in the final flush."""
    specs = tmp_path / "many.yaml"
    specs.write_text("---\n".join(SPEC.replace("zookeeper", f"z{i}") for i in range(20)))
    done = _closed_pipe_run("build", str(specs), "--lock", str(tmp_path / "l"))
    assert (done.returncode, done.stderr) == (ExitStatus.BROKEN_PIPE, b"")


def test_a_closed_stdout_while_click_prints_help_exits_the_same() -> None:
    done = _closed_pipe_run("--help")
    assert (done.returncode, done.stderr) == (ExitStatus.BROKEN_PIPE, b"")


@pytest.mark.parametrize("args", [["--version"], ["build", "SPEC", "--lock", "LOCK"]])
def test_a_full_disk_on_stdout_is_an_error(spec_file: Path, args: list[str]) -> None:
    if not Path("/dev/full").is_char_device():
        pytest.skip("no /dev/full")
    places = {"SPEC": str(spec_file), "LOCK": str(spec_file.parent / "l")}
    code = "from fluid_render.cli import main; main()"
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-c", code, *(places.get(a, a) for a in args)],
            stdout=full,
            stderr=subprocess.PIPE,
            check=False,
        )
    assert (done.returncode, done.stderr) == (ExitStatus.ERROR, b"error: No space left on device\n")


@pytest.mark.parametrize(
    ("args", "redirect", "message"),
    [
        (["build", "-"], "<&-", b"error: <stdin>:1:1: cannot read: stdin is closed\n"),
        (["build", "SPEC"], ">&-", b"error: <stdout>: closed when fluid-render started\n"),
    ],
)
def test_a_standard_stream_closed_at_start(
    spec_file: Path, args: list[str], redirect: str, message: bytes
) -> None:
    command = [sys.executable, "-c", "from fluid_render.cli import main; main()"]
    command += [str(spec_file) if a == "SPEC" else a for a in args]
    command += ["--lock", str(spec_file.parent / "l")] if "build" in args else []
    script = " ".join(shlex.quote(part) for part in command) + " " + redirect
    done = subprocess.run(["sh", "-c", script], stderr=subprocess.PIPE, check=False)
    assert (done.returncode, done.stderr) == (ExitStatus.ERROR, message)


# --- input and environment --------------------------------------------------------------------


def test_stdin_that_is_not_utf8(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli.main,
        ["build", "-", "--lock", str(tmp_path / "l")],
        input=b"kind: Dataset\nname: caf\xe9\n",
        catch_exceptions=False,
    )
    assert result.exit_code == ExitStatus.ERROR
    assert result.stderr == "error: <stdin>:2:10: not UTF-8 text\n"


def test_a_lock_that_is_not_utf8(spec_file: Path) -> None:
    (spec_file.parent / "fluid-render.lock").write_bytes(b"version: 1\n# \xff\n")
    result = build(spec_file)
    assert result.exit_code == ExitStatus.ERROR
    assert result.stderr.endswith("fluid-render.lock:2:3: not UTF-8 text\n")


def test_a_lock_that_is_an_alias_bomb(spec_file: Path) -> None:
    levels = "\n".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9))
    (spec_file.parent / "fluid-render.lock").write_text(f"l0: &l0 [x]\n{levels}\n")
    result = build(spec_file)
    assert result.exit_code == ExitStatus.ERROR
    assert "limit: the inputs hold more than" in result.stderr


def test_an_unreadable_file(spec_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Permissions do not stop root, so the refusal is simulated where the file is opened."""
    real_open = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == spec_file:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    result = build(spec_file)
    assert result.exit_code == ExitStatus.ERROR
    assert result.stderr == f"error: {spec_file}:1:1: cannot read: Permission denied\n"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("quota: 1Gi", "quota: 1e400"),
        ("quota: 1Gi", 'quota: "1e9999999"'),
        ("quota: 1Gi", "quota: " + "9" * 5000),
        ("quota: 1Gi", 'quota: "' + "9" * 5000 + '"'),
        ("quota: 1Gi", "quota: 8Ei"),
        ("quota: 1Gi", "quota: .inf"),
        ("quota: 1Gi", "quota: .nan"),
        ("quota: 1Gi", "quotaList: 1e400,1e400"),
        ("high: ", "high: .nan #"),
        ("replicas: 1", "replicas: " + "9" * 5000),
        ("replicas: 1", "replicas: .inf"),
        ("replicas: 1", "replicas: 1e400"),
        ("  replicas: 1", "  replicas: 1\n  worker: {resources: {limits: {memory: 1e400}}}"),
        ("  replicas: 1", "  replicas: 1\n  master: {ports: {rpc: 99999999999999999999}}"),
    ],
)
def test_extreme_numbers_are_input_errors(spec_file: Path, old: str, new: str) -> None:
    assert old in SPEC
    spec_file.write_text(SPEC.replace(old, new, 1))
    result = build(spec_file)
    assert result.exit_code == ExitStatus.ERROR, result.output
    assert result.stderr.startswith(f"error: {spec_file}:")


# --- usage errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--kube-version", "1.24", "from 1.25 to 1.37"),
        ("--kube-version", "1.38", "from 1.25 to 1.37"),
        ("--kube-version", "2.0", "from 1.25 to 1.37"),
        ("--kube-version", "latest", "from 1.25 to 1.37"),
        ("--kube-version", "", "from 1.25 to 1.37"),
        ("--kube-version", "1." + "3" * 5000, "from 1.25 to 1.37"),
        ("--port-range", "0-10", "1 <= LOW <= HIGH <= 65535"),
        ("--port-range", "10-5", "1 <= LOW <= HIGH <= 65535"),
        ("--port-range", "1-65536", "1 <= LOW <= HIGH <= 65535"),
        ("--port-range", "20000", "1 <= LOW <= HIGH <= 65535"),
        ("--port-range", "\u00b2-\u00b3", "1 <= LOW <= HIGH <= 65535"),
        ("--port-range", "1" * 5000 + "-2", "1 <= LOW <= HIGH <= 65535"),
        ("--kubectl-image", "", "an image reference"),
        ("--kubectl-image", "kubectl:v1 --privileged", "an image reference"),
    ],
)
def test_option_values_out_of_range_exit_2(
    spec_file: Path, option: str, value: str, message: str
) -> None:
    result = build(spec_file, option, value)
    assert result.exit_code == ExitStatus.USAGE
    assert f"Invalid value for '{option}'" in result.stderr
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("version", ["1.25", "1.37", "v1.33", "1.31.4"])
def test_kube_versions_in_range_are_accepted(spec_file: Path, version: str) -> None:
    assert build(spec_file, "--kube-version", version).exit_code == ExitStatus.SUCCESS


def test_the_kube_version_range_is_what_kubernetes_validate_ships() -> None:
    kv = pytest.importorskip("kubernetes_validate.utils")
    shipped = sorted({tuple(map(int, v.split(".")[:2])) for v in kv.all_versions()})
    assert (shipped[0], shipped[-1]) == (cli.OLDEST_KUBE_VERSION, cli.NEWEST_KUBE_VERSION)


# --- fuzzing the whole command ----------------------------------------------------------------

YAMLISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "apiVersion: data.fluid.io/v1alpha1\n",
                "apiVersion: v1\n",
                "kind: Dataset\n",
                "kind: AlluxioRuntime\n",
                "kind: DataLoad\n",
                "kind: Secret\n",
                "kind: List\n",
                "metadata:\n  name: demo\n",
                "spec:\n",
                "  mounts:\n    - mountPoint: ",
                "  tieredstore:\n    levels:\n      - mediumtype: MEM\n        quota: ",
                "  replicas: ",
                "  ",
                "- ",
                ": ",
                "&a ",
                "*a",
                "<<: ",
                "!!binary ",
                "!!int ",
                "[",
                "]",
                "{",
                "}",
                ",",
                "'",
                '"',
                "#",
                "\n",
                "---\n",
                "1e400",
                ".nan",
                "-.inf",
                "9" * 120,
                "2001-13-45",
                "..",
                "/",
                "\t",
                "\ufeff",
                "\x85",
                "\\",
            ]
        ),
        st.text(max_size=8),
    ),
    max_size=40,
).map("".join)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=YAMLISH, passthrough=st.booleans())
def test_any_yamlish_spec_gives_a_clean_exit(tmp_path: Path, text: str, passthrough: bool) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    args = ["--passthrough"] if passthrough else []
    result = run("build", str(path), "--lock", str(tmp_path / "fuzz.lock"), *args)
    assert result.exit_code in CLEAN_EXITS, result.output
    assert "Traceback" not in result.output


LINES = SPEC.splitlines(keepends=True)
HOSTILE = st.one_of(
    YAMLISH,
    st.sampled_from(["1e400", "'1e400'", ".nan", "-1", "0", "9" * 100, "'" + "9" * 5000 + "'"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(line=st.integers(0, len(LINES) - 1), value=HOSTILE)
def test_a_spec_with_one_hostile_value_gives_a_clean_exit(
    tmp_path: Path, line: int, value: str
) -> None:
    """The value after a line's `key:` replaced, so the later stages see it too."""
    key, colon, _ = LINES[line].partition(":")
    changed = [*LINES[:line], f"{key}{colon} {value}\n" if colon else value, *LINES[line + 1 :]]
    path = tmp_path / "spec.yaml"
    path.write_text("".join(changed), encoding="utf-8", errors="surrogatepass")
    result = run("build", str(path), "--lock", str(tmp_path / "fuzz.lock"))
    assert result.exit_code in CLEAN_EXITS, result.output
    assert "Traceback" not in result.output


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=YAMLISH)
def test_any_yamlish_lock_and_inject_input_give_a_clean_exit(tmp_path: Path, text: str) -> None:
    lock = tmp_path / "fuzz.lock"
    lock.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = run("build", str(QUICKSTART), "--lock", str(lock), "--frozen-lock")
    assert result.exit_code in CLEAN_EXITS, result.output
    app = tmp_path / "app.yaml"
    app.write_text(text, encoding="utf-8", errors="surrogatepass")
    specs = str(QUICKSTART / "zookeeper.yaml")
    result = run(
        "inject", str(app), "--specs", specs, "--lock", str(QUICKSTART / "fluid-render.lock")
    )
    assert result.exit_code in CLEAN_EXITS, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("a: 2001-13-45", 4, "invalid YAML: cannot read this value as timestamp"),
        ("a: !!int abc", 4, "invalid YAML: cannot read this value as int"),
        ("a: !!float s3cr3t", 4, "invalid YAML: cannot read this value as float"),
        ("a: !!bool maybe", 4, "invalid YAML: cannot read this value as bool"),
        ("a: !!timestamp s3cr3t", 4, "invalid YAML: cannot read this value as timestamp"),
        ("a: x\x1fy", 5, "invalid YAML: a control character (#x001f) is not allowed"),
    ],
)
@pytest.mark.parametrize("command", ["build", "inject"])
def test_values_yaml_cannot_read_are_positioned_in_both_readers(
    tmp_path: Path, command: str, line: str, column: int, message: str
) -> None:
    """libyaml (build) and ruamel's round trip (inject) report the same, without the value."""
    app = tmp_path / "app.yaml"
    app.write_text(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\n{line}\n")
    lock = QUICKSTART / "fluid-render.lock"
    if command == "build":
        result = run("build", str(app), "--passthrough", "--lock", str(tmp_path / "l"))
    else:
        result = run("inject", str(app), "--specs", str(QUICKSTART), "--lock", str(lock))
    assert result.exit_code == ExitStatus.ERROR
    assert result.stderr == f"error: {app}:4:{column}: {message}\n"
