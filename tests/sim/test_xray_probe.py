"""Tests of the focused X-ray probe against the closed forms of a circular (annular) lens."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq
from scipy.special import j1

from sim.errors import ValidationError
from sim.fresnel import propagate
from sim.xray_probe import focused_probe, gaussian_probe, probe_fwhm_nm
from sim.xray_wave import wavelength_nm
from sim.zone_plate import ZonePlate

ENERGY_KEV = 10.0
OUTER_ZONE_NM = 20.0
PIXEL_NM = 2.0
SHAPE = (128, 128)


def _annular_airy_fwhm_nm(stop: float) -> float:
    """FWHM [nm] of I(v) ∝ [2J1(v)/v − ε²·2J1(εv)/(εv)]², v = 2π·NA·r/λ = πr/Δr_N.

    Born & Wolf, Principles of Optics, ch. 8 (annular aperture); solved numerically with brentq.
    """
    def amplitude(v):
        inner = stop**2 * 2.0 * j1(stop * v) / (stop * v) if stop > 0 else 0.0
        return (2.0 * j1(v) / v - inner) / (1.0 - stop**2)

    v_half = brentq(lambda v: amplitude(v) ** 2 - 0.5, 1e-6, 2.5)
    return 2.0 * v_half * OUTER_ZONE_NM / math.pi


def test_airy_closed_form_reference():
    # The reference itself reproduces the textbook 1.029·λ/(2NA) (Born & Wolf §8.5.2) to 1e-3.
    assert _annular_airy_fwhm_nm(0.0) == pytest.approx(1.029 * OUTER_ZONE_NM, rel=1e-3)


@pytest.mark.parametrize("stop", [0.0, 0.25, 0.4])
def test_in_focus_fwhm_matches_annular_airy(stop):
    zp = ZonePlate(diameter_um=100.0, outer_zone_nm=OUTER_ZONE_NM, central_stop_fraction=stop)
    probe = focused_probe(zp, ENERGY_KEV, shape=SHAPE, pixel_nm=PIXEL_NM)
    # 1 %: the pupil disc is sampled on a 1/(128·2 nm) frequency grid and the FWHM is read by
    # linear interpolation between 2 nm pixels (~0.5 % each, measured 0.2 % at stop 0).
    assert probe_fwhm_nm(probe, PIXEL_NM) == pytest.approx(_annular_airy_fwhm_nm(stop), rel=0.01)


def test_central_stop_narrows_the_core():
    widths = [probe_fwhm_nm(focused_probe(ZonePlate(100.0, OUTER_ZONE_NM, central_stop_fraction=s), ENERGY_KEV,
                                          shape=SHAPE, pixel_nm=PIXEL_NM), PIXEL_NM) for s in (0.0, 0.4)]
    assert widths[1] < 0.95 * widths[0]


@pytest.mark.parametrize("stop", [0.0, 0.4])
@pytest.mark.parametrize("dof_multiple", [0.5, 1.0, 2.0])
def test_on_axis_intensity_through_focus(stop, dof_multiple):
    # Paraxial closed form: on-axis amplitude ∝ ∫ exp(−iπλz s) ds over s = f² ∈ [ε²fc², fc²], so
    # I(z)/I(0) = sinc²(a), a = πλz·fc²(1 − ε²)/2, fc = 1/(2Δr_N) (Born & Wolf §8.8, light near a focus);
    # at the DOF edge z = 2Δr_N²/λ and ε = 0 this is the classic 0.81.
    zp = ZonePlate(100.0, OUTER_ZONE_NM, central_stop_fraction=stop)
    z = dof_multiple * zp.depth_of_focus_nm(ENERGY_KEV)
    centre = SHAPE[0] // 2, SHAPE[1] // 2
    in_focus = abs(focused_probe(zp, ENERGY_KEV, shape=SHAPE, pixel_nm=PIXEL_NM)[centre]) ** 2
    defocused = abs(focused_probe(zp, ENERGY_KEV, shape=SHAPE, pixel_nm=PIXEL_NM, defocus_nm=z)[centre]) ** 2
    a = math.pi * wavelength_nm(ENERGY_KEV) * z * (1.0 - stop**2) / (2.0 * (2.0 * OUTER_ZONE_NM) ** 2)
    # 2 %: the integral over the pupil is a sum over the discrete frequency grid.
    assert defocused / in_focus == pytest.approx((math.sin(a) / a) ** 2, rel=0.02, abs=2e-3)


def test_probe_widens_beyond_the_depth_of_focus():
    zp = ZonePlate(100.0, OUTER_ZONE_NM)
    dof = zp.depth_of_focus_nm(ENERGY_KEV)
    shape = (256, 256)
    widths = {m: probe_fwhm_nm(focused_probe(zp, ENERGY_KEV, shape=shape, pixel_nm=PIXEL_NM, defocus_nm=m * dof),
                               PIXEL_NM) for m in (0.0, 0.5, 4.0)}
    assert widths[0.5] < 1.1 * widths[0.0]  # within the DOF the spot keeps its size
    # Far out of focus the spot approaches the geometric cone, diameter 2·NA·z = 4·Δr_N·m: > 2× the focus.
    assert widths[4.0] > 2.0 * widths[0.0]


def test_defocus_equals_free_space_propagation_and_conserves_flux():
    zp = ZonePlate(100.0, OUTER_ZONE_NM, central_stop_fraction=0.3)
    z = 3.0 * zp.depth_of_focus_nm(ENERGY_KEV)
    flux = 2.5e9
    focus = focused_probe(zp, ENERGY_KEV, shape=SHAPE, pixel_nm=PIXEL_NM, flux_photons_per_s=flux)
    moved = propagate(focus, z, energy_kev=ENERGY_KEV, pixel_nm=PIXEL_NM, pad=1, band_limit=False)
    direct = focused_probe(zp, ENERGY_KEV, shape=SHAPE, pixel_nm=PIXEL_NM, defocus_nm=z, flux_photons_per_s=flux)
    # Periodic exact propagation is unitary: flux kept to float32 precision.
    assert np.sum(np.abs(moved) ** 2) == pytest.approx(flux, rel=1e-5)
    # The paraxial pupil phase and the exact angular spectrum differ by πzλ³f⁴/4 ≈ 1e-5 rad at the
    # pupil edge; 1e-3 of the peak allows for float32 rounding of the two routes.
    assert np.max(np.abs(moved - direct)) < 1e-3 * np.max(np.abs(direct))


@settings(max_examples=10, deadline=None)
@given(flux=st.floats(1e3, 1e13), defocus_nm=st.floats(-2e4, 2e4), stop=st.floats(0.0, 0.6))
def test_total_intensity_is_the_flux(flux, defocus_nm, stop):
    zp = ZonePlate(100.0, OUTER_ZONE_NM, central_stop_fraction=stop)
    probe = focused_probe(zp, ENERGY_KEV, shape=(64, 64), pixel_nm=4.0, defocus_nm=defocus_nm,
                          flux_photons_per_s=flux)
    assert probe.dtype == np.complex64
    assert np.sum(np.abs(probe.astype(np.complex128)) ** 2) == pytest.approx(flux, rel=1e-5)  # float32 sum


@pytest.mark.parametrize("fwhm_nm", [10.0, 30.0, 55.0])
def test_gaussian_probe_fwhm_and_flux(fwhm_nm):
    probe = gaussian_probe(fwhm_nm, shape=(96, 96), pixel_nm=2.0, flux_photons_per_s=1e10)
    # 1 %: linear interpolation of a Gaussian between pixels ≥ 5 per FWHM.
    assert probe_fwhm_nm(probe, 2.0) == pytest.approx(fwhm_nm, rel=0.01)
    assert np.sum(np.abs(probe.astype(np.complex128)) ** 2) == pytest.approx(1e10, rel=1e-5)
    assert np.all(probe.imag == 0)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"pixel_nm": 25.0}, "pixel_nm"),  # pupil beyond Nyquist
    ({"pixel_nm": -1.0}, "pixel_nm"),
    ({"shape": (16, 16)}, "shape"),  # too few frequency samples across the pupil
    ({"flux_photons_per_s": 0.0}, "flux_photons_per_s"),
    ({"defocus_nm": float("nan")}, "defocus_nm"),
])
def test_bad_input_names_the_field(kwargs, field):
    args = {"shape": SHAPE, "pixel_nm": PIXEL_NM} | kwargs
    with pytest.raises(ValidationError, match=field):
        focused_probe(ZonePlate(100.0, OUTER_ZONE_NM), ENERGY_KEV, **args)


def test_bad_zone_plate_and_gaussian_input():
    with pytest.raises(ValidationError, match="zone_plate"):
        focused_probe("zp", ENERGY_KEV, shape=SHAPE, pixel_nm=PIXEL_NM)
    with pytest.raises(ValidationError, match="fwhm_nm"):
        gaussian_probe(0.0, shape=SHAPE, pixel_nm=PIXEL_NM)
    with pytest.raises(ValidationError, match="probe"):
        probe_fwhm_nm(np.ones((8, 8)), 1.0)  # no half-maximum inside the grid
