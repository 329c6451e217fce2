"""SSIM: the same number as scikit-image's structural_similarity, in 2-D and 3-D."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage.metrics import structural_similarity

from metrics import ssim
from sim import ValidationError, Volume

FAST = settings(max_examples=20, deadline=None, database=None)


@FAST
@given(seed=st.integers(0, 2**32 - 1), shape=st.sampled_from([(9, 12), (16, 16), (8, 9, 10), (7, 7, 7)]),
       noise=st.floats(0.0, 0.5))
def test_equals_scikit_image(seed, shape, noise):
    rng = np.random.default_rng(seed)
    truth = rng.random(shape)
    a = truth + rng.normal(scale=noise, size=shape)
    expected = structural_similarity(a, truth, data_range=1.0)
    assert ssim(a, truth, data_range=1.0) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_identical_inputs_score_one_and_more_noise_scores_lower():
    truth = np.random.default_rng(0).random((12, 12, 12))
    assert ssim(truth, truth, data_range=1.0) == pytest.approx(1.0)
    noise = np.random.default_rng(1).normal(size=truth.shape)
    values = [ssim(truth + sigma * noise, truth, data_range=1.0) for sigma in (0.05, 0.2, 0.5)]
    assert 1.0 > values[0] > values[1] > values[2] > 0.0


def test_volumes_are_accepted():
    data = np.random.default_rng(2).random((8, 10, 12)).astype(np.float32)
    truth = Volume(data, voxel_nm=1.0)
    rec = truth.with_data(data * 0.9)
    expected = structural_similarity(data.astype(np.float64) * np.float32(0.9).astype(np.float64),
                                     data.astype(np.float64), data_range=1.0)
    assert ssim(rec, truth, data_range=1.0) == pytest.approx(expected, rel=1e-6)


def test_thin_axis_uses_the_largest_odd_window_that_fits():
    """A lamella a few voxels thick: the window shrinks to fit it (documented), 4 → 3, 6 → 5."""
    rng = np.random.default_rng(3)
    for thickness, window in ((4, 3), (6, 5), (3, 3)):
        truth = rng.random((thickness, 16, 16))
        a = truth + rng.normal(scale=0.1, size=truth.shape)
        expected = structural_similarity(a, truth, data_range=1.0, win_size=window)
        assert ssim(a, truth, data_range=1.0) == pytest.approx(expected, rel=1e-12)


def test_explicit_window_is_passed_through():
    rng = np.random.default_rng(4)
    truth = rng.random((20, 20))
    a = truth + rng.normal(scale=0.1, size=truth.shape)
    expected = structural_similarity(a, truth, data_range=1.0, win_size=11)
    assert ssim(a, truth, data_range=1.0, win_size=11) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("win_size", [2, 4, 1, 21, 5.0, True])
def test_bad_window_names_the_field(win_size):
    with pytest.raises(ValidationError, match="^win_size ="):
        ssim(np.zeros((20, 20)), np.zeros((20, 20)), data_range=1.0, win_size=win_size)


def test_axis_too_short_for_any_window():
    with pytest.raises(ValidationError, match=r"^truth\.shape"):
        ssim(np.zeros((2, 16, 16)), np.zeros((2, 16, 16)), data_range=1.0)


def test_shape_mismatch_and_wrong_dimension_name_the_field():
    with pytest.raises(ValidationError, match=r"^truth\.shape"):
        ssim(np.zeros((8, 8)), np.zeros((8, 9)), data_range=1.0)
    with pytest.raises(ValidationError, match=r"^a\.shape"):
        ssim(np.zeros(8), np.zeros(8), data_range=1.0)


def test_data_range_is_required_and_checked():
    with pytest.raises(TypeError, match="data_range"):
        ssim(np.zeros((8, 8)), np.zeros((8, 8)))
    with pytest.raises(ValidationError, match="^data_range ="):
        ssim(np.zeros((8, 8)), np.zeros((8, 8)), data_range=0.0)
