"""Shapes and rasterisation: volumes against closed forms, the distance bound, booleans, validation."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phantoms import raster
from phantoms.raster import rasterize, rasterize_box
from phantoms.shapes import (
    Box,
    ConvexPolyhedron,
    Cylinder,
    Difference,
    Ellipsoid,
    FacetedPlate,
    Intersection,
    Shell,
    SiemensStar,
    Slab,
    Sphere,
    Union,
    frame_with_axis,
    random_rotations,
    rotation_about,
)
from sim.errors import ValidationError


def volume_nm3(shape, voxel, supersample=4):
    """Rasterised volume [nm³] on a grid just big enough for the shape's bounding box."""
    low, high = shape.bounds()
    reach = np.maximum(np.abs(low), np.abs(high))
    n = tuple(int(2 * math.ceil(r / voxel) + 4) for r in reach)
    occ = rasterize(shape, n, voxel, supersample=supersample)
    assert occ.dtype == np.float32 and occ.min() >= 0 and occ.max() <= 1
    return float(occ.sum(dtype=np.float64)) * voxel**3


@settings(max_examples=40, deadline=None)
@given(
    radius_vox=st.floats(3.0, 12.0),
    voxel=st.floats(0.3, 8.0),
    offset=st.tuples(*(st.floats(-1.0, 1.0),) * 3),
)
def test_sphere_volume_within_one_percent(radius_vox, voxel, offset):
    """4/3·π·r³ to < 1 % for radii of 3–12 voxels, any voxel size, off-grid centres."""
    radius = radius_vox * voxel
    shape = Sphere(np.array(offset) * voxel, radius)
    assert volume_nm3(shape, voxel) == pytest.approx(shape.volume_nm3, rel=0.01)


@pytest.mark.parametrize("supersample", [1, 2, 8])
def test_sphere_volume_other_supersampling(supersample):
    """Coarser sub-sampling is less exact but still unbiased on a 10-voxel sphere."""
    shape = Sphere((0.3, -0.2, 0.1), 10.0)
    tolerance = {1: 0.02, 2: 0.01, 8: 0.002}[supersample]
    assert volume_nm3(shape, 1.0, supersample=supersample) == pytest.approx(shape.volume_nm3, rel=tolerance)


def test_partial_volume_is_fractional_on_the_surface():
    occ = rasterize(Sphere((0, 0, 0), 6.3), (16, 16, 16), 1.0)
    edge = (occ > 0) & (occ < 1)
    assert edge.sum() > 100
    assert occ[8, 8, 8] == 1.0 and occ[0, 0, 0] == 0.0


ROT = rotation_about((1, 2, 3), 37.0)


@pytest.mark.parametrize(
    "shape",
    [
        Shell((0.4, 0, -0.3), 12.0, 7.5),
        Box((0.2, 0.1, -0.4), (6.0, 14.0, 9.0)),
        Box((0, 0, 0), (5.0, 17.0, 9.0), ROT),
        Cylinder((0.3, -0.3, 0), 6.0, 18.0, axis=(0, 0, 1)),
        Cylinder((0, 0.5, 0), 5.0, 16.0, axis=(1, 1, 2)),
        Ellipsoid((0.2, 0.0, -0.1), (12.0, 5.0, 8.0), ROT),
        FacetedPlate((0, 0, 0), width_nm=30.0, thickness_nm=8.0, bevel_deg=54.74),
        FacetedPlate((0, 0, 0), width_nm=24.0, thickness_nm=6.0, bevel_deg=90.0, normal=(1, 0, 1), in_plane_deg=10.0),
        SiemensStar((0, 0, 0), 20.0, 6.0, 12, 8.0, axis=(0, 1, 0)),
    ],
    ids=["shell", "box", "rotated-box", "cylinder", "oblique-cylinder", "ellipsoid", "knife-plate", "prism-plate", "star"],
)
def test_volume_matches_closed_form(shape):
    """Rasterised volume within 1 % of the exact one (1 nm voxels, shapes 6–40 nm across)."""
    assert volume_nm3(shape, 1.0) == pytest.approx(shape.volume_nm3, rel=0.01)


