"""nanotomo's core: data model, geometry, the projector pair, physics kernels, noise and I/O.

``sim`` imports no other nanotomo package (see DESIGN.md's layering).
"""

from sim.errors import ValidationError
from sim.geometry import ParallelGeometry, detector_u
from sim.noise import generator, poisson_counts
from sim.projector import backproject, project
from sim.scheme import TiltScheme
from sim.tiltseries import TiltSeries
from sim.transmission import to_line_integrals
from sim.volume import Volume

__all__ = [
    "ParallelGeometry",
    "TiltScheme",
    "TiltSeries",
    "ValidationError",
    "Volume",
    "backproject",
    "detector_u",
    "generator",
    "poisson_counts",
    "project",
    "to_line_integrals",
]
