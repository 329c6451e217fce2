"""Total-variation regularised least squares, solved with the Chambolle–Pock primal–dual algorithm.

The gradient, divergence and proximal kernels are serial numba loops: they
cost O(1) per voxel against the projector's O(n_views), so threading them
does not pay (on small grids its start-up cost exceeds the work).
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np

from recon.common import Iterations, geometry, line_integrals, make_volume, volume_shape
from recon.registry import register
from sim import validate
from sim.errors import ValidationError
from sim.progress import track
from sim.projector import backproject, project
from sim.tiltseries import TiltSeries
from sim.volume import Volume

POWER_ITERATIONS = 20
POWER_TOLERANCE = 1e-5  # relative change of the eigenvalue estimate; AᵀA's top eigenvalue is well separated (≤ 5 steps)
TV_TO_DATA_NORM = 1.0  # ‖g·∇‖ / ‖A_s‖, Sidky's equal norms (0.5 is faster at small weights, much slower at weight 1)
GRADIENT_NORM_BOUND = np.sqrt(12.0)  # ‖∇‖ ≤ √(4·d) for forward differences in d = 3 dimensions


@numba.njit(cache=True)
def _gradient(x, out):
    """Forward differences along the three axes, zero at the far edge (Neumann)."""
    n0, n1, n2 = x.shape
    for ij in range(n0 * n1):
        i = ij // n1
        j = ij % n1
        for k in range(n2):
            v = x[i, j, k]
            out[0, i, j, k] = x[i + 1, j, k] - v if i + 1 < n0 else 0.0
            out[1, i, j, k] = x[i, j + 1, k] - v if j + 1 < n1 else 0.0
            out[2, i, j, k] = x[i, j, k + 1] - v if k + 1 < n2 else 0.0


@numba.njit(cache=True)
def _divergence(p, out):
    """Backward-difference divergence, the negative adjoint of :func:`_gradient`."""
    _, n0, n1, n2 = p.shape
    for ij in range(n0 * n1):
        i = ij // n1
        j = ij % n1
        for k in range(n2):
            d = 0.0
            if i + 1 < n0:
                d += p[0, i, j, k]
            if i > 0:
                d -= p[0, i - 1, j, k]
            if j + 1 < n1:
                d += p[1, i, j, k]
            if j > 0:
                d -= p[1, i, j - 1, k]
            if k + 1 < n2:
                d += p[2, i, j, k]
            if k > 0:
                d -= p[2, i, j, k - 1]
            out[i, j, k] = d


@numba.njit(cache=True)
def _dual_tv_step(z, x_bar, sigma, scale, bound):
    """``z ← P_{|z|≤bound}(z + σ·scale·∇x̄)``: ascent, then pointwise projection onto the ball."""
    n0, n1, n2 = x_bar.shape
    for ij in range(n0 * n1):
        i = ij // n1
        j = ij % n1
        for k in range(n2):
            v = x_bar[i, j, k]
            g0 = x_bar[i + 1, j, k] - v if i + 1 < n0 else 0.0
            g1 = x_bar[i, j + 1, k] - v if j + 1 < n1 else 0.0
            g2 = x_bar[i, j, k + 1] - v if k + 1 < n2 else 0.0
            a = z[0, i, j, k] + sigma * scale * g0
            b = z[1, i, j, k] + sigma * scale * g1
            c = z[2, i, j, k] + sigma * scale * g2
            norm = np.sqrt(a * a + b * b + c * c)
            shrink = 1.0 if norm <= bound else bound / norm
            z[0, i, j, k] = a * shrink
            z[1, i, j, k] = b * shrink
            z[2, i, j, k] = c * shrink


@numba.njit(cache=True)
def _total_variation(x):
    """Isotropic TV ``Σ_v |∇x|_v`` with forward differences [unit of x]."""
    n0, n1, n2 = x.shape
    total = 0.0
    for ij in range(n0 * n1):
        i = ij // n1
        j = ij % n1
        for k in range(n2):
            v = x[i, j, k]
            g0 = x[i + 1, j, k] - v if i + 1 < n0 else 0.0
            g1 = x[i, j + 1, k] - v if j + 1 < n1 else 0.0
            g2 = x[i, j, k + 1] - v if k + 1 < n2 else 0.0
            total += np.sqrt(g0 * g0 + g1 * g1 + g2 * g2)
    return total


def gradient(x: np.ndarray) -> np.ndarray:
    """Forward-difference gradient of a volume, shape ``(3, *x.shape)`` [unit of x per voxel].

    Differences are taken between neighbouring voxels (not per nm) and are zero
    across the far edge of each axis (Neumann boundary), as in Chambolle,
    J. Math. Imaging Vis. 20, 89 (2004).

    Examples
    --------
    >>> gradient(np.arange(3.0).reshape(1, 1, 3))[2, 0, 0].tolist()
    [1.0, 1.0, 0.0]
    """
    x = np.ascontiguousarray(x)
    out = np.empty((3, *x.shape), x.dtype)
    _gradient(x, out)
    return out


def divergence(p: np.ndarray) -> np.ndarray:
    """Discrete divergence of a field ``p`` of shape ``(3, n0, n1, n2)``: ``⟨∇x, p⟩ = −⟨x, div p⟩``.

    Examples
    --------
    >>> p = np.ones((3, 1, 1, 3)); divergence(p)[0, 0].tolist()
    [1.0, 0.0, -1.0]
    """
    p = np.ascontiguousarray(p)
    out = np.empty(p.shape[1:], p.dtype)
    _divergence(p, out)
    return out


def noise_sigma_of(data: np.ndarray) -> float:
    """Robust estimate of the white-noise standard deviation of projections [unit of data].

    The median absolute Haar detail coefficient along the detector columns,
    ``σ = median|b[2k+1] − b[2k]| / (√2 · 0.6745)`` (Donoho & Johnstone,
    Biometrika 81, 425 (1994)): edges of the object touch few coefficients, so
    the median sees the noise.

    Examples
    --------
    >>> b = np.random.default_rng(0).normal(0.0, 0.1, (4, 8, 256))
    >>> round(noise_sigma_of(b), 2)
    0.1
    """
    data = np.asarray(data, dtype=np.float64)
    n = data.shape[-1] // 2 * 2
    detail = (data[..., 1:n:2] - data[..., 0:n:2]) / np.sqrt(2.0)
    return float(np.median(np.abs(detail)) / 0.6745)


@register("tv", "total-variation regularised least squares with positivity (Chambolle-Pock, Sidky et al. 2012)")
def tv(
    series: TiltSeries,
    *,
    n_iter: int = 200,
    weight: float = 1.0,
    noise_sigma: float | None = None,
    positivity: bool = True,
    shape: tuple[int, int, int] | None = None,
    shifts_px=None,
    axis_offset_px: float = 0.0,
    callback: Callable[[int, np.ndarray, float, float | None], None] | None = None,
    progress: bool = True,
) -> Volume:
    """Reconstruct by minimising a least-squares misfit plus isotropic 3-D total variation.

    The estimate ``x`` (μ [line-integral unit / nm] on the voxel grid, voxel
    ``h = series.pixel_nm``) minimises, subject to ``x ≥ 0`` when
    ``positivity``,

        E(x) = ‖A·x − b‖² / (2·n_views·h) + weight · σ_b · Σ_v |∇x|_v

    with ``A`` the shared projector (:func:`sim.project`, which carries ``h``),
    ``b`` the line integrals, ``∇`` forward differences between neighbouring
    voxels (:func:`gradient`) and ``σ_b`` the noise standard deviation of one
    line integral (``noise_sigma``, or estimated with :func:`noise_sigma_of`).

    Meaning of ``weight`` (dimensionless): dividing the misfit by
    ``n_views·h`` makes its derivative at a voxel the mean data residual over
    the views through it [line-integral unit], ``(Aᵀr)_v / (n_views·h)``,
    because each ray crosses a voxel over a chord ~h. The derivative of the TV
    term at a voxel is ``weight·σ_b`` times a number of order one (the
    subgradient of the jump to its neighbours). So ``weight = 1`` lets TV pull
    a voxel as hard as a mean residual of one noise σ over all views, the
    discrepancy level at which fitting further only fits noise; this balance
    does not depend on the voxel size, the number of views or the unit of μ.
    The default 1.0 is that choice; larger values flatten more (fewer, larger
    plateaus), ``weight = 0`` gives (positivity-constrained) least squares.

    The solver is the Chambolle–Pock primal–dual algorithm (Chambolle & Pock,
    J. Math. Imaging Vis. 40, 120 (2011), Algorithm 1 with θ = 1) for
    ``K = [A; ∇]``, as set up for CT by Sidky, Jørgensen & Pan, Phys. Med.
    Biol. 57, 3065 (2012) (the TV-least-squares example with positivity):
    the norm of the projector is estimated by power iteration on AᵀA (a few
    steps: its top eigenvalue is well separated), the gradient is scaled to
    the same norm (‖∇‖ ≤ √12 in 3-D), and ``L = ‖K‖`` is taken as its
    bound ``√2·‖A‖`` rather than estimated (a second power iteration on KᵀK
    converges slowly and cost as much as 20 iterations; the bound's smaller
    step costs less), σ = τ = 1/L.
    Each iteration costs one projection and one backprojection.
    It iterates on ``u = h·x`` (μ times the voxel edge), in which
    ``h·E`` does not involve ``h``: the same data on a grid of any voxel size
    give the same iterates, and ``x`` scales exactly as 1/h.

    Parameters
    ----------
    series : TiltSeries
        Line integrals, any angle list.
    n_iter : int
        Number of primal–dual iterations (≥ 1).
    weight : float
        Regularisation weight relative to the noise level (≥ 0,
        dimensionless; see above).
    noise_sigma : float, optional
        σ_b, the noise standard deviation of one line integral [unit of the
        series' data]; default: estimated from the data.
    positivity : bool
        Constrain ``x ≥ 0`` (absorption is non-negative).
    shape, shifts_px, axis_offset_px
        As in :func:`recon.fbp.fbp`.
    callback : callable, optional
        ``callback(iteration, x, objective, truth_rmse)`` after each
        iteration, with the current estimate, its primal objective ``E(x)``
        and its RMSE against the series' ground truth when it carries one
        (:class:`recon.common.Iterations`), else None.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Volume
        The estimate [line-integral unit / nm], with ``metadata["objective"]``:
        ``E(x_k)`` for k = 1 … n_iter, and ``metadata["params"]`` recording the
        σ_b used.

    Examples
    --------
    >>> import numpy as np, sim
    >>> truth = np.zeros((1, 16, 16), np.float32); truth[0, 5:11, 5:11] = 0.02
    >>> angles = np.linspace(0, 180, 30, endpoint=False)
    >>> s = sim.TiltSeries(sim.project(truth, angles, voxel_nm=2.0), angles_deg=angles,
    ...                    pixel_nm=2.0, values="line integral", unit="1")
    >>> v = tv(s, n_iter=300, weight=0.0, progress=False)
    >>> round(float(v.data[0, 6:10, 6:10].mean()), 3)
    0.02
    """
    if isinstance(n_iter, bool) or int(n_iter) != n_iter or n_iter < 1:
        raise ValidationError("n_iter", n_iter, "an integer >= 1")
    weight = validate.non_negative("weight", weight)
    b = line_integrals(series)
    sigma_b = noise_sigma_of(b) if noise_sigma is None else validate.non_negative("noise_sigma", noise_sigma)
    grid = volume_shape(series, shape)
    geom = geometry(series, shifts_px, axis_offset_px)
    h = float(series.pixel_nm)
    kwargs = dict(voxel_nm=h, shifts_px=geom.shifts_px, axis_offset_px=geom.axis_offset_px)

    # Iterate on u = h·x (μ times the voxel edge: line integral per voxel, independent of h), where
    # E = [½‖A_s u − b_s‖² + weight·σ_b·Σ|∇u|] / h with A_s = A/(h·√n_views), b_s = b/√n_views:
    # the iterates are then the same for every voxel size. The TV operator is scaled to ‖A_s‖.
    data_scale = np.float32(1.0 / (h * np.sqrt(len(geom.angles_deg))))
    A = lambda u: project(u, geom.angles_deg, n_cols=geom.n_cols, **kwargs) * data_scale  # noqa: E731
    At = lambda y: backproject(y * data_scale, geom.angles_deg, grid, **kwargs)  # noqa: E731
    b_s = (b * np.float32(h) * data_scale).astype(np.float32)
    norm_a = _power_norm(lambda u: At(A(u)), grid)
    grad_scale = np.float32(TV_TO_DATA_NORM * norm_a / GRADIENT_NORM_BOUND)
    lam = weight * sigma_b
    bound = np.float32(lam / grad_scale)
    norm_k = norm_a * np.sqrt(1.0 + TV_TO_DATA_NORM**2)  # ‖K‖² ≤ ‖A_s‖² + g²·‖∇‖²
    step = np.float32(1.0 / (1.01 * norm_k))

    report = Iterations(series, grid, callback)
    u = np.zeros(grid, np.float32)
    u_bar = u.copy()
    Au = np.zeros_like(b_s)
    Au_bar = Au.copy()
    y = np.zeros_like(b_s)
    z = np.zeros((3, *grid), np.float32)
    objective = []
    for k in track(range(int(n_iter)), description="TV", total=int(n_iter), enabled=progress):
        y += step * (Au_bar - b_s)
        y /= 1 + step
        _dual_tv_step(z, u_bar, step, grad_scale, bound)
        u_new = u - step * (At(y) - grad_scale * divergence(z))
        if positivity:
            np.maximum(u_new, 0, out=u_new)
        Au_new = A(u_new)
        u_bar = 2 * u_new - u
        Au_bar = 2 * Au_new - Au
        u, Au = u_new, Au_new
        misfit = 0.5 * np.sum((Au - b_s).astype(np.float64) ** 2)
        objective.append(float((misfit + lam * _total_variation(u)) / h))
        if callback is not None:
            report(k, u / np.float32(h), objective[-1])
    x = u / np.float32(h)
    params = {
        "n_iter": int(n_iter),
        "weight": weight,
        "noise_sigma": sigma_b,
        "positivity": positivity,
        "shape": list(grid),
    }
    volume = make_volume(x, series, "tv", params)
    volume.metadata["objective"] = objective
    return report.record(volume)


def _power_norm(normal_operator: Callable[[np.ndarray], np.ndarray], grid) -> float:
    """‖K‖ from power iteration on the normal operator KᵀK (a fixed seed: deterministic).

    Stops when the eigenvalue estimate changes by less than
    :data:`POWER_TOLERANCE` (relative), at most :data:`POWER_ITERATIONS` steps.
    """
    v = np.random.default_rng(0).random(grid, dtype=np.float32)
    eigenvalue = 0.0
    for _ in range(POWER_ITERATIONS):
        v /= np.linalg.norm(v)
        w = normal_operator(v)
        previous, eigenvalue = eigenvalue, float(np.vdot(v, w))
        v = w
        if abs(eigenvalue - previous) <= POWER_TOLERANCE * eigenvalue:
            break
    return float(np.sqrt(eigenvalue))
