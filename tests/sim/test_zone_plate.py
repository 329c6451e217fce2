"""Zone-plate objective: closed-form optics (Attwood ch. 9) and the pupil."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ValidationError
from sim.xray_wave import wavelength_nm
from sim.zone_plate import ZonePlate, frequencies

# hc = 1.239841984 keV·nm (CODATA 2018, 10 digits).
HC_KEV_NM = 1.239841984


def test_closed_form_optics_at_8_kev():
    """f = DΔr/λ, NA = λ/2Δr, DOF = ±2Δr²/λ, δ = 1.22Δr, N = D/4Δr (Attwood ch. 9)."""
    zp = ZonePlate(diameter_um=160.0, outer_zone_nm=25.0)
    lam = HC_KEV_NM / 8.0
    assert zp.focal_length_mm(8.0) == pytest.approx(160e3 * 25.0 / lam / 1e6, rel=1e-9)
    assert zp.numerical_aperture(8.0) == pytest.approx(lam / 50.0, rel=1e-9)
    assert zp.depth_of_focus_nm(8.0) == pytest.approx(2 * 25.0**2 / lam, rel=1e-9)
    assert zp.rayleigh_resolution_nm == pytest.approx(30.5)
    assert zp.n_zones == pytest.approx(1600.0)
    # Cut-offs: coherent NA/λ = 1/(2Δr), incoherent twice that, independent of energy.
    assert zp.cutoff_frequency_per_nm(5.4) == pytest.approx(0.02, rel=1e-12)
    assert zp.cutoff_frequency_per_nm(8.0, coherent=False) == pytest.approx(0.04, rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    diameter_um=st.floats(20.0, 500.0),
    outer_zone_nm=st.floats(10.0, 100.0),
    energy_kev=st.floats(0.3, 30.0),
)
def test_numerical_aperture_is_the_geometric_half_angle(diameter_um, outer_zone_nm, energy_kev):
    """NA = (D/2)/f: the marginal ray of the zone plate (geometry), to rounding."""
    zp = ZonePlate(diameter_um, outer_zone_nm)
    geometric = diameter_um * 1e3 / 2.0 / (zp.focal_length_mm(energy_kev) * 1e6)
    assert zp.numerical_aperture(energy_kev) == pytest.approx(geometric, rel=1e-12)
    # DOF half-width = λ/(2NA²), the other textbook form.
    textbook = wavelength_nm(energy_kev) / (2 * zp.numerical_aperture(energy_kev) ** 2)
    assert zp.depth_of_focus_nm(energy_kev) == pytest.approx(textbook, rel=1e-12)


def test_magnification_obeys_the_thin_lens_equation():
    zp = ZonePlate(160.0, 25.0)
    f = zp.focal_length_mm(8.0)
    q = 3000.0
    m = zp.magnification(8.0, q)
    p = q / m
    assert 1 / p + 1 / q == pytest.approx(1 / f, rel=1e-12)


def test_pupil_is_the_annulus_between_stop_and_cutoff():
    zp = ZonePlate(100.0, 25.0, central_stop_fraction=0.3)
    f_row, f_col = frequencies((128, 128), 5.0)
    pupil = zp.pupil(f_col, f_row, 8.0)
    f = np.hypot(f_row, f_col)
    # Cut-off NA/λ = 0.02 /nm, stop at 0.3 of it; 0.1 % margins keep grid points off the edges.
    assert np.all(pupil[(f >= 0.006 * 1.001) & (f <= 0.02 * 0.999)] == 1.0)
    assert np.all(pupil[f > 0.02] == 0.0)
    assert np.all(pupil[f < 0.006] == 0.0)


def test_defocus_equals_exact_free_space_propagation():
    """Pupil(Δz)·T̃ equals Pupil(0)·T̃ propagated by the exact angular spectrum over Δz.

    The paraxial phase error is πλ³Δz|f|⁴/4 ≈ 5e-6 rad at Δz = 10 µm, |f| = NA/λ, 8 keV: tolerance 1e-5.
    """
    zp = ZonePlate(100.0, 25.0)
    lam = wavelength_nm(8.0)
    f_row, f_col = frequencies((64, 64), 10.0)
    dz = 10_000.0
    exact = np.exp(2j * np.pi * dz * (np.sqrt(1 / lam**2 - f_row**2 - f_col**2) - 1 / lam))
    assert np.allclose(zp.pupil(f_col, f_row, 8.0, defocus_nm=dz), zp.pupil(f_col, f_row, 8.0) * exact, atol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"diameter_um": 100.0, "outer_zone_nm": 0.0}, "outer_zone_nm"),
        ({"diameter_um": 100.0, "outer_zone_nm": -5.0}, "outer_zone_nm"),
        ({"diameter_um": 0.0, "outer_zone_nm": 25.0}, "diameter_um"),
        ({"diameter_um": 100.0, "outer_zone_nm": 25.0, "central_stop_fraction": 1.0}, "central_stop_fraction"),
        ({"diameter_um": 100.0, "outer_zone_nm": 25.0, "efficiency": 0.0}, "efficiency"),
        ({"diameter_um": 100.0, "outer_zone_nm": 25.0, "efficiency": math.nan}, "efficiency"),
    ],
)
def test_bad_zone_plate_names_the_field(kwargs, field):
    with pytest.raises(ValidationError, match=field):
        ZonePlate(**kwargs)


def test_bad_energy_distance_and_defocus_name_the_field():
    zp = ZonePlate(100.0, 25.0)
    with pytest.raises(ValidationError, match="energy_kev"):
        zp.focal_length_mm(0.0)
    with pytest.raises(ValidationError, match="image_distance_mm"):
        zp.magnification(8.0, 1.0)
    with pytest.raises(ValidationError, match="defocus_nm"):
        zp.pupil(0.0, 0.0, 8.0, defocus_nm=math.inf)
