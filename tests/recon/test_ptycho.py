"""ePIE (Maiden & Rodenburg 2009) and rPIE (Maiden, Johnson & Li 2017) on simulated far-field scans.

The first tests use a defocused disc-aperture probe in pixel units; the acceptance tests below use the
focused probe of a zone plate (:func:`sim.xray_probe.focused_probe`) in physical units with Poisson counts.
"""

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from metrics.fsc import resolution_nm
from recon.ptycho import epie, ptycho_reconstruct, rpie
from sim.errors import ValidationError
from sim.ptychography import diffraction_patterns, overlap_fraction
from sim.xray_probe import focused_probe, gaussian_probe, probe_fwhm_nm
from sim.zone_plate import ZonePlate

N_PROBE, N_OBJ = 32, 96


def _probe(defocus):
    """A defocused disc-aperture probe: pupil of radius 5 frequency px, quadratic phase."""
    k = np.fft.fftfreq(N_PROBE) * N_PROBE
    k2 = k[:, None] ** 2 + k[None, :] ** 2
    pupil = (k2 <= 25) * np.exp(1j * defocus * np.pi * k2 / 25)
    probe = np.fft.fftshift(np.fft.ifft2(pupil))
    return probe / np.abs(probe).max()


def _fwhm_px(probe):
    intensity = np.abs(probe) ** 2
    return float(np.count_nonzero(intensity.max(axis=0) >= intensity.max() / 2))


def _object():
    """Random smooth phase object, phase in [-π/2, π/2], unit amplitude."""
    phase = gaussian_filter(np.random.default_rng(1).standard_normal((N_OBJ, N_OBJ)), 1.5)
    return np.exp(1j * np.pi / 2 * phase / np.abs(phase).max())


def _grid(step):
    starts = np.arange(0, N_OBJ - N_PROBE + 1, step)
    rows, cols = np.meshgrid(starts, starts, indexing="ij")
    return np.stack([rows.ravel(), cols.ravel()], axis=1)


def _well_lit(probe, positions):
    """Pixels whose summed probe intensity exceeds 10 % of its maximum."""
    illum = np.zeros((N_OBJ, N_OBJ))
    for r, c in positions:
        illum[r:r + N_PROBE, c:c + N_PROBE] += np.abs(probe) ** 2
    return illum > 0.1 * illum.max()


def _object_error(rec, truth, mask):
    """Relative L2 error after the best complex scale (global phase and amplitude ambiguity)."""
    a, b = rec[mask], truth[mask]
    scale = np.vdot(a, b) / np.vdot(a, a)
    return float(np.linalg.norm(scale * a - b) / np.linalg.norm(b))


def _correlation(a, b):
    return float(abs(np.vdot(a, b)) / (np.linalg.norm(a) * np.linalg.norm(b)))


PROBE = _probe(2.0)
OBJ = _object()


def test_high_overlap_recovers_the_object_and_low_overlap_fails():
    """Noise-free, known probe (FWHM 19 px).

    Step 6 px (overlap 68 %): measured error 0.0094 after 30 iterations (121 positions), pinned at 0.02.
    Step 32 px (no overlap, step > probe; 9 positions): measured 0.36 in its own well-lit region,
    so it must be > 10x the high-overlap error and above 0.2. The data misfit falls
    by ~985x (pinned > 500x) in the high-overlap run.
    """
    fwhm = _fwhm_px(PROBE)
    assert overlap_fraction(fwhm, 6) > 0.6
    assert overlap_fraction(fwhm, 32) == 0.0
    errors = {}
    for step in (6, 32):
        pos = _grid(step)
        rec, _, misfit = epie(diffraction_patterns(OBJ, PROBE, pos), pos, PROBE, OBJ.shape,
                              n_iter=30, update_probe=False, seed=0)
        errors[step] = _object_error(rec, OBJ, _well_lit(PROBE, pos))
        if step == 6:
            assert misfit[-1] < 2e-3 * misfit[0]
            assert np.all(np.diff(misfit) < 0)
    assert errors[6] < 0.02
    assert errors[32] > 0.2
    assert errors[32] > 10 * errors[6]


