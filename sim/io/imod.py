"""IMOD conventions: the tilt-angle sign of a ``.tlt`` file and ``.xf`` alignment transforms.

Tilt angles
-----------
nanotomo projects a point at ``(x, z)`` from the volume centre to the
detector column ``u = x·cos θ + z·sin θ`` (:mod:`sim.geometry`). IMOD's
``tilt`` back-projects a voxel of its output slice at column ``j`` and
thickness row ``i`` from the input column ``xproj = (j − xcen)·cos β +
(i − ycen)·sin β + xcenIn`` with ``sin β = −sin(θ_IMOD)``, i.e.

    u = x·cos θ_IMOD − z·sin θ_IMOD

("take the negative of the sine of tilt angle ... all equations are written
for rotations in the X/Z plane, viewed from the negative Y axis"; IMOD source
``flib/tilt/tilt.f90``, subroutines ``inputParameters`` and ``project``; the
output slice is written row by row, so its thickness row ``i`` is the MRC Y
of IMOD's default ``PERPENDICULAR`` output, and the slices follow the Y
(rows) of the projections). So IMOD's angle is the negative of ours:
``θ_IMOD = −θ`` (:func:`imod_tilt_deg`). With that sign in the ``.tlt``, IMOD's
``tilt`` output of a nanotomo stack has the array layout of a nanotomo
volume ``(n_rows, n_z, n_x)`` = MRC ``(nz, ny, nx)``, voxel for voxel, not
mirrored (tested in ``tests/sim/test_imod.py`` with a back-projector written
from those equations). The man page's note on ``OFFSET`` ("DELANG positive
rotates reconstructed sections anticlockwise",
https://bio3d.colorado.edu/imod/doc/man/tilt.html) reads as the opposite
sense for a slice drawn with Y up; the source code is what we follow.
IMOD centres are ``n/2 + 0.5`` (1-based) like ours for even sizes; for an odd
output width or thickness its grid sits half a voxel off ours.

Alignment transforms (``.xf``)
------------------------------
One line per view, in stack order: ``A11 A12 A21 A22 DX DY``. The transform
takes a position ``(x, y)`` in the raw image to ``(x', y')`` in the
transformed (aligned) image, about the image centres ``(xc, yc)``::

    x' = A11·(x − xc) + A12·(y − yc) + DX + xc
    y' = A21·(x − xc) + A22·(y − yc) + DY + yc

(IMOD man page of ``xf2rotmagstr``,
https://bio3d.colorado.edu/imod/betaDoc/man/xf2rotmagstr.html; ``newstack
-xform`` applies such a file to make the aligned stack). X is the fast axis
(our columns) and Y our rows: :mod:`sim.io.mrc` writes rows as MRC Y without a
flip. Shifts are in pixels of the stack. A view whose content moved by
``s = (row, col)`` [px] (:attr:`sim.TiltSeries.shifts_px`) is aligned by the
identity with ``DX = −s_col``, ``DY = −s_row`` (:func:`xf_from_shifts`).
"""

from __future__ import annotations

import numpy as np

from sim.errors import ValidationError
from sim.io.atomic import atomic_write, existing_file, writable_path


def imod_tilt_deg(angles_deg) -> np.ndarray:
    """IMOD's tilt angles [deg] for nanotomo's: ``θ_IMOD = −θ`` (see the module docstring).

    The map is its own inverse: ``imod_tilt_deg(imod_tilt_deg(a)) == a``.

    Examples
    --------
    >>> imod_tilt_deg([-60.0, 0.0, 30.0]).tolist()
    [60.0, 0.0, -30.0]
    """
    return -np.asarray(angles_deg, dtype=np.float64) + 0.0  # + 0.0 turns -0.0 into 0.0


