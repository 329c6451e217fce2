"""CGLS: conjugate gradients on the normal equations of the projector."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from recon.common import Iterations, geometry, line_integrals, make_volume, volume_shape
from recon.registry import register
from sim.errors import ValidationError
from sim.progress import track
from sim.projector import backproject, project
from sim.tiltseries import TiltSeries
from sim.volume import Volume


def _view_weights(series: TiltSeries, dose_weighting: bool) -> np.ndarray | None:
    """Square roots of the per-view weights ``W = diag(dose / mean dose)``, shape (n_angles, 1, 1), or None."""
    if not dose_weighting:
        return None
    dose = series.dose_per_view
    if dose is None or not np.any(dose > 0):
        raise ValidationError("dose_weighting", True, "False unless series.dose_per_view is set with a dose > 0")
    return np.sqrt(dose / dose.mean()).astype(np.float32)[:, None, None]


@register("cgls", "CGLS (Hestenes & Stiefel 1952; Björck 1996): least squares by conjugate gradients")
def cgls(
    series: TiltSeries,
    *,
    n_iter: int = 20,
    dose_weighting: bool = False,
    shape: tuple[int, int, int] | None = None,
    shifts_px=None,
    axis_offset_px: float = 0.0,
    callback: Callable[[int, np.ndarray, float, float | None], None] | None = None,
    progress: bool = True,
) -> Volume:
    """Reconstruct by CGLS: minimise ``‖W^½·(A·x − b)‖₂²`` with conjugate gradients.

    Conjugate gradients applied to the normal equations ``AᵀW·A·x = AᵀW·b``
    without forming them (algorithm CGLS of Björck, *Numerical Methods for
    Least Squares Problems*, SIAM 1996, §7.4; Hestenes & Stiefel, J. Res.
    NBS 49, 409 (1952)). Starting from x₀ = 0, iterate k minimises the data
    residual over the Krylov space 𝒦ₖ(AᵀWA, AᵀWb), so ‖W^½(b − A·xₖ)‖ never
    increases (in exact arithmetic); the iteration count is the
    regularisation (semi-convergence on noisy data, Hansen, *Discrete Inverse
    Problems*, SIAM 2010, ch. 6). ``A`` is :func:`sim.project` with the pixel
    size, so the result is in [line-integral unit / nm] (μ in 1/nm). No
    positivity: a clip would break the conjugacy.

    Parameters
    ----------
    series : TiltSeries
        Line integrals, any angle list.
    n_iter : int
        Number of CG iterations (≥ 1).
    dose_weighting : bool
        Weight each view by its dose, ``W = diag(dose / mean dose)`` (a
        weighted least-squares data term: a view's line-integral variance goes
        as 1/dose). Needs ``series.dose_per_view``. Default off (``W = 1``).
    shape, shifts_px, axis_offset_px
        As in :func:`recon.fbp.fbp`.
    callback : callable, optional
        ``callback(iteration, x, residual, truth_rmse)`` after each iteration, with the
        current estimate ``x`` and the residual ‖W^½(b − A·x)‖₂ of the
        estimate before the update.
        ``truth_rmse`` is the RMSE against the series' ground truth when it
        carries one (:class:`recon.common.Iterations`), else None.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Volume
        The estimate, with ``metadata["residuals"]``: ‖W^½(b − A·x_k)‖₂ for
        k = 0 … n_iter (before each update, then the final one), from the
        CGLS residual recurrence.

    Examples
    --------
    >>> import numpy as np, sim
    >>> truth = np.zeros((1, 16, 16), np.float32); truth[0, 5:11, 5:11] = 0.02
    >>> angles = np.linspace(0, 180, 30, endpoint=False)
    >>> s = sim.TiltSeries(sim.project(truth, angles, voxel_nm=2.0), angles_deg=angles,
    ...                    pixel_nm=2.0, values="line integral", unit="1")
    >>> v = cgls(s, n_iter=30, progress=False)
    >>> round(float(v.data[0, 6:10, 6:10].mean()), 3)
    0.02
    """
    if int(n_iter) != n_iter or n_iter < 1:
        raise ValidationError("n_iter", n_iter, "an integer >= 1")
    b = line_integrals(series)
    root_w = _view_weights(series, dose_weighting)
    grid = volume_shape(series, shape)
    geom = geometry(series, shifts_px, axis_offset_px)
    kwargs = dict(voxel_nm=series.pixel_nm, shifts_px=geom.shifts_px, axis_offset_px=geom.axis_offset_px)
    A = lambda x: project(x, geom.angles_deg, n_cols=geom.n_cols, **kwargs)  # noqa: E731
    At = lambda y: backproject(y, geom.angles_deg, grid, **kwargs)  # noqa: E731
    if root_w is not None:
        A_plain, At_plain = A, At
        A = lambda x: root_w * A_plain(x)  # noqa: E731
        At = lambda y: At_plain(root_w * y)  # noqa: E731
        b = root_w * b

    report = Iterations(series, grid, callback)
    x = np.zeros(grid, np.float32)
    r = b.astype(np.float32, copy=True)
    s = At(r)
    p = s.copy()
    gamma = float(np.vdot(s, s))
    residuals = [float(np.linalg.norm(r))]
    for k in track(range(int(n_iter)), description="CGLS", total=int(n_iter), enabled=progress):
        if gamma > 0:
            q = A(p)
            alpha = gamma / float(np.vdot(q, q))
            x += np.float32(alpha) * p
            r -= np.float32(alpha) * q
            s = At(r)
            gamma_next = float(np.vdot(s, s))
            p *= np.float32(gamma_next / gamma)
            p += s
            gamma = gamma_next
        report(k, x, residuals[-1])
        residuals.append(float(np.linalg.norm(r)))
    params = {"n_iter": int(n_iter), "dose_weighting": bool(dose_weighting), "shape": list(grid)}
    volume = make_volume(x, series, "cgls", params)
    report.record(volume)
    volume.metadata["residuals"] = residuals
    return volume
