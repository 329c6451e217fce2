"""The TXM's sample stage at the ``multislice`` level: for samples thicker than the depth of focus.

The projection approximation (``wave`` level) puts the whole sample in one
plane. When the sample is thicker than the zone plate's depth of focus
``2Δr_N²/λ``, the wave diffracts inside it: each view's δ and β are split
into slabs along the beam (:func:`sim.slabs.project_slabs`), the wave is
transmitted and propagated slab by slab (:func:`sim.xray_multislice.xray_multislice`)
to the sample's centre plane, on which the objective is focused, and imaged
there as at the ``wave`` level (Abbe's method through the zone-plate pupil).
"""

from __future__ import annotations

import numpy as np

from instruments.txm_optics import coarsen, imaging, open_beam, refine
from sim.partial_coherence import abbe_image
from sim.progress import track
from sim.slabs import project_slabs
from sim.xray_multislice import xray_multislice

SLABS_PER_DEPTH_OF_FOCUS = 10
"""Default slab thickness: a tenth of the depth of focus (the wave changes little over it)."""


def slab_thickness_nm(txm, voxel_nm: float) -> float:
    """``txm.slab_nm``, else a tenth of the zone plate's depth of focus, never thinner than a voxel [nm]."""
    if txm.slab_nm is not None:
        return txm.slab_nm
    return max(voxel_nm, txm.zone_plate.depth_of_focus_nm(txm.energy_kev) / SLABS_PER_DEPTH_OF_FOCUS)


def multislice_intensity(delta, beta, angles_deg, txm, *, n_cols=None, progress: bool = True):
    """Image intensity of each view after multislice through the sample, and that of the open beam.

    Parameters
    ----------
    delta, beta : sim.Volume
        δ and β of the sample on the detector's voxel grid.
    angles_deg : array_like
        Tilt angles [deg].
    txm : instruments.TXM
        Energy, zone plate, condenser, ring, defocus, slab thickness.

    Returns
    -------
    intensity : ndarray, float64, (n_views, rows, cols)
        Including the zone plate's efficiency.
    open_beam : float
        Intensity of a clear field.
    """
    voxel = delta.voxel_nm
    factor, settings = imaging(txm, voxel)
    slab = slab_thickness_nm(txm, voxel)
    images = []
    for angle in track(np.asarray(angles_deg, dtype=np.float64), description="TXM multislice", enabled=progress):
        delta_slabs, depths = project_slabs(delta, float(angle), slab_nm=slab, n_cols=n_cols)
        beta_slabs, _ = project_slabs(beta, float(angle), slab_nm=slab, n_cols=n_cols)
        wave = xray_multislice(refine(delta_slabs, factor), refine(beta_slabs, factor), slab,
                               energy_kev=txm.energy_kev, pixel_nm=settings["pixel_nm"], depths_nm=depths)
        images.append(coarsen(abbe_image(wave, progress=False, **settings), factor))
    return txm.zone_plate.efficiency * np.stack(images), open_beam(txm, factor, settings)
