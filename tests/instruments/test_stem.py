"""HAADF-STEM: Z-contrast, thickness saturation, depth of focus, counting statistics, files, reconstruction.

``QUIET`` is a stage without errors and without tracking, so the probe sits
where the projector puts the sample. "Noise-free" here means a dose so high
(1e9 e⁻/Å² and more) that the relative counting noise is at most 2e-4 per
pixel (0.5 nm of Fe), far below every tolerance.
"""

import numpy as np
import pytest
from scipy import stats
from scipy.constants import e as ELEMENTARY_CHARGE_C

import instruments
import phantoms
import instruments.stem as stem_module
import recon
from instruments.stem import STEM
from phantoms.library import material
from phantoms.material import Material
from phantoms.painter import Painter
from phantoms.phantom import Phantom
from phantoms.shapes import Sphere
from sim.errors import ValidationError
from sim.io import load_series, save_series
from sim.projector import project
from sim.scheme import TiltScheme
from sim.stage import Stage

QUIET = Stage(height_error_nm=0.0, axis_offset_nm=0.0, axis_elevation_deg=0.0, runout_nm=0.0, hysteresis_nm=0.0,
              jitter_nm=0.0, drift_nm_per_s=0.0)
FE = Material("Fe", "Fe", 7.874)


def _stem(**params):
    return instruments.preset("stem-200kv-haadf", **{"stage": QUIET, "tracking": "none", **params})


