"""In-situ TXM: each view sees the sample at its own time; a slow scan blurs a moving front."""

import numpy as np
import pytest

import recon
import sim
from instruments.insitu import (
    DEFAULT_TIME_PER_VIEW_S,
    acquire_evolving,
    ground_truth_at,
    measure_front,
    plot_radial_profiles,
    radial_profile,
    view_duration_s,
    view_times_s,
)
from instruments.txm import TXM
from phantoms.evolving import FEPO4, LIFEPO4, growing_whiskers, lithiation_front
from sim.errors import ValidationError
from sim.illumination import Illumination
from sim.scan_time import ScanTiming

SPEED = 5.0  # nm/s
FRONT = lithiation_front(diameter_nm=800.0, front_speed_nm_per_s=SPEED, voxel_nm=25.0)  # 36³ voxels
MID_S = 30.0  # every scan below is centred here: r(30 s) = 400 − 5·30 = 250 nm
CORE, SHELL = FEPO4.mu_per_nm(8.0), LIFEPO4.mu_per_nm(8.0)
# 1e7 photons/pixel: counting noise in −log T ~3e-4, below the front's contrast
# through the particle (Δμ·2r ≈ 3.2e-6/nm · 500 nm = 1.6e-3), so the scan's
# timing, not the dose, sets what is measured.
BRIGHT = TXM(energy_kev=8.0, photons_per_pixel=1e7)


def _scan(n_views, time_per_view_s, seed=3):
    """One tomogram over [0°, 180°) centred on MID_S, reconstructed with 50 SIRT iterations."""
    angles = np.arange(n_views) * 180.0 / n_views
    duration = n_views * time_per_view_s
    (series,) = acquire_evolving(BRIGHT, FRONT, angles, seed=seed, start_s=MID_S - duration / 2,
                                   time_per_view_s=time_per_view_s, progress=False)
    volume = recon.get("sirt")(series.to_line_integrals(), n_iter=50, progress=False)
    return series, volume, measure_front(volume, core_value=CORE, shell_value=SHELL, max_radius_nm=325.0)


@pytest.fixture(scope="module")
def scans():
    """40 views in 2 s (v·T = 10 nm), 40 views in 40 s (v·T = 200 nm), 13 views in 13 s (v·T = 65 nm)."""
    return {"fast": _scan(40, 0.05), "slow": _scan(40, 1.0), "sparse": _scan(13, 1.0)}


def _vacuum_rms(volume):
    """RMS of the reconstruction outside the particle (r > 450 nm), in units of the front's contrast."""
    r = np.linalg.norm(np.indices(volume.shape) - (np.array(volume.shape)[:, None, None, None] - 1) / 2, axis=0)
    return float(np.sqrt(np.mean(volume.data[r * volume.voxel_nm > 450.0] ** 2)) / (CORE - SHELL))


def _profile_error(volume, truth):
    """RMS difference of the radial profiles inside 325 nm, in units of the front's contrast."""
    radii, profile = radial_profile(volume)
    _, expected = radial_profile(truth)
    inside = radii < 325.0
    return float(np.sqrt(np.mean((profile - expected)[inside] ** 2)) / (CORE - SHELL))


def test_a_scan_slower_than_the_front_blurs_it(scans):
    """The front's width grows as the scan's duration times its speed; its mid-point stays r(t_mid).

    Measured (seed 3, 50 SIRT iterations): fast scan (v·T = 10 nm) width 41 nm
    = the reconstruction's own blur W₀ (the truth itself measures 33 nm: the
    25 nm voxels and bins); slow scan (v·T = 200 nm) width 205 nm, against
    √(W₀² + (v·T)²) = 204 nm: within 15 %. Radii 247.6 and 242.4 nm against
    r(30 s) = 250 nm: within 10 nm (0.4 voxel). The error of the spherically
    averaged profile against the mid-time truth rises from 0.15 to 0.24 of the
    front's contrast (per voxel, noise dominates both: 0.41 and 0.53).
    """
    _, _, fast = scans["fast"]
    series, volume, slow = scans["slow"]
    assert fast.width_nm < 2 * 25.0
    expected = np.hypot(fast.width_nm, SPEED * 40.0)
    assert slow.width_nm == pytest.approx(expected, rel=0.15)
    assert slow.width_nm > 3 * fast.width_nm
    for m in (fast, slow):
        assert m.radius_nm == pytest.approx(250.0, abs=10.0)
    errors = [_profile_error(scans[k][1], series.ground_truth) for k in ("fast", "slow")]
    assert errors[1] > 1.4 * errors[0]


