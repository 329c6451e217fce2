"""IMOD conventions: the ``.tlt`` sign (files reconstruct unmirrored) and ``.xf`` alignment transforms."""

import mrcfile
import numpy as np
import pytest
import scipy.ndimage
from hypothesis import given
from hypothesis import strategies as st

from sim import TiltSeries, Volume, load_series, project, save_series
from sim.errors import ValidationError
from sim.io.imod import format_xf, imod_tilt_deg, parse_xf, read_xf, write_xf, xf_from_shifts


def imod_backproject(stack: np.ndarray, tilt_deg: np.ndarray, thickness: int) -> np.ndarray:
    """R-weighted back-projection written from IMOD's ``tilt`` source (flib/tilt/tilt.f90).

    ``project``: an output slice pixel in column ``j`` (1-based) and thickness
    row ``i`` takes the input line at ``xproj = (j − xcenOut)·cbeta +
    (i − ycenOut)·sbeta + xcenIn`` (1-based, linear interpolation), with
    ``cbeta = cos θ`` and ``sbeta = −sin θ`` (``inputParameters``: "take the
    negative of the sine of tilt angle"), ``xcenIn = nx/2. + 0.5``,
    ``xcenOut = iwidth/2 + 0.5``, ``ycenOut = ithickBP/2 + 0.5`` (integer
    divisions as in Fortran). Slice ``k`` uses line ``k`` (Y) of every view,
    and ``dumpSlice`` writes each slice as one section, thickness rows along
    its Y. Returns the file's array ``(nz, ny, nx) = (n_slices, thickness, width)``.
    """
    n_views, n_slices, nx = stack.shape
    frequencies = np.abs(np.fft.fftfreq(2 * nx))
    padded = np.zeros((n_views, n_slices, 2 * nx))
    padded[..., :nx] = stack
    filtered = np.fft.ifft(np.fft.fft(padded, axis=-1) * frequencies, axis=-1).real[..., :nx]
    x_cen_in = nx / 2.0 + 0.5
    x_cen_out = nx // 2 + 0.5
    y_cen_out = thickness // 2 + 0.5
    j = np.arange(1, nx + 1)[None, :]
    i = np.arange(1, thickness + 1)[:, None]
    out = np.zeros((n_slices, thickness, nx))
    for view, theta in enumerate(np.deg2rad(tilt_deg)):
        xproj = (j - x_cen_out) * np.cos(theta) + (i - y_cen_out) * -np.sin(theta) + x_cen_in
        column = np.arange(1, nx + 1)
        for k in range(n_slices):
            out[k] += np.interp(xproj, column, filtered[view, k], left=0.0, right=0.0)
    return out


def corr(a, b):
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


@pytest.fixture(scope="module")
def saved_blob_series(tmp_path_factory):
    """A blob at (x > 0, z > 0) and a smaller one at (x < 0, z ≈ 0), projected over ±70° and saved as MRC + .tlt."""
    n_rows, n_z, n_x = 4, 32, 32
    z, x = np.mgrid[:n_z, :n_x] - (np.array([n_z, n_x])[:, None, None] - 1) / 2
    slice_ = np.exp(-((x - 7) ** 2 + (z - 9) ** 2) / 4.0) + 0.5 * np.exp(-((x + 8) ** 2 + (z - 1) ** 2) / 2.0)
    truth = Volume(np.repeat(slice_[None], n_rows, axis=0).astype(np.float32), voxel_nm=1.0)
    angles = np.arange(-70.0, 71.0, 2.0)
    series = TiltSeries(project(truth, angles), angles_deg=angles, pixel_nm=1.0, values="line integral", unit="nm",
                        ground_truth=truth)
    path = tmp_path_factory.mktemp("imod") / "s.mrc"
    save_series(series, path)
    return path, series


def test_tlt_holds_imods_sign_and_loads_back_exactly(saved_blob_series):
    path, series = saved_blob_series
    tlt = np.array([float(line) for line in path.with_suffix(".tlt").read_text().split()])
    assert np.array_equal(tlt, -series.angles_deg)
    assert np.array_equal(load_series(path).angles_deg, series.angles_deg)


