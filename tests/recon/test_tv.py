"""TV-regularised reconstruction: least-squares limit, operator adjointness, the low-dose limited-angle win."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import metrics
import recon
import sim
from recon.tv import divergence, gradient, tv
from sim.errors import ValidationError


def test_zero_weight_converges_to_the_least_squares_solution(piecewise):
    """weight = 0, noise-free full-range data: TV-LSQ is plain least squares and recovers the truth.

    Measured with 60 views over 180° and 200 iterations: NRMSE 0.031 (SIRT,
    200 iterations: 0.058), the misfit ‖Ax − b‖²/(2·n_views·h) down by 5·10⁵
    from the first iterate. Pinned: NRMSE < 0.04, better than SIRT, and the
    misfit down by > 10⁴ (consistent data: the least-squares minimum is 0).
    """
    truth = piecewise.phantom()
    angles = np.linspace(0, 180, 60, endpoint=False)
    series = piecewise.series(truth, angles, sim.project(truth, angles, voxel_nm=piecewise.voxel_nm))
    result = tv(series, weight=0.0, n_iter=200, progress=False)
    reference = recon.get("sirt")(series, n_iter=200, progress=False)
    err = metrics.nrmse(result.data, truth)
    assert err < 0.04
    assert err < metrics.nrmse(reference.data, truth)
    objective = result.metadata["objective"]
    assert objective[-1] < 1e-4 * objective[0]


@settings(max_examples=25, deadline=None)
@given(arrays(np.float64, (2, 3, 4), elements=st.floats(-1, 1)),
       arrays(np.float64, (3, 2, 3, 4), elements=st.floats(-1, 1)))
def test_divergence_is_the_negative_adjoint_of_the_gradient(x, p):
    """⟨∇x, p⟩ = −⟨x, div p⟩ for any x, p (to float64 rounding)."""
    assert np.vdot(gradient(x), p) == pytest.approx(-np.vdot(x, divergence(p)), abs=1e-12)


def test_tv_beats_fbp_and_sirt_on_a_low_dose_limited_angle_piecewise_constant_object(piecewise):
    """The acceptance case: ±60°, I0 = 500 counts per pixel, 3 grey levels.

    Measured (mean SSIM of the two slices, data range 0.02 /nm; RMSE over
    truth > 0 in 1/nm), all methods at their defaults except TV's n_iter=200:
    FBP 0.226 / 0.00524, SIRT (50 iterations) 0.490 / 0.00297,
    TV (weight 1, the noise-balanced default) 0.580 / 0.00264.
    Asserted: TV's SSIM higher by 0.06 (measured 0.090 over SIRT), RMSE lower by
    5 % (measured 11 %).
    """
    truth = piecewise.phantom()
    series = piecewise.low_dose_series(truth)
    inside = truth > 0

    def scores(volume):
        ssim = np.mean([metrics.ssim(volume.data[i], truth[i], data_range=0.02) for i in range(2)])
        return ssim, metrics.rmse(volume.data[inside], truth[inside])

    tv_ssim, tv_rmse = scores(tv(series, n_iter=200, progress=False))
    for method, params in (("fbp", {}), ("sirt", {"progress": False})):
        ssim, rmse = scores(recon.get(method)(series, **params))
        assert tv_ssim > ssim + 0.06, method
        assert tv_rmse < 0.95 * rmse, method


def test_result_scales_with_the_data_because_weight_is_relative_to_the_noise(piecewise):
    """Multiplying b by c multiplies the estimated σ_b and the solution by c (weight is dimensionless)."""
    truth = piecewise.phantom(32)
    series = piecewise.low_dose_series(truth)
    scaled = piecewise.series(truth, series.angles_deg, series.data * np.float32(4.0))
    a = tv(series, n_iter=30, progress=False)
    b = tv(scaled, n_iter=30, progress=False)
    assert b.metadata["params"]["noise_sigma"] == pytest.approx(4 * a.metadata["params"]["noise_sigma"], rel=1e-6)
    # float32 arithmetic in the projector: agreement to ~1e-5 of the peak.
    np.testing.assert_allclose(b.data, 4 * a.data, atol=1e-4 * float(a.data.max()))


def test_callback_sees_every_iteration_and_the_objective_decreases(piecewise):
    truth = piecewise.phantom(32)
    series = piecewise.low_dose_series(truth)
    seen = []
    volume = tv(series, n_iter=40, progress=False, callback=lambda k, x, e, error: seen.append((k, e)))
    objective = volume.metadata["objective"]
    assert [k for k, _ in seen] == list(range(40))
    assert [e for _, e in seen] == objective
    assert objective[-1] < 0.5 * objective[0]
    assert volume.unit == "1/nm" and volume.metadata["method"] == "tv"
    assert volume.data.min() >= 0


@pytest.mark.parametrize(("field", "params"), [("weight", {"weight": -0.1}), ("n_iter", {"n_iter": 0}),
                                               ("n_iter", {"n_iter": 2.5}), ("noise_sigma", {"noise_sigma": -1.0})])
def test_bad_input_names_the_field(field, params, piecewise):
    truth = piecewise.phantom(16)
    series = piecewise.series(truth, np.array([0.0, 90.0]), sim.project(truth, [0.0, 90.0], voxel_nm=piecewise.voxel_nm))
    with pytest.raises(ValidationError, match=field):
        tv(series, progress=False, **params)


def test_weight_means_the_same_for_any_voxel_size(piecewise):
    """The same line integrals on a grid c times coarser give μ exactly c times smaller (float32 rounding)."""
    truth = piecewise.phantom(32)
    series = piecewise.low_dose_series(truth)
    coarse = sim.TiltSeries(series.data, angles_deg=series.angles_deg, pixel_nm=4 * piecewise.voxel_nm,
                            values="line integral", unit="1")
    a = tv(series, n_iter=30, progress=False)
    b = tv(coarse, n_iter=30, progress=False)
    np.testing.assert_allclose(4 * b.data, a.data, atol=1e-4 * float(a.data.max()))
    assert b.metadata["objective"][-1] == pytest.approx(a.metadata["objective"][-1] / 4, rel=1e-4)
