"""SART: simultaneous algebraic reconstruction, one subset of views at a time."""

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

GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def subsets(n_angles: int, n_subsets: int) -> list[np.ndarray]:
    """View indices of each subset, in the order SART visits them.

    Subset ``j`` holds views ``j, j + n_subsets, …`` (each spans the whole
    angular range); subsets are visited in golden-section order so that
    consecutive updates come from far-apart directions (Köhler, IEEE NSS
    Conf. Rec. 2004, 3961), which is what makes ordered subsets converge fast
    (Herman & Meyer, IEEE TMI 12, 600 (1993)).

    Examples
    --------
    >>> [s.tolist() for s in subsets(6, 3)]
    [[0, 3], [2, 5], [1, 4]]
    """
    order = np.argsort(np.mod(np.arange(n_subsets) * GOLDEN, 1.0), kind="stable")
    return [np.arange(j, n_angles, n_subsets) for j in order]


@register("sart", "SART (Andersen & Kak 1984) over ordered view subsets, with optional positivity")
def sart(
    series: TiltSeries,
    *,
    n_iter: int = 10,
    n_subsets: int | None = None,
    relaxation: float = 1.0,
    positivity: bool = True,
    shape: tuple[int, int, int] | None = None,
    shifts_px=None,
    axis_offset_px: float = 0.0,
    callback: Callable[[int, np.ndarray, float, float | None], None] | None = None,
    progress: bool = True,
) -> Volume:
    """Reconstruct with SART: for each view subset S, ``x ← x + λ·C_S·A_Sᵀ·R_S·(b_S − A_S·x)``.

    The SIRT update (:func:`recon.sirt.sirt`) restricted to the views of one
    subset: ``R_S`` holds the inverse ray lengths (row sums of ``A_S``) and
    ``C_S`` the inverse column sums of ``A_S`` (Andersen & Kak, Ultrason.
    Imaging 6, 81 (1984), with one view per subset; several views per
    subset is the ordered-subsets form of Censor & Elfving, SIAM J. Matrix
    Anal. Appl. 24, 40 (2002)). One iteration sweeps every subset once, so it
    costs about as much as a SIRT iteration plus one backprojection (the
    column sums of each subset are recomputed to keep memory at a few
    volumes) and it makes ~``n_subsets`` SIRT steps of progress. ``A`` is
    :func:`sim.project` with the pixel size, so the result is in
    [line-integral unit / nm] (μ in 1/nm).

    Parameters
    ----------
    series : TiltSeries
        Line integrals, any angle list.
    n_iter : int
        Number of sweeps over all subsets (≥ 1).
    n_subsets : int, optional
        Number of view subsets, 1 … n_angles (1 is SIRT; n_angles is the
        one-view-per-update SART of Andersen & Kak). Default n_angles.
    relaxation : float
        λ, in (0, 2).
    positivity : bool
        Clip negative values after each subset update (absorption is ≥ 0).
    shape, shifts_px, axis_offset_px
        As in :func:`recon.fbp.fbp`.
    callback : callable, optional
        ``callback(iteration, x, residual, truth_rmse)`` after each sweep, with the
        current estimate ``x`` and the data residual ‖b − A·x‖₂ of the
        estimate before the sweep.
        ``truth_rmse`` is the RMSE against the series' ground truth when it
        carries one (:class:`recon.common.Iterations`), else None.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Volume
        The estimate, with ``metadata["residuals"]``: ‖b − A·x_k‖₂ for
        k = 0 … n_iter − 1 (before each sweep) and the final one.

    Examples
    --------
    >>> import numpy as np, sim
    >>> truth = np.zeros((1, 16, 16), np.float32); truth[0, 5:11, 5:11] = 0.02
    >>> angles = np.linspace(0, 180, 30, endpoint=False)
    >>> s = sim.TiltSeries(sim.project(truth, angles, voxel_nm=2.0), angles_deg=angles,
    ...                    pixel_nm=2.0, values="line integral", unit="1")
    >>> v = sart(s, n_iter=20, n_subsets=10, progress=False)
    >>> round(float(v.data[0, 6:10, 6:10].mean()), 3)
    0.02
    """
    if int(n_iter) != n_iter or n_iter < 1:
        raise ValidationError("n_iter", n_iter, "an integer >= 1")
    relaxation = validate.in_range("relaxation", relaxation, 1e-6, 2 - 1e-6)
    b = line_integrals(series)
    n_angles = b.shape[0]
    if n_subsets is None:
        n_subsets = n_angles
    if int(n_subsets) != n_subsets or not 1 <= n_subsets <= n_angles:
        raise ValidationError("n_subsets", n_subsets, f"an integer in [1, n_angles={n_angles}]")
    n_subsets = int(n_subsets)
    grid = volume_shape(series, shape)
    geom = geometry(series, shifts_px, axis_offset_px)
    voxel = series.pixel_nm

    def A(x, views):
        return project(x, geom.angles_deg[views], voxel_nm=voxel, n_cols=geom.n_cols,
                       shifts_px=geom.shifts_px[views], axis_offset_px=geom.axis_offset_px)

    def At(y, views):
        return backproject(y, geom.angles_deg[views], grid, voxel_nm=voxel,
                           shifts_px=geom.shifts_px[views], axis_offset_px=geom.axis_offset_px)

    everything = np.arange(n_angles)
    row_sums = A(np.ones(grid, np.float32), everything)
    inv_rows = np.divide(1.0, row_sums, out=np.zeros_like(row_sums), where=row_sums > 1e-6 * row_sums.max())
    del row_sums
    order = subsets(n_angles, n_subsets)

    report = Iterations(series, grid, callback)
    x = np.zeros(grid, np.float32)
    residuals = []
    for k in track(range(int(n_iter)), description="SART", total=int(n_iter), enabled=progress):
        residuals.append(float(np.linalg.norm(b - A(x, everything))))
        for views in order:
            col_sums = At(np.ones((views.size,) + b.shape[1:], np.float32), views)
            inv_cols = np.divide(relaxation, col_sums, out=np.zeros_like(col_sums),
                                 where=col_sums > 1e-6 * col_sums.max())
            r = (b[views] - A(x, views)) * inv_rows[views]
            x += inv_cols * At(r, views)
            if positivity:
                np.maximum(x, 0, out=x)
        report(k, x, residuals[-1])
    residuals.append(float(np.linalg.norm(b - A(x, everything))))
    params = {"n_iter": int(n_iter), "n_subsets": n_subsets, "relaxation": relaxation,
              "positivity": positivity, "shape": list(grid)}
    volume = make_volume(x, series, "sart", params)
    report.record(volume)
    volume.metadata["residuals"] = residuals
    return volume
