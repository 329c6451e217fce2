"""AreTomo's ``.aln`` alignment file: read it, and write a series' true alignment as one.

Layout
------
Header lines start with ``#``; AreTomo2 writes them in ``MrcUtil/CSaveAlignFile.cpp``
and reads them back in ``MrcUtil/CLoadAlignFile.cpp``
(https://github.com/czimaginginstitute/AreTomo2)::

    # AreTomo Alignment / Priims bprmMn
    # RawSize = nx ny nz                  (the input stack: columns, rows, sections)
    # NumPatches = 0
    # DarkFrame =  frame section tilt     (one line per excluded view)
    # SEC     ROT   GMAG   TX   TY   SMEAN   SFIT   SCALE   BASE   TILT
        7  -10.6414  1.00000  30.409  -7.146  1.00  1.00  1.00  0.00  -41.00
    ...
    # Local Alignment                     (only with NumPatches > 0)
       0   0  -1537.16  -1363.14  -6.93  -36.22  1.0      (patch rows: skipped here)

One global row per view that was kept, ``RawSize[2] − (number of dark frames)``
rows in all (``CLoadAlignFile::mParseHeader``), in AreTomo's working order,
sorted by tilt (``CAlignParam::SortByTilt``). GMAG, SMEAN, SFIT, SCALE and
BASE are written as the constants 1, 1, 1, 1, 0 (``mSaveGlobal``). AreTomo3
adds ``# AlphaOffset``, ``# BetaOffset`` and ``# Thickness`` header lines.

What the columns mean
---------------------
- ``TX``, ``TY`` [px of the raw, unbinned stack]: where the raw view's content
  sits relative to where the aligned view puts it. AreTomo's correction
  (``Correct/GCorrPatchShift.cu``, ``mGCorrect``) fills an aligned pixel at
  ``p`` (from the image centre ``N/2`` in IMOD's pixel-edge coordinates) from
  the raw pixel at ``R(ROT)·p + (TX, TY)``, so the content of the raw view is
  displaced by ``+(TX, TY)``, in the raw image's own axes (the shift is added
  after the rotation). Its IMOD export (``ImodUtil/CSaveXF.cpp``) writes the
  same thing as an ``.xf`` for the raw stack: ``A = R(−ROT)``,
  ``(DX, DY) = A·(−TX, −TY)``. So, with X the MRC fast axis (our columns) and Y
  our rows (:mod:`sim.io.mrc` writes rows as MRC Y without a flip),
  nanotomo's ``shifts_px = (row, col) = (TY, TX)`` — the translation of the
  view's content, like :attr:`sim.TiltSeries.shifts_px`, and opposite in sign
  to the ``DX, DY`` of :mod:`sim.io.imod`. The shifts are a correction up to
  an overall motion of the sample: AreTomo makes them relative to its
  reference (zero-tilt) view (``CAlignParam::MakeRelative``) and may add
  ``x0·cos θ`` and ``z0·sin θ`` terms that recentre the volume
  (``RemoveOffsetX``, ``RemoveOffsetZ``); both only move the reconstruction
  (see :func:`recon.align.score.score_shifts`).
- ``ROT`` [deg]: the tilt axis' angle from the image Y axis (our rows); the
  ``.xf`` export rotates by ``−ROT`` to bring it onto Y, so 0 is nanotomo's
  geometry.
- ``TILT`` [deg]: the tilt angle as in an IMOD ``.tlt`` (AreTomo writes it
  verbatim as the ``.tlt`` of its IMOD export, ``ImodUtil/CSaveTilts.cpp``),
  i.e. ``TILT = −θ`` (:func:`sim.io.imod.imod_tilt_deg`). AreTomo3 files with
  ``# AlphaOffset = α`` list ``TILT = −θ + α`` for the kept views and the
  nominal tilt for the dark frames (seen in the AreTomo3 sample
  ``tests/test_data_with_local.aln`` of https://github.com/teamtomo/alnfile:
  dark frames at −68 … −42° in 2° steps, the next view at −27.71° with
  α = 12.30°); the nominal ``θ`` is read back here.
- ``SEC``: the view's section in the raw input stack (0-based) in AreTomo2
  (``CAlignParam::GetSecIndex``; ``CSaveTilts::mSaveForRelion`` places each
  row's tilt at line ``SEC`` of the raw stack's ``.tlt``). The AreTomo3
  readers of teamtomo/alnfile and cryoet-alignment document it as the index
  after the dark frames were removed, so views are matched by tilt, not by
  ``SEC``.
- ``# DarkFrame = f s tilt``: a view AreTomo excluded (too dark,
  ``MrcUtil/CRemoveDarkFrames.cpp``): ``f`` its index in the tilt-sorted stack,
  ``s`` its section in the raw stack (IMOD's ``EXCLUDELIST`` is ``s + 1``,
  ``CDarkFrames::GenImodExcludeList``), ``tilt`` its nominal tilt [deg].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import validate
from sim.errors import ValidationError
from sim.io.atomic import atomic_write, existing_file, writable_path

HEADER = "# AreTomo Alignment / Priims bprmMn"
COLUMNS = "# SEC     ROT         GMAG       TX          TY      SMEAN     SFIT    SCALE     BASE     TILT"
_LOCAL = "Local Alignment"
_WIDTHS = (5, 10, 10, 10, 10, 8, 8, 8, 8, 9)  # right-aligned under the column names, one space apart


@dataclass(frozen=True, eq=False)
class AretomoAlignment:
    """The global alignment of an ``.aln`` file, in nanotomo's conventions.

    Parameters
    ----------
    tilt_deg : array, shape (n_views,)
        Nominal tilt of each aligned view in nanotomo's sign, ``θ = −(TILT − AlphaOffset)`` [deg].
    shifts_px : array, shape (n_views, 2)
        Translation of each raw view's content ``(row, col) = (TY, TX)`` [px of the raw stack],
        as :attr:`sim.TiltSeries.shifts_px`.
    raw_shape : tuple of 3 ints
        The raw stack ``(n_sections, n_rows, n_cols)`` (``RawSize = n_cols n_rows n_sections``).
    axis_rotation_deg : float or array, shape (n_views,)
        ``ROT``: the tilt axis' angle from the rows' direction [deg].
    sections : array of int, shape (n_views,), optional
        ``SEC`` of each row; ``0 … n_views − 1`` if not given.
    excluded_sections : array of int, shape (n_excluded,)
        Raw-stack sections AreTomo left out (``# DarkFrame``).
    excluded_tilt_deg : array, shape (n_excluded,)
        Their nominal tilts in nanotomo's sign [deg].
    alpha_offset_deg : float
        AreTomo3's ``AlphaOffset`` [deg], added to the kept views' ``TILT``.

    Examples
    --------
    >>> aln = AretomoAlignment([-30.0, 30.0], [[0.5, -1.0], [0.0, 2.0]], raw_shape=(2, 64, 64))
    >>> aln.sections.tolist(), aln.axis_rotation_deg.tolist()
    ([0, 1], [0.0, 0.0])
    """

    tilt_deg: np.ndarray
    shifts_px: np.ndarray
    raw_shape: tuple
    axis_rotation_deg: np.ndarray | float = 0.0
    sections: np.ndarray | None = None
    excluded_sections: np.ndarray = ()
    excluded_tilt_deg: np.ndarray = ()
    alpha_offset_deg: float = 0.0

    def __post_init__(self):
        tilt = _finite_vector("tilt_deg", self.tilt_deg)
        n = tilt.size
        shifts = np.asarray(self.shifts_px, dtype=np.float64)
        if shifts.shape != (n, 2) or not np.all(np.isfinite(shifts)):
            raise ValidationError("shifts_px", f"<shape {shifts.shape}>", f"finite (row, col) shifts [px], shape ({n}, 2)")
        raw = _raw_shape(self.raw_shape)
        rotation = np.broadcast_to(np.asarray(self.axis_rotation_deg, dtype=np.float64), (n,)).copy()
        if not np.all(np.isfinite(rotation)):
            raise ValidationError("axis_rotation_deg", self.axis_rotation_deg, "finite angles [deg]")
        sections = np.arange(n) if self.sections is None else _sections("sections", self.sections, raw[0])
        excluded = _sections("excluded_sections", self.excluded_sections, raw[0])
        excluded_tilt = np.asarray(self.excluded_tilt_deg, dtype=np.float64).reshape(-1)
        if excluded_tilt.shape != excluded.shape or not np.all(np.isfinite(excluded_tilt)):
            raise ValidationError("excluded_tilt_deg", self.excluded_tilt_deg, f"{excluded.size} finite tilts [deg], one per excluded section")
        if sections.size != n:
            raise ValidationError("sections", self.sections, f"{n} section indices, one per view")
        if n + excluded.size != raw[0]:
            raise ValidationError("raw_shape", raw, f"n_sections = {n} aligned + {excluded.size} excluded views")
        if np.unique(sections).size != n:
            raise ValidationError("sections", sections.tolist(), "distinct sections, one per view")
        if np.intersect1d(sections, excluded).size or np.unique(excluded).size != excluded.size:
            raise ValidationError("excluded_sections", excluded.tolist(), "distinct sections, none of them an aligned view's")
        alpha = float(self.alpha_offset_deg)
        if not np.isfinite(alpha):
            raise ValidationError("alpha_offset_deg", self.alpha_offset_deg, "a finite angle [deg]")
        for name, value in (("tilt_deg", tilt), ("shifts_px", shifts), ("axis_rotation_deg", rotation),
                            ("sections", sections), ("excluded_sections", excluded), ("excluded_tilt_deg", excluded_tilt)):
            object.__setattr__(self, name, validate.frozen(value))
        object.__setattr__(self, "raw_shape", raw)
        object.__setattr__(self, "alpha_offset_deg", alpha)

    @property
    def n_views(self) -> int:
        """Number of aligned (not excluded) views."""
        return int(self.tilt_deg.size)


def alignment_from_series(series) -> AretomoAlignment:
    """The true alignment of a simulated series as an :class:`AretomoAlignment`.

    Each view's content is displaced by ``series.shifts_px`` plus the tilt
    axis' column offset ``series.axis_offset_px`` (AreTomo, like IMOD, puts the
    tilt axis at the aligned image's centre column); ``ROT = 0`` (the tilt
    axis runs along the rows); sections in stack order, none excluded.

    Examples
    --------
    >>> from sim import TiltSeries
    >>> s = TiltSeries(np.zeros((2, 4, 6)), angles_deg=[0, 20], pixel_nm=1.0, values="counts",
    ...                shifts_px=[[1.0, 0.0], [0.0, -2.0]], axis_offset_px=0.5)
    >>> alignment_from_series(s).shifts_px.tolist()
    [[1.0, 0.5], [0.0, -1.5]]
    """
    shifts = np.array(series.shifts_px, dtype=np.float64)
    shifts[:, 1] += series.axis_offset_px
    return AretomoAlignment(series.angles_deg, shifts, raw_shape=series.shape)


def format_aln(alignment: AretomoAlignment) -> str:
    """``.aln`` text of ``alignment`` in AreTomo2's layout, rows sorted by ``TILT``.

    Numbers are written as the shortest decimals that read back exactly (AreTomo
    reads them with ``sscanf("%f")``); ``# AlphaOffset`` only when it is not 0.

    Examples
    --------
    >>> aln = AretomoAlignment([10.0, -5.0], [[0.5, -1.0], [0.0, 2.0]], raw_shape=(2, 32, 64))
    >>> print(format_aln(aln), end="")
    # AreTomo Alignment / Priims bprmMn
    # RawSize = 64 32 2
    # NumPatches = 0
    # SEC     ROT         GMAG       TX          TY      SMEAN     SFIT    SCALE     BASE     TILT
        0        0.0        1.0       -1.0        0.5      1.0      1.0      1.0      0.0     -10.0
        1        0.0        1.0        2.0        0.0      1.0      1.0      1.0      0.0       5.0
    """
    if not isinstance(alignment, AretomoAlignment):
        raise ValidationError("alignment", type(alignment).__name__, "a sim.io.aretomo.AretomoAlignment")
    n_sections, n_rows, n_cols = alignment.raw_shape
    file_tilt = -alignment.tilt_deg + alignment.alpha_offset_deg + 0.0
    dark_tilt = -alignment.excluded_tilt_deg + 0.0
    sorted_frames = np.argsort(np.concatenate([file_tilt, dark_tilt]), kind="stable")
    frame_of = np.empty(n_sections, dtype=int)
    frame_of[sorted_frames] = np.arange(n_sections)
    lines = [HEADER, f"# RawSize = {n_cols} {n_rows} {n_sections}", "# NumPatches = 0"]
    for k, (section, tilt) in enumerate(zip(alignment.excluded_sections, dark_tilt)):
        lines.append(f"# DarkFrame = {frame_of[alignment.n_views + k]:5d} {section:4d} {_number(tilt)}")
    if alignment.alpha_offset_deg != 0.0:
        lines.append(f"# AlphaOffset = {_number(alignment.alpha_offset_deg)}")
    lines.append(COLUMNS)
    for i in np.argsort(file_tilt, kind="stable"):
        row, col = alignment.shifts_px[i] + 0.0
        fields = (str(alignment.sections[i]), _number(alignment.axis_rotation_deg[i] + 0.0), "1.0", _number(col),
                  _number(row), "1.0", "1.0", "1.0", "0.0", _number(file_tilt[i]))
        lines.append(" ".join(field.rjust(width) for field, width in zip(fields, _WIDTHS)))
    return "\n".join(lines) + "\n"


def parse_aln(text: str, source: str = "<text>") -> AretomoAlignment:
    """An :class:`AretomoAlignment` from ``.aln`` text; patch (local) rows are skipped.

    Errors name the file and line as ``source:line`` (``source`` is the file
    path when called by :func:`read_aln`).

    Examples
    --------
    >>> text = '''# AreTomo Alignment / Priims bprmMn
    ... # RawSize = 64 64 3
    ... # NumPatches = 0
    ... # DarkFrame =     0    2   -60.00
    ... # SEC     ROT         GMAG       TX          TY      SMEAN     SFIT    SCALE     BASE     TILT
    ...     0     0.0000    1.00000      1.500     -0.250     1.00     1.00     1.00     0.00    -20.00
    ...     1     0.0000    1.00000      0.000      0.000     1.00     1.00     1.00     0.00     20.00
    ... '''
    >>> aln = parse_aln(text)
    >>> aln.tilt_deg.tolist(), aln.shifts_px.tolist(), aln.excluded_sections.tolist(), aln.excluded_tilt_deg.tolist()
    ([20.0, -20.0], [[-0.25, 1.5], [0.0, 0.0]], [2], [60.0])
    """
    raw = None
    alpha = 0.0
    dark: list[tuple[int, float]] = []
    rows: list[list[float]] = []
    in_table = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        where = (f"{source}:{number}", stripped)
        if stripped.startswith("#"):
            key, _, value = stripped[1:].partition("=")
            key = key.strip()
            if key == "RawSize":
                raw = _ints(where, value, 3, "RawSize = nx ny nz (three integers)")
            elif key in ("DarkFrame", "Dark frame"):
                _, section, tilt = _numbers(where, value, 3, "DarkFrame = frame section tilt")
                dark.append((_int(where, section, "DarkFrame = frame section tilt"), -tilt + 0.0))
            elif key == "AlphaOffset":
                (alpha,) = _numbers(where, value, 1, "AlphaOffset = angle [deg]")
            elif key.startswith("SEC"):
                in_table = True
            elif key.startswith(_LOCAL):
                break
            continue
        if not in_table:
            raise ValidationError(*where, "header lines starting with '#' before the '# SEC ... TILT' line")
        values = _numbers(where, stripped, 10, "ten numbers: SEC ROT GMAG TX TY SMEAN SFIT SCALE BASE TILT")
        _int(where, values[0], "an integer SEC")
        rows.append(values)
    if raw is None:
        raise ValidationError(source, "<no RawSize line>", "an .aln file with a '# RawSize = nx ny nz' line")
    if not in_table:
        raise ValidationError(source, "<no '# SEC' line>", "an .aln file with a '# SEC ... TILT' table")
    n_cols, n_rows, n_sections = raw
    if len(rows) + len(dark) != n_sections:
        raise ValidationError(source, f"{len(rows)} rows + {len(dark)} dark frames",
                              f"one row per view that was kept: RawSize nz = {n_sections} = rows + dark frames")
    table = np.array(rows, dtype=np.float64).reshape(-1, 10)
    try:
        return AretomoAlignment(
            tilt_deg=-(table[:, 9] - alpha) + 0.0,
            shifts_px=table[:, [4, 3]],
            raw_shape=(n_sections, n_rows, n_cols),
            axis_rotation_deg=table[:, 1],
            sections=table[:, 0].astype(int),
            excluded_sections=np.array([s for s, _ in dark], dtype=int),
            excluded_tilt_deg=np.array([t for _, t in dark], dtype=np.float64),
            alpha_offset_deg=alpha,
        )
    except ValidationError as error:
        raise ValidationError(source, "<its table>", f"a consistent .aln file ({error})") from None


def write_aln(alignment: AretomoAlignment, path):
    """Write ``alignment`` as an ``.aln`` file (:func:`format_aln`), atomically; return the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> aln = AretomoAlignment([0.0, 30.0], [[1.0, 2.0], [-0.5, 0.25]], raw_shape=(2, 16, 16))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     back = read_aln(write_aln(aln, pathlib.Path(tmp) / "a.aln"))
    >>> back.tilt_deg.tolist(), back.shifts_px.tolist()
    ([30.0, 0.0], [[-0.5, 0.25], [1.0, 2.0]])
    """
    text = format_aln(alignment)
    target = writable_path(path)
    with atomic_write(target) as temp:
        temp.write_text(text, encoding="utf-8")
    return target


def read_aln(path) -> AretomoAlignment:
    """The :class:`AretomoAlignment` of an ``.aln`` file (rows in the file's order)."""
    source = existing_file(path)
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValidationError("path", str(source), "a text .aln file (UTF-8)") from None
    return parse_aln(text, source=str(source))


def _number(value: float) -> str:
    return np.format_float_positional(float(value), unique=True, trim="0")


def _numbers(where: tuple[str, str], text: str, count: int, allowed: str) -> list[float]:
    """``count`` finite numbers from ``text``; ``where`` is ``("file:line", line)`` for the error."""
    try:
        values = [float(v) for v in text.split()]
    except ValueError:
        raise ValidationError(*where, allowed) from None
    if len(values) != count or not all(np.isfinite(values)):
        raise ValidationError(*where, allowed)
    return values


def _int(where: tuple[str, str], value: float, allowed: str) -> int:
    if value != int(value):
        raise ValidationError(*where, allowed)
    return int(value)


def _ints(where: tuple[str, str], text: str, count: int, allowed: str) -> tuple[int, ...]:
    return tuple(_int(where, v, allowed) for v in _numbers(where, text, count, allowed))


def _finite_vector(field: str, values) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).reshape(-1) if np.ndim(values) <= 1 else None
    if array is None or array.size == 0 or not np.all(np.isfinite(array)):
        raise ValidationError(field, values, "a non-empty 1-D list of finite angles [deg]")
    return array


def _raw_shape(raw) -> tuple[int, int, int]:
    try:
        shape = tuple(int(n) for n in raw)
    except (TypeError, ValueError):
        raise ValidationError("raw_shape", raw, "(n_sections, n_rows, n_cols), integers >= 1") from None
    if len(shape) != 3 or min(shape) < 1 or any(int(n) != n for n in raw):
        raise ValidationError("raw_shape", raw, "(n_sections, n_rows, n_cols), integers >= 1")
    return shape


def _sections(field: str, values, n_sections: int) -> np.ndarray:
    array = np.asarray(values).reshape(-1)
    if array.size and (not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() >= n_sections):
        raise ValidationError(field, array.tolist(), f"integer sections in [0, {n_sections - 1}]")
    return array.astype(np.int64)
