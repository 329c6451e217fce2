"""Abbe partially coherent imaging: coherent and incoherent limits, cut-offs, Rayleigh, energy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ValidationError
from sim.partial_coherence import Condenser, abbe_image, source_points
from sim.zone_plate import ZonePlate, frequencies

ENERGY = 8.0
ZP = ZonePlate(diameter_um=100.0, outer_zone_nm=25.0)  # NA/λ = 0.02 /nm
NA = ZP.numerical_aperture(ENERGY)
CUTOFF = ZP.cutoff_frequency_per_nm(ENERGY)


def _image(t, sigma, pixel_nm=10.0, n_source_points=64, objective=ZP, sigma_inner=0.0):
    condenser = Condenser.from_sigma(NA, sigma, sigma_inner)
    optics = {"energy_kev": ENERGY, "objective": objective, "condenser": condenser}
    return abbe_image(t, pixel_nm=pixel_nm, **optics, n_source_points=n_source_points, progress=False)


def _grating(k, n=128, modulation=0.02, rows=4):
    """Amplitude grating 1 + m·cos(2π k x / L), k cycles over the field (periodic)."""
    x = np.arange(n)
    return np.broadcast_to(1 + modulation * np.cos(2 * np.pi * k * x / n), (rows, n)).astype(complex)


def _modulation(image_row, k):
    spectrum = np.fft.fft(image_row)
    return 2 * abs(spectrum[k]) / abs(spectrum[0])


def test_sigma_zero_is_the_coherent_image():
    rng = np.random.default_rng(0)
    t = np.exp(1j * rng.normal(0, 0.5, (64, 64))) * rng.uniform(0.5, 1, (64, 64))
    f_row, f_col = frequencies(t.shape, 10.0)
    coherent = np.abs(np.fft.ifft2(np.fft.fft2(t) * ZP.pupil(f_col, f_row, ENERGY))) ** 2
    # Same arithmetic in another FFT: agreement to rounding.
    assert np.allclose(_image(t, 0.0), coherent, rtol=0, atol=1e-12)
    # A nearly coherent condenser (σ = 0.02, tilts 2 % of the cut-off) stays close: measured 3.0 % of the peak.
    assert np.max(np.abs(_image(t, 0.02) - coherent)) < 0.05 * coherent.max()


@settings(max_examples=10, deadline=None)
@given(sigma=st.floats(0.0, 1.5), seed=st.integers(0, 2**16))
def test_pure_phase_object_with_clear_pupil_has_no_contrast(sigma, seed):
    """|t| = 1 and P = 1: every coherent image is |t|² = 1, so any mixture is 1 (to rounding)."""
    t = np.exp(1j * np.random.default_rng(seed).normal(0, 1.0, (32, 32)))
    image = _image(t, sigma, n_source_points=16, objective=lambda fx, fy: np.ones(np.broadcast(fx, fy).shape, complex))
    assert np.allclose(image, 1.0, rtol=0, atol=1e-12)


def test_incoherent_limit_follows_the_circular_pupil_otf():
    """σ = 1 (filled): the linear transfer of |t|² equals the incoherent OTF 2/π[acos ν − ν√(1−ν²)].

    Hopkins: TCC(f, 0) = ∫S(s)P(f+s)P(s)ds; the overlap of the two pupils lies inside |s| ≤ NA/λ,
    covered by the source when σ ≥ 1, so the ratio TCC(f,0)/TCC(0,0) is exactly the OTF.
    Tolerance 0.01: the quadrature error of 300 sunflower source points (measured ≤ 0.003).
    """
    ks = np.array([10, 20, 31, 41])  # ν = k / (L · 2NA/λ) with L = 1280 nm
    m = 0.02
    t = np.stack([_grating(k, modulation=m) for k in ks])
    images = _image(t, 1.0, n_source_points=300)
    for image, k in zip(images, ks):
        nu = k / (1280.0 * 2 * CUTOFF)
        otf = 2 / np.pi * (np.arccos(nu) - nu * np.sqrt(1 - nu**2))
        # |t|² = 1 + 2m cos + …: the input modulation at f0 is 2m.
        assert _modulation(image[0], k) / (2 * m) == pytest.approx(otf, abs=0.01)


def test_coherent_cutoff_moves_out_with_the_condenser():
    """Period below λ/NA (f0 = 1.5·NA/λ): no image at σ = 0, imaged at σ = 1 (cut-off (1+σ)NA/λ)."""
    k = 38  # f0 = 38/1280 = 0.0297 /nm = 1.48 NA/λ
    t = _grating(k, modulation=0.2)
    assert _modulation(_image(t, 0.0)[0], k) < 1e-12
    # Measured 0.061 of an input modulation 0.4; > 0.03 is unambiguous (quadrature error ~0.005).
    assert _modulation(_image(t, 1.0, n_source_points=400)[0], k) > 0.03


def test_two_points_at_the_rayleigh_distance_show_the_rayleigh_dip():
    """Two pinholes 1.22Δr_N apart under a filled σ = 1 condenser: dip 1 − I_mid/I_max = 26.5 %.

    At σ = 1 the van Cittert–Zernike coherence 2J1(x)/x between the pinholes has x = 3.83σ, its
    first zero: they are mutually incoherent and the image is the sum of two Airy patterns.
    Tolerance 0.01 covers the source quadrature (measured 0.264 with 200 points). Coherent
    (σ = 0, in phase) the same pair is not resolved at all.
    """
    pixel = 1.22 * 25.0 / 6  # the separation is 6 pixels
    t = np.zeros((128, 128), complex)
    t[64, 61] = t[64, 67] = 1.0
    row = _image(t, 1.0, pixel_nm=pixel, n_source_points=200)[64]
    assert 1 - row[64] / row[61:68].max() == pytest.approx(0.265, abs=0.01)
    row = _image(t, 0.0, pixel_nm=pixel)[64]
    assert row[64] == pytest.approx(row[61:68].max())


@pytest.mark.parametrize(
    ("zone_plate", "sigma_outer", "sigma_inner", "expected", "tol"),
    [
        (ZP, 0.5, 0.0, 1.0, 1e-12),
        (ZonePlate(100.0, 25.0, central_stop_fraction=0.5), 0.95, 0.6, 1.0, 1e-12),
        # σ = 1.5 filled: 1/σ² of the light enters the pupil; quadrature error ~2 %.
        (ZP, 1.5, 0.0, 1 / 1.5**2, 0.02),
    ],
)
def test_clear_object_images_to_the_pupil_transmission(zone_plate, sigma_outer, sigma_inner, expected, tol):
    image = _image(np.ones((32, 32), complex), sigma_outer, objective=zone_plate, sigma_inner=sigma_inner, n_source_points=200)
    assert np.ptp(image) < 1e-12
    assert image.mean() == pytest.approx(expected, abs=tol)


def test_batched_views_equal_single_views():
    rng = np.random.default_rng(3)
    t = np.exp(1j * rng.normal(0, 0.3, (3, 32, 48)))
    batched = _image(t, 0.8)
    for view, image in zip(t, batched):
        assert np.allclose(_image(view, 0.8), image, rtol=0, atol=1e-13)


def test_source_points_fill_the_annulus_uniformly():
    """Weights sum to 1, points lie in the annulus and ⟨|f|²⟩ = (r_o² + r_i²)/2 (uniform disc moment), 2 %."""
    condenser = Condenser(0.003, 0.0015)
    fx, fy, w = source_points(condenser, ENERGY, 200)
    lam = 1.239841984 / ENERGY
    r_o, r_i = 0.003 / lam, 0.0015 / lam
    radius = np.hypot(fx, fy)
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all((radius >= r_i) & (radius <= r_o))
    assert np.sum(w * radius**2) == pytest.approx((r_o**2 + r_i**2) / 2, rel=0.02)
    assert abs(np.sum(w * fx)) < 5e-3 * r_o and abs(np.sum(w * fy)) < 5e-3 * r_o  # sunflower centroid ~1/N


def test_bad_input_names_the_field():
    cond = Condenser(0.001)
    good = {"pixel_nm": 10.0, "energy_kev": ENERGY, "objective": ZP, "condenser": cond, "progress": False}
    with pytest.raises(ValidationError, match="transmission.shape"):
        abbe_image(np.ones(16, complex), **good)
    with pytest.raises(ValidationError, match="transmission"):
        abbe_image(np.full((8, 8), np.nan + 0j), **good)
    with pytest.raises(ValidationError, match="pixel_nm"):
        abbe_image(np.ones((8, 8), complex), **{**good, "pixel_nm": 20.0})  # > Δr_N/2
    with pytest.raises(ValidationError, match="n_source_points"):
        abbe_image(np.ones((8, 8), complex), **good, n_source_points=0)
    with pytest.raises(ValidationError, match="defocus_nm"):
        abbe_image(np.ones((8, 8), complex), **{**good, "objective": lambda fx, fy: fx * 0 + 1}, defocus_nm=5.0)
    with pytest.raises(ValidationError, match="na_inner"):
        Condenser(0.001, 0.002)
    with pytest.raises(ValidationError, match="na_outer"):
        Condenser(-0.001)
