"""nanotomo's core: data model, geometry, the projector pair, physics kernels, noise and I/O.

``sim`` imports no other nanotomo package (see DESIGN.md's layering).
"""

from sim.errors import ValidationError
from sim.geometry import ParallelGeometry, detector_u
from sim.projector import backproject, project
from sim.scheme import TiltScheme
from sim.tiltseries import TiltSeries
from sim.volume import Volume

__all__ = [
    "ParallelGeometry",
    "TiltScheme",
    "TiltSeries",
    "ValidationError",
    "Volume",
    "backproject",
    "detector_u",
    "project",
]
