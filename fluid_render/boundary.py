"""The one error boundary of every command: exit codes, and no traceback for any input.

Problems of the input and unreadable or unwritable files exit ERROR; a stdout closed by its
reader exits BROKEN_PIPE quietly, as cat and git do; anything else is a bug of ours: one line
and INTERNAL (a traceback with FLUID_RENDER_DEBUG=1).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from fluid_render.errors import BuildError, ExitStatus

DEBUG_ENV = "FLUID_RENDER_DEBUG"
REPORT_URL = "https://github.com/fluid-render/fluid-render/issues"


class Guarded(click.Group):
    """One error boundary around every command, so no input or environment gives a traceback.

    It wraps click's whole `main` (option parsing, callbacks, --help and --version included),
    reporting click's own errors as click does. Problems of the input and unreadable or
    unwritable files exit ERROR; a stdout closed by its reader exits BROKEN_PIPE quietly, as cat
    and git do; anything else is a bug of ours: one line and INTERNAL (a traceback with
    FLUID_RENDER_DEBUG=1).
    """

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, *, standalone_mode: bool = True, **extra: Any
    ) -> Any:
        if not standalone_mode:
            return super().main(args, standalone_mode=False, **extra)
        if sys.stdout is None:  # started with stdout closed (`>&-`)
            sys.stdout = _ClosedStdout()
        try:
            status = super().main(args, standalone_mode=False, **extra)
            _flush_stdout()
        except SystemExit as done:
            # click answers a stdout closed while it parses (`--help | head -0`) by wrapping
            # sys.stdout in a _PacifyFlushWrapper and exiting 1.
            if done.code == 1 and type(sys.stdout).__name__ == "_PacifyFlushWrapper":
                _stdout_closed()
            raise
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(ExitStatus.ERROR)
        except BuildError as error:
            fail([str(p) for p in error.problems])
        except BrokenPipeError:
            _stdout_closed()
        except OSError as error:
            fail([_os_error(error)])
        except Exception as error:
            if os.environ.get(DEBUG_ENV) == "1":
                raise
            click.echo(_internal_error(error), err=True)
            sys.exit(ExitStatus.INTERNAL)
        sys.exit(status if isinstance(status, int) else ExitStatus.SUCCESS)


class _ClosedStdout(io.StringIO):
    """Stands for a stdout the command was started without: writing to it is an error."""

    def write(self, _text: str) -> int:
        raise OSError(errno.EBADF, "closed when fluid-render started", "<stdout>")


def _flush_stdout() -> None:
    """The output still buffered, written inside the guard: a full disk names stdout."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        raise OSError(error.errno, error.strerror, "<stdout>") from None


def _os_error(error: OSError) -> str:
    reason = error.strerror or type(error).__name__
    return f"{error.filename}: {reason}" if error.filename else reason


def _stdout_closed() -> NoReturn:
    """Point stdout at /dev/null, so the interpreter's last flush does not fail again."""
    # A test runner's captured stdout has no file descriptor, and nothing to flush into a pipe.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(ExitStatus.BROKEN_PIPE)


def _internal_error(error: Exception) -> str:
    """The exception's type and where in fluid-render it was raised, never its message:
    messages of libraries quote the values they failed on, and a value may be a credential."""
    import traceback  # only a failing command needs it

    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if f"{os.sep}fluid_render{os.sep}" in f.filename] or frames
    where = ""
    if ours:
        path = ours[-1].filename
        where = f" at {path[path.rfind(f'{os.sep}fluid_render{os.sep}') + 1 :]}:{ours[-1].lineno}"
    return (
        f"internal error: {type(error).__name__}{where}; please report at {REPORT_URL} "
        f"with the command you ran ({DEBUG_ENV}=1 shows the traceback)"
    )


def fail(lines: list[str]) -> NoReturn:
    for line in lines:
        click.echo(f"error: {line}", err=True)
    sys.exit(ExitStatus.ERROR)
