"""Multislice: unitarity, closed forms of a phase grating, the semigroup of propagation, and abTEM."""

import numpy as np
import pytest
import scipy.special

from sim.electron_optics import interaction_constant, wavelength_nm
from sim.errors import ValidationError
from sim.multislice import antialias_aperture, fresnel_propagator, multislice

VOLTAGE_KV = 200.0


def band_limited_wave(shape, fraction, seed):
    """A random complex wave whose spectrum is zero beyond ``fraction`` of the Nyquist frequency."""
    rng = np.random.default_rng(seed)
    spectrum = rng.normal(size=shape) + 1j * rng.normal(size=shape)
    k_rows = np.fft.fftfreq(shape[0])[:, None] * 2
    k_cols = np.fft.fftfreq(shape[1])[None, :] * 2
    spectrum[np.hypot(k_rows, k_cols) >= fraction] = 0
    wave = np.fft.ifft2(spectrum)
    return (wave / np.abs(wave).mean()).astype(np.complex64)


def test_vacuum_propagation_is_unitary():
    """Σ|ψ|² is conserved through 20 vacuum slices (1e-5 relative: float32 FFTs, ~1e-7 each, 80 of them).

    The wave is band-limited inside the aperture's flat part (0.6 k_N < (⅔ − 0.02) k_N), where |P| = 1.
    """
    incident = band_limited_wave((48, 64), 0.6, seed=1)
    vacuum = np.zeros((20, 48, 64))
    exit_wave = multislice(vacuum, pixel_nm=0.1, slice_nm=5.0, voltage_kv=VOLTAGE_KV, incident=incident)
    before = np.sum(np.abs(incident.astype(np.complex128)) ** 2)
    after = np.sum(np.abs(exit_wave.astype(np.complex128)) ** 2)
    assert abs(after / before - 1) < 1e-5
    assert np.abs(exit_wave - incident).max() > 0.1  # it did propagate


def test_n_vacuum_slices_equal_one_propagation_over_n_dz():
    """P(Δz)ⁿ = P(nΔz) on the band: 8 slices of 2.5 nm = one of 20 nm (1e-5: float32 rounding of 32 FFTs)."""
    incident = band_limited_wave((64, 64), 0.6, seed=2)
    kwargs = dict(pixel_nm=0.1, voltage_kv=VOLTAGE_KV, incident=incident)
    stepped = multislice(np.zeros((8, 64, 64)), slice_nm=2.5, **kwargs)
    direct = multislice(np.zeros((1, 64, 64)), slice_nm=20.0, **kwargs)
    assert np.abs(stepped - direct).max() < 1e-5


def test_thin_weak_slice_gives_phase_sigma_v():
    """A thin (1 pm) weak slice: exit phase = σ·V(x) [rad], V in V·nm.

    V is band-limited to ⅓ k_N so that exp(iσV) keeps its second order in the band;
    the third order, (σV)³/6 < 3e-6, and the Fresnel phase πλΔz k² < 2e-6 rad bound the
    deviation: tolerance 1e-5 rad against a phase of up to 0.03 rad.
    """
    rng = np.random.default_rng(3)
    spectrum = np.fft.fft2(rng.normal(size=(64, 64)))
    k = np.hypot(np.fft.fftfreq(64)[:, None], np.fft.fftfreq(64)[None, :]) * 2
    spectrum[k >= 1 / 3] = 0
    potential = np.real(np.fft.ifft2(spectrum))
    potential *= 4.0 / np.abs(potential).max()  # |V| <= 4 V·nm
    exit_wave = multislice(potential[None], pixel_nm=0.1, slice_nm=0.001, voltage_kv=VOLTAGE_KV)
    sigma = interaction_constant(VOLTAGE_KV)
    np.testing.assert_allclose(np.angle(exit_wave), sigma * potential, rtol=0, atol=1e-5)
    np.testing.assert_allclose(np.abs(exit_wave), 1.0, atol=1e-5)


def test_phase_grating_then_fresnel_propagation_matches_the_bessel_series():
    """One slice V = V₁ cos(2π q x), then Δz of free space (Cowley, *Diffraction Physics*, §11.1).

    exp(i a cos(2πqx)) = Σ iⁿ Jₙ(a) e^{2πinqx} (Jacobi–Anger) and each order propagates by
    exp(−iπλΔz (nq)²): the exact exit wave. a = σV₁ = 0.8 rad (strong phase), q = k_N/16 so orders
    up to 10 pass the ⅔ band limit (|J₁₁(0.8)| < 1e-14). Tolerance 2e-6: float32 rounding.
    """
    n, pixel, dz = 128, 0.05, 30.0
    sigma = interaction_constant(VOLTAGE_KV)
    v1 = 0.8 / sigma
    q = 1 / (16 * 2 * pixel)
    x = np.arange(n) * pixel
    potential = np.broadcast_to(v1 * np.cos(2 * np.pi * q * x)[None, :], (n, n))
    exit_wave = multislice(potential[None], pixel_nm=pixel, slice_nm=dz, voltage_kv=VOLTAGE_KV)
    orders = np.arange(-10, 11)[:, None]
    wavelength = wavelength_nm(VOLTAGE_KV)
    terms = (1j**orders) * scipy.special.jv(orders, 0.8) * np.exp(2j * np.pi * orders * q * x)
    expected = (terms * np.exp(-1j * np.pi * wavelength * dz * (orders * q) ** 2)).sum(0)
    assert np.abs(exit_wave - expected[None, :]).max() < 2e-6
    assert np.abs(expected - np.exp(0.8j * np.cos(2 * np.pi * q * x))).max() > 0.05  # propagation mattered


