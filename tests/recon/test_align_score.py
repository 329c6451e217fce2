"""Scoring alignments against the truth: shift errors (arrays, IMOD .xf, AreTomo .aln) and their cost in resolution."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recon.align.score import match_views, score_alignment_file, score_shifts, unobservable_part
from sim import TiltSeries, Volume, project
from sim.errors import ValidationError
from sim.io.aretomo import AretomoAlignment, alignment_from_series, write_aln
from sim.io.imod import format_xf, imod_tilt_deg, write_xf, xf_from_shifts
from sim.io.mrc import format_tlt

# Dose-symmetric order, as a stage records it; AreTomo's .aln lists the views sorted by tilt instead.
ANGLES = np.array([0.0, 3.0, -3.0, -6.0, 6.0, 9.0, -9.0, -12.0, 12.0, 15.0, -15.0, -18.0, 18.0, 21.0, -21.0,
                   -24.0, 24.0, 27.0, -27.0, -30.0, 30.0, 33.0, -33.0, -36.0, 36.0, 39.0, -39.0, -42.0, 42.0,
                   45.0, -45.0, -48.0, 48.0, 51.0, -51.0, -54.0, 54.0, 57.0, -57.0, -60.0, 60.0])


def drift(n, seed=0):
    """Random-walk stage drift (row, col) [px]: nothing like a rigid translation of the sample."""
    return np.cumsum(np.random.default_rng(seed).normal(0.0, 1.5, (n, 2)), axis=0)


def truth_series(shifts, angles=ANGLES, axis_offset_px=0.0, pixel_nm=0.5):
    """A series carrying a ground truth (all zeros; only its shifts and angles are scored here)."""
    n = len(angles)
    return TiltSeries(np.zeros((n, 4, 8)), angles_deg=angles, pixel_nm=pixel_nm, values="line integral", unit="1",
                      shifts_px=shifts, axis_offset_px=axis_offset_px,
                      ground_truth=Volume(np.zeros((4, 8, 8)), voxel_nm=pixel_nm))


def test_known_offsets_give_the_known_rms():
    """±(3, 4) px on alternate views: every error is 5 px long, rows 3 px, columns 4 px (exact)."""
    true = drift(6)
    errors = np.array([[3.0, 4.0], [-3.0, -4.0]] * 3)
    score = score_shifts(true + errors, true, pixel_nm=0.25)
    np.testing.assert_allclose([score.rms_px, score.max_px, score.rms_row_px, score.rms_col_px, score.rms_nm],
                               [5.0, 5.0, 3.0, 4.0, 1.25], rtol=1e-12)
    np.testing.assert_allclose(score.error_px, errors, atol=1e-12)
    np.testing.assert_allclose(score.offset_px, 0.0, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.floats(-50, 50), st.floats(-50, 50), st.integers(0, 2**16))
def test_a_common_offset_is_removed_and_scored_only_on_request(row, col, seed):
    true = drift(7, seed)
    score = score_shifts(true + [row, col], true, pixel_nm=1.0)
    assert score.rms_px < 1e-9  # round-off of ~50 px values
    np.testing.assert_allclose(score.offset_px, [row, col], atol=1e-9)
    kept = score_shifts(true + [row, col], true, pixel_nm=1.0, remove_mean=False)
    np.testing.assert_allclose(kept.rms_px, np.hypot(row, col), rtol=1e-9, atol=1e-9)


def test_a_rigid_sample_translation_is_removed_but_a_tilt_axis_offset_is_scored():
    """``y0`` along rows and ``x0·cos θ + z0·sin θ`` along columns only move the reconstruction."""
    true = drift(ANGLES.size)
    theta = np.deg2rad(ANGLES)
    moved = true + np.stack([np.full(ANGLES.size, 2.0), 3.0 * np.cos(theta) - 5.0 * np.sin(theta)], axis=1)
    score = score_shifts(moved, true, pixel_nm=1.0, angles_deg=ANGLES)
    assert score.rms_px < 1e-12
    np.testing.assert_allclose(score.translation_px, [2.0, -5.0, 3.0], atol=1e-12)  # (y0, z0, x0)
    # Without the angles only the mean is removed: the z0·sin θ term stays (rms 5·rms(sin θ) ≈ 2.3 px) ...
    assert score_shifts(moved, true, pixel_nm=1.0).rms_col_px > 2.0
    # ... and a constant column offset (the tilt axis off centre) is not a translation: over ±60° cos θ
    # varies by a factor 2, so 3 px leaves 3·rms(1 − a·cos θ) ≈ 0.4 px after the best fit.
    assert score_shifts(true + [0.0, 3.0], true, pixel_nm=1.0, angles_deg=ANGLES).rms_col_px > 0.3


def test_unobservable_part_without_angles_is_the_mean():
    removed, translation = unobservable_part(np.array([[1.0, 2.0], [3.0, 6.0]]))
    assert removed.tolist() == [[2.0, 4.0], [2.0, 4.0]] and translation is None


@pytest.fixture()
def series():
    return truth_series(drift(ANGLES.size, seed=3))


def test_a_perfect_xf_from_the_truth_scores_zero(tmp_path, series):
    write_xf(xf_from_shifts(series.shifts_px), tmp_path / "ts.xf")  # no .tlt: stack order
    assert score_alignment_file(tmp_path / "ts.xf", series).rms_px < 1e-12
    (tmp_path / "ts.tlt").write_text(format_tlt(imod_tilt_deg(series.angles_deg)))  # with .tlt: matched by tilt
    score = score_alignment_file(tmp_path / "ts.xf", series)
    assert score.rms_px < 1e-12 and score.views.tolist() == list(range(ANGLES.size))


def test_a_perfect_aln_from_the_truth_scores_zero_and_a_perturbation_scores_itself(tmp_path, series):
    """The file lists the views sorted by tilt, the series in dose-symmetric order: views are matched by angle.

    The perturbation is +d on one view's row and −d on another's (zero mean,
    so none of it is a sample translation): rms = d·√(2/n) exactly.
    """
    path = write_aln(alignment_from_series(series), tmp_path / "ts.aln")
    score = score_alignment_file(path, series)
    assert score.rms_px < 1e-12
    assert np.array_equal(series.angles_deg[score.views], np.sort(series.angles_deg)[::-1])  # TILT = −θ ascending
    d = 1.5
    shifts = np.array(series.shifts_px)
    shifts[[7, 30], 0] += [d, -d]
    path = write_aln(AretomoAlignment(series.angles_deg, shifts, raw_shape=series.shape), tmp_path / "bad.aln")
    score = score_alignment_file(path, series)
    np.testing.assert_allclose(score.rms_px, d * np.sqrt(2 / ANGLES.size), rtol=1e-9)
    errors = dict(zip(score.views.tolist(), score.error_px[:, 0]))
    np.testing.assert_allclose([errors[7], errors[30]], [d, -d], rtol=1e-9)
    assert score.rms_col_px < 1e-12


def test_excluded_views_are_left_out(tmp_path, series):
    """Views 5 and 40 as AreTomo dark frames: the rest are scored, each against its own truth."""
    kept = np.setdiff1d(np.arange(ANGLES.size), [5, 40])
    shifts = np.array(series.shifts_px[kept])
    shifts[3] += [0.0, 2.0]  # view kept[3] = 3
    aln = AretomoAlignment(series.angles_deg[kept], shifts, raw_shape=series.shape, sections=kept,
                           excluded_sections=[5, 40], excluded_tilt_deg=series.angles_deg[[5, 40]])
    score = score_alignment_file(write_aln(aln, tmp_path / "dark.aln"), series)
    assert sorted(score.views.tolist()) == kept.tolist()
    worst = score.views[np.argmax(np.hypot(*score.error_px.T))]
    assert worst == 3


def test_flipped_signs_score_large(tmp_path, series):
    """Shifts with the wrong sign, or tilts with nanotomo's sign in an AreTomo file, are caught.

    The correct files score < 1e-12 px. The random-walk drift (1.5 px per
    view and axis) keeps an rms of several px after its best sample
    translation is removed, so a flipped shift (error −2·shift) scores far
    above it; mirrored tilts pair each view with the one at −θ, one or two
    steps away in dose-symmetric order, ≈ 1.5·√(2·1.5) ≈ 2.6 px apart; the
    threshold of 1 px leaves a wide margin for all three.
    """
    write_xf(xf_from_shifts(-series.shifts_px), tmp_path / "flip.xf")
    assert score_alignment_file(tmp_path / "flip.xf", series).rms_px > 1.0
    aln = AretomoAlignment(-series.angles_deg, series.shifts_px, raw_shape=series.shape)  # TILT = +θ
    assert score_alignment_file(write_aln(aln, tmp_path / "flip.aln"), series).rms_px > 1.0
    aln = AretomoAlignment(series.angles_deg, series.shifts_px[:, ::-1], raw_shape=series.shape)  # TX <-> TY
    assert score_alignment_file(write_aln(aln, tmp_path / "swap.aln"), series).rms_px > 1.0


def test_aretomos_own_xf_export_scores_like_its_aln(tmp_path):
    """AreTomo writes ``A = R(−ROT)``, ``D = A·(−TX, −TY)`` (``ImodUtil/CSaveXF.cpp``): the shift is read back through A⁻¹.

    With the tilt axis at 7° the .xf has a rotation, and a tilt-axis offset
    of 1.5 px is part of what the file must correct.
    """
    series = truth_series(drift(ANGLES.size, seed=4), axis_offset_px=1.5)
    aln = alignment_from_series(series)
    rot = np.deg2rad(7.0)
    a = np.array([[np.cos(-rot), -np.sin(-rot)], [np.sin(-rot), np.cos(-rot)]])
    tx_ty = aln.shifts_px[:, ::-1]
    d = -tx_ty @ a.T
    transforms = np.concatenate([np.broadcast_to(a, (ANGLES.size, 2, 2)), d[:, :, None]], axis=2)
    (tmp_path / "aretomo.xf").write_text(format_xf(transforms))
    assert score_alignment_file(tmp_path / "aretomo.xf", series).rms_px < 1e-9
    write_xf(xf_from_shifts(series.shifts_px), tmp_path / "no_offset.xf")  # forgets the tilt axis offset
    assert score_alignment_file(tmp_path / "no_offset.xf", series).rms_col_px > 0.1


def test_matching_errors_name_the_tilt(tmp_path, series):
    aln = AretomoAlignment([0.0, 1.0], [[0.0, 0.0], [0.0, 0.0]], raw_shape=(2, 4, 8))
    with pytest.raises(ValidationError, match="tilt = 1.0"):
        score_alignment_file(write_aln(aln, tmp_path / "odd.aln"), series)
    with pytest.raises(ValidationError, match="exactly one"):
        match_views([0.0], [0.0, 0.01], 0.05)


def test_bad_input_names_the_field(tmp_path, series):
    path = write_aln(alignment_from_series(series), tmp_path / "ts.aln")
    with pytest.raises(ValidationError, match="series.ground_truth"):
        score_alignment_file(path, TiltSeries(series.data, angles_deg=ANGLES, pixel_nm=0.5, values="line integral"))
    (tmp_path / "ts.txt").write_text("")
    with pytest.raises(ValidationError, match="path"):
        score_alignment_file(tmp_path / "ts.txt", series)
    write_xf(xf_from_shifts(series.shifts_px[:5]), tmp_path / "short.xf")
    with pytest.raises(ValidationError, match="path"):
        score_alignment_file(tmp_path / "short.xf", series)
    with pytest.raises(ValidationError, match="estimated_px.shape"):
        score_shifts(np.zeros((3, 2)), np.zeros((4, 2)), pixel_nm=1.0)
    with pytest.raises(ValidationError, match="pixel_nm"):
        score_shifts(np.zeros((3, 2)), np.zeros((3, 2)), pixel_nm=0.0)
    with pytest.raises(ValidationError, match="angles_deg"):
        score_shifts(np.zeros((3, 2)), np.zeros((3, 2)), pixel_nm=1.0, angles_deg=[0.0, 1.0])
