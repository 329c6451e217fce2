"""XRF sinograms of a phantom slice: every reachable line of every element, with self-absorption.

From the phantom's materials: each element's mass density per voxel
[g/cm³] (volume fraction × density × mass fraction), the attenuation at the
incident energy and at every line's energy [1/nm] (``Phantom.mu_per_nm``);
then :func:`sim.fluorescence.xrf_projection` at each angle. Elements without
a line the incident energy can excite are returned separately, with the
reason, not dropped. This is the sample stage of the scanning X-ray twin at
the ``projection`` level (pencil beam, no probe spread).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xraylib

from sim import validate
from sim.errors import ValidationError
from sim.fluorescence import NM_PER_CM, reachable_lines, xrf_projection
from sim.progress import track
from sim.xrf_volume import xrf_volume_projection


@dataclass(frozen=True)
class XrfSinograms:
    """XRF sinograms of one slice.

    Attributes
    ----------
    lines : dict
        Line name (``"Fe Ka"``) -> ``(n_angles, n_x)`` detected photons per
        incident photon.
    concentrations : dict
        Element symbol -> ``(n_z, n_x)`` mass density of the element [g/cm³]
        (the ground truth of XRF tomography).
    unreachable : list
        ``(element, reason)`` of the elements with no line excited.
    angles_deg : ndarray
        The tilts [deg].
    """

    lines: dict
    concentrations: dict
    unreachable: list
    angles_deg: np.ndarray


def element_concentrations(phantom, row: int | None = None) -> dict[str, np.ndarray]:
    """Mass density of each element [g/cm³]: Σ over materials of fraction × ρ × mass fraction.

    In slice ``row`` (``(n_z, n_x)`` maps), or in the whole volume when ``row`` is None.
    """
    fractions = phantom.fractions if row is None else phantom.fractions[:, row]
    maps: dict[str, np.ndarray] = {}
    for fraction, material in zip(fractions, phantom.materials):
        for z, mass_fraction in material.mass_fractions.items():
            symbol = xraylib.AtomicNumberToSymbol(z)
            maps[symbol] = maps.get(symbol, 0.0) + fraction.astype(np.float64) * material.density_g_cm3 * mass_fraction
    return maps


def xrf_sinograms(phantom, energy_kev: float, angles_deg, *, row: int | None = None, detector_side: int = 1,
                  solid_angle_sr: float = 4.0 * np.pi, self_absorption: bool = True,
                  progress: bool = True) -> XrfSinograms:
    """Fluorescence sinograms of one slice of ``phantom`` at ``energy_kev`` [keV].

    ``self_absorption=False`` gives the linear (attenuation-free) signal, the
    reference self-absorption distorts. ``row`` defaults to the middle slice.

    Examples
    --------
    >>> import phantoms
    >>> from phantoms.library import material
    >>> f = np.zeros((1, 1, 8, 8), np.float32); f[0, 0, 2:6, 2:6] = 1.0
    >>> p = phantoms.Phantom(f, (material("NiO"),), voxel_nm=100.0)
    >>> s = xrf_sinograms(p, 10.0, [0.0, 90.0], progress=False)
    >>> sorted(s.lines), s.lines["Ni Ka"].shape
    (['Ni Ka', 'Ni Kb', 'Ni La', 'Ni Lb', 'O Ka'], (2, 8))
    >>> sorted(xrf_sinograms(p, 5.0, [0.0], progress=False).lines)    # below the Ni K edge (8.33 keV)
    ['Ni La', 'Ni Lb', 'O Ka']
    """
    validate.positive("energy_kev", energy_kev, "keV")
    angles = np.atleast_1d(np.asarray(angles_deg, dtype=np.float64))
    row = phantom.shape[0] // 2 if row is None else int(row)
    if not 0 <= row < phantom.shape[0]:
        raise ValidationError("row", row, f"a slice index in [0, {phantom.shape[0]})")
    concentrations = element_concentrations(phantom, row)
    found, unreachable = reachable_lines(list(concentrations), energy_kev)
    excited = {symbol: concentrations[symbol] for symbol in found}
    if not excited:
        raise ValidationError("energy_kev", energy_kev, f"an energy exciting a line of {sorted(concentrations)}")
    mu_incident = phantom.mu_per_nm(energy_kev).data[row]
    mu_lines = {line.name: phantom.mu_per_nm(line.energy_kev).data[row] for lines in found.values() for line in lines}
    if not self_absorption:
        mu_incident = np.zeros_like(mu_incident)
        mu_lines = {name: np.zeros_like(m) for name, m in mu_lines.items()}
    sinograms: dict[str, list] = {name: [] for name in mu_lines}
    for angle in track(angles, description="XRF sinograms", enabled=progress):
        signal = xrf_projection(excited, mu_incident, mu_lines, energy_kev=energy_kev, voxel_nm=phantom.voxel_nm,
                                angle_deg=float(angle), detector_side=detector_side, solid_angle_sr=solid_angle_sr)
        for name, values in signal.items():
            sinograms[name].append(values)
    return XrfSinograms({name: np.stack(v) for name, v in sinograms.items()}, concentrations, unreachable, angles)


@dataclass(frozen=True)
class MaterialTables:
    """The phantom's materials as a basis for :func:`sim.xrf_volume.xrf_volume_projection`.

    Attributes
    ----------
    lines : list of sim.fluorescence.Line
        Every reachable line of every element of the phantom, in a fixed order.
    mu_incident_per_nm : ndarray, (n_mat,)
        Attenuation of each pure material at the incident energy [1/nm].
    mu_line_per_nm : ndarray, (n_lines, n_mat)
        Attenuation of each pure material at each line's energy [1/nm].
    emission_per_nm : ndarray, (n_lines, n_mat)
        Photons of each line per incident photon per nm of pure material:
        density × mass fraction of the line's element × line cross section / 10⁷ [1/nm].
    unreachable : list
        ``(element, reason)`` of the phantom's elements with no line excited.
    """

    lines: list
    mu_incident_per_nm: np.ndarray
    mu_line_per_nm: np.ndarray
    emission_per_nm: np.ndarray
    unreachable: list


def material_tables(phantom, energy_kev: float) -> MaterialTables:
    """Attenuation and line emission of each of ``phantom``'s materials at ``energy_kev`` [keV].

    Examples
    --------
    >>> import phantoms
    >>> from phantoms.library import material
    >>> p = phantoms.Phantom(np.ones((1, 2, 2, 2), np.float32), (material("NiO"),), voxel_nm=10.0)
    >>> t = material_tables(p, 10.0)
    >>> [line.name for line in t.lines], t.emission_per_nm.shape
    (['O Ka', 'Ni Ka', 'Ni Kb', 'Ni La', 'Ni Lb'], (5, 1))
    """
    validate.positive("energy_kev", energy_kev, "keV")
    symbols = sorted({xraylib.AtomicNumberToSymbol(z) for m in phantom.materials for z in m.mass_fractions},
                     key=lambda s: xraylib.SymbolToAtomicNumber(s))
    found, unreachable = reachable_lines(symbols, energy_kev)
    if not found:
        raise ValidationError("energy_kev", energy_kev, f"an energy exciting a line of {symbols}")
    lines = [line for symbol in found for line in found[symbol]]
    mu0 = np.array([m.mu_per_nm(energy_kev) for m in phantom.materials])
    mu_line = np.array([[m.mu_per_nm(line.energy_kev) for m in phantom.materials] for line in lines])
    emission = np.array([[m.density_g_cm3 * m.mass_fractions.get(xraylib.SymbolToAtomicNumber(line.name.split()[0]), 0.0)
                          * line.cross_section_cm2_g / NM_PER_CM for m in phantom.materials] for line in lines])
    return MaterialTables(lines, mu0, mu_line, emission, unreachable)


def xrf_projections(phantom, energy_kev: float, angles_deg, *, detector_side: int = 1,
                    solid_angle_sr: float = 4.0 * np.pi, self_absorption: bool = True,
                    progress: bool = True) -> tuple[MaterialTables, np.ndarray]:
    """Pencil-beam XRF projections of the whole phantom: every line, every row, every angle.

    Returns the material tables and the signals, shape
    ``(n_lines, n_angles, n_rows, n_x)``, in detected photons per incident
    photon (the order of ``tables.lines``). Same physics and geometry as
    :func:`xrf_sinograms`, computed by :func:`sim.xrf_volume.xrf_volume_projection`.

    Examples
    --------
    >>> import phantoms
    >>> from phantoms.library import material
    >>> f = np.zeros((1, 2, 8, 8), np.float32); f[0, :, 2:6, 2:6] = 1.0
    >>> p = phantoms.Phantom(f, (material("NiO"),), voxel_nm=100.0)
    >>> tables, signal = xrf_projections(p, 10.0, [0.0, 90.0], progress=False)
    >>> signal.shape
    (5, 2, 2, 8)
    """
    angles = np.atleast_1d(np.asarray(angles_deg, dtype=np.float64))
    tables = material_tables(phantom, energy_kev)
    mu0, mu_line = tables.mu_incident_per_nm, tables.mu_line_per_nm
    if not self_absorption:
        mu0, mu_line = np.zeros_like(mu0), np.zeros_like(mu_line)
    out = np.empty((len(tables.lines), angles.size, *phantom.shape[:1], phantom.shape[2]))
    for k, angle in enumerate(track(angles, description="XRF projections", enabled=progress)):
        out[:, k] = xrf_volume_projection(phantom.fractions, mu0, mu_line, tables.emission_per_nm,
                                          voxel_nm=phantom.voxel_nm, angle_deg=float(angle),
                                          detector_side=detector_side, solid_angle_sr=solid_angle_sr)
    return tables, out
