"""A minimal third-party nanotomo plugin: one reconstruction method.

Installed (``pip install tests/plugin_example``), its ``pyproject.toml``
declares::

    [project.entry-points."nanotomo.recon"]
    plain-backprojection = "nanotomo_example_plugin:plain_backprojection"

and ``recon.get("plain-backprojection")``, ``nanotomo list`` and the
benchmarks find it without nanotomo importing this module by name.
"""

from __future__ import annotations

from recon.common import geometry, line_integrals, make_volume, volume_shape
from sim.projector import backproject


def plain_backprojection(series, *, shape=None, shifts_px=None, axis_offset_px=0.0):
    """Unfiltered backprojection divided by the number of views (an example plugin, not a good method)."""
    data = line_integrals(series)
    grid = volume_shape(series, shape)
    geo = geometry(series, shifts_px, axis_offset_px)
    voxel_nm = series.pixel_nm
    volume = backproject(data, geo.angles_deg, grid, voxel_nm=voxel_nm, shifts_px=geo.shifts_px,
                         axis_offset_px=geo.axis_offset_px) / (len(geo.angles_deg) * voxel_nm * grid[1])
    return make_volume(volume, series, "plain-backprojection", {})
