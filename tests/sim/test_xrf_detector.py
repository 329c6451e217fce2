"""The silicon-drift XRF detector against closed forms, independent tables and counting statistics."""

import math

import numpy as np
import pytest
import xraylib
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from sim.errors import ValidationError
from sim.fluorescence import detector_fwhm_ev
from sim.xrf_detector import SI_KA_KEV, XrfDetector

EDGES = np.arange(0.5, 16.0, 0.005)
CENTRES = 0.5 * (EDGES[1:] + EDGES[:-1])


@settings(max_examples=25, deadline=None)
@given(area=st.floats(0.1, 500.0), distance=st.floats(0.5, 100.0))
def test_solid_angle_is_the_integral_over_the_disc(area, distance):
    """Ω = ∫ cos χ / s² dA over the disc = 2π ∫₀^r d·ρ/(ρ² + d²)^{3/2} dρ (quadrature to 1e-10);
    and α = atan(r/d). Both exact, so rtol 1e-8."""
    detector = XrfDetector(area_mm2=area, distance_mm=distance)
    radius = math.sqrt(area / math.pi)
    omega = 2 * math.pi * integrate.quad(lambda rho: distance * rho / (rho**2 + distance**2) ** 1.5, 0, radius,
                                         epsabs=0, epsrel=1e-11)[0]
    assert detector.solid_angle_sr == pytest.approx(omega, rel=1e-8)
    assert math.tan(math.radians(detector.cone_half_angle_deg)) == pytest.approx(radius / distance, rel=1e-12)


def test_solid_angle_of_a_far_detector_is_area_over_distance_squared():
    """d ≫ r: Ω → A/d² (1 − 3r²/(4d²)); at A = 50 mm², d = 2 m the correction is 3e-6, so rtol 1e-5."""
    assert XrfDetector(distance_mm=2000.0).solid_angle_sr == pytest.approx(50.0 / 2000.0**2, rel=1e-5)


def test_efficiency_against_nist_attenuation_coefficients():
    """ε(2 keV) by hand from the NIST tables (Hubbell & Seltzer, NISTIR 5632): μ/ρ(Be) = 74.66 cm²/g,
    μ/ρ(Si) = 2777 cm²/g; 8 µm Be × 1.848 g/cm³, 0.1 µm Si dead layer, 450 µm Si absorbs everything
    (optical depth ≈ 290). ε = exp(−0.1104)·exp(−0.0647) = 0.8394. The tables quote 4 digits, so rtol 1e-3."""
    expected = math.exp(-74.66 * 1.848 * 8e-4) * math.exp(-2777 * 2.33 * 0.1e-4)
    assert float(XrfDetector().efficiency(2.0)) == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("energy_kev", [1.2, 3.0, 6.4, 15.0, 25.0])
def test_efficiency_against_xraydb_closed_form(energy_kev):
    """The same closed form with xraydb's Elam tables (Elam, Ravel & Sieber, Rad. Phys. Chem. 63, 121
    (2002)): an independent implementation; xraylib 4.3 carries the same photoabsorption and total
    attenuation values, so they agree to rounding (rtol 1e-6)."""
    import xraydb

    e_ev = energy_kev * 1e3
    detector = XrfDetector(be_window_um=12.5, dead_layer_um=0.05, sensor_um=350.0)
    window = math.exp(-xraydb.mu_elam("Be", e_ev, kind="total") * 1.848 * 12.5e-4)
    dead = math.exp(-xraydb.mu_elam("Si", e_ev, kind="total") * 2.33 * 0.05e-4)
    sensor = 1 - math.exp(-xraydb.mu_elam("Si", e_ev, kind="photo") * 2.33 * 350e-4)
    assert float(detector.efficiency(energy_kev)) == pytest.approx(window * dead * sensor, rel=1e-6)


def test_efficiency_limits():
    """No window, no dead layer: ε → 1 − exp(−τ t) → 1 for a thick sensor at low energy; a thicker
    sensor gains at high energy, a thicker window loses at low energy."""
    bare = XrfDetector(be_window_um=0.0, dead_layer_um=0.0, sensor_um=5000.0)
    assert float(bare.efficiency(3.0)) == pytest.approx(1.0, abs=1e-12)
    assert float(XrfDetector(sensor_um=1000.0).efficiency(20.0)) > float(XrfDetector().efficiency(20.0))
    assert float(XrfDetector(be_window_um=25.0).efficiency(1.5)) < float(XrfDetector().efficiency(1.5))


