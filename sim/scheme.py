"""Tilt schemes: which angles are recorded, and in which order.

Angles are in degrees. A scheme keeps the acquisition order, which matters for
dose (radiation damage accumulates in that order) and for stage drift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import validate
from sim.errors import ValidationError

ORDERS = ("sequential", "dose-symmetric", "bidirectional", "as-given")


@dataclass(frozen=True, eq=False)
class TiltScheme:
    """The tilt angles of a series in acquisition order.

    Use the constructors :meth:`range` (start, stop, step or number of views;
    both ends included) or :meth:`from_angles` (an explicit list).

    Examples
    --------
    >>> TiltScheme.range(-4, 4, step_deg=2, order="dose-symmetric").angles_deg.tolist()
    [0.0, 2.0, 4.0, -2.0, -4.0]
    >>> TiltScheme.range(0, 180, n_views=5).angles_deg.tolist()
    [0.0, 45.0, 90.0, 135.0, 180.0]
    """

    angles_deg: np.ndarray
    order: str = "as-given"

    def __post_init__(self):
        object.__setattr__(self, "angles_deg", validate.frozen(validate.angles("angles_deg", self.angles_deg)))
        if self.order not in ORDERS:
            raise ValidationError("order", self.order, f"one of {ORDERS}")

    def __len__(self) -> int:
        return int(self.angles_deg.size)

    @property
    def max_tilt_deg(self) -> float:
        """Largest absolute tilt [deg]."""
        return float(np.max(np.abs(self.angles_deg)))

    @classmethod
    def range(
        cls,
        start_deg: float,
        stop_deg: float,
        *,
        step_deg: float | None = None,
        n_views: int | None = None,
        order: str = "sequential",
        group_size: int = 2,
    ) -> "TiltScheme":
        """Evenly spaced tilts from ``start_deg`` to ``stop_deg``, both included.

        Give exactly one of ``step_deg`` [deg] or ``n_views``. ``order`` is
        ``"sequential"`` (start to stop), ``"dose-symmetric"`` (Hagen et al.,
        J. Struct. Biol. 197, 191 (2017): from the tilt nearest 0°, alternating
        groups of ``group_size`` views on the positive and negative sides) or
        ``"bidirectional"`` (0° to one end, then from 0° to the other).
        """
        start = validate.in_range("start_deg", start_deg, -360, 360, "deg")
        stop = validate.in_range("stop_deg", stop_deg, -360, 360, "deg")
        if stop <= start:
            raise ValidationError("stop_deg", stop_deg, f"> start_deg = {start}")
        if (step_deg is None) == (n_views is None):
            raise ValidationError("step_deg/n_views", (step_deg, n_views), "exactly one of the two")
        if step_deg is not None:
            step = validate.in_range("step_deg", step_deg, 1e-3, stop - start, "deg")
            count = int(np.floor((stop - start) / step + 1e-9)) + 1
            angles = start + step * np.arange(count)
        else:
            if int(n_views) != n_views or n_views < 2:
                raise ValidationError("n_views", n_views, "an integer >= 2")
            angles = np.linspace(start, stop, int(n_views))
        if int(group_size) != group_size or group_size < 1:
            raise ValidationError("group_size", group_size, "an integer >= 1")
        return cls(_ordered(angles, order, int(group_size)), order=order)

    @classmethod
    def from_angles(cls, angles_deg, order: str = "as-given") -> "TiltScheme":
        """An explicit list of tilts [deg], recorded in the given order."""
        angles = validate.angles("angles_deg", angles_deg)
        if order != "as-given":
            angles = _ordered(np.sort(angles), order, 2)
        return cls(angles, order=order)


def _ordered(angles: np.ndarray, order: str, group_size: int) -> np.ndarray:
    if order not in ORDERS:
        raise ValidationError("order", order, f"one of {ORDERS}")
    if order in ("sequential", "as-given"):
        return angles
    zero = int(np.argmin(np.abs(angles)))
    positive = list(angles[zero + 1 :])
    negative = list(angles[:zero][::-1])
    if order == "bidirectional":
        return np.array([angles[zero], *positive, *negative])
    result = [angles[zero]]
    while positive or negative:
        result += positive[:group_size]
        result += negative[:group_size]
        positive, negative = positive[group_size:], negative[group_size:]
    return np.array(result)
