"""AreTomo ``.aln`` files: the column meaning and signs, dark frames, local blocks, round trips, bad files."""

import numpy as np
import pytest
import scipy.ndimage
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import TiltSeries, project
from sim.errors import ValidationError
from sim.io.aretomo import AretomoAlignment, alignment_from_series, format_aln, parse_aln, read_aln, write_aln

# An AreTomo2-style file written by hand: sections 0 and 4 dark, the rest sorted by tilt,
# ROT −10.64°, two patches of local alignment after the global table.
SAMPLE = """\
# AreTomo Alignment / Priims bprmMn 
# RawSize = 512 480 5
# NumPatches = 2
# DarkFrame =     0    0   -60.00
# DarkFrame =     4    4    60.00
# SEC     ROT         GMAG       TX          TY      SMEAN     SFIT    SCALE     BASE     TILT
    1   -10.6414    1.00000     30.409     -7.146     1.00     1.00     1.00     0.00    -30.00
    2   -10.6414    1.00000      0.000      0.000     1.00     1.00     1.00     0.00      0.00
    3   -10.6414    1.00000    -12.500      3.250     1.00     1.00     1.00     0.00     30.00
# Local Alignment
   0   0  -100.00   -90.00     -6.93    -36.22   1.0
   0   1   100.00    90.00     -2.53    -21.76   1.0
   1   0  -100.00   -90.00     -5.54    -33.76   1.0
   1   1   100.00    90.00     -2.40    -20.75   1.0
   2   0  -100.00   -90.00     -5.07    -27.74   1.0
   2   1   100.00    90.00     -2.02    -16.47   1.0
"""


def test_hand_written_file_reads_in_nanotomo_conventions():
    """TX, TY → (row, col) = (TY, TX); TILT → θ = −TILT; dark frames by their raw section; patches skipped."""
    aln = parse_aln(SAMPLE)
    assert aln.raw_shape == (5, 480, 512)  # RawSize = n_cols n_rows n_sections
    assert aln.sections.tolist() == [1, 2, 3]
    assert aln.tilt_deg.tolist() == [30.0, 0.0, -30.0]
    assert aln.shifts_px.tolist() == [[-7.146, 30.409], [0.0, 0.0], [3.25, -12.5]]
    assert aln.axis_rotation_deg.tolist() == [-10.6414] * 3
    assert aln.excluded_sections.tolist() == [0, 4]
    assert aln.excluded_tilt_deg.tolist() == [60.0, -60.0]
    assert aln.alpha_offset_deg == 0.0


def test_aretomo3_alpha_offset_is_taken_out_of_the_tilts():
    """AreTomo3 lists TILT = nominal + AlphaOffset for kept views, the nominal tilt for dark frames."""
    text = SAMPLE.replace("# SEC", "# AlphaOffset =    12.30\n# BetaOffset =     0.00\n# Thickness = 1910\n# SEC")
    text = text.replace("-30.00\n", "-17.70\n").replace("0.00\n    3", "12.30\n    3").replace("30.00\n# Local", "42.30\n# Local")
    aln = parse_aln(text)
    np.testing.assert_allclose(aln.tilt_deg, [30.0, 0.0, -30.0], atol=1e-12)  # exact decimals up to float round-off
    assert aln.excluded_tilt_deg.tolist() == [60.0, -60.0]
    back = parse_aln(format_aln(aln))
    np.testing.assert_allclose(back.tilt_deg, aln.tilt_deg, atol=1e-12)
    assert back.alpha_offset_deg == 12.3


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(-80, 80, allow_nan=False), st.floats(-500, 500, allow_nan=False),
                          st.floats(-500, 500, allow_nan=False), st.floats(-180, 180, allow_nan=False)),
                min_size=1, max_size=6),
       st.integers(0, 3))
def test_text_round_trips_exactly(views, n_dark):
    """Shortest exact decimals: every tilt, shift and rotation reads back bit for bit, dark frames too."""
    tilt, row, col, rot = (np.array(v) for v in zip(*views))
    n = len(views)
    aln = AretomoAlignment(tilt, np.stack([row, col], axis=1), raw_shape=(n + n_dark, 20, 30), axis_rotation_deg=rot,
                           sections=np.arange(n_dark, n_dark + n), excluded_sections=np.arange(n_dark),
                           excluded_tilt_deg=np.linspace(-70, 70, n_dark))
    back = parse_aln(format_aln(aln))
    order = np.argsort(-tilt, kind="stable")  # rows come back sorted by TILT = −θ
    assert np.array_equal(back.tilt_deg, tilt[order]) and np.array_equal(back.shifts_px, aln.shifts_px[order])
    assert np.array_equal(back.axis_rotation_deg, rot[order]) and np.array_equal(back.sections, aln.sections[order])
    assert np.array_equal(back.excluded_sections, aln.excluded_sections)
    assert np.array_equal(back.excluded_tilt_deg, aln.excluded_tilt_deg)
    assert back.raw_shape == aln.raw_shape


