"""Hypothesis strategies for instruments and for simulated tilt series with their ground truth.

For test authors: draw valid instrument configurations, or whole small tilt
series ("any phantom, any scheme, any instrument") to test a reconstruction,
alignment or metric against the truth that travels with the series.
hypothesis is a test dependency, so ``instruments`` never imports this
module; import it explicitly::

    from instruments.strategies import instruments, series

Units as everywhere in nanotomo: lengths nm, X-ray energies keV, voltages kV,
angles degrees, electron dose e⁻/Å², X-ray dose photons per pixel.

Examples
--------
>>> from hypothesis import given, settings
>>> @settings(max_examples=3, deadline=None, database=None)
... @given(series(("txm",), noise=False, max_shape=(4, 8, 8), max_views=6))
... def check(s):
...     assert s.values == "line integral" and s.ground_truth.shape[0] == s.data.shape[1]
>>> check()
"""

from __future__ import annotations

from dataclasses import asdict, replace

try:
    from hypothesis import strategies as st
except ImportError as error:  # a test dependency: say how to get it
    raise ImportError("instruments.strategies needs hypothesis: pip install 'nanotomo[test]'") from error

from phantoms.strategies import phantoms
from sim.errors import ValidationError
from sim.holder import HOLDERS
from sim.projector import project
from sim.stage import METHODS
from sim.strategies import electron_doses_e_per_a2, full_range_schemes, log_uniform, photons_per_pixel, tilt_schemes
from sim.tiltseries import TiltSeries
from sim.version import __version__

from instruments import preset
from instruments.presets import PRESETS

KINDS = ("txm", "stem", "tem", "nanoprobe")
"""Instrument kinds :func:`instruments` draws."""

SERIES_KINDS = ("txm", "stem", "tem")
"""Kinds :func:`series` draws: those whose ``acquire`` returns one :class:`~sim.TiltSeries`
(a nanoprobe scan returns several maps on its own scan grid)."""

VOLTAGES_KV = (60.0, 80.0, 120.0, 200.0, 300.0)
"""Accelerating voltages of commercial S/TEMs [kV]."""

SERIES_TRACKINGS = ("tilt-by-tilt", "predictive")
"""Tracking :func:`series` draws for S/TEMs: without tracking (``"none"``) the default stage's
errors (µm height error, 0.5 µm axis offset) move a field of a few tens of nm out of view and
defocus it by ~1 µm, which also makes the probe/CTF kernels large and slow."""

SMALLEST_SHAPE = (2, 4, 4)
"""Smallest phantom grid :func:`series` draws ``(n_rows, n_z, n_x)`` [voxels] (less where ``max_shape`` is)."""

X_RAY_ROTATION = "on-axis"
"""The holder whose limit (±90°) bounds X-ray tilt schemes: a TXM's rotation stage turns freely."""


def _presets(kind: str) -> tuple[str, ...]:
    return tuple(sorted(name for name, (preset_kind, _, _) in PRESETS.items() if preset_kind == kind))


@st.composite
def _txm(draw, trackings) -> dict:
    # 5–25 keV: lab Cr Kα (5.41 keV) to hard-X-ray TXMs (presets txm-lab, txm-synchrotron).
    return {"energy_kev": draw(st.floats(5.0, 25.0)), "photons_per_pixel": draw(photons_per_pixel()),
            "fidelity": "projection"}


@st.composite
def _electron(draw, trackings) -> dict:
    return {
        "voltage_kv": draw(st.sampled_from(VOLTAGES_KV)),
        "dose_weighting": draw(st.sampled_from(("uniform", "1/cos"))),
        "holder": draw(st.sampled_from(tuple(HOLDERS))),
        "tracking": draw(st.sampled_from(tuple(trackings))),
        "damage": draw(st.booleans()),
        "fidelity": "projection",
    }


@st.composite
def _stem(draw, trackings) -> dict:
    # Probe semi-angles 10–35 mrad (uncorrected to Cs-corrected probes); HAADF inner angle 40–100 mrad,
    # outer 50–150 mrad beyond it (presets stem-200kv-haadf, stem-300kv-atomic).
    inner = draw(st.floats(40.0, 100.0))
    return {**draw(_electron(trackings)), "dose_total_e_per_a2": draw(electron_doses_e_per_a2()),
            "convergence_mrad": draw(st.floats(10.0, 35.0)), "haadf_inner_mrad": inner,
            "haadf_outer_mrad": inner + draw(st.floats(50.0, 150.0)), "pixel_nm": None}


