"""Phantoms that change in time: the samples of in-situ (4-D) experiments.

An evolving phantom answers :meth:`EvolvingPhantom.at` with the
:class:`~phantoms.phantom.Phantom` of one moment [s]: the grid, the voxel and
the materials are the same at every time, only the volume fractions change.
Anything with ``at(time_s) -> Phantom`` and ``duration_s`` satisfies the
:class:`Evolving` protocol; the two builders here return an
:class:`EvolvingPhantom` that caches everything that does not change with
time (the particle's occupancy, its distance map, the whisker sites), so a
call to ``at`` costs a few vectorised passes over the grid.

- :func:`lithiation_front`: a spherical LiFePO4/FePO4 particle with a sharp
  two-phase front moving in from the surface (shrinking-core model).
- :func:`growing_whiskers`: Ag whiskers growing out of a Cu particle.

After ``duration_s`` the sample stays as it is at ``duration_s`` (the reaction
has run to completion); negative times are refused.

Examples
--------
>>> front = lithiation_front(diameter_nm=400.0, front_speed_nm_per_s=10.0, voxel_nm=20.0)
>>> front.duration_s, front.at(5.0).params["front_radius_nm"]
(20.0, 150.0)
>>> isinstance(front, Evolving)
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import math

import numpy as np
from numba import njit

from sim import validate
from sim.errors import ValidationError

from phantoms.catalog._checks import count
from phantoms.grid import fit_grid, generator, seed_record
from phantoms.material import Material
from phantoms.phantom import Phantom
from phantoms.raster import rasterize, rasterize_box
from phantoms.shapes import Cylinder, Sphere, random_directions

LIFEPO4 = Material("LiFePO4", "LiFePO4", 3.60)
"""Olivine LiFePO4 (triphylite), Pnma, a = 10.332, b = 6.010, c = 4.692 Å, Z = 4 ->
ρ = Z·M/(N_A·V) = 3.60 g/cm³ (Padhi, Nanjundaswamy & Goodenough, J. Electrochem.
Soc. 144, 1188 (1997); Andersson et al., Solid State Ionics 130, 41 (2000))."""

FEPO4 = Material("FePO4", "FePO4", 3.68)
"""Heterosite FePO4 (delithiated olivine), Pnma, a = 9.821, b = 5.792, c = 4.788 Å,
Z = 4 -> 3.68 g/cm³ (Andersson et al. 2000): 6.8 % less volume than LiFePO4 for
the same Fe, so about 7 % more X-ray absorption at 8 keV (Fe dominates both)."""

CU = Material("Cu", "Cu", 8.96)
"""Copper, CRC Handbook (97th ed.) 8.96 g/cm³."""

AG = Material("Ag", "Ag", 10.49)
"""Silver, CRC Handbook (97th ed.) 10.49 g/cm³."""


@runtime_checkable
class Evolving(Protocol):
    """What an in-situ acquisition needs from a sample that changes in time."""

    duration_s: float

    def at(self, time_s: float) -> Phantom:
        """The sample at ``time_s`` [s]."""


@dataclass(frozen=True, eq=False)
class EvolvingPhantom:
    """A phantom whose volume fractions are a function of time.

    Parameters
    ----------
    fractions_at : callable
        ``fractions_at(time_s) -> (fractions, measured)``: the volume
        fractions ``(n_materials, n_rows, n_z, n_x)`` at ``time_s`` [s] (already
        checked to be >= 0) and a dict of what the builder knows about that
        moment (front radius, whisker lengths), added to the phantom's params.
    materials : tuple of Material
        The materials, the same at every time.
    voxel_nm : float
        Voxel edge [nm].
    duration_s : float
        Time [s] after which the sample no longer changes.
    name : str
        The builder that made it.
    params : dict
        The builder's resolved parameters.
    seed : int or None
        The seed of the builder's random draws (``None``: nothing random, or a Generator).

    Examples
    --------
    >>> grow = lambda t: (np.full((1, 2, 2, 2), min(t, 1.0), np.float32), {})
    >>> e = EvolvingPhantom(grow, (CU,), voxel_nm=5.0, duration_s=1.0, name="filling")
    >>> float(e.at(0.25).fractions.max()), e.at(3.0).params["time_s"]
    (0.25, 3.0)
    """

    fractions_at: Callable
    materials: tuple
    voxel_nm: float
    duration_s: float
    name: str = "evolving"
    params: dict = field(default_factory=dict)
    seed: int | None = None

    def __post_init__(self):
        if not callable(self.fractions_at):
            raise ValidationError("fractions_at", type(self.fractions_at).__name__, "a callable time_s -> (fractions, dict)")
        object.__setattr__(self, "materials", tuple(self.materials))
        object.__setattr__(self, "voxel_nm", validate.positive("voxel_nm", self.voxel_nm, "nm"))
        object.__setattr__(self, "duration_s", validate.positive("duration_s", self.duration_s, "s"))
        object.__setattr__(self, "params", dict(self.params))

    def __repr__(self) -> str:
        return (
            f"EvolvingPhantom(name={self.name!r}, duration_s={self.duration_s:g}, voxel_nm={self.voxel_nm:g}, "
            f"materials={tuple(m.name for m in self.materials)}, seed={self.seed})"
        )

    def at(self, time_s: float) -> Phantom:
        """The :class:`Phantom` at ``time_s`` [s] (>= 0); ``params`` records ``time_s``."""
        time = validate.non_negative("time_s", time_s, "s")
        fractions, measured = self.fractions_at(time)
        params = {**self.params, "time_s": time, **measured}
        return Phantom(fractions, self.materials, self.voxel_nm, name=self.name, params=params, seed=self.seed)


def lithiation_front(
    *,
    diameter_nm: float = 1000.0,
    front_speed_nm_per_s: float = 5.0,
    initial_front_radius_nm: float | None = None,
    reacted: Material = LIFEPO4,
    unreacted: Material = FEPO4,
    voxel_nm: float = 25.0,
    supersample: int = 4,
) -> EvolvingPhantom:
    """A spherical cathode particle lithiating from the surface inwards (shrinking core).

    The particle (``diameter_nm``) holds a core of the ``unreacted`` phase
    (default heterosite FePO4) inside a shell of the ``reacted`` phase
    (default LiFePO4), separated by a sharp spherical front whose radius
    shrinks at constant speed (the shrinking-core model of a reaction
    limited by the moving interface; Srinivasan & Newman, J. Electrochem.
    Soc. 151, A1517 (2004), for LiFePO4)::

        r(t) = clip(r₀ − v·t, 0, R)

    with ``r₀ = initial_front_radius_nm`` (default the particle radius R, an
    unreacted particle at t = 0) and ``v = front_speed_nm_per_s``. The
    reaction ends at ``duration_s = r₀ / v``. At 8 keV the two default
    phases differ by about 7 % in μ (μ(FePO4) = 4.92e-5, μ(LiFePO4) =
    4.61e-5 1/nm from xraylib): a weak absorption contrast, which is why
    in-situ studies of this front often use XANES at the Fe K-edge.

    The particle's occupancy and the voxels' distances to its centre are
    computed once; the core's occupancy at each time is 1 inside, 0 outside,
    and in the band of voxels the front crosses the mean over ``supersample``³
    sub-cells of the plane ramp ``clip(1/2 − (d − r)/h, 0, 1)`` of each
    sub-cell's distance ``d`` (sub-cell edge ``h``; the rule of
    :mod:`phantoms.raster`), capped by the particle's occupancy (and equal to
    it while the front is at the surface).

    Parameters
    ----------
    diameter_nm : float
        Particle diameter [nm].
    front_speed_nm_per_s : float
        Speed of the front [nm/s], > 0.
    initial_front_radius_nm : float, optional
        Front radius at t = 0 [nm], in (0, R]; default R.
    reacted, unreacted : Material
        Phases of the shell (behind the front) and of the core.
    voxel_nm : float
        Voxel edge [nm].
    supersample : int
        Sub-samples per voxel edge on the particle's surface.

    Returns
    -------
    EvolvingPhantom
        Materials ``(unreacted, reacted)``; ``at(t).params["front_radius_nm"]`` is r(t).

    Examples
    --------
    >>> e = lithiation_front(diameter_nm=400.0, front_speed_nm_per_s=10.0, voxel_nm=20.0)
    >>> p = e.at(10.0)
    >>> p.shape, p.material_names, p.params["front_radius_nm"]
    ((22, 22, 22), ('FePO4', 'LiFePO4'), 100.0)
    """
    diameter = validate.positive("diameter_nm", diameter_nm, "nm")
    speed = validate.positive("front_speed_nm_per_s", front_speed_nm_per_s, "nm/s")
    radius = diameter / 2
    start = radius
    if initial_front_radius_nm is not None:
        start = validate.in_range("initial_front_radius_nm", initial_front_radius_nm, 0.0, radius, "nm")
    if start <= 0:
        raise ValidationError("initial_front_radius_nm", initial_front_radius_nm, f"in (0, {radius}] nm")
    for name, phase in (("reacted", reacted), ("unreacted", unreacted)):
        if not isinstance(phase, Material):
            raise ValidationError(name, phase, "a phantoms.Material")
    if reacted.name == unreacted.name:
        raise ValidationError("reacted", reacted.name, f"a material other than unreacted={unreacted.name!r}")
    voxel = validate.positive("voxel_nm", voxel_nm, "nm")
    grid = fit_grid((diameter,) * 3, voxel)
    particle = rasterize(Sphere((0, 0, 0), radius), grid, voxel, supersample=supersample)
    distance = _distance_from_centre(grid, voxel)

    def fractions_at(time_s: float):
        front = float(np.clip(start - speed * time_s, 0.0, radius))
        if front >= radius:
            core = particle.copy()
        else:
            core = _ball_occupancy(distance, front, voxel, supersample)
            np.minimum(core, particle, out=core)
        return np.stack([core, particle - core]), {"front_radius_nm": front}

    params = {
        "diameter_nm": diameter,
        "front_speed_nm_per_s": speed,
        "initial_front_radius_nm": start,
        "reacted": reacted.name,
        "unreacted": unreacted.name,
        "voxel_nm": voxel,
        "supersample": supersample,
    }
    return EvolvingPhantom(fractions_at, (unreacted, reacted), voxel, start / speed, name="lithiation_front", params=params)


def growing_whiskers(
    *,
    particle_diameter_nm: float = 600.0,
    n_whiskers: int = 8,
    whisker_diameter_nm: float = 40.0,
    max_length_nm: float = 400.0,
    duration_s: float = 60.0,
    growth_exponent: float = 1.0,
    nucleation_fraction: float = 0.3,
    voxel_nm: float = 10.0,
    supersample: int = 2,
    seed=0,
) -> EvolvingPhantom:
    """Ag whiskers growing radially out of a Cu particle from seeded random sites.

    Whisker ``i`` leaves the particle's surface at a random site (uniform
    over the sphere), nucleates at ``t₀ᵢ`` drawn uniformly in
    ``[0, nucleation_fraction·duration_s]`` and reaches its final length
    ``Lᵢ`` (uniform in ``[0.5, 1]·max_length_nm``) at ``duration_s``::

        ℓᵢ(t) = Lᵢ·clip((t − t₀ᵢ)/(duration_s − t₀ᵢ), 0, 1)^n

    ``n = growth_exponent``: 1 for growth at constant rate, as for whiskers
    fed by a steady stress-driven flux of atoms to the root (Tu, Phys. Rev.
    B 49, 2030 (1994)); 1/2 for growth limited by long-range diffusion
    (parabolic law). Each whisker is a cylinder of ``whisker_diameter_nm``
    from just inside the surface (its root, hidden by the Cu painted over
    it) to ``ℓᵢ(t)`` beyond it; the Cu particle's occupancy is rasterised
    once, the whiskers at each call (only their bounding boxes).

    Parameters
    ----------
    particle_diameter_nm : float
        Diameter of the Cu particle [nm].
    n_whiskers : int
        Number of whiskers.
    whisker_diameter_nm : float
        Whisker diameter [nm], at most the particle's radius.
    max_length_nm : float
        Largest final length above the surface [nm].
    duration_s : float
        Time at which every whisker has its final length [s].
    growth_exponent : float
        ``n`` in the growth law, in (0, 4].
    nucleation_fraction : float
        Nucleation times are drawn in ``[0, nucleation_fraction·duration_s]``, in [0, 1).
    voxel_nm : float
        Voxel edge [nm].
    supersample : int
        Sub-samples per voxel edge on surfaces.
    seed : int or numpy.random.Generator
        Source of the sites, nucleation times and final lengths.

    Returns
    -------
    EvolvingPhantom
        Materials ``(Cu, Ag)``; ``at(t).params["whisker_lengths_nm"]`` lists ℓᵢ(t).

    Examples
    --------
    >>> e = growing_whiskers(particle_diameter_nm=200.0, n_whiskers=3, whisker_diameter_nm=20.0,
    ...                      max_length_nm=100.0, duration_s=10.0, voxel_nm=10.0, seed=1)
    >>> e.at(0.0).params["whisker_lengths_nm"]
    [0.0, 0.0, 0.0]
    >>> bool(e.at(10.0).fraction("Ag").sum() > e.at(5.0).fraction("Ag").sum() > 0)
    True
    """
    diameter = validate.positive("particle_diameter_nm", particle_diameter_nm, "nm")
    n = count("n_whiskers", n_whiskers, 1)
    radius = diameter / 2
    width = validate.in_range("whisker_diameter_nm", whisker_diameter_nm, 0.0, radius, "nm")
    if width <= 0:
        raise ValidationError("whisker_diameter_nm", whisker_diameter_nm, f"in (0, {radius}] nm")
    longest = validate.positive("max_length_nm", max_length_nm, "nm")
    duration = validate.positive("duration_s", duration_s, "s")
    exponent = validate.in_range("growth_exponent", growth_exponent, 0.0, 4.0)
    if exponent <= 0:
        raise ValidationError("growth_exponent", growth_exponent, "in (0, 4]")
    spread = validate.in_range("nucleation_fraction", nucleation_fraction, 0.0, 1.0)
    if spread >= 1:
        raise ValidationError("nucleation_fraction", nucleation_fraction, "in [0, 1)")
    voxel = validate.positive("voxel_nm", voxel_nm, "nm")
    rng = generator(seed)
    directions = random_directions(rng, n)
    nucleation = rng.uniform(0.0, spread * duration, n)
    final = longest * rng.uniform(0.5, 1.0, n)
    grid = fit_grid((2 * (radius + longest) + width,) * 3, voxel)
    copper = rasterize(Sphere((0, 0, 0), radius), grid, voxel, supersample=supersample)
    root = radius - width / 2

    def fractions_at(time_s: float):
        progress = np.clip((time_s - nucleation) / (duration - nucleation), 0.0, 1.0) ** exponent
        lengths = final * progress
        silver = np.zeros(grid, np.float32)
        for direction, length in zip(directions, lengths):
            if length <= 0:
                continue
            rod = Cylinder(direction * (root + (radius - root + length) / 2), width / 2, radius - root + length, axis=direction)
            box = rasterize_box(rod, grid, voxel, supersample=supersample)
            if box is not None:
                region, occupancy = box
                view = silver[region]
                view += occupancy * (1 - view)
        silver *= 1 - copper
        return np.stack([copper, silver]), {"whisker_lengths_nm": [float(v) for v in lengths]}

    params = {
        "particle_diameter_nm": diameter,
        "n_whiskers": n,
        "whisker_diameter_nm": width,
        "max_length_nm": longest,
        "duration_s": duration,
        "growth_exponent": exponent,
        "nucleation_fraction": spread,
        "voxel_nm": voxel,
        "supersample": supersample,
        "nucleation_times_s": [float(v) for v in nucleation],
        "final_lengths_nm": [float(v) for v in final],
    }
    return EvolvingPhantom(fractions_at, (CU, AG), voxel, duration, name="growing_whiskers", params=params, seed=seed_record(seed))


def _ball_occupancy(distance: np.ndarray, radius_nm: float, voxel_nm: float, supersample: int) -> np.ndarray:
    """Occupancy of the ball of ``radius_nm`` about the volume centre, given each voxel centre's ``distance`` [nm]."""
    occupancy = (distance <= radius_nm).astype(np.float32)
    if radius_nm <= 0:
        return np.zeros_like(occupancy)
    band = np.nonzero(np.abs(distance - radius_nm) < math.sqrt(3.0) / 2 * voxel_nm)
    centres = (np.stack(band, axis=1) - (np.array(distance.shape) - 1) / 2) * voxel_nm
    occupancy[band] = _subcell_ramp(centres, float(radius_nm), float(voxel_nm), int(supersample))
    return occupancy


