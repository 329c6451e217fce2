"""The :class:`Volume`: a 3-D scalar field on a cubic voxel grid."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from sim import validate

VOLUME_AXES = "(n_rows, n_z, n_x)"


@dataclass(frozen=True, eq=False)
class Volume:
    """A 3-D array of a physical quantity on a cubic grid.

    Axis order follows TomoPy / Data Exchange: ``(n_rows, n_z, n_x)``. Rows run
    along the tilt axis (slice ``i`` is perpendicular to it); at a tilt of 0°
    the beam runs along the second axis (z); x is the third axis.

    Parameters
    ----------
    data : ndarray, shape (n_rows, n_z, n_x)
        The values, stored as read-only float32. NaN or inf is an error.
    voxel_nm : float
        Edge length of a (cubic) voxel [nm].
    quantity : str
        What the values are, e.g. ``"linear attenuation coefficient"``.
    unit : str
        Unit of the values, e.g. ``"1/nm"``.

    Examples
    --------
    >>> import numpy as np
    >>> v = Volume(np.zeros((4, 8, 8)), voxel_nm=2.0, quantity="mu", unit="1/nm")
    >>> v.shape, v.extent_nm
    ((4, 8, 8), (8.0, 16.0, 16.0))
    """

    data: np.ndarray
    voxel_nm: float
    quantity: str = "unspecified"
    unit: str = ""
    metadata: dict = field(default_factory=dict)

    def __post_init__(self):
        data = validate.finite_array("data", self.data, 3, VOLUME_AXES)
        object.__setattr__(self, "data", validate.frozen(data))
        object.__setattr__(self, "voxel_nm", validate.positive("voxel_nm", self.voxel_nm, "nm"))
        object.__setattr__(self, "metadata", dict(self.metadata))

    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape ``(n_rows, n_z, n_x)``."""
        return tuple(self.data.shape)

    @property
    def extent_nm(self) -> tuple[float, float, float]:
        """Physical size along each axis [nm]."""
        return tuple(float(n * self.voxel_nm) for n in self.data.shape)

    def with_data(self, data: np.ndarray, **changes) -> "Volume":
        """A copy holding ``data`` with the same grid and metadata (or ``changes``)."""
        return replace(self, data=data, **changes)
