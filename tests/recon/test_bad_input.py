"""Bad input to any registered method: a clear error naming the field, before any work."""

import inspect

import numpy as np
import pytest

import recon
import sim
from sim.errors import ValidationError

ANGLES = np.linspace(0, 180, 8, endpoint=False)
TRUTH = np.zeros((1, 8, 8), np.float32)
TRUTH[0, 3:5, 3:5] = 0.01
SERIES = sim.TiltSeries(sim.project(TRUTH, ANGLES, voxel_nm=1.0), angles_deg=ANGLES, pixel_nm=1.0,
                        values="line integral", unit="1", ground_truth=sim.Volume(TRUTH, voxel_nm=1.0))


def _methods_taking(keyword):
    return [name for name in recon.available()
            if keyword in inspect.signature(recon.get(name)).parameters]


def test_unknown_method_lists_the_available_ones():
    with pytest.raises(ValidationError) as error:
        recon.get("sirtt")
    assert "sirtt" in str(error.value)
    assert all(name in str(error.value) for name in recon.available())


def test_every_iterative_method_is_checked():
    assert {"sirt", "sart", "cgls", "tv", "astra-sirt", "astra-cgls"} <= set(_methods_taking("n_iter"))


@pytest.mark.parametrize("method", _methods_taking("n_iter"))
@pytest.mark.parametrize("n_iter", [0, -3, 2.5])
def test_n_iter_must_be_a_positive_integer(method, n_iter):
    params = {"grey_levels": [0.0, 0.01]} if "grey_levels" in inspect.signature(recon.get(method)).parameters else {}
    with pytest.raises(ValidationError, match="n_iter"):
        recon.get(method)(SERIES, n_iter=n_iter, progress=False, **params)


@pytest.mark.parametrize("method", _methods_taking("weight"))
@pytest.mark.parametrize("weight", [-0.1, float("nan"), float("inf")])
def test_regularisation_weight_must_be_finite_and_non_negative(method, weight):
    with pytest.raises(ValidationError, match="weight"):
        recon.get(method)(SERIES, weight=weight, progress=False)


def test_counts_are_refused_with_the_conversion_to_use():
    counts = SERIES.with_data(np.exp(-SERIES.data) * 1e3, values="counts", unit="")
    with pytest.raises(ValidationError, match="to_line_integrals"):
        recon.get("sirt")(counts, progress=False)
