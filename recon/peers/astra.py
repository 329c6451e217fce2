"""ASTRA Toolbox peers: its CPU 2-D parallel-beam FBP, SIRT and CGLS, slice by slice.

The ASTRA Toolbox (van Aarle et al., Opt. Express 24, 25129 (2016)) is
optional (``pip install "nanotomo[peers]"``) and imported only when a method
runs. Its geometry is mapped onto nanotomo's (``sim/geometry.py``): a volume
row ``(n_z, n_x)`` is an ASTRA image with ``n_z`` rows and ``n_x`` columns,
the detector keeps its orientation and ASTRA's angle is ``−θ``: ASTRA's
detector axis is ``x·cos φ + y·sin φ`` with ``y`` pointing up (towards lower
row indices, ``y = −z``), so ``φ = −θ`` gives ``u = x·cos θ + z·sin θ``. Both
centre the grid and the detector at ``(n − 1)/2``. This is the mapping
``benchmarks/bench_projector.py`` finds empirically; its ``linear``
projector then matches :func:`sim.project` to 0.25 % relative RMS on
off-centre blobs (48², 37 views). ASTRA works in units of one pixel, so its
result is divided by the pixel size [nm] to give [line-integral unit / nm],
like :func:`recon.fbp.fbp`.

Per-view shifts and a tilt-axis offset are not supported (ASTRA's CPU FBP
takes only the plain ``parallel`` geometry); a non-zero one is refused.
"""

from __future__ import annotations

import numpy as np

from recon.common import geometry, line_integrals, make_volume, volume_shape
from recon.registry import register
from sim.errors import ValidationError
from sim.progress import track
from sim.tiltseries import TiltSeries
from sim.volume import Volume

FILTERS = ("ram-lak", "shepp-logan", "cosine", "hamming", "hann", "none")
PROJECTORS = ("linear", "strip")


def _astra():
    """The ``astra`` module, or a one-line error naming the extra that installs it."""
    try:
        import astra
    except ImportError:
        raise ModuleNotFoundError('ASTRA Toolbox not installed: pip install "nanotomo[peers]"', name="astra") from None
    return astra


def _reconstruct(series, algorithm, *, shape, shifts_px, axis_offset_px, projector, options, n_iter, progress, name, params):
    """Run ASTRA ``algorithm`` on every detector row of ``series``; wrap the stack as a Volume."""
    astra = _astra()
    if projector not in PROJECTORS:
        raise ValidationError("projector", projector, f"one of {PROJECTORS}")
    data = line_integrals(series)
    grid = volume_shape(series, shape)
    geom = geometry(series, shifts_px, axis_offset_px)
    if geom.axis_offset_px != 0 or np.any(geom.shifts_px != 0):
        raise ValidationError("shifts_px/axis_offset_px", "non-zero", f"zero: {name} does not support stage errors")
    vol_geom = astra.create_vol_geom(grid[1], grid[2])
    proj_geom = astra.create_proj_geom("parallel", 1.0, geom.n_cols, -geom.angles_rad)
    projector_id = astra.create_projector(projector, proj_geom, vol_geom)
    sino_id = astra.data2d.create("-sino", proj_geom, 0.0)
    rec_id = astra.data2d.create("-vol", vol_geom, 0.0)
    config = astra.astra_dict(algorithm)
    config.update(ProjectorId=projector_id, ProjectionDataId=sino_id, ReconstructionDataId=rec_id, option=options)
    result = np.empty(grid, np.float32)
    try:
        for row in track(range(grid[0]), description=name, total=grid[0], enabled=progress):
            astra.data2d.store(sino_id, data[:, row, :])
            astra.data2d.store(rec_id, 0.0)
            # A fresh algorithm per row: ASTRA's CGLS keeps its residual between runs.
            algorithm_id = astra.algorithm.create(config)
            try:
                astra.algorithm.run(algorithm_id, n_iter)
            finally:
                astra.algorithm.delete(algorithm_id)
            result[row] = astra.data2d.get_shared(rec_id)
    finally:
        astra.data2d.delete([sino_id, rec_id])
        astra.projector.delete(projector_id)
    result /= np.float32(series.pixel_nm)
    return make_volume(result, series, name, {**params, "projector": projector, "shape": list(grid)})


def _check_n_iter(n_iter) -> int:
    """``n_iter`` as an int, or an error unless it is an integer ≥ 1."""
    if int(n_iter) != n_iter or n_iter < 1:
        raise ValidationError("n_iter", n_iter, "an integer >= 1")
    return int(n_iter)


