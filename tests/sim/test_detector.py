"""Detector physics: counting statistics, DQE, MTF and noise power spectra."""

import numpy as np
import pytest

from sim.detector import COUNTING, INTEGRATING, Detector, detector
from sim.errors import ValidationError


def _nps(images, mean):
    """Noise power spectrum [e⁻² per pixel] of a stack: |FFT(image − mean)|² / n_pixels, averaged."""
    residual = images.astype(np.float64) - mean
    return np.mean(np.abs(np.fft.fft2(residual)) ** 2, axis=0) / residual[0].size


def _radial(shape):
    f_rows, f_cols = np.fft.fftfreq(shape[0]), np.fft.fftfreq(shape[1])
    return np.hypot(f_rows[:, None], f_cols[None, :])


@pytest.mark.parametrize("det", [COUNTING, INTEGRATING, Detector("counting", 0.3, scatter_sigma_px=1.0)])
def test_mtf_at_zero_and_nyquist(det):
    """MTF(0) = 1; along an axis at Nyquist the pixel's sinc gives 2/π times the Gaussians."""
    mtf = det.mtf((16, 32))
    assert mtf.shape == (16, 32) and mtf.dtype == np.float64
    assert mtf[0, 0] == 1.0
    sigma_sq = det.scatter_sigma_px**2 + det.light_sigma_px**2
    expected = 2 / np.pi * np.exp(-2 * np.pi**2 * sigma_sq * 0.25)
    np.testing.assert_allclose([mtf[0, 16], mtf[8, 0]], expected, rtol=1e-12)


def test_counting_preset_is_the_pixel_sinc():
    """COUNTING's MTF is sinc(π f / (2 f_N)) per axis: exactly 2/π at Nyquist (McMullan et al. 2014)."""
    mtf = COUNTING.mtf((8, 8))
    assert mtf[0, 4] == pytest.approx(2 / np.pi, rel=1e-14)
    assert mtf[4, 4] == pytest.approx(4 / np.pi**2, rel=1e-14)
    assert np.all(COUNTING.ntf((8, 8)) == 1.0)


def test_integrating_preset_numbers():
    """The preset's stated targets: MTF(Nyquist) ≈ 0.10 and DQE(Nyquist)/DQE0 ≈ 0.10.

    3 %: the two σ are rounded to two decimals (0.1001 and 0.0975).
    """
    assert INTEGRATING.mtf((8, 8))[0, 4] == pytest.approx(0.10, rel=0.03)
    assert INTEGRATING.dqe((8, 8))[0, 4] / INTEGRATING.dqe0 == pytest.approx(0.10, rel=0.03)
    assert detector("integrating") is INTEGRATING and detector("counting") is COUNTING


def test_poisson_mean_equals_variance_at_dqe_one():
    """DQE = 1 counting detector on a flat field of 30 e⁻: mean = variance = 30.

    256² = 65 536 pixels: the standard error of the mean is sqrt(30/65536) = 0.02 and
    of the variance 30·sqrt(2/65536) = 0.17 (Gaussian approximation); we allow 5 σ.
    """
    det = Detector("counting", 1.0)
    image = det.record(np.full((256, 256), 30.0), 3)
    assert image.shape == (256, 256) and image.dtype == np.float32
    assert np.all(image == np.round(image))
    assert abs(image.mean() - 30.0) < 5 * 0.0214
    assert abs(image.var() - 30.0) < 5 * 0.166


def test_counting_variance_is_mean_over_dqe():
    """DQE0 = 0.5: counts Poisson(0.5 N)/0.5 give mean N and variance N/DQE0 = 400, white.

    Variance from 8 × 128² = 131 072 pixels: standard error 400·sqrt(2/131072) = 1.6, 5 σ
    allowed. The NPS at low frequency (0 < f < 0.1: ~2 000 independent periodogram values
    of relative error 1, so 2.2 %) and near Nyquist (f > 0.4) both equal N/DQE0 (counting:
    NTF = 1); 12 % is > 5 σ.
    """
    n = 200.0
    det = Detector("counting", 0.5)
    stack = det.record(np.full((8, 128, 128), n), 11)
    assert abs(stack.mean() - n) < 5 * np.sqrt(n / 0.5 / stack.size)
    assert abs(stack.var() - n / 0.5) < 5 * 1.6
    nps = _nps(stack, n)
    radius = _radial(stack.shape[1:])
    low, high = nps[(radius > 0) & (radius < 0.1)].mean(), nps[radius > 0.4].mean()
    assert low == pytest.approx(n / 0.5, rel=0.12)
    assert high == pytest.approx(n / 0.5, rel=0.12)


