"""Materials: xraylib physics, literature values, composition, densities and validation."""

import math

import numpy as np
import pytest
import xraylib
from scipy.constants import Avogadro, physical_constants

from phantoms import MATERIALS, Material, material
from phantoms.material import ENERGY_RANGE_KEV, _mass_attenuation_cm2_g
from sim.errors import ValidationError

HC_KEV_NM = physical_constants["Planck constant in eV/Hz"][0] * physical_constants["speed of light in vacuum"][0] * 1e6  # keV·nm
R_E_NM = physical_constants["classical electron radius"][0] * 1e9


@pytest.mark.parametrize("name", ["LiCoO2", "Au", "H2O", "Al2Cu-theta"])
@pytest.mark.parametrize("energy", [0.5, 8.0, 17.5, 30.0, 200.0])
def test_mu_delta_beta_equal_xraylib(name, energy):
    """μ = CS_Total_CP·ρ·1e-7, δ = 1 − Re(n), β = Im(n) from xraylib, to 1e-12 relative (same numbers, unit conversion only)."""
    m = material(name)
    mu = xraylib.CS_Total_CP(m.formula, energy) * m.density_g_cm3 * 1e-7
    assert m.mu_per_nm(energy) == pytest.approx(mu, rel=1e-12)
    assert m.delta(energy) == pytest.approx(1 - xraylib.Refractive_Index_Re(m.formula, energy, m.density_g_cm3), rel=1e-12)
    assert m.beta(energy) == pytest.approx(xraylib.Refractive_Index_Im(m.formula, energy, m.density_g_cm3), rel=1e-12)


@pytest.mark.parametrize(
    "name, energy, nist",
    [("H2O", 10.0, 5.329), ("Si", 10.0, 33.89), ("Au", 20.0, 78.83), ("Al", 30.0, 1.128)],
)
def test_mass_attenuation_matches_nist(name, energy, nist):
    """μ/ρ [cm²/g] within 3 % of NIST XCOM / Hubbell & Seltzer tables (NISTIR 5632)."""
    assert material(name).mass_attenuation_cm2_g(energy) == pytest.approx(nist, rel=0.03)


@pytest.mark.parametrize("name", ["Si", "Au", "H2O", "NiO"])
@pytest.mark.parametrize("energy", [8.0, 30.0])
def test_beta_is_mu_lambda_over_4pi(name, energy):
    """Absorption: I = I₀·exp(−(4π/λ)∫β dz) must agree with exp(−∫μ dz): β = μλ/4π to 1e-6."""
    m = material(name)
    wavelength = HC_KEV_NM / energy
    assert m.beta(energy) == pytest.approx(m.mu_per_nm(energy) * wavelength / (4 * math.pi), rel=1e-6)


@pytest.mark.parametrize("name, tolerance", [("H2O", 0.002), ("Si", 0.005), ("Al", 0.005)])
def test_delta_matches_free_electron_density_far_above_edges(name, tolerance):
    """At 30 keV (far above K edges of light elements) δ ≈ r_e·λ²·n_e/(2π), with n_e from our atom densities."""
    m = material(name)
    wavelength = HC_KEV_NM / 30.0
    free_electron = R_E_NM * wavelength**2 * m.electrons_per_nm3 / (2 * math.pi)
    assert m.delta(30.0) == pytest.approx(free_electron, rel=tolerance)


def test_composition_and_number_densities():
    """Atom and mass fractions, Z̄, and atom densities of Si (4.994e22 /cm³) and Au (5.90e22 /cm³)."""
    li2tio3 = material("Li2TiO3")
    assert li2tio3.composition == pytest.approx({3: 1 / 3, 8: 1 / 2, 22: 1 / 6})
    assert sum(li2tio3.mass_fractions.values()) == pytest.approx(1.0)
    assert material("Al2Cu-theta").mean_atomic_number == pytest.approx((2 * 13 + 29) / 3)
    assert material("Si").atoms_per_nm3 == pytest.approx(49.94, rel=2e-3)
    assert material("Au").atoms_per_nm3 == pytest.approx(59.0, rel=3e-3)
    water = material("H2O")
    densities = water.atom_densities_per_nm3()
    assert densities[1] == pytest.approx(2 * densities[8])
    assert water.electrons_per_nm3 == pytest.approx(10 * densities[8])
    assert water.electrons_per_nm3 == pytest.approx(1.0 * Avogadro / 18.015 * 10 * 1e-21, rel=1e-3)