@st.composite
def _tem(draw, trackings) -> dict:
    # Underfocus 0–5 µm for phase contrast, zero-loss slits 5–30 eV, apertures 5–30 mrad
    # (preset tem-300kv-bf-lowdose and the energy-filter example).
    return {**draw(_electron(trackings)), "dose_total_e_per_a2": draw(electron_doses_e_per_a2()),
            "defocus_nm": draw(st.floats(0.0, 5000.0)),
            "energy_filter_slit_ev": draw(st.none() | st.floats(5.0, 30.0)),
            "objective_aperture_mrad": draw(st.none() | st.floats(5.0, 30.0)),
            "detector": draw(st.sampled_from(("counting", "integrating"))), "pixel_nm": None}


@st.composite
def _nanoprobe(draw, trackings) -> dict:
    # 8–20 keV (K edges of the 3d metals to the hard-X-ray end of nanoprobes), 1e8–1e11 photons/s in
    # the focus (presets hxn-nanoprobe, xrf-microprobe).
    return {"energy_kev": draw(st.floats(8.0, 20.0)), "flux_photons_per_s": draw(log_uniform(1e8, 1e11)),
            "rotation_overhead_s": draw(st.floats(0.0, 20.0))}


_OVERRIDES = {"txm": _txm, "stem": _stem, "tem": _tem, "nanoprobe": _nanoprobe}


def _kinds(kinds, allowed) -> tuple[str, ...]:
    kinds = tuple(kinds)
    if not kinds or any(kind not in allowed for kind in kinds):
        raise ValidationError("kinds", kinds, f"a non-empty subset of {allowed}")
    return kinds


def instruments(kinds=KINDS, *, trackings=METHODS) -> st.SearchStrategy:
    """A valid instrument configuration: a preset of a drawn kind with drawn overrides.

    Parameters
    ----------
    kinds : sequence of str
        Any of ``"txm"``, ``"stem"``, ``"tem"``, ``"nanoprobe"``.
    trackings : sequence of str
        Stage tracking methods S/TEMs draw from (:data:`sim.stage.METHODS`).

    Returns
    -------
    strategy of TXM, STEM, TEM or Nanoprobe
        Built by :func:`instruments.preset` from a preset of the kind, with
        overrides drawn in realistic ranges: TXM energy 5–25 keV and
        1e2–1e6 photons/pixel; S/TEM voltage (60–300 kV), dose
        (1–1e5 e⁻/Å², :data:`sim.strategies.ELECTRON_DOSE_E_PER_A2`), holder,
        tracking, damage, probe and detector angles (STEM), defocus, filter
        and aperture (TEM); nanoprobe energy 8–20 keV and flux
        1e8–1e11 photons/s. Always the ``projection`` fidelity (the cheapest
        level, and the one every kind has for voxel phantoms) and
        ``pixel_nm=None`` (the phantom's voxel) for the TXM and S/TEM.
    """
    trackings = tuple(trackings)
    if not trackings or any(method not in METHODS for method in trackings):
        raise ValidationError("trackings", trackings, f"a non-empty subset of {METHODS}")
    return _instruments(_kinds(kinds, KINDS), trackings)


@st.composite
def _instruments(draw, kinds, trackings):
    kind = draw(st.sampled_from(kinds))
    name = draw(st.sampled_from(_presets(kind)))
    overrides = draw(_OVERRIDES[kind](trackings))
    if kind == "txm":
        overrides["pixel_nm"] = None
    return preset(name, **overrides)


def _line_integral_unit(truth_unit: str) -> str:
    """Unit of ∫ truth dl: the truth's unit times nm (``1/nm`` gives ``1``)."""
    if truth_unit == "1/nm":
        return "1"
    if truth_unit.startswith("1/nm^"):
        power = int(truth_unit[len("1/nm^"):]) - 1
        return "1/nm" if power == 1 else f"1/nm^{power}"
    return f"({truth_unit})*nm"


def ideal_series(instrument, phantom, scheme, *, seed: int) -> TiltSeries:
    """The noise-free, ideal recording of ``phantom``: exact line integrals of the instrument's ground truth.

    ``data = A·truth`` with ``A`` the shared projector (:func:`sim.project`),
    ``truth = instrument.ground_truth(phantom)`` [its unit]; no counting
    noise, no stage errors, optics or damage, so what a reconstruction gets
    wrong is its own error. ``values="line integral"``, unit the truth's
    unit × nm (``"1"`` for μ in 1/nm).
    """
    truth = instrument.ground_truth(phantom)
    angles = scheme.angles_deg
    provenance = {"instrument": type(instrument).__name__, "fidelity": "ideal line integrals", "noise": False,
                  "seed": seed, "version": __version__, "parameters": asdict(instrument),
                  "scheme": {"order": scheme.order, "n_views": len(scheme)},
                  "phantom": {"name": phantom.name, "params": phantom.params}}
    return TiltSeries(project(truth, angles), angles_deg=angles, pixel_nm=truth.voxel_nm, values="line integral",
                      unit=_line_integral_unit(truth.unit), ground_truth=truth, phantom=phantom, provenance=provenance)


