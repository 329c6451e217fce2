"""The one error type for bad input.

Every validation failure in nanotomo raises :class:`ValidationError`, a
``ValueError`` subclass whose message names the field, the value and what is
allowed, so a user can fix the call without reading the source.
"""

from __future__ import annotations


class ValidationError(ValueError):
    """Bad input: names the field, the offending value and the allowed range.

    Examples
    --------
    >>> raise ValidationError("voxel_nm", -1.0, "> 0 nm")
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: voxel_nm = -1.0 is not allowed; allowed: > 0 nm
    """

    def __init__(self, field: str, value: object, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field} = {_short(value)} is not allowed; allowed: {allowed}")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