def test_probe_refinement_from_a_perturbed_probe():
    """Start from a probe with the wrong defocus (correlation 0.60 with the truth).

    Measured after 30 iterations at step 6: without refinement object error 0.39 and the
    probe stays wrong; with refinement object error 0.031 and probe correlation 0.9997.
    Pinned: object error < 0.06 and < 0.2x the fixed-probe error; correlation > 0.99.
    """
    wrong = _probe(3.0)
    assert _correlation(wrong, PROBE) < 0.7
    pos = _grid(6)
    patterns = diffraction_patterns(OBJ, PROBE, pos)
    mask = _well_lit(PROBE, pos)
    fixed, _, _ = epie(patterns, pos, wrong, OBJ.shape, n_iter=30, update_probe=False, seed=0)
    refined, probe, _ = epie(patterns, pos, wrong, OBJ.shape, n_iter=30, update_probe=True, seed=0)
    assert _object_error(refined, OBJ, mask) < 0.06
    assert _object_error(refined, OBJ, mask) < 0.2 * _object_error(fixed, OBJ, mask)
    assert _correlation(probe, PROBE) > 0.99


def test_poisson_patterns_and_seeded_order():
    """10⁶ photons per pattern: measured object error 0.013, pinned at 0.03; same seed, same result.

    Resolution beyond the probe: the Fourier ring correlation of the recovered phase with the
    true phase (central 64² px, inside the well-lit region) stays above 0.5 up to Nyquist
    (measured FRC >= 0.99 in every ring), so the FRC resolution is 2 px, far finer than the
    19 px probe FWHM; pinned at < FWHM / 4.
    """
    pos = _grid(6)
    photons = 1e6
    patterns = diffraction_patterns(OBJ, PROBE, pos, photons_per_pattern=photons, seed=3)
    probe = PROBE * np.sqrt(photons / np.sum(np.abs(PROBE) ** 2))
    rec, _, _ = epie(patterns, pos, probe, OBJ.shape, n_iter=30, update_probe=False, seed=5)
    assert _object_error(rec, OBJ, _well_lit(PROBE, pos)) < 0.03
    centre = slice(16, 80)
    a, b = rec[centre, centre], OBJ[centre, centre]
    a = a * np.vdot(a, b) / abs(np.vdot(a, b))
    assert resolution_nm(np.angle(a), np.angle(b), voxel_nm=1.0, threshold=0.5) < _fwhm_px(PROBE) / 4
    again, _, _ = epie(patterns, pos, probe, OBJ.shape, n_iter=30, update_probe=False, seed=5)
    assert np.array_equal(rec, again)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"n_iter": 0}, "n_iter"),
    ({"n_iter": 2.5}, "n_iter"),
    ({"alpha": 0.0}, "alpha"),
    ({"beta": 3.0}, "beta"),
    ({"probe0": np.ones((4, 4), complex)}, "probe0.shape"),
    ({"positions_px": [[0, 0]]}, "positions_px.shape"),
    ({"patterns": -np.ones((2, 8, 8))}, "patterns"),
    ({"patterns": np.full((2, 8, 8), np.nan)}, "patterns"),
    ({"probe0": np.full((8, 8), np.nan, complex)}, "probe0"),
    ({"positions_px": [[0, 0], [5.0, 0]]}, "positions_px"),
    ({"positions_px": [[0, 0], [-0.25, 0]]}, "positions_px"),
    ({"engine": "pie"}, "engine"),
    ({"engine": "rpie", "alpha": 1.5}, "alpha"),
    ({"engine": "epie", "alpha": 1.5, "beta": 0.0}, "beta"),
])
def test_bad_input_names_the_field(kwargs, field):
    args = {"patterns": np.ones((2, 8, 8)), "positions_px": [[0, 0], [2, 2]],
            "probe0": np.ones((8, 8), complex), "obj_shape": (12, 12), "n_iter": 1, **kwargs}
    with pytest.raises(ValidationError) as info:
        ptycho_reconstruct(args.pop("patterns"), args.pop("positions_px"), args.pop("probe0"), args.pop("obj_shape"),
                           **args)
    assert info.value.field == field


