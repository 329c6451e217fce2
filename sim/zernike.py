"""Zernike phase contrast: a phase ring in the objective's back focal plane.

The direct (undiffracted) light of each condenser point crosses the back
focal plane at the image of that point, so with an annular condenser all of
it falls on an annulus; a ring there that shifts its phase by ``ψ = ±π/2``
and attenuates it turns the phase of a weakly scattering sample into
intensity (Zernike, Physica 9, 686, 1942; Born & Wolf, *Principles of
Optics*, 7th ed., §8.6.3; for X-rays Schmahl et al., Optik 97, 181, 1994).
For a weak object ``t ≈ 1 + iφ`` and a ring of amplitude transmission ``a``::

    I ≈ a² + 2aφ·sin ψ     so     ΔI/I_background ≈ (2/a)·φ·sin ψ

with ``φ`` the object phase in the repository's convention
``t = exp(−i k∫δ dz)`` (``φ = −k∫δ dz < 0`` for matter): ``ψ = +π/2`` makes
matter dark (positive phase contrast), ``ψ = −π/2`` bright. Low object
frequencies that also fall on the ring get the same treatment as the direct
beam, which is why large uniform regions fade towards the background
(shade-off) and edges carry a halo of opposite sign about ``1/w`` wide, ``w``
the ring width in frequency; both come out of Abbe's sum
(:func:`sim.partial_coherence.abbe_image`) with the ring in the pupil.

Conventions: numerical apertures on the object side (ring position in the
pupil written as the condenser NA whose direct light it catches), energies
in keV, spatial frequencies in 1/nm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim import validate
from sim.errors import ValidationError
from sim.partial_coherence import Condenser
from sim.xray_wave import wavelength_nm
from sim.zone_plate import ZonePlate


@dataclass(frozen=True)
class PhaseRing:
    """An absorbing phase ring in the back focal plane, conjugate to a condenser annulus.

    Parameters
    ----------
    na_inner, na_outer : float
        Inner and outer edge of the ring, as object-side numerical apertures
        (the ring covers pupil frequencies ``na_inner/λ ≤ |f| ≤ na_outer/λ``).
    phase_shift_rad : float
        Phase ``ψ`` added to the light crossing the ring [rad], in [−π, π];
        ``+π/2`` positive, ``−π/2`` negative phase contrast.
    intensity_transmission : float
        Intensity transmission ``a²`` of the ring in (0, 1]; an absorbing
        ring (``a² ≈ 0.1–0.3``) raises the contrast by ``1/a`` (Born & Wolf
        §8.6.3). Default 0.25.

    Examples
    --------
    >>> ring = PhaseRing.matched(Condenser(0.003, 0.0025))
    >>> ring.na_inner, ring.na_outer, round(ring.phase_shift_rad, 4)
    (0.0025, 0.003, 1.5708)
    >>> PhaseRing(0.002, 0.001)
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: na_outer = 0.001 is not allowed; allowed: a number in [0.002, 1.0]
    """

    na_inner: float
    na_outer: float
    phase_shift_rad: float = math.pi / 2
    intensity_transmission: float = 0.25

    def __post_init__(self):
        inner = validate.in_range("na_inner", self.na_inner, 0.0, 1.0)
        outer = validate.in_range("na_outer", self.na_outer, inner, 1.0)
        if outer <= inner or outer >= 1.0:
            raise ValidationError("na_outer", self.na_outer, f"a number in ({inner}, 1)")
        object.__setattr__(self, "na_inner", inner)
        object.__setattr__(self, "na_outer", outer)
        phase = validate.in_range("phase_shift_rad", self.phase_shift_rad, -math.pi, math.pi, "rad")
        object.__setattr__(self, "phase_shift_rad", phase)
        transmission = validate.in_range("intensity_transmission", self.intensity_transmission, 0.0, 1.0)
        if transmission <= 0.0:
            raise ValidationError("intensity_transmission", self.intensity_transmission, "a number in (0, 1]")
        object.__setattr__(self, "intensity_transmission", transmission)

    @classmethod
    def matched(
        cls,
        condenser: Condenser,
        *,
        phase_shift_rad: float = math.pi / 2,
        intensity_transmission: float = 0.25,
    ) -> PhaseRing:
        """The ring that catches exactly the direct light of an annular ``condenser``."""
        if not isinstance(condenser, Condenser):
            raise ValidationError("condenser", condenser, "a Condenser instance")
        if condenser.na_outer <= condenser.na_inner:
            raise ValidationError("condenser", condenser, "an illumination aperture of non-zero width (na_outer > na_inner)")
        return cls(condenser.na_inner, condenser.na_outer, phase_shift_rad, intensity_transmission)

    def factor(self, fx, fy, energy_kev: float) -> np.ndarray:
        """Pupil factor [complex]: ``a·exp(iψ)`` on the ring, 1 elsewhere, at frequencies ``fx``, ``fy`` [1/nm].

        >>> ring = PhaseRing(0.0024, 0.003, intensity_transmission=0.25)
        >>> np.round(ring.factor(np.array([0.0, 0.018]), 0.0, 8.0), 6)
        array([1.+0.j , 0.+0.5j])
        """
        wavelength = wavelength_nm(energy_kev)
        f = np.hypot(np.asarray(fx, dtype=np.float64), np.asarray(fy, dtype=np.float64)) * wavelength
        on_ring = (f >= self.na_inner) & (f <= self.na_outer)
        value = math.sqrt(self.intensity_transmission) * complex(math.cos(self.phase_shift_rad), math.sin(self.phase_shift_rad))
        return np.where(on_ring, value, 1.0 + 0.0j)


@dataclass(frozen=True)
class ZernikeObjective:
    """A zone-plate objective with a phase ring in its back focal plane.

    Has the ``pupil``/``numerical_aperture`` interface of
    :class:`sim.zone_plate.ZonePlate`, so it goes straight into
    :func:`sim.partial_coherence.abbe_image`. The ring must lie inside the
    zone plate's aperture (``na_outer ≤ λ/(2Δr_N)``), checked per energy.

    Examples
    --------
    >>> zp = ZonePlate(diameter_um=100.0, outer_zone_nm=25.0)
    >>> zernike = ZernikeObjective(zp, PhaseRing(0.0025, 0.003))
    >>> zernike.pupil(np.array([0.0, 0.01, 0.019]), 0.0, 8.0).round(3)
    array([1.+0.j , 1.+0.j , 0.+0.5j])
    >>> zernike.pupil(0.0, 0.0, 10.0)
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: ring.na_outer = 0.003 is not allowed; allowed: <= the objective NA 0.00248 at 10 keV
    """

    zone_plate: ZonePlate
    ring: PhaseRing

    def __post_init__(self):
        if not isinstance(self.zone_plate, ZonePlate):
            raise ValidationError("zone_plate", self.zone_plate, "a ZonePlate instance")
        if not isinstance(self.ring, PhaseRing):
            raise ValidationError("ring", self.ring, "a PhaseRing instance")

    def numerical_aperture(self, energy_kev: float) -> float:
        """Object-side NA of the zone plate (the ring does not change it)."""
        return self.zone_plate.numerical_aperture(energy_kev)

    def pupil(self, fx, fy, energy_kev: float, defocus_nm: float = 0.0) -> np.ndarray:
        """Zone-plate pupil times the ring factor, frequencies ``fx``, ``fy`` [1/nm], defocus [nm]."""
        na = self.numerical_aperture(energy_kev)
        if self.ring.na_outer > na:
            raise ValidationError("ring.na_outer", self.ring.na_outer, f"<= the objective NA {na:.4g} at {energy_kev:g} keV")
        return self.zone_plate.pupil(fx, fy, energy_kev, defocus_nm) * self.ring.factor(fx, fy, energy_kev)
