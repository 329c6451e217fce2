"""The :class:`Phantom`: volume fractions of named materials on a voxel grid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from sim import validate
from sim.errors import ValidationError
from sim.volume import Volume

from phantoms.material import Material, check_energy

FRACTION_AXES = "(n_materials, n_rows, n_z, n_x)"
SUM_TOLERANCE = 1e-6
"""How far above 1 the fractions of a voxel may sum (float32 rounding)."""


@dataclass(frozen=True, eq=False)
class Phantom:
    """A sample: the volume fraction of each material in each voxel; the rest is vacuum.

    Parameters
    ----------
    fractions : ndarray, shape (n_materials, n_rows, n_z, n_x)
        Volume fraction [1] of material ``m`` in each voxel, each in [0, 1],
        summing to at most 1 (+1e-6) over materials. Stored read-only float32.
        Grid axes follow ``sim.Volume``: rows along the tilt axis, beam along z
        at 0° tilt.
    materials : tuple of Material
        One per first axis of ``fractions``; names unique.
    voxel_nm : float
        Voxel edge [nm].
    name : str
        The builder that made it (e.g. ``"battery_particle"``).
    params : dict
        The builder's resolved parameters (physical units in their names) and
        anything it measured while building (feature sizes, counts).
    seed : int or None
        The seed the builder drew its randomness from (``None``: a
        ``numpy.random.Generator`` was passed, or nothing was random).

    Examples
    --------
    >>> import numpy as np
    >>> from phantoms.library import material
    >>> f = np.zeros((2, 2, 2, 2), np.float32)
    >>> f[0, 0], f[1, 1] = 1.0, 0.5
    >>> p = Phantom(f, (material("Si"), material("Au")), voxel_nm=1.0)
    >>> p
    Phantom(name='phantom', shape=(2, 2, 2), voxel_nm=1, materials=('Si', 'Au'), seed=None)
    >>> mu = p.mu_per_nm(10.0)
    >>> mu.unit, bool(np.isclose(mu.data[1, 0, 0], 0.5 * material("Au").mu_per_nm(10.0)))
    ('1/nm', True)
    """

    fractions: np.ndarray
    materials: tuple
    voxel_nm: float
    name: str = "phantom"
    params: dict = field(default_factory=dict)
    seed: int | None = None

    def __post_init__(self):
        fractions = validate.finite_array("fractions", self.fractions, 4, FRACTION_AXES)
        materials = tuple(self.materials)
        if not materials or not all(isinstance(m, Material) for m in materials):
            raise ValidationError("materials", self.materials, "a non-empty tuple of phantoms.Material")
        names = [m.name for m in materials]
        if len(set(names)) != len(names):
            raise ValidationError("materials", names, "unique material names")
        if fractions.shape[0] != len(materials):
            raise ValidationError("fractions.shape", fractions.shape, f"first axis = {len(materials)} materials, ordered {FRACTION_AXES}")
        low, high = float(fractions.min()), float(fractions.max())
        if low < 0 or high > 1 + SUM_TOLERANCE:
            raise ValidationError("fractions", f"<values in [{low}, {high}]>", "volume fractions in [0, 1]")
        total = float(fractions.sum(axis=0, dtype=np.float32).max())
        if total > 1 + SUM_TOLERANCE:
            raise ValidationError("fractions", f"<sum over materials up to {total}>", f"<= 1 + {SUM_TOLERANCE} per voxel (the rest is vacuum)")
        object.__setattr__(self, "fractions", validate.frozen(fractions))
        object.__setattr__(self, "materials", materials)
        object.__setattr__(self, "voxel_nm", validate.positive("voxel_nm", self.voxel_nm, "nm"))
        if not isinstance(self.name, str) or not self.name:
            raise ValidationError("name", self.name, "a non-empty string")
        if not isinstance(self.params, Mapping):
            raise ValidationError("params", type(self.params).__name__, "a dict of parameters")
        object.__setattr__(self, "params", dict(self.params))
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0):
            raise ValidationError("seed", self.seed, "an integer >= 0 or None")
        object.__setattr__(self, "seed", None if self.seed is None else int(self.seed))

    def __repr__(self) -> str:
        return (
            f"Phantom(name={self.name!r}, shape={self.shape}, voxel_nm={self.voxel_nm:g}, "
            f"materials={self.material_names}, seed={self.seed})"
        )

    # --- grid -----------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int, int]:
        """Grid shape ``(n_rows, n_z, n_x)``."""
        return tuple(self.fractions.shape[1:])

    @property
    def extent_nm(self) -> tuple[float, float, float]:
        """Physical size along each axis [nm]."""
        return tuple(float(n * self.voxel_nm) for n in self.shape)

    @property
    def material_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.materials)

    def fraction(self, name: str) -> np.ndarray:
        """Read-only volume fraction [1] of material ``name``, shape ``(n_rows, n_z, n_x)``."""
        names = self.material_names
        if name not in names:
            raise ValidationError("name", name, f"one of {names}")
        return self.fractions[names.index(name)]

    def material(self, name: str) -> Material:
        """The :class:`Material` called ``name``."""
        names = self.material_names
        if name not in names:
            raise ValidationError("name", name, f"one of {names}")
        return self.materials[names.index(name)]

    # --- per-material quantities ------------------------------------------------------

    def material_sum(self, per_material_values) -> np.ndarray:
        """Σ_m f_m·v_m over materials: any per-material quantity as a field.

        ``per_material_values`` is a sequence with one value per material (in
        the order of ``materials``) or a mapping ``{name: value}`` covering all
        of them. Returns float32 of shape ``(n_rows, n_z, n_x)``, in the unit of
        the values (vacuum contributes 0).
        """
        names = self.material_names
        if isinstance(per_material_values, Mapping):
            missing = [n for n in names if n not in per_material_values]
            extra = [k for k in per_material_values if k not in names]
            if missing or extra:
                raise ValidationError("per_material_values", sorted(per_material_values), f"exactly the keys {names}")
            values = [per_material_values[n] for n in names]
        else:
            values = list(np.ravel(np.asarray(per_material_values, dtype=float)))
            if len(values) != len(names):
                raise ValidationError("per_material_values", per_material_values, f"{len(names)} values, one per material {names}")
        values = np.asarray(values, dtype=float)
        if not np.all(np.isfinite(values)):
            raise ValidationError("per_material_values", values.tolist(), "finite values")
        out = np.zeros(self.shape, dtype=np.float32)
        for fraction, value in zip(self.fractions, values):
            if value != 0:
                out += np.float32(value) * fraction
        return out

    def mu_per_nm(self, energy_kev: float) -> Volume:
        """Linear attenuation coefficient μ = Σ_m f_m·μ_m [1/nm] at ``energy_kev`` [keV]."""
        energy = check_energy(energy_kev)
        values = [m.mu_per_nm(energy) for m in self.materials]
        return self._volume(values, "linear attenuation coefficient", "1/nm", energy)

    def delta(self, energy_kev: float) -> Volume:
        """Refractive index decrement δ = Σ_m f_m·δ_m [1] at ``energy_kev`` [keV]."""
        energy = check_energy(energy_kev)
        return self._volume([m.delta(energy) for m in self.materials], "refractive index decrement delta", "1", energy)

    def beta(self, energy_kev: float) -> Volume:
        """Absorption index β = Σ_m f_m·β_m [1] at ``energy_kev`` [keV]."""
        energy = check_energy(energy_kev)
        return self._volume([m.beta(energy) for m in self.materials], "absorption index beta", "1", energy)

    def _volume(self, values, quantity: str, unit: str, energy: float) -> Volume:
        metadata = {"energy_kev": energy, "phantom": self.name, "materials": dict(zip(self.material_names, values))}
        return Volume(self.material_sum(values), self.voxel_nm, quantity=quantity, unit=unit, metadata=metadata)