# Acceptance: a hard X-ray nanoprobe. 10 keV, zone plate D = 100 µm, Δr_N = 40 nm (no central stop), in
# focus: the Airy probe has FWHM 41.7 nm = 8.3 px of 5 nm (1.03·Δr_N, Born & Wolf §8.5.2). 64² detector
# pixels sample the object at 5 nm (Nyquist 10 nm), so the data reach 4x beyond the probe size. An in-focus
# probe is the hardest case for "resolution beyond the probe" (its FWHM is smallest); a defocused probe
# (larger, with curved phase) only makes overlap easier. The test object: 96² px (480 nm), smooth random
# phase in [-π/2, π/2] and amplitude in [0.8, 1.0] (Gaussian-filtered noise, σ = 1 px, so it has structure
# up to the 10 nm Nyquist limit). 10⁶ photons per pattern (a 10⁹ photons/s nanoprobe, 1 ms dwell), Poisson.
PIXEL_NM, N_ZP, N_FIELD, PHOTONS = 5.0, 64, 96, 1e6
ZONE_PLATE = ZonePlate(diameter_um=100.0, outer_zone_nm=40.0)
ZP_PROBE = focused_probe(ZONE_PLATE, 10.0, shape=(N_ZP, N_ZP), pixel_nm=PIXEL_NM,
                         flux_photons_per_s=PHOTONS).astype(np.complex128)
ZP_FWHM_PX = probe_fwhm_nm(ZP_PROBE, PIXEL_NM) / PIXEL_NM
CENTRE = slice(28, 68)  # lit by every scan below (probe centres span rows/cols 32-64)


def _field():
    rng = np.random.default_rng(1)
    phase = gaussian_filter(rng.standard_normal((N_FIELD, N_FIELD)), 1.0)
    amplitude = gaussian_filter(rng.standard_normal((N_FIELD, N_FIELD)), 1.0)
    return (0.9 + 0.1 * amplitude / np.abs(amplitude).max()) * np.exp(1j * np.pi / 2 * phase / np.abs(phase).max())


FIELD = _field()


def _scan(step_px):
    """Raster of window corners at ``step_px`` (real-valued) covering the field."""
    starts = np.arange(0.0, N_FIELD - N_ZP + 1e-9, step_px)
    rows, cols = np.meshgrid(starts, starts, indexing="ij")
    return np.stack([rows.ravel(), cols.ravel()], axis=1)


def _centre_error(rec):
    return _object_error(rec[CENTRE, CENTRE], FIELD[CENTRE, CENTRE], np.ones((40, 40), bool))


def _phase_resolution_nm(rec):
    """FRC (0.5 threshold, against the ground truth: metrics.fsc) of the recovered phase, global phase removed."""
    a, b = rec[CENTRE, CENTRE], FIELD[CENTRE, CENTRE]
    a = a * np.vdot(a, b) / abs(np.vdot(a, b))
    return resolution_nm(np.angle(a), np.angle(b), voxel_nm=PIXEL_NM, threshold=0.5)


def _counts(positions, seed=3):
    return diffraction_patterns(FIELD, ZP_PROBE, positions, photons_per_pattern=PHOTONS, seed=seed)


def _overlap_scan(overlap):
    """The scan at 64 % overlap (step 3 px, integral) or at ``overlap`` < 0.5 (step (1 − overlap)·FWHM, real)."""
    step = 3.0 if overlap > 0.5 else round((1 - overlap) * ZP_FWHM_PX, 2)
    assert overlap_fraction(ZP_FWHM_PX, step) == pytest.approx(overlap, abs=0.01)
    return _scan(step)


def test_zone_plate_scan_resolves_beyond_the_probe_with_overlap_and_converges_slowly_without():
    """rPIE, known probe, 50 iterations, Poisson counts.

    Overlap 64 % (step 3 px, 121 positions): measured error 0.0138 and FRC resolution 10.0 nm (the curve
    stays above 0.5 up to the 10 nm Nyquist limit) against the probe's 41.7 nm FWHM; pinned at 0.025
    and < FWHM / 3. Overlap 20 % (step 6.68 px, real-valued, 25 positions): measured error 0.095, 6.9x
    worse; pinned > 0.06 and > 4x. With the probe known the Airy rings still overlap, so the low-overlap
    scan is slow rather than wrong (0.018 after 300 iterations); without the probe it fails (next test).
    """
    errors = {}
    for overlap in (0.64, 0.2):
        pos = _overlap_scan(overlap)
        rec, _, _ = rpie(_counts(pos), pos, ZP_PROBE, FIELD.shape, n_iter=50, update_probe=False, seed=0)
        errors[overlap] = _centre_error(rec)
        if overlap > 0.5:
            assert _phase_resolution_nm(rec) < ZP_FWHM_PX * PIXEL_NM / 3
    assert errors[0.64] < 0.025
    assert errors[0.2] > 0.06
    assert errors[0.2] > 4 * errors[0.64]


