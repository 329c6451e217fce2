"""Turn what a metric is given (a numpy array or a ``sim.Volume``) into checked arrays.

Every public metric accepts either form. A :class:`sim.Volume` contributes its
data and its voxel size; two Volumes on different grids are never compared.
Values are compared in float64 so that tiny differences are not lost to the
float32 storage of a Volume.
"""

from __future__ import annotations

import numpy as np

from sim import validate
from sim.errors import ValidationError
from sim.volume import Volume


def as_array(field: str, x, ndims: tuple[int, ...] | None = None) -> np.ndarray:
    """``x`` (array-like or Volume) as a finite, real, non-empty float64 array."""
    if x is None:
        raise ValidationError(field, None, f"a map; a ground-truth score needs the truth (a series from a real "
                              "instrument has none: score it with data_residual or half_set_fsc instead)"
                              if field in ("truth", "reference") else "a map")
    data = x.data if isinstance(x, Volume) else np.asarray(x)
    ranks = ndims if ndims is not None else (data.ndim,)
    return validate.finite_array(field, data, ranks, " or ".join(f"{n}-D" for n in ranks), dtype=np.float64)


def as_pair(a, b, names: tuple[str, str], ndims: tuple[int, ...] | None = None):
    """Both inputs as float64 arrays of one shape, on one grid if both are Volumes."""
    first = as_array(names[0], a, ndims)
    second = as_array(names[1], b, ndims)
    if first.shape != second.shape:
        raise ValidationError(f"{names[1]}.shape", second.shape, f"the shape of {names[0]}, {first.shape}")
    voxel_of(None, (a, b), names)  # two Volumes must share their voxel size
    return first, second


def voxel_of(voxel_nm, items, names: tuple[str, ...]) -> float | None:
    """The voxel size [nm]: ``voxel_nm`` if given, else the Volumes' (which must agree).

    Returns ``None`` when neither ``voxel_nm`` nor any Volume says it.
    """
    sizes = [(name, item.voxel_nm) for name, item in zip(names, items) if isinstance(item, Volume)]
    for name, size in sizes[1:]:
        if not np.isclose(size, sizes[0][1], rtol=1e-9, atol=0.0):
            raise ValidationError(f"{name}.voxel_nm", size, f"the voxel of {sizes[0][0]}, {sizes[0][1]} nm")
    if voxel_nm is None:
        return sizes[0][1] if sizes else None
    voxel_nm = validate.positive("voxel_nm", voxel_nm, "nm")
    if sizes and not np.isclose(voxel_nm, sizes[0][1], rtol=1e-9, atol=0.0):
        raise ValidationError("voxel_nm", voxel_nm, f"the voxel of {sizes[0][0]}, {sizes[0][1]} nm")
    return voxel_nm


def data_range_of(data_range) -> float:
    """``data_range`` checked: a finite number > 0, in the unit of the data."""
    return validate.positive("data_range", data_range, "(the unit of truth)")
