"""Detector pixels larger than the phantom's voxels: integer block averaging."""

from __future__ import annotations

import numpy as np

from sim.errors import ValidationError


def bin_factor(pixel_nm: float | None, voxel_nm: float) -> int:
    """How many phantom voxels make one detector pixel (along each axis).

    ``pixel_nm`` must be ``None`` (pixel = voxel) or an integer multiple of
    ``voxel_nm``; anything else would need resampling that blurs the ground
    truth, so it is refused.
    """
    if pixel_nm is None:
        return 1
    ratio = pixel_nm / voxel_nm
    factor = int(round(ratio))
    if factor < 1 or abs(ratio - factor) > 1e-6 * ratio:
        raise ValidationError("pixel_nm", pixel_nm, f"None or an integer multiple of the phantom's voxel ({voxel_nm} nm)")
    return factor


def block_mean(volume: np.ndarray, factor: int) -> np.ndarray:
    """Average ``factor³`` blocks (edges padded with zeros to a whole block).

    Examples
    --------
    >>> block_mean(np.ones((2, 4, 3), np.float32), 2).shape
    (1, 2, 2)
    """
    if factor == 1:
        return volume
    pad = [(0, (-n) % factor) for n in volume.shape]
    padded = np.pad(volume, pad)
    r, z, x = (n // factor for n in padded.shape)
    return padded.reshape(r, factor, z, factor, x, factor).mean(axis=(1, 3, 5), dtype=np.float64).astype(np.float32)
