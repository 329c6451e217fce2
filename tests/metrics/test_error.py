"""RMSE, NRMSE and PSNR: closed forms on tiny arrays, agreement with scikit-image, bad input."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage.metrics import normalized_root_mse, peak_signal_noise_ratio

from metrics import nrmse, psnr, rmse
from sim import ValidationError, Volume

FAST = settings(max_examples=30, deadline=None, database=None)


def test_rmse_closed_form():
    # errors (0, 0, 0, 2): mean square 1
    assert rmse([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 6.0]) == 1.0
    # errors (3, 4) in 2-D: mean square (9 + 16)/2
    assert rmse([[3.0, 4.0]], [[0.0, 0.0]]) == pytest.approx(math.sqrt(12.5), rel=1e-15)


def test_nrmse_closed_form_each_normalization():
    truth = np.array([0.0, 0.0, 0.0, 4.0])  # rms 2, range 4, mean 1
    a = truth + np.array([1.0, -1.0, 1.0, -1.0])  # rmse 1
    assert nrmse(a, truth) == pytest.approx(0.5)
    assert nrmse(a, truth, "euclidean") == pytest.approx(0.5)
    assert nrmse(a, truth, "range") == pytest.approx(0.25)
    assert nrmse(a, truth, "mean") == pytest.approx(1.0)


def test_psnr_closed_form():
    truth = np.zeros((2, 2))
    a = np.array([[0.1, -0.1], [0.1, -0.1]])  # mse 0.01
    assert psnr(a, truth, data_range=1.0) == pytest.approx(20.0, abs=1e-12)
    assert psnr(a, truth, data_range=10.0) == pytest.approx(40.0, abs=1e-12)


def test_psnr_of_identical_arrays_is_infinite():
    truth = np.arange(6.0)
    assert psnr(truth, truth, data_range=5.0) == math.inf


def test_volumes_are_accepted_and_compared_in_float64():
    truth = Volume(np.zeros((2, 3, 4)), voxel_nm=1.0, unit="1/nm")
    rec = truth.with_data(np.full((2, 3, 4), 0.5))
    assert rmse(rec, truth) == 0.5
    assert rmse(rec, truth.data) == 0.5


@FAST
@given(seed=st.integers(0, 2**32 - 1), offset=st.floats(-100, 100), n=st.integers(1, 40))
def test_rmse_of_a_constant_offset_is_its_size(seed, offset, n):
    truth = np.random.default_rng(seed).normal(size=n)
    assert rmse(truth + offset, truth) == pytest.approx(abs(offset), rel=1e-9, abs=1e-12)


@FAST
@given(seed=st.integers(0, 2**32 - 1), shape=st.sampled_from([(5,), (3, 4), (2, 3, 4)]))
def test_agrees_with_scikit_image(seed, shape):
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.5, 2.0, size=shape)  # positive, so every normalization is defined
    a = truth + rng.normal(scale=0.1, size=shape)
    assert rmse(a, truth) == pytest.approx(rmse(truth, a), rel=1e-12)
    assert nrmse(a, truth, "euclidean") == pytest.approx(normalized_root_mse(truth, a), rel=1e-9)
    assert nrmse(a, truth, "range") == pytest.approx(
        normalized_root_mse(truth, a, normalization="min-max"), rel=1e-9)
    assert nrmse(a, truth, "mean") == pytest.approx(normalized_root_mse(truth, a, normalization="mean"), rel=1e-9)
    assert psnr(a, truth, data_range=3.0) == pytest.approx(peak_signal_noise_ratio(truth, a, data_range=3.0),
                                                           rel=1e-9)


def test_shape_mismatch_names_the_field():
    with pytest.raises(ValidationError, match=r"truth\.shape") as info:
        rmse(np.zeros((2, 3)), np.zeros((3, 2)))
    assert info.value.field == "truth.shape"
    for call in (lambda: nrmse(np.zeros(3), np.ones(4)), lambda: psnr(np.zeros(3), np.ones(4), data_range=1)):
        with pytest.raises(ValidationError, match=r"truth\.shape"):
            call()


@pytest.mark.parametrize("bad", [[np.nan, 1.0], [np.inf, 1.0]])
def test_non_finite_values_are_rejected(bad):
    with pytest.raises(ValidationError, match="^a ="):
        rmse(bad, [0.0, 0.0])


@pytest.mark.parametrize("bad", [np.zeros(0), np.array(["x", "y"]), np.array([1j, 2j]), np.array([True, False])])
def test_empty_complex_or_non_numeric_input_is_rejected(bad):
    with pytest.raises(ValidationError, match="^a"):
        rmse(bad, np.zeros(bad.shape))


def test_volumes_on_different_grids_are_not_compared():
    a = Volume(np.zeros((2, 2, 2)), voxel_nm=1.0)
    b = Volume(np.zeros((2, 2, 2)), voxel_nm=2.0)
    with pytest.raises(ValidationError, match=r"truth\.voxel_nm"):
        rmse(a, b)


def test_unknown_normalization_names_the_field():
    with pytest.raises(ValidationError, match="normalization = 'max'"):
        nrmse(np.ones(3), np.ones(3), "max")


@pytest.mark.parametrize(("truth", "normalization"), [
    (np.zeros(3), "euclidean"), (np.ones(3), "range"), (np.array([-1.0, 1.0]), "mean")])
def test_zero_normalising_scale_is_an_error(truth, normalization):
    with pytest.raises(ValidationError, match="^truth ="):
        nrmse(truth + 0.1, truth, normalization)


@pytest.mark.parametrize("data_range", [0.0, -1.0, math.nan, math.inf, "wide"])
def test_psnr_data_range_must_be_positive(data_range):
    with pytest.raises(ValidationError, match="^data_range ="):
        psnr(np.zeros(3), np.ones(3), data_range=data_range)


def test_psnr_data_range_is_required():
    with pytest.raises(TypeError, match="data_range"):
        psnr(np.zeros(3), np.ones(3))