def test_fewer_views_are_sharper_in_time_but_streakier(scans):
    """At 1 s per view, 13 views (13 s) blur the front less than 40 views (40 s) but streak more.

    Measured: width 69 nm (13 views; √(41² + 65²) = 77 nm) against 205 nm (40
    views); the RMS outside the particle (streaks from undersampling) is 0.31
    of the front's contrast with 13 views against 0.14 with 40 views scanned fast.
    """
    _, sparse_volume, sparse = scans["sparse"]
    _, _, slow = scans["slow"]
    _, fast_volume, fast = scans["fast"]
    assert sparse.width_nm < 0.5 * slow.width_nm
    assert sparse.width_nm == pytest.approx(np.hypot(fast.width_nm, SPEED * 13.0), rel=0.2)
    assert _vacuum_rms(sparse_volume) > 1.5 * _vacuum_rms(fast_volume)


def test_measure_front_on_the_truth():
    """The truth's front: radius r(t) within 0.3 voxel at several times, width ~1.3 voxels (its voxelisation)."""
    for time_s in (20.0, 30.0, 45.0):
        m = measure_front(ground_truth_at(BRIGHT, FRONT, time_s), core_value=CORE, shell_value=SHELL, max_radius_nm=325.0)
        assert m.radius_nm == pytest.approx(400.0 - SPEED * time_s, abs=0.3 * 25.0)
        assert m.width_nm < 1.5 * 25.0


def test_each_view_sees_the_sample_at_its_own_time():
    """View j's line integrals are those of the phantom at the middle of its exposure.

    1e12 photons/pixel: −log T noise ~1e-6 per pixel (10 flats), so 2e-5 is
    > 10σ; the front moves 50 nm per view, changing the projections by up to
    ~1e-4, so a view does not match the truth of another time.
    """
    txm = TXM(energy_kev=8.0, photons_per_pixel=1e12)
    angles = [0.0, 45.0, 90.0, 135.0]
    (series,) = acquire_evolving(txm, FRONT, angles, seed=0, start_s=20.0, time_per_view_s=10.0, progress=False)
    assert series.views["time_s"].tolist() == [25.0, 35.0, 45.0, 55.0]
    assert np.array_equal(series.views["time_s"], series.views["sample_time_s"])
    data = series.to_line_integrals().data
    for j, (angle, time_s) in enumerate(zip(angles, series.views["time_s"])):
        own = sim.project(ground_truth_at(txm, FRONT, time_s), [angle])[0]
        other = sim.project(ground_truth_at(txm, FRONT, time_s + 10.0), [angle])[0]
        assert np.max(np.abs(data[j] - own)) < 2e-5
        assert np.max(np.abs(data[j] - other)) > 5e-5
    assert series.provenance["insitu"]["mid_time_s"] == 40.0
    assert series.phantom.params["time_s"] == 40.0
    assert np.array_equal(series.ground_truth.data, ground_truth_at(txm, FRONT, 40.0).data)


def test_one_time_bin_is_the_static_acquisition():
    """A time bin as long as the scan is exactly TXM.acquire of the sample at mid-scan (same seed)."""
    angles = np.arange(6) * 30.0
    (series,) = acquire_evolving(BRIGHT, FRONT, angles, seed=11, start_s=4.0, time_per_view_s=2.0, time_bin_s=12.0,
                                   progress=False)
    static = BRIGHT.acquire(FRONT.at(10.0), angles, seed=11)
    assert np.array_equal(series.data, static.data) and np.array_equal(series.flat, static.flat)
    assert series.provenance["insitu"]["n_simulated_states"] == 1
    assert np.all(series.views["sample_time_s"] == 10.0)


def test_time_bins_keep_each_view_within_half_a_bin():
    (series,) = acquire_evolving(BRIGHT, FRONT, np.arange(12) * 15.0, seed=1, time_per_view_s=1.0, time_bin_s=3.0,
                                   progress=False)
    assert series.provenance["insitu"]["n_simulated_states"] == 4
    offset = np.abs(series.views["sample_time_s"] - series.views["time_s"])
    assert offset.max() <= 1.5 and np.unique(series.views["sample_time_s"]).size == 4


def test_tomograms_back_to_back_and_seeded():
    """A 4-D sequence: tomogram k starts where k − 1 ended; the same seed gives the same data."""
    whiskers = growing_whiskers(particle_diameter_nm=200.0, n_whiskers=3, whisker_diameter_nm=20.0,
                                max_length_nm=100.0, duration_s=12.0, voxel_nm=10.0, seed=2)
    kwargs = dict(seed=4, start_s=1.0, time_per_view_s=1.0, n_tomograms=3, progress=False)
    first = acquire_evolving(BRIGHT, whiskers, [0.0, 60.0, 120.0, 170.0], **kwargs)
    again = acquire_evolving(BRIGHT, whiskers, [0.0, 60.0, 120.0, 170.0], **kwargs)
    assert [s.views["time_s"][0] for s in first] == [1.5, 5.5, 9.5]
    assert [s.provenance["insitu"]["mid_time_s"] for s in first] == [3.0, 7.0, 11.0]
    assert all(np.array_equal(a.data, b.data) for a, b in zip(first, again))
    silver = [float(s.phantom.fraction("Ag").sum()) for s in first]
    assert silver[0] < silver[1] < silver[2]
    assert np.allclose(view_times_s(4, time_per_view_s=1.0, start_s=1.0, n_tomograms=3),
                       np.stack([s.views["time_s"] for s in first]))


