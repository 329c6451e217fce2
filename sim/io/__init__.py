"""File I/O: tilt series and volumes in the formats beamline and EM users know.

- :func:`save_series` / :func:`load_series`: ``.h5``/``.hdf5`` → HDF5 in the
  Data Exchange layout (X-ray; TomoPy, dxchange), ``.mrc`` → MRC image stack +
  ``.tlt`` + JSON sidecar (electron; IMOD, AreTomo). Ground truth, flat/dark
  frames, dose, shifts and provenance travel with the series.
- :func:`save_volume` / :func:`load_volume`: ``.h5``/``.hdf5`` or ``.mrc``.
- :func:`write_json` / :func:`read_json`: numpy-aware, strict JSON.
- :func:`atomic_write` / :func:`atomic_writes`: every file is written to a
  temporary file in its folder and renamed into place, so an interrupted run
  never leaves a half file that looks whole.

Units at this API are nm and degrees; Å appears only in MRC headers.
"""

from sim.io.atomic import atomic_write, atomic_writes, writable_path
from sim.io.dispatch import SERIES_FORMATS, VOLUME_FORMATS, load_series, load_volume, save_series, save_volume
from sim.io.jsonio import read_json, to_jsonable, write_json

__all__ = [
    "SERIES_FORMATS",
    "VOLUME_FORMATS",
    "atomic_write",
    "atomic_writes",
    "load_series",
    "load_volume",
    "read_json",
    "save_series",
    "save_volume",
    "to_jsonable",
    "writable_path",
    "write_json",
]
