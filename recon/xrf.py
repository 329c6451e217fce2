"""Self-absorption-aware X-ray fluorescence tomography of one slice.

Forward model
-------------
The signal of line ``l`` (detected photons per incident photon) at tilt
``θ`` and detector column ``u`` is Sherman's equation for a pencil beam
(:mod:`sim.fluorescence`; de Boer, X-Ray Spectrom. 19, 145 (1990))::

    S_l(θ, u) = k_l · ∫ ρ_e(t, u) · w_θ(t, u) dt,    k_l = σ_l · Ω/4π

with ``w_θ = exp(−∫ μ0 in along the beam up to the voxel) · exp(−∫ μ_l from
the voxel to the detector)``. For fixed attenuation it is linear in the
element's mass density ``ρ_e`` [g/cm³]::

    A_μ ρ = k_l · P_θ(w_θ ⊙ ρ) / 10⁷,      A_μᵀ y = k_l · w_θ ⊙ P_θᵀ y / 10⁷

(``/10⁷``: the projector integrates over nm, σ_l is per g/cm², so the path is
converted to cm). ``P_θ`` is the shared distance-driven projector of
:mod:`sim.projector` (its footprint kernel, assembled here once into a sparse
matrix so that a different weight per view costs nothing extra; for μ = 0 the
operator is exactly ``k_l/10⁷ ·`` :func:`sim.project`). The weights are the
path integrals of :func:`sim.fluorescence.xrf_projection` (the maps resampled
on the beam's grid, cumulative midpoint sums) interpolated back onto the
voxels (bilinear).

Inverse problem
---------------
Self-absorption makes XRF tomography non-linear (the attenuation at the
line energies depends on the element maps). The classical remedy alternates
a linear reconstruction with the attenuation fixed and an update of the
attenuation from the current maps (Schroer, Appl. Phys. Lett. 79, 1912
(2001); La Rivière, Opt. Lett. 29, 1254 (2004); Golosio et al., J. Appl.
Phys. 94, 145 (2003)). Here:

- ``μ0`` at the incident energy comes from the transmission signal of the
  same scan, reconstructed by the caller (e.g. :func:`recon.sirt.sirt`);
- ``μ_l`` at each line energy is given, or estimated from ``μ0`` and a named
  host matrix (:func:`line_attenuation`): in the first outer pass the whole
  ``μ0`` is scaled by the matrix's mass-attenuation ratio
  ``(μ/ρ)(E_l)/(μ/ρ)(E0)``; in later passes the share of ``μ0`` carried by
  the reconstructed elements (``ρ_e·(μ/ρ)_e(E0)``, at most ``μ0``) is
  rescaled element by element and only the rest with the ratio of the
  matrix without those elements (e.g. Li + O for LiCoO2 when Co is mapped);
- each element is reconstructed from its lines jointly by SIRT with
  positivity on the weighted operator (Gregor & Benson, IEEE TMI 27, 918
  (2008)), warm-started from the previous outer pass.

With no attenuation (``μ0 = 0``) the method is plain SIRT of the sinograms
divided by ``k_l/10⁷``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import xraylib
from numba import njit
from scipy import ndimage, sparse

from sim import validate
from sim.errors import ValidationError
from sim.fluorescence import (NM_PER_CM, atomic_number, beam_grid, fluorescence_lines, optical_depth_before,
                              resample_bilinear)
from sim.progress import track
from sim.projector import footprints


@njit(cache=True)
def _projector_entries(n_z, n_x, cos_t, sin_t, voxel, rows, cols, vals):
    """Entries of the distance-driven projector (``sim.projector._forward`` for one slice, no shifts)."""
    n_cols = n_x
    cz = 0.5 * (n_z - 1)
    cx = 0.5 * (n_x - 1)
    col0 = 0.5 * (n_cols - 1)
    bins = np.empty(n_x, np.int64)
    w0 = np.empty(n_x, np.float32)
    w1 = np.empty(n_x, np.float32)
    n = 0
    for a in range(cos_t.size):
        c = cos_t[a]
        s = sin_t[a]
        m = max(abs(c), abs(s))
        for j in range(n_z):
            t0 = col0 + (j - cz) * s - cx * c + 0.5 - 0.5 * m
            footprints(t0, c, m, voxel, n_cols, bins, w0, w1)
            for i in range(n_x):
                k = bins[i] - 1
                if w0[i] != 0 and 0 <= k < n_cols:
                    rows[n] = a * n_cols + k
                    cols[n] = j * n_x + i
                    vals[n] = w0[i]
                    n += 1
                if w1[i] != 0 and 0 <= k + 1 < n_cols:
                    rows[n] = a * n_cols + k + 1
                    cols[n] = j * n_x + i
                    vals[n] = w1[i]
                    n += 1
    return n


@lru_cache(maxsize=8)
def _projector(shape: tuple[int, int], angles: tuple[float, ...], voxel_nm: float):
    """The projector as a CSR matrix (rows ``angle·n_x + column``) and each entry's index into the weights."""
    n_z, n_x = shape
    theta = np.deg2rad(np.asarray(angles))
    size = 2 * len(angles) * n_z * n_x
    rows = np.empty(size, np.int64)
    cols = np.empty(size, np.int64)
    vals = np.empty(size, np.float32)
    n = _projector_entries(n_z, n_x, np.cos(theta), np.sin(theta), np.float32(voxel_nm), rows, cols, vals)
    shape = (len(angles) * n_x, n_z * n_x)
    matrix = sparse.csr_matrix((vals[:n].astype(np.float64), (rows[:n], cols[:n])), shape=shape)
    matrix.sum_duplicates()
    entry_angle = np.repeat(np.arange(matrix.shape[0]) // n_x, np.diff(matrix.indptr))
    weight_index = entry_angle * (n_z * n_x) + matrix.indices
    return matrix, weight_index


@dataclass(frozen=True)
class XrfOperator:
    """The linear XRF forward operator of one line for fixed attenuation, and its adjoint.

    Build it with :func:`xrf_operator`.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix, shape (n_angles·n_x, n_z·n_x)
        ``A_μ``: mass density [g/cm³] (raveled ``(n_z, n_x)``) -> detected
        photons per incident photon (raveled ``(n_angles, n_x)``).
    shape : (int, int)
        The slice ``(n_z, n_x)``.
    n_angles : int
        Number of views.
    """

    matrix: sparse.csr_matrix
    shape: tuple
    n_angles: int

    def forward(self, density: np.ndarray) -> np.ndarray:
        """``A_μ ρ``: sinogram ``(n_angles, n_x)`` [photons per incident photon] of ``density`` [g/cm³]."""
        return (self.matrix @ np.asarray(density, np.float64).ravel()).reshape(self.n_angles, self.shape[1])

    def adjoint(self, sinogram: np.ndarray) -> np.ndarray:
        """``A_μᵀ y``: the transpose applied to a sinogram ``(n_angles, n_x)``, returns ``(n_z, n_x)``."""
        return (self.matrix.T @ np.asarray(sinogram, np.float64).ravel()).reshape(self.shape)


def attenuation_depths(mu_per_nm: np.ndarray, angles_deg, *, voxel_nm: float, direction: str,
                       detector_side: int = 1) -> np.ndarray:
    """Optical depth from each voxel's centre to the slice edge, at each tilt.

    Parameters
    ----------
    mu_per_nm : ndarray, shape (n_z, n_x)
        Linear attenuation coefficient [1/nm], >= 0.
    angles_deg : array_like, shape (n_angles,)
        Tilts [deg] (beam along ``(−sin θ, cos θ)``, :mod:`sim.fluorescence`).
    voxel_nm : float
        Voxel size [nm].
    direction : str
        ``"incident"``: integral from where the beam enters up to the voxel;
        ``"detector"``: from the voxel towards the detector along ``±u``.
    detector_side : int
        ``+1`` (towards +u) or ``-1``.

    Returns
    -------
    ndarray, float64, shape (n_angles, n_z, n_x)
        Dimensionless optical depth: the midpoint-rule path integrals of
        :func:`sim.fluorescence.xrf_projection` on the beam's grid,
        interpolated bilinearly back onto the voxel centres.

    Examples
    --------
    >>> mu = np.full((3, 3), 0.01)
    >>> depth = attenuation_depths(mu, [0.0], voxel_nm=10.0, direction="incident")
    >>> np.round(depth[0, :, 1], 6).tolist()       # 0.5, 1.5, 2.5 voxels of 0.1 each
    [0.05, 0.15, 0.25]
    """
    mu = _map("mu_per_nm", mu_per_nm, None)
    voxel = validate.positive("voxel_nm", voxel_nm, "[nm]")
    angles = validate.angles("angles_deg", angles_deg)
    if direction not in ("incident", "detector"):
        raise ValidationError("direction", direction, "'incident' or 'detector'")
    _side(detector_side)
    n_z, n_x = mu.shape
    z, x = np.meshgrid(np.arange(n_z) - (n_z - 1) / 2, np.arange(n_x) - (n_x - 1) / 2, indexing="ij")
    out = np.empty((angles.size, n_z, n_x))
    for a, angle in enumerate(np.deg2rad(angles)):
        coords, _ = beam_grid(mu.shape, angle)
        n_t, n_u = coords.shape[1:]
        samples = resample_bilinear(mu, coords)
        if direction == "incident":
            depth = optical_depth_before(samples, voxel, axis=0, reverse=False)
        else:
            depth = optical_depth_before(samples, voxel, axis=1, reverse=detector_side == 1)
        cos_t, sin_t = math.cos(angle), math.sin(angle)
        t = -x * sin_t + z * cos_t + (n_t - 1) / 2
        u = x * cos_t + z * sin_t + (n_u - 1) / 2
        out[a] = ndimage.map_coordinates(depth, np.stack([t, u]), order=1, mode="nearest")
    return out


def xrf_operator(mu_incident_per_nm, mu_line_per_nm, angles_deg, *, voxel_nm: float, cross_section_cm2_g: float,
                 solid_angle_sr: float = 4.0 * math.pi, detector_side: int = 1,
                 incident_depth: np.ndarray | None = None) -> XrfOperator:
    """The self-absorption-weighted XRF operator ``A_μ`` of one line (module docstring).

    Parameters
    ----------
    mu_incident_per_nm : ndarray, shape (n_z, n_x)
        Attenuation at the incident energy [1/nm], >= 0.
    mu_line_per_nm : ndarray, shape (n_z, n_x)
        Attenuation at the line's energy [1/nm], >= 0.
    angles_deg : array_like, shape (n_angles,)
        Tilts [deg].
    voxel_nm : float
        Voxel size = detector column pitch [nm].
    cross_section_cm2_g : float
        The line's production cross section σ_l [cm²/g]
        (:attr:`sim.fluorescence.Line.cross_section_cm2_g`).
    solid_angle_sr : float
        Detector solid angle Ω [sr], in (0, 4π].
    detector_side : int
        ``+1`` or ``-1`` (:mod:`sim.fluorescence`).
    incident_depth : ndarray, shape (n_angles, n_z, n_x), optional
        Precomputed :func:`attenuation_depths` of ``mu_incident_per_nm``
        (shared by all lines of a scan).

    Returns
    -------
    XrfOperator
        ``A_μ ρ = σ_l·Ω/4π · P_θ(w_θ ⊙ ρ) / 10⁷`` with ρ in g/cm³ and the
        sinogram in detected photons per incident photon.

    Examples
    --------
    >>> mu0 = np.zeros((4, 4))
    >>> op = xrf_operator(mu0, mu0, [0.0], voxel_nm=10.0, cross_section_cm2_g=46.6458)
    >>> np.round(op.forward(np.ones((4, 4)))[0] / (4 * 10.0e-7 * 46.6458), 6).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    mu0 = _map("mu_incident_per_nm", mu_incident_per_nm, None)
    mu_line = _map("mu_line_per_nm", mu_line_per_nm, mu0.shape)
    angles = validate.angles("angles_deg", angles_deg)
    voxel = validate.positive("voxel_nm", voxel_nm, "[nm]")
    sigma = validate.positive("cross_section_cm2_g", cross_section_cm2_g, "[cm²/g]")
    omega = _solid_angle(solid_angle_sr)
    _side(detector_side)
    if incident_depth is None:
        incident_depth = attenuation_depths(mu0, angles, voxel_nm=voxel, direction="incident")
    elif np.shape(incident_depth) != (angles.size, *mu0.shape):
        raise ValidationError("incident_depth.shape", np.shape(incident_depth), f"{(angles.size, *mu0.shape)}")
    depth = incident_depth + attenuation_depths(mu_line, angles, voxel_nm=voxel, direction="detector",
                                                detector_side=detector_side)
    base, weight_index = _projector(mu0.shape, tuple(angles.tolist()), voxel)
    scale = sigma * omega / (4.0 * math.pi) / NM_PER_CM
    data = base.data * (scale * np.exp(-depth).ravel()[weight_index])
    matrix = sparse.csr_matrix((data, base.indices.copy(), base.indptr.copy()), shape=base.shape)
    return XrfOperator(matrix, mu0.shape, angles.size)


def mass_attenuation_ratio(composition: dict, energy_kev: float, reference_kev: float) -> float:
    """``(μ/ρ)(E)/(μ/ρ)(E_ref)`` of a mixture given as ``{Z: mass fraction}`` (xraylib ``CS_Total``).

    Examples
    --------
    >>> round(mass_attenuation_ratio({27: 1.0}, 6.93, 10.0), 3)     # Co: below vs above its K edge
    0.342
    """
    total = sum(composition.values())
    at_e = sum(w * xraylib.CS_Total(z, energy_kev) for z, w in composition.items()) / total
    at_ref = sum(w * xraylib.CS_Total(z, reference_kev) for z, w in composition.items()) / total
    return at_e / at_ref


def line_attenuation(mu_incident_per_nm, line_energy_kev: float, *, energy_kev: float, matrix: str,
                     densities: dict | None = None) -> np.ndarray:
    """Estimate the attenuation at a line's energy from ``μ0`` and the host matrix.

    ``μ_l = s·Σ_e ρ_e·(μ/ρ)_e(E_l) + (μ0 − s·Σ_e ρ_e·(μ/ρ)_e(E0))·r_rest`` with
    ``s = min(1, μ0 / Σ_e ρ_e·(μ/ρ)_e(E0))`` per voxel (the elements cannot
    carry more than the measured ``μ0``) and ``r_rest`` the mass-attenuation
    ratio ``(μ/ρ)(E_l)/(μ/ρ)(E0)`` of ``matrix`` without the elements of
    ``densities`` (renormalised; the whole matrix when nothing is left).
    With ``densities=None`` (nothing mapped yet) this is ``μ0·r_matrix``.
    Mass attenuation from xraylib ``CS_Total`` (Schoonjans et al.,
    Spectrochim. Acta B 66, 776 (2011)).

    Parameters
    ----------
    mu_incident_per_nm : ndarray, shape (n_z, n_x)
        Attenuation at the incident energy [1/nm] (from transmission), >= 0.
    line_energy_kev : float
        The line's energy [keV].
    energy_kev : float
        Incident energy [keV].
    matrix : str
        Chemical formula of the host material (xraylib ``CompoundParser``),
        e.g. ``"LiCoO2"``.
    densities : dict, optional
        Element symbol -> ``(n_z, n_x)`` mass density [g/cm³] mapped so far.

    Returns
    -------
    ndarray, float64, shape (n_z, n_x)
        ``μ_l`` [1/nm].

    Examples
    --------
    >>> mu0 = np.full((1, 1), 5.05 * xraylib.CS_Total_CP("LiCoO2", 10.0) * 1e-7)
    >>> truth = 5.05 * xraylib.CS_Total_CP("LiCoO2", 6.93) * 1e-7
    >>> float(np.round(line_attenuation(mu0, 6.93, energy_kev=10.0, matrix="LiCoO2")[0, 0] / truth, 6))
    1.0
    >>> rho_co = {"Co": np.full((1, 1), 5.05 * 0.6021)}
    >>> estimate = line_attenuation(mu0, 6.93, energy_kev=10.0, matrix="LiCoO2", densities=rho_co)
    >>> float(np.round(estimate[0, 0] / truth, 3))
    1.0
    """
    mu0 = _map("mu_incident_per_nm", mu_incident_per_nm, None).astype(np.float64)
    line_kev = validate.positive("line_energy_kev", line_energy_kev, "[keV]")
    energy = validate.positive("energy_kev", energy_kev, "[keV]")
    composition = _composition(matrix)
    if not densities:
        return mu0 * mass_attenuation_ratio(composition, line_kev, energy)
    zs = {atomic_number(symbol) for symbol in densities}
    rest = {z: w for z, w in composition.items() if z not in zs}
    rest_ratio = mass_attenuation_ratio(rest if rest else composition, line_kev, energy)
    at_incident = np.zeros_like(mu0)
    at_line = np.zeros_like(mu0)
    for symbol, density in densities.items():
        z = atomic_number(symbol)
        rho = _map(f"densities[{symbol}]", density, mu0.shape)
        at_incident += rho * (xraylib.CS_Total(z, energy) / NM_PER_CM)
        at_line += rho * (xraylib.CS_Total(z, line_kev) / NM_PER_CM)
    share = np.minimum(1.0, np.divide(mu0, at_incident, out=np.ones_like(mu0), where=at_incident > 0))
    return share * at_line + (mu0 - share * at_incident) * rest_ratio


@dataclass(frozen=True)
class XrfTomogram:
    """Result of :func:`xrf_tomography`.

    Attributes
    ----------
    densities : dict
        Element symbol -> ``(n_z, n_x)`` mass density [g/cm³].
    mu_line_per_nm : dict
        Line name -> ``(n_z, n_x)`` attenuation at the line energy [1/nm]
        used in the last outer pass.
    residuals : dict
        Element symbol -> list (one per outer pass) of lists (one per SIRT
        iteration, before the update, plus the final one) of the relative
        data residual ``‖b − A_μ ρ‖₂ / ‖b‖₂`` over that element's lines.
    """

    densities: dict
    mu_line_per_nm: dict
    residuals: dict


def xrf_tomography(
    sinograms: dict,
    angles_deg,
    *,
    voxel_nm: float,
    energy_kev: float,
    lines,
    mu_incident_per_nm,
    mu_line_per_nm: dict | None = None,
    matrix: str | None = None,
    n_outer: int = 3,
    n_iter: int = 50,
    relaxation: float = 1.0,
    detector_side: int = 1,
    solid_angle_sr: float = 4.0 * math.pi,
    progress: bool = True,
) -> XrfTomogram:
    """Reconstruct element mass densities from XRF sinograms, correcting self-absorption.

    Alternates (``n_outer`` passes) an estimate of the attenuation at the
    line energies with ``n_iter`` SIRT iterations (positivity) per element on
    the self-absorption-weighted operator (module docstring).

    Parameters
    ----------
    sinograms : dict
        Line name (``"Co Ka"``) -> ``(n_angles, n_x)`` detected photons per
        incident photon (``instruments.xrf_sinogram.xrf_sinograms``; divide
        measured counts by flux × dwell × detector efficiency first).
    angles_deg : array_like, shape (n_angles,)
        Tilts [deg]. With the detector on one side, 0–360° sees every voxel
        from both the near and the far side of the sample.
    voxel_nm : float
        Voxel size = scan step [nm].
    energy_kev : float
        Incident energy [keV].
    lines : sequence of str
        Lines to use (``("Co Ka", "Ti Ka")``); each element named is
        reconstructed from all of its lines given here, jointly.
    mu_incident_per_nm : ndarray, shape (n_z, n_x)
        Attenuation at ``energy_kev`` [1/nm], >= 0, reconstructed from the
        transmission signal of the scan (e.g. SIRT with positivity); sets
        the grid.
    mu_line_per_nm : dict, optional
        Line name -> ``(n_z, n_x)`` attenuation at that line [1/nm], >= 0;
        lines not given are estimated with :func:`line_attenuation`.
    matrix : str, optional
        Formula of the host material (``"LiCoO2"``); required when some line
        has no map in ``mu_line_per_nm``.
    n_outer : int
        Outer passes (attenuation update + SIRT), >= 1.
    n_iter : int
        SIRT iterations per element per pass, >= 1.
    relaxation : float
        SIRT relaxation λ in (0, 2).
    detector_side : int
        ``+1`` or ``-1`` (:mod:`sim.fluorescence`).
    solid_angle_sr : float
        Detector solid angle Ω [sr] the sinograms were recorded with.
    progress : bool
        Show a progress bar.

    Returns
    -------
    XrfTomogram
        Mass densities [g/cm³], the line attenuation used and the residual
        history.

    Raises
    ------
    ValidationError
        A line not excited at ``energy_kev`` or without a sinogram, shapes
        that do not match, negative attenuation, a bad iteration count.

    Examples
    --------
    >>> from sim.fluorescence import xrf_projection
    >>> rho = np.zeros((8, 8)); rho[2:6, 3:6] = 2.0
    >>> mu0 = np.zeros((8, 8)); angles = np.linspace(0, 360, 16, endpoint=False)
    >>> sino = np.stack([xrf_projection({"Fe": rho}, mu0, dict.fromkeys(["Fe Ka", "Fe Kb", "Fe La", "Fe Lb"], mu0),
    ...                                 energy_kev=10.0, voxel_nm=50.0, angle_deg=a)["Fe Ka"] for a in angles])
    >>> out = xrf_tomography({"Fe Ka": sino}, angles, voxel_nm=50.0, energy_kev=10.0, lines=["Fe Ka"],
    ...                      mu_incident_per_nm=mu0, matrix="Fe2O3", n_outer=1, n_iter=100, progress=False)
    >>> round(float(out.densities["Fe"][2:6, 3:6].mean()), 1)
    2.0
    """
    mu0 = _map("mu_incident_per_nm", mu_incident_per_nm, None).astype(np.float64)
    angles = validate.angles("angles_deg", angles_deg)
    voxel = validate.positive("voxel_nm", voxel_nm, "[nm]")
    energy = validate.positive("energy_kev", energy_kev, "[keV]")
    n_outer = _count("n_outer", n_outer)
    n_iter = _count("n_iter", n_iter)
    relaxation = validate.in_range("relaxation", relaxation, 1e-6, 2 - 1e-6)
    omega = _solid_angle(solid_angle_sr)
    _side(detector_side)
    by_element = _lines_by_element(lines, energy)
    expected = (angles.size, mu0.shape[1])
    data = {}
    for name in (line.name for group in by_element.values() for line in group):
        if name not in sinograms:
            raise ValidationError("sinograms", sorted(sinograms), f"a sinogram for every line in lines, incl. {name!r}")
        data[name] = validate.finite_array(f"sinograms[{name}]", sinograms[name], 2, "(n_angles, n_x)", np.float64)
        if data[name].shape != expected:
            raise ValidationError(f"sinograms[{name}].shape", data[name].shape,
                                  f"{expected}: (len(angles_deg), n_x of mu_incident_per_nm)")
    given = {}
    for name, mu_line in (mu_line_per_nm or {}).items():
        given[name] = _map(f"mu_line_per_nm[{name}]", mu_line, mu0.shape)
    if matrix is None and set(data) - set(given):
        missing = sorted(set(data) - set(given))
        raise ValidationError("matrix", None, f"a host formula (e.g. 'LiCoO2') to estimate μ at {missing}")
    if matrix is not None:
        _composition(matrix)

    incident_depth = attenuation_depths(mu0, angles, voxel_nm=voxel, direction="incident")
    densities = {symbol: np.zeros(mu0.shape) for symbol in by_element}
    residuals: dict[str, list] = {symbol: [] for symbol in by_element}
    mu_lines: dict[str, np.ndarray] = {}
    for outer in track(range(n_outer), description="XRF tomography", total=n_outer, enabled=progress):
        mapped = {s: d.copy() for s, d in densities.items()} if outer > 0 else None
        for symbol, group in by_element.items():
            operators = []
            for line in group:
                if line.name in given:
                    mu_lines[line.name] = given[line.name]
                else:
                    mu_lines[line.name] = line_attenuation(mu0, line.energy_kev, energy_kev=energy, matrix=matrix,
                                                           densities=mapped)
                operators.append(xrf_operator(mu0, mu_lines[line.name], angles, voxel_nm=voxel,
                                              cross_section_cm2_g=line.cross_section_cm2_g, solid_angle_sr=omega,
                                              detector_side=detector_side, incident_depth=incident_depth).matrix)
            system = sparse.vstack(operators, format="csr")
            b = np.concatenate([data[line.name].ravel() for line in group])
            history = _sirt(system, b, densities[symbol].ravel(), n_iter, relaxation)
            residuals[symbol].append(history)
    return XrfTomogram(densities, mu_lines, residuals)


def _sirt(system: sparse.csr_matrix, b: np.ndarray, x: np.ndarray, n_iter: int, relaxation: float) -> list[float]:
    """SIRT with positivity, updating ``x`` in place (as :func:`recon.sirt.sirt`); returns relative residuals."""
    row_sums = system @ np.ones(system.shape[1])
    inv_rows = np.divide(1.0, row_sums, out=np.zeros_like(row_sums), where=row_sums > 1e-6 * row_sums.max())
    col_sums = system.T @ np.ones(system.shape[0])
    inv_cols = np.divide(relaxation, col_sums, out=np.zeros_like(col_sums), where=col_sums > 1e-6 * col_sums.max())
    norm = max(float(np.linalg.norm(b)), np.finfo(float).tiny)
    history = []
    for _ in range(n_iter):
        r = b - system @ x
        history.append(float(np.linalg.norm(r)) / norm)
        x += inv_cols * (system.T @ (inv_rows * r))
        np.maximum(x, 0.0, out=x)
    history.append(float(np.linalg.norm(b - system @ x)) / norm)
    return history


def _lines_by_element(lines, energy_kev: float) -> dict:
    names = [lines] if isinstance(lines, str) else list(lines)
    if not names:
        raise ValidationError("lines", lines, "at least one line name such as 'Co Ka'")
    groups: dict[str, list] = {}
    for name in names:
        symbol = str(name).split(" ")[0]
        try:
            known = {line.name: line for line in fluorescence_lines(symbol, energy_kev)}
        except ValidationError:
            known = {}
        if name not in known:
            allowed = f"a line excited at {energy_kev} keV, e.g. {sorted(known) or ['Co Ka', 'Ti Ka']}"
            raise ValidationError("lines", name, allowed)
        group = groups.setdefault(symbol, [])
        if known[name] not in group:
            group.append(known[name])
    return groups


def _composition(matrix) -> dict:
    try:
        parsed = xraylib.CompoundParser(str(matrix))
    except ValueError:
        raise ValidationError("matrix", matrix, "a chemical formula xraylib can parse, e.g. 'LiCoO2'") from None
    return dict(zip(parsed["Elements"], parsed["massFractions"]))


def _map(field: str, array, shape) -> np.ndarray:
    data = validate.finite_array(field, array, 2, "(n_z, n_x)", dtype=np.float64)
    if shape is not None and data.shape != shape:
        raise ValidationError(f"{field}.shape", data.shape, f"the shape of mu_incident_per_nm {shape}")
    if np.any(data < 0):
        allowed = "values >= 0 (clip, or reconstruct μ with positivity)"
        raise ValidationError(field, f"<min {data.min():.3g}>", allowed)
    return data


def _count(field: str, value) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValidationError(field, value, "an integer >= 1")
    if not math.isfinite(value) or int(value) != value or value < 1:
        raise ValidationError(field, value, "an integer >= 1")
    return int(value)


def _solid_angle(solid_angle_sr) -> float:
    omega = validate.in_range("solid_angle_sr", solid_angle_sr, 0.0, 4.0 * math.pi, "[sr]")
    if omega == 0.0:
        raise ValidationError("solid_angle_sr", solid_angle_sr, "a solid angle in (0, 4π] [sr]")
    return omega


def _side(detector_side) -> None:
    if detector_side not in (1, -1):
        raise ValidationError("detector_side", detector_side, "+1 or -1")
