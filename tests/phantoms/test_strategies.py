"""The public hypothesis strategies of ``phantoms``: valid materials, shapes inside their box, valid phantoms."""

import math

import numpy as np
import pytest
from hypothesis import given, settings

from phantoms.library import MATERIALS
from phantoms.phantom import SUM_TOLERANCE, Phantom
from phantoms.raster import rasterize
from phantoms.shapes import Shape, Slab
from phantoms.registry import available, parameters
from phantoms.strategies import (
    VOXEL_NM,
    inscribed_radius_nm,
    materials,
    phantoms,
    primitives,
    registered_phantoms,
    slabs,
)
from sim.errors import ValidationError

MANY = settings(max_examples=50, deadline=None)
EXTENT_NM = (20.0, 30.0, 40.0)


@MANY
@given(materials())
def test_materials_are_the_library_materials(drawn):
    assert MATERIALS[drawn.name] is drawn and drawn.density_g_cm3 > 0


@MANY
@given(materials(("Au", "Pt", "Si")))
def test_materials_can_be_restricted_by_name(drawn):
    assert drawn.name in ("Au", "Pt", "Si")


@MANY
@given(primitives(EXTENT_NM, min_radius_nm=2.0))
def test_primitives_lie_wholly_inside_their_box(shape):
    """Every drawn shape's bounding box fits the box (1e-9 nm: float rounding of the bounds)."""
    assert isinstance(shape, Shape)
    low, high = shape.bounds()
    half = np.array(EXTENT_NM) / 2
    assert np.all(low >= -half - 1e-9) and np.all(high <= half + 1e-9)


@MANY
@given(primitives(EXTENT_NM, min_radius_nm=2.0, kinds=("sphere", "shell", "box", "cylinder", "ellipsoid")))
def test_primitives_with_an_exact_volume_rasterise_to_it(shape):
    """The drawn shape is a real solid: its partial-volume occupancy sums to its exact volume.

    Tolerance: 15 % + 2 voxels of volume. The ramp rule of ``phantoms.raster`` leaves a
    curvature bias ~(h/R)², up to ~10 % for the smallest drawn shapes (radius ~ a voxel
    with supersample 2), and a shape thinner than a voxel along one axis adds up to a voxel.
    """
    voxel = 1.0
    occupancy = rasterize(shape, tuple(int(e / voxel) for e in EXTENT_NM), voxel, supersample=2)
    assert float(occupancy.sum()) * voxel**3 == pytest.approx(shape.volume_nm3, rel=0.15, abs=2.0 * voxel**3)


@MANY
@given(slabs(EXTENT_NM))
def test_slabs_are_valid_films_through_the_box(slab):
    assert isinstance(slab, Slab) and 0 < slab.thickness_nm <= min(EXTENT_NM) / 2
    assert np.all(np.abs(slab.center_nm) <= np.array(EXTENT_NM) / 4)


@MANY
@given(phantoms(max_shape=(6, 12, 10), max_materials=2))
def test_phantoms_are_valid_bounded_and_not_empty(phantom):
    assert isinstance(phantom, Phantom)
    assert all(2 <= n <= m for n, m in zip(phantom.shape, (6, 12, 10)))
    assert VOXEL_NM[0] <= phantom.voxel_nm <= VOXEL_NM[1]
    assert 1 <= len(phantom.materials) <= 2 and set(phantom.material_names) <= set(MATERIALS)
    fractions = phantom.fractions
    assert fractions.min() >= 0 and fractions.sum(axis=0).max() <= 1 + SUM_TOLERANCE
    assert fractions.max() > 0
    # The validators accept it again, and its physics is finite: μ >= 0 at 10 keV.
    Phantom(fractions, phantom.materials, phantom.voxel_nm)
    mu = phantom.mu_per_nm(10.0)
    assert mu.unit == "1/nm" and np.all(mu.data >= 0) and mu.data.max() > 0
    assert len(phantom.params["shapes"]) >= 1 and phantom.params["shapes"][0]["material"] is not None


@MANY
@given(phantoms(max_shape=(4, 16, 16), min_shape=(1, 8, 8), inscribed=True))
def test_inscribed_phantoms_stay_inside_the_cylinder_about_the_tilt_axis(phantom):
    """No material in a voxel whose nearest point lies beyond the radius R = min(n_z, n_x)·voxel/2 − 1.25·voxel."""
    n_rows, n_z, n_x = phantom.shape
    voxel = phantom.voxel_nm
    z = (np.arange(n_z) - (n_z - 1) / 2) * voxel
    x = (np.arange(n_x) - (n_x - 1) / 2) * voxel
    distance = np.hypot(z[:, None], x[None, :]) - voxel * math.sqrt(2) / 2  # nearest point of the voxel
    outside = distance > inscribed_radius_nm(phantom.shape, voxel)
    assert not np.any(phantom.fractions.sum(axis=0)[:, outside])


@MANY
@given(phantoms(max_shape=(4, 8, 8), voxel_nm=1.25, material_names=("Au", "a-C"), voids=False))
def test_fixed_voxel_and_materials_are_respected(phantom):
    assert phantom.voxel_nm == 1.25 and set(phantom.material_names) <= {"Au", "a-C"}
    assert all(entry["material"] in ("Au", "a-C") for entry in phantom.params["shapes"])


@settings(max_examples=30, deadline=None)
@given(registered_phantoms(min_side=8, max_side=20))
def test_registered_phantoms_are_small_coarsened_instances_of_the_catalogue(phantom):
    assert isinstance(phantom, Phantom) and phantom.name in available()
    assert max(phantom.shape) <= 20 and phantom.seed is not None
    if phantom.name != "shepp_logan_3d":  # its grid is its parameter n; the others keep their size in nm
        assert phantom.voxel_nm > parameters(phantom.name)["voxel_nm"]
    fractions = phantom.fractions
    assert fractions.min() >= 0 and fractions.sum(axis=0).max() <= 1 + SUM_TOLERANCE and fractions.max() > 0


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: materials(("Unobtainium",)), "material"),
        (lambda: primitives((10.0, 10.0)), "extent_nm"),
        (lambda: primitives(EXTENT_NM, min_radius_nm=50.0), "min_radius_nm"),
        (lambda: primitives(EXTENT_NM, kinds=("cone",)), "kinds"),
        (lambda: phantoms(max_shape=(0, 4, 4)), "min_shape/max_shape"),
        (lambda: phantoms(max_shapes=0), "max_materials/max_shapes"),
        (lambda: phantoms(voxel_nm=-1.0), "voxel_nm"),
        (lambda: phantoms(material_names=()), "material_names"),
        (lambda: phantoms(min_shape=(2, 3, 8), inscribed=True), "min_shape"),
        (lambda: phantoms(min_shape=(2, 4, 10), max_shape=(4, 12, 8), square=True), "min_shape/max_shape"),
        (lambda: registered_phantoms(("no_such_phantom",)), "names"),
        (lambda: registered_phantoms(min_side=4), "min_side/max_side"),
    ],
)
def test_bad_arguments_are_refused_when_the_strategy_is_built_naming_the_field(make, field):
    with pytest.raises(ValidationError) as error:
        make()
    assert error.value.field == field
