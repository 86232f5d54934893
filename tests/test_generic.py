"""The generic modules know no runtime kind: they read what a kind contributes from the
registry (`fluid_render/runtimes/registry.py`) and the API's per-kind tables."""

from __future__ import annotations

import pytest

from fluid_render import fingerprint
from fluid_render.objects import KIND_ORDER, kind_order, runtime_row
from fluid_render.resources import shipped
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


@pytest.mark.parametrize("kind", sorted(registry.RUNTIMES))
def test_the_runtime_row_is_spelled_by_each_kind(kind: str) -> None:
    """Each runtime's custom resource has the RUNTIME row: its place in the stream (after the
    Dataset, before the data operations), its wave, and a template its chart ships."""
    found = runtime_row(kind)
    assert (found.kind, found.wave, found.folder) == (kind, 0, "")
    chart = shipped(registry.RUNTIMES[kind].chart)
    assert (chart / "templates" / found.template).is_file()
    order = [kind_order(k, registry.RUNTIMES) for k in ("Dataset", kind, "DataLoad", "Job")]
    assert order == sorted(order) and len(set(order)) == 4
    assert kind_order(kind, ()) == kind_order("Unheard", registry.RUNTIMES) == len(KIND_ORDER)
