"""Far-field ptychography forward model: Fraunhofer geometry, photon counting, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ValidationError
from sim.ptychography import diffraction_patterns, overlap_fraction


def _probe(n=16, radius=4.0):
    yy, xx = np.mgrid[:n, :n] - n / 2
    return np.exp(-(xx**2 + yy**2) / (2 * radius**2)).astype(complex)


def test_plane_wave_on_tilted_object_lands_at_its_spatial_frequency():
    """A phase ramp exp(2πi·k·x/n) under a flat probe diffracts into one pixel, k from the centre.

    Closed form of the centred unitary DFT: all n² photons in pixel (n/2, n/2 + k); exact to
    floating-point rounding (1e-9 relative).
    """
    n, k = 16, 3
    cols = np.arange(24)
    obj = np.tile(np.exp(2j * np.pi * k * cols / n), (24, 1))
    patterns = diffraction_patterns(obj, np.ones((n, n), complex), [[0, 0], [8, 5]])
    expected = np.zeros((n, n))
    expected[n // 2, n // 2 + k] = n * n
    np.testing.assert_allclose(patterns, np.broadcast_to(expected, patterns.shape), atol=1e-9 * n * n)


def test_matches_direct_fraunhofer_sum():
    """Against an independent direct DFT sum Σ ψ(x) exp(-2πi q·x/n)/n (no FFT); rounding only."""
    rng = np.random.default_rng(0)
    obj = np.exp(1j * rng.uniform(-1, 1, (12, 12))) * rng.uniform(0.5, 1, (12, 12))
    probe = _probe(8, 2.0) * np.exp(0.3j * rng.standard_normal((8, 8)))
    psi = probe * obj[2:10, 3:11]
    q = np.arange(8) - 4
    kernel = np.exp(-2j * np.pi * np.outer(q, np.arange(8)) / 8)
    direct = np.abs(kernel @ psi @ kernel.T / 8) ** 2
    np.testing.assert_allclose(diffraction_patterns(obj, probe, [[2, 3]])[0], direct, atol=1e-12)


def test_counts_are_poisson_with_the_transmitted_photons():
    """A pure phase object transmits every photon: mean Σ I = photons, mean ≈ variance per pixel.

    10 000 repeats of one pattern: relative standard error of a mean/variance ratio ≈ 1.4 %,
    so 5 % bounds; the photon total is exact (Parseval) to 1e-9 in the noise-free scale.
    """
    probe = _probe(8, 2.0)
    obj = np.exp(1j * np.random.default_rng(1).uniform(-np.pi, np.pi, (8, 8)))
    photons = 500.0
    flux, dwell = 1e4, 0.05
    noisy = diffraction_patterns(obj, probe, np.zeros((10_000, 2)), flux_photons_per_s=flux, dwell_s=dwell, seed=2)
    assert noisy.sum(axis=(1, 2)).mean() == pytest.approx(photons, rel=0.01)
    mean, var = noisy.mean(axis=0), noisy.var(axis=0)
    bright = mean > 5
    assert np.all(np.abs(var[bright] / mean[bright] - 1) < 0.05)
    exact = diffraction_patterns(obj, probe * np.sqrt(photons / np.sum(np.abs(probe) ** 2)), [[0, 0]])
    assert exact.sum() == pytest.approx(photons, rel=1e-9)
    again = diffraction_patterns(obj, probe, np.zeros((10_000, 2)), photons_per_pattern=photons, seed=2)
    assert np.array_equal(noisy, again)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 8), st.integers(0, 8), st.floats(0.0, 6.28))
def test_shifting_object_and_scan_together_changes_nothing(dr, dc, phase):
    """Translation invariance and global-phase blindness of |F{P·O}|² (rounding only)."""
    rng = np.random.default_rng(3)
    obj = np.exp(1j * rng.uniform(-1, 1, (16, 16)))
    moved = np.zeros((24, 24), complex)
    moved[dr:dr + 16, dc:dc + 16] = obj * np.exp(1j * phase)
    probe = _probe(8, 2.0)
    pos = np.array([[0, 0], [4, 6], [8, 8]])
    np.testing.assert_allclose(diffraction_patterns(moved, probe, pos + [dr, dc]),
                               diffraction_patterns(obj, probe, pos), atol=1e-10)


def test_subpixel_position_moves_the_probe_by_the_fraction():
    """A window at (3.3, 2.6) equals the window at (3, 2) lit by the probe centred 0.3, 0.6 px further on.

    The sampled Gaussian (σ = 1.5 px) is band-limited to within exp(−(π σ)²/2) ≈ 1e-5 of its peak at
    Nyquist, so its Fourier shift equals the analytically shifted Gaussian to ~1e-5 of the peak
    intensity; bound 1e-4 of the brightest pattern pixel.
    """
    n = 16
    yy, xx = np.mgrid[:n, :n] - n / 2

    def gauss(dr, dc):
        return np.exp(-((yy - dr) ** 2 + (xx - dc) ** 2) / (2 * 1.5**2)).astype(complex)

    obj = np.exp(1j * np.random.default_rng(4).uniform(-1, 1, (32, 32)))
    shifted = diffraction_patterns(obj, gauss(0, 0), [[3.3, 2.6]])
    direct = diffraction_patterns(obj, gauss(0.3, 0.6), [[3, 2]])
    np.testing.assert_allclose(shifted, direct, atol=1e-4 * direct.max())


def test_positions_are_continuous_across_pixel_boundaries_and_integral_ones_exact():
    """p + 0.999 999 px (window at p, probe moved ~1 px) matches p + 1 (window moved); integral floats are exact.

    The Fourier shift is circular, so the match needs a probe ~0 at the window edge: the Gaussian
    (σ = 2 px in a 16 px window) is 1e-4 of its peak there; bound 1e-3 of the brightest pixel.
    """
    probe = _probe(16, 2.0)
    obj = np.exp(1j * np.random.default_rng(5).uniform(-1, 1, (32, 32)))
    near = diffraction_patterns(obj, probe, [[4 + 0.999999, 7.0]])
    moved = diffraction_patterns(obj, probe, [[5, 7]])
    np.testing.assert_allclose(near, moved, atol=1e-3 * moved.max())
    assert np.array_equal(diffraction_patterns(obj, probe, [[5.0, 7.0]]), moved)


def test_overlap_fraction():
    assert overlap_fraction(20.0, 5.0) == pytest.approx(0.75)
    assert overlap_fraction(20.0, 40.0) == 0.0


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"positions_px": [[-0.5, 0]]}, "positions_px"),
    ({"positions_px": [[20, 0]]}, "positions_px"),
    ({"positions_px": [[16.0, 17.0]]}, "positions_px"),
    ({"positions_px": [[np.nan, 0]]}, "positions_px"),
    ({"positions_px": [0, 0]}, "positions_px.shape"),
    ({"photons_per_pattern": -1.0, "seed": 0}, "photons_per_pattern"),
    ({"photons_per_pattern": 10.0}, "seed"),
    ({"flux_photons_per_s": 1e3}, "dwell_s"),
    ({"flux_photons_per_s": 1e3, "dwell_s": 0.0, "seed": 0}, "dwell_s"),
])
def test_bad_input_names_the_field(kwargs, field):
    args = {"positions_px": [[0, 0]], **kwargs}
    with pytest.raises(ValidationError) as info:
        diffraction_patterns(np.ones((24, 24), complex), _probe(8), **args)
    assert info.value.field == field


@pytest.mark.parametrize(("fwhm", "step", "field"), [(0.0, 1.0, "probe_fwhm_px"), (5.0, -1.0, "step_px")])
def test_overlap_bad_input(fwhm, step, field):
    with pytest.raises(ValidationError, match=field):
        overlap_fraction(fwhm, step)
