"""Kubernetes quantities: parsing and the canonical forms upstream prints (resource.Quantity)."""

from __future__ import annotations

import re
from decimal import Decimal

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -3, "u": -2, "m": -1, "": 0, "k": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}
_PATTERN = re.compile(
    r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$"
)


def parse(text: str) -> tuple[Decimal, bool]:
    """The value of a quantity and whether it was written with a binary (Ki, Mi, ...) suffix."""
    match = _PATTERN.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    number, exponent, suffix = match.group(1), match.group(2), match.group(3) or ""
    value = Decimal(number)
    if exponent:
        return value * (Decimal(10) ** int(exponent[1:])), False
    if suffix in _BINARY:
        return value * (1024 ** _BINARY[suffix]), True
    return value * (Decimal(1000) ** _DECIMAL[suffix]), False


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


def tier_quota(amount: int) -> str:
    """Alluxio's spelling of a per-path tier quota: binary canonical form with `i` turned to `B`."""
    return alluxio_size(canonical(amount, binary=True))


def alluxio_size(text: str) -> str:
    """`3Gi` -> `3GB`: Alluxio reads binary sizes with a `B` suffix."""
    return text[:-1] + "B" if text.endswith("i") else text
