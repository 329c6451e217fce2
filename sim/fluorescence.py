"""X-ray fluorescence of a slice under a scanned pencil beam, with self-absorption.

Lines
-----
For each element the K and L lines (xraylib's composite ``KA``, ``KB``,
``LA``, ``LB`` lines) whose shell is ionised by the incident photons: the
absorption edge of the shell the line starts from (K for K lines, L3 for L
lines) must lie below the incident energy. The production cross section per
line is xraylib's ``CS_FluorLine_Kissel`` [cm²/g] (photoionisation from the
Kissel/Scofield tables, fluorescence yields and radiative rates, Coster–Kronig
cascades included; Schoonjans et al., Spectrochim. Acta B 66, 776 (2011)).
Elements with no such line are returned in a list with the reason, never
dropped silently.

Geometry (2-D, the tomography plane)
------------------------------------
The slice is a ``(n_z, n_x)`` map with voxel ``voxel_nm`` (DESIGN.md
convention). At tilt ``θ`` the pencil beam travels along
``d = (x, z) = (-sin θ, cos θ)`` (along +z at θ = 0) and its position across
the beam is the detector column ``u = x·cos θ + z·sin θ`` measured from the
slice centre, one column per voxel, ``n_x`` columns. The fluorescence
detector lies in the same plane at 90° to the beam, far away, on the side
``detector_side = +1`` (towards +u, i.e. +x at θ = 0) or ``-1``; it is treated
as a single direction with a small solid angle ``solid_angle_sr`` (the escape
path of every voxel is a straight line along ``±u``), or, with
``cone_half_angle_deg > 0``, as a fan of in-plane directions spread over the
detector's half-angle (see :func:`xrf_projection`).

The detected signal of line ``l`` of element ``e`` per incident photon at
column ``u`` is (Sherman's fundamental-parameter equation for a pencil beam;
de Boer, X-Ray Spectrom. 19, 145 (1990))::

    S_l(u) = Ω/4π · σ_l · ∫ ρ_e(t, u) · exp(-∫_{-∞}^{t} μ0 dt') · exp(-∫_{u}^{±∞} μ_l du') dt

with ``ρ_e`` the mass density of the element [g/cm³], ``σ_l`` the line's
cross section [cm²/g], ``μ0`` the linear attenuation at the incident energy
and ``μ_l`` at the line energy [1/nm]. The maps are resampled on a grid
aligned with the beam (bilinear, ``scipy.ndimage.map_coordinates``), the path
integrals are cumulative sums taken to the middle of each sample (midpoint
rule, error ``O((μ·voxel)²)``).

Spectra
-------
:func:`expected_spectrum` turns detected line counts into Gaussian peaks of
the silicon-drift detector's resolution (:func:`detector_fwhm_ev`) on a flat
background; ``sim.noise.poisson_counts`` draws the counts; :func:`roi_maps`
sums ±1 FWHM windows back into element maps. The detector itself (solid
angle, efficiency, Si escape and pile-up peaks) is
:class:`sim.xrf_detector.XrfDetector`, whose ``spectrum`` builds on
:func:`expected_spectrum`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import xraylib
from scipy import ndimage
from scipy.special import erf

from sim import validate
from sim.errors import ValidationError

NM_PER_CM = 1.0e7

_LINES = (
    ("Ka", xraylib.KA_LINE, xraylib.K_SHELL),
    ("Kb", xraylib.KB_LINE, xraylib.K_SHELL),
    ("La", xraylib.LA_LINE, xraylib.L3_SHELL),
    ("Lb", xraylib.LB_LINE, xraylib.L3_SHELL),
)

_SYMBOLS = {xraylib.AtomicNumberToSymbol(z): z for z in range(1, 99)}


@dataclass(frozen=True)
class Line:
    """One fluorescence line of one element.

    Parameters
    ----------
    name : str
        ``"<symbol> <line>"``, e.g. ``"Fe Ka"``.
    energy_kev : float
        Line energy [keV] (xraylib ``LineEnergy``; composite lines are
        weighted by their radiative rates).
    cross_section_cm2_g : float
        Fluorescence production cross section at the incident energy [cm²/g]
        (xraylib ``CS_FluorLine_Kissel``).
    """

    name: str
    energy_kev: float
    cross_section_cm2_g: float


def atomic_number(element) -> int:
    """Return the atomic number of ``element`` (an int Z or a symbol such as ``"Fe"``).

    Examples
    --------
    >>> atomic_number("Fe"), atomic_number(29)
    (26, 29)
    """
    if isinstance(element, str):
        if element not in _SYMBOLS:
            raise ValidationError("element", element, "an element symbol such as 'Fe'")
        return _SYMBOLS[element]
    if isinstance(element, (bool, np.bool_)) or not isinstance(element, (int, np.integer)):
        raise ValidationError("element", element, "an atomic number 1..98 or a symbol")
    if not 1 <= int(element) <= 98:
        raise ValidationError("element", element, "an atomic number 1..98 or a symbol")
    return int(element)


def _line_energy(z: int, line: int) -> float:
    """Line energy [keV], or 0 when xraylib has no such line for ``z`` (light elements)."""
    try:
        return float(xraylib.LineEnergy(z, line))
    except ValueError:
        return 0.0


def fluorescence_lines(element_z, energy_kev: float, *, required: bool = False) -> list[Line]:
    """Return the K and L lines of one element excited at ``energy_kev``.

    Parameters
    ----------
    element_z : int or str
        Atomic number or symbol.
    energy_kev : float
        Incident photon energy [keV], > 0.
    required : bool
        ``True`` when the user asked for this element by name: no line at
        this energy is then an error naming the element and its edges,
        instead of an empty list.

    Returns
    -------
    list of Line
        Lines whose shell edge (K, or L3 for L lines) lies below
        ``energy_kev`` and whose cross section is > 0; empty if none.

    Raises
    ------
    ValidationError
        ``required=True`` and no line is excited (field ``element``).

    Examples
    --------
    >>> [line.name for line in fluorescence_lines("Fe", 10.0)]
    ['Fe Ka', 'Fe Kb', 'Fe La', 'Fe Lb']
    >>> [line.name for line in fluorescence_lines("Au", 12.0)]
    ['Au La', 'Au Lb']
    >>> fluorescence_lines("Au", 10.0, required=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: element = 'Au' is not allowed; allowed: ... L3 edge 11.919 keV: no line excited ...)
    """
    z = atomic_number(element_z)
    energy = validate.positive("energy_kev", energy_kev, "[keV]")
    symbol = xraylib.AtomicNumberToSymbol(z)
    lines = []
    for label, line, shell in _LINES:
        line_kev = _line_energy(z, line)
        if line_kev <= 0.0 or xraylib.EdgeEnergy(z, shell) >= energy:
            continue
        sigma = float(xraylib.CS_FluorLine_Kissel(z, line, energy))
        if sigma > 0.0:
            lines.append(Line(f"{symbol} {label}", line_kev, sigma))
    if required and not lines:
        allowed = f"an element with a K or L line excited at {energy} keV ({_no_line_reason(z, energy)})"
        raise ValidationError("element", symbol, allowed)
    return lines


def _no_line_reason(z: int, energy: float) -> str:
    """Why element ``z`` has no line at ``energy`` [keV]: the edges the beam would have to exceed."""
    k_edge = xraylib.EdgeEnergy(z, xraylib.K_SHELL)
    if k_edge < energy:
        return f"K edge {k_edge:.3f} keV is below {energy} keV but xraylib has no line with a cross section > 0"
    l3_edge = xraylib.EdgeEnergy(z, xraylib.L3_SHELL)
    return f"K edge {k_edge:.3f} keV and L3 edge {l3_edge:.3f} keV: no line excited at {energy} keV"


def reachable_lines(elements, energy_kev: float, *,
                    required: bool = False) -> tuple[dict[str, list[Line]], list[tuple[str, str]]]:
    """Split ``elements`` into those with excitable lines and those without.

    Parameters
    ----------
    elements : iterable of int or str
        Atomic numbers or symbols.
    energy_kev : float
        Incident photon energy [keV].
    required : bool
        ``True`` when the user asked for these elements by name (e.g. "map
        Ti, Mg and Al"): any element without a line is then an error that
        names every such element and its edges, instead of a report.

    Returns
    -------
    lines : dict
        Symbol -> list of :class:`Line` (see :func:`fluorescence_lines`).
    unreachable : list of (str, str)
        ``(symbol, reason)`` for every element with no line at this energy;
        the reason quotes the K (or L3) edge the beam would have to exceed.
        Always empty with ``required=True``.

    Raises
    ------
    ValidationError
        ``required=True`` and some element has no line (field ``elements``).

    Examples
    --------
    >>> lines, missing = reachable_lines(["Fe", "Li", "Au"], 10.0)
    >>> sorted(lines), [symbol for symbol, _ in missing]
    (['Fe'], ['Li', 'Au'])
    >>> reachable_lines(["Fe", "Au"], 10.0, required=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: elements = ['Au'] is not allowed; allowed: ...; Au: K edge 80.725 keV and L3 edge ...
    """
    energy = validate.positive("energy_kev", energy_kev, "[keV]")
    found: dict[str, list[Line]] = {}
    unreachable: list[tuple[str, str]] = []
    for element in elements:
        z = atomic_number(element)
        symbol = xraylib.AtomicNumberToSymbol(z)
        lines = fluorescence_lines(z, energy)
        if lines:
            found[symbol] = lines
        else:
            unreachable.append((symbol, _no_line_reason(z, energy)))
    if required and unreachable:
        reasons = "; ".join(f"{symbol}: {reason}" for symbol, reason in unreachable)
        allowed = f"elements with a K or L line excited at {energy} keV; {reasons}"
        raise ValidationError("elements", [symbol for symbol, _ in unreachable], allowed)
    return found, unreachable


def scan_geometry(voxel_nm: float, angle_deg: float, solid_angle_sr: float, detector_side: int):
    """Validate the geometry of an XRF projection; return ``(voxel_nm, angle_rad, solid_angle_sr)``.

    >>> scan_geometry(10.0, 90.0, 0.1, -1)[1] == math.pi / 2
    True
    """
    voxel = validate.positive("voxel_nm", voxel_nm, "[nm]")
    angle = math.radians(validate.finite("angle_deg", angle_deg, "deg"))
    omega = validate.in_range("solid_angle_sr", solid_angle_sr, 0.0, 4.0 * math.pi, "[sr]")
    if omega == 0.0:
        raise ValidationError("solid_angle_sr", solid_angle_sr, "a solid angle in (0, 4π] [sr]")
    if detector_side not in (1, -1):
        raise ValidationError("detector_side", detector_side, "+1 or -1")
    return voxel, angle, omega


def beam_grid_size(shape) -> tuple[int, int]:
    """``(n_t, n_u)`` of the square beam-aligned grid covering a rotated ``(n_z, n_x)`` slice.

    The grid has the parity of the slice, so that at θ = 0 its points fall on voxel centres.

    >>> beam_grid_size((4, 5))
    (10, 9)
    """
    n_z, n_x = shape
    size = int(math.ceil(math.hypot(n_z, n_x))) + 2
    return size + (size - n_z) % 2, size + (size - n_x) % 2


def beam_grid(shape, angle_rad: float):
    """Sample coordinates (z_index, x_index) of a grid aligned with the beam.

    Returns the coordinates, shape ``(2, n_t, n_u)``, and the column offset of
    the detector's ``n_x`` columns inside the ``n_u`` grid. The grid is square,
    covers the rotated slice and has the parity of the slice so that at θ = 0
    its points fall on voxel centres.
    """
    n_z, n_x = shape
    n_t, n_u = beam_grid_size(shape)
    t = np.arange(n_t) - (n_t - 1) / 2
    u = np.arange(n_u) - (n_u - 1) / 2
    cos_t, sin_t = math.cos(angle_rad), math.sin(angle_rad)
    x = u[None, :] * cos_t - t[:, None] * sin_t
    z = u[None, :] * sin_t + t[:, None] * cos_t
    coords = np.stack([z + (n_z - 1) / 2, x + (n_x - 1) / 2])
    return coords, (n_u - n_x) // 2


def resample_bilinear(image: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """``image`` at ``coords`` (from :func:`beam_grid`), bilinear, 0 outside."""
    return ndimage.map_coordinates(image, coords, order=1, mode="constant", cval=0.0)


def optical_depth_before(mu_grid: np.ndarray, voxel_nm: float, axis: int, reverse: bool) -> np.ndarray:
    """Path integral of ``mu_grid`` up to the middle of each sample along ``axis``."""
    data = np.flip(mu_grid, axis) if reverse else mu_grid
    depth = (np.cumsum(data, axis=axis) - 0.5 * data) * voxel_nm
    return np.flip(depth, axis) if reverse else depth


def xrf_projection(
    concentration_maps,
    mu_incident_map,
    mu_line_maps,
    *,
    energy_kev: float,
    voxel_nm: float,
    angle_deg: float,
    detector_side: int = 1,
    solid_angle_sr: float = 4.0 * math.pi,
    cone_half_angle_deg: float = 0.0,
    cone_directions: int = 5,
) -> dict[str, np.ndarray]:
    """Detected fluorescence per incident photon, per line and beam position, at one tilt.

    Parameters
    ----------
    concentration_maps : dict
        Element (Z or symbol) -> ``(n_z, n_x)`` mass density of that element
        in each voxel [g/cm³].
    mu_incident_map : ndarray, shape (n_z, n_x)
        Linear attenuation coefficient of the sample at ``energy_kev`` [1/nm].
    mu_line_maps : dict
        Line name (``"Fe Ka"``, see :func:`fluorescence_lines`) ->
        ``(n_z, n_x)`` attenuation at that line's energy [1/nm]; one map for
        every reachable line of every element given.
    energy_kev : float
        Incident photon energy [keV].
    voxel_nm : float
        Voxel size [nm].
    angle_deg : float
        Tilt angle [deg] (module docstring: beam along ``(-sin θ, cos θ)``).
    detector_side : int
        ``+1``: detector towards +u (+x at θ = 0); ``-1``: towards -u.
    solid_angle_sr : float
        Detector solid angle [sr], in (0, 4π]; the default 4π returns the
        emitted (not detected) fluorescence.
    cone_half_angle_deg : float
        Half-angle of the detector's acceptance cone [deg], in [0, 45]
        (``XrfDetector.cone_half_angle_deg``). 0 (default): one escape
        direction along ``±u``. Otherwise the escape attenuation
        ``exp(-∫μ_l)`` is averaged over ``cone_directions`` in-plane
        directions at angles ``φ`` across ``[-α, α]`` from ``±u``, weighted
        by the in-plane profile of a disc detector's solid angle,
        ``∝ √(1 − (φ/α)²)`` (small-angle), i.e. Gauss–Chebyshev quadrature
        of the second kind (Abramowitz & Stegun, 25.4.40). Modelled: the
        different in-plane path lengths through the slice towards the
        edges of the detector. Not modelled: the out-of-plane part of the
        cone (rays tilted out of the slice, whose paths are longer by
        ``1/cos ψ <= 1/cos α`` and cross the neighbouring slices), which a
        2-D slice cannot represent.
    cone_directions : int
        Number of quadrature directions, >= 1 (odd numbers include the
        central direction).

    Returns
    -------
    dict
        Line name -> ``(n_x,)`` float64 array of detected photons per
        incident photon at each detector column.

    Raises
    ------
    ValidationError
        Maps of unequal shape, negative values, a missing line map, an
        element with no line excited at ``energy_kev``, a cone half-angle
        outside [0, 45]° or fewer than 1 cone direction.

    Examples
    --------
    >>> rho = np.zeros((4, 4)); rho[1:3, 1:3] = 1.0
    >>> mu0 = np.zeros((4, 4))
    >>> out = xrf_projection({"Fe": rho}, mu0, {"Fe Ka": mu0, "Fe Kb": mu0, "Fe La": mu0, "Fe Lb": mu0},
    ...                      energy_kev=10.0, voxel_nm=10.0, angle_deg=0.0)
    >>> bool(np.allclose(out["Fe Ka"], rho.sum(axis=0) * 10.0e-7 * 46.6458, rtol=1e-5))
    True
    """
    energy = validate.positive("energy_kev", energy_kev, "[keV]")
    voxel, angle, omega = scan_geometry(voxel_nm, angle_deg, solid_angle_sr, detector_side)
    cone = math.radians(validate.in_range("cone_half_angle_deg", cone_half_angle_deg, 0.0, 45.0, "[deg]"))
    if isinstance(cone_directions, (bool, np.bool_)) or not isinstance(cone_directions, (int, np.integer)) \
            or cone_directions < 1:
        raise ValidationError("cone_directions", cone_directions, "an integer >= 1")
    mu0 = _map("mu_incident_map", mu_incident_map, None)
    shape = mu0.shape
    coords, offset = beam_grid(shape, angle)
    attenuation_in = np.exp(-optical_depth_before(resample_bilinear(mu0, coords), voxel, axis=0, reverse=False))
    signals: dict[str, np.ndarray] = {}
    for element, density in concentration_maps.items():
        symbol = xraylib.AtomicNumberToSymbol(atomic_number(element))
        lines = fluorescence_lines(symbol, energy)
        if not lines:
            raise ValidationError("concentration_maps", symbol, f"elements with a K or L line excited at {energy} keV")
        rho = _map(f"concentration_maps[{symbol}]", density, shape)
        emitted = resample_bilinear(rho, coords) * attenuation_in
        for line in lines:
            if line.name not in mu_line_maps:
                allowed = f"a map for every line, including {line.name!r}"
                raise ValidationError("mu_line_maps", sorted(mu_line_maps), allowed)
            mu_line = _map(f"mu_line_maps[{line.name}]", mu_line_maps[line.name], shape)
            attenuation_out = _escape_transmission(mu_line, coords, angle, voxel, detector_side == 1,
                                                   cone, int(cone_directions))
            column = (emitted * attenuation_out).sum(axis=0) * (voxel / NM_PER_CM)
            signals[line.name] = column[offset : offset + shape[1]] * line.cross_section_cm2_g * omega / (4.0 * math.pi)
    return signals


def _escape_transmission(mu_map: np.ndarray, coords: np.ndarray, angle_rad: float, voxel_nm: float,
                         towards_plus_u: bool, cone_rad: float, n_directions: int) -> np.ndarray:
    """Mean escape transmission ``exp(-∫μ_l)`` at every point of the beam grid ``coords``.

    ``cone_rad = 0``: the single direction ``±u`` (cumulative sums along the
    grid's u axis). Otherwise, for each quadrature angle ``φ`` the map is
    resampled on the grid of tilt ``θ + φ`` (whose u axis is the escape
    direction), the path integrals are summed there and interpolated back
    (bilinear) at the beam grid's points, whose coordinates in the rotated
    grid are ``u' = u cos φ + t sin φ``, ``t' = t cos φ − u sin φ``.
    """
    if cone_rad == 0.0:
        return np.exp(-optical_depth_before(resample_bilinear(mu_map, coords), voxel_nm, axis=1, reverse=towards_plus_u))
    n_t, n_u = coords.shape[1:]
    t = (np.arange(n_t) - (n_t - 1) / 2)[:, None]
    u = (np.arange(n_u) - (n_u - 1) / 2)[None, :]
    k = np.arange(1, n_directions + 1) * math.pi / (n_directions + 1)
    weights = np.sin(k) ** 2 / np.sum(np.sin(k) ** 2)
    transmission = np.zeros((n_t, n_u))
    for phi, weight in zip(cone_rad * np.cos(k), weights):
        rotated, _ = beam_grid(mu_map.shape, angle_rad + phi)
        depth = optical_depth_before(resample_bilinear(mu_map, rotated), voxel_nm, axis=1, reverse=towards_plus_u)
        here = np.stack([t * math.cos(phi) - u * math.sin(phi) + (n_t - 1) / 2,
                         u * math.cos(phi) + t * math.sin(phi) + (n_u - 1) / 2])
        transmission += weight * np.exp(-ndimage.map_coordinates(depth, here, order=1, mode="nearest"))
    return transmission


def _map(field: str, array, shape) -> np.ndarray:
    data = validate.finite_array(field, array, 2, "(n_z, n_x)", dtype=np.float64)
    if shape is not None and data.shape != shape:
        raise ValidationError(f"{field}.shape", data.shape, f"the shape of mu_incident_map {shape}")
    if np.any(data < 0):
        raise ValidationError(field, f"<min {data.min():.3g}>", "values >= 0")
    return data


FANO_SI = 0.115
PAIR_ENERGY_SI_EV = 3.65
MN_KA_KEV = 5.895
_SIGMA_PER_FWHM = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))


def detector_fwhm_ev(energy_kev, fwhm_at_mn_ka_ev: float = 130.0):
    """Energy resolution (FWHM) of a silicon drift detector at ``energy_kev``.

    ``FWHM(E)² = FWHM_noise² + 8 ln2 · F · ε · E`` with Fano factor
    ``F = 0.115`` and pair energy ``ε = 3.65 eV`` for Si (Knoll, *Radiation
    Detection and Measurement*, 4th ed., ch. 11 and 13); the electronic-noise
    term is set by the FWHM at Mn Kα (5.895 keV), the figure SDD makers quote
    (~130 eV for a good SDD at short shaping times, e.g. Strüder et al.,
    Microsc. Microanal. 4, 622 (1998)).

    Parameters
    ----------
    energy_kev : float or ndarray
        Photon energy [keV], > 0.
    fwhm_at_mn_ka_ev : float
        FWHM at 5.895 keV [eV]; at least the Fano limit there (~117 eV).

    Returns
    -------
    float or ndarray
        FWHM [eV].

    Examples
    --------
    >>> round(float(detector_fwhm_ev(MN_KA_KEV)), 6)
    130.0
    >>> round(float(detector_fwhm_ev(1.0)), 1)
    74.2
    """
    reference = validate.positive("fwhm_at_mn_ka_ev", fwhm_at_mn_ka_ev, "[eV]")
    statistical = 8.0 * math.log(2.0) * FANO_SI * PAIR_ENERGY_SI_EV
    noise_sq = reference**2 - statistical * MN_KA_KEV * 1e3
    if noise_sq < 0:
        limit = math.sqrt(statistical * MN_KA_KEV * 1e3)
        raise ValidationError("fwhm_at_mn_ka_ev", fwhm_at_mn_ka_ev, f">= the Fano limit {limit:.1f} eV")
    energy = np.asarray(energy_kev, dtype=np.float64)
    if np.any(~np.isfinite(energy)) or np.any(energy <= 0):
        raise ValidationError("energy_kev", energy_kev, "finite energies > 0 [keV]")
    return np.sqrt(noise_sq + statistical * energy * 1e3)


def expected_spectrum(line_counts, line_energies_kev, bin_edges_kev, *, fwhm_at_mn_ka_ev: float = 130.0,
                      background_per_kev=0.0) -> np.ndarray:
    """Mean detected spectrum per scan point: Gaussian peaks on a flat background.

    Parameters
    ----------
    line_counts : dict
        Line name -> array (any shape, the scan points) of mean detected
        photons in that line (signal per incident photon × flux × dwell ×
        detector efficiency, computed by the caller).
    line_energies_kev : dict
        Line name -> line energy [keV] (e.g. ``Line.energy_kev``).
    bin_edges_kev : ndarray, shape (n_bins + 1,)
        Increasing energy bin edges [keV].
    fwhm_at_mn_ka_ev : float
        Detector resolution at Mn Kα [eV] (:func:`detector_fwhm_ev`).
    background_per_kev : float or ndarray
        Flat background [counts/keV] per point (scalar or the points' shape).

    Returns
    -------
    ndarray, shape (*points, n_bins)
        Mean counts per bin; each peak is integrated exactly over the bins
        (error-function differences), so a peak inside the range contributes
        its full count.

    Examples
    --------
    >>> edges = np.linspace(5.0, 8.0, 301)
    >>> spectrum = expected_spectrum({"Fe Ka": np.array([100.0])}, {"Fe Ka": 6.4}, edges)
    >>> round(float(spectrum.sum()), 6)
    100.0
    """
    edges = validate.finite_array("bin_edges_kev", bin_edges_kev, 1, "(n_bins + 1,)", dtype=np.float64)
    if edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValidationError("bin_edges_kev", f"<{edges.size} edges>", "at least 2 strictly increasing edges [keV]")
    missing = sorted(set(line_counts) - set(line_energies_kev))
    if missing:
        raise ValidationError("line_energies_kev", missing, "an energy for every line in line_counts")
    shapes = {np.shape(counts) for counts in line_counts.values()}
    if len(shapes) > 1:
        raise ValidationError("line_counts", sorted(shapes), "arrays of one shape (the scan points)")
    points = shapes.pop() if shapes else np.shape(background_per_kev)
    background = np.broadcast_to(np.asarray(background_per_kev, dtype=np.float64), points)
    if np.any(~np.isfinite(background)) or np.any(background < 0):
        raise ValidationError("background_per_kev", background_per_kev, "finite values >= 0 [counts/keV]")
    spectrum = background[..., None] * np.diff(edges)
    if not line_counts:
        return spectrum
    shapes_per_line = np.empty((len(line_counts), edges.size - 1))
    counts_per_line = np.empty((*points, len(line_counts)))
    for k, (name, counts) in enumerate(line_counts.items()):
        counts = np.asarray(counts, dtype=np.float64)
        if np.any(~np.isfinite(counts)) or np.any(counts < 0):
            raise ValidationError(f"line_counts[{name}]", "<negative or non-finite>", "finite counts >= 0")
        energy = validate.positive(f"line_energies_kev[{name}]", line_energies_kev[name], "[keV]")
        sigma_kev = float(detector_fwhm_ev(energy, fwhm_at_mn_ka_ev)) * 1e-3 * _SIGMA_PER_FWHM
        shapes_per_line[k] = np.diff(0.5 * (1.0 + erf((edges - energy) / (math.sqrt(2.0) * sigma_kev))))
        counts_per_line[..., k] = counts
    peaks = (counts_per_line.reshape(-1, len(line_counts)) @ shapes_per_line).reshape(spectrum.shape)
    return spectrum + peaks


def roi_maps(spectrum, bin_edges_kev, line_energies_kev, *, fwhm_at_mn_ka_ev: float = 130.0) -> dict[str, np.ndarray]:
    """Region-of-interest element maps: counts within ±1 FWHM of each line.

    The window sum is divided by the Gaussian's share inside the window
    (``erf(2√ln2) = 0.9815`` when the window is resolved by the bins; the
    share is computed over the actual bins), so an isolated peak on no
    background returns its line count. No background subtraction and no
    peak-overlap correction: overlapping lines (e.g. Mn Kβ on Fe Kα) add.

    Parameters
    ----------
    spectrum : ndarray, shape (*points, n_bins)
        Counts per bin.
    bin_edges_kev : ndarray, shape (n_bins + 1,)
        Bin edges [keV].
    line_energies_kev : dict
        Line name -> energy [keV].
    fwhm_at_mn_ka_ev : float
        Detector resolution at Mn Kα [eV].

    Returns
    -------
    dict
        Line name -> map of shape ``points`` [counts].

    Examples
    --------
    >>> edges = np.linspace(5.0, 8.0, 301)
    >>> spectrum = expected_spectrum({"Fe Ka": np.array([100.0])}, {"Fe Ka": 6.4}, edges)
    >>> np.round(roi_maps(spectrum, edges, {"Fe Ka": 6.4})["Fe Ka"], 6).tolist()
    [100.0]
    """
    data = validate.finite_array("spectrum", spectrum, tuple(range(1, 8)), "(*points, n_bins)", dtype=np.float64)
    edges = validate.finite_array("bin_edges_kev", bin_edges_kev, 1, "(n_bins + 1,)", dtype=np.float64)
    if edges.size != data.shape[-1] + 1:
        raise ValidationError("bin_edges_kev.shape", edges.shape, f"({data.shape[-1] + 1},): n_bins + 1 edges")
    centres = 0.5 * (edges[1:] + edges[:-1])
    maps = {}
    for name, energy_kev in line_energies_kev.items():
        energy = validate.positive(f"line_energies_kev[{name}]", energy_kev, "[keV]")
        half_width = float(detector_fwhm_ev(energy, fwhm_at_mn_ka_ev)) * 1e-3
        window = np.abs(centres - energy) <= half_width
        if not window.any():
            allowed = f"lines inside [{edges[0]}, {edges[-1]}] keV"
            raise ValidationError("line_energies_kev", f"{name}={energy}", allowed)
        share = expected_spectrum({name: np.ones(())}, {name: energy}, edges,
                                  fwhm_at_mn_ka_ev=fwhm_at_mn_ka_ev)[window].sum()
        maps[name] = data[..., window].sum(axis=-1) / share
    return maps
