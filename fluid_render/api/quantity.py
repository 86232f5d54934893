"""Kubernetes quantities: the grammar, the range the API server keeps, and their field types.

One parser serves the whole build (``fluid_render.plan.quantity`` uses it), so what validation
accepts is exactly what planning can compute with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import PlainValidator, StrictStr, WithJsonSchema
from pydantic_core import PydanticCustomError

from .rules import Pattern, Rule, rule_error

_QUANTITY_NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_QUANTITY_BODY = _QUANTITY_NUMBER + r"(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?[0-9]+))?"
QUANTITY_PATTERN = "^" + _QUANTITY_BODY + "$"
"""Kubernetes quantity grammar: signed decimal number, then a binary, decimal or exponent suffix."""
QUOTA_LIST_PATTERN = "^" + _QUANTITY_BODY + "(," + _QUANTITY_BODY + ")+$"
"""Comma-separated quantities; like upstream, a single entry is not a list (use ``quota``)."""


QUANTITY_LIMIT = 2**63 - 1
"""The largest magnitude a Kubernetes quantity holds (``resource.Quantity``); larger ones are
capped by the API server, which is never what was written."""
_QUANTITY_PARTS = re.compile(
    r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:[eE]([+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?"
)
QUANTITY_TOO_LARGE = "must be at most 2^63-1 (about 8Ei), the largest Kubernetes quantity"
_BINARY_SUFFIXES = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL_SUFFIXES = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_EXPONENT_DIGITS = 4
"""An exponent of more digits is beyond any quantity's range (or rounds to zero)."""


def parse_quantity(text: str) -> tuple[Decimal, bool]:
    """The value of a quantity and whether it has a binary suffix (Ki, Mi...); ValueError when
    it is malformed or beyond ``QUANTITY_LIMIT``, without ever computing a huge power."""
    match = _QUANTITY_PARTS.fullmatch(text.strip())
    if not match:
        raise ValueError("not a Kubernetes quantity")
    number, exponent, suffix = Decimal(match.group(1)), match.group(2), match.group(3) or ""
    if exponent is not None:
        digits = exponent.lstrip("+-").lstrip("0") or "0"
        if len(digits) > _EXPONENT_DIGITS:
            if exponent.startswith("-") or number == 0:
                return Decimal(0), False
            raise ValueError("beyond the largest Kubernetes quantity")
        value = number.scaleb(int(exponent))
    elif suffix in _BINARY_SUFFIXES:
        value = number * 1024 ** _BINARY_SUFFIXES[suffix]
    else:
        value = number.scaleb(_DECIMAL_SUFFIXES[suffix])
    if abs(value) > QUANTITY_LIMIT:
        raise ValueError("beyond the largest Kubernetes quantity")
    return value, suffix in _BINARY_SUFFIXES


def quantity_sign(text: str) -> int:
    """-1, 0 or 1: the sign of a quantity's value (``1e-99999`` is 0, as it rounds to nothing)."""
    value, _ = parse_quantity(text)
    return (value > 0) - (value < 0)


def _quantity(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PydanticCustomError(
            "quantity_type",
            'must be a Kubernetes quantity: a string such as "2Gi" or an integer',
        )
    text = str(value)
    if not re.fullmatch(QUANTITY_PATTERN, text):
        raise PydanticCustomError(
            "quantity_format",
            '"{value}" is not a Kubernetes quantity (examples: "500Mi", "2Gi", "1.5", "100m")',
            {"value": text},
        )
    try:
        parse_quantity(text)
    except ValueError:
        raise rule_error("quantity_range", QUANTITY_TOO_LARGE) from None
    return text


@dataclass(frozen=True)
class QuantitySign(Rule):
    """Quantities (comma-separated in a quota list) must be positive, or at least not negative.

    The API server rejects negative resources (``validateResourceQuantityValue``) and Alluxio a
    tier of no capacity, so both fail at build time rather than in the cluster.
    """

    zero_allowed: bool

    def check(self, value: Any) -> str | None:
        try:
            signs = [quantity_sign(part) for part in str(value).split(",")]
        except ValueError:
            return QUANTITY_TOO_LARGE
        if self.zero_allowed:
            return "must not be negative" if -1 in signs else None
        if all(sign > 0 for sign in signs):
            return None
        return "must be greater than 0" if len(signs) == 1 else "every entry must be greater than 0"

    def error_type(self) -> str:
        return "quantity_sign"


Quantity = Annotated[
    str,
    PlainValidator(_quantity),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer"}, {"type": "string", "pattern": QUANTITY_PATTERN}],
            "x-kubernetes-int-or-string": True,
        }
    ),
]
"""A Kubernetes quantity; an integer is accepted (as by the API server) and stored as its text."""

QuotaList = Annotated[
    StrictStr,
    Pattern(
        QUOTA_LIST_PATTERN,
        'must be at least two comma-separated quantities, e.g. "200Gi,100Gi"',
    ),
    QuantitySign(zero_allowed=False),
]
PositiveQuantity = Annotated[Quantity, QuantitySign(zero_allowed=False)]
NonNegativeQuantity = Annotated[Quantity, QuantitySign(zero_allowed=True)]
