"""Parameter checks shared by the named phantoms (each raises ValidationError naming the field)."""

from __future__ import annotations

from sim import validate
from sim.errors import ValidationError


def count(field: str, value, minimum: int = 0) -> int:
    """An integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or value < minimum:
        raise ValidationError(field, value, f"an integer >= {minimum}")
    return int(value)


def size_range(field: str, value, unit: str = "nm") -> tuple[float, float]:
    """A pair ``(low, high)`` of finite numbers with 0 < low <= high."""
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValidationError(field, value, f"a pair (low, high) with 0 < low <= high [{unit}]") from None
    validate.positive(field, low, unit)
    validate.positive(field, high, unit)
    if low > high:
        raise ValidationError(field, value, f"a pair (low, high) with 0 < low <= high [{unit}]")
    return low, high


def lengths(field: str, value, unit: str = "nm") -> tuple[float, ...]:
    """A non-empty sequence of finite numbers > 0, in increasing order."""
    try:
        values = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise ValidationError(field, value, f"a non-empty list of increasing lengths > 0 [{unit}]") from None
    if not values or any(not b > a for a, b in zip(values, values[1:])):
        raise ValidationError(field, value, f"a non-empty list of increasing lengths > 0 [{unit}]")
    for v in values:
        validate.positive(field, v, unit)
    return values