@pytest.mark.parametrize("energy_kev", [1.9, 2.5, 4.5, 6.4, 9.0])
def test_escape_fraction_is_the_depth_and_direction_integral(energy_kev):
    """Reed & Ware's closed form equals the integral it comes from: photons absorbed at depth x
    (density μ_E e^{−μ_E x}), a K vacancy with probability 1 − 1/J, Si Kα emitted with ω_K
    isotropically, escaping backwards through the entrance face with probability
    ½ ∫₀¹ exp(−μ_K x / c) dc. Numerical double integral to 1e-10: rtol 1e-6."""
    detector = XrfDetector()
    mu_e = xraylib.CS_Total(14, energy_kev)
    mu_k = xraylib.CS_Total(14, SI_KA_KEV)
    omega, jump = xraylib.FluorYield(14, xraylib.K_SHELL), xraylib.JumpFactor(14, xraylib.K_SHELL)
    escape = integrate.dblquad(lambda c, x: mu_e * math.exp(-mu_e * x) * 0.5 * math.exp(-mu_k * x / c),
                               0, 50 / mu_e, 0, 1, epsabs=1e-12, epsrel=1e-10)[0]
    expected = omega * (1 - 1 / jump) * escape
    assert float(detector.escape_fraction(energy_kev)) == pytest.approx(expected, rel=1e-6)


def test_escape_fraction_edge_behaviour():
    """Zero at and below the Si K edge (1.839 keV); largest just above it, where the photons are
    absorbed closest to the entrance face (≈ 1.7 %), then falling with energy as they are absorbed
    deeper (0.3 % at Fe Kα). Bounds are loose: they check the shape, the value is pinned above."""
    detector = XrfDetector()
    energies = np.array([1.0, 1.8389, 1.85, 2.5, 6.4, 15.0])
    fractions = detector.escape_fraction(energies)
    assert fractions[0] == 0.0 and fractions[1] == 0.0
    assert np.all(np.diff(fractions[2:]) < 0)
    assert 0.012 < fractions[2] < 0.025
    assert 0.002 < fractions[4] < 0.005


def test_escape_peak_position_and_area_in_the_spectrum():
    """A 6.4 keV line: the escape peak sits at 6.4 − 1.740 = 4.660 keV (centroid within 0.5 eV, the
    Gaussian is integrated exactly over 5 eV bins) and holds the escape fraction of the detected
    counts (rtol 1e-6: the window 4.2–5.1 keV holds the whole peak, FWHM 112 eV)."""
    detector = XrfDetector()
    counts = np.array(1.0e5)
    mean = detector.spectrum({"Fe Ka": counts}, {"Fe Ka": 6.4}, EDGES, live_time_s=1e6)
    window = (CENTRES > 4.2) & (CENTRES < 5.1)
    area = mean[window].sum()
    centroid = np.sum(mean[window] * CENTRES[window]) / area
    assert centroid == pytest.approx(6.4 - 1.7398, abs=5e-4)
    detected = 1.0e5 * float(detector.efficiency(6.4))
    assert area == pytest.approx(detected * float(detector.escape_fraction(6.4)), rel=1e-6)


def test_pileup_scales_with_rate_squared_and_conserves_energy():
    """Sum peaks ∝ τ R_i R_j T: doubling the counts at a fixed live time multiplies every sum peak by 4
    (exact, rtol 1e-12). The parents lose exactly the photons the sum peaks carry, so the deposited
    energy Σ N·E is conserved (rtol 1e-12), and the sum peaks sit at E_i + E_j."""
    detector = XrfDetector(pulse_pair_time_s=1e-6)
    energies = {"Fe Ka": 6.40, "Cu Ka": 8.04, "Zn Ka": 8.63, "Mn Ka": 5.90}
    counts = {"Fe Ka": np.array([2e4, 1e3]), "Cu Ka": np.array([1e4, 5e3]), "Zn Ka": np.array([3e3, 2e3]),
              "Mn Ka": np.array([50.0, 10.0])}
    one, peak_energy = detector.peaks(counts, energies, live_time_s=1.0)
    two, _ = detector.peaks({k: 2 * v for k, v in counts.items()}, energies, live_time_s=1.0)
    sums = [name for name in one if "+" in name]
    assert sorted(sums) == sorted(["Fe Ka + Fe Ka", "Fe Ka + Cu Ka", "Fe Ka + Zn Ka", "Cu Ka + Cu Ka",
                                   "Cu Ka + Zn Ka", "Zn Ka + Zn Ka"])  # the 3 strongest lines, all pairs
    for name in sums:
        np.testing.assert_allclose(two[name], 4 * one[name], rtol=1e-12)
    assert peak_energy["Fe Ka + Cu Ka"] == pytest.approx(14.44)
    detected = detector.detected_counts(counts, energies)
    deposited_in = sum(detected[name] * energies[name] for name in counts)
    deposited_out = sum(one[name] * peak_energy[name] for name in one if "escape" not in name) + sum(
        one[name] * (peak_energy[name] + SI_KA_KEV) for name in one if "escape" in name)
    np.testing.assert_allclose(deposited_out, deposited_in, rtol=1e-12)
    # Fe Kα + Fe Kα pairs: τ R² T = 1e-6 × (2e4 ε)² / 1 s
    rate = 2e4 * float(detector.efficiency(6.4))
    assert float(one["Fe Ka + Fe Ka"][0]) == pytest.approx(1e-6 * rate**2, rel=1e-12)
    off, _ = detector.peaks(counts, energies, live_time_s=1.0, pileup_lines=0)
    assert not any("+" in name for name in off)