def _blocks(thickness_vox, voxel_nm=0.5):
    """Pt (x < 0) and Fe (x > 0) blocks of equal thickness along the beam, 11 nm wide, 3 nm apart."""
    fractions = np.zeros((2, 32, 16, 64), np.float32)
    depth = slice(8 - thickness_vox // 2, 8 - thickness_vox // 2 + thickness_vox)
    fractions[0, :, depth, 8:30] = 1.0
    fractions[1, :, depth, 34:56] = 1.0
    return Phantom(fractions, (material("Pt"), FE), voxel_nm=voxel_nm, name="pt-fe")


# --- 3. Z-contrast ---------------------------------------------------------------------------------------------------


def test_pt_to_fe_ratio_is_the_ratio_of_n_z_to_the_n():
    """Equal thickness of Pt and Fe: the HAADF ratio is (N_Pt·78ⁿ)/(N_Fe·26ⁿ) = 5.048 (n = 1.7), to 2 %.

    - 4 nm blocks: the line integrals (``to_line_integrals`` inverts
      1 − exp(−C·s) exactly) give 5.0477;
    - 0.5 nm blocks: C·s = 6.2e-3 for Pt, so 1 − exp(−C·s) is linear to 0.3 %
      and the raw counts give the ratio too (measured 5.036).
    The ratio is read 3 px (1.5 nm) inside each block's edges, beyond the
    probe's reach (in focus: 0.06 nm Airy FWHM and a 0.05 nm source).
    """
    stem = _stem(dose_total_e_per_a2=1e9)
    expected = material("Pt").z_contrast_per_nm3(1.7) / FE.z_contrast_per_nm3(1.7)
    assert expected == pytest.approx(5.048, abs=1e-3)
    pt, fe = (slice(4, -4), slice(12, 26)), (slice(4, -4), slice(38, 52))
    thick = stem.acquire(_blocks(8), [0.0], seed=1, progress=False).to_line_integrals().data[0]
    assert thick[pt].mean() / thick[fe].mean() == pytest.approx(expected, rel=0.02)
    thin = stem.acquire(_blocks(1), [0.0], seed=1, progress=False).data[0]
    assert stem.scale_nm2() * material("Pt").z_contrast_per_nm3(1.7) * 0.5 < 0.01
    assert thin[pt].mean() / thin[fe].mean() == pytest.approx(expected, rel=0.02)


# --- 4. thickness -----------------------------------------------------------------------------------------------------


def test_signal_is_linear_when_thin_and_saturates_when_thick():
    """Detected fraction of a uniform Pt film of thickness t: 1 − exp(−C·ζ·t), linear → sublinear, concave.

    Films of 1…256 nm (doubling). Thin: the fraction per nm at 1 and 2 nm
    agrees to 1 % (C·ζ·2 nm = 0.025). Thick: doubling the thickness never
    doubles the signal, the slope between successive films falls, and at
    256 nm the signal is 0.30 of the linear extrapolation from 1 nm
    ((1 − e^{−3.16})/3.16 = 0.303; measured 0.305 against the 1 nm film's own,
    already 0.6 % sublinear, signal per nm). Each value also equals the closed
    form to 0.1 %, with C and ζ from the instrument and the material (uniform
    field: the probe blur changes nothing).
    """
    stem = _stem(dose_total_e_per_a2=1e9)
    thicknesses = 2.0 ** np.arange(9)
    fractions = []
    for t in thicknesses:
        slab = np.zeros((1, 8, int(t) + 4, 8), np.float32)
        slab[0, :, 2 : 2 + int(t), :] = 1.0
        series = stem.acquire(Phantom(slab, (material("Pt"),), voxel_nm=1.0), [0.0], seed=0, progress=False)
        fractions.append(series.data[0].mean() / series.views["incident_per_px"][0])
    fractions = np.array(fractions)
    per_nm = fractions / thicknesses
    assert per_nm[1] == pytest.approx(per_nm[0], rel=0.01)
    assert np.all(np.diff(fractions) > 0)
    assert np.all(fractions[1:] < 2 * fractions[:-1])
    slopes = np.diff(fractions) / np.diff(thicknesses)
    assert np.all(np.diff(slopes) < 0)
    x = stem.scale_nm2() * material("Pt").z_contrast_per_nm3(1.7) * thicknesses
    np.testing.assert_allclose(fractions, -np.expm1(-x), rtol=1e-3)
    assert fractions[-1] / (per_nm[0] * thicknesses[-1]) == pytest.approx(0.305, abs=0.01)


# --- 5. depth of focus ------------------------------------------------------------------------------------------------


def _second_moment_nm2(image, pixel_nm):
    """Mean of the variances along rows and columns of a non-negative image [nm²]."""
    weights = image / image.sum()
    spreads = []
    for axis in (0, 1):
        profile = weights.sum(axis=1 - axis)
        coords = np.arange(profile.size) * pixel_nm
        centre = (profile * coords).sum()
        spreads.append((profile * (coords - centre) ** 2).sum())
    return 0.5 * sum(spreads)


def test_particle_off_the_focal_plane_is_blurred_by_the_geometric_disc():
    """A 1 nm Au sphere 20 nm downstream: sharpest when focused there, blurred by a disc of radius α·|Δf − w|.

    Convolving with a uniform disc of radius R adds R²/4 to the variance along
    each axis, so the image's second moment grows by (α·|Δf − w|)²/4 over the
    in-focus one (α = 25 mrad, w = 20 nm; 0.5 nm slabs and pixels). Measured
    vs expected [nm²]: Δf = −20 → 0.263 vs 0.25, 80 → 0.573 vs 0.5625, −60 →
    1.010 vs 1.0. Required to 0.03 nm² (0.12 px²): the disc's transfer sampled
    on the pixel grid has a sharp edge whose ringing adds ~0.06 px² whatever R.
    The sign convention (positive defocus = underfocus, crossover downstream)
    puts the sharpest image at Δf = +w, not −w.
    """
    depth = 20.0
    painter = Painter((48, 100, 48), 0.5, [material("Au")])
    painter.paint(Sphere((0, depth, 0), 1.0), "Au")
    phantom = painter.phantom("au-dot")
    moments = {}
    for defocus in (depth, -depth, 80.0, -60.0):
        stem = _stem(dose_total_e_per_a2=1e9, defocus_nm=defocus, slab_nm=0.5)
        alpha = stem.convergence_mrad * 1e-3
        image = stem.acquire(phantom, [0.0], seed=1, progress=False).to_line_integrals().data[0].astype(np.float64)
        moments[defocus] = _second_moment_nm2(image, 0.5)
    assert min(moments, key=moments.get) == depth
    for defocus in (-depth, 80.0, -60.0):
        expected = (alpha * abs(defocus - depth)) ** 2 / 4
        assert moments[defocus] - moments[depth] == pytest.approx(expected, abs=0.03)


# --- 7. dose and counting statistics -----------------------------------------------------------------------------


def test_current_and_dwell_give_the_closed_form_dose_and_poisson_counts():
    """50 pA for 2 µs per 1 nm pixel: I·t/e = 624.2 e⁻ per pixel, 6.242 e⁻/Å² per view.

    The counts on a uniform Pt film (0.5 of the beam detected) are Poisson:
    their mean is fraction × I·t/e within 4 standard errors and the dispersion
    index Σ(x − x̄)²/x̄ lies inside the central 99.98 % of χ²(N − 1).
    """
    slab = np.zeros((1, 64, 60, 64), np.float32)
    slab[0, :, 2:58, :] = 1.0
    stem = _stem(dose_total_e_per_a2=None, probe_current_pa=50.0, dwell_time_us=2.0)
    series = stem.acquire(Phantom(slab, (material("Pt"),), voxel_nm=1.0), [-10.0, 0.0, 10.0], seed=5, progress=False)
    electrons = 50e-12 * 2e-6 / ELEMENTARY_CHARGE_C
    np.testing.assert_allclose(series.dose_per_view, electrons / 100.0, rtol=1e-12)
    np.testing.assert_allclose(series.views["incident_per_px"], electrons, rtol=1e-12)
    counts = series.data[1].astype(np.float64).ravel()
    fraction = -np.expm1(-stem.scale_nm2() * material("Pt").z_contrast_per_nm3(1.7) * 56.0)
    mean = fraction * electrons
    assert 0.4 < fraction < 0.6
    assert abs(counts.mean() - mean) < 4 * np.sqrt(mean / counts.size)
    dispersion = ((counts - counts.mean()) ** 2).sum() / counts.mean()
    low, high = stats.chi2.ppf([1e-4, 1 - 1e-4], counts.size - 1)
    assert low < dispersion < high


# --- 11. files and reconstruction ----------------------------------------------------------------------------------


def _particles():
    painter = Painter((16, 48, 48), 1.0, [material("Au"), material("Pt")])
    painter.paint(Sphere((0, -6, -10), 4.0), "Au")
    painter.paint(Sphere((0, 5, 9), 3.0), "Pt")
    painter.paint(Sphere((0, 0, 0), 2.5), "Au")
    return painter.phantom("particles")


@pytest.fixture(scope="module")
def particle_series():
    return _stem(dose_total_e_per_a2=1e9).acquire(_particles(), TiltScheme.range(-70, 70, step_deg=2), seed=3,
                                                   progress=False)


def test_in_focus_line_integrals_are_the_projections_of_zeta():
    """Noise-free, in focus (0.08 nm probe, 1 nm pixels): ``to_line_integrals`` gives the projector's ∫ζ.

    A STEM pixel is a scan position, so nothing but the probe blurs the image:
    to 1 % rms at 0° and 40° (measured 0.31 % and 0.09 %; what remains is the
    particles' ±6 nm depth, a 0.15 nm defocus disc). Integrating the probe
    over the pixel as well, as an area detector would, leaves 3.5 % and 3.0 %.
    """
    series = _stem(dose_total_e_per_a2=1e12).acquire(_particles(), [0.0, 40.0], seed=0, progress=False)
    measured = series.to_line_integrals().data.astype(np.float64)
    exact = project(series.ground_truth, series.angles_deg).astype(np.float64)
    for view, reference in zip(measured, exact):
        assert np.sqrt(np.mean((view - reference) ** 2)) < 0.01 * np.sqrt(np.mean(reference**2))


@pytest.mark.parametrize("suffix", [".h5", ".mrc"])
def test_series_round_trips_through_files(particle_series, tmp_path, suffix):
    """Counts, angles, shifts, the per-view table, the dark-field counts model and its scale C come back."""
    series = particle_series
    save_series(series, tmp_path / f"series{suffix}")
    back = load_series(tmp_path / f"series{suffix}")
    np.testing.assert_array_equal(back.data, series.data)
    np.testing.assert_array_equal(back.angles_deg, series.angles_deg)
    np.testing.assert_array_equal(back.shifts_px, series.shifts_px)
    assert back.counts_model == "dark field" and back.line_integral_scale == series.line_integral_scale
    assert sorted(back.views) == sorted(series.views)
    for name, column in series.views.items():
        np.testing.assert_array_equal(back.views[name], column)
    np.testing.assert_array_equal(back.to_line_integrals().data, series.to_line_integrals().data)
    np.testing.assert_array_equal(back.ground_truth.data, series.ground_truth.data)


def test_fbp_of_haadf_line_integrals_recovers_zeta(particle_series):
    """FBP of the HAADF series ≈ FBP of exact projections of ζ, and ≈ ζ where the particles are.

    −70…70° at 2°. The instrument's part (probe, 1 − exp(−C·s), counting) is
    isolated by reconstructing the exact projections of the ground truth with
    the same method: the two volumes agree to 2 % rms over the particles
    (measured 0.5 %). Against the truth itself the ±70° wedge and FBP leave
    the particle cores at 0.76 of ζ (ideal projections: 0.76) and a
    correlation of 0.924 (0.925); required ≥ 0.6 and ≥ 0.85. Each view's
    line integrals add up to the particles' ∫ζ dV to 0.2 % (measured 3.4e-4:
    the clipped negative ringing of the sampled defocus disc).
    """
    series = particle_series
    truth = series.ground_truth.data.astype(np.float64)
    line_integrals = series.to_line_integrals()
    measured = recon.get("fbp")(line_integrals).data.astype(np.float64)
    exact = line_integrals.with_data(project(series.ground_truth, series.angles_deg))
    ideal = recon.get("fbp")(exact).data.astype(np.float64)
    particles = truth > 0.5 * truth.max()
    assert np.sqrt(np.mean((measured - ideal)[particles] ** 2)) < 0.02 * np.sqrt(np.mean(ideal[particles] ** 2))
    assert measured[particles].mean() / truth[particles].mean() > 0.6
    assert np.corrcoef(measured.ravel(), truth.ravel())[0, 1] > 0.85
    per_view = line_integrals.data.sum(axis=(1, 2)) * series.pixel_nm**2
    np.testing.assert_allclose(per_view, truth.sum() * series.ground_truth.voxel_nm**3, rtol=2e-3)


# --- 10. bad input -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("params, field", [
    ({"dose_total_e_per_a2": -1.0}, "dose_total_e_per_a2"),
    ({"energy_spread_ev": -0.3}, "energy_spread_ev"),
    ({"convergence_mrad": 0.0}, "convergence_mrad"),
    ({"convergence_mrad": -5.0}, "convergence_mrad"),
    ({"haadf_inner_mrad": 200.0}, "haadf_outer_mrad"),
    ({"haadf_inner_mrad": 250.0}, "haadf_outer_mrad"),
    ({"fidelity": "wave"}, "fidelity"),
    ({"z_exponent": 3.0}, "z_exponent"),
    ({"probe_current_pa": 50.0}, "dwell_time_us"),
    ({"dose_weighting": "cos"}, "dose_weighting"),
    ({"tracking": "manual"}, "tracking"),
])
def test_bad_configuration_names_the_field(params, field):
    with pytest.raises(ValidationError, match=f"^{field} = ") as error:
        instruments.preset("stem-200kv-haadf", **params)
    assert error.value.field == field