def test_probe_refinement_from_a_gaussian_of_the_wrong_width_needs_overlap():
    """Start: a flat-phase Gaussian twice as wide as the Airy probe (correlation 0.51 with the truth).

    ePIE with probe refinement, 30 iterations, Poisson. Overlap 64 %: measured probe correlation
    |<P, P_true>| / (‖P‖‖P_true‖) = 0.9968, object error 0.092, FRC resolution 10 nm; pinned > 0.99,
    < 0.13 and < FWHM / 3. Overlap 20 %: correlation 0.853, error 0.307, FRC 31.8 nm; pinned
    correlation < 0.95 and error > 2.5x the high-overlap one. The modulus of the inner product removes
    the global phase and the norms the scale; allowing a shift as well (maximum of the cross-correlation)
    changes the high-overlap correlation by < 1e-3, so no shift is left to allow for.
    """
    wrong = gaussian_probe(2 * ZP_FWHM_PX * PIXEL_NM, shape=(N_ZP, N_ZP), pixel_nm=PIXEL_NM,
                           flux_photons_per_s=PHOTONS).astype(np.complex128)
    assert _correlation(wrong, ZP_PROBE) < 0.6
    found = {}
    for overlap in (0.64, 0.2):
        pos = _overlap_scan(overlap)
        rec, probe, _ = epie(_counts(pos), pos, wrong, FIELD.shape, n_iter=30, update_probe=True, seed=0)
        found[overlap] = (_centre_error(rec), _correlation(probe, ZP_PROBE))
        if overlap > 0.5:
            assert _phase_resolution_nm(rec) < ZP_FWHM_PX * PIXEL_NM / 3
    assert found[0.64][1] > 0.99
    assert found[0.64][0] < 0.13
    assert found[0.2][1] < 0.95
    assert found[0.2][0] > 2.5 * found[0.64][0]


def test_rpie_converges_faster_than_epie():
    """Maiden, Johnson & Li (2017): the regularised update lets weakly lit pixels move faster.

    Same data (step 3 px, Poisson), 20 iterations each: measured error rPIE 0.041, ePIE 0.118 (0.35x);
    pinned rPIE < 0.6x ePIE.
    """
    pos = _scan(3.0)
    patterns = _counts(pos)
    found = {engine: _centre_error(ptycho_reconstruct(patterns, pos, ZP_PROBE, FIELD.shape, n_iter=20,
                                                      engine=engine, update_probe=False)[0])
             for engine in ("epie", "rpie")}
    assert found["rpie"] < 0.6 * found["epie"]


def test_subpixel_positions_reconstruct_as_well_as_integer_ones():
    """A jittered scan (step 3 px plus a uniform [0, 1) px jitter per axis) against the integer raster.

    rPIE, known probe, 30 iterations, Poisson: measured error 0.0221 (integer), 0.0202 (jittered, with
    the true fractional positions): pinned jittered < 1.25x integer. Rounding the jittered positions to
    the nearest pixel (the model without sub-pixel shifts) gives 0.0275 (1.36x) and flooring them 0.168:
    pinned rounded > 1.2x the sub-pixel result.
    """
    integer = _scan(3.0)
    jittered = integer + np.random.default_rng(7).uniform(0.0, 1.0, integer.shape)
    assert np.all(jittered != np.round(jittered))
    found = {}
    for name, truth, model in (("integer", integer, integer), ("jittered", jittered, jittered),
                               ("rounded", jittered, np.minimum(np.round(jittered), N_FIELD - N_ZP))):
        rec, _, _ = rpie(_counts(truth), model, ZP_PROBE, FIELD.shape, n_iter=30, update_probe=False, seed=0)
        found[name] = _centre_error(rec)
    assert found["jittered"] < 1.25 * found["integer"]
    assert found["rounded"] > 1.2 * found["jittered"]
