"""The TXM's optics stage at the ``wave`` level: sample exit wave → zone-plate image intensity.

Per view: the projected refractive index (∫δ dz, ∫β dz) gives the complex
transmission (projection approximation, :mod:`sim.xray_wave`); the condenser
illuminates it with a cone of plane waves and the zone-plate objective (with
its central stop, defocus and, for Zernike contrast, the phase ring) images
it, partially coherently (Abbe's method, :mod:`sim.partial_coherence`). The
intensity must be sampled at ``λ/(4·NA) = Δr_N/2`` or finer, so a coarser
detector pixel is simulated on a finer optical grid (each pixel's
transmission is replicated onto it, which keeps every path integral) and
block-averaged back.
"""

from __future__ import annotations

import math

import numpy as np

from sim.partial_coherence import Condenser, abbe_image
from sim.xray_wave import complex_transmission
from sim.zernike import PhaseRing, ZernikeObjective


def optical_factor(pixel_nm: float, outer_zone_nm: float) -> int:
    """Integer refinement of a detector pixel [nm] so the optical grid samples at ``Δr_N/2`` or finer.

    >>> optical_factor(20.0, 25.0), optical_factor(10.0, 25.0)
    (2, 1)
    """
    return max(1, math.ceil(pixel_nm / (outer_zone_nm / 2.0) - 1e-9))


def objective_of(txm):
    """The zone plate, with the matched Zernike phase ring when ``txm.zernike_phase_rad`` is set, and the condenser."""
    na = txm.zone_plate.numerical_aperture(txm.energy_kev)
    condenser = Condenser.from_sigma(na, txm.condenser_sigma_outer, txm.condenser_sigma_inner)
    if txm.zernike_phase_rad is None:
        return txm.zone_plate, condenser
    ring = PhaseRing.matched(condenser, phase_shift_rad=txm.zernike_phase_rad,
                             intensity_transmission=txm.ring_transmission)
    return ZernikeObjective(txm.zone_plate, ring), condenser


def imaging(txm, pixel_nm: float) -> tuple[int, dict]:
    """The optical refinement of a ``pixel_nm`` detector grid and the :func:`abbe_image` settings of ``txm``."""
    factor = optical_factor(pixel_nm, txm.zone_plate.outer_zone_nm)
    objective, condenser = objective_of(txm)
    return factor, dict(pixel_nm=pixel_nm / factor, energy_kev=txm.energy_kev, objective=objective,
                        condenser=condenser, defocus_nm=txm.defocus_nm, n_source_points=txm.n_source_points)


def refine(array: np.ndarray, factor: int) -> np.ndarray:
    """``array`` replicated onto a grid ``factor`` times finer along its last two axes (path integrals kept)."""
    return array if factor == 1 else np.repeat(np.repeat(array, factor, axis=-2), factor, axis=-1)


def coarsen(image: np.ndarray, factor: int) -> np.ndarray:
    """``image`` block-averaged back onto the detector grid along its last two axes."""
    if factor == 1:
        return image
    *lead, rows, cols = image.shape
    return image.reshape(*lead, rows // factor, factor, cols // factor, factor).mean(axis=(-3, -1))


def open_beam(txm, factor: int, settings: dict) -> float:
    """Image intensity of a clear field, including the zone plate's efficiency (the flat field's level)."""
    clear = abbe_image(np.ones((8 * factor, 8 * factor), np.complex64), progress=False, **settings)
    return txm.zone_plate.efficiency * float(clear.mean())


def image_intensity(delta_paths_nm: np.ndarray, beta_paths_nm: np.ndarray, txm, pixel_nm: float, *,
                    progress: bool = True) -> tuple[np.ndarray, float]:
    """Image intensity of each view for unit incident intensity, and that of the open beam.

    Parameters
    ----------
    delta_paths_nm, beta_paths_nm : ndarray, (n_views, rows, cols)
        ∫δ dz and ∫β dz [nm] on the detector grid.
    txm : instruments.TXM
        Energy, zone plate, condenser, Zernike ring and defocus.
    pixel_nm : float
        Detector pixel referred to the sample [nm].

    Returns
    -------
    intensity : ndarray, float64, (n_views, rows, cols)
        Intensity on the detector grid, including the zone plate's
        first-order efficiency and the ring's absorption.
    open_beam : float
        The intensity of a clear field (the flat field's level).
    """
    factor, settings = imaging(txm, pixel_nm)
    transmission = refine(complex_transmission(delta_paths_nm, beta_paths_nm, txm.energy_kev), factor)
    intensity = coarsen(abbe_image(transmission, progress=progress, **settings), factor)
    return txm.zone_plate.efficiency * intensity, open_beam(txm, factor, settings)
