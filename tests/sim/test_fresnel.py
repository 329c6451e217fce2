"""Angular-spectrum propagation: conservation, semigroup, Talbot, straight-edge diffraction, TIE, sampling."""

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ValidationError
from sim.fresnel import (
    check_sampling,
    critical_distance_nm,
    crop_field,
    fresnel_number,
    pad_field,
    propagate,
    transfer_function,
    window_shape,
)
from sim.xray_wave import complex_transmission, wavelength_nm

ENERGY_KEV = 8.0
PIXEL_NM = 10.0
LAMBDA_NM = wavelength_nm(ENERGY_KEV)
PERIODIC = dict(energy_kev=ENERGY_KEV, pixel_nm=PIXEL_NM, pad=1, band_limit=False)


def random_wave(shape, seed, *, band=None):
    """A random complex wave of mean modulus 1; ``band`` keeps frequencies below that fraction of Nyquist."""
    rng = np.random.default_rng(seed)
    wave = rng.normal(size=shape) + 1j * rng.normal(size=shape)
    if band is not None:
        spectrum = np.fft.fft2(wave)
        f = np.hypot(np.fft.fftfreq(shape[-2])[:, None], np.fft.fftfreq(shape[-1])[None, :]) * 2
        spectrum[..., f >= band] = 0
        wave = np.fft.ifft2(spectrum)
    return (wave / np.abs(wave).mean()).astype(np.complex64)


def energy(wave):
    return float(np.sum(np.abs(wave.astype(np.complex128)) ** 2))


def test_periodic_propagation_conserves_energy():
    """Parseval: |H| = 1 on every sample (no evanescent waves at 10 nm pixels), so Σ|ψ|² is kept.

    Tolerance 1e-6 relative: float32 FFTs (~1e-7 per transform, two of them).
    """
    wave = random_wave((3, 64, 48), seed=1)
    out = propagate(wave, 2e5, **PERIODIC)
    assert energy(out) == pytest.approx(energy(wave), rel=1e-6)
    assert np.abs(out - wave).max() > 0.5  # it did propagate (Fresnel number of a pixel 0.003)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n_rows=st.integers(2, 24),
    n_cols=st.integers(2, 24),
    distance_nm=st.floats(-1e6, 1e6),
)
def test_unitarity_on_random_small_waves(seed, n_rows, n_cols, distance_nm):
    """Σ|ψ|² conserved for any small periodic wave and distance (1e-5: float32 FFT rounding)."""
    wave = random_wave((n_rows, n_cols), seed)
    out = propagate(wave, distance_nm, **PERIODIC)
    assert energy(out) == pytest.approx(energy(wave), rel=1e-5)


def test_two_steps_equal_one_and_minus_z_undoes_plus_z():
    """H(z₁)H(z₂) = H(z₁+z₂) and H(−z) = H(z)*: exact on the grid, 1e-5 (float32 rounding of 4-6 FFTs)."""
    wave = random_wave((2, 64, 64), seed=2)
    two = propagate(propagate(wave, 3e4, **PERIODIC), 5e4, **PERIODIC)
    one = propagate(wave, 8e4, **PERIODIC)
    assert np.abs(two - one).max() < 1e-5
    back = propagate(propagate(wave, 8e4, **PERIODIC), -8e4, **PERIODIC)
    assert np.abs(back - wave).max() < 1e-5


def test_padded_defocus_is_undone_by_the_opposite_defocus():
    """A compact field in a zero-padded window: −z undoes +z with padding and the band limit.

    A Gaussian beam (σ = 10 px) through a disc of δ, β (radius 15 px). Within the critical distance
    the band limit cuts nothing, and at z = 10 µm even light at the Nyquist frequency moves only
    λz/(2Δx) = 8 px, so almost nothing leaves the field before the first crop: the round trip is
    exact up to float32 rounding and that loss (measured 1e-5 of the peak): tolerance 1e-4.
    """
    n = 96
    y, x = np.mgrid[:n, :n] - (n - 1) / 2
    inside = np.hypot(x, y) < 15
    disc = complex_transmission(np.where(inside, 2e-3, 0.0), np.where(inside, 2e-4, 0.0), ENERGY_KEV)
    wave = (disc * np.exp(-(x**2 + y**2) / (2 * 10.0**2))).astype(np.complex64)
    kwargs = dict(energy_kev=ENERGY_KEV, pixel_nm=PIXEL_NM, pad=2, pad_mode="zero")
    z = 1e4
    assert z < critical_distance_nm(window_shape((n, n), 2)[0] * PIXEL_NM, PIXEL_NM, ENERGY_KEV)
    there = propagate(wave, z, **kwargs)
    back = propagate(there, -z, **kwargs)
    assert np.abs(back - wave).max() < 1e-4
    assert np.abs(there - wave).max() > 1e-2  # the disc's edge diffracted


