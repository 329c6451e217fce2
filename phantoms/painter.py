"""The :class:`Painter`: builds a phantom's fraction maps shape by shape.

Painting an occupancy ``o`` (in [0, 1]) with material ``m`` first makes room,
then fills it::

    f_all *= (1 − o);   f_m += o          (vacuum: only the first step)

so later shapes cover earlier ones in proportion to their occupancy, and the
sum over materials never exceeds 1 (the rest is vacuum). Only the shape's
bounding box on the grid is touched, so painting many small objects into a
large volume is cheap.
"""

from __future__ import annotations

import numpy as np

from sim import validate
from sim.errors import ValidationError

from phantoms.material import Material
from phantoms.phantom import Phantom
from phantoms.raster import grid_size, rasterize_box, supersample_levels
from phantoms.shapes import Shape

MAX_FRACTION_BYTES = 8 * 2**30
"""Largest fraction stack a painter allocates (8 GiB); bigger grids are refused."""


class Painter:
    """Accumulates volume fractions of ``materials`` on a ``(n_rows, n_z, n_x)`` grid.

    Parameters
    ----------
    grid_shape : tuple of 3 int
        ``(n_rows, n_z, n_x)`` [voxels].
    voxel_nm : float
        Voxel edge [nm].
    materials : sequence of Material
        The materials that may be painted (names unique).
    supersample : int
        Sub-samples per voxel edge on shape surfaces (see :func:`phantoms.raster.rasterize`).

    Examples
    --------
    >>> from phantoms.library import material
    >>> from phantoms.shapes import Sphere
    >>> painter = Painter((8, 8, 8), 1.0, [material("NiO"), material("CoO")])
    >>> painter.paint(Sphere((0, 0, 0), 3.5), "CoO")
    >>> painter.paint(Sphere((0, 0, 0), 2.5), "NiO")
    >>> painter.paint(Sphere((0, 0, 0), 1.0), None)          # a void
    >>> p = painter.phantom("core_shell", params={"radius_nm": 3.5})
    >>> float(p.fractions.sum(axis=0).max()) <= 1 + 1e-6
    True
    """

    def __init__(self, grid_shape, voxel_nm: float, materials, *, supersample: int = 4):
        self.grid_shape = grid_size(grid_shape)
        self.voxel_nm = validate.positive("voxel_nm", voxel_nm, "nm")
        self.materials = tuple(materials)
        if not self.materials or not all(isinstance(m, Material) for m in self.materials):
            raise ValidationError("materials", materials, "a non-empty sequence of phantoms.Material")
        self._index = {m.name: i for i, m in enumerate(self.materials)}
        if len(self._index) != len(self.materials):
            raise ValidationError("materials", [m.name for m in self.materials], "unique material names")
        nbytes = 4 * len(self.materials) * int(np.prod(self.grid_shape, dtype=np.int64))
        if nbytes > MAX_FRACTION_BYTES:
            raise ValidationError(
                "grid_shape",
                self.grid_shape,
                f"a grid whose {len(self.materials)} fraction maps fit in {MAX_FRACTION_BYTES / 2**30:.0f} GiB "
                f"(this one needs {nbytes / 2**30:.1f} GiB): use a coarser voxel_nm",
            )
        supersample_levels(supersample)  # validate now, not at the first paint
        self.supersample = supersample
        self._fractions = np.zeros((len(self.materials), *self.grid_shape), dtype=np.float32)

    def paint(self, shape: Shape, material: str | None) -> None:
        """Fill ``shape`` with ``material`` (a name, or ``None`` for vacuum)."""
        box = rasterize_box(shape, self.grid_shape, self.voxel_nm, supersample=self.supersample)
        if box is not None:
            region, occupancy = box
            self.paint_occupancy(occupancy, material, region)

    def paint_occupancy(self, occupancy: np.ndarray, material: str | None, region=None) -> None:
        """Paint a precomputed occupancy (values in [0, 1]) into ``region`` (default: the whole grid)."""
        fractions = self._live()
        index = self._material_index(material)
        region = (slice(None),) * 3 if region is None else tuple(region)
        view = fractions[(slice(None), *region)]
        occupancy = np.asarray(occupancy, dtype=np.float32)
        if occupancy.shape != view.shape[1:]:
            raise ValidationError("occupancy.shape", occupancy.shape, f"{view.shape[1:]}, the shape of the painted region")
        if not (np.all(np.isfinite(occupancy)) and occupancy.min() >= 0 and occupancy.max() <= 1):
            raise ValidationError("occupancy", "<values outside [0, 1] or NaN>", "occupancy fractions in [0, 1]")
        view *= 1 - occupancy
        if index is not None:
            view[index] += occupancy

    @property
    def fractions(self) -> np.ndarray:
        """A read-only view of the fractions painted so far, ``(n_materials, n_rows, n_z, n_x)``."""
        return validate.frozen(self._live())

    def phantom(self, name: str, params: dict | None = None, seed: int | None = None) -> Phantom:
        """Hand the fractions over as a :class:`Phantom` (the painter cannot paint afterwards)."""
        fractions = self._live()
        self._fractions = None
        return Phantom(fractions, self.materials, self.voxel_nm, name=name, params=dict(params or {}), seed=seed)

    def _live(self) -> np.ndarray:
        if self._fractions is None:
            raise RuntimeError("this Painter already handed its fractions to a Phantom; start a new Painter")
        return self._fractions

    def _material_index(self, material: str | None) -> int | None:
        if material is None:
            return None
        if material not in self._index:
            raise ValidationError("material", material, f"None (vacuum) or one of {tuple(self._index)}")
        return self._index[material]
