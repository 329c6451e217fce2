"""Radiation damage against cumulative electron dose: mass loss and thinning.

A material's damage saturates with dose (e⁻/Å²) as
``1 − exp(−D/D_c)`` with a critical dose ``D_c``:

- ``mass_remaining = 1 − m_max (1 − exp(−D/D_c))``: the fraction of the mass
  left, ``m_max`` the fraction that can be lost;
- ``thickness_remaining = 1 − s_max (1 − exp(−D/D_c))``: the thickness left
  along the specimen normal (the beam at 0° tilt), ``s_max`` the largest
  fractional thinning.

The classes (numbers from the literature, each with how it was chosen):

- ``"inorganic"`` (metals, oxides, ceramics at <= 300 kV): radiolysis does not
  act on metals, and knock-on displacement or sputtering of medium and heavy
  atoms needs more than these voltages or far more than tomography doses
  (Egerton, Micron 35, 399 (2004)): no mass loss, no thinning; D_c = ∞.
- ``"carbon"`` (amorphous carbon support film): stable at tomography doses,
  which is why it is the standard support (Egerton 2004): no loss; D_c = ∞.
- ``"organic"`` (alias ``"resin"``; epoxy or plastic sections, stained or not):
  sections lose ~20–30 % of their mass and thin by ~20–40 % perpendicular to
  the section, most of it in the first ~10²–10³ e⁻/Å² (Luther, Lawrence &
  Crowther, Ultramicroscopy 24, 7 (1988); Egerton 2004). We take the middles,
  ``m_max = 0.25``, ``s_max = 0.30``, and ``D_c = 100`` e⁻/Å², so that 63 %
  of the change is done at 10² and all but 5 % by 3·10² e⁻/Å².
- ``"ice"`` (alias ``"biological"``; vitreous ice, frozen-hydrated
  specimens): ``D_c = 40`` e⁻/Å², the critical exposure of frozen-hydrated
  protein for ~2 nm detail at 300 kV (Grant & Grigorieff, eLife 4, e06980
  (2015): ``0.245 k^−1.665 + 2.81`` e⁻/Å² at k = 1/20 Å⁻¹ is 39 e⁻/Å²; for
  damage in frozen-hydrated specimens see the review of Baker & Rubinstein,
  Methods Enzymol. 481, 371 (2010)). The asymptotic losses are assumptions,
  not measurements: ``m_max = 0.10`` (mass loss is slowed by the cold, but
  bubbling and etching do remove material at cryo-ET doses) and
  ``s_max = 0`` (no thinning of vitreous ice is resolved at those doses).

:func:`damage_fractions` applies both to a phantom's volume-fraction maps:
each map is compressed along z about the grid centre by its thickness factor
and scaled by its mass factor (mass loss is taken as a loss of density, the
shape change being the thinning). The compression is a conservative linear
remap (the cumulative sum along z is interpolated linearly at the mapped
voxel edges and differenced), so each map's sum becomes its old sum times the
mass factor to float rounding. When a material thins more than it loses mass
its density rises and values above 1 appear: the maps then hold density
relative to the undamaged material.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim import validate
from sim.errors import ValidationError

_EGERTON = "Egerton, Micron 35, 399 (2004)"


@dataclass(frozen=True)
class DamageClass:
    """How a class of material loses mass and thickness with dose.

    Parameters
    ----------
    name : str
        Class name.
    critical_dose_e_per_a2 : float
        Critical dose D_c [e⁻/Å²] of the exponential ``1 − exp(−D/D_c)``; > 0,
        ``math.inf`` for a material that does not change.
    mass_loss_max : float
        Fraction of the mass that can be lost, 0 <= m_max < 1.
    shrinkage_max : float
        Largest fractional loss of thickness along the specimen normal,
        0 <= s_max < 1.
    citation : str
        Source of the numbers.

    Examples
    --------
    >>> DamageClass("resin", 100.0, 0.25, 0.3, "Luther et al. 1988").shrinkage_max
    0.3
    """

    name: str
    critical_dose_e_per_a2: float
    mass_loss_max: float
    shrinkage_max: float
    citation: str = ""

    def __post_init__(self):
        dose = self.critical_dose_e_per_a2
        if not isinstance(dose, (int, float, np.integer, np.floating)) or math.isnan(dose) or dose <= 0:
            raise ValidationError("critical_dose_e_per_a2", dose, "a number > 0 e⁻/Å² (inf: no damage)")
        object.__setattr__(self, "critical_dose_e_per_a2", float(dose))
        for field in ("mass_loss_max", "shrinkage_max"):
            value = validate.in_range(field, getattr(self, field), 0.0, 1.0)
            if value == 1.0:
                raise ValidationError(field, value, "0 <= value < 1")
            object.__setattr__(self, field, value)


CLASSES = {
    c.name: c
    for c in (
        DamageClass("inorganic", math.inf, 0.0, 0.0, _EGERTON),
        DamageClass("carbon", math.inf, 0.0, 0.0, _EGERTON),
        DamageClass(
            "organic", 100.0, 0.25, 0.30, "Luther, Lawrence & Crowther, Ultramicroscopy 24, 7 (1988); " + _EGERTON
        ),
        DamageClass(
            "ice",
            40.0,
            0.10,
            0.0,
            "D_c: Grant & Grigorieff, eLife 4, e06980 (2015); Baker & Rubinstein, Methods Enzymol. 481, 371 (2010);"
            " m_max, s_max assumed",
        ),
    )
}
ALIASES = {"resin": "organic", "biological": "ice"}


def damage_class(name: str) -> DamageClass:
    """The damage class called ``name`` (or one of its aliases ``"resin"``, ``"biological"``).

    >>> damage_class("resin").name
    'organic'
    """
    key = ALIASES.get(name, name)
    if key not in CLASSES:
        raise ValidationError("name", name, f"one of {tuple(CLASSES) + tuple(ALIASES)}")
    return CLASSES[key]


def classify(composition: dict) -> str:
    """The damage class of a material from its composition.

    Rule, on the elements present (atom fraction > 0): only H and O ->
    ``"ice"``; C and H (with anything else: N, O, S, P, stains) ->
    ``"organic"``; only C -> ``"carbon"``; anything else (metals, oxides,
    carbides, carbonates, hydroxides) -> ``"inorganic"``.

    Parameters
    ----------
    composition : Mapping[int, float]
        Atomic number -> atom fraction (>= 0; need not sum to 1).

    Examples
    --------
    >>> classify({1: 2, 8: 1}), classify({6: 5, 1: 8, 8: 2}), classify({6: 1}), classify({14: 1, 8: 2})
    ('ice', 'organic', 'carbon', 'inorganic')
    """
    if not isinstance(composition, Mapping) or not composition:
        raise ValidationError("composition", composition, "a non-empty dict {atomic number: atom fraction}")
    present = set()
    for z, fraction in composition.items():
        if isinstance(z, (bool, np.bool_)) or not isinstance(z, (int, np.integer)) or not 1 <= z <= 118:
            raise ValidationError("composition", composition, "atomic numbers: integers in [1, 118]")
        if validate.non_negative(f"composition[{z}]", fraction) > 0:
            present.add(int(z))
    if not present:
        raise ValidationError("composition", composition, "at least one atom fraction > 0")
    if present == {1, 8}:
        return "ice"
    if {1, 6} <= present:
        return "organic"
    if present == {6}:
        return "carbon"
    return "inorganic"


def mass_remaining(cumulative_dose_e_per_a2, damage_class: DamageClass):
    """Fraction of the mass left after a dose: ``1 − m_max (1 − exp(−D/D_c))``.

    ``cumulative_dose_e_per_a2`` [e⁻/Å²] is a scalar (returns a float) or an
    array (returns float64 of its shape), >= 0.

    >>> round(mass_remaining(100.0, damage_class("organic")), 4)   # 1 − 0.25 (1 − 1/e)
    0.842
    """
    return _remaining(cumulative_dose_e_per_a2, damage_class, damage_class.mass_loss_max)


def thickness_remaining(cumulative_dose_e_per_a2, damage_class: DamageClass):
    """Fraction of the thickness along the specimen normal left: ``1 − s_max (1 − exp(−D/D_c))``.

    >>> round(thickness_remaining(1e6, damage_class("organic")), 4)
    0.7
    """
    return _remaining(cumulative_dose_e_per_a2, damage_class, damage_class.shrinkage_max)


def damage_fractions(fractions, cumulative_dose_e_per_a2: float, classes) -> np.ndarray:
    """Volume-fraction maps after a dose: each thinned along z and its mass reduced.

    Parameters
    ----------
    fractions : array_like, float32, shape (n_materials, n_rows, n_z, n_x)
        Volume-fraction map of each material; z (axis 2) is the specimen
        normal, along the beam at 0° tilt.
    cumulative_dose_e_per_a2 : float
        Dose received so far [e⁻/Å²], >= 0 (:func:`sim.dose.cumulative_dose`).
    classes : sequence of DamageClass, length n_materials
        The damage class of each material.

    Returns
    -------
    numpy.ndarray, float32, same shape
        Each map compressed about the z centre ``(n_z − 1)/2`` by
        ``thickness_remaining`` (conservative linear remap) and multiplied by
        ``mass_remaining``: ``sum(after) = mass_remaining × sum(before)``.

    Examples
    --------
    A resin slab 8 voxels thick, saturated: it thins to 0.7 × 8 = 5.6 voxels
    (edges at z = 1.7 and 7.3) and keeps 75 % of its mass, so its density is
    0.75/0.7 = 1.071 and each edge voxel is 0.8 full; the sum is 0.75 × 8:

    >>> slab = np.zeros((1, 1, 10, 1), np.float32); slab[0, 0, 1:9] = 1
    >>> after = damage_fractions(slab, 1e6, [damage_class("organic")])
    >>> [round(float(v), 3) for v in after[0, 0, :, 0]], round(float(after.sum()), 5)
    ([0.0, 0.0, 0.857, 1.071, 1.071, 1.071, 1.071, 0.857, 0.0, 0.0], 6.0)
    """
    maps = validate.finite_array("fractions", fractions, 4, "(n_materials, n_rows, n_z, n_x)", np.float32)
    dose = validate.non_negative("cumulative_dose_e_per_a2", cumulative_dose_e_per_a2, "e⁻/Å²")
    classes = tuple(classes)
    if len(classes) != maps.shape[0] or not all(isinstance(c, DamageClass) for c in classes):
        raise ValidationError("classes", classes, f"{maps.shape[0]} DamageClass objects, one per material")
    out = np.empty_like(maps)
    for i, damage in enumerate(classes):
        mass = mass_remaining(dose, damage)
        thickness = thickness_remaining(dose, damage)
        if thickness == 1.0:
            out[i] = maps[i] * np.float32(mass)
        else:
            out[i] = _compress_z(maps[i], thickness) * mass
    return out


def _remaining(dose_e_per_a2, damage: DamageClass, loss_max: float):
    dose = np.asarray(dose_e_per_a2, dtype=np.float64)
    if not np.all(np.isfinite(dose)) or np.any(dose < 0):
        raise ValidationError("cumulative_dose_e_per_a2", dose_e_per_a2, "finite doses >= 0 e⁻/Å²")
    remaining = 1.0 + loss_max * np.expm1(-dose / damage.critical_dose_e_per_a2)
    return float(remaining) if remaining.ndim == 0 else remaining


def _compress_z(volume: np.ndarray, factor: float) -> np.ndarray:
    """Compress ``volume`` (n_rows, n_z, n_x) along z about its centre by ``factor`` <= 1, conserving its sum.

    Voxel ``k`` of the result covers [k − ½, k + ½]; those edges map back to
    ``c + (edge − c)/factor`` in the original, where the cumulative sum (piecewise
    linear between voxel edges) is read; differences give the voxel contents.
    """
    n_z = volume.shape[1]
    centre = (n_z - 1) / 2.0
    edges = np.arange(n_z + 1) - 0.5
    source = np.clip(centre + (edges - centre) / factor, -0.5, n_z - 0.5) + 0.5
    lower = np.minimum(np.floor(source).astype(np.intp), n_z - 1)
    weight = (source - lower)[None, :, None]
    cumulative = np.zeros((volume.shape[0], n_z + 1, volume.shape[2]), dtype=np.float64)
    np.cumsum(volume, axis=1, dtype=np.float64, out=cumulative[:, 1:])
    at_edges = cumulative[:, lower] * (1.0 - weight) + cumulative[:, lower + 1] * weight
    return np.diff(at_edges, axis=1)
