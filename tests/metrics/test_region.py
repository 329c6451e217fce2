"""Region-of-interest scores: the sample mask, and RMSE/NRMSE/PSNR/SSIM restricted to it."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import nrmse, psnr, rmse, ssim
from metrics.region import nrmse_in, psnr_in, rmse_in, sample_mask, ssim_in
from sim import ValidationError, Volume

FAST = settings(max_examples=25, deadline=None, database=None)


def _cube():
    """A 12³ vacuum with an 6³ sample of value 2 in the middle."""
    truth = np.zeros((12, 12, 12))
    truth[3:9, 3:9, 3:9] = 2.0
    return truth


def test_sample_mask_default_threshold_and_dilation():
    truth = _cube()
    mask = sample_mask(truth)
    assert mask.sum() == 6**3
    # one face-connected dilation step adds the 6 faces (6·6² voxels), no edges or corners
    assert sample_mask(truth, dilate_voxels=1).sum() == 6**3 + 6 * 6**2
    assert sample_mask(Volume(truth.astype(np.float32), voxel_nm=1.0), threshold=1.0).sum() == 6**3
    # default threshold is 5 % of the max: a 0.09 tail (4.5 %) stays out, 0.11 (5.5 %) goes in
    truth[0, 0, 0], truth[0, 0, 1] = 0.09, 0.11
    assert not sample_mask(truth)[0, 0, 0] and sample_mask(truth)[0, 0, 1]


def test_roi_rmse_ignores_vacuum_errors():
    truth = _cube()
    mask = sample_mask(truth)
    result = truth.copy()
    result[~mask] = 5.0  # huge streaks in the vacuum
    result[mask] += np.where(np.arange(mask.sum()) % 2, 0.1, -0.1)  # ±0.1 in the sample
    assert rmse_in(result, truth, mask) == pytest.approx(0.1, rel=1e-12)
    assert rmse(result, truth) > 4.0
    # rms of truth in the sample is 2, range 0 is refused (constant truth inside the mask)
    assert nrmse_in(result, truth, mask) == pytest.approx(0.05, rel=1e-12)
    assert psnr_in(result, truth, mask, data_range=2.0) == pytest.approx(20 * math.log10(2.0 / 0.1), rel=1e-12)
    with pytest.raises(ValidationError, match="truth"):
        nrmse_in(result, truth, mask, "range")


@FAST
@given(st.integers(0, 2**32 - 1))
def test_full_mask_reproduces_whole_array_scores(seed):
    rng = np.random.default_rng(seed)
    truth = rng.random((9, 9, 9))
    result = truth + rng.normal(scale=0.1, size=truth.shape)
    full = np.ones(truth.shape, bool)
    assert rmse_in(result, truth, full) == pytest.approx(rmse(result, truth), rel=1e-12)
    assert nrmse_in(result, truth, full, "mean") == pytest.approx(nrmse(result, truth, "mean"), rel=1e-12)
    assert psnr_in(result, truth, full, data_range=1.0) == pytest.approx(psnr(result, truth, data_range=1.0), rel=1e-12)


def test_ssim_in_matches_skimage_map_on_the_interior():
    rng = np.random.default_rng(3)
    truth = rng.random((24, 24))
    result = truth + rng.normal(scale=0.2, size=truth.shape)
    # scikit-image's mean SSIM leaves out a border of (win − 1)/2 = 3 pixels: the same mask gives the same mean
    interior = np.zeros(truth.shape, bool)
    interior[3:-3, 3:-3] = True
    expected = ssim(result, truth, data_range=1.0)
    assert ssim_in(result, truth, interior, data_range=1.0) == pytest.approx(expected, rel=1e-12)
    assert ssim_in(truth, truth, interior, data_range=1.0) == pytest.approx(1.0, abs=1e-12)


def test_ssim_in_ignores_vacuum():
    rng = np.random.default_rng(0)
    truth = np.zeros((40, 40))
    truth[8:32, 8:32] = 1.0 + rng.random((24, 24))  # a textured sample in vacuum
    result = truth.copy()
    vacuum = ~sample_mask(truth)
    result[vacuum] = rng.normal(scale=0.5, size=vacuum.sum())  # streaks only outside the sample
    # the 7-pixel windows centred 3 or more pixels inside the sample see no vacuum: SSIM there is exactly 1
    core = np.zeros(truth.shape, bool)
    core[11:29, 11:29] = True
    assert ssim_in(result, truth, core, data_range=2.0) == pytest.approx(1.0, abs=1e-12)
    assert ssim(result, truth, data_range=2.0) < 0.9


@pytest.mark.parametrize(
    ("mask", "field"),
    [
        (np.zeros((4, 4), bool), "mask"),
        (np.ones((4, 5), bool), "mask.shape"),
        (np.ones((4, 4)), "mask.dtype"),
    ],
)
def test_bad_mask_names_the_field(mask, field):
    truth = np.ones((4, 4))
    with pytest.raises(ValidationError, match=field.replace(".", r"\.")):
        rmse_in(truth, truth, mask)


def test_bad_input_names_the_field():
    with pytest.raises(ValidationError, match="truth.shape"):
        rmse_in(np.ones(3), np.ones(4), np.ones(4, bool))
    with pytest.raises(ValidationError, match="dilate_voxels"):
        sample_mask(np.ones(3), dilate_voxels=-1)
    with pytest.raises(ValidationError, match="threshold"):
        sample_mask(np.ones(3), threshold=float("nan"))
    with pytest.raises(ValidationError, match="data_range"):
        ssim_in(np.ones((8, 8)), np.ones((8, 8)), np.ones((8, 8), bool), data_range=0.0)
