"""Parallel-beam single-axis tilt geometry: the convention, written once.

Coordinates
-----------
A volume has axes ``(n_rows, n_z, n_x)``; a projection stack has axes
``(n_angles, n_rows, n_cols)``. The tilt axis runs along the rows, so volume
row ``r`` projects to detector row ``r`` (plus any per-view row shift). In a
slice, a point at ``(x, z)`` measured from the volume centre (same length unit
as ``u``) lands on the detector at

    u = x·cos θ + z·sin θ

measured from the detector's centre column, so at θ = 0 the beam runs along
the volume's second axis (z) and ``u = x``. A positive θ turns the sample so
that points at positive z move towards positive u.

Positions on the grid: voxel ``i`` along an axis of ``n`` voxels has its
centre at ``(i − (n − 1)/2)·voxel``; detector column ``k`` of ``n_cols`` has
its centre at ``(k − (n_cols − 1)/2)·pixel``. The detector pixel equals the
voxel size.

Two geometric errors of a real stage are part of the geometry:

- ``axis_offset_px``: the tilt axis sits this many columns right of the
  detector centre (the same for every view);
- ``shifts_px``: per view, the image is translated by ``(row, col)`` pixels
  (stage drift; positive moves the image towards higher indices).

So, in detector pixels, ``col = (n_cols − 1)/2 + axis_offset_px + shift_col +
u/voxel`` and ``row = r + shift_row``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import validate
from sim.errors import ValidationError


def detector_u(x, z, theta_deg):
    """Detector coordinate of a point at ``(x, z)`` from the volume centre.

    ``u = x·cos θ + z·sin θ``, in the unit of ``x`` and ``z``; θ in degrees.

    Examples
    --------
    >>> float(detector_u(3.0, 0.0, 0.0)), round(float(detector_u(0.0, 2.0, 90.0)), 12)
    (3.0, 2.0)
    """
    theta = np.deg2rad(theta_deg)
    return np.asarray(x) * np.cos(theta) + np.asarray(z) * np.sin(theta)


@dataclass(frozen=True, eq=False)
class ParallelGeometry:
    """Angles, detector size and stage errors of a parallel-beam tilt series.

    Parameters
    ----------
    angles_deg : array, shape (n_angles,)
        Tilt angles [deg], in acquisition order.
    n_rows, n_cols : int
        Detector size [px]; rows run along the tilt axis.
    shifts_px : array, shape (n_angles, 2), optional
        Per-view image translation ``(row, col)`` [px]. Default zero.
    axis_offset_px : float
        Column offset of the tilt axis from the detector centre [px].

    Examples
    --------
    >>> g = ParallelGeometry([0, 90], n_rows=4, n_cols=9)
    >>> g.column_index(x_px=2.0, z_px=0.0).tolist()   # 4 + 2·cos θ
    [6.0, 4.0]
    """

    angles_deg: np.ndarray
    n_rows: int
    n_cols: int
    shifts_px: np.ndarray | None = None
    axis_offset_px: float = 0.0

    def __post_init__(self):
        angles = validate.angles("angles_deg", self.angles_deg)
        object.__setattr__(self, "angles_deg", validate.frozen(angles))
        for name in ("n_rows", "n_cols"):
            value = getattr(self, name)
            if int(value) != value or value < 1:
                raise ValidationError(name, value, "an integer >= 1 [px]")
            object.__setattr__(self, name, int(value))
        shifts = np.zeros((angles.size, 2)) if self.shifts_px is None else np.asarray(self.shifts_px, float)
        if shifts.shape != (angles.size, 2):
            raise ValidationError("shifts_px.shape", shifts.shape, f"({angles.size}, 2): one (row, col) shift per angle")
        if not np.all(np.isfinite(shifts)):
            raise ValidationError("shifts_px", "<NaN/inf>", "finite shifts [px]")
        object.__setattr__(self, "shifts_px", validate.frozen(shifts))
        offset = float(self.axis_offset_px)
        if not np.isfinite(offset):
            raise ValidationError("axis_offset_px", self.axis_offset_px, "a finite number [px]")
        object.__setattr__(self, "axis_offset_px", offset)

    @property
    def n_angles(self) -> int:
        return int(self.angles_deg.size)

    @property
    def angles_rad(self) -> np.ndarray:
        """Tilt angles [rad], for kernels."""
        return np.deg2rad(self.angles_deg)

    def column_index(self, x_px, z_px):
        """Fractional detector column of a point, for every view.

        ``x_px``, ``z_px``: position from the volume centre [px]. Returns an
        array of shape ``(n_angles,)`` (broadcast with the inputs).
        """
        u = detector_u(x_px, z_px, self.angles_deg)
        return (self.n_cols - 1) / 2 + self.axis_offset_px + self.shifts_px[:, 1] + u

    def row_index(self, row):
        """Fractional detector row of volume row ``row``, for every view."""
        return row + self.shifts_px[:, 0]
