"""Named materials used by the phantoms, with densities from the literature.

Densities [g/cm³] are bulk values from the CRC Handbook of Chemistry and
Physics (97th ed., "Physical constants of inorganic compounds") unless the
comment gives the crystal cell the X-ray density was computed from,
ρ = Z·M / (N_A·V_cell). Thin films and nanoparticles can be a few per cent
less dense; build a :class:`~phantoms.material.Material` with another density
when that matters.

Examples
--------
>>> material("NiO").density_g_cm3
6.67
>>> sorted(MATERIALS)[:3]
['Al', 'Al2Cu-theta', 'Al2Cu-theta-prime']
"""

from __future__ import annotations

from sim.errors import ValidationError

from phantoms.material import Material

_TABLE = (
    # Battery cathode and its dopant-rich phases
    # R-3m, a = 2.816 Å, c = 14.05 Å, Z = 3 (formula units per hexagonal cell)
    ("LiCoO2", "LiCoO2", 5.05),
    # monoclinic C2/c, a = 5.06, b = 8.79, c = 9.75 Å, β = 100.2°, Z = 8 -> 3.42-3.43
    ("Li2TiO3", "Li2TiO3", 3.43),
    # periclase, Fm-3m, a = 4.212 Å, Z = 4
    ("MgO", "MgO", 3.58),
    # γ-LiAlO2, P4₁2₁2, a = 5.169 Å, c = 6.268 Å, Z = 4
    ("LiAlO2", "LiAlO2", 2.615),
    # corundum (CRC 3.99)
    ("Al2O3", "Al2O3", 3.99),
    # Ni-Co oxides (CRC): bunsenite NiO 6.67, rock-salt CoO 6.44, spinel Co3O4 6.11
    ("NiO", "NiO", 6.67),
    ("CoO", "CoO", 6.44),
    ("Co3O4", "Co3O4", 6.11),
    ("Ni", "Ni", 8.90),
    ("Co", "Co", 8.86),
    # Al-Cu alloy: fcc Al (CRC 2.70);
    # θ-Al2Cu, I4/mcm, a = 6.067 Å, c = 4.877 Å, Z = 4 -> 4.35;
    # θ′-Al2Cu, I-4m2, a = 4.04 Å, c = 5.80 Å, Z = 2 (Silcock, Heal & Hardy,
    # J. Inst. Metals 82, 239 (1953-54)) -> 4.12
    ("Al", "Al", 2.70),
    ("Al2Cu-theta", "Al2Cu", 4.35),
    ("Al2Cu-theta-prime", "Al2Cu", 4.12),
    # Substrates, supports, embedding media
    ("Si", "Si", 2.33),  # CRC 2.329
    ("SiO2", "SiO2", 2.20),  # amorphous (fused) silica; α-quartz is 2.65
    ("Si3N4", "Si3N4", 3.10),  # low-stress LPCVD silicon nitride membranes, 2.9-3.2
    ("a-C", "C", 2.0),  # evaporated / sputtered amorphous carbon films, 1.8-2.2
    ("H2O", "H2O", 1.0),  # liquid water near 4-20 °C (0.998-1.000)
    # Heavy markers and catalysts (CRC)
    ("Au", "Au", 19.3),
    ("Pt", "Pt", 21.45),
)

MATERIALS: dict[str, Material] = {name: Material(name, formula, rho) for name, formula, rho in _TABLE}
"""Every named material, by name."""


def material(name: str) -> Material:
    """The library material called ``name`` (see :data:`MATERIALS`).

    >>> material("Au").formula
    'Au'
    """
    try:
        return MATERIALS[name]
    except (KeyError, TypeError):
        raise ValidationError("material", name, f"one of {sorted(MATERIALS)}") from None