def test_slab_columns_hold_the_thickness():
    """An axis-aligned slab 7.3 voxels thick: every z-column sums to 7.3 (sub-sampling 1/4 per face)."""
    occ = rasterize(Slab((0, 0.35, 0), (0, 1, 0), 7.3), (3, 20, 5), 1.0)
    np.testing.assert_allclose(occ.sum(axis=1), 7.3, atol=0.13)
    assert np.all(occ[:, 0] == 0) and np.all(occ[:, -1] == 0)


def lens_volume(radius, distance):
    """Volume of the intersection of two equal spheres [nm³]."""
    return math.pi * (4 * radius + distance) * (2 * radius - distance) ** 2 / 12


def test_boolean_volumes():
    """Union, intersection and difference of two overlapping spheres against the lens formula."""
    r, d = 8.0, 6.0
    a, b = Sphere((0, 0, -d / 2), r), Sphere((0, 0, d / 2), r)
    lens = lens_volume(r, d)
    ball = a.volume_nm3
    assert volume_nm3(a & b, 0.5) == pytest.approx(lens, rel=0.01)
    assert volume_nm3(a | b, 0.5) == pytest.approx(2 * ball - lens, rel=0.01)
    assert volume_nm3(a - b, 0.5) == pytest.approx(ball - lens, rel=0.01)
    assert isinstance(a | b, Union) and isinstance(a & b, Intersection) and isinstance(a - b, Difference)
    assert len((a | b | Sphere((1, 1, 1), 1.0)).shapes) == 3  # unions flatten


def test_boolean_membership():
    a, b = Box((0, 0, 0), (4, 4, 4)), Sphere((0, 0, 2), 1.5)
    points = np.array([[0, 0, 0], [0, 0, 2.5], [0, 0, 3.0], [0, 0, -1.9]])
    r, z, x = points.T
    assert (a | b).inside(r, z, x).tolist() == [True, True, True, True]
    assert (a & b).inside(r, z, x).tolist() == [False, False, False, False]
    assert (a - b).inside(r, z, x).tolist() == [True, False, False, True]
    assert (a & b).inside(0, 0, 1.0) and not (a & b).inside(0, 0, 3.0)


def test_disjoint_intersection_rasterises_to_nothing():
    empty = Sphere((0, 0, -10), 2.0) & Sphere((0, 0, 10), 2.0)
    assert rasterize_box(empty, (16, 16, 16), 1.0) is None
    assert rasterize(empty, (16, 16, 16), 1.0).sum() == 0


def test_shape_outside_grid_gives_zero():
    assert rasterize_box(Sphere((0, 0, 100), 3.0), (10, 10, 10), 1.0) is None
    occ = rasterize(Sphere((0, 0, 100), 3.0), (10, 10, 10), 1.0)
    assert occ.shape == (10, 10, 10) and occ.sum() == 0


def test_rasterize_box_agrees_with_full_grid():
    shape = Ellipsoid((1.3, -2.0, 0.4), (3.0, 5.0, 2.5), ROT)
    full = rasterize(shape, (14, 18, 12), 1.0)
    region, occ = rasterize_box(shape, (14, 18, 12), 1.0)
    np.testing.assert_array_equal(full[region], occ)
    assert full.sum() == pytest.approx(occ.sum())


def test_clipped_shape_counts_only_the_part_in_the_grid():
    """A sphere centred on the grid's face: half of it is inside."""
    shape = Sphere((0, 0, 10.0), 6.0)
    occ = rasterize(shape, (20, 20, 20), 1.0)
    assert occ.sum() == pytest.approx(shape.volume_nm3 / 2, rel=0.01)


def test_grid_convention_voxel_centres():
    """Voxel i's centre sits at (i − (n − 1)/2)·voxel, as in sim.geometry: a box inside one voxel lands there only."""
    occ = rasterize(Box(((2 - 3.5) * 2.0, 0.0, (5 - 3.5) * 2.0), (1.9, 1.9, 1.9)), (8, 1, 8), 2.0)
    assert np.argwhere(occ > 0).tolist() == [[2, 0, 5]]


