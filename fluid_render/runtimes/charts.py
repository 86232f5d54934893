"""The chart folder of every runtime kind, known without loading any planner.

A build whose inputs are unchanged stops at the memo (`emit.memo`), whose fingerprint covers
the templates (`fingerprint.templates_digest`); listing the folders here lets it do so without
importing the registry and, through it, every runtime's planner, the API models and Jinja2.
The registry's kinds and this list agree (a test checks it).
"""

from __future__ import annotations

CHARTS: tuple[str, ...] = ("charts/alluxio",)
"""The shipped chart folders (templates and scripts) of every runtime kind, sorted."""
