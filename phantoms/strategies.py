"""Hypothesis strategies for ground truth: materials, primitives and small voxel phantoms.

For test authors who want "any sample" in their own property-based tests.
hypothesis is a test dependency, so ``phantoms`` never imports this module;
import it explicitly::

    from phantoms.strategies import materials, phantoms, primitives

Lengths are in nm, in the ``(row, z, x)`` frame of :mod:`phantoms.shapes`
(measured from the volume centre). Every object drawn went through the
validators of :mod:`phantoms`, so it is valid by construction.

Examples
--------
>>> from hypothesis import given, settings
>>> @settings(max_examples=5, deadline=None, database=None)
... @given(phantoms(max_shape=(6, 8, 8)))
... def check(phantom):
...     assert all(n <= m for n, m in zip(phantom.shape, (6, 8, 8)))
...     assert float(phantom.fractions.sum(axis=0).max()) <= 1 + 1e-6
>>> check()
"""

from __future__ import annotations

import math

import numpy as np
try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as error:  # a test dependency: say how to get it
    raise ImportError("phantoms.strategies needs hypothesis: pip install 'nanotomo[test]'") from error

from sim import validate
from sim.errors import ValidationError

from phantoms.library import MATERIALS, material
from phantoms.painter import Painter
from phantoms.registry import available, get, parameters
from phantoms.shapes import (
    Box,
    Cylinder,
    Ellipsoid,
    FacetedPlate,
    Shape,
    Shell,
    SiemensStar,
    Slab,
    Sphere,
    rotation_about,
)

PRIMITIVES = ("sphere", "shell", "ellipsoid", "box", "cylinder", "faceted_plate", "siemens_star")
"""Bounded shapes :func:`primitives` draws (the primitives of :mod:`phantoms.shapes`)."""

VOXEL_NM = (0.5, 5.0)
"""Range of voxel sizes [nm] :func:`phantoms` draws: atomic-scale STEM (~0.5 nm)
to hard-X-ray TXM pixels at the small end of their range (a few nm)."""

INSCRIBED_MARGIN_VOXELS = 1.25
"""Margin [voxels] between an inscribed phantom's sample and the grid's inscribed cylinder (≥ √2/2 + 1/2)."""

SUPERSAMPLE = 2
"""Sub-samples per voxel edge on the surfaces of drawn phantoms (cheap; see :func:`phantoms.raster.rasterize`)."""


def materials(names=None) -> st.SearchStrategy:
    """A :class:`~phantoms.material.Material` of the library (:data:`phantoms.library.MATERIALS`).

    ``names`` restricts the choice (each must be a library name).

    >>> from hypothesis import find
    >>> find(materials(("Au", "Si")), lambda m: m.name == "Au").density_g_cm3
    19.3
    """
    names = sorted(MATERIALS) if names is None else [material(name).name for name in names]
    if not names:
        raise ValidationError("names", names, f"one or more of {sorted(MATERIALS)}")
    return st.sampled_from(tuple(names)).map(material)


def _directions() -> st.SearchStrategy:
    """Unit 3-vectors ``(row, z, x)``, drawn through points of the cube away from its centre."""
    vectors = st.tuples(*(st.floats(-1.0, 1.0),) * 3).filter(lambda v: math.hypot(*v) > 0.25)
    return vectors.map(lambda v: tuple(np.asarray(v) / math.hypot(*v)))


def _rotations() -> st.SearchStrategy:
    """Rotation matrices: a turn of any angle [deg] about a drawn axis."""
    return st.builds(rotation_about, _directions(), st.floats(-180.0, 180.0))


