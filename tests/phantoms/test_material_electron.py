"""Material's electron properties: the sim.scattering physics applied to its composition and density, cached."""

import importlib
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phantoms import Material, material
from sim import scattering
from sim.errors import ValidationError

# `phantoms.material` is also the name of the library lookup function; fetch the module itself.
material_module = importlib.import_module("phantoms.material")


@pytest.mark.parametrize("name", ["a-C", "Si", "Au", "H2O", "NiO", "Al2Cu-theta"])
def test_properties_equal_sim_scattering_of_the_composition(name):
    """Each property is the sim.scattering function of atom_densities_per_nm3() / composition (same numbers, 1e-12)."""
    m = material(name)
    densities, fractions = m.atom_densities_per_nm3(), m.composition
    assert m.mean_inner_potential_v == pytest.approx(scattering.mean_inner_potential_v(densities), rel=1e-12)
    assert m.elastic_mfp_nm(300.0) == pytest.approx(scattering.elastic_mfp_nm(densities, 300.0), rel=1e-12)
    malis = scattering.inelastic_mfp_nm(fractions, 200.0, 12.0)
    assert m.inelastic_mfp_nm(200.0, 12.0) == pytest.approx(malis, rel=1e-12)
    assert m.inelastic_mfp_iakoubovskii_nm(300.0, 20.0, 5.0) == pytest.approx(
        scattering.inelastic_mfp_iakoubovskii_nm(m.density_g_cm3, 300.0, 20.0, 5.0), rel=1e-12
    )
    assert m.mean_energy_loss_ev == pytest.approx(scattering.mean_energy_loss_ev(fractions), rel=1e-12)
    assert m.z_contrast_per_nm3(1.8) == pytest.approx(scattering.z_contrast_per_nm3(densities, 1.8), rel=1e-12)


def test_library_values():
    """a-C (2.0 g/cm³): V₀ 12.05 V, Λ_el(300 kV) 246 nm; Si, 200 kV: Λ_el 108 nm, λ_in 125 nm (Malis, 10 mrad).

    Au uses xraylib's atomic weight (197.2), so its V₀ is 29.84 V.
    """
    assert material("a-C").mean_inner_potential_v == pytest.approx(12.05, abs=0.01)
    assert material("a-C").elastic_mfp_nm(300.0) == pytest.approx(246.2, abs=0.5)
    si = material("Si")
    assert si.elastic_mfp_nm(200.0) == pytest.approx(107.6, abs=0.5)
    assert si.inelastic_mfp_nm(200.0) == pytest.approx(125.3, abs=0.1)
    assert si.mean_energy_loss_ev == pytest.approx(7.6 * 14**0.36, rel=1e-12)
    assert material("Au").mean_inner_potential_v == pytest.approx(29.84, abs=0.01)


def test_density_dependence():
    """Doubling ρ doubles V₀ and Σ N Zⁿ, halves Λ_el (1e-12); Malis' λ_in has no density; Iakoubovskii's falls."""
    light, dense = Material("C", "C", 1.0), Material("C2", "C", 2.0)
    assert dense.mean_inner_potential_v == pytest.approx(2 * light.mean_inner_potential_v, rel=1e-12)
    assert dense.z_contrast_per_nm3() == pytest.approx(2 * light.z_contrast_per_nm3(), rel=1e-12)
    assert dense.elastic_mfp_nm(200.0) == pytest.approx(light.elastic_mfp_nm(200.0) / 2, rel=1e-12)
    assert dense.inelastic_mfp_nm(200.0) == light.inelastic_mfp_nm(200.0)
    assert dense.inelastic_mfp_iakoubovskii_nm(200.0) < light.inelastic_mfp_iakoubovskii_nm(200.0)


@settings(max_examples=20, deadline=None)
@given(st.floats(0.1, 25.0), st.floats(0.1, 25.0))
def test_mip_is_proportional_to_density(rho_1, rho_2):
    """V₀/ρ is a property of the formula alone (1e-12)."""
    first, second = Material("a", "SiO2", rho_1), Material("b", "SiO2", rho_2)
    assert first.mean_inner_potential_v / rho_1 == pytest.approx(second.mean_inner_potential_v / rho_2, rel=1e-12)


def test_values_are_cached():
    """Repeated calls hit the per-material caches (like the X-ray properties)."""
    m = Material("cache-test-electron", "GaAs", 5.32)
    m.mean_inner_potential_v
    m.elastic_mfp_nm(300.0)
    hits = material_module._mean_inner_potential_v.cache_info().hits, material_module._elastic_mfp_nm.cache_info().hits
    assert m.mean_inner_potential_v == m.mean_inner_potential_v
    assert m.elastic_mfp_nm(300.0) == m.elastic_mfp_nm(300.0)
    assert material_module._mean_inner_potential_v.cache_info().hits >= hits[0] + 2
    assert material_module._elastic_mfp_nm.cache_info().hits >= hits[1] + 2


def test_xray_behaviour_unchanged():
    """Adding electron properties leaves the X-ray ones and the composition as they were."""
    si = material("Si")
    assert round(1 / si.mu_per_nm(10.0) / 1000, 1) == 126.7
    assert si.composition == {14: 1.0}


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda m: m.elastic_mfp_nm(0.0), "voltage_kv"),
        (lambda m: m.elastic_mfp_nm(math.nan), "voltage_kv"),
        (lambda m: m.inelastic_mfp_nm(-200.0), "voltage_kv"),
        (lambda m: m.inelastic_mfp_nm(200.0, collection_mrad=0.0), "collection_mrad"),
        (lambda m: m.inelastic_mfp_nm(200.0, collection_mrad=0.001), "collection_mrad"),
        (lambda m: m.inelastic_mfp_iakoubovskii_nm(200.0, convergence_mrad=-1.0), "convergence_mrad"),
        (lambda m: m.z_contrast_per_nm3(3.0), "exponent"),
        (lambda m: m.z_contrast_per_nm3("n"), "exponent"),
    ],
)
def test_bad_input_names_field(call, field):
    with pytest.raises(ValidationError) as info:
        call(material("Si"))
    assert info.value.field == field