def test_uniform_absorption_attenuates_the_amplitude():
    """Transmission exp(iσV − a): a plane wave through slices of uniform a leaves with amplitude exp(−Σa)."""
    absorption = np.full((4, 32, 32), 0.05)
    potential = np.full((4, 32, 32), 10.0)
    exit_wave = multislice(potential, pixel_nm=0.2, slice_nm=2.0, voltage_kv=VOLTAGE_KV, absorption=absorption)
    np.testing.assert_allclose(np.abs(exit_wave), np.exp(-0.2), rtol=1e-6)
    np.testing.assert_allclose(np.angle(exit_wave), 4 * 10 * interaction_constant(VOLTAGE_KV), rtol=1e-5)


def test_propagator_has_the_fresnel_phase_and_the_band_limit():
    """P = exp(−iπλΔz k²)·A: phase at k = 0.25 k_N and cut to 0 beyond ⅔ k_N, at a given (λ, Δz)."""
    pixel, wavelength, dz = 0.1, 0.0025, 40.0
    p = fresnel_propagator((64, 64), pixel, wavelength, dz)
    k = 0.25 / (2 * pixel)  # column 8 of 64
    np.testing.assert_allclose(np.angle(p[0, 8]), -np.pi * wavelength * dz * k**2, rtol=1e-6)
    assert p.dtype == np.complex64 and abs(p[0, 8]) == pytest.approx(1.0, abs=1e-7)
    assert np.all(p[0, 22:43] == 0)  # |k| >= 22/32 k_N > ⅔ k_N


def test_antialias_aperture_matches_abtem():
    """The same aperture as abTEM's default (cutoff ⅔ k_N, cosine taper 0.01/sampling), non-square grid."""
    from abtem.antialias import antialias_aperture as abtem_aperture

    expected = abtem_aperture((96, 50), (0.5, 0.5), np)  # Å; only k / k_N matters
    np.testing.assert_allclose(antialias_aperture((96, 50)), expected, atol=1e-5)


@pytest.mark.parametrize("shape", [(64, 64), (64, 48)])
def test_exit_wave_matches_abtem(shape):
    """abTEM's PlaneWave.multislice of a PotentialArray of the same slices gives the same exit wave.

    Units at the boundary: V·nm → V·Å (×10), nm → Å (×10), kV → eV (×1000). abTEM's array is
    (n_slices, nx, ny) with the projected potential per slice; our (rows, cols) map to its
    (x, y) as they are (the propagator and band limit depend on |k| only; the non-square grid
    pins the mapping). Both compute in complex64 with different FFT libraries (FFTW vs pocketfft):
    the measured difference is ~1.5e-6 for 10 slices; tolerance 1e-5 leaves margin for other
    FFT code paths, and is 100× below the wave's modulation (σV ~ 0.04 rad).
    """
    import abtem

    rng = np.random.default_rng(4)
    pixel_nm, slice_nm = 0.05, 0.5
    potential = rng.uniform(0, 5, (10, *shape)).astype(np.float32)
    ours = multislice(potential, pixel_nm=pixel_nm, slice_nm=slice_nm, voltage_kv=VOLTAGE_KV)
    array = abtem.PotentialArray(potential * 10, slice_thickness=slice_nm * 10, sampling=pixel_nm * 10)
    theirs = abtem.PlaneWave(energy=VOLTAGE_KV * 1e3).multislice(array).compute(progress_bar=False).array
    assert theirs.shape == shape
    assert np.abs(ours - theirs).max() < 1e-5
    assert np.abs(ours - 1).max() > 0.01  # not a trivial comparison


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(pixel_nm=0.0), "pixel_nm"),
        (dict(slice_nm=-1.0), "slice_nm"),
        (dict(voltage_kv=0.0), "voltage_kv"),
        (dict(absorption=np.zeros((2, 8, 9))), "absorption.shape"),
        (dict(absorption=-np.ones((2, 8, 8))), "absorption"),
        (dict(incident=np.ones((8, 9))), "incident.shape"),
        (dict(incident=np.full((8, 8), np.nan)), "incident"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    arguments = dict(pixel_nm=0.1, slice_nm=1.0, voltage_kv=VOLTAGE_KV) | kwargs
    with pytest.raises(ValidationError, match=field):
        multislice(np.zeros((2, 8, 8)), **arguments)


def test_potential_must_be_three_dimensional():
    with pytest.raises(ValidationError, match="projected_potential_v_nm.shape"):
        multislice(np.zeros((8, 8)), pixel_nm=0.1, slice_nm=1.0, voltage_kv=VOLTAGE_KV)


def test_result_does_not_depend_on_the_number_of_cores(monkeypatch):
    """Row blocks and FFT workers change with the core count; every value is computed the same way (bit-identical)."""
    import sim.multislice

    rng = np.random.default_rng(5)
    potential = rng.uniform(0, 5, (4, 40, 36))
    absorption = rng.uniform(0, 0.01, (4, 40, 36))
    kwargs = dict(pixel_nm=0.1, slice_nm=1.0, voltage_kv=VOLTAGE_KV, absorption=absorption)
    monkeypatch.setattr(sim.multislice.os, "cpu_count", lambda: 1)
    one = multislice(potential, **kwargs)
    monkeypatch.setattr(sim.multislice.os, "cpu_count", lambda: 8)
    eight = multislice(potential, **kwargs)
    np.testing.assert_array_equal(one, eight)
