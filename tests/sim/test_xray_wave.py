"""X-ray wave in matter: wavelength, and the complex transmission against xraylib's μ, δ and β."""

import numpy as np
import pytest
import xraylib
from hypothesis import given, settings
from hypothesis import strategies as st

from phantoms import Material
from sim.errors import ValidationError
from sim.projector import project
from sim.xray_wave import (
    absorption_optical_depth,
    complex_transmission,
    phase_shift_rad,
    project_refractive_index,
    transmission_views,
    wavelength_nm,
    wavenumber_per_nm,
)

MATERIALS = [Material("SiO2", "SiO2", 2.2), Material("Au", "Au", 19.3), Material("C", "C", 2.0)]


@pytest.mark.parametrize("energy_kev", [0.5, 5.4, 8.0, 25.0])
def test_wavelength_matches_xraylib(energy_kev):
    """λ = hc/E against xraylib's KEV2ANGST (12.398 keV·Å); 1e-6 relative: its constant's rounding."""
    assert wavelength_nm(energy_kev) == pytest.approx(0.1 * xraylib.KEV2ANGST / energy_kev, rel=1e-6)
    assert wavenumber_per_nm(energy_kev) == pytest.approx(2 * np.pi / wavelength_nm(energy_kev), rel=1e-15)


@pytest.mark.parametrize("material", MATERIALS, ids=lambda m: m.name)
@pytest.mark.parametrize("energy_kev", [5.4, 8.0, 20.0])
def test_intensity_is_beer_lambert_with_the_total_cross_section(material, energy_kev):
    """|T|² = exp(−μ t) with μ = CS_Total·ρ (Material.mu_per_nm), not the photoabsorption μ.

    xraylib's β is built from CS_Total, so 4πβ/λ = μ_total to 1.1e-7 (the rounding of its constants):
    tolerance 1e-6 on the optical depth. The photoabsorption-only μ is lower by >= 0.8 % here.
    """
    thickness_nm = 0.5 / material.mu_per_nm(energy_kev)  # optical depth 0.5
    beta_path = material.beta(energy_kev) * thickness_nm
    t = complex_transmission(0.0, beta_path, energy_kev)
    depth = float(absorption_optical_depth(beta_path, energy_kev))
    assert depth == pytest.approx(material.mu_per_nm(energy_kev) * thickness_nm, rel=1e-6)
    assert float(np.abs(t) ** 2) == pytest.approx(np.exp(-0.5), rel=1e-6)  # complex64: ~6e-8 rounding
    mu_photo = xraylib.CS_Photo_CP(material.formula, energy_kev) * material.density_g_cm3 * 1e-7
    assert depth / (mu_photo * thickness_nm) > 1.008


@pytest.mark.parametrize("material", MATERIALS, ids=lambda m: m.name)
def test_phase_is_minus_k_delta_t(material):
    """arg T = −2π δ t/λ with δ = 1 − Refractive_Index_Re (xraylib), to float32 rounding (1e-6 rad)."""
    energy_kev, thickness_nm = 8.0, 200.0
    delta = 1.0 - xraylib.Refractive_Index_Re(material.formula, energy_kev, material.density_g_cm3)
    expected = -2 * np.pi * delta * thickness_nm / wavelength_nm(energy_kev)
    assert -np.pi < expected < 0  # a phase advance of less than π: arg is unambiguous
    t = complex_transmission(delta * thickness_nm, 0.0, energy_kev)
    assert float(np.angle(t)) == pytest.approx(expected, abs=1e-6)
    assert float(phase_shift_rad(delta * thickness_nm, energy_kev)) == pytest.approx(expected, rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    delta=st.floats(-1e-3, 1e-3),
    beta=st.floats(0.0, 1e-3),
    energy_kev=st.floats(1.0, 30.0),
)
def test_transmission_is_exp_of_phase_and_half_optical_depth(delta, beta, energy_kev):
    """T = exp(−τ/2)·exp(iφ) for any paths (1e-6: complex64 rounding of values of modulus <= 1)."""
    t = complex(complex_transmission(delta, beta, energy_kev))
    tau = float(absorption_optical_depth(beta, energy_kev))
    phi = float(phase_shift_rad(delta, energy_kev))
    assert abs(t - np.exp(-tau / 2 + 1j * phi)) < 1e-6


def test_views_of_a_uniform_block_are_its_projection():
    """A δ, β block at 0° and 90°: paths = sim.project of each, T = exp(−k∫β − ik∫δ) of them."""
    energy_kev, voxel_nm = 8.0, 5.0
    material = MATERIALS[0]
    shape = (3, 10, 6)
    delta = np.full(shape, material.delta(energy_kev), np.float32)
    beta = np.full(shape, material.beta(energy_kev), np.float32)
    angles = [0.0, 90.0]
    d, b = project_refractive_index(delta, beta, angles, voxel_nm=voxel_nm)
    np.testing.assert_array_equal(d, project(delta, angles, voxel_nm=voxel_nm))
    np.testing.assert_array_equal(b, project(beta, angles, voxel_nm=voxel_nm))
    t = transmission_views(delta, beta, angles, energy_kev=energy_kev, voxel_nm=voxel_nm)
    # 0°: 10 voxels deep = 50 nm; 90°: the beam runs along x, 6 voxels = 30 nm (the 50-nm z extent fills all 6 columns)
    intensity = np.abs(t[0, 0, 2]) ** 2
    assert intensity == pytest.approx(np.exp(-material.mu_per_nm(energy_kev) * 50.0), rel=1e-6)
    assert np.angle(t[1, 0, 5]) == pytest.approx(-wavenumber_per_nm(energy_kev) * material.delta(energy_kev) * 30.0, rel=1e-5)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: wavelength_nm(0.0), "energy_kev"),
        (lambda: complex_transmission(0.0, -1e-6, 8.0), "beta_path_nm"),
        (lambda: complex_transmission([0.0, 0.0], [0.0], 8.0), "beta_path_nm.shape"),
        (lambda: complex_transmission([np.nan], [0.0], 8.0), "delta_path_nm"),
        (lambda: complex_transmission([1j], [0.0], 8.0), "delta_path_nm.dtype"),
        (lambda: absorption_optical_depth(-1.0, 8.0), "beta_path_nm"),
        (lambda: project_refractive_index(np.zeros((1, 2, 2)), np.zeros((1, 2, 3)), [0.0], voxel_nm=1.0), "beta_volume.shape"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(ValidationError) as error:
        call()
    assert error.value.field == field