def random_primitives():
    rot = random_rotations(np.random.default_rng(4), 3)
    return [
        Sphere((1, 2, 3), 4.0),
        Shell((0, 0, 0), 5.0, 2.0),
        Ellipsoid((0, 1, 0), (6.0, 1.5, 3.0), rot[0]),
        Box((1, 0, -1), (2.0, 7.0, 4.0), rot[1]),
        Slab((0, 0, 0), (1, 1, 0), 3.0),
        Cylinder((0, 0, 1), 2.0, 9.0, axis=(1, -1, 2)),
        FacetedPlate((0, 0, 0), 12.0, 4.0, 40.0, normal=(0, 1, 1)),
        SiemensStar((0, 0, 0), 8.0, 2.0, 6, 5.0, axis=(0, 0, 1)),
    ]


PRIMITIVES = random_primitives()
COMBOS = [PRIMITIVES[0] | PRIMITIVES[2], PRIMITIVES[3] & PRIMITIVES[5], PRIMITIVES[6] - PRIMITIVES[0]]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_distance_bound_is_one_lipschitz(seed):
    """|sdf(p) − sdf(q)| ≤ |p − q| for every shape: the property the block/voxel classification relies on."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(-12, 12, (400, 3))
    q = p + rng.normal(0, rng.choice([0.05, 1.0, 5.0]), p.shape)
    gap = np.linalg.norm(p - q, axis=1)
    for shape in PRIMITIVES + COMBOS:
        change = np.abs(shape.sdf_points(p) - shape.sdf_points(q))
        assert np.all(change <= gap * (1 + 1e-9) + 1e-9), type(shape).__name__


def test_distance_bound_never_exceeds_true_distance_for_ellipsoid():
    """|sdf| ≤ distance to a dense sampling of the ellipsoid's surface (+ the sampling's own error)."""
    shape = PRIMITIVES[2]
    u, v = np.meshgrid(np.linspace(0, np.pi, 300), np.linspace(0, 2 * np.pi, 600), indexing="ij")
    body = np.stack([np.cos(u) * 6.0, np.sin(u) * np.cos(v) * 1.5, np.sin(u) * np.sin(v) * 3.0], -1).reshape(-1, 3)
    surface = body @ shape.rotation.T + np.array(shape.center_nm)
    points = np.random.default_rng(0).uniform(-8, 8, (60, 3))
    true = np.min(np.linalg.norm(points[:, None] - surface[None], axis=2), axis=1)
    assert np.all(np.abs(shape.sdf_points(points)) <= true + 0.04)  # sampling step <= 0.063 nm


def test_sdf_broadcasts_and_matches_points():
    shape = PRIMITIVES[3]
    row, z, x = np.arange(3.0)[:, None, None], np.arange(4.0)[None, :, None], np.arange(5.0)[None, None, :]
    grid = shape.sdf(row, z, x)
    points = np.stack(np.broadcast_arrays(row, z, x), -1).reshape(-1, 3)
    assert grid.shape == (3, 4, 5)
    np.testing.assert_array_equal(grid.ravel(), shape.sdf_points(points))
    assert shape.inside(row, z, x).dtype == bool


def test_bounds_contain_the_shape():
    rng = np.random.default_rng(2)
    for shape in PRIMITIVES[:4] + PRIMITIVES[5:] + COMBOS:
        low, high = shape.bounds()
        points = rng.uniform(low - 3, high + 3, (20000, 3))
        inside = shape.inside(*points.T)
        assert inside.any()
        assert np.all(points[inside] >= low - 1e-9) and np.all(points[inside] <= high + 1e-9)


def test_rotations():
    r = rotation_about((0, 0, 1), 90.0)
    np.testing.assert_allclose(r @ [1, 0, 0], [0, 1, 0], atol=1e-12)
    for m in random_rotations(np.random.default_rng(1), 5):
        np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(m) == pytest.approx(1.0)
    frame = frame_with_axis((0, 3, 4))
    np.testing.assert_allclose(frame[:, 0], [0, 0.6, 0.8])
    assert np.linalg.det(frame) == pytest.approx(1.0)


def test_ellipsoid_rotation_orients_the_long_axis():
    """Semi-axis a along the body's first axis, turned onto x: long along x in the raster."""
    occ = rasterize(Ellipsoid((0, 0, 0), (8.0, 2.0, 2.0), rotation_about((0, 1, 0), 90)), (20, 20, 20), 1.0)
    extent = [np.count_nonzero(occ.sum(axis=tuple(a for a in range(3) if a != k))) for k in range(3)]
    assert extent[2] > 2 * extent[0] and extent[2] > 2 * extent[1]