@njit(cache=True)
def _subcell_ramp(centres, radius, voxel, supersample):
    """Mean over supersample³ sub-cells of each voxel of the plane ramp clip(1/2 − (d − radius)/h, 0, 1)."""
    step = voxel / supersample
    out = np.empty(centres.shape[0], np.float32)
    for n in range(centres.shape[0]):
        total = 0.0
        for i in range(supersample):
            a = centres[n, 0] + (i + 0.5) * step - 0.5 * voxel
            for j in range(supersample):
                b = centres[n, 1] + (j + 0.5) * step - 0.5 * voxel
                for k in range(supersample):
                    c = centres[n, 2] + (k + 0.5) * step - 0.5 * voxel
                    f = 0.5 - (math.sqrt(a * a + b * b + c * c) - radius) / step
                    total += min(1.0, max(0.0, f))
        out[n] = total / supersample**3
    return out


def _distance_from_centre(grid, voxel_nm: float) -> np.ndarray:
    """Distance [nm] of each voxel centre from the volume centre (grid convention of :mod:`phantoms.raster`)."""
    axes = [(np.arange(n) - (n - 1) / 2) * voxel_nm for n in grid]
    row, z, x = np.meshgrid(*axes, indexing="ij", sparse=True)
    return np.broadcast_to(np.sqrt(row**2 + z**2 + x**2), tuple(grid))
