"""Small validators shared by every data object and configuration.

Each raises :class:`sim.errors.ValidationError` naming the field, the value and
the allowed range; none of them clips or coerces silently.
"""

from __future__ import annotations

import math

import numpy as np

from sim.errors import ValidationError


def finite(field: str, value: float, unit: str = "") -> float:
    """Return ``float(value)`` if it is a finite number (any sign), else raise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(field, value, f"a finite number [{unit}]") from None
    if not math.isfinite(number):
        raise ValidationError(field, value, f"a finite number [{unit}]")
    return number


def positive(field: str, value: float, unit: str = "") -> float:
    """Return ``float(value)`` if it is finite and > 0, else raise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(field, value, f"a number > 0 {unit}".rstrip()) from None
    if not math.isfinite(number) or number <= 0:
        raise ValidationError(field, value, f"a finite number > 0 {unit}".rstrip())
    return number


def non_negative(field: str, value: float, unit: str = "") -> float:
    """Return ``float(value)`` if it is finite and >= 0, else raise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(field, value, f"a number >= 0 {unit}".rstrip()) from None
    if not math.isfinite(number) or number < 0:
        raise ValidationError(field, value, f"a finite number >= 0 {unit}".rstrip())
    return number


def in_range(field: str, value: float, low: float, high: float, unit: str = "") -> float:
    """Return ``float(value)`` if ``low <= value <= high``, else raise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(field, value, f"a number in [{low}, {high}] {unit}".rstrip()) from None
    if not (math.isfinite(number) and low <= number <= high):
        raise ValidationError(field, value, f"a number in [{low}, {high}] {unit}".rstrip())
    return number


def finite_array(field: str, array, ndim, axes: str, dtype=np.float32) -> np.ndarray:
    """Return ``array`` as ``dtype`` if it has ``ndim`` dimensions and no NaN/inf.

    ``ndim`` is an int or a tuple of allowed ranks; ``axes`` names the
    expected axis order, e.g. ``"(n_rows, n_z, n_x)"``, and is quoted in the
    error so the caller knows how to fix the shape.

    Examples
    --------
    >>> finite_array("image", [[1, 2]], (2, 3), "(rows, cols)").dtype
    dtype('float32')
    """
    array = np.asarray(array)
    ranks = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if array.ndim not in ranks:
        rank = " or ".join(str(n) for n in ranks)
        raise ValidationError(f"{field}.shape", array.shape, f"{rank} axes ordered {axes}")
    if array.size == 0:
        raise ValidationError(f"{field}.shape", array.shape, f"no empty axis in {axes}")
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise ValidationError(f"{field}.dtype", str(array.dtype), "a real numeric type")
    array = np.asarray(array, dtype=dtype)
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValidationError(field, f"<{bad} NaN/inf values>", "finite values only")
    return array


def angles(field: str, angles_deg) -> np.ndarray:
    """Return a non-empty, finite 1-D float64 array of angles in degrees."""
    values = np.atleast_1d(np.asarray(angles_deg, dtype=np.float64))
    if values.ndim != 1 or values.size == 0:
        raise ValidationError(field, angles_deg, "a non-empty 1-D list of angles [deg]")
    if not np.all(np.isfinite(values)):
        raise ValidationError(field, angles_deg, "finite angles [deg]")
    return values


def frozen(array: np.ndarray) -> np.ndarray:
    """Return ``array`` (a view if possible) marked read-only."""
    array = np.asarray(array)
    if array.flags.writeable:
        array = array.view()
        array.flags.writeable = False
    return array