def test_file_round_trip_with_dark_frames(tmp_path):
    aln = AretomoAlignment([-40.0, 0.0, 40.0], [[1.0, -2.0], [0.0, 0.0], [0.5, 3.0]], raw_shape=(5, 64, 96),
                           sections=[1, 2, 3], excluded_sections=[0, 4], excluded_tilt_deg=[-60.0, 60.0])
    path = write_aln(aln, tmp_path / "ts.aln")
    text = path.read_text()
    assert "# RawSize = 96 64 5" in text
    dark_lines = [line.split() for line in text.splitlines() if line.startswith("# DarkFrame")]
    # frame index in the tilt-sorted stack, raw section, tilt in AreTomo's (IMOD's) sign
    assert dark_lines == [["#", "DarkFrame", "=", "4", "0", "60.0"], ["#", "DarkFrame", "=", "0", "4", "-60.0"]]
    back = read_aln(path)
    assert back.tilt_deg.tolist() == [40.0, 0.0, -40.0] and back.sections.tolist() == [3, 2, 1]
    assert back.excluded_sections.tolist() == [0, 4] and back.excluded_tilt_deg.tolist() == [-60.0, 60.0]


def test_true_alignment_applied_as_aretomo_does_recovers_the_unshifted_views(tmp_path):
    """Apply each row as AreTomo's ``mGCorrect`` does: aligned(p) = raw(R(ROT)·p + (TX, TY)), ROT = 0.

    Integer shifts are exact for the projector and for ``scipy.ndimage.shift``
    (order 0), so the aligned views equal the unshifted ones wherever no
    content left the field of view (an 8 px border is excluded).
    """
    rng = np.random.default_rng(5)
    volume = np.zeros((24, 20, 24), np.float32)
    volume[6:18, 5:15, 7:17] = rng.random((12, 10, 10)).astype(np.float32)
    angles = np.array([-50.0, 0.0, 35.0])
    shifts = np.array([[3.0, -2.0], [0.0, 4.0], [-5.0, 1.0]])
    raw = project(volume, angles, voxel_nm=1.0, shifts_px=shifts)
    series = TiltSeries(raw, angles_deg=angles, pixel_nm=1.0, values="line integral", shifts_px=shifts)
    aln = read_aln(write_aln(alignment_from_series(series), tmp_path / "t.aln"))
    reference = project(volume, angles, voxel_nm=1.0)
    for (ty, tx), theta, rot in zip(aln.shifts_px, aln.tilt_deg, aln.axis_rotation_deg):
        view = int(np.flatnonzero(angles == theta)[0])
        assert rot == 0.0
        aligned = scipy.ndimage.shift(raw[view], (-ty, -tx), order=0)  # aligned[y, x] = raw[y + TY, x + TX]
        np.testing.assert_allclose(aligned[8:-8, 8:-8], reference[view][8:-8, 8:-8], atol=1e-5)


def test_tilt_column_holds_imods_sign(tmp_path):
    series = TiltSeries(np.zeros((2, 4, 6)), angles_deg=[-20.0, 45.0], pixel_nm=1.0, values="counts")
    text = write_aln(alignment_from_series(series), tmp_path / "s.aln").read_text()
    tilts = [float(line.split()[-1]) for line in text.splitlines() if not line.startswith("#")]
    assert tilts == [-45.0, 20.0]  # −θ, sorted as AreTomo writes them


@pytest.mark.parametrize("edit, where", [
    (lambda t: t.replace("# RawSize = 512 480 5\n", ""), "bad.aln = '<no RawSize line>'"),
    (lambda t: t.replace("# RawSize = 512 480 5", "# RawSize = 512 480 6"), "RawSize nz = 6"),
    (lambda t: t.replace("30.409", "3O.409"), "bad.aln:7 = "),
    (lambda t: t.replace("    3   -10.6414", "    3   -10.6414  7"), "bad.aln:9 = "),
    (lambda t: t.replace("# RawSize = 512 480 5", "# RawSize = 512 480.5 5"), "bad.aln:2 = "),
    (lambda t: t.replace("# DarkFrame =     4    4    60.00", "# DarkFrame =     4    2    60.00"), "consistent"),
    (lambda t: "    1 0 1 0 0 1 1 1 0 5\n" + t, "bad.aln:1 = "),
])
def test_bad_files_name_the_file_and_line(tmp_path, edit, where):
    """Errors read ``<file>:<line> = '<line text>' is not allowed; allowed: ...`` (file-level: ``<file> = ...``)."""
    path = tmp_path / "bad.aln"
    path.write_text(edit(SAMPLE))
    with pytest.raises(ValidationError, match="bad.aln") as error:
        read_aln(path)
    assert where in str(error.value)


def test_bad_alignment_fields_are_named():
    with pytest.raises(ValidationError, match="shifts_px"):
        AretomoAlignment([0.0, 10.0], [[0.0, 1.0]], raw_shape=(2, 8, 8))
    with pytest.raises(ValidationError, match="raw_shape"):
        AretomoAlignment([0.0], [[0.0, 1.0]], raw_shape=(2, 8, 8))
    with pytest.raises(ValidationError, match="tilt_deg"):
        AretomoAlignment([np.nan], [[0.0, 1.0]], raw_shape=(1, 8, 8))
    with pytest.raises(ValidationError, match="excluded_sections"):
        AretomoAlignment([0.0], [[0.0, 1.0]], raw_shape=(2, 8, 8), excluded_sections=[0], excluded_tilt_deg=[5.0])
    with pytest.raises(ValidationError, match="sections"):
        AretomoAlignment([0.0, 5.0], [[0.0, 1.0]] * 2, raw_shape=(2, 8, 8), sections=[1, 1])
    with pytest.raises(ValidationError, match="alignment"):
        format_aln("not an alignment")