@pytest.mark.parametrize(
    "build, field",
    [
        (lambda: Sphere((0, 0, 0), -1.0), "radius_nm"),
        (lambda: Sphere((0, 0, float("nan")), 1.0), "center_nm"),
        (lambda: Sphere((0, 0), 1.0), "center_nm"),
        (lambda: Shell((0, 0, 0), 2.0, 3.0), "inner_radius_nm"),
        (lambda: Ellipsoid((0, 0, 0), (1.0, 0.0, 1.0)), "semi_axes_nm"),
        (lambda: Ellipsoid((0, 0, 0), (1.0, 1.0, 1.0), np.ones((3, 3))), "rotation"),
        (lambda: Ellipsoid((0, 0, 0), (1.0, 1.0, 1.0), -np.eye(3)), "rotation"),
        (lambda: Box((0, 0, 0), (1.0, 2.0)), "size_nm"),
        (lambda: Cylinder((0, 0, 0), 1.0, 2.0, axis=(0, 0, 0)), "axis"),
        (lambda: Slab((0, 0, 0), (0, 1, 0), 0.0), "thickness_nm"),
        (lambda: FacetedPlate((0, 0, 0), 10.0, 8.0, bevel_deg=20.0), "bevel_deg"),
        (lambda: FacetedPlate((0, 0, 0), 10.0, 2.0, n_sides=2), "n_sides"),
        (lambda: ConvexPolyhedron((0, 0, 0), np.eye(3), [1, 1, 1]), "normals.shape"),
        (lambda: ConvexPolyhedron((0, 0, 0), np.vstack([np.eye(3), -np.eye(3)]), [1, 1, 1, -2, 1, 1]), "offsets_nm"),
        (lambda: SiemensStar((0, 0, 0), 5.0, 6.0, 8, 1.0), "inner_radius_nm"),
        (lambda: Union(), "shapes"),
        (lambda: Union(Sphere((0, 0, 0), 1.0), "sphere"), "shapes"),
    ],
)
def test_bad_shape_parameters(build, field):
    with pytest.raises(ValidationError) as error:
        build()
    assert error.value.field == field and field in str(error.value)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(grid_shape=(0, 4, 4)), "grid_shape"),
        (dict(grid_shape=(4, 4)), "grid_shape"),
        (dict(grid_shape=(4.5, 4, 4)), "grid_shape"),
        (dict(voxel_nm=0.0), "voxel_nm"),
        (dict(voxel_nm=float("nan")), "voxel_nm"),
        (dict(supersample=3), "supersample"),
        (dict(shape="sphere"), "shape"),
    ],
)
def test_bad_raster_arguments(kwargs, field):
    args = dict(shape=Sphere((0, 0, 0), 2.0), grid_shape=(4, 4, 4), voxel_nm=1.0)
    args.update(kwargs)
    shape = args.pop("shape")
    with pytest.raises(ValidationError, match=field):
        rasterize(shape, **args)


def test_large_batches_are_split(monkeypatch):
    """Results do not depend on the batch size (memory bound) of the rasteriser."""
    shape = Ellipsoid((0.3, 0.1, 0), (9.0, 6.0, 7.0), ROT)
    reference = rasterize(shape, (22, 22, 22), 1.0)
    monkeypatch.setattr(raster, "BATCH_POINTS", 512)
    np.testing.assert_array_equal(rasterize(shape, (22, 22, 22), 1.0), reference)
