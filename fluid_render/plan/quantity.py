"""Kubernetes quantities: parsing and the canonical forms upstream prints (resource.Quantity)."""

from __future__ import annotations

from fluid_render.api.quantity import parse_quantity

parse = parse_quantity
"""The value of a quantity and whether it has a binary suffix; one parser for the whole build."""


def to_bytes(text: str) -> int:
    """Whole bytes, rounded up as Kubernetes does for byte amounts."""
    value, _ = parse(text)
    return int(value.to_integral_value(rounding="ROUND_CEILING"))


def canonical(amount: int, binary: bool) -> str:
    """The canonical text of a whole amount: `2Gi`, `195312500Ki`, `24589934592`, `16G`."""
    if binary and abs(amount) >= 1024:
        suffixes, base = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"), 1024
    else:
        suffixes, base = ("", "k", "M", "G", "T", "P", "E"), 1000
    exponent = 0
    while amount and amount % base == 0 and exponent < len(suffixes) - 1:
        amount //= base
        exponent += 1
    return f"{amount}{suffixes[exponent]}"
