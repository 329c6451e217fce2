"""Stage motion applied to a projected field: exact sub-pixel shifts, mass-conserving drift blur."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ValidationError
from sim.motion import shift_and_blur


def gaussian(shape, centre, sigma=2.0):
    rows, cols = np.indices(shape)
    return np.exp(-((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2) / (2 * sigma**2)).astype(np.float32)


@settings(max_examples=25, deadline=None)
@given(st.floats(-6, 6), st.floats(-6, 6))
def test_shift_moves_a_band_limited_blob_exactly(d_row, d_col):
    """A σ = 2 px Gaussian is band-limited to float32 precision: the Fourier shift is exact to 1e-4."""
    moved = shift_and_blur(gaussian((40, 48), (20, 24)), (d_row, d_col))
    np.testing.assert_allclose(moved, gaussian((40, 48), (20 + d_row, 24 + d_col)), atol=1e-4)


@settings(max_examples=25, deadline=None)
@given(st.floats(-8, 8), st.floats(-8, 8))
def test_drift_blur_conserves_mass_and_spreads_along_the_drift(b_row, b_col):
    blob = gaussian((48, 48), (24, 24))
    blurred = shift_and_blur(blob, (0.0, 0.0), (b_row, b_col))
    assert blurred.sum() == pytest.approx(blob.sum(), rel=1e-5)
    rows, cols = np.indices(blob.shape)
    # uniform motion over b adds b²/12 to the second moment along it (variance of a uniform segment)
    var_col = (blurred * (cols - 24) ** 2).sum() / blurred.sum()
    var_row = (blurred * (rows - 24) ** 2).sum() / blurred.sum()
    assert var_col == pytest.approx(4.0 + b_col**2 / 12, abs=2e-2)
    assert var_row == pytest.approx(4.0 + b_row**2 / 12, abs=2e-2)


def test_what_leaves_the_field_does_not_wrap_around():
    image = np.zeros((8, 16), np.float32)
    image[:, 14] = 1.0
    assert np.abs(shift_and_blur(image, (0.0, 4.0))[:, :4]).max() < 1e-6


def test_non_finite_shift_is_refused():
    with pytest.raises(ValidationError, match="shift_px"):
        shift_and_blur(np.zeros((4, 4)), (np.nan, 0.0))
