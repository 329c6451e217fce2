"""svmbir peer: model-based iterative reconstruction (MBIR) with a qGGMRF prior.

svmbir (Purdue's super-voxel MBIR, Wang, Sabne, Kisner, Raghunathan, Midkiff
& Bouman, "High performance model based image reconstruction", ACM PPoPP
(2016); the qGGMRF prior of Thibault, Sauer, Bouman & Hsieh, Med. Phys. 34,
4526 (2007)) is optional (``pip install "nanotomo[peers]"``) and imported only
when the method runs. It minimises

    ½‖y − A·x‖²_Λ / σ_y² + Σ_{s,r} b_{sr} ρ((x_s − x_r)/σ_x)

with ``Λ`` the per-measurement weights and ``ρ`` the qGGMRF potential
``|Δ|^p / p · |Δ/T|^{q−p} / (1 + |Δ/T|^{q−p})`` (of ``Δ`` in units of σ_x).

Geometry (measured on off-centre points, see ``tests/recon/test_peers_svmbir.py``):
svmbir's sinogram ``(views, slices, channels)`` and image ``(slices, rows,
cols)`` are nanotomo's projection and volume axes unchanged, and its view angle
is ``φ = θ − 90°``; its ``center_offset`` [channels] is nanotomo's
``axis_offset_px`` with the same sign. Units: svmbir works in arbitrary length
units (ALU); the detector channel and the voxel are both given as
``pixel_nm``, so one ALU is one nm and the result comes back in [line-integral
unit / nm] (μ in 1/nm) with σ_x in the same unit.
"""

from __future__ import annotations

import numpy as np

from recon.common import geometry, line_integrals, make_volume, volume_shape
from recon.registry import register
from sim import validate
from sim.errors import ValidationError
from sim.tiltseries import TiltSeries
from sim.volume import Volume

WEIGHT_TYPES = ("unweighted", "dose", "transmission", "transmission_root", "emission")


def _svmbir():
    """The ``svmbir`` module, or a one-line error naming the extra that installs it."""
    try:
        import svmbir
    except ImportError:
        raise ModuleNotFoundError('svmbir not installed: pip install "nanotomo[peers]"', name="svmbir") from None
    return svmbir


def measurement_weights(series: TiltSeries, weight_type: str) -> np.ndarray:
    """svmbir's weights ``Λ`` (inverse relative noise variance of each line integral), float32.

    ``"unweighted"``: 1. ``"dose"``: ``dose_v / mean dose`` per view (the
    variance of a line integral from counts goes as 1/dose; needs
    ``series.dose_per_view``). ``"transmission"``: additionally × ``exp(−s·b)``,
    the transmitted fraction (Poisson counts ``N₀·e^{−s·b}`` give
    ``Var(b) = 1/(s²·N₀·e^{−s·b})``; Sauer & Bouman, IEEE TSP 41, 534 (1993));
    ``"transmission_root"``: × ``exp(−s·b/2)``; ``"emission"``:
    × ``1/(|b| + 0.1)`` (svmbir's ``calc_weights``). ``s`` is the series'
    ``line_integral_scale``. The dose factor is applied whenever the series
    has a per-view dose (all but ``"unweighted"``).

    Examples
    --------
    >>> import sim
    >>> s = sim.TiltSeries(np.zeros((2, 1, 3)), angles_deg=[0, 90], pixel_nm=1.0, values="line integral",
    ...                    dose_per_view=[1.0, 3.0])
    >>> measurement_weights(s, "dose")[:, 0, 0].tolist()
    [0.5, 1.5]
    """
    if weight_type not in WEIGHT_TYPES:
        raise ValidationError("weight_type", weight_type, f"one of {WEIGHT_TYPES}")
    b = line_integrals(series)
    weights = np.ones(b.shape, np.float32)
    if weight_type == "unweighted":
        return weights
    dose = series.dose_per_view
    if dose is not None and np.any(dose > 0):
        weights *= (dose / dose.mean()).astype(np.float32)[:, None, None]
    elif weight_type == "dose":
        raise ValidationError("weight_type", weight_type, "not 'dose' unless series.dose_per_view is set with a dose > 0")
    s = np.float32(series.line_integral_scale)
    if weight_type == "transmission":
        weights *= np.exp(-s * b)
    elif weight_type == "transmission_root":
        weights *= np.exp(-s * b / 2)
    elif weight_type == "emission":
        weights /= np.abs(b) + np.float32(0.1)
    return weights