def test_small_distance_is_the_identity():
    """z = 1 nm: the phase πλz f² <= 1.2e-4 rad at the band edge, so |Δψ| < 3e-4 (random wave to ½ Nyquist)."""
    wave = random_wave((32, 32), seed=3, band=0.5)
    out = propagate(wave, 1.0, energy_kev=ENERGY_KEV, pixel_nm=PIXEL_NM)
    assert np.abs(out - wave).max() < 3e-4 * np.abs(wave).max()
    np.testing.assert_array_equal(propagate(wave, 0.0, energy_kev=ENERGY_KEV, pixel_nm=PIXEL_NM), wave)


def test_talbot_self_image_and_half_period_shift():
    """A binary amplitude grating of period p self-images at z_T = 2p²/λ and shifts by p/2 at z_T/2.

    Talbot (1836); Rayleigh (1881); Goodman, Fourier Optics, §4.5.2. The paraxial Talbot phases are
    multiples of 2π; the non-paraxial correction πzλ³f⁴/4 is < 4e-3 rad up to Nyquist, so the
    correlation with the (shifted) grating is 1 to 1e-6 and pixels agree to 1e-4.
    """
    n, period_px = 256, 16
    grating = (np.arange(n) % period_px < period_px // 2).astype(np.complex64)
    wave = np.broadcast_to(grating, (8, n)).copy()
    z_talbot = 2 * (period_px * PIXEL_NM) ** 2 / LAMBDA_NM
    intensity0 = np.abs(grating) ** 2
    for z, shift in [(z_talbot, 0), (z_talbot / 2, period_px // 2)]:
        intensity = np.abs(propagate(wave, z, **PERIODIC)) ** 2
        reference = np.roll(intensity0, shift)
        assert np.corrcoef(intensity[3], reference)[0, 1] > 1 - 1e-6
        assert np.abs(intensity - reference).max() < 1e-4
    quarter = np.abs(propagate(wave, z_talbot / 4, **PERIODIC)[3]) ** 2
    assert np.corrcoef(quarter, intensity0)[0, 1] < 0.5  # in between it is not the grating


def test_straight_edge_fringes():
    """Fresnel diffraction by a half-plane against the Cornu-spiral closed form (Born & Wolf, §8.7.4).

    I(v) = ½[(C(v) + ½)² + (S(v) + ½)²], v = x·√(2/(λz)); the first maximum is 1.3704 at v = 1.217.
    16 px per √(λz/2); the edge-padded 4× window continues the half-plane (no second edge). Within
    |v| < 4 (fringes below ¼ of the Nyquist frequency) the pixel-sampled step deviates by < 1e-2
    (measured 2.8e-3); the peak is found on the 1/16 grid of v.
    """
    n, per_unit_px = 1024, 16
    z = 2 * (per_unit_px * PIXEL_NM) ** 2 / LAMBDA_NM
    x = (np.arange(n) - n / 2 + 0.5) * PIXEL_NM
    wave = np.broadcast_to((x > 0).astype(np.complex64), (32, n)).copy()
    intensity = np.abs(propagate(wave, z, energy_kev=ENERGY_KEV, pixel_nm=PIXEL_NM, pad=4)[16]) ** 2
    v = x * np.sqrt(2 / (LAMBDA_NM * z))
    s, c = scipy.special.fresnel(v)
    reference = 0.5 * ((c + 0.5) ** 2 + (s + 0.5) ** 2)
    near = np.abs(v) < 4
    assert np.abs(intensity - reference)[near].max() < 1e-2
    assert intensity.max() == pytest.approx(1.3704, abs=3e-3)
    assert v[np.argmax(intensity)] == pytest.approx(1.217, abs=1 / per_unit_px)


def test_weak_phase_object_follows_the_transport_of_intensity():
    """I(z) ≈ 1 − (λz/2π)∇²φ for a weak phase object at large Fresnel number (Teague, JOSA 73, 1434 (1983)).

    φ: random, |φ| <= 0.01 rad, band-limited to 0.05 px⁻¹. At z = 10 µm the second-order terms
    (πλz f²)² ~ 6e-3 and φ·∇²φ bound the deviation: 1 % of the contrast (measured 0.26 %).
    """
    n = 128
    rng = np.random.default_rng(4)
    spectrum = np.fft.fft2(rng.normal(size=(n, n)))
    f = np.hypot(np.fft.fftfreq(n)[:, None], np.fft.fftfreq(n)[None, :])
    spectrum[f > 0.05] = 0
    phase = np.real(np.fft.ifft2(spectrum))
    phase *= 0.01 / np.abs(phase).max()
    f_nm = np.fft.fftfreq(n, PIXEL_NM)
    laplacian = np.real(np.fft.ifft2(-((2 * np.pi) ** 2) * (f_nm[:, None] ** 2 + f_nm[None, :] ** 2) * np.fft.fft2(phase)))
    z = 1e4
    assert fresnel_number(10 * PIXEL_NM, z, ENERGY_KEV) > 5  # near field at the object's scale (~10 px)
    intensity = np.abs(propagate(np.exp(1j * phase), z, **PERIODIC)) ** 2
    predicted = -(LAMBDA_NM * z / (2 * np.pi)) * laplacian
    assert np.abs(intensity - 1 - predicted).max() < 1e-2 * np.abs(predicted).max()


def test_x_ray_prism_deflects_towards_its_thin_side():
    """Sign check of transmission and propagator together: δ > 0 (n < 1) bends the beam to the thin side.

    A wedge of slope s = dt/dx gives the phase −kδs·x, a tilt −δs [rad], so the centroid of a beam
    moves by −δs·z (Snell's law for n = 1 − δ; Als-Nielsen & McMorrow §3.9). The centroid moves
    exactly linearly with z (Ehrenfest): tolerance 1 % of the 2-px shift (Gaussian tails, float32).
    """
    n = 256
    x = (np.arange(n) - n / 2) * PIXEL_NM
    delta_times_slope = 1e-4
    beam = np.exp(-(x / 200.0) ** 2)
    wedge = complex_transmission(delta_times_slope * (x - x.min()), np.zeros(n), ENERGY_KEV)
    wave = np.broadcast_to(beam * wedge, (64, n)).astype(np.complex64)
    z = 2e5
    out = np.abs(propagate(wave, z, energy_kev=ENERGY_KEV, pixel_nm=PIXEL_NM, pad=2, pad_mode="zero")[32]) ** 2
    centroid = np.sum(out * x) / np.sum(out)
    assert centroid == pytest.approx(-delta_times_slope * z, rel=1e-2)


def test_band_limit_removes_only_what_would_wrap_around():
    """Beyond the critical distance H keeps |f| <= 1/(λ√((2z/W)²+1)) (Matsushima & Shimobaba 2009, eq. 13)."""
    shape, z = (64, 64), 2e5
    width = 64 * PIXEL_NM
    h = transfer_function(shape, z, energy_kev=ENERGY_KEV, pixel_nm=PIXEL_NM)
    f = np.abs(np.fft.fftfreq(64, PIXEL_NM))
    limit = 1 / (LAMBDA_NM * np.sqrt((2 * z / width) ** 2 + 1))
    kept = (f[:, None] <= limit) & (f[None, :] <= limit)
    np.testing.assert_array_equal(h != 0, kept)
    assert 0 < kept.mean() < 1
    inside = transfer_function(shape, 0.9 * critical_distance_nm(width, PIXEL_NM, ENERGY_KEV), energy_kev=ENERGY_KEV, pixel_nm=PIXEL_NM)
    assert np.all(inside != 0)


def test_pad_and_crop_round_trip():
    field = random_wave((2, 5, 7), seed=5)
    window = window_shape((5, 7), 2.0)
    assert window == (10, 14)
    for mode in ("edge", "zero"):
        np.testing.assert_array_equal(crop_field(pad_field(field, window, mode), (5, 7)), field)


def test_fresnel_number_closed_form():
    """N_F = a²/(λz): 100 nm at 1 mm and 8 keV is 100²/(0.15498·1e6) = 0.0645."""
    assert fresnel_number(100.0, -1e6, ENERGY_KEV) == pytest.approx(1e4 / (LAMBDA_NM * 1e6), rel=1e-12)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: propagate(np.ones((8, 8)), 1e7, energy_kev=8.0, pixel_nm=10.0, pad=2, band_limit=False), "distance_nm"),
        (lambda: propagate(np.ones((8, 8)), 1e8, energy_kev=8.0, pixel_nm=10.0), "distance_nm"),
        (lambda: propagate(np.ones((8, 8)), np.inf, energy_kev=8.0, pixel_nm=10.0), "distance_nm"),
        (lambda: propagate(np.ones((8, 8)), 1.0, energy_kev=-8.0, pixel_nm=10.0), "energy_kev"),
        (lambda: propagate(np.ones((8, 8)), 1.0, energy_kev=8.0, pixel_nm=0.0), "pixel_nm"),
        (lambda: propagate(np.ones((8, 8)), 1.0, energy_kev=8.0, pixel_nm=10.0, pad=0.5), "pad"),
        (lambda: propagate(np.ones((8, 8)), 1.0, energy_kev=8.0, pixel_nm=10.0, pad_mode="wrap"), "pad_mode"),
        (lambda: propagate(np.ones(8), 1.0, energy_kev=8.0, pixel_nm=10.0), "wave.shape"),
        (lambda: propagate(np.full((2, 2), np.nan), 1.0, energy_kev=8.0, pixel_nm=10.0), "wave"),
        (lambda: fresnel_number(10.0, 0.0, 8.0), "distance_nm"),
        (lambda: fresnel_number(0.0, 1.0, 8.0), "feature_nm"),
        (lambda: check_sampling((8, 8), 1e9, energy_kev=8.0, pixel_nm=10.0, periodic=False, band_limit=True), "distance_nm"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(ValidationError) as error:
        call()
    assert error.value.field == field


def test_periodic_field_without_band_limit_has_no_distance_limit():
    """pad=1, band_limit=False: a periodic field is exact at any distance, so no sampling error."""
    check_sampling((8, 8), 1e12, energy_kev=8.0, pixel_nm=10.0, periodic=True, band_limit=False)
