"""Materials: a chemical formula and a density, with X-ray and electron physics.

X-ray numbers are computed from xraylib (Schoonjans et al., Spectrochim. Acta B
66, 776 (2011)), electron numbers from :mod:`sim.scattering` (Lobato & Van Dyck
scattering factors; Malis et al. inelastic mean free paths); nothing here is
typed in except the formula and the density. Values are cached per material
and energy (or voltage).

Quantities and units
--------------------
- ``mu_per_nm(energy_kev)``: linear attenuation coefficient [1/nm] =
  ``xraylib.CS_Total_CP(formula, E)`` [cm²/g] × ρ [g/cm³] × 1e-7 [cm/nm]
  (total cross section: photoabsorption + coherent + incoherent scattering).
- ``delta``, ``beta``: the refractive index is ``n = 1 − δ + iβ``;
  ``δ = 1 − Refractive_Index_Re``, ``β = Refractive_Index_Im`` [dimensionless].
- ``atom_densities_per_nm3()``: {Z: atoms/nm³}, the input of Z-contrast
  (HAADF ∝ Σ_Z N_Z·Zⁿ) and of electron scattering potentials.
- ``mean_inner_potential_v``: V₀ [V] = (h²/2πm₀e)·Σ_Z N_Z·f_e,Z(0) of neutral,
  non-bonded atoms (``sim.scattering.mean_inner_potential_v``).
- ``elastic_mfp_nm(voltage_kv)``: elastic mean free path [nm], 1/Σ_Z N_Z·σ_el,Z
  (first-Born cross sections of the same scattering factors).
- ``inelastic_mfp_nm(voltage_kv, collection_mrad=10.0)``: inelastic mean free
  path [nm] of Malis, Cheng & Egerton (1988), composition only (no density);
  ``inelastic_mfp_iakoubovskii_nm(...)``: Iakoubovskii et al. (2008), from the
  density. ``mean_energy_loss_ev``: E_m = 7.6·Z_eff^0.36 [eV].
- ``z_contrast_per_nm3(exponent=1.7)``: Σ_Z N_Z·Zⁿ [1/nm³], the HAADF signal
  per unit path length.

xraylib tabulates cross sections from 0.1 keV to 800 keV, so energies outside
``ENERGY_RANGE_KEV`` are refused (it refuses to extrapolate, and so do we).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import xraylib
from scipy.constants import Avogadro

from sim import scattering, validate
from sim.errors import ValidationError

ENERGY_RANGE_KEV = (0.1, 800.0)
"""Photon energies [keV] where xraylib has cross-section data (probed: it
raises "Spline extrapolation is not allowed" below 0.1 and above 800 keV)."""

_CM3_PER_NM3 = 1e-21
_CM_PER_NM = 1e-7


@dataclass(frozen=True)
class Material:
    """A homogeneous material: a name, a chemical formula and a mass density.

    Parameters
    ----------
    name : str
        Unique label within a phantom, e.g. ``"LiCoO2"`` or ``"Al2Cu-theta"``.
    formula : str
        Chemical formula readable by ``xraylib.CompoundParser`` (``"Li2TiO3"``,
        ``"Al2Cu"``, ``"H2O"``).
    density_g_cm3 : float
        Mass density [g/cm³], finite and > 0.

    Examples
    --------
    >>> si = Material("Si", "Si", 2.33)
    >>> round(1 / si.mu_per_nm(10.0) / 1000, 1)     # attenuation length at 10 keV [µm]
    126.7
    >>> si.composition
    {14: 1.0}
    >>> round(si.atoms_per_nm3, 1)                    # 5.0e22 atoms/cm³
    50.0
    >>> round(si.mean_inner_potential_v, 2)           # [V], neutral atoms
    13.96
    >>> round(si.elastic_mfp_nm(200.0)), round(si.inelastic_mfp_nm(200.0))   # [nm]
    (108, 125)
    """

    name: str
    formula: str
    density_g_cm3: float

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("name", self.name, "a non-empty string")
        if not isinstance(self.formula, str) or not self.formula.strip():
            raise ValidationError("formula", self.formula, "a chemical formula readable by xraylib, e.g. 'Li2TiO3'")
        _parse(self.formula)  # raises ValidationError naming `formula`
        object.__setattr__(self, "density_g_cm3", validate.positive("density_g_cm3", self.density_g_cm3, "g/cm³"))

    # --- X-ray optics -------------------------------------------------------------

    def mu_per_nm(self, energy_kev: float) -> float:
        """Linear attenuation coefficient μ [1/nm] at ``energy_kev`` [keV]."""
        energy = check_energy(energy_kev)
        return _mass_attenuation_cm2_g(self.formula, energy) * self.density_g_cm3 * _CM_PER_NM

    def mass_attenuation_cm2_g(self, energy_kev: float) -> float:
        """Mass attenuation coefficient μ/ρ [cm²/g] (xraylib ``CS_Total_CP``)."""
        return _mass_attenuation_cm2_g(self.formula, check_energy(energy_kev))

    def delta(self, energy_kev: float) -> float:
        """Refractive index decrement δ [1] at ``energy_kev`` [keV] (n = 1 − δ + iβ)."""
        return _delta(self.formula, self.density_g_cm3, check_energy(energy_kev))

    def beta(self, energy_kev: float) -> float:
        """Absorption index β [1] at ``energy_kev`` [keV] (n = 1 − δ + iβ)."""
        return _beta(self.formula, self.density_g_cm3, check_energy(energy_kev))

    # --- composition ----------------------------------------------------------------

    @property
    def composition(self) -> dict[int, float]:
        """Atom fractions {Z: fraction}, summing to 1."""
        parsed = _parse(self.formula)
        total = parsed["nAtomsAll"]
        return {int(z): n / total for z, n in zip(parsed["Elements"], parsed["nAtoms"])}

    @property
    def mass_fractions(self) -> dict[int, float]:
        """Mass fractions {Z: fraction}, summing to 1."""
        parsed = _parse(self.formula)
        return {int(z): float(w) for z, w in zip(parsed["Elements"], parsed["massFractions"])}

    @property
    def molar_mass_g_mol(self) -> float:
        """Mass of one formula unit [g/mol]."""
        return float(_parse(self.formula)["molarMass"])

    @property
    def atoms_per_nm3(self) -> float:
        """Number density of atoms of all elements [1/nm³]."""
        return sum(self.atom_densities_per_nm3().values())

    def atom_densities_per_nm3(self) -> dict[int, float]:
        """Number density of each element [atoms/nm³], {Z: N_Z}.

        ``N_Z = ρ·N_A·n_Z / M`` with ``n_Z`` atoms of Z per formula unit of
        molar mass ``M``; 1 cm³ = 1e21 nm³.
        """
        parsed = _parse(self.formula)
        units_per_nm3 = self.density_g_cm3 * Avogadro / parsed["molarMass"] * _CM3_PER_NM3
        return {int(z): n * units_per_nm3 for z, n in zip(parsed["Elements"], parsed["nAtoms"])}

    @property
    def electrons_per_nm3(self) -> float:
        """Electron number density Σ_Z N_Z·Z [1/nm³]."""
        return sum(z * n for z, n in self.atom_densities_per_nm3().items())

    @property
    def mean_atomic_number(self) -> float:
        """Atom-fraction-weighted mean atomic number Z̄ = Σ x_Z·Z [1].

        For Al2Cu this is (2·13 + 29)/3 = 18.33. (Z-contrast needs the per-element
        densities instead: use :meth:`atom_densities_per_nm3`.)
        """
        return sum(z * x for z, x in self.composition.items())

    # --- electron scattering (sim.scattering) ---------------------------------------

    @property
    def mean_inner_potential_v(self) -> float:
        """Mean inner potential V₀ [V] of the neutral, non-bonded atoms (Lobato & Van Dyck f_e(0))."""
        return _mean_inner_potential_v(self)

    def elastic_mfp_nm(self, voltage_kv: float) -> float:
        """Elastic mean free path [nm] at ``voltage_kv`` [kV] (isolated atoms, first Born)."""
        return _elastic_mfp_nm(self, validate.positive("voltage_kv", voltage_kv, "kV"))

    def inelastic_mfp_nm(self, voltage_kv: float, collection_mrad: float = 10.0) -> float:
        """Inelastic mean free path [nm] by Malis, Cheng & Egerton (1988); independent of density.

        ``voltage_kv`` [kV] > 0; ``collection_mrad`` [mrad] is the collection
        semi-angle β. See :func:`sim.scattering.inelastic_mfp_nm`.
        """
        voltage = validate.positive("voltage_kv", voltage_kv, "kV")
        return _inelastic_mfp_nm(self, voltage, validate.positive("collection_mrad", collection_mrad, "mrad"))

    def inelastic_mfp_iakoubovskii_nm(
        self, voltage_kv: float, collection_mrad: float = 10.0, convergence_mrad: float = 0.0
    ) -> float:
        """Inelastic mean free path [nm] from this density (Iakoubovskii et al. 2008, eq. 9).

        See :func:`sim.scattering.inelastic_mfp_iakoubovskii_nm`.
        """
        return scattering.inelastic_mfp_iakoubovskii_nm(
            self.density_g_cm3, voltage_kv, collection_mrad=collection_mrad, convergence_mrad=convergence_mrad
        )

    @property
    def mean_energy_loss_ev(self) -> float:
        """Mean energy loss per inelastic event E_m = 7.6·Z_eff^0.36 [eV] (Malis et al. 1988)."""
        return scattering.mean_energy_loss_ev(self.composition)

    def z_contrast_per_nm3(self, exponent: float = 1.7) -> float:
        """HAADF Z-contrast density Σ_Z N_Z·Zⁿ [1/nm³], ``exponent`` n in [1, 2]."""
        return _z_contrast_per_nm3(self, validate.in_range("exponent", exponent, *scattering.Z_CONTRAST_EXPONENT_RANGE))


def check_energy(energy_kev: float) -> float:
    """Return ``energy_kev`` as float if xraylib has data there, else raise.

    >>> check_energy(900)
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: energy_kev = 900 is not allowed; allowed: a number in [0.1, 800.0] keV
    """
    low, high = ENERGY_RANGE_KEV
    return validate.in_range("energy_kev", energy_kev, low, high, "keV")


@lru_cache(maxsize=None)
def _parse(formula: str) -> dict:
    try:
        return xraylib.CompoundParser(formula)
    except ValueError as error:
        raise ValidationError("formula", formula, f"a chemical formula readable by xraylib ({error})") from None


@lru_cache(maxsize=4096)
def _mass_attenuation_cm2_g(formula: str, energy_kev: float) -> float:
    return float(xraylib.CS_Total_CP(formula, energy_kev))


@lru_cache(maxsize=4096)
def _delta(formula: str, density: float, energy_kev: float) -> float:
    return 1.0 - float(xraylib.Refractive_Index_Re(formula, energy_kev, density))


@lru_cache(maxsize=4096)
def _beta(formula: str, density: float, energy_kev: float) -> float:
    return float(xraylib.Refractive_Index_Im(formula, energy_kev, density))


@lru_cache(maxsize=4096)
def _mean_inner_potential_v(material: Material) -> float:
    return scattering.mean_inner_potential_v(material.atom_densities_per_nm3())


@lru_cache(maxsize=4096)
def _elastic_mfp_nm(material: Material, voltage_kv: float) -> float:
    return scattering.elastic_mfp_nm(material.atom_densities_per_nm3(), voltage_kv)


@lru_cache(maxsize=4096)
def _inelastic_mfp_nm(material: Material, voltage_kv: float, collection_mrad: float) -> float:
    return scattering.inelastic_mfp_nm(material.composition, voltage_kv, collection_mrad)


@lru_cache(maxsize=4096)
def _z_contrast_per_nm3(material: Material, exponent: float) -> float:
    return scattering.z_contrast_per_nm3(material.atom_densities_per_nm3(), exponent)