def test_integrating_nps_falls_with_frequency():
    """Integrating: NPS(f) = N/DQE0 · NTF²(f), NTF = exp(−2π²σ_light²f²).

    8 × 128² images. NPS / NTF² is flat at N/DQE0: its mean over all ~65 000 independent
    values has a relative error of 0.4 %, 3 % allowed. The low band (0 < f < 0.1, noise
    2.2 %) is N/DQE0 times the band's mean NTF² (0.96) within 12 %, and the band near
    Nyquist (f > 0.45) is below it by the ratio of NTF² (~0.09) within 15 %.
    """
    n = 500.0
    stack = INTEGRATING.record(np.full((8, 128, 128), n), 5)
    nps = _nps(stack, n)
    ntf_sq = INTEGRATING.ntf((128, 128)) ** 2
    radius = _radial((128, 128))
    flat = nps[radius > 0] / ntf_sq[radius > 0]
    assert flat.mean() == pytest.approx(n / INTEGRATING.dqe0, rel=0.03)
    low_band, high_band = (radius > 0) & (radius < 0.1), radius > 0.45
    low, high = nps[low_band].mean(), nps[high_band].mean()
    assert low == pytest.approx(n / INTEGRATING.dqe0 * ntf_sq[low_band].mean(), rel=0.12)
    predicted = ntf_sq[high_band].mean() / ntf_sq[low_band].mean()
    assert high / low == pytest.approx(predicted, rel=0.15)
    assert high / low < 0.15


@pytest.mark.parametrize("det", [COUNTING, INTEGRATING])
def test_signal_transfer_is_the_mtf(det):
    """A cosine of 0.25 cycles/pixel on a bright field comes out scaled by MTF(0.25).

    Amplitude 10⁴ e⁻ on 10⁵ e⁻ over 128² pixels: the measured amplitude's noise is at most
    2·sqrt(N/DQE0 · n_pixels)/n_pixels ≈ 5.4 e⁻, 0.05 % of the amplitude; 1 % allowed.
    """
    cols = np.arange(128)
    expected = np.broadcast_to(1e5 + 1e4 * np.cos(2 * np.pi * 0.25 * cols), (128, 128))
    image = det.record(expected, 2).astype(np.float64)
    amplitude = 2 * np.abs(np.fft.fft(image.mean(axis=0))[32]) / 128
    assert amplitude / 1e4 == pytest.approx(det.mtf((128, 128))[0, 32], rel=0.01)


def test_same_seed_same_image():
    expected = np.random.default_rng(0).uniform(0, 50, (3, 32, 32))
    for det in (COUNTING, INTEGRATING):
        a, b = det.record(expected, 9), det.record(expected, np.random.default_rng(9))
        assert np.array_equal(a, b)
        assert a.shape == expected.shape


def test_stack_is_recorded_image_by_image():
    """No leakage between images of a stack: an empty image stays empty next to a bright one."""
    stack = np.zeros((2, 32, 32))
    stack[0] = 1e4
    for det in (COUNTING, INTEGRATING):
        out = det.record(stack, 1)
        assert np.all(np.abs(out[1]) < 1e-3)


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda: Detector("counting", 0.0), "dqe0"),
        (lambda: Detector("counting", 1.2), "dqe0"),
        (lambda: Detector("counting", float("nan")), "dqe0"),
        (lambda: Detector("film", 0.5), "kind"),
        (lambda: Detector("integrating", 0.5, scatter_sigma_px=-1), "scatter_sigma_px"),
        (lambda: Detector("counting", 0.5, light_sigma_px=0.5), "light_sigma_px"),
        (lambda: COUNTING.record(np.full((4, 4), -1.0), 0), "expected_electrons"),
        (lambda: COUNTING.record(np.full((4, 4), np.nan), 0), "expected_electrons"),
        (lambda: COUNTING.record(np.ones(4), 0), "expected_electrons"),
        (lambda: COUNTING.record(np.ones((4, 4)), None), "seed"),
        (lambda: COUNTING.mtf((4,)), "shape"),
        (lambda: detector("film"), "name"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(ValidationError, match=field):
        call()