def primitives(
    extent_nm=(32.0, 48.0, 48.0),
    *,
    min_radius_nm: float = 1.0,
    kinds=PRIMITIVES,
) -> st.SearchStrategy[Shape]:
    """One primitive shape of :mod:`phantoms.shapes` that lies wholly inside a box.

    Parameters
    ----------
    extent_nm : 3 floats
        Size ``(row, z, x)`` [nm] of the box centred on the origin that holds
        the shape (e.g. a phantom's ``extent_nm``).
    min_radius_nm : float
        Smallest circumscribed radius of the shape [nm] (keep it at least a
        voxel or the shape may paint nothing).
    kinds : sequence of str
        Which of :data:`PRIMITIVES` to draw.

    Returns
    -------
    strategy of Shape
        A shape whose circumscribed sphere (radius ``r`` [nm], from
        ``min_radius_nm`` to half the box's smallest side) lies inside the
        box, so every rotation of it does too; orientations are drawn.
    """
    extent = np.asarray(extent_nm, dtype=float)
    if extent.shape != (3,) or not np.all(np.isfinite(extent)) or np.any(extent <= 0):
        raise ValidationError("extent_nm", extent_nm, "3 finite lengths > 0 [nm] (row, z, x)")
    largest = float(extent.min()) / 2
    if not 0 < min_radius_nm <= largest:
        raise ValidationError("min_radius_nm", min_radius_nm, f"in (0, {largest:g}] nm: half the box's smallest side")
    unknown = [kind for kind in kinds if kind not in PRIMITIVES]
    if not kinds or unknown:
        raise ValidationError("kinds", kinds, f"a non-empty subset of {PRIMITIVES}")
    return _primitives(tuple(float(e) for e in extent), float(min_radius_nm), tuple(kinds))


@st.composite
def _primitives(draw, extent_nm, min_radius_nm, kinds) -> Shape:
    extent = np.array(extent_nm)
    largest = float(extent.min()) / 2
    radius = draw(st.floats(min_radius_nm, largest))
    room = extent / 2 - radius
    center = tuple(draw(st.floats(-float(h), float(h))) if h > 0 else 0.0 for h in room)
    kind = draw(st.sampled_from(kinds))
    fraction = st.floats(0.3, 1.0)
    if kind == "sphere":
        return Sphere(center, radius)
    if kind == "shell":
        return Shell(center, radius, radius * draw(st.floats(0.2, 0.9)))
    if kind == "ellipsoid":
        semi = tuple(radius * draw(fraction) for _ in range(3))
        return Ellipsoid(center, semi, draw(_rotations()))
    if kind == "box":
        # A box of edges a·(f1, f2, f3) has circumradius a·|f|/2; a = 2r/√3 keeps it <= r.
        edges = tuple(2 * radius / math.sqrt(3) * draw(fraction) for _ in range(3))
        return Box(center, edges, draw(_rotations()))
    if kind == "cylinder":
        # Circumradius sqrt(R² + (L/2)²) <= r with R = r·cos φ·f1, L/2 = r·sin φ·f2.
        angle = draw(st.floats(0.2, 1.3))
        cylinder_radius = radius * math.cos(angle) * draw(fraction)
        length = 2 * radius * math.sin(angle) * draw(fraction)
        return Cylinder(center, cylinder_radius, length, axis=draw(_directions()))
    if kind == "faceted_plate":
        # Mid-plane polygon circumradius (w/2)/cos(π/n); with the half thickness t/2 it stays <= r.
        n_sides = draw(st.integers(3, 8))
        thickness = radius * draw(st.floats(0.2, 0.8))
        polygon = math.sqrt(radius**2 - (thickness / 2) ** 2) * draw(fraction)
        width = 2 * polygon * math.cos(math.pi / n_sides)
        limit = math.degrees(math.atan(thickness / width))
        bevel = draw(st.floats(min(limit + 1.0, 90.0), 90.0))
        return FacetedPlate(center, width, thickness, bevel_deg=bevel, normal=draw(_directions()),
                            in_plane_deg=draw(st.floats(0.0, 360.0)), n_sides=n_sides)
    angle = draw(st.floats(0.2, 1.3))
    outer = radius * math.cos(angle)
    return SiemensStar(center, outer, outer * draw(st.floats(0.0, 0.8)), draw(st.integers(2, 12)),
                       2 * radius * math.sin(angle) * draw(fraction), axis=draw(_directions()))