def test_inner_angle_at_or_beyond_outer_is_named_with_both():
    with pytest.raises(ValidationError, match=r"haadf_outer_mrad = 200\.0 .*> haadf_inner_mrad = 200\.0 mrad"):
        STEM(haadf_inner_mrad=200.0, haadf_outer_mrad=200.0)


def test_tilt_beyond_the_holder_names_holder_and_limit(monkeypatch):
    """Refused by the plan, before the probe forms any image."""
    monkeypatch.setattr(stem_module, "haadf_signal", lambda *args, **kwargs: pytest.fail("an image was formed"))
    with pytest.raises(ValidationError, match=r"angles_deg = 75\.0 .*70° for the 'standard' holder"):
        _stem().acquire(_blocks(2), [0.0, 75.0], seed=0, progress=False)


def test_dwell_time_sets_the_frame_time():
    """Stating dose by probe current and dwell time also fixes how long a frame takes: dwell × scan positions."""
    phantom = phantoms.get("lamella", width_nm=16.0, thickness_nm=12.0, n_au=0, n_pt=0, voxel_nm=1.0, seed=0)
    scheme = TiltScheme.range(-10, 10, n_views=3)
    stem = instruments.STEM(dose_total_e_per_a2=None, probe_current_pa=50.0, dwell_time_us=20.0, damage=False)
    slow = instruments.STEM(dose_total_e_per_a2=None, probe_current_pa=50.0, dwell_time_us=40.0, damage=False)
    fast_time = stem.acquire(phantom, scheme, seed=0, progress=False).provenance["acquisition_time_s"]["exposures_s"]
    slow_time = slow.acquire(phantom, scheme, seed=0, progress=False).provenance["acquisition_time_s"]["exposures_s"]
    assert fast_time == pytest.approx(3 * 16 * 16 * 20e-6, rel=1e-9)
    assert slow_time == pytest.approx(2 * fast_time, rel=1e-9)
