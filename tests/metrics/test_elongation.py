"""Measured elongation of a point image: 1 when isotropic, σ_z/σ_x for an elongated Gaussian, clear errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import point_elongation
from sim.errors import ValidationError

C = np.arange(65) - 32
Z, X = np.meshgrid(C, C, indexing="ij")


def _gaussian(sigma_z, sigma_x, dz=0, dx=0):
    return np.exp(-((X - dx) ** 2) / (2 * sigma_x**2) - (Z - dz) ** 2 / (2 * sigma_z**2))


@settings(max_examples=25, deadline=None)
@given(sigma=st.floats(1.0, 3.0), dz=st.integers(-10, 10), dx=st.integers(-10, 10))
def test_isotropic_point_reads_one_wherever_it_is(sigma, dz, dx):
    """A round blob anywhere in the slice: the ratio is 1 (to 1e-8, float rounding: the disc is symmetric in k_x and k_z)."""
    assert point_elongation(_gaussian(sigma, sigma, dz, dx)) == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("ratio", [1.3, 1.55, 2.1])
def test_elongated_gaussian_reads_its_axis_ratio(ratio):
    """σ_z = ratio·σ_x, σ_x = 3 voxels: the spectrum is inside the disc (exp(−2π²σ²k²) < 2e-5 at its edge), within 1 %.

    A narrower blob's spectrum is trimmed by the disc along k_x more than
    along k_z (σ_x = 1.5 reads 1.24 for 1.3): the measure is exact for an
    isotropic feature seen through a wedge, not for any anisotropic shape.
    """
    assert point_elongation(_gaussian(3.0 * ratio, 3.0)) == pytest.approx(ratio, rel=0.01)


def test_a_volume_uses_the_slice_through_the_feature():
    volume = np.zeros((5, 65, 65))
    volume[3] = _gaussian(3.0, 2.0, 4, -6)
    assert point_elongation(volume) == pytest.approx(point_elongation(volume[3]), rel=1e-12)
    assert point_elongation(volume, (3, 36, 26)) == pytest.approx(point_elongation(volume[3]), rel=1e-12)


@pytest.mark.parametrize("kwargs, field", [({"centre": (50, 3)}, "centre"), ({"k_max_per_voxel": 0.7}, "k_max_per_voxel")])
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(ValidationError, match=field):
        point_elongation(_gaussian(2.0, 2.0), **kwargs)


def test_an_image_without_a_point_is_refused():
    with pytest.raises(ValidationError, match="image"):
        point_elongation(-_gaussian(2.0, 2.0), (32, 32))
