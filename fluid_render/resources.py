"""Files shipped with the tool (templates, schemas): in the wheel, or beside the package."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def shipped(folder: str) -> Path:
    """`fluid_render/_<folder>` in an installed wheel, else `<folder>` of the checkout."""
    for candidate in (PACKAGE / f"_{folder}", PACKAGE.parent / folder):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"{folder} not found next to the fluid_render package")
