"""Ground truth for nanotomo: materials, analytic shapes, voxel phantoms and the named catalogue.

A :class:`Phantom` holds the volume fraction of each :class:`Material` on a
``(n_rows, n_z, n_x)`` grid (the axis order of ``sim.Volume``; lengths in nm,
energies in keV); the rest of each voxel is vacuum. Build one by name::

    >>> import phantoms
    >>> p = phantoms.get("kirkendall_nanoparticle", diameter_nm=40.0, shell_thickness_nm=10.0,
    ...                  coo_thickness_nm=3.0, void_offset_nm=2.0, voxel_nm=2.0, seed=1)
    >>> p.shape, p.material_names
    ((22, 22, 22), ('NiO', 'CoO'))
    >>> mu = p.mu_per_nm(8.0)                  # sim.Volume of μ [1/nm] at 8 keV
    >>> sorted(phantoms.available())[:2]
    ['alcu_precipitates', 'battery_particle']

or paint your own with :class:`Painter` and the shapes of :mod:`phantoms.shapes`.
``phantoms`` imports only ``sim`` and third-party packages.
"""

from phantoms import catalog
from phantoms.grid import fit_grid
from phantoms.library import MATERIALS, material
from phantoms.material import ENERGY_RANGE_KEV, Material
from phantoms.painter import Painter
from phantoms.phantom import Phantom
from phantoms.raster import rasterize, rasterize_box
from phantoms.registry import available, get, parameters, register
from phantoms.shapes import (
    Box,
    ConvexPolyhedron,
    Cylinder,
    Difference,
    Ellipsoid,
    FacetedPlate,
    Intersection,
    Shape,
    Shell,
    SiemensStar,
    Slab,
    Sphere,
    Union,
)

__all__ = [
    "ENERGY_RANGE_KEV",
    "MATERIALS",
    "Box",
    "ConvexPolyhedron",
    "Cylinder",
    "Difference",
    "Ellipsoid",
    "FacetedPlate",
    "Intersection",
    "Material",
    "Painter",
    "Phantom",
    "Shape",
    "Shell",
    "SiemensStar",
    "Slab",
    "Sphere",
    "Union",
    "available",
    "catalog",
    "fit_grid",
    "get",
    "material",
    "parameters",
    "rasterize",
    "rasterize_box",
    "register",
]
