"""How well a reconstruction explains its data: the relative data residual.

``‖A·x − b‖ / ‖b‖`` with ``A`` the shared projector (:func:`sim.project`) in the
geometry a method assumed (the series' angles and, if given, estimated shifts
and tilt-axis offset) and ``b`` the series' line integrals. Dimensionless. A
reconstruction that fits noise-free, well-sampled data has a residual near
0; with noise the floor is the noise's share of ``‖b‖``, so a residual far
below it means the method fits the noise.
"""

from __future__ import annotations

import numpy as np

from sim.errors import ValidationError
from sim.projector import project
from sim.tiltseries import LINEAR_VALUES, TiltSeries
from sim.volume import Volume


def data_residual(volume, series: TiltSeries, *, shifts_px=None, axis_offset_px: float = 0.0) -> float:
    """Relative data residual ``‖A·x − b‖ / ‖b‖`` [1] of ``volume`` against ``series``' line integrals.

    Parameters
    ----------
    volume : Volume or ndarray (n_rows, n_z, n_x)
        The reconstruction; a plain array is taken to have voxels of ``series.pixel_nm``.
    series : TiltSeries
        Line integrals (``values`` one of ``"line integral"``, ``"-log transmission"``, ``"phase"``).
    shifts_px, axis_offset_px
        The per-view shifts [px] and tilt-axis offset [px] the method assumed (default none).

    Examples
    --------
    >>> import numpy as np, sim
    >>> x = np.zeros((2, 8, 8), np.float32); x[:, 3:5, 3:5] = 1.0
    >>> angles = np.linspace(0, 180, 12, endpoint=False)
    >>> s = sim.TiltSeries(sim.project(x, angles, voxel_nm=1.0), angles_deg=angles, pixel_nm=1.0,
    ...                    values="line integral")
    >>> data_residual(x, s) < 1e-6
    True
    """
    if not isinstance(series, TiltSeries):
        raise ValidationError("series", type(series).__name__, "a sim.TiltSeries")
    if series.values not in LINEAR_VALUES:
        raise ValidationError("series.values", series.values, f"one of {LINEAR_VALUES}; convert counts with to_line_integrals()")
    data = volume.data if isinstance(volume, Volume) else np.asarray(volume, np.float32)
    if data.ndim != 3 or data.shape[0] != series.data.shape[1]:
        raise ValidationError("volume.shape", data.shape, f"(n_rows={series.data.shape[1]}, n_z, n_x)")
    voxel_nm = volume.voxel_nm if isinstance(volume, Volume) else series.pixel_nm
    model = project(data, series.angles_deg, voxel_nm=voxel_nm, n_cols=series.data.shape[2],
                    shifts_px=shifts_px, axis_offset_px=axis_offset_px)
    measured = np.asarray(series.data, np.float64)
    norm = float(np.linalg.norm(measured))
    if norm == 0:
        raise ValidationError("series.data", "<all zero>", "line integrals with some signal")
    return float(np.linalg.norm(model - measured) / norm)
