"""JSON that understands numpy, written atomically.

Provenance records, sidecars and experiment results are JSON. The conversion is
strict so that what is read back equals what was meant: numpy arrays become
(nested) lists, numpy scalars Python numbers, tuples lists and paths strings;
NaN/inf (not valid JSON), non-string dictionary keys and unknown objects raise
:class:`sim.errors.ValidationError` naming where they sit instead of being
changed silently. Floats are written with Python's shortest round-trip repr,
so every float64 reads back bit-identical.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from sim.errors import ValidationError
from sim.io.atomic import atomic_write, existing_file, writable_path

_ALLOWED = ("JSON data: None, bool, int, finite float, str, list, tuple, dict with str keys, "
            "numpy arrays and scalars, paths")


def to_jsonable(obj, field: str = "obj"):
    """A copy of ``obj`` made only of JSON types (dict, list, str, int, float, bool, None).

    Parameters
    ----------
    obj : object
        Nested dicts (str keys), lists, tuples, numbers, strings, None, numpy
        arrays and scalars, ``os.PathLike`` paths.
    field : str
        Name of ``obj`` in error messages; nested items are named like
        ``provenance['seed']``.

    Examples
    --------
    >>> import numpy as np
    >>> to_jsonable({"seed": np.int64(7), "tilt_deg": np.array([-1.5, 0.0]), "shape": (2, 3)})
    {'seed': 7, 'tilt_deg': [-1.5, 0.0], 'shape': [2, 3]}
    >>> to_jsonable({"bad": float("nan")}, "provenance")
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: provenance['bad'] = nan is not allowed; allowed: finite numbers (JSON has no NaN or inf)
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValidationError(field, obj, "finite numbers (JSON has no NaN or inf)")
        return float(obj)
    if isinstance(obj, np.ndarray):
        return _array_to_list(obj, field)
    if isinstance(obj, np.generic):
        if isinstance(obj, (np.bool_, np.integer, np.floating, np.str_)):
            return to_jsonable(obj.item(), field)
        raise ValidationError(field, f"<numpy {obj.dtype}>", _ALLOWED)
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise ValidationError(f"{field} key", key, "str keys (JSON object keys are strings)")
            out[key] = to_jsonable(value, f"{field}[{key!r}]")
        return out
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(item, f"{field}[{i}]") for i, item in enumerate(obj)]
    if isinstance(obj, os.PathLike):
        text = os.fspath(obj)
        if isinstance(text, str):
            return text
    raise ValidationError(field, f"<{type(obj).__name__}>", _ALLOWED)


def dumps(obj, field: str = "obj") -> str:
    """``obj`` as indented UTF-8 JSON text (see :func:`to_jsonable`), ending in a newline.

    Examples
    --------
    >>> print(dumps({"pixel_nm": 1.5, "unit": "e⁻/Å²"}), end="")
    {
      "pixel_nm": 1.5,
      "unit": "e⁻/Å²"
    }
    """
    return json.dumps(to_jsonable(obj, field), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(obj, path) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically; return the path.

    The object is converted first (:func:`to_jsonable`) and the path checked
    (:func:`sim.io.atomic.writable_path`), so bad data or a bad path raises
    :class:`~sim.errors.ValidationError` before anything is created. The file
    is UTF-8, indented, and replaces ``path`` only once completely written.

    Parameters
    ----------
    obj : object
        JSON-able data, numpy arrays and scalars included.
    path : str or os.PathLike
        Target file; its folder must exist and be writable.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_json({"angles_deg": np.arange(3) * 2.0}, pathlib.Path(tmp) / "p.json")
    ...     read_json(out)
    {'angles_deg': [0.0, 2.0, 4.0]}
    """
    text = dumps(obj, "obj")
    target = writable_path(path)
    with atomic_write(target) as temp:
        temp.write_text(text, encoding="utf-8")
    return target


def read_json(path):
    """Read a JSON file written by :func:`write_json` (UTF-8).

    Raises :class:`~sim.errors.ValidationError` naming ``path`` if the file
    is missing or is not valid JSON.

    Examples
    --------
    >>> read_json("/no/such/file.json")
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: path = '/no/such/file.json' is not allowed; allowed: an existing file
    """
    source = existing_file(path)
    try:
        return json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError("path", os.fspath(path), f"a UTF-8 JSON file ({error})") from None


def _array_to_list(array: np.ndarray, field: str):
    if array.dtype == object:
        return to_jsonable(array.tolist(), field)
    kind = array.dtype.kind
    if kind in "biuU":
        return array.tolist()
    if kind == "f":
        if not np.all(np.isfinite(array)):
            raise ValidationError(field, "<array with NaN/inf>", "finite numbers (JSON has no NaN or inf)")
        return array.tolist()
    raise ValidationError(field, f"<numpy array of {array.dtype}>", _ALLOWED)
