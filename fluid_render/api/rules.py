"""Rule markers: one object both validates a field (with a message a user can act on) and
documents the rule in the generated JSON Schema and CRDs, so the two never drift apart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema


def rule_error(error_type: str, message: str) -> PydanticCustomError:
    """A validation error whose text is ``message`` as given (no "Value error, " prefix)."""
    return PydanticCustomError(error_type, "{detail}", {"detail": message})


@dataclass(frozen=True)
class Rule:
    def check(self, value: Any) -> str | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def error_type(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def keywords(self) -> dict[str, Any]:
        return {}

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: Any) -> Any:
            message = self.check(value)
            if message is not None:
                raise rule_error(self.error_type(), message)
            return value

        return core_schema.no_info_after_validator_function(validate, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.update(self.keywords())
        return json_schema


@dataclass(frozen=True)
class Minimum(Rule):
    """Lower bound of a number (the CRD ``minimum``)."""

    limit: int

    def check(self, value: Any) -> str | None:
        return None if value >= self.limit else f"must be at least {self.limit}"

    def error_type(self) -> str:
        return "too_small"

    def keywords(self) -> dict[str, Any]:
        return {"minimum": self.limit}


@dataclass(frozen=True)
class Maximum(Rule):
    """Upper bound of a number (the CRD ``maximum``)."""

    limit: int

    def check(self, value: Any) -> str | None:
        return None if value <= self.limit else f"must be at most {self.limit}"

    def error_type(self) -> str:
        return "too_large"

    def keywords(self) -> dict[str, Any]:
        return {"maximum": self.limit}


@dataclass(frozen=True)
class IntFormat(Rule):
    """Range of a Go integer type; declared as OpenAPI ``format`` like upstream's CRDs."""

    bits: int

    def check(self, value: Any) -> str | None:
        bound = 2 ** (self.bits - 1)
        if -bound <= value < bound:
            return None
        return f"must fit in a signed {self.bits}-bit integer"

    def error_type(self) -> str:
        return "int_range"

    def keywords(self) -> dict[str, Any]:
        return {"format": f"int{self.bits}"}


@dataclass(frozen=True)
class MinLength(Rule):
    """Shortest allowed string (the CRD ``minLength``)."""

    limit: int

    def check(self, value: Any) -> str | None:
        if len(value) >= self.limit:
            return None
        unit = "character" if self.limit == 1 else "characters"
        return f"must be at least {self.limit} {unit} long"

    def error_type(self) -> str:
        return "too_short"

    def keywords(self) -> dict[str, Any]:
        return {"minLength": self.limit}


@dataclass(frozen=True)
class MaxLength(Rule):
    """Longest allowed string (the CRD ``maxLength``)."""

    limit: int

    def check(self, value: Any) -> str | None:
        if len(value) <= self.limit:
            return None
        return f"must be at most {self.limit} characters long"

    def error_type(self) -> str:
        return "too_long"

    def keywords(self) -> dict[str, Any]:
        return {"maxLength": self.limit}


@dataclass(frozen=True)
class MinItems(Rule):
    """Shortest allowed list (the CRD ``minItems``)."""

    limit: int

    def check(self, value: Any) -> str | None:
        if len(value) >= self.limit:
            return None
        unit = "item" if self.limit == 1 else "items"
        return f"must have at least {self.limit} {unit}"

    def error_type(self) -> str:
        return "too_short"

    def keywords(self) -> dict[str, Any]:
        return {"minItems": self.limit}


@dataclass(frozen=True)
class MaxItems(Rule):
    """Longest allowed list (the CRD ``maxItems``)."""

    limit: int

    def check(self, value: Any) -> str | None:
        if len(value) <= self.limit:
            return None
        unit = "item" if self.limit == 1 else "items"
        return f"must have at most {self.limit} {unit}"

    def error_type(self) -> str:
        return "too_long"

    def keywords(self) -> dict[str, Any]:
        return {"maxItems": self.limit}


@dataclass(frozen=True)
class Pattern(Rule):
    """A regular expression (the CRD ``pattern``) with a message a user can act on.

    ``regex`` must be anchored and use only syntax shared by Python, ECMA 262 and Go RE2.
    """

    regex: str
    message: str

    def check(self, value: Any) -> str | None:
        return None if re.fullmatch(self.regex, value) else self.message

    def error_type(self) -> str:
        return "invalid_format"

    def keywords(self) -> dict[str, Any]:
        return {"pattern": self.regex}
