"""X-ray camera: quantum efficiency, correlated noise from the light spread, dark and read noise; the beam profile."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ValidationError
from sim.illumination import Illumination
from sim.xray_detector import XrayDetector

RNG = np.random.default_rng


@settings(max_examples=15, deadline=None)
@given(qe=st.floats(0.1, 1.0), photons=st.floats(20.0, 500.0))
def test_without_blur_the_detected_photons_are_poisson_with_mean_qe_n(qe, photons):
    """Binomial selection of a Poisson process is Poisson: mean = variance = QE·N (5 % on 256² pixels: 4σ ≈ 1.6 %)."""
    frame = XrayDetector(quantum_efficiency=qe).record(np.full((256, 256), photons), exposure_s=1.0, rng=RNG(1))
    assert frame.mean() == pytest.approx(qe * photons, rel=0.02)
    assert frame.var() == pytest.approx(qe * photons, rel=0.05)


def test_light_spread_keeps_the_mean_and_cuts_the_variance_by_the_kernels_power():
    """σ = 1.5 px: variance = QE·N·Σk² (Σk² = 1/(4πσ²) ≈ 0.035 for a wide Gaussian), noise correlated between neighbours."""
    detector = XrayDetector(quantum_efficiency=0.6, psf_px=1.5)
    frame = detector.record(np.full((512, 512), 400.0), exposure_s=1.0, rng=RNG(2)).astype(np.float64)
    assert frame.mean() == pytest.approx(240.0, rel=0.002)
    assert frame.var() == pytest.approx(detector.noise_variance(400.0, 1.0), rel=0.05)
    assert detector.noise_variance(400.0, 1.0) == pytest.approx(240.0 / (4 * np.pi * 1.5**2), rel=0.02)
    centred = frame - frame.mean()
    neighbour = np.mean(centred[:, 1:] * centred[:, :-1]) / frame.var()
    assert neighbour > 0.7  # exp(−1/(4σ²)) = 0.89 for a Gaussian blur of white noise


def test_dark_current_and_read_noise_add_their_closed_form_mean_and_variance():
    """No light: mean = dark·t/gain, variance = dark·t/gain² + (read/gain)² (2 % on 512²)."""
    detector = XrayDetector(dark_current_e_per_s=20.0, readout_noise_e=3.0, gain_e_per_photon=2.0)
    frame = detector.record(np.zeros((512, 512)), exposure_s=2.0, rng=RNG(3)).astype(np.float64)
    assert frame.mean() == pytest.approx(detector.dark_signal(2.0), rel=0.01) and detector.dark_signal(2.0) == 20.0
    assert frame.var() == pytest.approx(40.0 / 4 + 9.0 / 4, rel=0.03)
    assert frame.var() == pytest.approx(detector.noise_variance(0.0, 2.0), rel=0.03)


def test_same_generator_state_gives_the_same_frame():
    detector = XrayDetector(quantum_efficiency=0.7, psf_px=1.0, dark_current_e_per_s=1.0, readout_noise_e=2.0)
    a = detector.record(np.full((32, 32), 50.0), exposure_s=1.0, rng=RNG(9))
    b = detector.record(np.full((32, 32), 50.0), exposure_s=1.0, rng=RNG(9))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("field, value", [("quantum_efficiency", 0.0), ("quantum_efficiency", 1.5), ("psf_px", -1.0),
                                          ("dark_current_e_per_s", -1.0), ("readout_noise_e", float("nan")),
                                          ("gain_e_per_photon", 0.0)])
def test_bad_detector_parameters_name_the_field(field, value):
    with pytest.raises(ValidationError, match=field):
        XrayDetector(**{field: value})


def test_flat_correction_is_exact_for_a_still_beam_and_leaves_the_moved_structure_otherwise():
    """Flats at t = 0, a view at t = 1: the residual after flat correction is the relative change of the profile.

    A still beam divides out exactly; a 3 px drift of a 5 % profile with
    8 px correlation leaves a residual of rms ≈ 5 %·sqrt(2(1 − exp(−d²/(4ℓ²)))) ≈ 2.6 %.
    """
    shape = (128, 128)
    for drift, expected_rms in ((0.0, 0.0), (3.0, 0.05 * np.sqrt(2 * (1 - np.exp(-9 / (4 * 64))))), ):
        beam = Illumination(non_uniformity=0.05, correlation_px=8.0, drift_px=drift)
        profile = beam.profile(shape, RNG(4))
        flat, view = beam.at(profile, [0.0, 1.0])
        residual = view / flat - 1.0
        assert residual.std() == pytest.approx(expected_rms, abs=0.004)


def test_decay_scales_the_beam_linearly_with_time():
    beam = Illumination(decay=0.1)
    frames = beam.at(np.ones((4, 4)), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(frames[:, 0, 0], [1.0, 0.95, 0.9])


@pytest.mark.parametrize("field, value", [("non_uniformity", -0.1), ("correlation_px", 0.0), ("decay", 1.0)])
def test_bad_beam_parameters_name_the_field(field, value):
    with pytest.raises(ValidationError, match=field):
        Illumination(**{field: value})
