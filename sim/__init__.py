"""nanotomo's core: data model, geometry, the projector pair, physics kernels, noise and I/O.

``sim`` imports no other nanotomo package (see DESIGN.md's layering).
"""

from sim.acquisition_time import AcquisitionTiming, acquisition_time
from sim.electron_optics import Aberrations, interaction_constant, wavelength_nm
from sim.errors import ValidationError
from sim.geometry import ParallelGeometry, detector_u
from sim.holder import HOLDERS, holder
from sim.io import load_series, load_volume, read_json, save_series, save_volume, write_json
from sim.noise import generator, poisson_counts
from sim.projector import backproject, project
from sim.scheme import TiltScheme
from sim.stage import Stage, Tracking
from sim.tiltseries import TiltSeries
from sim.transmission import to_line_integrals
from sim.volume import Volume

__all__ = [
    "HOLDERS",
    "Aberrations",
    "AcquisitionTiming",
    "Stage",
    "Tracking",
    "acquisition_time",
    "holder",
    "interaction_constant",
    "wavelength_nm",
    "ParallelGeometry",
    "TiltScheme",
    "TiltSeries",
    "ValidationError",
    "Volume",
    "backproject",
    "detector_u",
    "generator",
    "load_series",
    "load_volume",
    "poisson_counts",
    "project",
    "read_json",
    "save_series",
    "save_volume",
    "to_line_integrals",
    "write_json",
]