@register("astra-fbp", "ASTRA Toolbox CPU filtered backprojection (peer; needs the 'peers' extra)")
def astra_fbp(
    series: TiltSeries,
    *,
    filter: str = "ram-lak",
    projector: str = "linear",
    shape: tuple[int, int, int] | None = None,
    shifts_px=None,
    axis_offset_px: float = 0.0,
    progress: bool = True,
) -> Volume:
    """ASTRA's CPU FBP, row by row, in nanotomo's geometry and units.

    Parameters
    ----------
    series : TiltSeries
        Line integrals; ASTRA weights every view by π/n_angles, so the angles
        should cover 180° evenly.
    filter : str
        An ASTRA filter name: ``"ram-lak"``, ``"shepp-logan"``, ``"cosine"``,
        ``"hamming"``, ``"hann"`` or ``"none"``.
    projector : str
        ASTRA projector, ``"linear"`` or ``"strip"``.
    shape : (n_rows, n_z, n_x), optional
        As in :func:`recon.fbp.fbp`.
    shifts_px, axis_offset_px
        Must be zero (refused otherwise).
    progress : bool
        Show a progress bar over the rows.

    Returns
    -------
    Volume
        The field in [line-integral unit / nm] (μ in 1/nm).

    Examples
    --------
    >>> import numpy as np, sim
    >>> truth = np.zeros((1, 32, 32), np.float32); truth[0, 12:20, 12:20] = 0.01   # μ [1/nm]
    >>> angles = np.linspace(0, 180, 90, endpoint=False)
    >>> s = sim.TiltSeries(sim.project(truth, angles, voxel_nm=5.0), angles_deg=angles,
    ...                    pixel_nm=5.0, values="line integral", unit="1")
    >>> v = astra_fbp(s, progress=False)
    >>> v.unit, round(float(v.data[0, 14:18, 14:18].mean()), 3)
    ('1/nm', 0.01)
    """
    if filter not in FILTERS:
        raise ValidationError("filter", filter, f"one of {FILTERS}")
    options = {"FilterType": filter}
    kwargs = dict(shape=shape, shifts_px=shifts_px, axis_offset_px=axis_offset_px, projector=projector)
    params = {"filter": filter}
    return _reconstruct(series, "FBP", **kwargs, options=options, n_iter=1, progress=progress, name="astra-fbp", params=params)


@register("astra-sirt", "ASTRA Toolbox CPU SIRT (peer; needs the 'peers' extra)")
def astra_sirt(
    series: TiltSeries,
    *,
    n_iter: int = 50,
    positivity: bool = True,
    projector: str = "linear",
    shape: tuple[int, int, int] | None = None,
    shifts_px=None,
    axis_offset_px: float = 0.0,
    progress: bool = True,
) -> Volume:
    """ASTRA's CPU SIRT (``x ← x + C·Aᵀ·R·(b − A·x)``, Gregor & Benson 2008), row by row.

    Parameters
    ----------
    series : TiltSeries
        Line integrals, any angle list.
    n_iter : int
        Iterations (≥ 1), from zero.
    positivity : bool
        ASTRA's ``MinConstraint`` 0 (clip negatives after each iteration).
    projector, shape, shifts_px, axis_offset_px, progress
        As in :func:`astra_fbp`.

    Returns
    -------
    Volume
        The estimate in [line-integral unit / nm].

    Examples
    --------
    >>> import numpy as np, sim
    >>> truth = np.zeros((1, 16, 16), np.float32); truth[0, 5:11, 5:11] = 0.02
    >>> angles = np.linspace(0, 180, 30, endpoint=False)
    >>> s = sim.TiltSeries(sim.project(truth, angles, voxel_nm=2.0), angles_deg=angles,
    ...                    pixel_nm=2.0, values="line integral", unit="1")
    >>> round(float(astra_sirt(s, n_iter=200, progress=False).data[0, 6:10, 6:10].mean()), 3)
    0.02
    """
    n_iter = _check_n_iter(n_iter)
    options = {"MinConstraint": 0.0} if positivity else {}
    kwargs = dict(shape=shape, shifts_px=shifts_px, axis_offset_px=axis_offset_px, projector=projector)
    params = {"n_iter": n_iter, "positivity": bool(positivity)}
    return _reconstruct(series, "SIRT", **kwargs, options=options, n_iter=n_iter, progress=progress, name="astra-sirt",
                        params=params)


@register("astra-cgls", "ASTRA Toolbox CPU CGLS (peer; needs the 'peers' extra)")
def astra_cgls(
    series: TiltSeries,
    *,
    n_iter: int = 20,
    projector: str = "linear",
    shape: tuple[int, int, int] | None = None,
    shifts_px=None,
    axis_offset_px: float = 0.0,
    progress: bool = True,
) -> Volume:
    """ASTRA's CPU CGLS (conjugate gradients on ``AᵀA·x = Aᵀb``, Hestenes & Stiefel 1952), row by row.

    Parameters
    ----------
    series : TiltSeries
        Line integrals, any angle list.
    n_iter : int
        Iterations (≥ 1), from zero.
    projector, shape, shifts_px, axis_offset_px, progress
        As in :func:`astra_fbp`.

    Returns
    -------
    Volume
        The estimate in [line-integral unit / nm].

    Examples
    --------
    >>> import numpy as np, sim
    >>> truth = np.zeros((1, 16, 16), np.float32); truth[0, 5:11, 5:11] = 0.02
    >>> angles = np.linspace(0, 180, 30, endpoint=False)
    >>> s = sim.TiltSeries(sim.project(truth, angles, voxel_nm=2.0), angles_deg=angles,
    ...                    pixel_nm=2.0, values="line integral", unit="1")
    >>> round(float(astra_cgls(s, n_iter=50, progress=False).data[0, 6:10, 6:10].mean()), 3)
    0.02
    """
    n_iter = _check_n_iter(n_iter)
    kwargs = dict(shape=shape, shifts_px=shifts_px, axis_offset_px=axis_offset_px, projector=projector)
    params = {"n_iter": n_iter}
    return _reconstruct(series, "CGLS", **kwargs, options={}, n_iter=n_iter, progress=progress, name="astra-cgls",
                        params=params)