def test_sum_peak_shows_in_the_spectrum_at_the_sum_energy():
    """The Fe Kα + Fe Kα sum peak at 12.80 keV: its window holds τR²T counts (rtol 1e-6; FWHM there
    ≈ 172 eV, the window ±0.4 keV holds the whole Gaussian), with the resolution at 12.8 keV."""
    detector = XrfDetector()
    mean = detector.spectrum({"Fe Ka": np.array(5e4)}, {"Fe Ka": 6.4}, EDGES, live_time_s=0.1)
    rate = 5e4 * float(detector.efficiency(6.4)) / 0.1
    window = np.abs(CENTRES - 12.8) < 0.4
    assert mean[window].sum() == pytest.approx(detector.pulse_pair_time_s * rate**2 * 0.1, rel=1e-6)
    sigma_ev = math.sqrt(np.sum(mean[window] * (CENTRES[window] - 12.8) ** 2) / mean[window].sum()) * 1e3
    assert sigma_ev * 2 * math.sqrt(2 * math.log(2)) == pytest.approx(float(detector_fwhm_ev(12.8)), rel=0.01)


def test_counts_are_poisson_and_seeded():
    """10⁴ points with the same mean spectrum: per-bin mean ≈ variance (within 5 % at the peak, the
    sampling error of a variance over 10⁴ draws is 1.4 %); same seed bit-identical, another seed differs."""
    detector = XrfDetector()
    edges = np.linspace(5.5, 7.5, 41)
    counts = np.full(10_000, 400.0)
    mean = detector.spectrum({"Fe Ka": counts}, {"Fe Ka": 6.4}, edges, live_time_s=0.05, background_per_kev=50.0)
    draws = detector.spectrum({"Fe Ka": counts}, {"Fe Ka": 6.4}, edges, live_time_s=0.05, background_per_kev=50.0,
                              seed=5)
    top = int(np.argmax(mean[0]))
    assert draws[:, top].mean() == pytest.approx(mean[0, top], rel=0.01)
    assert draws[:, top].var() == pytest.approx(draws[:, top].mean(), rel=0.05)
    again = detector.spectrum({"Fe Ka": counts}, {"Fe Ka": 6.4}, edges, live_time_s=0.05, background_per_kev=50.0,
                              seed=np.random.default_rng(5))
    assert np.array_equal(draws, again)
    other = detector.spectrum({"Fe Ka": counts}, {"Fe Ka": 6.4}, edges, live_time_s=0.05, background_per_kev=50.0,
                              seed=6)
    assert not np.array_equal(draws, other)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (dict(area_mm2=-50.0), "area_mm2"),
        (dict(area_mm2=0.0), "area_mm2"),
        (dict(distance_mm=-20.0), "distance_mm"),
        (dict(distance_mm=float("nan")), "distance_mm"),
        (dict(be_window_um=-1.0), "be_window_um"),
        (dict(dead_layer_um=-0.1), "dead_layer_um"),
        (dict(sensor_um=0.0), "sensor_um"),
        (dict(pulse_pair_time_s=-1e-7), "pulse_pair_time_s"),
        (dict(fwhm_at_mn_ka_ev=90.0), "fwhm_at_mn_ka_ev"),
    ],
)
def test_bad_configuration_names_the_field(change, field):
    with pytest.raises(ValidationError, match=field):
        XrfDetector(**change)


def test_detector_inside_the_sample_is_refused():
    """A 20 mm distance clears a 5 µm particle; 4 µm from the axis of a 10 µm-radius sample does not."""
    assert XrfDetector().require_outside(5000.0).distance_mm == 20.0
    with pytest.raises(ValidationError, match="distance_mm.*sample radius"):
        XrfDetector(distance_mm=0.004).require_outside(10_000.0)
    with pytest.raises(ValidationError, match="sample_radius_nm"):
        XrfDetector().require_outside(-1.0)


def test_bad_spectrum_input_names_the_field():
    detector = XrfDetector()
    one = {"Fe Ka": np.array([10.0])}
    with pytest.raises(ValidationError, match="live_time_s"):
        detector.spectrum(one, {"Fe Ka": 6.4}, EDGES, live_time_s=0.0)
    with pytest.raises(ValidationError, match="pileup_lines"):
        detector.spectrum(one, {"Fe Ka": 6.4}, EDGES, live_time_s=1.0, pileup_lines=-1)
    with pytest.raises(ValidationError, match="line_energies_kev"):
        detector.spectrum(one, {}, EDGES, live_time_s=1.0)
    with pytest.raises(ValidationError, match=r"line_counts\[Fe Ka\]"):
        detector.spectrum({"Fe Ka": np.array([-1.0])}, {"Fe Ka": 6.4}, EDGES, live_time_s=1.0)
    with pytest.raises(ValidationError, match="energy_kev"):
        detector.efficiency([6.4, -1.0])
    with pytest.raises(ValidationError, match="line_counts"):  # R·τ ≈ 3: outside the first-order pile-up model
        detector.spectrum({"Fe Ka": np.array([1e7])}, {"Fe Ka": 6.4}, EDGES, live_time_s=1.0)
