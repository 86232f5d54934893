"""The lock file's text form (`fluid_render/plan/lock.py`): the direct writer and reader give
what the YAML writer and the positioned reader give."""

from __future__ import annotations

import yaml
from hypothesis import given
from hypothesis import strategies as st

from fluid_render.errors import BuildError
from fluid_render.plan.lock import HEADER, parse_lock, render_lock
from fluid_render.plan.ports import Lock
from fluid_render.runtimes.registry import PORT_NAMES

_LABEL = st.from_regex(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True)
_NAME = st.from_regex(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True)
_KEYS = st.builds(lambda ns, name: f"{ns}/{name}", _LABEL, _NAME) | st.sampled_from(
    ["on/off", "yes/no", "y/n", "null/x", "0/e1", "1e3/a", "a.b/C.d"]
)
_PORT_NAMES = st.sampled_from(sorted(PORT_NAMES)) | st.sampled_from(
    ["on", "null", "y", "9", "No", "a.b", "x_y", ".x"]
)
_LOCKS = st.dictionaries(
    _KEYS, st.dictionaries(_PORT_NAMES, st.integers(1, 65535), max_size=4), max_size=6
)


def _reference(runtimes: dict[str, dict[str, int]]) -> str:
    body = {"version": 1, "runtimes": runtimes}
    return HEADER + yaml.dump(body, Dumper=yaml.CSafeDumper, sort_keys=True, width=1000)


def _positioned(text: str) -> Lock | BuildError:
    """What the positioned reader alone makes of `text` (the fast path sees no header)."""
    try:
        return parse_lock("# another header\n" + text[len(HEADER) :], "l", PORT_NAMES)
    except BuildError as error:
        return error


@given(_LOCKS)
def test_the_lock_text_is_what_yaml_dump_writes(runtimes: dict[str, dict[str, int]]) -> None:
    assert render_lock(Lock(runtimes)) == _reference(runtimes)


@given(_LOCKS)
def test_a_written_lock_reads_back_as_the_positioned_reader_reads_it(
    runtimes: dict[str, dict[str, int]],
) -> None:
    text = render_lock(Lock(runtimes))
    slow = _positioned(text)
    if isinstance(slow, BuildError):
        try:
            parse_lock(text, "l", PORT_NAMES)
        except BuildError as error:
            assert [p.message for p in error.problems] == [p.message for p in slow.problems]
        else:
            raise AssertionError("the fast path accepted a lock the positioned reader refuses")
    else:
        assert parse_lock(text, "l", PORT_NAMES) == slow


@given(st.integers(0, 2000), st.text(st.sampled_from(" :-{}\n#x0a/1"), max_size=4))
def test_an_edited_lock_reads_as_the_positioned_reader_reads_it(at: int, insert: str) -> None:
    text = render_lock(Lock({"team-a/demo": {"master.rpc": 20000, "worker.rpc": 20001}, "b/x": {}}))
    edited = text[: len(HEADER) + at] + insert + text[len(HEADER) + at :]
    slow = _positioned(edited)
    try:
        fast: Lock | BuildError = parse_lock(edited, "l", PORT_NAMES)
    except BuildError as error:
        fast = error
    if isinstance(slow, BuildError):
        assert isinstance(fast, BuildError)
    else:
        assert fast == slow
