"""Save and load tilt series and volumes; the file suffix picks the format.

=============  ==============================================  =====================================
suffix         tilt series                                     volume
=============  ==============================================  =====================================
``.h5``,       HDF5, Data Exchange layout (X-ray; TomoPy)      HDF5 ``/exchange/data`` + attributes
``.hdf5``      :mod:`sim.io.dxchange`
``.mrc``       MRC stack + ``.tlt`` + JSON sidecar             MRC volume + JSON sidecar
               (electron; IMOD, AreTomo) :mod:`sim.io.mrc`
=============  ==============================================  =====================================

Every save is atomic (:mod:`sim.io.atomic`) and replaces existing files of
the same name. Loading gives back every field of the saved object exactly
(float32 arrays bit-identical) except ``TiltSeries.phantom``, which is not
saved; provenance and metadata come back as their JSON form (tuples as
lists, numpy values as Python numbers and lists).
"""

from __future__ import annotations

from pathlib import Path

from sim.errors import ValidationError
from sim.io import dxchange, mrc
from sim.io.atomic import as_path
from sim.tiltseries import TiltSeries
from sim.volume import Volume

SERIES_FORMATS = {
    ".h5": (dxchange.save_series_h5, dxchange.load_series_h5),
    ".hdf5": (dxchange.save_series_h5, dxchange.load_series_h5),
    ".mrc": (mrc.save_series_mrc, mrc.load_series_mrc),
}
VOLUME_FORMATS = {
    ".h5": (dxchange.save_volume_h5, dxchange.load_volume_h5),
    ".hdf5": (dxchange.save_volume_h5, dxchange.load_volume_h5),
    ".mrc": (mrc.save_volume_mrc, mrc.load_volume_mrc),
}


def save_series(series: TiltSeries, path) -> tuple[Path, ...]:
    """Save a tilt series; ``.h5``/``.hdf5`` → Data Exchange HDF5, ``.mrc`` → MRC + ``.tlt`` + JSON.

    Parameters
    ----------
    series : TiltSeries
        What to save. Its provenance (and the ground truth's metadata) must be
        JSON-able (:func:`sim.io.jsonio.to_jsonable`).
    path : str or os.PathLike
        Target file, in an existing writable folder.

    Returns
    -------
    tuple of pathlib.Path
        Every file written, ``path`` first.

    Raises
    ------
    ValidationError
        Unknown suffix, bad path or non-JSON provenance; raised before
        anything is written.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from sim.tiltseries import TiltSeries
    >>> s = TiltSeries(np.arange(24.0).reshape(2, 3, 4), angles_deg=[-45, 45], pixel_nm=2.0,
    ...                values="line integral", unit="1", provenance={"seed": 7})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = save_series(s, pathlib.Path(tmp) / "s.h5")
    ...     back = load_series(pathlib.Path(tmp) / "s.h5")
    >>> bool(np.array_equal(back.data, s.data)), back.pixel_nm, back.provenance
    (True, 2.0, {'seed': 7})
    """
    save, _ = _format(path, SERIES_FORMATS, "tilt-series")
    if not isinstance(series, TiltSeries):
        raise ValidationError("series", type(series).__name__, "a sim.TiltSeries")
    return save(series, path)


def load_series(path) -> TiltSeries:
    """Load a tilt series saved by :func:`save_series` (format from the suffix).

    ``phantom`` comes back as None. Raises :class:`~sim.errors.ValidationError`
    naming ``path`` (or the offending companion file) if the file is missing,
    is not a nanotomo tilt series, or its files do not belong together.

    Examples
    --------
    >>> load_series("series.tif")
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: path = 'series.tif' is not allowed; allowed: a tilt-series file ending in one of ['.h5', '.hdf5', '.mrc']
    """
    _, load = _format(path, SERIES_FORMATS, "tilt-series")
    return load(path)


def save_volume(volume: Volume, path) -> tuple[Path, ...]:
    """Save a volume; ``.h5``/``.hdf5`` → HDF5, ``.mrc`` → MRC (voxel size in Å) + JSON sidecar.

    Returns every file written, ``path`` first. Raises
    :class:`~sim.errors.ValidationError` (before writing) for an unknown
    suffix, a bad path or non-JSON metadata.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from sim.volume import Volume
    >>> v = Volume(np.ones((2, 3, 4)), voxel_nm=1.25, quantity="mu", unit="1/nm")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = save_volume(v, pathlib.Path(tmp) / "v.mrc")
    ...     w = load_volume(written[0])
    >>> [p.name for p in written], w.voxel_nm, w.quantity
    (['v.mrc', 'v.json'], 1.25, 'mu')
    """
    save, _ = _format(path, VOLUME_FORMATS, "volume")
    if not isinstance(volume, Volume):
        raise ValidationError("volume", type(volume).__name__, "a sim.Volume")
    return save(volume, path)


def load_volume(path) -> Volume:
    """Load a volume saved by :func:`save_volume`, or any MRC volume (voxel size from its header).

    Examples
    --------
    >>> load_volume("volume.npy")
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: path = 'volume.npy' is not allowed; allowed: a volume file ending in one of ['.h5', '.hdf5', '.mrc']
    """
    _, load = _format(path, VOLUME_FORMATS, "volume")
    return load(path)


def _format(path, table: dict, what: str):
    suffix = as_path(path).suffix.lower()
    if suffix not in table:
        raise ValidationError("path", str(path), f"a {what} file ending in one of {sorted(table)}")
    return table[suffix]
