"""CGLS and SART: monotone residuals, convergence to the truth, speed per sweep, bad input."""

import numpy as np
import pytest

import recon
import sim
from recon.cgls import cgls
from recon.sart import sart, subsets
from recon.sirt import sirt
from sim.errors import ValidationError

VOXEL_NM = 1.5


def _phantom(n=48):
    """Two smooth Gaussian blobs (μ up to ~0.02 /nm) inside a disc, shape (2, n, n)."""
    c = np.arange(n) - (n - 1) / 2
    z, x = np.meshgrid(c, c, indexing="ij")
    blob = 0.02 * np.exp(-((x - 4) ** 2 + (z + 3) ** 2) / (2 * 8**2))
    blob += 0.01 * np.exp(-((x + 8) ** 2 + (z - 6) ** 2) / (2 * 4**2))
    blob *= x**2 + z**2 < 20**2
    return np.repeat(blob[None], 2, axis=0).astype(np.float32)


def _series(truth, angles, data=None, dose=None):
    data = sim.project(truth, angles, voxel_nm=VOXEL_NM) if data is None else data
    return sim.TiltSeries(data, angles_deg=angles, pixel_nm=VOXEL_NM, values="line integral", unit="1",
                          dose_per_view=dose,
                          ground_truth=sim.Volume(truth, voxel_nm=VOXEL_NM, quantity="mu", unit="1/nm"))


TRUTH = _phantom()
FULL = np.linspace(-90, 90, 72, endpoint=False)   # full range, 2.5° steps (π/2·48 ≈ 75 views sample 48 px fully)
SERIES = _series(TRUTH, FULL)


def _nrmse(volume):
    return float(np.linalg.norm(volume.data - TRUTH) / np.linalg.norm(TRUTH))


def test_cgls_residual_never_increases():
    """‖b − A·x_k‖ is non-increasing (exact arithmetic); allow 1e-5 relative for float32 rounding.

    Measured: it falls at every step from 28.9 to 3.0e-3 in 40 iterations.
    """
    residuals = np.array(cgls(SERIES, n_iter=40, progress=False).metadata["residuals"])
    assert len(residuals) == 41
    assert np.all(residuals[1:] <= residuals[:-1] * (1 + 1e-5))
    assert residuals[-1] < 1e-3 * residuals[0]


def test_cgls_residual_recurrence_matches_the_true_residual():
    """The recurrence residual is the real ‖b − A·x‖: measured 8.86e-3 both (2.5e-6 relative); 0.1 % allowed for float32."""
    volume = cgls(SERIES, n_iter=20, progress=False)
    true = np.linalg.norm(SERIES.data - sim.project(volume.data, FULL, voxel_nm=VOXEL_NM))
    residuals = volume.metadata["residuals"]
    assert abs(true - residuals[-1]) < 1e-3 * residuals[-1]


def test_cgls_converges_to_the_truth():
    """Noise-free, full range, 72 views: NRMSE measured 0.0097 after 20 iterations (pinned at 0.015)."""
    volume = cgls(SERIES, n_iter=20, progress=False)
    assert volume.unit == "1/nm" and volume.metadata["method"] == "cgls"
    assert _nrmse(volume) < 0.015


def test_sart_converges_to_the_truth():
    """Noise-free, full range, one view per update: NRMSE measured 0.0039 after 5 sweeps (pinned at 0.006)."""
    volume = sart(SERIES, n_iter=5, progress=False)
    assert volume.unit == "1/nm" and volume.metadata["method"] == "sart"
    assert _nrmse(volume) < 0.006


def test_sart_needs_fewer_iterations_than_sirt():
    """SART with 12 subsets reaches SIRT's 50-iteration residual (0.059) after 5 sweeps (measured 0.048).

    Asserted loosely: within 10 sweeps, i.e. at least 5× fewer iterations.
    """
    target = sirt(SERIES, n_iter=50, progress=False).metadata["residuals"][-1]
    residuals = np.array(sart(SERIES, n_iter=10, n_subsets=12, progress=False).metadata["residuals"])
    assert residuals[-1] <= target


def test_sart_with_one_subset_is_sirt():
    """n_subsets = 1 is the SIRT update (same row and column sums): measured bit-identical; 1e-6 allowed."""
    a = sart(SERIES, n_iter=5, n_subsets=1, progress=False).data
    b = sirt(SERIES, n_iter=5, progress=False).data
    np.testing.assert_allclose(a, b, atol=1e-6 * np.abs(b).max())


def test_subsets_cover_every_view_once():
    views = np.concatenate(subsets(72, 7))
    assert sorted(views.tolist()) == list(range(72))


def test_cgls_dose_weighting_discounts_a_low_dose_view():
    """A view with a gross error but 1/1000 of the dose barely matters with W = diag(dose).

    Measured NRMSE after 20 iterations: 0.284 unweighted, 0.0100 weighted.
    """
    data = sim.project(TRUTH, FULL, voxel_nm=VOXEL_NM)
    data[10] += 0.5 * data.max()
    dose = np.ones(FULL.size)
    dose[10] = 1e-3
    plain = cgls(_series(TRUTH, FULL, data, dose), n_iter=20, progress=False)
    weighted = cgls(_series(TRUTH, FULL, data, dose), n_iter=20, dose_weighting=True, progress=False)
    assert _nrmse(weighted) < 0.5 * _nrmse(plain)
    assert _nrmse(weighted) < 0.03


@pytest.mark.parametrize("name, params", [("cgls", {}), ("sart", {"n_subsets": 6}), ("sirt", {}),
                                          ("dart", {"grey_levels": [0.0, 0.01, 0.02]})])
def test_callback_sees_every_iteration_with_the_error_against_the_truth(name, params):
    """Noise-free, full-range data: the RMSE against the truth the callback sees falls, and is the one of x it gets."""
    calls = []

    def callback(k, x, residual, truth_rmse):
        calls.append((k, residual, truth_rmse, float(np.sqrt(np.mean((x - TRUTH) ** 2, dtype=np.float64)))))

    volume = recon.get(name)(SERIES, n_iter=4, callback=callback, progress=False, **params)
    assert [c[0] for c in calls] == [0, 1, 2, 3]
    assert all(c[1] >= 0 for c in calls)
    errors = [c[2] for c in calls]
    np.testing.assert_allclose(errors, [c[3] for c in calls], rtol=1e-9)
    assert errors[-1] < errors[0]
    assert volume.metadata["truth_rmse"] == errors


def test_without_a_truth_the_callback_gets_none_and_nothing_is_recorded():
    calls = []
    bare = SERIES.with_data(SERIES.data, ground_truth=None)
    volume = cgls(bare, n_iter=2, callback=lambda k, x, r, e: calls.append(e), progress=False)
    assert calls == [None, None] and "truth_rmse" not in volume.metadata


@pytest.mark.parametrize(
    "method, params, field",
    [
        (cgls, {"n_iter": 0}, "n_iter"),
        (cgls, {"n_iter": 2.5}, "n_iter"),
        (cgls, {"dose_weighting": True}, "dose_weighting"),
        (sart, {"n_iter": 0}, "n_iter"),
        (sart, {"relaxation": 0.0}, "relaxation"),
        (sart, {"relaxation": 2.0}, "relaxation"),
        (sart, {"n_subsets": 0}, "n_subsets"),
        (sart, {"n_subsets": 73}, "n_subsets"),
    ],
)
def test_bad_input_names_the_field(method, params, field):
    with pytest.raises(ValidationError, match=field):
        method(SERIES, progress=False, **params)