@pytest.mark.parametrize(
    "name, formula_units, cell_a3",
    [
        ("LiCoO2", 3, math.sqrt(3) / 2 * 2.816**2 * 14.05),
        ("MgO", 4, 4.212**3),
        ("LiAlO2", 4, 5.169**2 * 6.268),
        ("CoO", 4, 4.26**3),
        ("Al2Cu-theta", 4, 6.067**2 * 4.877),
        ("Al2Cu-theta-prime", 2, 4.04**2 * 5.80),
        ("Al", 4, 4.0495**3),
        ("Au", 4, 4.0782**3),
        ("Pt", 4, 3.9242**3),
        ("Si", 8, 5.431**3),
    ],
)
def test_library_density_matches_crystal_cell(name, formula_units, cell_a3):
    """The library's density equals the X-ray density Z·M/(N_A·V_cell) of the cited cell to 1.5 %."""
    m = material(name)
    xray_density = formula_units * m.molar_mass_g_mol / (Avogadro * cell_a3 * 1e-24)
    assert m.density_g_cm3 == pytest.approx(xray_density, rel=0.015)


def test_every_library_material_is_valid():
    for name, m in MATERIALS.items():
        assert m.name == name
        assert 0.5 < m.density_g_cm3 < 25
        assert m.mu_per_nm(10.0) > 0 and m.delta(10.0) > 0 and m.beta(10.0) > 0


def test_values_are_cached():
    m = material("LiCoO2")
    m.mu_per_nm(12.345)
    hits = _mass_attenuation_cm2_g.cache_info().hits
    assert m.mu_per_nm(12.345) == m.mu_per_nm(12.345)
    assert _mass_attenuation_cm2_g.cache_info().hits >= hits + 2


@pytest.mark.parametrize("formula", ["Xx2O", "", "Li2TiO3)", 42])
def test_bad_formula_names_formula(formula):
    with pytest.raises(ValidationError, match="formula") as error:
        Material("bad", formula, 1.0)
    assert error.value.field == "formula"


@pytest.mark.parametrize("density", [0.0, -1.0, float("nan"), float("inf"), "dense"])
def test_bad_density_names_density(density):
    with pytest.raises(ValidationError, match="density_g_cm3"):
        Material("bad", "SiO2", density)


def test_bad_name():
    with pytest.raises(ValidationError, match="name"):
        Material("  ", "SiO2", 2.2)


@pytest.mark.parametrize("energy", [0.05, 0.0, -3.0, 801.0, float("nan"), "hot"])
def test_energy_outside_xraylib_range(energy):
    low, high = ENERGY_RANGE_KEV
    with pytest.raises(ValidationError, match="energy_kev") as error:
        material("Si").mu_per_nm(energy)
    assert f"[{low}, {high}] keV" in str(error.value)
    with pytest.raises(ValidationError, match="energy_kev"):
        material("Si").delta(energy)


def test_energy_range_edges_are_usable():
    low, high = ENERGY_RANGE_KEV
    assert np.isfinite(material("Au").mu_per_nm(low)) and np.isfinite(material("Au").beta(high))


def test_unknown_library_material():
    with pytest.raises(ValidationError, match="material") as error:
        material("Unobtainium")
    assert "LiCoO2" in str(error.value)


def test_material_is_hashable_and_frozen():
    m = Material("glass", "SiO2", 2.2)
    assert m == Material("glass", "SiO2", 2.2) and len({m, Material("glass", "SiO2", 2.2)}) == 1
    with pytest.raises(AttributeError):
        m.density_g_cm3 = 3.0