def inscribed_radius_nm(grid_shape, voxel_nm: float) -> float:
    """Radius [nm] of the cylinder about the tilt axis that a full-range series sees whole.

    ``R = min(n_z, n_x)·voxel/2 − 1.25·voxel``: the cylinder inscribed in
    the grid, less the margin a partly filled voxel on its rim needs (half
    a voxel diagonal, √2/2) for its detector footprint (half a pixel wide
    either side of its centre, :mod:`sim.projector`) to stay on a detector
    of ``n_x`` pixels at every tilt.

    >>> inscribed_radius_nm((4, 8, 10), 2.0)
    5.5
    """
    return (min(grid_shape[1], grid_shape[2]) / 2 - INSCRIBED_MARGIN_VOXELS) * voxel_nm


def slabs(extent_nm=(32.0, 48.0, 48.0)) -> st.SearchStrategy:
    """An infinite :class:`~phantoms.shapes.Slab` (a film or lamella) through the box ``extent_nm`` [nm].

    Its centre lies in the box, its thickness [nm] is up to half the box's
    smallest side, its normal is drawn. Unbounded, so kept apart from
    :func:`primitives`.
    """
    extent = np.asarray(extent_nm, dtype=float)
    half = float(extent.min()) / 2
    centers = st.tuples(*(st.floats(-float(e) / 4, float(e) / 4) for e in extent))
    return st.builds(Slab, centers, _directions(), st.floats(half / 8, half))


def phantoms(
    max_shape=(16, 24, 24),
    *,
    min_shape=(2, 4, 4),
    voxel_nm=None,
    material_names=None,
    max_materials: int = 3,
    max_shapes: int = 4,
    voids: bool = True,
    inscribed: bool = False,
    square: bool = False,
) -> st.SearchStrategy:
    """A small :class:`~phantoms.phantom.Phantom`: a few primitives of drawn materials painted on a grid.

    Parameters
    ----------
    max_shape, min_shape : 3 ints
        Bounds on the grid ``(n_rows, n_z, n_x)`` [voxels].
    voxel_nm : float or None
        Voxel edge [nm]; None draws one in :data:`VOXEL_NM` (rounded to 0.001 nm).
    material_names : sequence of str, optional
        Library materials to draw from (default all of :data:`phantoms.library.MATERIALS`).
    max_materials : int
        Most materials in the phantom (distinct names; at least one).
    max_shapes : int
        Most shapes painted (at least one). The first is always a material
        (never a void), so the phantom is never empty.
    voids : bool
        Let later shapes be vacuum (pores, voids), cutting into earlier ones.
    inscribed : bool
        Keep every shape inside the cylinder about the tilt axis (the rows)
        of radius :func:`inscribed_radius_nm`, so that every view of a
        full-range series, on a detector as wide as the volume, sees all of
        the sample. Needs ``n_z, n_x >= 4``.
    square : bool
        ``n_z = n_x`` (square slices, as a tomogram from a full-range series
        usually is: every voxel is seen by every view).

    Returns
    -------
    strategy of Phantom
        ``name="drawn"``; ``params`` lists each shape's class and material
        (None for a void) and ``seed`` is None (hypothesis drew it).
    """
    max_shape, min_shape = (tuple(int(n) for n in s) for s in (max_shape, min_shape))
    if len(max_shape) != 3 or len(min_shape) != 3 or any(not 1 <= lo <= hi for lo, hi in zip(min_shape, max_shape)):
        raise ValidationError("min_shape/max_shape", (min_shape, max_shape), "3 sizes each, 1 <= min <= max [voxels]")
    if int(max_materials) != max_materials or max_materials < 1 or int(max_shapes) != max_shapes or max_shapes < 1:
        raise ValidationError("max_materials/max_shapes", (max_materials, max_shapes), "integers >= 1")
    if inscribed and min(min_shape[1:]) < 4:
        raise ValidationError("min_shape", min_shape, "n_z, n_x >= 4 voxels for an inscribed phantom")
    voxels = st.floats(*VOXEL_NM).map(lambda v: round(v, 3)) if voxel_nm is None else st.just(
        validate.positive("voxel_nm", voxel_nm, "nm"))
    names = tuple(sorted(MATERIALS) if material_names is None else (material(n).name for n in material_names))
    if not names:
        raise ValidationError("material_names", material_names, f"one or more of {sorted(MATERIALS)}")
    if square and max(min_shape[1:]) > min(max_shape[1:]):
        raise ValidationError("min_shape/max_shape", (min_shape, max_shape),
                              "a common size for n_z and n_x (square=True)")
    return _phantoms(min_shape, max_shape, voxels, names, int(max_materials), int(max_shapes), bool(voids),
                     bool(inscribed), bool(square))