@register("svmbir-mbir", "svmbir model-based iterative reconstruction, qGGMRF prior (peer; needs the 'peers' extra)")
def svmbir_mbir(
    series: TiltSeries,
    *,
    sharpness: float = 0.0,
    snr_db: float = 30.0,
    noise_sigma: float | None = None,
    p: float = 1.2,
    q: float = 2.0,
    T: float = 1.0,
    b_interslice: float = 1.0,
    max_iterations: int = 100,
    stop_threshold: float = 0.02,
    positivity: bool = True,
    weight_type: str | None = None,
    num_threads: int | None = None,
    shape: tuple[int, int, int] | None = None,
    shifts_px=None,
    axis_offset_px: float = 0.0,
    progress: bool = True,
) -> Volume:
    """svmbir's MBIR with the qGGMRF prior, in nanotomo's geometry and units.

    Parameters
    ----------
    series : TiltSeries
        Line integrals, any angle list.
    sharpness : float
        svmbir's regularisation knob: σ_x = 0.2 · 2^sharpness · (typical μ
        [line-integral unit / nm], the mean non-zero line integral over the
        detector width); 0 neutral, > 0 sharper (weaker prior), < 0 smoother.
    snr_db : float
        Assumed signal-to-noise ratio of the data [dB]: σ_y is
        10^(−snr_db/20) times the weighted RMS of the non-zero line
        integrals. Ignored when ``noise_sigma`` is given.
    noise_sigma : float, optional
        σ_y directly: the noise standard deviation of a line integral of
        weight 1 [unit of the series' data] (e.g. from
        :func:`recon.tv.noise_sigma_of` for white noise, unweighted).
    p, q : float
        qGGMRF shape exponents, 1 ≤ p ≤ q ≤ 2 (p near 1: edge-preserving, like
        TV; q = 2: quadratic for small differences).
    T : float
        qGGMRF threshold (> 0) [units of σ_x]: differences below ``T·σ_x``
        are penalised like ``|Δ|^q``, above like ``|Δ|^p``.
    b_interslice : float
        Weight (≥ 0) of the neighbours along the rows (tilt axis) relative to
        those in the slice.
    max_iterations : int
        Most iterations (≥ 1) at the finest resolution.
    stop_threshold : float
        Stop when the mean update falls below this [%] of the mean image
        value (≥ 0; 0: run ``max_iterations``).
    positivity : bool
        Constrain μ ≥ 0.
    weight_type : str, optional
        The noise model, see :func:`measurement_weights`: ``"unweighted"``,
        ``"dose"``, ``"transmission"``, ``"transmission_root"`` or
        ``"emission"``. Default ``"dose"`` if the series has a per-view dose,
        else ``"unweighted"``.
    num_threads : int, optional
        svmbir's OpenMP threads; default all physical cores.
    shape : (n_rows, n_z, n_x), optional
        As in :func:`recon.fbp.fbp`; svmbir reconstructs inside the disc
        inscribed in the larger of ``n_z``, ``n_x`` (zero outside).
    shifts_px
        Must be zero (refused otherwise: svmbir has one centre offset, no
        per-view shifts).
    axis_offset_px : float
        Tilt-axis offset [px], passed as svmbir's ``center_offset``.
    progress : bool
        Let svmbir print its progress (``verbose=1``).

    Returns
    -------
    Volume
        The estimate in [line-integral unit / nm], with svmbir's parameters
        (σ_y, σ_x, …) in ``metadata["params"]``.

    Examples
    --------
    >>> import numpy as np, sim
    >>> truth = np.zeros((1, 16, 16), np.float32); truth[0, 5:11, 5:11] = 0.02
    >>> angles = np.linspace(0, 180, 30, endpoint=False)
    >>> s = sim.TiltSeries(sim.project(truth, angles, voxel_nm=2.0), angles_deg=angles,
    ...                    pixel_nm=2.0, values="line integral", unit="1")
    >>> v = svmbir_mbir(s, snr_db=60.0, stop_threshold=0.0, max_iterations=200, progress=False)
    >>> v.unit, round(float(v.data[0, 6:10, 6:10].mean()), 3)
    ('1/nm', 0.02)
    """
    svmbir = _svmbir()
    b = line_integrals(series)
    grid = volume_shape(series, shape)
    geom = geometry(series, shifts_px, axis_offset_px)
    if np.any(geom.shifts_px != 0):
        raise ValidationError("shifts_px", "non-zero", "zero: svmbir-mbir does not support per-view shifts")
    if weight_type is None:
        dose = series.dose_per_view
        weight_type = "dose" if dose is not None and np.any(dose > 0) else "unweighted"
    weights = measurement_weights(series, weight_type)
    p = validate.in_range("p", p, 1.0, 2.0)
    q = validate.in_range("q", q, p, 2.0)
    T = validate.positive("T", T)
    sharpness = validate.in_range("sharpness", sharpness, -20.0, 20.0)  # σ_x scales as 2^sharpness
    snr_db = validate.in_range("snr_db", snr_db, -100.0, 200.0, "dB")
    b_interslice = validate.non_negative("b_interslice", b_interslice)
    stop_threshold = validate.non_negative("stop_threshold", stop_threshold, "%")
    if isinstance(max_iterations, bool) or int(max_iterations) != max_iterations or max_iterations < 1:
        raise ValidationError("max_iterations", max_iterations, "an integer >= 1")
    if num_threads is not None and (isinstance(num_threads, bool) or int(num_threads) != num_threads or num_threads < 1):
        raise ValidationError("num_threads", num_threads, "an integer >= 1 or None")
    h = float(series.pixel_nm)
    if noise_sigma is None:
        sigma_y = float(svmbir.auto_sigma_y(b, weights, delta_channel=h, delta_pixel=h, snr_db=snr_db))
    else:
        sigma_y = validate.positive("noise_sigma", noise_sigma)
    sigma_x = float(svmbir.auto_sigma_x(b, delta_channel=h, sharpness=sharpness))
    params = {
        "sharpness": sharpness,
        "snr_db": snr_db,
        "sigma_y": sigma_y,
        "sigma_x_per_nm": sigma_x,
        "p": p,
        "q": q,
        "T": T,
        "b_interslice": b_interslice,
        "max_iterations": int(max_iterations),
        "stop_threshold_percent": stop_threshold,
        "positivity": bool(positivity),
        "weight_type": weight_type,
        "num_threads": num_threads,
        "center_offset_px": geom.axis_offset_px,
        "shape": list(grid),
        "svmbir_version": svmbir.__version__,
    }
    result = svmbir.recon(
        b,
        np.deg2rad(geom.angles_deg - 90.0),
        weights=weights,
        num_rows=grid[1],
        num_cols=grid[2],
        delta_channel=h,
        delta_pixel=h,
        center_offset=geom.axis_offset_px,
        sigma_y=sigma_y,
        sigma_x=sigma_x,
        p=p,
        q=q,
        T=T,
        b_interslice=b_interslice,
        positivity=bool(positivity),
        stop_threshold=stop_threshold,
        max_iterations=int(max_iterations),
        num_threads=None if num_threads is None else int(num_threads),
        verbose=1 if progress else 0,
    )
    return make_volume(np.asarray(result, np.float32), series, "svmbir-mbir", params)