def series(
    kinds=SERIES_KINDS,
    *,
    noise: bool = True,
    full_range: bool = False,
    counts: bool = False,
    max_shape=(8, 16, 16),
    min_views: int = 3,
    max_views: int = 24,
    inscribed: bool | None = None,
    material_names=None,
    trackings=SERIES_TRACKINGS,
) -> st.SearchStrategy[TiltSeries]:
    """A small simulated tilt series with its ground truth (and the phantom it was made from).

    Draws a phantom (:func:`phantoms.strategies.phantoms`), an instrument at
    the ``projection`` level (:func:`instruments`), a tilt scheme within its
    holder's limit and a seed, then records the series.

    Parameters
    ----------
    kinds : sequence of str
        Instrument kinds among ``"txm"``, ``"stem"``, ``"tem"``.
    noise : bool
        True: ``instrument.acquire(phantom, scheme, seed=...)``: counting
        noise, detector, stage errors (electrons) and damage as the twin
        records them. False: :func:`ideal_series`, the exact line integrals
        of the ground truth.
    full_range : bool
        Evenly spaced views over −90° ≤ θ < 90° (no missing wedge; electron
        instruments get the ``"on-axis"`` holder). False: a scheme within the
        drawn holder's limit (X-ray: ±90°).
    counts : bool
        With ``noise``: return the recorded counts (with flats or the
        incident beam per view). Default: line integrals
        (:meth:`~sim.TiltSeries.to_line_integrals`), what reconstruction
        methods take.
    max_shape : 3 ints
        Largest phantom grid ``(n_rows, n_z, n_x)`` [voxels].
    min_views, max_views : int
        Bounds on the number of views.
    inscribed : bool or None
        Keep the sample inside the cylinder inscribed in the grid (see
        :func:`phantoms.strategies.phantoms`); None: as ``full_range``.
        A full-range series' phantom also has square slices (``n_z = n_x``).
    material_names : sequence of str, optional
        Library materials to draw the phantom from.
    trackings : sequence of str
        Stage tracking of S/TEMs (default :data:`SERIES_TRACKINGS`).

    Returns
    -------
    strategy of TiltSeries
        ``(n_views, n_rows, n_x)`` with ``ground_truth`` (a ``sim.Volume`` of
        the phantom's grid shape and voxel) and ``phantom``; the seed is in
        ``provenance["seed"]``. At these sizes a draw takes well under a second.
    """
    if counts and not noise:
        raise ValidationError("counts", counts, "False when noise=False (an ideal series holds line integrals)")
    kinds = _kinds(kinds, SERIES_KINDS)
    machines = {kind: instruments((kind,), trackings=trackings) for kind in kinds}
    samples = phantoms(max_shape, min_shape=tuple(min(n, m) for n, m in zip(SMALLEST_SHAPE, max_shape)),
                       material_names=material_names, inscribed=full_range if inscribed is None else inscribed,
                       square=full_range)
    if full_range:
        schemes = full_range_schemes(min_views=min_views, max_views=max_views)
    else:
        tilt_schemes(min_views=min_views, max_views=max_views)  # refuse bad view counts now, not at the first draw
        schemes = None
    return _series(kinds, machines, samples, schemes, noise, counts, min_views, max_views)


@st.composite
def _series(draw, kinds, machines, samples, schemes, noise, counts, min_views, max_views) -> TiltSeries:
    kind = draw(st.sampled_from(kinds))
    instrument = draw(machines[kind])
    phantom = draw(samples)
    if schemes is not None:
        scheme = draw(schemes)
        if kind != "txm":
            instrument = replace(instrument, holder="on-axis")
    else:
        holder = X_RAY_ROTATION if kind == "txm" else instrument.holder
        scheme = draw(tilt_schemes(holder, min_views=min_views, max_views=max_views))
    if kind != "txm" and instrument.dose_weighting == "1/cos" and scheme.max_tilt_deg >= 90.0:
        # The 1/cos weighting is undefined at ±90° (sim.dose.dose_per_view).
        instrument = replace(instrument, dose_weighting="uniform")
    seed = draw(st.integers(0, 2**31 - 1))
    if not noise:
        return ideal_series(instrument, phantom, scheme, seed=seed)
    recorded = instrument.acquire(phantom, scheme, seed=seed, progress=False)
    return recorded if counts else recorded.to_line_integrals()