def test_time_per_view_comes_from_the_txm_timing():
    """A fly scan takes max(exposure, readout) per view; a step scan adds readout, rotation and settling."""
    fly = TXM(timing=ScanTiming(exposure_s=0.05, readout_s=0.01, mode="fly"))
    step = TXM(timing=ScanTiming(exposure_s=1.0, readout_s=0.05, mode="step", rotation_speed_deg_per_s=20.0, settle_s=0.2))
    angles = np.arange(0.0, 181.0, 1.0)
    assert view_duration_s(fly, angles) == pytest.approx(0.05)
    assert view_duration_s(step, angles) == pytest.approx(1.05 + 1.0 / 20.0 + 0.2)
    assert view_duration_s(object(), angles) == DEFAULT_TIME_PER_VIEW_S
    (series,) = acquire_evolving(fly, FRONT, [0.0, 90.0], seed=0, progress=False)
    assert series.views["time_s"].tolist() == pytest.approx([0.025, 0.075])


def test_radial_profile_of_a_uniform_ball():
    truth = ground_truth_at(BRIGHT, FRONT, 80.0)  # fully lithiated: uniform LiFePO4
    radii, profile = radial_profile(truth)
    assert np.allclose(profile[radii < 350.0], SHELL, rtol=1e-6)
    assert np.all(profile[radii > 450.0] == 0.0)


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda: acquire_evolving(BRIGHT, FRONT, [0.0], seed=0, time_per_view_s=0.0), "time_per_view_s"),
        (lambda: acquire_evolving(BRIGHT, FRONT, [0.0], seed=0, start_s=-1.0), "start_s"),
        (lambda: acquire_evolving(BRIGHT, FRONT, [0.0], seed=0, n_tomograms=0), "n_tomograms"),
        (lambda: acquire_evolving(BRIGHT, FRONT, [0.0], seed=0, time_bin_s=-1.0), "time_bin_s"),
        (lambda: acquire_evolving(BRIGHT, FRONT, [0.0], seed=-2), "seed"),
        (lambda: acquire_evolving(BRIGHT, FRONT.at(0.0), [0.0], seed=0), "evolving_phantom"),
        (lambda: measure_front(FRONT.at(0.0).mu_per_nm(8.0), core_value=1.0, shell_value=1.0, max_radius_nm=100.0),
         "core_value"),
        (lambda: measure_front(FRONT.at(0.0).mu_per_nm(8.0), core_value=2.0, shell_value=1.0, max_radius_nm=1e5),
         "max_radius_nm"),
        (lambda: radial_profile(FRONT.at(0.0).mu_per_nm(8.0), center_nm=(0.0, 1.0)), "center_nm"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(ValidationError, match=field):
        call()


def test_a_drifting_beam_is_one_scan_across_the_groups_of_views():
    """A 5 % beam profile, views recorded one by one (the exact in-situ mode): with a still beam the flat-corrected
    edge columns read the same in every view; drifting 4 px over the scan, their residual grows view after view
    (measured 0.008 → 0.055 against a flat 0.0023), as in one continuous TXM scan; were each view a scan of its
    own, every view would read like the first."""
    sample = lithiation_front(diameter_nm=400.0, front_speed_nm_per_s=1e-6, initial_front_radius_nm=100.0,
                              voxel_nm=40.0)
    residual = {}
    for drift in (0.0, 4.0):
        beam = Illumination(non_uniformity=0.05, correlation_px=3.0, drift_px=drift)
        series = acquire_evolving(TXM(photons_per_pixel=1e8, illumination=beam), sample, np.linspace(0, 180, 6),
                                  seed=1, time_per_view_s=1.0, progress=False)[0]
        line = series.to_line_integrals().data
        residual[drift] = line[:, :, :2].reshape(len(line), -1).std(axis=1)
    assert np.ptp(residual[0.0]) < 0.2 * residual[0.0].mean()
    assert np.all(np.diff(residual[4.0]) > 0) and residual[4.0][-1] > 5 * residual[4.0][0]


def test_the_front_profiles_can_be_looked_at(scans, tmp_path):
    """The figure beside the numbers: truth at mid-scan, fast and slow reconstructions, radial profiles."""
    series, fast, _ = scans["fast"]
    _, slow, _ = scans["slow"]
    path = plot_radial_profiles({"truth (mid-scan)": series.ground_truth, "fast scan (2 s)": fast,
                                 "slow scan (40 s)": slow}, tmp_path / "front.png", title="lithiation front")
    assert path.stat().st_size > 10_000