@st.composite
def _phantoms(draw, min_shape, max_shape, voxels, names, max_materials, max_shapes, voids, inscribed, square):
    shape = tuple(draw(st.integers(lo, hi)) for lo, hi in zip(min_shape, max_shape))
    if square:
        side = draw(st.integers(max(min_shape[1:]), min(max_shape[1:])))
        shape = (shape[0], side, side)
    voxel = draw(voxels)
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=min(max_materials, len(names)), unique=True))
    extent = np.array(shape, dtype=float) * voxel
    if inscribed:
        # A box of half side R/√2 in (z, x) fits in the disc of radius R.
        side = math.sqrt(2) * inscribed_radius_nm(shape, voxel)
        extent = np.array([extent[0], side, side])
    smallest = min(voxel, float(extent.min()) / 2)
    painter = Painter(shape, voxel, [material(n) for n in chosen], supersample=SUPERSAMPLE)
    painted = []
    fills = st.sampled_from(chosen)
    for index in range(draw(st.integers(1, max_shapes))):
        solid = draw(_primitives(tuple(extent), smallest, PRIMITIVES))
        fill = draw(fills) if index == 0 or not voids else draw(st.one_of(fills, st.none()))
        painter.paint(solid, fill)
        painted.append({"shape": type(solid).__name__, "material": fill})
    phantom = painter.phantom("drawn", params={"shapes": painted}, seed=None)
    assume(float(phantom.fractions.max()) > 0)
    return phantom


COARSE = 8.0
"""Factor on a builder's default voxel for the cheap first build that measures its extent."""


def registered_phantoms(names=None, *, min_side: int = 8, max_side: int = 24) -> st.SearchStrategy:
    """A small instance of a registered (catalogue or plug-in) phantom.

    Each builder keeps its default physical parameters; only the voxel is
    coarsened (so the object keeps its size in nm) until the grid's largest
    side is at most a drawn ``side`` in [``min_side``, ``max_side``] [voxels];
    the seed is drawn; ``supersample`` is 2 and a grid-size parameter ``n``
    (``shepp_logan_3d``) is the side rounded down to an even number.

    Parameters
    ----------
    names : sequence of str, optional
        Registered phantom names (default: all of :func:`phantoms.available`).
    min_side, max_side : int
        Bounds on the largest grid side [voxels].

    Returns
    -------
    strategy of Phantom
        Built by :func:`phantoms.get`, so valid by construction.
    """
    registered = tuple(available())
    names = registered if names is None else tuple(names)
    unknown = [name for name in names if name not in registered]
    if not names or unknown:
        raise ValidationError("names", names, f"registered phantoms among {registered}")
    if isinstance(min_side, bool) or int(min_side) != min_side or not 8 <= min_side <= max_side:
        raise ValidationError("min_side/max_side", (min_side, max_side), "integers with 8 <= min_side <= max_side")
    return _registered(names, int(min_side), int(max_side))


@st.composite
def _registered(draw, names, min_side, max_side):
    name = draw(st.sampled_from(names))
    side = draw(st.integers(min_side, max_side))
    seed = draw(st.integers(0, 2**16))
    defaults = parameters(name)
    fixed = {key: value for key, value in (("supersample", 2), ("n", side - side % 2)) if key in defaults}
    coarse = get(name, **{**fixed, "voxel_nm": defaults["voxel_nm"] * COARSE, "seed": seed})
    voxel = coarse.voxel_nm * max(coarse.shape) / side
    for _ in range(3):
        phantom = get(name, **{**fixed, "voxel_nm": voxel, "seed": seed})
        if max(phantom.shape) <= side:
            return phantom
        voxel *= max(phantom.shape) / side
    raise ValidationError("max_side", side, f"a grid side {name!r} reaches by coarsening its voxel")
