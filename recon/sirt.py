"""SIRT: the simultaneous iterative reconstruction technique."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from recon.common import Iterations, geometry, line_integrals, make_volume, volume_shape
from recon.registry import register
from sim import validate
from sim.errors import ValidationError
from sim.progress import track
from sim.projector import backproject, project
from sim.tiltseries import TiltSeries
from sim.volume import Volume


@register("sirt", "SIRT (Gilbert 1972) with optional positivity, on the shared projector pair")
def sirt(
    series: TiltSeries,
    *,
    n_iter: int = 50,
    relaxation: float = 1.0,
    positivity: bool = True,
    shape: tuple[int, int, int] | None = None,
    shifts_px=None,
    axis_offset_px: float = 0.0,
    callback: Callable[[int, np.ndarray, float, float | None], None] | None = None,
    progress: bool = True,
) -> Volume:
    """Reconstruct with SIRT: ``x ← x + λ·C·Aᵀ·R·(b − A·x)``.

    ``R`` and ``C`` are the inverse row and column sums of the projector
    ``A`` (:func:`sim.project`), so the iteration decreases the R-weighted
    data residual for 0 < λ < 2 and converges to a weighted least-squares
    solution (Gregor & Benson, IEEE TMI 27, 918 (2008)). The projector
    carries the pixel size, so the result is in [line-integral unit / nm]
    (μ in 1/nm) whatever the pixel size.

    Parameters
    ----------
    series : TiltSeries
        Line integrals, any angle list.
    n_iter : int
        Number of iterations (≥ 1).
    relaxation : float
        λ, in (0, 2).
    positivity : bool
        Clip negative values after each iteration (absorption is ≥ 0).
    shape, shifts_px, axis_offset_px
        As in :func:`recon.fbp.fbp`.
    callback : callable, optional
        ``callback(iteration, x, residual, truth_rmse)`` after each iteration, with the
        current estimate ``x`` and the data residual ‖b − A·x‖₂ of the
        estimate before the update.
        ``truth_rmse`` is the RMSE against the series' ground truth when it
        carries one (:class:`recon.common.Iterations`), else None.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Volume
        The estimate, with ``metadata["residuals"]``: ‖b − A·x_k‖₂ for
        k = 0 … n_iter − 1 (before each update) and the final one.

    Examples
    --------
    >>> import numpy as np, sim
    >>> truth = np.zeros((1, 16, 16), np.float32); truth[0, 5:11, 5:11] = 0.02
    >>> angles = np.linspace(0, 180, 30, endpoint=False)
    >>> s = sim.TiltSeries(sim.project(truth, angles, voxel_nm=2.0), angles_deg=angles,
    ...                    pixel_nm=2.0, values="line integral", unit="1")
    >>> v = sirt(s, n_iter=200, progress=False)
    >>> round(float(v.data[0, 6:10, 6:10].mean()), 3)
    0.02
    """
    if int(n_iter) != n_iter or n_iter < 1:
        raise ValidationError("n_iter", n_iter, "an integer >= 1")
    relaxation = validate.in_range("relaxation", relaxation, 1e-6, 2 - 1e-6)
    b = line_integrals(series)
    grid = volume_shape(series, shape)
    geom = geometry(series, shifts_px, axis_offset_px)
    kwargs = dict(voxel_nm=series.pixel_nm, shifts_px=geom.shifts_px, axis_offset_px=geom.axis_offset_px)
    A = lambda x: project(x, geom.angles_deg, n_cols=geom.n_cols, **kwargs)  # noqa: E731
    At = lambda y: backproject(y, geom.angles_deg, grid, **kwargs)  # noqa: E731

    row_sums = A(np.ones(grid, np.float32))
    inv_rows = np.divide(1.0, row_sums, out=np.zeros_like(row_sums), where=row_sums > 1e-6 * row_sums.max())
    col_sums = At(np.ones(b.shape, np.float32))
    inv_cols = np.divide(relaxation, col_sums, out=np.zeros_like(col_sums), where=col_sums > 1e-6 * col_sums.max())
    del row_sums, col_sums

    report = Iterations(series, grid, callback)
    x = np.zeros(grid, np.float32)
    residuals = []
    for k in track(range(int(n_iter)), description="SIRT", total=int(n_iter), enabled=progress):
        r = b - A(x)
        residuals.append(float(np.linalg.norm(r)))
        r *= inv_rows
        x += inv_cols * At(r)
        if positivity:
            np.maximum(x, 0, out=x)
        report(k, x, residuals[-1])
    residuals.append(float(np.linalg.norm(b - A(x))))
    params = {"n_iter": int(n_iter), "relaxation": relaxation, "positivity": positivity, "shape": list(grid)}
    volume = make_volume(x, series, "sirt", params)
    report.record(volume)
    volume.metadata["residuals"] = residuals
    return volume