def test_imod_reconstruction_of_written_files_is_not_mirrored(saved_blob_series):
    """Read the files as IMOD does (stack + .tlt), back-project with IMOD's equations, compare with ``_truth.mrc``.

    The reconstruction must put the big blob in the (x > 0, z > 0) quadrant of
    the truth's layout and correlate better with the truth than with any of its
    mirror images (z flipped, x flipped, both); the margin is large (a mirrored
    blob does not overlap), so no tolerance is needed.
    """
    path, _ = saved_blob_series
    stack = mrcfile.read(path)
    tlt = np.array([float(line) for line in path.with_suffix(".tlt").read_text().split()])
    truth = mrcfile.read(path.with_name("s_truth.mrc"))
    recon = imod_backproject(stack, tlt, thickness=truth.shape[1])
    assert recon.shape == truth.shape
    _, z_peak, x_peak = np.unravel_index(np.argmax(recon), recon.shape)
    assert z_peak > (truth.shape[1] - 1) / 2 and x_peak > (truth.shape[2] - 1) / 2
    unmirrored = corr(recon, truth)
    assert unmirrored > 0.8
    for mirror in (truth[:, ::-1, :], truth[:, :, ::-1], truth[:, ::-1, ::-1]):
        assert unmirrored > corr(recon, mirror) + 0.5


def test_nanotomo_angles_as_is_would_mirror_z_in_imod(saved_blob_series):
    """The check above can fail: feeding IMOD our own sign reconstructs the z-mirror image."""
    path, series = saved_blob_series
    stack = mrcfile.read(path)
    truth = mrcfile.read(path.with_name("s_truth.mrc"))
    recon = imod_backproject(stack, series.angles_deg, thickness=truth.shape[1])
    assert corr(recon, truth[:, ::-1, :]) > corr(recon, truth) + 0.5


def test_imod_tilt_sign_is_its_own_inverse():
    angles = np.array([-70.0, -0.5, 0.0, 12.25])
    assert np.array_equal(imod_tilt_deg(imod_tilt_deg(angles)), angles)
    assert not np.signbit(imod_tilt_deg([0.0])[0])  # no "-0.0" in a .tlt


@given(st.lists(st.tuples(*[st.floats(-1e4, 1e4, allow_nan=False)] * 6), min_size=1, max_size=8))
def test_xf_text_round_trips_exactly(rows):
    transforms = np.array(rows, dtype=np.float64).reshape(-1, 6)[:, [0, 1, 4, 2, 3, 5]].reshape(-1, 2, 3)
    text = format_xf(transforms)
    assert "e" not in text.lower() and len(text.splitlines()) == len(rows)
    assert np.array_equal(parse_xf(text), transforms)


def test_xf_file_round_trip_and_layout(tmp_path):
    shifts = np.array([[1.5, -2.25], [0.0, 0.0], [-3.0, 4.0]])
    written = write_xf(xf_from_shifts(shifts), tmp_path / "t.xf")
    first = written.read_text().splitlines()[0].split()
    assert [float(v) for v in first] == [1.0, 0.0, 0.0, 1.0, 2.25, -1.5]  # A11 A12 A21 A22 DX DY
    back = read_xf(written)
    assert np.array_equal(back[:, 0, 2], -shifts[:, 1]) and np.array_equal(back[:, 1, 2], -shifts[:, 0])


def test_applying_the_xf_shift_recovers_the_unshifted_projections():
    """Project a phantom with known per-view shifts, then move each view by (DY, DX) of its .xf line.

    Integer shifts are exact for both the projector and ``scipy.ndimage.shift``
    (order 0), so the aligned views equal the unshifted ones wherever no
    content left the field of view (an 8 px border is excluded).
    """
    rng = np.random.default_rng(3)
    volume = np.zeros((24, 20, 24), np.float32)
    volume[6:18, 5:15, 7:17] = rng.random((12, 10, 10)).astype(np.float32)
    angles = [-50.0, 0.0, 35.0]
    shifts = np.array([[3.0, -2.0], [0.0, 4.0], [-5.0, 1.0]])
    raw = project(volume, angles, voxel_nm=1.0, shifts_px=shifts)
    reference = project(volume, angles, voxel_nm=1.0)
    xf = xf_from_shifts(shifts)
    for view in range(len(angles)):
        assert np.array_equal(xf[view, :, :2], np.eye(2))
        dx, dy = xf[view, 0, 2], xf[view, 1, 2]
        aligned = scipy.ndimage.shift(raw[view], (dy, dx), order=0)  # ndimage axes: (row = Y, col = X)
        np.testing.assert_allclose(aligned[8:-8, 8:-8], reference[view][8:-8, 8:-8], atol=1e-5)


def test_bad_xf_input_names_the_field(tmp_path):
    with pytest.raises(ValidationError, match="shifts_px"):
        xf_from_shifts([1.0, 2.0])
    with pytest.raises(ValidationError, match="transforms"):
        format_xf(np.ones((2, 3)))
    (tmp_path / "bad.xf").write_text("1 0 0 1 2\n")
    with pytest.raises(ValidationError, match="path"):
        read_xf(tmp_path / "bad.xf")
