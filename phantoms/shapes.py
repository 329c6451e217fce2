"""Analytic solids for building phantoms: primitives and boolean combinations.

Coordinates
-----------
Every shape lives in the volume's frame: points are ``(row, z, x)`` in nm,
measured from the centre of the volume, in the axis order of ``sim.Volume``
(rows along the tilt axis; the beam runs along z at 0° tilt). A ``rotation``
is a 3×3 orthonormal matrix whose *columns* are the shape's own axes written
in ``(row, z, x)`` components, so a body point ``q`` sits at ``c + R·q``.

The distance bound
------------------
Each shape has ``sdf(row, z, x)`` (and ``sdf_points(points)`` for an
``(n, 3)`` array of ``(row, z, x)`` points, the fast path the rasteriser
uses): a signed distance *bound* [nm], negative inside and positive outside,
whose magnitude never exceeds the true distance to the surface (exact for
spheres, shells, boxes, cylinders and slabs; conservative for ellipsoids,
polyhedra and the Siemens star). ``inside`` is ``sdf <= 0``. The
bound lets :func:`phantoms.raster.rasterize` classify whole blocks of voxels as
fully inside or outside with one evaluation and sub-sample only the boundary.
Boolean operators keep the property: union = min, intersection = max,
difference = max(a, −b). Write ``a | b``, ``a & b`` and ``a - b``.

Examples
--------
>>> ball = Sphere((0, 0, 0), 10.0)
>>> hollow = ball - Sphere((0, 0, 0), 6.0)
>>> hollow.inside([0.0, 8.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 11.0]).tolist()
[False, True, False]
>>> round(hollow.sdf(0.0, 0.0, 12.0).item(), 6)
2.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from sim import validate
from sim.errors import ValidationError

from phantoms import _kernels

AXES = "(row, z, x)"


# --- orientation helpers -----------------------------------------------------------


def rotation_about(axis, angle_deg: float) -> np.ndarray:
    """Rotation matrix for a right-handed turn of ``angle_deg`` [deg] about ``axis``.

    ``axis`` is a vector in ``(row, z, x)`` components (need not be unit).

    >>> r = rotation_about((1, 0, 0), 90)
    >>> np.round(r @ [0, 1, 0], 12).tolist()    # z turns into x about the row axis
    [0.0, 0.0, 1.0]
    """
    u = _unit("axis", axis)
    angle = math.radians(validate.in_range("angle_deg", angle_deg, -36000, 36000, "deg"))
    k = np.array([[0, -u[2], u[1]], [u[2], 0, -u[0]], [-u[1], u[0], 0]])
    return np.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * (k @ k)


def random_rotations(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` rotation matrices drawn uniformly from SO(3), shape (n, 3, 3).

    Uses normalised Gaussian quaternions (uniform on the 3-sphere).

    >>> r = random_rotations(np.random.default_rng(0), 2)
    >>> bool(np.allclose(r[0] @ r[0].T, np.eye(3)))
    True
    """
    q = rng.standard_normal((int(n), 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    w, a, b, c = q.T
    return np.stack(
        [
            np.stack([1 - 2 * (b * b + c * c), 2 * (a * b - c * w), 2 * (a * c + b * w)], -1),
            np.stack([2 * (a * b + c * w), 1 - 2 * (a * a + c * c), 2 * (b * c - a * w)], -1),
            np.stack([2 * (a * c - b * w), 2 * (b * c + a * w), 1 - 2 * (a * a + b * b)], -1),
        ],
        axis=1,
    )


def random_directions(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` unit vectors drawn uniformly on the sphere, shape (n, 3)."""
    v = rng.standard_normal((int(n), 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def frame_with_axis(axis) -> np.ndarray:
    """A rotation whose first column is the unit vector along ``axis``.

    The other two columns are a fixed, deterministic choice (right-handed).
    """
    u = _unit("axis", axis)
    helper = np.eye(3)[int(np.argmin(np.abs(u)))]
    v = np.cross(u, helper)
    v /= np.linalg.norm(v)
    return np.stack([u, v, np.cross(u, v)], axis=1)


# --- the base class ----------------------------------------------------------------


class Shape:
    """A solid region of space.

    Subclasses supply :meth:`bounds` and either :meth:`sdf_points` (any
    vectorised code) or ``_kernel(points, out)`` (a numba kernel filling
    ``out``). The distance bound must have the right sign and never exceed
    the true distance to the surface (a 1-Lipschitz function does), or the
    rasteriser may misclassify whole blocks.
    """

    def sdf(self, row, z, x) -> np.ndarray:
        """Signed distance bound [nm]: < 0 inside, > 0 outside, |value| ≤ distance to the surface.

        ``row``, ``z``, ``x`` [nm] from the volume centre; any shapes that
        broadcast. Returns float64 of the broadcast shape.
        """
        arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (row, z, x)))
        points = np.stack([a.ravel() for a in arrays], axis=1)
        return self.sdf_points(points).reshape(arrays[0].shape)

    def sdf_points(self, points: np.ndarray) -> np.ndarray:
        """:meth:`sdf` at ``points``, a C-contiguous float64 array (n, 3) of ``(row, z, x)`` [nm]."""
        out = np.empty(points.shape[0])
        self._kernel(np.ascontiguousarray(points, dtype=np.float64), out)
        return out

    def _kernel(self, points: np.ndarray, out: np.ndarray) -> None:
        raise NotImplementedError

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned bounding box ``(low, high)``, each ``(row, z, x)`` [nm] (may be ±inf)."""
        raise NotImplementedError

    def inside(self, row, z, x) -> np.ndarray:
        """Boolean mask of the points ``(row, z, x)`` [nm] inside the shape (surface included)."""
        return np.asarray(self.sdf(row, z, x)) <= 0

    def __or__(self, other: "Shape") -> "Union":
        return Union(self, other)

    def __and__(self, other: "Shape") -> "Intersection":
        return Intersection(self, other)

    def __sub__(self, other: "Shape") -> "Difference":
        return Difference(self, other)


# --- primitives --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Sphere(Shape):
    """A ball of ``radius_nm`` [nm] centred at ``center_nm`` ``(row, z, x)`` [nm].

    >>> round(Sphere((0, 0, 0), 3.0).volume_nm3, 3)
    113.097
    """

    center_nm: tuple
    radius_nm: float

    def __post_init__(self):
        object.__setattr__(self, "center_nm", _point("center_nm", self.center_nm))
        object.__setattr__(self, "radius_nm", validate.positive("radius_nm", self.radius_nm, "nm"))

    @property
    def volume_nm3(self) -> float:
        """Exact volume 4/3·π·r³ [nm³]."""
        return 4 / 3 * math.pi * self.radius_nm**3

    def _kernel(self, points, out):
        _kernels.sphere(points, np.array(self.center_nm), self.radius_nm, out)

    def bounds(self):
        c = np.array(self.center_nm)
        return c - self.radius_nm, c + self.radius_nm


@dataclass(frozen=True, eq=False)
class Shell(Shape):
    """A hollow sphere: radii ``inner_radius_nm`` < r ≤ ``outer_radius_nm`` [nm].

    >>> round(Shell((0, 0, 0), 2.0, 1.0).volume_nm3, 4)    # 4/3·π·(8 − 1)
    29.3215
    """

    center_nm: tuple
    outer_radius_nm: float
    inner_radius_nm: float

    def __post_init__(self):
        object.__setattr__(self, "center_nm", _point("center_nm", self.center_nm))
        outer = validate.positive("outer_radius_nm", self.outer_radius_nm, "nm")
        inner = validate.in_range("inner_radius_nm", self.inner_radius_nm, 0.0, outer, "nm")
        if inner >= outer:
            raise ValidationError("inner_radius_nm", inner, f"< outer_radius_nm = {outer} nm")
        object.__setattr__(self, "outer_radius_nm", outer)
        object.__setattr__(self, "inner_radius_nm", inner)

    @property
    def volume_nm3(self) -> float:
        """Exact volume 4/3·π·(r_out³ − r_in³) [nm³]."""
        return 4 / 3 * math.pi * (self.outer_radius_nm**3 - self.inner_radius_nm**3)

    def _kernel(self, points, out):
        _kernels.shell(points, np.array(self.center_nm), self.outer_radius_nm, self.inner_radius_nm, out)

    def bounds(self):
        c = np.array(self.center_nm)
        return c - self.outer_radius_nm, c + self.outer_radius_nm


@dataclass(frozen=True, eq=False)
class Ellipsoid(Shape):
    """An ellipsoid with semi-axes ``semi_axes_nm`` [nm] along the columns of ``rotation``.

    The distance bound is ``a_min·(|q/a| − 1)`` (exact sign, 1-Lipschitz).

    >>> e = Ellipsoid((0, 0, 0), (4.0, 2.0, 1.0), rotation_about((0, 1, 0), 90))
    >>> [float(v) for v in e.bounds()[1]]      # the row axis turned onto x
    [1.0, 2.0, 4.0]
    """

    center_nm: tuple
    semi_axes_nm: tuple
    rotation: np.ndarray | None = None

    def __post_init__(self):
        object.__setattr__(self, "center_nm", _point("center_nm", self.center_nm))
        object.__setattr__(self, "semi_axes_nm", _lengths("semi_axes_nm", self.semi_axes_nm))
        object.__setattr__(self, "rotation", _rotation(self.rotation))

    @property
    def volume_nm3(self) -> float:
        """Exact volume 4/3·π·a·b·c [nm³]."""
        a, b, c = self.semi_axes_nm
        return 4 / 3 * math.pi * a * b * c

    def _kernel(self, points, out):
        _kernels.ellipsoid(points, np.array(self.center_nm), self.rotation, np.array(self.semi_axes_nm), out)

    def bounds(self):
        c = np.array(self.center_nm)
        half = np.sqrt(((self.rotation * np.array(self.semi_axes_nm)) ** 2).sum(axis=1))
        return c - half, c + half


@dataclass(frozen=True, eq=False)
class Box(Shape):
    """A rectangular box with full edge lengths ``size_nm`` [nm] along the columns of ``rotation``.

    >>> Box((0, 0, 0), (2.0, 4.0, 6.0)).volume_nm3
    48.0
    """

    center_nm: tuple
    size_nm: tuple
    rotation: np.ndarray | None = None

    def __post_init__(self):
        object.__setattr__(self, "center_nm", _point("center_nm", self.center_nm))
        object.__setattr__(self, "size_nm", _lengths("size_nm", self.size_nm))
        object.__setattr__(self, "rotation", _rotation(self.rotation))

    @property
    def volume_nm3(self) -> float:
        """Exact volume a·b·c [nm³]."""
        return float(np.prod(self.size_nm))

    def _kernel(self, points, out):
        _kernels.box(points, np.array(self.center_nm), self.rotation, 0.5 * np.array(self.size_nm), out)

    def bounds(self):
        c = np.array(self.center_nm)
        half = (np.abs(self.rotation) * (0.5 * np.array(self.size_nm))).sum(axis=1)
        return c - half, c + half


@dataclass(frozen=True, eq=False)
class Slab(Shape):
    """The infinite slab ``|n·(p − c)| ≤ thickness/2`` with unit normal ``normal``.

    >>> s = Slab((0, 0, 0), normal=(0, 1, 0), thickness_nm=10.0)
    >>> s.inside(0.0, [4.0, 6.0], 1e6).tolist()
    [True, False]
    """

    center_nm: tuple
    normal: tuple
    thickness_nm: float

    def __post_init__(self):
        object.__setattr__(self, "center_nm", _point("center_nm", self.center_nm))
        object.__setattr__(self, "normal", tuple(float(v) for v in _unit("normal", self.normal)))
        object.__setattr__(self, "thickness_nm", validate.positive("thickness_nm", self.thickness_nm, "nm"))

    def _kernel(self, points, out):
        _kernels.slab(points, np.array(self.center_nm), np.array(self.normal), 0.5 * self.thickness_nm, out)

    def bounds(self):
        c = np.array(self.center_nm)
        n = np.array(self.normal)
        axis = np.abs(n) == 1.0
        half = np.where(axis, 0.5 * self.thickness_nm, np.inf)
        return c - half, c + half


@dataclass(frozen=True, eq=False)
class Cylinder(Shape):
    """A finite solid cylinder: ``radius_nm``, full ``length_nm`` [nm] along ``axis``.

    >>> round(Cylinder((0, 0, 0), 1.0, 2.0, axis=(0, 0, 1)).volume_nm3, 4)
    6.2832
    """

    center_nm: tuple
    radius_nm: float
    length_nm: float
    axis: tuple = (1.0, 0.0, 0.0)

    def __post_init__(self):
        object.__setattr__(self, "center_nm", _point("center_nm", self.center_nm))
        object.__setattr__(self, "radius_nm", validate.positive("radius_nm", self.radius_nm, "nm"))
        object.__setattr__(self, "length_nm", validate.positive("length_nm", self.length_nm, "nm"))
        object.__setattr__(self, "axis", tuple(float(v) for v in _unit("axis", self.axis)))

    @property
    def volume_nm3(self) -> float:
        """Exact volume π·r²·L [nm³]."""
        return math.pi * self.radius_nm**2 * self.length_nm

    def _kernel(self, points, out):
        _kernels.cylinder(points, np.array(self.center_nm), np.array(self.axis), self.radius_nm, 0.5 * self.length_nm, out)

    def bounds(self):
        c = np.array(self.center_nm)
        u = np.array(self.axis)
        half = np.abs(u) * 0.5 * self.length_nm + self.radius_nm * np.sqrt(np.clip(1 - u * u, 0.0, 1.0))
        return c - half, c + half


class ConvexPolyhedron(Shape):
    """The intersection of half-spaces ``n_i·(p − c) ≤ d_i`` (unit normals, ``d_i`` [nm]).

    The distance bound is ``max_i(n_i·(p − c) − d_i)``: exact inside, a lower
    bound outside.

    Parameters
    ----------
    center_nm : (3,) ``(row, z, x)`` [nm]
        Origin of the half-space offsets.
    normals : (k, 3)
        Outward face normals in ``(row, z, x)`` components (normalised here).
    offsets_nm : (k,)
        Distance of each face plane from the centre along its normal [nm].

    >>> cube = ConvexPolyhedron((0, 0, 0), np.vstack([np.eye(3), -np.eye(3)]), [1.0] * 6)
    >>> cube.inside([0.0, 0.0], [0.9, 1.1], [0.0, 0.0]).tolist()
    [True, False]
    >>> [float(v) for v in cube.bounds()[1]]
    [1.0, 1.0, 1.0]
    """

    def __init__(self, center_nm, normals, offsets_nm):
        self.center_nm = _point("center_nm", center_nm)
        normals = np.asarray(normals, dtype=float)
        if normals.ndim != 2 or normals.shape[1] != 3 or normals.shape[0] < 4:
            raise ValidationError("normals.shape", normals.shape, "(k, 3) with k >= 4 face normals (row, z, x)")
        lengths = np.linalg.norm(normals, axis=1)
        if not np.all(np.isfinite(normals)) or np.any(lengths == 0):
            raise ValidationError("normals", "<zero or non-finite normal>", "finite, non-zero face normals")
        offsets = np.asarray(offsets_nm, dtype=float)
        if offsets.shape != (normals.shape[0],) or not np.all(np.isfinite(offsets)):
            raise ValidationError("offsets_nm", offsets_nm, f"{normals.shape[0]} finite offsets [nm], one per face")
        self.normals = validate.frozen(normals / lengths[:, None])
        self.offsets_nm = validate.frozen(offsets)
        self._bounds = self._solve_bounds()

    def _kernel(self, points, out):
        _kernels.polyhedron(points, np.array(self.center_nm), self.normals, self.offsets_nm, out)

    def bounds(self):
        return self._bounds[0].copy(), self._bounds[1].copy()

    def _solve_bounds(self):
        low, high = np.empty(3), np.empty(3)
        for axis in range(3):
            for sign, target in ((1.0, low), (-1.0, high)):
                cost = np.zeros(3)
                cost[axis] = sign
                result = linprog(cost, A_ub=self.normals, b_ub=self.offsets_nm, bounds=[(None, None)] * 3, method="highs")
                if result.status == 2:
                    raise ValidationError("offsets_nm", list(self.offsets_nm), "half-spaces whose intersection is not empty")
                target[axis] = result.x[axis] if result.status == 0 else -sign * np.inf
        if np.any(high - low <= 0):
            raise ValidationError("offsets_nm", list(self.offsets_nm), "half-spaces enclosing a solid of non-zero volume")
        c = np.array(self.center_nm)
        return c + low, c + high


class FacetedPlate(ConvexPolyhedron):
    """A regular polygonal plate (default hexagonal) with bevelled, knife-edge sides.

    In the plate's mid-plane the polygon has flat-to-flat width ``width_nm``
    [nm]; the basal faces lie at ±``thickness_nm``/2 along ``normal``. Each
    side is two facets (one from each basal face) inclined by ``bevel_deg``
    to the basal plane that meet in a knife edge in the mid-plane; ``bevel_deg
    = 90`` gives straight (prismatic) sides. The basal faces shrink to a
    flat-to-flat width of ``width_nm − thickness_nm·cot(bevel_deg)``, which must
    stay positive.

    Parameters
    ----------
    center_nm : ``(row, z, x)`` [nm]
    width_nm : float
        Flat-to-flat width in the mid-plane [nm].
    thickness_nm : float
        Plate thickness [nm].
    bevel_deg : float
        Angle between each bevel facet and the basal plane [deg], in (0, 90].
    normal : vector
        Plate normal in ``(row, z, x)`` components. Default along z (a plate
        lying flat, seen face-on at 0° tilt).
    in_plane_deg : float
        Turn of the polygon about the normal [deg].
    n_sides : int
        Number of sides (≥ 3).

    >>> p = FacetedPlate((0, 0, 0), width_nm=100.0, thickness_nm=20.0, bevel_deg=45.0)
    >>> p.inside(0.0, [0.0, 9.0, 9.0], [49.0, 0.0, 45.0]).tolist()   # thin near the knife edge
    [True, True, False]
    """

    def __init__(self, center_nm, width_nm, thickness_nm, bevel_deg=35.0, normal=(0.0, 1.0, 0.0), in_plane_deg=0.0, n_sides=6):
        width = validate.positive("width_nm", width_nm, "nm")
        thickness = validate.positive("thickness_nm", thickness_nm, "nm")
        bevel = validate.in_range("bevel_deg", bevel_deg, 1e-3, 90.0, "deg")
        if int(n_sides) != n_sides or n_sides < 3:
            raise ValidationError("n_sides", n_sides, "an integer >= 3")
        in_plane_deg = validate.in_range("in_plane_deg", in_plane_deg, -360.0, 360.0, "deg")
        apothem = width / 2
        inset = 0.0 if bevel == 90.0 else (thickness / 2) / math.tan(math.radians(bevel))
        if inset >= apothem:
            limit = math.degrees(math.atan(thickness / width))
            raise ValidationError("bevel_deg", bevel_deg, f"> {limit:.3f} deg so the basal faces keep a positive width")
        frame = frame_with_axis(normal)
        axis, e1, e2 = frame[:, 0], frame[:, 1], frame[:, 2]
        normals, offsets = [axis, -axis], [thickness / 2, thickness / 2]
        alpha = math.radians(bevel)
        for k in range(int(n_sides)):
            phi = math.radians(in_plane_deg) + 2 * math.pi * k / n_sides
            radial = math.cos(phi) * e1 + math.sin(phi) * e2
            if bevel == 90.0:
                normals.append(radial)
                offsets.append(apothem)
            else:
                for side in (axis, -axis):
                    normals.append(math.sin(alpha) * radial + math.cos(alpha) * side)
                    offsets.append(apothem * math.sin(alpha))
        super().__init__(center_nm, np.array(normals), offsets)
        self.width_nm, self.thickness_nm, self.bevel_deg = width, thickness, bevel
        self.normal, self.n_sides = tuple(axis), int(n_sides)

    @property
    def volume_nm3(self) -> float:
        """Exact volume [nm³]: two frusta of a regular polygon (prism if ``bevel_deg`` = 90)."""
        n = self.n_sides
        area_factor = n * math.tan(math.pi / n)  # area = factor · apothem²
        a0 = self.width_nm / 2
        inset = 0.0 if self.bevel_deg == 90.0 else (self.thickness_nm / 2) / math.tan(math.radians(self.bevel_deg))
        a1 = a0 - inset
        h = self.thickness_nm / 2
        frustum = h / 3 * area_factor * (a0 * a0 + a0 * a1 + a1 * a1)
        return 2 * frustum


class SiemensStar(Shape):
    """A Siemens star: ``n_spokes`` wedge spokes (50 % duty) in a ring, extruded along ``axis``.

    The spokes fill the annulus ``inner_radius_nm ≤ ρ ≤ outer_radius_nm`` [nm]
    in the plane perpendicular to ``axis``, over ``length_nm`` [nm] along it.
    Spoke ``k`` is centred on the in-plane angle ``2πk/n_spokes`` measured from
    the second column of :func:`frame_with_axis` towards the third, so the
    local period (one spoke plus one gap) at radius ρ is ``2πρ/n_spokes``.

    >>> star = SiemensStar((0, 0, 0), outer_radius_nm=50.0, inner_radius_nm=10.0, n_spokes=8, length_nm=4.0)
    >>> round(star.pitch_nm(10.0), 3), round(star.pitch_nm(50.0), 3)
    (7.854, 39.27)
    >>> round(star.volume_nm3)        # half the annulus, 4 nm long
    15080
    """

    def __init__(self, center_nm, outer_radius_nm, inner_radius_nm, n_spokes, length_nm, axis=(1.0, 0.0, 0.0)):
        self.center_nm = _point("center_nm", center_nm)
        self.outer_radius_nm = validate.positive("outer_radius_nm", outer_radius_nm, "nm")
        self.inner_radius_nm = validate.in_range("inner_radius_nm", inner_radius_nm, 0.0, self.outer_radius_nm, "nm")
        if self.inner_radius_nm >= self.outer_radius_nm:
            raise ValidationError("inner_radius_nm", inner_radius_nm, f"< outer_radius_nm = {self.outer_radius_nm} nm")
        if int(n_spokes) != n_spokes or n_spokes < 2:
            raise ValidationError("n_spokes", n_spokes, "an integer >= 2")
        self.n_spokes = int(n_spokes)
        self.length_nm = validate.positive("length_nm", length_nm, "nm")
        self.frame = validate.frozen(frame_with_axis(axis))

    def pitch_nm(self, radius_nm: float) -> float:
        """Local period (spoke + gap) at ``radius_nm`` [nm]: 2πρ/n_spokes [nm]."""
        return 2 * math.pi * float(radius_nm) / self.n_spokes

    @property
    def volume_nm3(self) -> float:
        """Exact volume: half the annulus times the length [nm³]."""
        return 0.5 * math.pi * (self.outer_radius_nm**2 - self.inner_radius_nm**2) * self.length_nm

    def _kernel(self, points, out):
        _kernels.siemens_star(
            points, np.array(self.center_nm), self.frame, self.outer_radius_nm, self.inner_radius_nm,
            self.n_spokes, 0.5 * self.length_nm, out,
        )

    def bounds(self):
        c = np.array(self.center_nm)
        u = self.frame[:, 0]
        half = np.abs(u) * 0.5 * self.length_nm + self.outer_radius_nm * np.sqrt(np.clip(1 - u * u, 0.0, 1.0))
        return c - half, c + half


# --- boolean combinations ----------------------------------------------------------


class Union(Shape):
    """Points inside any of ``shapes`` (``a | b``)."""

    def __init__(self, *shapes: Shape):
        self.shapes = _flatten(Union, _shapes("shapes", shapes))

    def sdf_points(self, points):
        out = self.shapes[0].sdf_points(points)
        for shape in self.shapes[1:]:
            np.minimum(out, shape.sdf_points(points), out=out)
        return out

    def bounds(self):
        lows, highs = zip(*(s.bounds() for s in self.shapes))
        return np.min(lows, axis=0), np.max(highs, axis=0)


class Intersection(Shape):
    """Points inside all of ``shapes`` (``a & b``)."""

    def __init__(self, *shapes: Shape):
        self.shapes = _flatten(Intersection, _shapes("shapes", shapes))

    def sdf_points(self, points):
        out = self.shapes[0].sdf_points(points)
        for shape in self.shapes[1:]:
            np.maximum(out, shape.sdf_points(points), out=out)
        return out

    def bounds(self):
        lows, highs = zip(*(s.bounds() for s in self.shapes))
        return np.max(lows, axis=0), np.min(highs, axis=0)


class Difference(Shape):
    """Points inside ``base`` and outside ``cut`` (``base - cut``)."""

    def __init__(self, base: Shape, cut: Shape):
        self.base, self.cut = _shapes("shapes", (base, cut))

    def sdf_points(self, points):
        out = self.base.sdf_points(points)
        return np.maximum(out, -self.cut.sdf_points(points), out=out)

    def bounds(self):
        return self.base.bounds()


# --- helpers -----------------------------------------------------------------------


_IDENTITY = validate.frozen(np.eye(3))


def _point(field: str, value) -> tuple:
    try:
        point = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValidationError(field, value, f"3 finite coordinates {AXES} [nm]") from None
    if point.shape != (3,) or not np.all(np.isfinite(point)):
        raise ValidationError(field, value, f"3 finite coordinates {AXES} [nm]")
    return tuple(float(v) for v in point)


def _lengths(field: str, value) -> tuple:
    try:
        lengths = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValidationError(field, value, "3 finite lengths > 0 [nm]") from None
    if lengths.shape != (3,) or not np.all(np.isfinite(lengths)) or np.any(lengths <= 0):
        raise ValidationError(field, value, "3 finite lengths > 0 [nm]")
    return tuple(float(v) for v in lengths)


def _unit(field: str, value) -> np.ndarray:
    try:
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValidationError(field, value, f"a non-zero 3-vector {AXES}") from None
    if v.shape != (3,) or not np.all(np.isfinite(v)) or not np.any(v):
        raise ValidationError(field, value, f"a non-zero 3-vector {AXES}")
    return v / np.linalg.norm(v)


def _rotation(value) -> np.ndarray:
    if value is None:
        return _IDENTITY
    r = np.asarray(value, dtype=float)
    if r.shape != (3, 3) or not np.all(np.isfinite(r)):
        raise ValidationError("rotation", value, "a 3×3 rotation matrix (columns = body axes in (row, z, x))")
    if not np.allclose(r.T @ r, np.eye(3), atol=1e-9) or np.linalg.det(r) < 0:
        raise ValidationError("rotation", "<matrix>", "an orthonormal matrix with determinant +1")
    return validate.frozen(r.copy())


def _shapes(field: str, shapes) -> tuple:
    if len(shapes) == 0 or not all(isinstance(s, Shape) for s in shapes):
        raise ValidationError(field, shapes, "one or more phantoms.shapes.Shape objects")
    return tuple(shapes)


def _flatten(kind, shapes) -> tuple:
    flat = []
    for s in shapes:
        flat.extend(s.shapes if type(s) is kind else (s,))
    return tuple(flat)
