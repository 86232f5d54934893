"""The generic modules know no runtime kind: they read what a kind contributes from the
registry (`fluid_render/runtimes/registry.py`) and the API's per-kind tables."""

from __future__ import annotations

import pytest

from fluid_render import fingerprint
from fluid_render.runtimes import registry


def test_templates_digest_covers_every_registered_chart(monkeypatch: pytest.MonkeyPatch) -> None:
    alone = fingerprint.templates_digest()
    fingerprint.templates_digest.cache_clear()
    monkeypatch.setattr(registry, "CHARTS", (*registry.CHARTS, "charts/fluid"))
    try:
        with_another = fingerprint.templates_digest()
    finally:
        fingerprint.templates_digest.cache_clear()
    assert with_another != alone
