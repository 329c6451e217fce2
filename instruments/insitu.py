"""In-situ (4-D) TXM tomography of a sample that changes while it is scanned.

Each view of a tilt series is recorded at its own time, so a sample that
evolves during the scan (a reaction front, a growing whisker) is seen in a
different state in every view and the reconstruction mixes those states: a
scan that is slow compared with the dynamics blurs them. A tomogram of N
views taking Δt each lasts T = N·Δt; a front moving at v is smeared over
about v·T. Fewer views (or shorter exposures) sharpen the picture in time
and cost angular sampling or photons (streaks, noise): the trade-off between
temporal and spatial resolution of in-situ TXM (Nelson Weker & Toney, Adv.
Funct. Mater. 25, 1622 (2015); Ge et al., Appl. Phys. Lett. 113, 083109 (2018)).

:func:`acquire_evolving` records one or several tomograms back to back, each
view from the phantom at the middle of its exposure (the sample is frozen
during one exposure: right when v·Δt is much less than a voxel), optionally
grouping the views into time bins simulated at the bin's middle time (faster;
every view is then off by at most half a bin). :func:`measure_front` reads
the radius and the width of a spherical front off a volume.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from phantoms.evolving import Evolving
from sim import validate
from sim.errors import ValidationError
from sim.noise import generator
from sim.plot import save, subplots
from sim.progress import track
from sim.scan_time import scan_time
from sim.scheme import TiltScheme
from sim.tiltseries import TiltSeries
from sim.volume import Volume

DEFAULT_TIME_PER_VIEW_S = 0.1
"""Time per view (exposure, readout, rotation) [s] for a TXM that does not say
(no ``timing``): a synchrotron TXM records a full tomogram in about one minute,
tens of ms to 0.1 s per view (Ge et al., Appl. Phys. Lett. 113, 083109 (2018))."""

"""Illumination parameters that must be 0 when views are recorded in several
``txm.acquire`` calls (each call draws its own beam profile and runs its own
drift, so the flats of one call would not correct the others)."""


def view_duration_s(txm, scheme, time_per_view_s: float | None = None) -> float:
    """The time one view takes [s]: as given, else from the TXM's scan timing, else the default.

    From the TXM: its ``timing`` (:class:`sim.scan_time.ScanTiming`: exposure,
    readout, rotation and settling) over ``scheme``, the same spacing the TXM
    gives its own views; a TXM without ``timing`` gets
    :data:`DEFAULT_TIME_PER_VIEW_S`.

    >>> from instruments.txm import TXM
    >>> from sim.scan_time import ScanTiming
    >>> fly = TXM(timing=ScanTiming(exposure_s=0.05, readout_s=0.01, mode="fly"))
    >>> view_duration_s(fly, [0.0, 90.0]), view_duration_s(fly, [0.0, 90.0], 0.5)
    (0.05, 0.5)
    """
    if time_per_view_s is not None:
        return validate.positive("time_per_view_s", time_per_view_s, "s")
    timing = getattr(txm, "timing", None)
    if timing is None:
        return DEFAULT_TIME_PER_VIEW_S
    angles = scheme if isinstance(scheme, TiltScheme) else TiltScheme.from_angles(scheme)
    n = len(angles)
    budget = scan_time(timing, n_views=n, range_deg=max(float(np.ptp(angles.angles_deg)), 1e-3))
    return budget["projections_s"] / n + budget["rotation_s"] / max(n - 1, 1)


def view_times_s(n_views: int, *, time_per_view_s: float, start_s: float = 0.0, n_tomograms: int = 1) -> np.ndarray:
    """Middle of each view's exposure [s] for tomograms recorded back to back.

    View ``j`` of tomogram ``k`` is recorded over
    ``[t₀ + (k·N + j)·Δt, t₀ + (k·N + j + 1)·Δt]`` (``N = n_views``,
    ``Δt = time_per_view_s``, ``t₀ = start_s``); its time is the middle.

    Returns
    -------
    ndarray, shape (n_tomograms, n_views)
        Times [s].

    Examples
    --------
    >>> view_times_s(3, time_per_view_s=2.0, start_s=10.0, n_tomograms=2).tolist()
    [[11.0, 13.0, 15.0], [17.0, 19.0, 21.0]]
    """
    n = _integer("n_views", n_views, 1)
    tomograms = _integer("n_tomograms", n_tomograms, 1)
    step = validate.positive("time_per_view_s", time_per_view_s, "s")
    start = validate.non_negative("start_s", start_s, "s")
    return start + (np.arange(tomograms * n, dtype=np.float64).reshape(tomograms, n) + 0.5) * step


def ground_truth_at(txm, evolving_phantom, time_s: float) -> Volume:
    """What an ideal reconstruction of the sample frozen at ``time_s`` [s] recovers (μ [1/nm])."""
    return txm.ground_truth(evolving_phantom.at(time_s))


def acquire_evolving(
    txm,
    evolving_phantom,
    scheme,
    *,
    seed,
    start_s: float = 0.0,
    time_per_view_s: float | None = None,
    n_tomograms: int = 1,
    time_bin_s: float | None = None,
    n_cols: int | None = None,
    progress: bool = True,
) -> list[TiltSeries]:
    """Record ``n_tomograms`` tilt series back to back of a sample that changes meanwhile.

    Parameters
    ----------
    txm : instruments.txm.TXM
        The microscope; each group of views is recorded with
        ``txm.acquire(phantom_at_t, angles, seed=rng)``.
    evolving_phantom : phantoms.evolving.Evolving
        The sample: ``at(time_s) -> Phantom``.
    scheme : TiltScheme or array_like
        Tilt angles [deg] of one tomogram, in acquisition order (repeated for each tomogram).
    seed : int or numpy.random.Generator
        Every noise draw of every tomogram comes from this.
    start_s : float
        Time at which the first view starts [s], >= 0 (the sample's clock).
    time_per_view_s : float, optional
        Exposure plus overhead per view [s]; default from the TXM (see
        :func:`view_duration_s`).
    n_tomograms : int
        Tomograms recorded back to back (a continuous 4-D sequence), >= 1.
    time_bin_s : float, optional
        ``None`` (default): exact, each view from the phantom at its own
        time. Otherwise consecutive views of a tomogram are grouped into bins
        of this length [s] and simulated from the phantom at the middle of the
        bin's views (an approximation for samples that change slowly: a view
        is off by at most ``time_bin_s / 2``).
    n_cols : int, optional
        Detector width [px], passed on to ``txm.acquire``.
    progress : bool
        Show a progress bar over the simulated states.

    Returns
    -------
    list of TiltSeries
        One per tomogram, as ``txm.acquire`` makes them (flat and dark frames
        from the tomogram's first group), with ``views["time_s"]`` (middle of
        each exposure [s]) and ``views["sample_time_s"]`` (the time the
        simulated sample was taken at), the ground truth and phantom at the
        tomogram's middle time, and ``provenance["insitu"]``. The truth at any
        view's time is :func:`ground_truth_at`.

    Notes
    -----
    The sample's clock starts at ``start_s`` with the first view; the flats
    and darks are those of the tomogram's first ``txm.acquire`` call. One
    beam profile is drawn per tomogram and every group of views sees it
    drifted and decayed to its own time in the scan (``txm.acquire``'s
    ``beam``), as one continuous scan would.

    Examples
    --------
    >>> from instruments.txm import TXM
    >>> from phantoms.evolving import lithiation_front
    >>> front = lithiation_front(diameter_nm=400.0, front_speed_nm_per_s=5.0, voxel_nm=40.0)
    >>> series = acquire_evolving(TXM(), front, [0.0, 60.0, 120.0], seed=1, time_per_view_s=2.0, n_tomograms=2,
    ...                           progress=False)
    >>> [s.views["time_s"].tolist() for s in series]
    [[1.0, 3.0, 5.0], [7.0, 9.0, 11.0]]
    >>> series[1].provenance["insitu"]["mid_time_s"]
    9.0
    """
    if not isinstance(evolving_phantom, Evolving):
        raise ValidationError("evolving_phantom", type(evolving_phantom).__name__, "an object with at(time_s) -> Phantom and duration_s")
    angles = scheme if isinstance(scheme, TiltScheme) else TiltScheme.from_angles(scheme)
    step = view_duration_s(txm, angles, time_per_view_s)
    times = view_times_s(len(angles), time_per_view_s=step, start_s=start_s, n_tomograms=n_tomograms)
    binning = None if time_bin_s is None else validate.positive("time_bin_s", time_bin_s, "s")
    rng = generator(seed)
    extra = {} if n_cols is None else {"n_cols": n_cols}
    out = []
    for k, tomogram_times in enumerate(times):
        start = float(tomogram_times[0] - step / 2)
        groups = _groups(tomogram_times - start, binning)
        parts, sample_times = [], np.empty(len(angles))
        frame = _frame(txm, evolving_phantom.at(start), n_cols)
        profile = txm.illumination.profile(frame, rng)
        fractions = (tomogram_times - start) / (step * len(angles))
        label = f"in-situ tomogram {k + 1}/{len(times)}"
        for members in track(groups, description=label, total=len(groups), enabled=progress):
            moment = float(0.5 * (tomogram_times[members[0]] + tomogram_times[members[-1]]))
            sample_times[members] = moment
            view_scheme = TiltScheme.from_angles(angles.angles_deg[members])
            parts.append(txm.acquire(evolving_phantom.at(moment), view_scheme, seed=rng,
                                     beam=(profile, fractions[members]), **extra))
        mid = start + len(angles) * step / 2
        out.append(_merge(parts, angles, txm, evolving_phantom, seed, tomogram_times, sample_times, mid, k, step, binning))
    return out


@dataclass(frozen=True)
class FrontMeasurement:
    """Radius and width [nm] of a spherical front read off a volume by :func:`measure_front`."""

    radius_nm: float
    width_nm: float


def radial_profile(volume: Volume, *, bin_nm: float | None = None, center_nm=(0.0, 0.0, 0.0)):
    """Spherical average of a volume about ``center_nm`` ``(row, z, x)`` [nm] from its centre.

    Parameters
    ----------
    volume : Volume
        Any scalar field.
    bin_nm : float, optional
        Width of the radial bins [nm]; default one voxel.
    center_nm : 3 floats
        Centre of the average [nm] from the volume's centre.

    Returns
    -------
    radii_nm, values : ndarray
        Bin centres ``(i + 1/2)·bin_nm`` [nm] and the mean of the voxels
        whose centres fall in each bin (NaN for an empty bin), in the volume's unit.

    Examples
    --------
    >>> v = Volume(np.ones((4, 4, 4), np.float32), voxel_nm=2.0)
    >>> r, p = radial_profile(v)
    >>> r[:2].tolist(), p[:2].tolist()
    ([1.0, 3.0], [1.0, 1.0])
    """
    if not isinstance(volume, Volume):
        raise ValidationError("volume", type(volume).__name__, "a sim.Volume")
    width = volume.voxel_nm if bin_nm is None else validate.positive("bin_nm", bin_nm, "nm")
    radii, values, _ = _profile(volume, width, center_nm)
    return radii, values


def plot_radial_profiles(volumes: dict, path, *, bin_nm: float | None = None, center_nm=(0.0, 0.0, 0.0),
                         title: str = "") -> Path:
    """A figure of spherically averaged profiles [unit of the volumes] against radius [nm], one line per volume.

    For in-situ runs: the truth at the scan's middle time beside the
    reconstructions of fast and slow scans shows how the scan's duration
    smears a moving front (:func:`measure_front` puts numbers on it).
    """
    path = Path(path)
    figure, axis = subplots(figsize=(6.5, 4.2), layout="constrained")
    unit = ""
    for label, volume in volumes.items():
        radii, values = radial_profile(volume, bin_nm=bin_nm, center_nm=center_nm)
        axis.plot(radii, values, label=label)
        unit = volume.unit
    axis.set_xlabel("radius [nm]")
    axis.set_ylabel(f"spherical average [{unit}]")
    axis.legend(fontsize=8)
    axis.set_title(title, fontsize=10)
    return save(figure, path, dpi=90)


def measure_front(
    volume: Volume,
    *,
    core_value: float,
    shell_value: float,
    max_radius_nm: float,
    bin_nm: float | None = None,
    center_nm=(0.0, 0.0, 0.0),
) -> FrontMeasurement:
    """Radius and width [nm] of a spherical front between a core and a shell.

    The spherical average ``p(r)`` (:func:`radial_profile`) is normalised to
    ``s(r) = (p − shell_value)/(core_value − shell_value)`` (1 in the core, 0
    in the shell) over ``0 ≤ r ≤ max_radius_nm``, which must lie inside the
    shell, and fitted by least squares over the voxels (each bin weighted by
    its number of voxels) with the linear ramp::

        s(r) = clip(1/2 − (r − radius)/width, 0, 1)

    A front moving at ``v`` through a scan of duration ``T``, seen for an
    equal time at each position, averages to exactly this ramp with
    ``width = v·T``; a reconstruction adds its own blur ``W₀`` (then
    ``width ≈ √(W₀² + (v·T)²)``, measured in the tests). ``radius`` is the
    ramp's mid-point. Fitting the whole profile averages the noise instead of
    following a threshold crossing.

    Parameters
    ----------
    volume : Volume
        A reconstruction or a ground truth.
    core_value, shell_value : float
        The values of the two phases, in the volume's unit (e.g. μ [1/nm]); must differ.
    max_radius_nm : float
        Upper end of the fit [nm]: inside the shell, short of the particle's surface.
    bin_nm, center_nm
        As in :func:`radial_profile`.

    Returns
    -------
    FrontMeasurement

    Examples
    --------
    >>> r = np.linalg.norm(np.indices((40, 40, 40)) - 19.5, axis=0)
    >>> ramp = np.clip(0.5 - (r - 10.0) / 6.0, 0, 1)
    >>> v = Volume((1.0 + ramp).astype(np.float32), voxel_nm=1.0)
    >>> m = measure_front(v, core_value=2.0, shell_value=1.0, max_radius_nm=18.0)
    >>> round(m.radius_nm), round(m.width_nm)
    (10, 6)
    """
    core, shell = _finite("core_value", core_value), _finite("shell_value", shell_value)
    if core == shell:
        raise ValidationError("core_value", core, f"a value other than shell_value = {shell}")
    reach = validate.positive("max_radius_nm", max_radius_nm, "nm")
    if not isinstance(volume, Volume):
        raise ValidationError("volume", type(volume).__name__, "a sim.Volume")
    width = volume.voxel_nm if bin_nm is None else validate.positive("bin_nm", bin_nm, "nm")
    radii, profile, counts = _profile(volume, width, center_nm)
    n_bins = int(math.floor(reach / width + 1e-9))
    if n_bins < 2 or n_bins > radii.size:
        allowed = f"in [{2 * width:g}, {radii.size * width:g}] nm (two bins to the volume's corner)"
        raise ValidationError("max_radius_nm", max_radius_nm, allowed)
    keep = counts[:n_bins] > 0
    r, s, weight = radii[:n_bins][keep], (profile[:n_bins][keep] - shell) / (core - shell), np.sqrt(counts[:n_bins][keep])

    def residual(q):
        return weight * (s - np.clip(0.5 - (r - q[0]) / q[1], 0.0, 1.0))

    start = [float(np.clip(s.sum() * width, 0.0, reach)), 2.0 * width]
    fit = least_squares(residual, start, bounds=([0.0, 1e-3 * width], [reach, 4.0 * reach]))
    return FrontMeasurement(radius_nm=float(fit.x[0]), width_nm=float(fit.x[1]))


def _profile(volume: Volume, width: float, center_nm):
    """Bin centres [nm], mean value (NaN where empty) and voxel count of each radial bin."""
    centre = np.asarray(center_nm, dtype=float)
    if centre.shape != (3,) or not np.all(np.isfinite(centre)):
        raise ValidationError("center_nm", center_nm, "3 finite numbers (row, z, x) [nm]")
    axes = [(np.arange(n) - (n - 1) / 2) * volume.voxel_nm - c for n, c in zip(volume.shape, centre)]
    row, z, x = np.meshgrid(*axes, indexing="ij", sparse=True)
    index = (np.sqrt(row**2 + z**2 + x**2) / width).astype(np.int64).ravel()
    counts = np.bincount(index)
    sums = np.bincount(index, weights=np.asarray(volume.data, dtype=np.float64).ravel())
    values = np.full(counts.size, np.nan)
    np.divide(sums, counts, out=values, where=counts > 0)
    return (np.arange(counts.size) + 0.5) * width, values, counts


def _groups(offsets_s: np.ndarray, time_bin_s: float | None) -> list[np.ndarray]:
    """Indices of the views simulated together: one per view, or consecutive views per time bin."""
    if time_bin_s is None:
        return [np.array([j]) for j in range(offsets_s.size)]
    bins = np.floor(offsets_s / time_bin_s).astype(np.int64)
    edges = np.flatnonzero(np.diff(bins)) + 1
    return np.split(np.arange(offsets_s.size), edges)


def _merge(parts, angles, txm, evolving, seed, times, sample_times, mid, index, step, binning) -> TiltSeries:
    """One tomogram's series from the series of its groups of views."""
    first = parts[0]
    views = {name: np.concatenate([p.views[name] for p in parts]) for name in first.views if all(name in p.views for p in parts)}
    views.update({"time_s": times, "sample_time_s": sample_times})
    dose = None if first.dose_per_view is None else np.concatenate([p.dose_per_view for p in parts])
    mid_phantom = evolving.at(mid)
    provenance = dict(first.provenance)
    provenance["seed"] = seed if not isinstance(seed, np.random.Generator) else "numpy.random.Generator"
    provenance["scheme"] = {"order": angles.order, "n_views": len(angles)}
    provenance.pop("scan_time_s", None)
    provenance["insitu"] = {
        "tomogram": index,
        "start_s": float(times[0] - step / 2),
        "mid_time_s": float(mid),
        "duration_s": float(step * len(angles)),
        "time_per_view_s": step,
        "time_bin_s": binning,
        "n_simulated_states": len(parts),
        "evolving": {"name": getattr(evolving, "name", None), "params": getattr(evolving, "params", None)},
    }
    return replace(
        first,
        data=np.concatenate([p.data for p in parts]),
        angles_deg=angles.angles_deg,
        dose_per_view=dose,
        shifts_px=np.concatenate([p.shifts_px for p in parts]),
        ground_truth=txm.ground_truth(mid_phantom),
        phantom=mid_phantom,
        provenance=provenance,
        views=views,
    )


def _frame(txm, phantom, n_cols) -> tuple[int, int]:
    """The detector frame ``(rows, cols)`` of ``txm`` looking at ``phantom``."""
    rows, _, n_x = txm.ground_truth(phantom).shape
    return rows, n_x if n_cols is None else int(n_cols)


def _integer(field: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValidationError(field, value, f"an integer >= {minimum}")
    return int(value)


def _finite(field: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(field, value, "a finite number") from None
    if not math.isfinite(number):
        raise ValidationError(field, value, "a finite number")
    return number