def xf_from_shifts(shifts_px) -> np.ndarray:
    """The ``.xf`` transforms that align views whose content moved by ``shifts_px``.

    Parameters
    ----------
    shifts_px : array_like, shape (n_views, 2)
        Image shift of each view ``(row, col)`` [px]; positive = content moved
        towards higher indices (as :attr:`sim.TiltSeries.shifts_px`).

    Returns
    -------
    ndarray, float64, shape (n_views, 2, 3)
        ``[[A11, A12, DX], [A21, A22, DY]]`` per view: identity, ``DX = −col``,
        ``DY = −row`` [px].

    Examples
    --------
    >>> xf_from_shifts([[2.0, -0.5]])[0].tolist()
    [[1.0, 0.0, 0.5], [0.0, 1.0, -2.0]]
    """
    shifts = np.asarray(shifts_px, dtype=np.float64)
    if shifts.ndim != 2 or shifts.shape[1] != 2 or not np.all(np.isfinite(shifts)):
        raise ValidationError("shifts_px", f"<shape {shifts.shape}>", "finite (row, col) shifts [px], shape (n_views, 2)")
    transforms = np.zeros((shifts.shape[0], 2, 3))
    transforms[:, 0, 0] = transforms[:, 1, 1] = 1.0
    transforms[:, 0, 2] = -shifts[:, 1] + 0.0
    transforms[:, 1, 2] = -shifts[:, 0] + 0.0
    return transforms


def format_xf(transforms) -> str:
    """``.xf`` text: ``A11 A12 A21 A22 DX DY`` per line, shortest exact decimals.

    Examples
    --------
    >>> print(format_xf(xf_from_shifts([[1.5, -2.0]])), end="")
             1.0          0.0          0.0          1.0          2.0         -1.5
    """
    xf = _checked(transforms)
    columns = np.stack([xf[:, 0, 0], xf[:, 0, 1], xf[:, 1, 0], xf[:, 1, 1], xf[:, 0, 2], xf[:, 1, 2]], axis=1)
    return "".join(
        " ".join(f"{np.format_float_positional(v, unique=True, trim='0'):>12}" for v in row) + "\n" for row in columns
    )


def parse_xf(text: str) -> np.ndarray:
    """Transforms ``(n_views, 2, 3)`` from ``.xf`` text (blank lines ignored).

    Examples
    --------
    >>> parse_xf("1 0 0 1 2.0 -1.5\\n")[0].tolist()
    [[1.0, 0.0, 2.0], [0.0, 1.0, -1.5]]
    """
    rows = [line.split() for line in text.splitlines() if line.strip()]
    if any(len(row) != 6 for row in rows):
        raise ValidationError("xf", text[:60], "lines of six numbers: A11 A12 A21 A22 DX DY")
    values = np.array(rows, dtype=np.float64).reshape(-1, 6)
    return np.stack([values[:, [0, 1, 4]], values[:, [2, 3, 5]]], axis=1)


def write_xf(transforms, path):
    """Write transforms ``(n_views, 2, 3)`` as an ``.xf`` file, atomically; return the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     back = read_xf(write_xf(xf_from_shifts([[0.25, 3.0]]), pathlib.Path(tmp) / "a.xf"))
    >>> back[0, :, 2].tolist()
    [-3.0, -0.25]
    """
    text = format_xf(transforms)
    target = writable_path(path)
    with atomic_write(target) as temp:
        temp.write_text(text, encoding="utf-8")
    return target


def read_xf(path) -> np.ndarray:
    """Transforms ``(n_views, 2, 3)`` from an ``.xf`` file."""
    source = existing_file(path)
    try:
        return parse_xf(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValidationError("path", str(source), f"an .xf file: A11 A12 A21 A22 DX DY per line ({error})") from None


def _checked(transforms) -> np.ndarray:
    xf = np.asarray(transforms, dtype=np.float64)
    if xf.ndim != 3 or xf.shape[1:] != (2, 3) or not np.all(np.isfinite(xf)):
        raise ValidationError("transforms", f"<shape {xf.shape}>", "finite transforms, shape (n_views, 2, 3)")
    return xf
