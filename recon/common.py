"""What every method needs: checking a series, choosing the grid, angular weights."""

from __future__ import annotations

import numpy as np

from sim.errors import ValidationError
from sim.geometry import ParallelGeometry
from sim.tiltseries import LINEAR_VALUES, TiltSeries
from sim.units import per_nm
from sim.volume import Volume


def line_integrals(series: TiltSeries) -> np.ndarray:
    """The series' data if it holds line integrals, else a clear error."""
    if not isinstance(series, TiltSeries):
        raise ValidationError("series", type(series).__name__, "a sim.TiltSeries")
    if series.values not in LINEAR_VALUES:
        raise ValidationError(
            "series.values",
            series.values,
            f"one of {LINEAR_VALUES}; convert counts first with series.to_line_integrals()",
        )
    return np.ascontiguousarray(series.data)


def volume_shape(series: TiltSeries, shape) -> tuple[int, int, int]:
    """The grid to reconstruct on: ``shape``, else the ground truth's, else ``(n_rows, n_cols, n_cols)``."""
    n_rows, n_cols = series.data.shape[1:]
    if shape is None:
        if series.ground_truth is not None and series.ground_truth.shape[0] == n_rows:
            return series.ground_truth.shape
        return (n_rows, n_cols, n_cols)
    shape = tuple(int(n) for n in shape)
    if len(shape) != 3 or min(shape) < 1 or shape[0] != n_rows:
        raise ValidationError("shape", shape, f"(n_rows={n_rows}, n_z >= 1, n_x >= 1)")
    return shape


def geometry(series: TiltSeries, shifts_px, axis_offset_px: float) -> ParallelGeometry:
    """The geometry a method assumes: the series' angles with the given (estimated) shifts.

    The true shifts recorded in a simulated series are not used: correcting
    them is alignment's job, so a method sees only what a user would give it.
    """
    _, n_rows, n_cols = series.data.shape
    return ParallelGeometry(series.angles_deg, n_rows, n_cols, shifts_px, axis_offset_px)


def result_unit(series: TiltSeries) -> str:
    """Unit of a reconstruction: the line-integral unit per nm (``sim.units.per_nm``)."""
    return per_nm(series.unit)


def result_quantity(series: TiltSeries) -> str:
    """What the reconstruction estimates: the ground truth's quantity if known."""
    return series.ground_truth.quantity if series.ground_truth is not None else f"reconstructed {series.values}"


def make_volume(data: np.ndarray, series: TiltSeries, method: str, params: dict) -> Volume:
    """Wrap reconstructed ``data`` as a :class:`Volume` with units and provenance."""
    metadata = {"method": method, "params": params, "series_provenance": series.provenance}
    return Volume(data, voxel_nm=series.pixel_nm, quantity=result_quantity(series), unit=result_unit(series), metadata=metadata)


def angular_weights(angles_deg) -> np.ndarray:
    """Angular integration weights [rad] for a filtered backprojection.

    Each view gets half the angular distance to its neighbours on the 180°
    circle (directions θ and θ + 180° are the same line set), so any angle list
    works: uneven steps, duplicates (0° and 180°) share their weight, and a
    missing wedge (a gap wider than 3× the median step) is not filled: the
    views at its edges get one median step on that side. For N even views over
    180° every weight is π/N.

    Examples
    --------
    >>> np.allclose(angular_weights(np.arange(0, 180, 45)), np.pi / 4)
    True
    """
    angles = np.mod(np.asarray(angles_deg, dtype=np.float64), 180.0)
    order = np.argsort(angles, kind="stable")
    sorted_angles = angles[order]
    gaps = np.diff(np.concatenate([sorted_angles, [sorted_angles[0] + 180.0]]))
    if angles.size == 1:
        return np.array([np.pi])
    positive = gaps[gaps > 1e-9]
    step = np.median(positive) if positive.size else 180.0
    gaps = np.where(gaps > 3.0 * step, step, gaps)
    before = np.roll(gaps, 1)
    weights = np.empty_like(angles)
    weights[order] = 0.5 * (before + gaps)
    return np.deg2rad(weights)


class Iterations:
    """What an iterative method reports after each iteration, to the user's callback.

    ``report(k, x, value)`` calls ``callback(k, x, value, truth_rmse)``:
    ``value`` is the method's residual or objective, ``truth_rmse`` the RMSE
    of the estimate ``x`` against the series' ground truth [unit of the
    truth] when the series carries one on the reconstruction grid, else
    None. The errors are computed only when there is a callback (they cost a
    pass over the volume) and kept in :attr:`truth_rmse` for the result's
    metadata.

    Examples
    --------
    >>> import sim
    >>> truth = sim.Volume(np.ones((1, 2, 2), np.float32), voxel_nm=1.0)
    >>> s = sim.TiltSeries(np.zeros((1, 1, 2)), angles_deg=[0.0], pixel_nm=1.0, values="line integral",
    ...                    ground_truth=truth)
    >>> seen = []
    >>> report = Iterations(s, (1, 2, 2), lambda k, x, value, error: seen.append((k, value, error)))
    >>> report(0, np.zeros((1, 2, 2), np.float32), 2.5)
    >>> seen
    [(0, 2.5, 1.0)]
    """

    def __init__(self, series: TiltSeries, grid, callback):
        truth = series.ground_truth
        wanted = callback is not None and truth is not None and truth.shape == tuple(grid)
        self._truth = truth.data if wanted else None
        self._callback = callback
        self.truth_rmse: list[float] = []

    def __call__(self, k: int, x: np.ndarray, value: float) -> None:
        if self._callback is None:
            return
        error = None
        if self._truth is not None:
            error = float(np.sqrt(np.mean(np.square(x - self._truth), dtype=np.float64)))
            self.truth_rmse.append(error)
        self._callback(k, x, value, error)

    def record(self, volume: Volume) -> Volume:
        """Add ``metadata["truth_rmse"]`` (one per iteration) to ``volume`` when errors were computed."""
        if self.truth_rmse:
            volume.metadata["truth_rmse"] = self.truth_rmse
        return volume
