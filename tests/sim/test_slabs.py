"""Depth-resolved projection: slabs add up to the projector, conserve mass, and sit at the right depth."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.errors import ValidationError
from sim.slabs import project_slabs


@st.composite
def problems(draw):
    """A random small volume, angle, voxel and slab size, detector width and axis offset."""
    shape = tuple(draw(st.integers(1, 12)) for _ in range(3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    special = float(draw(st.sampled_from([0, 45, 90, 180, -90])))
    angle = float(rng.uniform(-360, 360)) if draw(st.booleans()) else special
    voxel = float(rng.uniform(0.2, 5))
    slab = voxel * float(rng.uniform(0.3, 6))
    n_cols = draw(st.integers(1, 20))
    offset = float(rng.normal(0, 2))
    return rng.random(shape, dtype=np.float32), angle, voxel, slab, n_cols, offset


@settings(max_examples=60, deadline=None)
@given(problems())
def test_slabs_sum_to_the_projection(problem):
    """Σ slabs = sim.project at that angle, to float32 rounding (1e-5 of the largest value: sums in another order)."""
    volume, angle, voxel, slab, n_cols, offset = problem
    slabs, depths = project_slabs(volume, angle, voxel_nm=voxel, slab_nm=slab, n_cols=n_cols, axis_offset_px=offset)
    projection = sim.project(volume, [angle], voxel_nm=voxel, n_cols=n_cols, axis_offset_px=offset)[0]
    assert slabs.dtype == np.float32 and slabs.shape[1:] == projection.shape == (volume.shape[0], n_cols)
    assert depths.shape == (slabs.shape[0],)
    scale = float(np.abs(projection).max()) + 1e-30
    np.testing.assert_allclose(slabs.sum(0), projection, rtol=0, atol=1e-5 * scale)


@settings(max_examples=30, deadline=None)
@given(problems())
def test_each_slab_is_the_projection_of_the_voxels_centred_in_it(problem):
    """Slab k = sim.project of the volume masked to voxels whose centre depth lies in slab k (full footprints)."""
    volume, angle, voxel, slab, n_cols, offset = problem
    slabs, depths = project_slabs(volume, angle, voxel_nm=voxel, slab_nm=slab, n_cols=n_cols, axis_offset_px=offset)
    _, n_z, n_x = volume.shape
    theta = math.radians(angle)
    z = (np.arange(n_z) - (n_z - 1) / 2)[:, None] * voxel
    x = (np.arange(n_x) - (n_x - 1) / 2)[None, :] * voxel
    w = -x * math.sin(theta) + z * math.cos(theta)
    upstream = depths[0] - slab / 2
    index = np.floor((w - upstream) / slab).astype(int)
    scale = float(slabs.max()) + 1e-30
    for k in range(slabs.shape[0]):
        masked = volume * (index == k)[None]
        expected = sim.project(masked, [angle], voxel_nm=voxel, n_cols=n_cols, axis_offset_px=offset)[0]
        np.testing.assert_allclose(slabs[k], expected, rtol=0, atol=1e-5 * scale)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 16), st.integers(1, 16), st.integers(1, 16))
def test_mass_is_conserved_and_slabs_cover_the_rotated_depth(seed, n_rows, n_z, n_x):
    """Every voxel's value × voxel lands in the slabs; the slabs tile (n_x|sin θ| + n_z|cos θ|)·voxel of depth."""
    rng = np.random.default_rng(seed)
    volume = rng.random((n_rows, n_z, n_x), dtype=np.float32)
    angle = float(rng.uniform(-180, 180))
    voxel, slab = 1.5, float(rng.uniform(0.5, 4))
    n_cols = int(np.ceil(np.hypot(n_z, n_x))) + 4
    slabs, depths = project_slabs(volume, angle, voxel_nm=voxel, slab_nm=slab, n_cols=n_cols)
    np.testing.assert_allclose(slabs.astype(np.float64).sum(), volume.astype(np.float64).sum() * voxel, rtol=1e-5)
    theta = math.radians(angle)
    depth_extent = (n_x * abs(math.sin(theta)) + n_z * abs(math.cos(theta))) * voxel
    assert slabs.shape[0] == max(1, math.ceil(depth_extent / slab - 1e-9))
    np.testing.assert_allclose(depths[0] - slab / 2, -depth_extent / 2, atol=1e-9)
    np.testing.assert_allclose(np.diff(depths), slab)


@pytest.mark.parametrize(
    ("angle", "z_index", "x_index", "depth"),
    [
        (0.0, 8, 4, 3.5),  # θ = 0: w = z; z = (8 − 4.5) voxels, so downstream of the centre
        (90.0, 4, 8, -3.5),  # θ = 90°: w = −x, so a voxel at +x is upstream
        (-90.0, 4, 8, 3.5),
        (30.0, 1, 7, -2.5 * 0.5 - 3.5 * math.sqrt(3) / 2),  # w = −x sin θ + z cos θ with x = 2.5, z = −3.5
    ],
)
def test_a_voxel_lands_in_the_slab_at_its_depth_along_the_beam(angle, z_index, x_index, depth):
    """A single voxel: one slab holds all of its mass, the one whose extent contains w = −x·sin θ + z·cos θ."""
    volume = np.zeros((2, 10, 10), np.float32)
    volume[:, z_index, x_index] = 1.0
    slab = 0.5
    slabs, depths = project_slabs(volume, angle, voxel_nm=1.0, slab_nm=slab, n_cols=20)
    occupied = np.flatnonzero(slabs.sum(axis=(1, 2)))
    assert occupied.size == 1
    assert abs(depths[occupied[0]] - depth) <= slab / 2 + 1e-9
    np.testing.assert_allclose(slabs[occupied[0]].sum(), 2.0, rtol=1e-6)  # 2 rows × 1 × 1 nm


def test_volume_object_supplies_the_voxel_size():
    """A Volume carries its voxel size; the result equals the bare-array call."""
    data = np.random.default_rng(3).random((3, 6, 5), dtype=np.float32)
    from_volume = project_slabs(sim.Volume(data, voxel_nm=2.0), 20.0, slab_nm=3.0)
    from_array = project_slabs(data, 20.0, voxel_nm=2.0, slab_nm=3.0)
    np.testing.assert_array_equal(from_volume[0], from_array[0])
    np.testing.assert_array_equal(from_volume[1], from_array[1])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(voxel_nm=1.0, slab_nm=0.0), "slab_nm"),
        (dict(voxel_nm=1.0, slab_nm=-2.0), "slab_nm"),
        (dict(slab_nm=1.0), "voxel_nm"),
        (dict(voxel_nm=1.0, slab_nm=1.0, n_cols=0), "n_cols"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(ValidationError, match=field):
        project_slabs(np.ones((2, 3, 3), np.float32), 10.0, **kwargs)


def test_bad_angle_names_the_field():
    with pytest.raises(ValidationError, match="angle_deg"):
        project_slabs(np.ones((2, 3, 3), np.float32), float("nan"), voxel_nm=1.0, slab_nm=1.0)
